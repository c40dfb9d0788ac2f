/*
 * fd_api.c -- the public entry points: check arguments, then run the active
 * kernels. Nothing is written unless every check has passed.
 */
#include "fastdrop.h"
#include "fd_dispatch.h"
#include "fd_checks.h"
#include "fd_parallel.h"
#include "fd_config.h"
#include "fastdrop/rules.h"

/* The stream headers restate these; they must agree. */
typedef char fd_block_agrees[(FD_BLOCK == 2048u) ? 1 : -1];
typedef char fd_flags_agree[(FD_RULE_SCALE == FD_SCALE && FD_RULE_ACCUMULATE == FD_ACCUMULATE
                              && FD_THRESHOLD_ALL == FD_KEEP_ALL) ? 1 : -1];
typedef char fd_name_agrees[sizeof FD_RNG_SPEC == sizeof FD_RNG_NAME ? 1 : -1];

uint64_t fd_key(uint64_t seed)
{
    return fd_stream_key(seed);
}

int fd_threshold(double p, uint64_t *threshold)
{
    if (!threshold)
        return FD_ENULL;
    return fd_threshold_of(p, threshold) ? FD_EARG : FD_OK; /* NaN too */
}

/* Elements index .. index + n - 1 must all be below 2**64. */
int fd_check_stream(const fd_stream *s, size_t n)
{
    if (!s)
        return FD_ENULL;
    if (s->threshold > FD_KEEP_ALL)
        return FD_EARG;
    if (n > 0 && (uint64_t)(n - 1) > UINT64_MAX - s->index)
        return FD_ERANGE;
    return FD_OK;
}

static int check_flags(unsigned flags)
{
    return (flags & ~(FD_SCALE | FD_ACCUMULATE)) ? FD_EARG : FD_OK;
}

/* The caller's flags plus FD_STREAM for outputs much larger than the caches
 * (never when accumulating: the output is read anyway), and FD_PREFETCH for
 * arrays larger than them. */
static unsigned kernel_flags(unsigned flags, size_t out_bytes)
{
    if (out_bytes >= FD_STREAM_BYTES && !(flags & FD_ACCUMULATE))
        flags |= FD_STREAM;
    if (out_bytes >= FD_PREFETCH_MIN_BYTES)
        flags |= FD_PREFETCH;
    return flags;
}

int fd_uniforms(const fd_stream *s, uint32_t *u, size_t n)
{
    int rc = fd_check_stream(s, n);
    if (rc || n == 0)
        return rc;
    if (!u)
        return FD_ENULL;
    fd_uniforms_scalar(s, u, n);
    return FD_OK;
}

/* A call's arguments, for the ranges fd_parallel_for hands each thread:
 * range [lo, hi) is stream elements index + lo .. and mask bytes lo / 8 ..
 * (lo is a multiple of FD_BLOCK). */
typedef struct fd_call {
    const fd_kernel_row *k;
    fd_stream s;
    const void *x;
    void *y;
    uint8_t *bits;
    const uint8_t *bits_in;
    double scale;
    unsigned flags;
} fd_call;

FD_INLINE fd_stream at(const fd_call *c, size_t lo)
{
    fd_stream s = c->s;
    s.index += lo;
    return s;
}

static void range_mask_bits(void *c_, size_t lo, size_t hi)
{
    const fd_call *c = (const fd_call *)c_;
    const fd_stream s = at(c, lo);
    c->k->mask_bits(&s, c->bits + lo / 8, hi - lo);
}

int fd_mask_bits(const fd_stream *s, uint8_t *bits, size_t n)
{
    int rc = fd_check_stream(s, n);
    if (rc || n == 0)
        return rc;
    if (!bits)
        return FD_ENULL;
    fd_call c = {fd_active_kernels(), *s, NULL, NULL, bits, NULL, 0.0, 0};
    if (!c.k)
        return fd_init();
    fd_parallel_for(n, range_mask_bits, &c);
    return FD_OK;
}

#define FD_DEFINE_ENTRY(sfx, T, CT)                                           \
    static void range_dropout_##sfx(void *c_, size_t lo, size_t hi)           \
    {                                                                         \
        const fd_call *c = (const fd_call *)c_;                               \
        const fd_stream s = at(c, lo);                                        \
        c->k->dropout_##sfx(&s, (const T *)c->x + lo, (T *)c->y + lo,         \
                            c->bits ? c->bits + lo / 8 : NULL, hi - lo,       \
                            (CT)c->scale, c->flags);                          \
    }                                                                         \
    static void range_apply_bits_##sfx(void *c_, size_t lo, size_t hi)        \
    {                                                                         \
        const fd_call *c = (const fd_call *)c_;                               \
        c->k->apply_bits_##sfx(c->bits_in + lo / 8, (const T *)c->x + lo,     \
                               (T *)c->y + lo, hi - lo, (CT)c->scale,         \
                               c->flags);                                     \
    }                                                                         \
    int fd_dropout_##sfx(const fd_stream *s, const T *x, T *y, uint8_t *bits, \
                         size_t n, CT scale, unsigned flags)                  \
    {                                                                         \
        int rc = fd_check_stream(s, n);                                       \
        if (!rc)                                                              \
            rc = check_flags(flags);                                          \
        if (rc || n == 0)                                                     \
            return rc;                                                        \
        if (!x || !y)                                                         \
            return FD_ENULL;                                                  \
        flags = kernel_flags(flags, n * sizeof(T));                           \
        fd_call c = {fd_active_kernels(), *s, x, y, bits, NULL, scale, flags}; \
        if (!c.k)                                                             \
            return fd_init();                                                 \
        fd_parallel_for(n, range_dropout_##sfx, &c);                          \
        return FD_OK;                                                         \
    }                                                                         \
    int fd_apply_bits_##sfx(const uint8_t *bits, const T *x, T *y, size_t n,  \
                            CT scale, unsigned flags)                         \
    {                                                                         \
        int rc = check_flags(flags);                                          \
        if (rc || n == 0)                                                     \
            return rc;                                                        \
        if (!bits || !x || !y)                                                \
            return FD_ENULL;                                                  \
        const fd_stream none = {0, 0, 0};                                     \
        flags = kernel_flags(flags, n * sizeof(T));                           \
        fd_call c = {fd_active_kernels(), none, x, y, NULL, bits, scale, flags}; \
        if (!c.k)                                                             \
            return fd_init();                                                 \
        fd_parallel_for(n, range_apply_bits_##sfx, &c);                       \
        return FD_OK;                                                         \
    }

FD_DEFINE_ENTRY(f16, uint16_t, float)
FD_DEFINE_ENTRY(f32, float, float)
FD_DEFINE_ENTRY(f64, double, double)
FD_DEFINE_ENTRY(bf16, uint16_t, float)
