/*
 * host_emulation.cpp -- runs the CUDA kernels of kernels.cu on the host, for
 * the tests (tests/test_cuda_emulation.py loads it with ctypes).
 *
 * kernels.cu is compiled as C++ here, unchanged: its __global__ functions
 * become plain functions, and this file supplies what CUDA would: threadIdx,
 * blockIdx, blockDim and gridDim, and __shfl_xor_sync. A launch runs the
 * blocks one after another; within a block every thread is a fiber
 * (ucontext) with its own stack, so the kernel body runs once per thread
 * index, and a shuffle switches to the other threads until every thread its
 * mask names has reached the same shuffle. A shuffle whose partner is not in
 * the mask, or a mask whose threads never all arrive, is reported as an
 * error (it is undefined on a GPU), never hidden.
 *
 * Build (the tests do it): g++ -std=c++17 -O2 -ffp-contract=off -fPIC
 *   -shared -DFD_GPU_ALL -Isrc_c/include src_c/cuda/host_emulation.cpp
 */
#include <stdint.h>
#include <ucontext.h>

#include <vector>

struct fd_emu_dim3 {
    unsigned x, y, z;
};

static fd_emu_dim3 threadIdx, blockIdx, blockDim, gridDim;

static unsigned long long __shfl_xor_sync(unsigned mask, unsigned long long v, int lane_mask);

/* Threads are fibers of one host thread, switched only at shuffles: an add
 * is atomic as it stands. */
static unsigned long long atomicAdd(unsigned long long *p, unsigned long long v)
{
    const unsigned long long old = *p;
    *p = old + v;
    return old;
}

#include "kernels.cu"

namespace {

const unsigned kMaxThreads = FD_GPU_MAX_THREADS;
const size_t kStack = 64 * 1024;

struct Fiber {
    ucontext_t ctx;
    std::vector<char> stack;
    bool done;
};

/* The state of the block being run. */
struct Block {
    std::vector<Fiber> fibers;
    ucontext_t scheduler;
    unsigned current;
    unsigned long long posted[kMaxThreads];   /* shuffles each thread has entered */
    unsigned long long slot[2][kMaxThreads];  /* their values, by parity */
    unsigned long long progress;              /* changes whenever a thread moves on */
    int error;
    void (*body)(void *);
    void *arg;
};

Block g_block;

void fiber_main()
{
    g_block.body(g_block.arg);
    g_block.fibers[g_block.current].done = true;
    g_block.progress++;
}

void yield_to_scheduler()
{
    swapcontext(&g_block.fibers[g_block.current].ctx, &g_block.scheduler);
}

/* Runs body(arg) once per thread of every block of a grid x block launch. */
int launch(unsigned grid, unsigned block, void (*body)(void *), void *arg)
{
    if (grid == 0 || block == 0 || block > kMaxThreads || block % 32 != 0)
        return -3;
    gridDim = {grid, 1, 1};
    blockDim = {block, 1, 1};
    Block &b = g_block;
    b.body = body;
    b.arg = arg;
    b.error = 0;
    b.fibers.resize(block);
    for (Fiber &f : b.fibers)
        f.stack.resize(kStack);
    for (unsigned bi = 0; bi < grid && !b.error; bi++) {
        blockIdx = {bi, 0, 0};
        for (unsigned t = 0; t < block; t++) {
            Fiber &f = b.fibers[t];
            f.done = false;
            getcontext(&f.ctx);
            f.ctx.uc_stack.ss_sp = f.stack.data();
            f.ctx.uc_stack.ss_size = f.stack.size();
            f.ctx.uc_link = &b.scheduler;
            makecontext(&f.ctx, fiber_main, 0);
            b.posted[t] = 0;
        }
        unsigned alive = block;
        while (alive && !b.error) {
            const unsigned long long before = b.progress;
            alive = 0;
            for (unsigned t = 0; t < block && !b.error; t++) {
                if (b.fibers[t].done)
                    continue;
                b.current = t;
                threadIdx = {t, 0, 0};
                swapcontext(&b.scheduler, &b.fibers[t].ctx);
                alive += !b.fibers[t].done;
            }
            if (alive && b.progress == before)
                b.error = -1; /* every live thread waits on one that never comes */
        }
    }
    return b.error;
}

} // namespace

/* The k-th shuffle of a thread meets the k-th shuffle of every thread in
 * its warp that mask names. */
static unsigned long long __shfl_xor_sync(unsigned mask, unsigned long long v, int lane_mask)
{
    Block &b = g_block;
    const unsigned t = b.current;
    const unsigned warp = t & ~31u, lane = t & 31u;
    const unsigned src = lane ^ (unsigned)lane_mask;
    if (src > 31 || !((mask >> lane) & 1u) || !((mask >> src) & 1u)) {
        b.error = -2;
        return 0;
    }
    const unsigned long long k = b.posted[t];
    b.slot[k & 1][t] = v;
    b.posted[t] = k + 1;
    b.progress++;
    for (;;) {
        bool ready = true;
        for (unsigned i = 0; i < 32; i++)
            if (((mask >> i) & 1u) && b.posted[warp + i] < k + 1)
                ready = false;
        if (ready || b.error)
            break;
        yield_to_scheduler();
        threadIdx = {t, 0, 0};
    }
    return b.slot[k & 1][warp + src];
}

namespace {

struct StreamArgs {
    int itemsize;
    const void *x;
    void *y;
    uint8_t *bits;
    uint64_t seed, offset, n, threshold;
    double scale;
    unsigned flags, segs;
};

void stream_body(void *a_)
{
    const StreamArgs &a = *static_cast<const StreamArgs *>(a_);
    switch (a.itemsize) {
    case 0:
        fd_gpu_mask_bits(a.bits, a.seed, a.offset, a.n, a.threshold, a.segs);
        break;
    case 2:
        fd_gpu_dropout_f16(static_cast<const uint16_t *>(a.x), static_cast<uint16_t *>(a.y),
                           a.bits, a.seed, a.offset, a.n, a.threshold, (float)a.scale, a.flags,
                           a.segs);
        break;
    case 4:
        fd_gpu_dropout_f32(static_cast<const uint32_t *>(a.x), static_cast<uint32_t *>(a.y),
                           a.bits, a.seed, a.offset, a.n, a.threshold, (float)a.scale, a.flags,
                           a.segs);
        break;
    default:
        fd_gpu_dropout_f64(static_cast<const uint64_t *>(a.x), static_cast<uint64_t *>(a.y),
                           a.bits, a.seed, a.offset, a.n, a.threshold, a.scale, a.flags, a.segs);
    }
}

struct BitsArgs {
    int itemsize;
    const uint8_t *bits;
    const void *x;
    void *y;
    uint64_t n;
    double scale;
    unsigned flags;
};

void bits_body(void *a_)
{
    const BitsArgs &a = *static_cast<const BitsArgs *>(a_);
    switch (a.itemsize) {
    case 2:
        fd_gpu_apply_bits_f16(a.bits, static_cast<const uint16_t *>(a.x),
                              static_cast<uint16_t *>(a.y), a.n, (float)a.scale, a.flags);
        break;
    case 4:
        fd_gpu_apply_bits_f32(a.bits, static_cast<const uint32_t *>(a.x),
                              static_cast<uint32_t *>(a.y), a.n, (float)a.scale, a.flags);
        break;
    default:
        fd_gpu_apply_bits_f64(a.bits, static_cast<const uint64_t *>(a.x),
                              static_cast<uint64_t *>(a.y), a.n, a.scale, a.flags);
    }
}

/* The broadcast-mask, bias and DropBlock kernels: one struct, one body. */
struct ElementArgs {
    int kind; /* 0 noise apply, 1 affine, 2 add, 3 block keep */
    int itemsize;
    const uint8_t *bits;
    const void *x;
    const void *bias;
    void *y;
    uint64_t n;
    const unsigned long long *axes;
    unsigned nd;
    double scale, a, b, alpha;
    unsigned flags;
    uint64_t period;
    unsigned long long *kept;
    uint64_t h, w, e, k;
};

template <class U, class S>
void element_kernels(const ElementArgs &a, void (*apply)(const fd_u8 *, const U *, U *,
                                                          unsigned long long,
                                                          const unsigned long long *, unsigned,
                                                          S, unsigned),
                     void (*affine)(const fd_u8 *, const U *, U *, unsigned long long,
                                    const unsigned long long *, unsigned, S, S, S),
                     void (*add)(const U *, const U *, U *, unsigned long long,
                                 unsigned long long))
{
    const U *x = static_cast<const U *>(a.x);
    U *y = static_cast<U *>(a.y);
    if (a.kind == 0)
        apply(a.bits, x, y, a.n, a.axes, a.nd, (S)a.scale, a.flags);
    else if (a.kind == 1)
        affine(a.bits, x, y, a.n, a.axes, a.nd, (S)a.a, (S)a.b, (S)a.alpha);
    else
        add(x, static_cast<const U *>(a.bias), y, a.n, a.period);
}

void element_body(void *a_)
{
    const ElementArgs &a = *static_cast<const ElementArgs *>(a_);
    if (a.kind == 3)
        fd_gpu_block_keep(a.bits, static_cast<uint8_t *>(a.y), a.kept, a.n, a.h, a.w, a.e, a.k);
    else if (a.itemsize == 2)
        element_kernels<uint16_t, float>(a, fd_gpu_noise_apply_f16, fd_gpu_noise_affine_f16,
                                         fd_gpu_add_f16);
    else if (a.itemsize == 4)
        element_kernels<uint32_t, float>(a, fd_gpu_noise_apply_f32, fd_gpu_noise_affine_f32,
                                         fd_gpu_add_f32);
    else
        element_kernels<uint64_t, double>(a, fd_gpu_noise_apply_f64, fd_gpu_noise_affine_f64,
                                          fd_gpu_add_f64);
}

bool itemsize_ok(int itemsize)
{
    return itemsize == 2 || itemsize == 4 || itemsize == 8;
}

bool segs_ok(unsigned segs)
{
    return segs > 0 && FD_STEPS % segs == 0;
}

} // namespace

/* The entry points take the arguments the GPU path passes to the kernels
 * (fastdrop/_gpu/_launch.py), plus the launch geometry. They return 0, or
 * -1 (threads of a shuffle never met), -2 (a shuffle partner outside its
 * mask), -3 (bad geometry), -4 (bad item size or segments). */
extern "C" {

int fd_emu_dropout(int itemsize, const void *x, void *y, uint8_t *bits, uint64_t seed,
                   uint64_t offset, uint64_t n, uint64_t threshold, double scale,
                   unsigned flags, unsigned segs, unsigned grid, unsigned block)
{
    if ((itemsize != 2 && itemsize != 4 && itemsize != 8) || !segs_ok(segs))
        return -4;
    StreamArgs a = {itemsize, x, y, bits, seed, offset, n, threshold, scale, flags, segs};
    return launch(grid, block, stream_body, &a);
}

int fd_emu_mask_bits(uint8_t *bits, uint64_t seed, uint64_t offset, uint64_t n,
                     uint64_t threshold, unsigned segs, unsigned grid, unsigned block)
{
    if (!segs_ok(segs))
        return -4;
    StreamArgs a = {0, nullptr, nullptr, bits, seed, offset, n, threshold, 0.0, 0, segs};
    return launch(grid, block, stream_body, &a);
}

int fd_emu_apply_bits(int itemsize, const uint8_t *bits, const void *x, void *y, uint64_t n,
                      double scale, unsigned flags, unsigned grid, unsigned block)
{
    if (itemsize != 2 && itemsize != 4 && itemsize != 8)
        return -4;
    BitsArgs a = {itemsize, bits, x, y, n, scale, flags};
    return launch(grid, block, bits_body, &a);
}

int fd_emu_noise_apply(int itemsize, const uint8_t *bits, const void *x, void *y, uint64_t n,
                       const unsigned long long *axes, unsigned nd, double scale,
                       unsigned flags, unsigned grid, unsigned block)
{
    if (!itemsize_ok(itemsize))
        return -4;
    ElementArgs a = {};
    a.kind = 0, a.itemsize = itemsize, a.bits = bits, a.x = x, a.y = y, a.n = n;
    a.axes = axes, a.nd = nd, a.scale = scale, a.flags = flags;
    return launch(grid, block, element_body, &a);
}

int fd_emu_noise_affine(int itemsize, const uint8_t *bits, const void *x, void *y, uint64_t n,
                        const unsigned long long *axes, unsigned nd, double av, double bv,
                        double alpha, unsigned grid, unsigned block)
{
    if (!itemsize_ok(itemsize))
        return -4;
    ElementArgs a = {};
    a.kind = 1, a.itemsize = itemsize, a.bits = bits, a.x = x, a.y = y, a.n = n;
    a.axes = axes, a.nd = nd, a.a = av, a.b = bv, a.alpha = alpha;
    return launch(grid, block, element_body, &a);
}

int fd_emu_add(int itemsize, const void *x, const void *bias, void *t, uint64_t n,
               uint64_t period, unsigned grid, unsigned block)
{
    if (!itemsize_ok(itemsize) || period == 0)
        return -4;
    ElementArgs a = {};
    a.kind = 2, a.itemsize = itemsize, a.x = x, a.bias = bias, a.y = t, a.n = n;
    a.period = period;
    return launch(grid, block, element_body, &a);
}

int fd_emu_block_keep(const uint8_t *drawn, uint8_t *keep, unsigned long long *kept, uint64_t n,
                      uint64_t h, uint64_t w, uint64_t e, uint64_t k, unsigned grid,
                      unsigned block)
{
    ElementArgs a = {};
    a.kind = 3, a.bits = drawn, a.y = keep, a.kept = kept, a.n = n;
    a.h = h, a.w = w, a.e = e, a.k = k;
    return launch(grid, block, element_body, &a);
}

/* 1 if rng.h lays a step out as the kernels assume: part j of lane l at
 * FD_GPU_SPAN * t + FD_GPU_RUN * l + j. */
int fd_emu_layout_ok(void)
{
    for (unsigned t = 0; t < FD_STEPS; t++)
        for (unsigned l = 0; l < FD_LANES; l++)
            for (unsigned j = 0; j < FD_PARTS; j++)
                if (fd_position(t, l, j) != FD_GPU_SPAN * t + FD_GPU_RUN * l + j)
                    return 0;
    return FD_GPU_SPAN * FD_STEPS == FD_BLOCK;
}

/* Constants the tests and the GPU path must agree on. */
unsigned fd_emu_steps(void) { return FD_STEPS; }
unsigned fd_emu_vec_flag(void) { return FD_GPU_VEC; }
unsigned fd_emu_run(void) { return FD_GPU_RUN; }
unsigned fd_emu_max_threads(void) { return FD_GPU_MAX_THREADS; }

} /* extern "C" */
