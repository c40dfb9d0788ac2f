/*
 * fd_noise.c -- a packed mask laid over a larger array: noise shapes
 * (SPEC.md section 10).
 *
 * The mask has one bit per element of the noise array, whose shape is x's
 * with 1 on the broadcast axes. Each call walks x once in C order: axes of
 * size 1 are dropped and neighbouring axes of the same kind (broadcast or
 * not) merged, so x becomes rows of its last merged axis. A row along a
 * broadcast axis has one keep bit for all its elements; a row along a
 * noise axis takes a run of consecutive mask bits. Rows go to the active
 * kernel row's apply-bits functions (SIMD) in pieces of FD_NOISE_PIECE
 * elements, with all-ones or all-zeros bits for a broadcast row and the
 * run's bits shifted to start on a byte otherwise, so no full-size mask is
 * ever made and the rules are those of every other call. Short rows along
 * a noise axis under a broadcast one (channels-last maps) go several at a
 * time from a piece with their bits repeated. The affine rule
 * (alpha dropout) goes through the row's affine_bits_* for float32 and
 * float64, and an element loop here for the 16-bit types.
 */
#include <stdint.h>
#include <string.h>
#include "fastdrop.h"
#include "fd_config.h"
#include "fd_dispatch.h"
#include "fd_parallel.h"
#include "fastdrop/half.h"
#include "fastdrop/rules.h"

#define FD_NOISE_PIECE 4096u /* elements per apply call; a multiple of 64 */

static const uint8_t fd_all_ones[FD_NOISE_PIECE / 8] = {
#define FD_X8 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF
#define FD_X64 FD_X8, FD_X8, FD_X8, FD_X8, FD_X8, FD_X8, FD_X8, FD_X8
    FD_X64, FD_X64, FD_X64, FD_X64, FD_X64, FD_X64, FD_X64, FD_X64
#undef FD_X64
#undef FD_X8
};
static const uint8_t fd_all_zeros[FD_NOISE_PIECE / 8] = {0};

enum { FD_T_F16, FD_T_F32, FD_T_F64, FD_T_BF16 };

/* A call: x in merged axes (row length dims[nd-1]), the mask's strides. */
typedef struct fd_ncall {
    const fd_kernel_row *k;
    const uint8_t *bits;
    size_t nbytes;
    int nd, type, affine, last_noise;
    size_t dims[FD_NOISE_MAX_DIMS];
    size_t nstride[FD_NOISE_MAX_DIMS]; /* mask elements per step; 0 on broadcast axes */
    const void *x;
    void *y;
    double scale, a, b, alpha;
    unsigned flags;
} fd_ncall;

/* The affine rule of the 16-bit types, in float32, rounded once (SPEC.md
 * 10.3); float32 and float64 use the kernel row's affine_bits_*. */
static void affine_f16(const uint8_t *bits, const uint16_t *x, uint16_t *y, size_t n, float a,
                       float b, float alpha)
{
    for (size_t i = 0; i < n; i++) {
        const float z = (bits[i / 8] >> (i % 8)) & 1u ? fd_half_to_float(x[i]) : alpha;
        y[i] = fd_float_to_half(fd_affine_f32(z, a, b));
    }
}

static void affine_bf16(const uint8_t *bits, const uint16_t *x, uint16_t *y, size_t n, float a,
                        float b, float alpha)
{
    for (size_t i = 0; i < n; i++) {
        const float z = (bits[i / 8] >> (i % 8)) & 1u ? fd_bf16_to_float(x[i]) : alpha;
        y[i] = fd_float_to_bf16(fd_affine_f32(z, a, b));
    }
}

/* Elements i .. i+n-1 of x under n bits starting on a byte (n <= FD_NOISE_PIECE
 * where they come from a piece buffer). */
static void run(const fd_ncall *c, const uint8_t *bits, size_t i, size_t n)
{
    switch (c->type) {
    case FD_T_F32:
        if (c->affine)
            c->k->affine_bits_f32(bits, (const float *)c->x + i, (float *)c->y + i, n,
                                  (float)c->a, (float)c->b, (float)c->alpha, c->flags);
        else
            c->k->apply_bits_f32(bits, (const float *)c->x + i, (float *)c->y + i, n,
                                 (float)c->scale, c->flags);
        break;
    case FD_T_F64:
        if (c->affine)
            c->k->affine_bits_f64(bits, (const double *)c->x + i, (double *)c->y + i, n,
                                  c->a, c->b, c->alpha, c->flags);
        else
            c->k->apply_bits_f64(bits, (const double *)c->x + i, (double *)c->y + i, n,
                                 c->scale, c->flags);
        break;
    case FD_T_BF16:
        if (c->affine)
            affine_bf16(bits, (const uint16_t *)c->x + i, (uint16_t *)c->y + i, n, (float)c->a,
                        (float)c->b, (float)c->alpha);
        else
            c->k->apply_bits_bf16(bits, (const uint16_t *)c->x + i, (uint16_t *)c->y + i, n,
                                  (float)c->scale, c->flags);
        break;
    default:
        if (c->affine)
            affine_f16(bits, (const uint16_t *)c->x + i, (uint16_t *)c->y + i, n, (float)c->a,
                       (float)c->b, (float)c->alpha);
        else
            c->k->apply_bits_f16(bits, (const uint16_t *)c->x + i, (uint16_t *)c->y + i, n,
                                 (float)c->scale, c->flags);
        break;
    }
}

/* n elements from i under one keep bit. */
static void run_const(const fd_ncall *c, unsigned keep, size_t i, size_t n)
{
    const uint8_t *src = keep ? fd_all_ones : fd_all_zeros;
    while (n) {
        const size_t m = FD_MIN(n, (size_t)FD_NOISE_PIECE);
        run(c, src, i, m);
        i += m;
        n -= m;
    }
}

/* n elements from i under the mask bits j .. j+n-1. */
static void run_bits(const fd_ncall *c, size_t j, size_t i, size_t n)
{
    if (j % 8 == 0) {
        run(c, c->bits + j / 8, i, n);
        return;
    }
    uint8_t piece[FD_NOISE_PIECE / 8];
    const unsigned sh = (unsigned)(j % 8);
    while (n) {
        const size_t m = FD_MIN(n, (size_t)FD_NOISE_PIECE), b0 = j / 8;
        for (size_t q = 0; 8 * q < m; q++) {
            const unsigned lo = c->bits[b0 + q] >> sh;
            const unsigned hi = b0 + q + 1 < c->nbytes ? (unsigned)c->bits[b0 + q + 1] << (8 - sh) : 0u;
            piece[q] = (uint8_t)(lo | hi);
        }
        run(c, piece, i, m);
        i += m;
        j += m;
        n -= m;
    }
}

/* Rows of fewer than FD_NOISE_PIECE / 2 elements that repeat along the
 * broadcast axis above them (channels-last maps: the same C bits for every
 * pixel) go to the kernel several rows at a time, from a piece holding the
 * row's bits repeated. */
typedef struct fd_tile {
    size_t j;        /* first mask bit of the row it holds; SIZE_MAX: none yet */
    size_t rows;     /* rows it holds */
    uint8_t bits[FD_NOISE_PIECE / 8];
} fd_tile;

static void tile_fill(const fd_ncall *c, fd_tile *t, size_t j, size_t len)
{
    const size_t rows = FD_NOISE_PIECE / len;
    memset(t->bits, 0, sizeof t->bits);
    for (size_t k = 0; k < len; k++) {
        if (!((c->bits[(j + k) / 8] >> ((j + k) % 8)) & 1u))
            continue;
        for (size_t r = 0; r < rows; r++) {
            const size_t q = r * len + k;
            t->bits[q / 8] |= (uint8_t)(1u << (q % 8));
        }
    }
    t->j = j;
    t->rows = rows;
}

static void range_noise(void *c_, size_t lo, size_t hi)
{
    const fd_ncall *c = (const fd_ncall *)c_;
    const size_t len = c->dims[c->nd - 1];
    const int tiled = c->last_noise && c->nd >= 2 && c->nstride[c->nd - 2] == 0
                      && len < FD_NOISE_PIECE / 2;
    fd_tile tile;
    tile.j = SIZE_MAX;
    size_t i = lo;
    while (i < hi) {
        const size_t inner = i % len;
        size_t outer = i / len, j = 0;
        const size_t above = tiled ? c->dims[c->nd - 2] - outer % c->dims[c->nd - 2] : 0;
        for (int d = c->nd - 2; d >= 0; d--) {
            j += (outer % c->dims[d]) * c->nstride[d];
            outer /= c->dims[d];
        }
        if (tiled && inner == 0 && hi - i >= 2 * len && above >= 2) {
            /* whole rows sharing j: as many as the piece, the axis and the range allow */
            if (tile.j != j)
                tile_fill(c, &tile, j, len);
            size_t rows = FD_MIN(FD_MIN(tile.rows, above), (hi - i) / len);
            run(c, tile.bits, i, rows * len);
            i += rows * len;
            continue;
        }
        const size_t n = FD_MIN(len - inner, hi - i);
        if (c->last_noise)
            run_bits(c, j + inner, i, n);
        else
            run_const(c, (c->bits[j / 8] >> (j % 8)) & 1u, i, n);
        i += n;
    }
}

/* Merges x's axes (see the file comment) and checks the mask's size. */
static int setup(fd_ncall *c, const fd_noise *nz, size_t *n_out)
{
    if (!nz || (nz->ndim > 0 && (!nz->dims || !nz->noise_axes)))
        return FD_ENULL;
    if (nz->ndim < 0 || nz->ndim > FD_NOISE_MAX_DIMS)
        return FD_EARG;
    size_t n = 1;
    int nd = 0, kind = -1;
    for (int d = 0; d < nz->ndim; d++) {
        const size_t len = nz->dims[d];
        if (len != 0 && n > SIZE_MAX / len)
            return FD_EARG;
        n *= len;
        if (len == 1)
            continue;
        const int noise = nz->noise_axes[d] != 0;
        if (noise == kind) {
            c->dims[nd - 1] *= len;
        } else {
            c->dims[nd] = len;
            c->nstride[nd] = (size_t)noise; /* a flag for now */
            nd++;
            kind = noise;
        }
    }
    if (nd == 0) { /* one element (or a 0-d array) */
        c->dims[0] = 1;
        c->nstride[0] = 1;
        nd = 1;
    }
    size_t m = 1;
    for (int d = nd - 1; d >= 0; d--) {
        const int noise = c->nstride[d] != 0;
        c->nstride[d] = noise ? m : 0;
        if (noise)
            m *= c->dims[d];
    }
    *n_out = n;
    if (n == 0)
        return FD_OK;
    if (m != nz->size)
        return FD_EARG;
    c->nd = nd;
    c->last_noise = c->nstride[nd - 1] != 0;
    c->bits = nz->bits;
    c->nbytes = (m + 7) / 8;
    return nz->bits ? FD_OK : FD_ENULL;
}

static int launch(fd_ncall *c, const fd_noise *nz, const void *x, void *y, size_t esize)
{
    size_t n = 0;
    int rc = setup(c, nz, &n);
    if (rc || n == 0)
        return rc;
    if (!x || !y)
        return FD_ENULL;
    if (!c->affine && (c->flags & ~(FD_SCALE | FD_ACCUMULATE)))
        return FD_EARG;
    if (n * esize >= FD_STREAM_BYTES && !(c->flags & FD_ACCUMULATE))
        c->flags |= FD_STREAM;
    if (n * esize >= FD_PREFETCH_MIN_BYTES)
        c->flags |= FD_PREFETCH;
    c->k = fd_active_kernels();
    if (!c->k)
        return fd_init();
    c->x = x;
    c->y = y;
    fd_parallel_for(n, range_noise, c);
    return FD_OK;
}

#define FD_DEFINE_NOISE(sfx, T, CT, TYPE)                                     \
    int fd_noise_apply_##sfx(const fd_noise *nz, const T *x, T *y, CT scale,  \
                             unsigned flags)                                  \
    {                                                                         \
        fd_ncall c;                                                           \
        memset(&c, 0, sizeof c);                                              \
        c.type = TYPE;                                                        \
        c.scale = scale;                                                      \
        c.flags = flags;                                                      \
        return launch(&c, nz, x, y, sizeof(T));                               \
    }                                                                         \
    int fd_noise_affine_##sfx(const fd_noise *nz, const T *x, T *y, CT a,     \
                              CT b, CT alpha)                                 \
    {                                                                         \
        fd_ncall c;                                                           \
        memset(&c, 0, sizeof c);                                              \
        c.type = TYPE;                                                        \
        c.affine = 1;                                                         \
        c.a = a;                                                              \
        c.b = b;                                                              \
        c.alpha = alpha;                                                      \
        return launch(&c, nz, x, y, sizeof(T));                               \
    }

FD_DEFINE_NOISE(f16, uint16_t, float, FD_T_F16)
FD_DEFINE_NOISE(f32, float, float, FD_T_F32)
FD_DEFINE_NOISE(f64, double, double, FD_T_F64)
FD_DEFINE_NOISE(bf16, uint16_t, float, FD_T_BF16)
