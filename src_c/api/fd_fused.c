/*
 * fd_fused.c -- dropout-add in one pass over memory (SPEC.md section 10.4):
 * y = residual + dropout(x + bias), the bias-dropout-add of transformer
 * blocks.
 *
 * The call is split by fd_parallel_for; each thread walks its range in
 * chunks of FD_FUSED_CHUNK bytes (whole 2048-element blocks for float32
 * and float16, one block for float64), so a chunk's operands stay in the
 * first-level cache between the steps:
 *   1. t = x + bias for the chunk, into a stack buffer (only with a bias:
 *      a periodic bias, element i taking bias[i % bias_len]; float16 and
 *      bfloat16 sum in float32, rounded once);
 *   2. the residual chunk is the accumulator: copied into y (or into a
 *      stack buffer when y is x without a bias, or when y goes out with
 *      non-temporal stores), or y itself when y is residual;
 *   3. the active kernel row's dropout with FD_SCALE | FD_ACCUMULATE adds
 *      fl(t * scale) into the kept elements (section 6's accumulation) and
 *      writes the chunk's mask bits;
 *   4. a stack buffer goes out to y, with non-temporal stores where y is
 *      much larger than the caches (FD_STREAM_BYTES) and 16-byte aligned.
 * Each element is read once from x and residual and written once to y, so
 * the call moves the bytes of np.add(x, residual, out=y) (less the read for
 * ownership of y when it streams).
 */
#include <stdint.h>
#include <string.h>
#include "fastdrop.h"
#include "fd_checks.h"
#include "fd_config.h"
#include "fd_dispatch.h"
#include "fd_parallel.h"
#include "fastdrop/half.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define FD_FUSED_CHUNK 16384u /* bytes per chunk and per stack buffer */

typedef struct fd_fcall {
    const fd_kernel_row *k;
    fd_stream s;
    const void *x, *r, *bias;
    size_t bias_len;
    void *y;
    uint8_t *bits;
    double scale;
    int stream;   /* y goes out with non-temporal stores */
    int prefetch; /* the arrays are larger than the caches (FD_PREFETCH) */
} fd_fcall;


/* dst = src, n bytes; non-temporal where stream (dst 16-byte aligned). */
static void copy_out(void *dst, const void *src, size_t n, int stream)
{
#if defined(__SSE2__)
    if (stream) {
        size_t i = 0;
        for (; i + 64 <= n; i += 64) {
            const __m128i *s = (const __m128i *)((const char *)src + i);
            __m128i *d = (__m128i *)((char *)dst + i);
            _mm_stream_si128(d, _mm_load_si128(s));
            _mm_stream_si128(d + 1, _mm_load_si128(s + 1));
            _mm_stream_si128(d + 2, _mm_load_si128(s + 2));
            _mm_stream_si128(d + 3, _mm_load_si128(s + 3));
        }
        memcpy((char *)dst + i, (const char *)src + i, n - i);
        return;
    }
#else
    (void)stream;
#endif
    memcpy(dst, src, n);
}

static void fence(int stream)
{
#if defined(__SSE2__)
    if (stream)
        _mm_sfence();
#else
    (void)stream;
#endif
}

/* t[i] = fl(x[i] + bias[(at + i) % len]), i < m: runs of the bias between
 * its wrap points, so the inner loop is a plain vectorisable sum. */
#define FD_DEFINE_BIAS(sfx, T, ADD)                                           \
    static void add_bias_##sfx(const T *x, const T *bias, size_t len,         \
                               size_t at, size_t m, T *t)                     \
    {                                                                         \
        size_t j = at % len, i = 0;                                           \
        while (i < m) {                                                       \
            const size_t run = FD_MIN(m - i, len - j);                        \
            const T *b = bias + j;                                            \
            for (size_t q = 0; q < run; q++)                                  \
                t[i + q] = ADD(x[i + q], b[q]);                               \
            i += run;                                                         \
            j = 0;                                                            \
        }                                                                     \
    }

#define FD_ADD_NATIVE(a, b) ((a) + (b))
#define FD_ADD_F16(a, b) fd_float_to_half(fd_half_to_float(a) + fd_half_to_float(b))
#define FD_ADD_BF16(a, b) fd_float_to_bf16(fd_bf16_to_float(a) + fd_bf16_to_float(b))

FD_DEFINE_BIAS(f16, uint16_t, FD_ADD_F16)
FD_DEFINE_BIAS(f32, float, FD_ADD_NATIVE)
FD_DEFINE_BIAS(f64, double, FD_ADD_NATIVE)
FD_DEFINE_BIAS(bf16, uint16_t, FD_ADD_BF16)

#define FD_DEFINE_FUSED(sfx, T, CT)                                           \
    static void range_add_##sfx(void *c_, size_t lo, size_t hi)               \
    {                                                                         \
        const fd_fcall *c = (const fd_fcall *)c_;                             \
        enum { CH = FD_FUSED_CHUNK / sizeof(T) };                             \
        typedef char chunk_whole_groups[(CH % 64u == 0) ? 1 : -1];            \
        _Alignas(64) T tbuf[CH];                                              \
        _Alignas(64) T rbuf[CH];                                              \
        const T *x = (const T *)c->x, *r = (const T *)c->r;                   \
        T *y = (T *)c->y;                                                     \
        /* the accumulator: y itself, unless x must be read from y first */   \
        /* or y streams out */                                                \
        const int buffered = c->stream || (y != r && y == x && !c->bias);     \
        for (size_t a = lo; a < hi; a += CH) {                                \
            const size_t m = FD_MIN((size_t)CH, hi - a);                      \
            const T *t = x + a;                                               \
            if (c->prefetch && a + CH < hi) {                                 \
                /* the next chunk of what the kernel does not read itself */  \
                if (c->bias)                                                  \
                    fd_prefetch_bytes(x + a, FD_FUSED_CHUNK, FD_FUSED_CHUNK); \
                if (y != r)                                                   \
                    fd_prefetch_bytes(r + a, FD_FUSED_CHUNK, FD_FUSED_CHUNK); \
            }                                                                 \
            if (c->bias) {                                                    \
                add_bias_##sfx(x + a, (const T *)c->bias, c->bias_len, a, m,  \
                               tbuf);                                         \
                t = tbuf;                                                     \
            }                                                                 \
            T *acc = buffered ? rbuf : y + a;                                 \
            if (acc != r + a)                                                 \
                memcpy(acc, r + a, m * sizeof(T));                            \
            fd_stream s = c->s;                                               \
            s.index += a;                                                     \
            c->k->dropout_##sfx(&s, t, acc, c->bits ? c->bits + a / 8 : NULL, \
                                m, (CT)c->scale,                              \
                                FD_SCALE | FD_ACCUMULATE | (c->prefetch ? FD_PREFETCH : 0u)); \
            if (buffered)                                                     \
                copy_out(y + a, rbuf, m * sizeof(T), c->stream);              \
        }                                                                     \
        (void)sizeof(chunk_whole_groups);                                     \
        fence(c->stream);                                                     \
    }                                                                         \
    int fd_dropout_add_##sfx(const fd_stream *s, const T *x, const T *residual, \
                             const T *bias, size_t bias_len, T *y,            \
                             uint8_t *bits, size_t n, CT scale)               \
    {                                                                         \
        fd_fcall c;                                                           \
        int rc = fd_check_stream(s, n);                                       \
        if (rc || n == 0)                                                     \
            return rc;                                                        \
        if (!x || !residual || !y)                                            \
            return FD_ENULL;                                                  \
        if (bias && bias_len == 0)                                            \
            return FD_EARG;                                                   \
        memset(&c, 0, sizeof c);                                              \
        c.k = fd_active_kernels();                                            \
        if (!c.k)                                                             \
            return fd_init();                                                 \
        c.s = *s;                                                             \
        c.x = x;                                                              \
        c.r = residual;                                                       \
        c.bias = bias;                                                        \
        c.bias_len = bias_len;                                                \
        c.y = y;                                                              \
        c.bits = bits;                                                        \
        c.scale = scale;                                                      \
        c.prefetch = n * sizeof(T) >= FD_PREFETCH_MIN_BYTES;                  \
        c.stream = n * sizeof(T) >= FD_STREAM_BYTES && y != residual          \
                   && ((uintptr_t)y & 15u) == 0;                              \
        fd_parallel_for(n, range_add_##sfx, &c);                              \
        return FD_OK;                                                         \
    }

FD_DEFINE_FUSED(f16, uint16_t, float)
FD_DEFINE_FUSED(f32, float, float)
FD_DEFINE_FUSED(f64, double, double)
FD_DEFINE_FUSED(bf16, uint16_t, float)
