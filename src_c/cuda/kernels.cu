/*
 * kernels.cu -- the CUDA kernels of fastdrop's CuPy path (fastdrop/_gpu).
 *
 * The same text is compiled three ways: by NVRTC through cupy.RawModule (the
 * GPU path; fastdrop/_gpu/_source.py inlines the headers), by nvcc in the
 * tests (-cubin for sm_80 and sm_90, warnings as errors), and by g++ for the
 * host (src_c/cuda/host_emulation.cpp), which runs the kernels with every
 * thread and block index of a launch, so that the tests compare them with
 * the CPU kernels bit for bit without a GPU.
 *
 * The mask is SPEC.md's: element e of the stream is position i = e mod B of
 * block g = e div B, whose FD_LANES generator lanes each give FD_GPU_RUN
 * consecutive positions per step (lane l, step t: positions
 * t * LANES * RUN + l * RUN ...). Nothing here depends on the launch
 * geometry: a work item is (block g, segment of steps), run by a group of
 * eight threads, one per lane. A thread seeds its lane for block g, advances
 * it to the segment's first step and then handles RUN consecutive elements
 * per step, so the eight threads of a group read and write 8 * RUN
 * consecutive elements per step (coalesced, vector loads and stores where
 * the arrays are aligned for them). Work items are handed out by a
 * grid-stride loop; which thread runs an item changes nothing in its bits.
 *
 * Packed mask: the group gathers the keep bits of each step with three
 * shuffles; mask byte m (call elements 8m .. 8m + 7) is written by the group
 * whose step holds element 8m, by one thread, so no byte has two writers and
 * no atomics are needed. When the call's offset is not a multiple of 8 a byte
 * straddles two steps; the group then also computes the step after its
 * segment (the next block's first step for the last segment).
 *
 * Arithmetic: x * scale and out + v are each rounded once in the compute type
 * by PTX instructions with an explicit rounding and no .ftz (never fused
 * into an FMA, subnormals kept whatever -ftz CuPy passes), and NaN results
 * carry the payload x86 gives them (SPEC.md section 6), since the GPU's own
 * arithmetic returns one canonical NaN.
 */

/* ===   The stream and the per-element rules: the shared headers   === */

/* The headers' arithmetic (hd.h): on the device, PTX with an explicit
 * rounding and no .ftz, because CuPy compiles with -ftz=true, which would
 * flush float32 subnormals to zero where the CPU keeps them, and because an
 * instruction with an explicit rounding is never fused into an FMA. */
#define FD_MUL_F32(a, b) fd_gpu_mul_f32(a, b)
#define FD_ADD_F32(a, b) fd_gpu_add_f32(a, b)
#define FD_MUL_F64(a, b) fd_gpu_mul_f64(a, b)
#define FD_ADD_F64(a, b) fd_gpu_add_f64(a, b)

#include "fastdrop/hd.h"

/* fd_gpu_<op>_<type>(a, b): one PTX instruction on the device (each
 * compilation pass of nvcc picks its side), the operator on the host. */
#if defined(__CUDA_ARCH__)
#define FD_GPU_OP(name, T, ptx, c, op)                                        \
    FD_HD T name(T a, T b)                                                    \
    {                                                                         \
        T r;                                                                  \
        asm(ptx " %0, %1, %2;" : "=" c(r) : c(a), c(b));                      \
        return r;                                                             \
    }
#else
#define FD_GPU_OP(name, T, ptx, c, op)                                        \
    FD_HD T name(T a, T b) { return a op b; }
#endif

FD_GPU_OP(fd_gpu_mul_f32, float, "mul.rn.f32", "f", *)
FD_GPU_OP(fd_gpu_add_f32, float, "add.rn.f32", "f", +)
FD_GPU_OP(fd_gpu_mul_f64, double, "mul.rn.f64", "d", *)
FD_GPU_OP(fd_gpu_add_f64, double, "add.rn.f64", "d", +)

#include "fastdrop/half.h"
#include "fastdrop/rng.h"
#include "fastdrop/rules.h"

/* A lane step decides FD_PARTS consecutive positions, fd_position(t, l, j)
 * = FD_STEP_ELEMS * t + FD_PARTS * l + j (host_emulation.cpp checks that
 * rng.h still lays them out so). */
#define FD_GPU_RUN FD_PARTS
#define FD_GPU_SPAN FD_STEP_ELEMS

/* What a lane needs besides its state: the keys and the threshold. */
typedef struct fd_gpu_ctx {
    uint64_t key;
    uint64_t key2; /* of the refinement hash */
    uint64_t threshold;
} fd_gpu_ctx;

FD_HD fd_gpu_ctx fd_gpu_context(uint64_t seed, uint64_t threshold)
{
    fd_gpu_ctx c;
    c.key = fd_stream_key(seed);
    c.key2 = fd_refine_key(c.key);
    c.threshold = threshold;
    return c;
}

/* Keep bits (bit j for position pos + j) of the lane step whose output is
 * r; e is the stream element of position pos. */
FD_HD unsigned fd_gpu_keep_run(const fd_gpu_ctx *c, uint64_t r, uint64_t e)
{
    unsigned keep = 0;
    for (unsigned j = 0; j < FD_PARTS; j++)
        keep |= fd_keep_part(fd_part(r, j), c->key2, e + j, c->threshold) << j;
    return keep;
}

/* ===   Device, NVRTC and host build   === */

#if defined(__CUDACC__)
#define FD_DEV __device__ __forceinline__
#define FD_KERNEL extern "C" __global__ void __launch_bounds__(FD_GPU_MAX_THREADS)
#define FD_UNROLL _Pragma("unroll")
typedef ulonglong2 fd_v16;
#else /* host build: host_emulation.cpp defines threadIdx, blockIdx, blockDim,
       * gridDim and __shfl_xor_sync before including this file */
#define FD_DEV inline
#define FD_KERNEL static void
#define FD_UNROLL
typedef struct alignas(16) fd_v16 {
    unsigned long long x, y;
} fd_v16;
#endif

#define FD_GPU_MAX_THREADS 256 /* threads per block at most (fastdrop/_gpu/_geometry.py: THREADS) */
/* Flags: FD_RULE_SCALE and FD_RULE_ACCUMULATE (rules.h; FD_SCALE and
 * FD_ACCUMULATE in fastdrop.h), and FD_GPU_VEC: the arrays are aligned for
 * vector loads and stores of whole runs (the host checks,
 * fastdrop/_gpu/_geometry.py). */
#define FD_GPU_VEC 0x200u

/* Steps a thread handles at a time in the generated-mask kernels: sixteen
 * elements, 64 bytes of float32 in flight per thread. (With the registers
 * ptxas gives these kernels on sm_90, 90 for float32 at eight elements and
 * 108 at sixteen, both allow two blocks of 256 threads per multiprocessor,
 * so sixteen doubles the bytes in flight; not yet measured on a device.) */
#define FD_GPU_UNROLL (FD_GPU_RUN >= 16 ? 1u : 16u / FD_GPU_RUN)

/* A group of eight threads runs the eight lanes of a work item. */
static_assert(FD_LANES == 8, "a work item is run by a group of 8 threads, one per lane");
static_assert(FD_GPU_RUN * FD_LANES == FD_GPU_SPAN, "a step is the lanes' runs side by side");
static_assert(FD_GPU_SPAN <= 64, "a step's keep bits fit one 64-bit word");

typedef unsigned char fd_u8;

/* ===   Element types: the rules of rules.h, with x86's NaN results   === */

/* The GPU's arithmetic returns one canonical NaN where x86 (and so the CPU
 * kernels and SPEC.md) returns a NaN operand quieted, or the default NaN
 * (sign set) for an invalid operation. A kept element whose arithmetic gave
 * a NaN is therefore recomputed here with x86's rule; it is the rare path,
 * and on the host it gives what the host's arithmetic gave.
 *
 * fd_gpu_b32, fd_gpu_b64: the binary32 and binary64 bits, NaN test, quiet
 * bit, x86's default NaN, and rules.h's rule in that type. */
struct fd_gpu_b32 {
    typedef float F;
    typedef uint32_t B;
    static constexpr B abs = 0x7fffffffu, inf = 0x7f800000u;
    static constexpr B quiet = 0x00400000u, default_nan = 0xffc00000u;
    static FD_DEV B bits(F v) { return fd_f32_bits(v); }
    static FD_DEV F value(B b) { return fd_f32_value(b); }
    static FD_DEV F mul(F a, F b) { return fd_gpu_mul_f32(a, b); }
    static FD_DEV F add(F a, F b) { return fd_gpu_add_f32(a, b); }
    static FD_DEV F rule(F x, F y, unsigned keep, F scale, unsigned flags)
    {
        return fd_rule_f32(x, y, keep, scale, flags);
    }
    static FD_DEV F affine(F z, F a, F b) { return fd_affine_f32(z, a, b); }
};

struct fd_gpu_b64 {
    typedef double F;
    typedef uint64_t B;
    static constexpr B abs = 0x7fffffffffffffffull, inf = 0x7ff0000000000000ull;
    static constexpr B quiet = 0x0008000000000000ull, default_nan = 0xfff8000000000000ull;
    static FD_DEV B bits(F v) { return fd_f64_bits(v); }
    static FD_DEV F value(B b) { return fd_f64_value(b); }
    static FD_DEV F mul(F a, F b) { return fd_gpu_mul_f64(a, b); }
    static FD_DEV F add(F a, F b) { return fd_gpu_add_f64(a, b); }
    static FD_DEV F rule(F x, F y, unsigned keep, F scale, unsigned flags)
    {
        return fd_rule_f64(x, y, keep, scale, flags);
    }
    static FD_DEV F affine(F z, F a, F b) { return fd_affine_f64(z, a, b); }
};

template <class T>
FD_DEV bool fd_gpu_isnan(typename T::B b)
{
    return (b & T::abs) > T::inf;
}

/* The NaN x86 gives for r = a op b: a NaN operand quieted (a first), else
 * the default NaN; r itself when it is not a NaN. */
template <class T>
FD_DEV typename T::F fd_gpu_nan(typename T::F r, typename T::F a, typename T::F b)
{
    if (!fd_gpu_isnan<T>(T::bits(r)))
        return r;
    if (fd_gpu_isnan<T>(T::bits(a)))
        return T::value(T::bits(a) | T::quiet);
    if (fd_gpu_isnan<T>(T::bits(b)))
        return T::value(T::bits(b) | T::quiet);
    return T::value(T::default_nan);
}

/* y + x * scale (or its parts, by flags) as x86 rounds it and NaNs it. */
template <class T>
FD_DEV typename T::F fd_gpu_x86(typename T::F x, typename T::F y, typename T::F scale,
                                unsigned flags)
{
    typename T::F v = x;
    if (flags & FD_RULE_SCALE)
        v = fd_gpu_nan<T>(T::mul(x, scale), x, scale);
    if (flags & FD_RULE_ACCUMULATE)
        v = fd_gpu_nan<T>(T::add(y, v), y, v);
    return v;
}

#define FD_GPU_ARITH (FD_RULE_SCALE | FD_RULE_ACCUMULATE)

/* Element types: storage bits U, scale type S, one output element by
 * rules.h, its NaN recomputed the x86 way when arithmetic made one. */
/* fl(a * z + b) as x86 rounds it and NaNs it: the product, then the sum. */
template <class T>
FD_DEV typename T::F fd_gpu_affine_x86(typename T::F z, typename T::F a, typename T::F b)
{
    const typename T::F v = fd_gpu_nan<T>(T::mul(a, z), a, z);
    return fd_gpu_nan<T>(T::add(v, b), v, b);
}

template <class T>
struct fd_gpu_float {
    typedef typename T::B U;
    typedef typename T::F S;
    static FD_DEV U rule(U x, U y, unsigned keep, S scale, unsigned flags)
    {
        const U r = T::bits(T::rule(T::value(x), T::value(y), keep, scale, flags));
        if (keep && (flags & FD_GPU_ARITH) && fd_gpu_isnan<T>(r))
            return T::bits(fd_gpu_x86<T>(T::value(x), T::value(y), scale, flags));
        return r;
    }
    /* dropout_add's t = fl(x + bias) (SPEC.md 10.4) */
    static FD_DEV U add(U x, U b)
    {
        return T::bits(fd_gpu_nan<T>(T::add(T::value(x), T::value(b)), T::value(x), T::value(b)));
    }
    /* alpha dropout's rule (SPEC.md 10.3, rules.h: fd_affine_*) on z = x or alpha */
    static FD_DEV U affine(U x, unsigned keep, S a, S b, S alpha)
    {
        const S z = keep ? T::value(x) : alpha;
        const S r = T::affine(z, a, b);
        return fd_gpu_isnan<T>(T::bits(r)) ? T::bits(fd_gpu_affine_x86<T>(z, a, b)) : T::bits(r);
    }
};

typedef fd_gpu_float<fd_gpu_b32> fd_f32;
typedef fd_gpu_float<fd_gpu_b64> fd_f64;

struct fd_f16 {
    typedef uint16_t U;
    typedef float S;
    static FD_DEV U rule(U x, U y, unsigned keep, S scale, unsigned flags)
    {
        const U r = fd_rule_f16(x, y, keep, scale, flags);
        if (keep && (flags & FD_GPU_ARITH) && (r & 0x7fffu) > 0x7c00u)
            return fd_float_to_half(fd_gpu_x86<fd_gpu_b32>(fd_half_to_float(x),
                                                           fd_half_to_float(y), scale, flags));
        return r;
    }
    static FD_DEV U add(U x, U b)
    {
        const float xf = fd_half_to_float(x), bf = fd_half_to_float(b);
        return fd_float_to_half(fd_gpu_nan<fd_gpu_b32>(fd_gpu_add_f32(xf, bf), xf, bf));
    }
    static FD_DEV U affine(U x, unsigned keep, S a, S b, S alpha)
    {
        const float z = keep ? fd_half_to_float(x) : alpha;
        float r = fd_affine_f32(z, a, b);
        if (fd_gpu_isnan<fd_gpu_b32>(fd_f32_bits(r)))
            r = fd_gpu_affine_x86<fd_gpu_b32>(z, a, b);
        return fd_float_to_half(r);
    }
};

/* ===   Runs of N consecutive elements: vector or element by element   === */

/* Loads N elements (N * sizeof(U) bytes, aligned to the smaller of that and
 * 16) with the widest accesses that fit. */
template <class U, unsigned N>
FD_DEV void fd_gpu_load_run(const U *p, U v[N])
{
    constexpr unsigned bytes = N * (unsigned)sizeof(U);
    if constexpr (bytes % 16 == 0) {
        constexpr unsigned per = 8 / (unsigned)sizeof(U); /* elements per 64-bit word */
        FD_UNROLL
        for (unsigned c = 0; c < bytes / 16; c++) {
            const fd_v16 w = ((const fd_v16 *)p)[c];
            FD_UNROLL
            for (unsigned i = 0; i < per; i++) {
                v[2 * c * per + i] = (U)(w.x >> (8 * sizeof(U) * i % 64));
                v[2 * c * per + per + i] = (U)(w.y >> (8 * sizeof(U) * i % 64));
            }
        }
    } else if constexpr (bytes == 8) {
        const uint64_t w = *(const uint64_t *)p;
        FD_UNROLL
        for (unsigned i = 0; i < N; i++)
            v[i] = (U)(w >> (8 * sizeof(U) * i % 64));
    } else if constexpr (bytes == 4) {
        const uint32_t w = *(const uint32_t *)p;
        FD_UNROLL
        for (unsigned i = 0; i < N; i++)
            v[i] = (U)(w >> (8 * sizeof(U) * i % 32));
    } else {
        FD_UNROLL
        for (unsigned i = 0; i < N; i++)
            v[i] = p[i];
    }
}

template <class U, unsigned N>
FD_DEV void fd_gpu_store_run(U *p, const U v[N])
{
    constexpr unsigned bytes = N * (unsigned)sizeof(U);
    if constexpr (bytes % 16 == 0) {
        constexpr unsigned per = 8 / (unsigned)sizeof(U);
        FD_UNROLL
        for (unsigned c = 0; c < bytes / 16; c++) {
            fd_v16 w;
            w.x = 0;
            w.y = 0;
            FD_UNROLL
            for (unsigned i = 0; i < per; i++) {
                w.x |= (unsigned long long)v[2 * c * per + i] << (8 * sizeof(U) * i % 64);
                w.y |= (unsigned long long)v[2 * c * per + per + i] << (8 * sizeof(U) * i % 64);
            }
            ((fd_v16 *)p)[c] = w;
        }
    } else if constexpr (bytes == 8) {
        uint64_t w = 0;
        FD_UNROLL
        for (unsigned i = 0; i < N; i++)
            w |= (uint64_t)v[i] << (8 * sizeof(U) * i % 64);
        *(uint64_t *)p = w;
    } else if constexpr (bytes == 4) {
        uint32_t w = 0;
        FD_UNROLL
        for (unsigned i = 0; i < N; i++)
            w |= (uint32_t)v[i] << (8 * sizeof(U) * i % 32);
        *(uint32_t *)p = w;
    } else {
        FD_UNROLL
        for (unsigned i = 0; i < N; i++)
            p[i] = v[i];
    }
}

/* Elements k0 .. k0 + N - 1 of the call, keep bit j of keep for element
 * k0 + j. Whole: all N are in the call, and vec: the run is aligned for
 * vector accesses; otherwise only elements below n are touched. */
template <class D, unsigned N>
FD_DEV void fd_gpu_apply_run(const typename D::U *x, typename D::U *y, uint64_t k0, uint64_t n,
                             unsigned keep, bool whole, typename D::S scale, unsigned flags)
{
    typedef typename D::U U;
    U xv[N], yv[N];
    if (whole && (flags & FD_GPU_VEC)) {
        fd_gpu_load_run<U, N>(x + k0, xv);
        if (flags & FD_RULE_ACCUMULATE)
            fd_gpu_load_run<U, N>(y + k0, yv);
        FD_UNROLL
        for (unsigned j = 0; j < N; j++)
            yv[j] = D::rule(xv[j], yv[j], (keep >> j) & 1u, scale, flags);
        fd_gpu_store_run<U, N>(y + k0, yv);
        return;
    }
    FD_UNROLL
    for (unsigned j = 0; j < N; j++) {
        const uint64_t k = k0 + j;
        if (k < n) {
            const U yb = (flags & FD_RULE_ACCUMULATE) ? y[k] : (U)0;
            y[k] = D::rule(x[k], yb, (keep >> j) & 1u, scale, flags);
        }
    }
}

/* ===   The generated-mask kernels   === */

/* Bits j of the lane's run (call elements k0 + j) that lie in the call;
 * k0 wraps around below 0 for positions before the call. */
FD_DEV unsigned fd_gpu_in_call(uint64_t k0, uint64_t n)
{
    unsigned m = 0;
    FD_UNROLL
    for (unsigned j = 0; j < FD_GPU_RUN; j++)
        m |= (unsigned)(k0 + j < n) << j;
    return m;
}

/* The keep bits of one step of the group's eight lanes: bit l * RUN + j is
 * lane l's bit j. Every thread of the group gets the word. */
FD_DEV uint64_t fd_gpu_gather(unsigned keep, unsigned lane, unsigned group)
{
    uint64_t w = (uint64_t)keep << (lane * FD_GPU_RUN);
    w |= __shfl_xor_sync(group, w, 1);
    w |= __shfl_xor_sync(group, w, 2);
    w |= __shfl_xor_sync(group, w, 4);
    return w;
}

/* Writes the bytes of the packed mask held by word w, whose bit 0 is call
 * element k (a multiple of 8, or wrapped below 0): thread lane writes byte
 * lane, if its first element is in the call. */
FD_DEV void fd_gpu_put_bytes(fd_u8 *bits, uint64_t w, uint64_t k, uint64_t n, unsigned lane)
{
    const uint64_t kb = k + 8 * (uint64_t)lane;
    if (lane < FD_GPU_RUN && kb < n)
        bits[kb / 8] = (fd_u8)(w >> (8 * lane));
}

/* Mask bits of the run at block position pos of block g for the lane whose
 * state is s (advanced by one step): the keep bits, restricted to the call. */
FD_DEV unsigned fd_gpu_step_keep(const fd_gpu_ctx *c, uint64_t s[4], bool random, uint64_t base,
                                 unsigned pos, uint64_t offset, uint64_t n)
{
    unsigned keep;
    if (random)
        keep = fd_gpu_keep_run(c, fd_xoshiro_next(s), base + pos);
    else
        keep = c->threshold ? (1u << FD_GPU_RUN) - 1 : 0u;
    return keep & fd_gpu_in_call(base + pos - offset, n);
}

/* Dropout of call elements 0 .. n - 1 = stream elements offset .. offset +
 * n - 1 (n > 0). x and y: NULL for the mask alone (DATA false); y == x in
 * place. bits: the packed mask, or NULL. segs: segments per block, a power
 * of two dividing FD_STEPS. blockDim.x must be a multiple of 32. */
template <class D, bool DATA>
FD_DEV void fd_gpu_stream_body(const typename D::U *x, typename D::U *y, fd_u8 *bits,
                               uint64_t seed, uint64_t offset, uint64_t n, uint64_t threshold,
                               typename D::S scale, unsigned flags, unsigned segs)
{
    const unsigned lane = threadIdx.x % FD_LANES;
    const unsigned group = 0xffu << (threadIdx.x & 24u);
    const unsigned steps = FD_STEPS / segs;
    const unsigned span = FD_GPU_SPAN; /* elements per step */
    const uint64_t first = offset / FD_BLOCK;
    const uint64_t items = ((offset + (n - 1)) / FD_BLOCK - first + 1) * segs;
    const uint64_t stride = (uint64_t)gridDim.x * blockDim.x / FD_LANES;
    const unsigned phi = (unsigned)(offset % 8);
    const bool random = threshold != 0 && threshold != FD_THRESHOLD_ALL;
    const fd_gpu_ctx c = fd_gpu_context(seed, threshold);

    for (uint64_t it = ((uint64_t)blockIdx.x * blockDim.x + threadIdx.x) / FD_LANES;
         it < items; it += stride) {
        const uint64_t g = first + it / segs;
        const unsigned t0 = (unsigned)(it % segs) * steps;
        const uint64_t base = g * FD_BLOCK; /* stream element of position 0 */
        const bool whole = base >= offset && base + (FD_BLOCK - 1) - offset < n;
        uint64_t s[4] = {0, 0, 0, 0};
        if (random) {
            fd_lane_seed(c.key, g, lane, s);
            for (unsigned t = 0; t < t0; t++)
                (void)fd_xoshiro_next(s);
        }
        uint64_t prev = 0;
        const unsigned last = t0 + steps;
        for (unsigned t = t0; t < last; t += FD_GPU_UNROLL) {
            /* FD_GPU_UNROLL steps at a time: their loads are issued before
             * any store (a store could alias a later load in place), so each
             * thread has whole chunks of memory in flight. */
            typename D::U xv[FD_GPU_UNROLL][FD_GPU_RUN], yv[FD_GPU_UNROLL][FD_GPU_RUN];
            const bool vec = DATA && whole && (flags & FD_GPU_VEC) && t + FD_GPU_UNROLL <= last;
            if (vec) {
                FD_UNROLL
                for (unsigned u = 0; u < FD_GPU_UNROLL; u++) {
                    const uint64_t k0 = base + (t + u) * span + lane * FD_GPU_RUN - offset;
                    fd_gpu_load_run<typename D::U, FD_GPU_RUN>(x + k0, xv[u]);
                    if (flags & FD_RULE_ACCUMULATE)
                        fd_gpu_load_run<typename D::U, FD_GPU_RUN>(y + k0, yv[u]);
                }
            }
            FD_UNROLL
            for (unsigned u = 0; u < FD_GPU_UNROLL; u++) {
                if (t + u >= last)
                    break;
                const unsigned pos = (t + u) * span + lane * FD_GPU_RUN;
                const uint64_t k0 = base + pos - offset;
                const unsigned keep = fd_gpu_step_keep(&c, s, random, base, pos, offset, n);
                if (vec) {
                    FD_UNROLL
                    for (unsigned j = 0; j < FD_GPU_RUN; j++)
                        yv[u][j] = D::rule(xv[u][j], yv[u][j], (keep >> j) & 1u, scale, flags);
                    fd_gpu_store_run<typename D::U, FD_GPU_RUN>(y + k0, yv[u]);
                } else if (DATA) {
                    fd_gpu_apply_run<D, FD_GPU_RUN>(x, y, k0, n, keep, whole, scale, flags);
                }
                if (bits) {
                    const uint64_t w = fd_gpu_gather(keep, lane, group);
                    const uint64_t k = base + (uint64_t)(t + u) * span - offset;
                    if (phi == 0)
                        fd_gpu_put_bytes(bits, w, k, n, lane);
                    else if (t + u > t0)
                        fd_gpu_put_bytes(bits, (prev >> phi) | (w << (span - phi)),
                                         k - span + phi, n, lane);
                    prev = w;
                }
            }
        }
        if (bits && phi) {
            /* The last step's bytes reach into the step after the segment. */
            const unsigned t = t0 + steps;
            unsigned keep = 0;
            if (t < FD_STEPS) {
                keep = fd_gpu_step_keep(&c, s, random, base, t * span + lane * FD_GPU_RUN,
                                        offset, n);
            } else if (base + FD_BLOCK - offset < n) {
                if (random)
                    fd_lane_seed(c.key, g + 1, lane, s);
                keep = fd_gpu_step_keep(&c, s, random, base + FD_BLOCK,
                                        lane * FD_GPU_RUN, offset, n);
            }
            const uint64_t w = fd_gpu_gather(keep, lane, group);
            fd_gpu_put_bytes(bits, (prev >> phi) | (w << (span - phi)),
                             base + (uint64_t)(t - 1) * span + phi - offset, n, lane);
        }
    }
}

/* ===   The stored-mask kernel   === */

/* Elements 0 .. n - 1 under the packed keep bits: one mask byte (eight
 * elements) per work item, in a grid-stride loop. */
template <class D>
FD_DEV void fd_gpu_bits_body(const fd_u8 *bits, const typename D::U *x, typename D::U *y,
                             uint64_t n, typename D::S scale, unsigned flags)
{
    const uint64_t chunks = (n + 7) / 8;
    const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
    for (uint64_t c = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; c < chunks; c += stride)
        fd_gpu_apply_run<D, 8>(x, y, 8 * c, n, bits[c], 8 * c + 8 <= n, scale, flags);
}

/* ===   Broadcast masks, the bias add and DropBlock's mask   === */

/* The noise element (SPEC.md 10.1) of call element k. x's shape comes
 * collapsed to nd axes (fastdrop/_gpu/_geometry.py: noise_axes), axis d as
 * axes[2d] = its length and axes[2d + 1] = its stride in the noise array
 * (0 where the mask is broadcast). I: the index type, 32 bits for calls of
 * fewer than 2**32 elements (a 64-bit division is many more instructions on
 * a GPU), where every length, stride and noise index fits it. */
template <class I>
FD_DEV uint64_t fd_gpu_noise_index(I k, const unsigned long long *axes, unsigned nd)
{
    I j = 0;
    for (unsigned d = nd; d-- > 0;) {
        const I len = (I)axes[2 * d];
        j += (k % len) * (I)axes[2 * d + 1];
        k /= len;
    }
    return j;
}

FD_DEV uint64_t fd_gpu_noise_at(uint64_t k, uint64_t n, const unsigned long long *axes,
                                unsigned nd)
{
    if (n <= 0xffffffffu)
        return fd_gpu_noise_index<uint32_t>((uint32_t)k, axes, nd);
    return fd_gpu_noise_index<uint64_t>(k, axes, nd);
}

FD_DEV unsigned fd_gpu_bit(const fd_u8 *bits, uint64_t j)
{
    return (bits[j / 8] >> (j % 8)) & 1u;
}

/* Grid-stride loops over elements 0 .. n - 1, one element per thread and
 * turn (consecutive threads, consecutive elements). */
#define FD_GPU_FOR_ELEMENTS(k, n)                                                         \
    for (uint64_t k = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; k < (n);          \
         k += (uint64_t)gridDim.x * blockDim.x)

/* Dropout's rule (section 6) under noise bits broadcast over x. */
template <class D>
FD_DEV void fd_gpu_noise_body(const fd_u8 *bits, const typename D::U *x, typename D::U *y,
                              uint64_t n, const unsigned long long *axes, unsigned nd,
                              typename D::S scale, unsigned flags)
{
    FD_GPU_FOR_ELEMENTS(k, n) {
        const unsigned keep = fd_gpu_bit(bits, fd_gpu_noise_at(k, n, axes, nd));
        const typename D::U yb = (flags & FD_RULE_ACCUMULATE) ? y[k] : (typename D::U)0;
        y[k] = D::rule(x[k], yb, keep, scale, flags);
    }
}

/* Alpha dropout's affine rule (SPEC.md 10.3) under noise bits. */
template <class D>
FD_DEV void fd_gpu_affine_body(const fd_u8 *bits, const typename D::U *x, typename D::U *y,
                               uint64_t n, const unsigned long long *axes, unsigned nd,
                               typename D::S a, typename D::S b, typename D::S alpha)
{
    FD_GPU_FOR_ELEMENTS(k, n) {
        const unsigned keep = fd_gpu_bit(bits, fd_gpu_noise_at(k, n, axes, nd));
        y[k] = D::affine(x[k], keep, a, b, alpha);
    }
}

/* t[k] = fl(x[k] + bias[k mod period]) (dropout_add, SPEC.md 10.4). */
template <class D>
FD_DEV void fd_gpu_add_body(const typename D::U *x, const typename D::U *bias, typename D::U *t,
                            uint64_t n, uint64_t period)
{
    FD_GPU_FOR_ELEMENTS(k, n)
        t[k] = D::add(x[k], bias[k % period]);
}

/* DropBlock's keep bits from the drawn centres (SPEC.md 10.5): x seen as
 * planes of h rows of w positions of e consecutive elements (channels
 * first: e = 1; channels last: e = C). Drawn bit 0 (dropped at gamma) at a
 * valid position is a centre; element (h, w) is dropped iff a centre lies
 * in rows h - k div 2 .. h + (k - 1 - k div 2) and the same columns. One
 * mask byte per thread and turn; the kept count is added to *kept. */
FD_DEV void fd_gpu_block_body(const fd_u8 *drawn, fd_u8 *keep, unsigned long long *kept,
                              uint64_t n, uint64_t h, uint64_t w, uint64_t e, uint64_t k)
{
    const uint64_t up = k / 2, down = k - 1 - k / 2;
    const uint64_t vlo = k / 2, vhi_h = h - (k - 1) / 2, vhi_w = w - (k - 1) / 2;
    unsigned long long count = 0;
    FD_GPU_FOR_ELEMENTS(c, (n + 7) / 8) {
        unsigned byte = 0;
        for (unsigned j = 0; j < 8 && 8 * c + j < n; j++) {
            const uint64_t i = 8 * c + j, ch = i % e, q = i / e;
            const uint64_t col = q % w, row = (q / w) % h, plane = q / w / h;
            const uint64_t r0 = row >= up ? row - up : 0, c0 = col >= up ? col - up : 0;
            const uint64_t r1 = row + down + 1, c1 = col + down + 1;
            unsigned dropped = 0;
            for (uint64_t r = r0 > vlo ? r0 : vlo; r < r1 && r < vhi_h && !dropped; r++)
                for (uint64_t cc = c0 > vlo ? c0 : vlo; cc < c1 && cc < vhi_w; cc++)
                    if (!fd_gpu_bit(drawn, ((plane * h + r) * w + cc) * e + ch)) {
                        dropped = 1;
                        break;
                    }
            byte |= (dropped ^ 1u) << j;
            count += dropped ^ 1u;
        }
        keep[c] = (fd_u8)byte;
    }
    if (count)
        atomicAdd(kept, count);
}

/* ===   Entry points, per dtype (FD_GPU_F16, FD_GPU_F32, FD_GPU_F64, or
 *       FD_GPU_ALL for every one; FD_GPU_MASK for the mask alone)   === */

#define FD_GPU_DEFINE(sfx, D, CTYPE)                                                     \
    FD_KERNEL fd_gpu_dropout_##sfx(const D::U *x, D::U *y, fd_u8 *bits,                  \
                                   unsigned long long seed, unsigned long long offset,   \
                                   unsigned long long n, unsigned long long threshold,   \
                                   CTYPE scale, unsigned flags, unsigned segs)           \
    {                                                                                    \
        fd_gpu_stream_body<D, true>(x, y, bits, seed, offset, n, threshold, scale,       \
                                    flags, segs);                                        \
    }                                                                                    \
    FD_KERNEL fd_gpu_apply_bits_##sfx(const fd_u8 *bits, const D::U *x, D::U *y,         \
                                      unsigned long long n, CTYPE scale, unsigned flags) \
    {                                                                                    \
        fd_gpu_bits_body<D>(bits, x, y, n, scale, flags);                                \
    }                                                                                    \
    FD_KERNEL fd_gpu_noise_apply_##sfx(const fd_u8 *bits, const D::U *x, D::U *y,        \
                                       unsigned long long n,                             \
                                       const unsigned long long *axes, unsigned nd,      \
                                       CTYPE scale, unsigned flags)                      \
    {                                                                                    \
        fd_gpu_noise_body<D>(bits, x, y, n, axes, nd, scale, flags);                     \
    }                                                                                    \
    FD_KERNEL fd_gpu_noise_affine_##sfx(const fd_u8 *bits, const D::U *x, D::U *y,       \
                                        unsigned long long n,                            \
                                        const unsigned long long *axes, unsigned nd,     \
                                        CTYPE a, CTYPE b, CTYPE alpha)                   \
    {                                                                                    \
        fd_gpu_affine_body<D>(bits, x, y, n, axes, nd, a, b, alpha);                     \
    }                                                                                    \
    FD_KERNEL fd_gpu_add_##sfx(const D::U *x, const D::U *bias, D::U *t,                 \
                               unsigned long long n, unsigned long long period)          \
    {                                                                                    \
        fd_gpu_add_body<D>(x, bias, t, n, period);                                       \
    }

#if defined(FD_GPU_ALL) || defined(FD_GPU_F16)
FD_GPU_DEFINE(f16, fd_f16, float)
#endif
#if defined(FD_GPU_ALL) || defined(FD_GPU_F32)
FD_GPU_DEFINE(f32, fd_f32, float)
#endif
#if defined(FD_GPU_ALL) || defined(FD_GPU_F64)
FD_GPU_DEFINE(f64, fd_f64, double)
#endif
#if defined(FD_GPU_ALL) || defined(FD_GPU_MASK)
FD_KERNEL fd_gpu_mask_bits(fd_u8 *bits, unsigned long long seed, unsigned long long offset,
                           unsigned long long n, unsigned long long threshold, unsigned segs)
{
    fd_gpu_stream_body<fd_f32, false>(0, 0, bits, seed, offset, n, threshold, 0.0f, 0, segs);
}
FD_KERNEL fd_gpu_block_keep(const fd_u8 *drawn, fd_u8 *keep, unsigned long long *kept,
                            unsigned long long n, unsigned long long h, unsigned long long w,
                            unsigned long long e, unsigned long long k)
{
    fd_gpu_block_body(drawn, keep, kept, n, h, w, e, k);
}
#endif
