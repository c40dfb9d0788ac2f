/*
 * fd_normal.c -- entry points of the normal stream (fastdrop_normal.h):
 * argument checks, then the kernel of the active ISA over ranges that
 * fd_parallel_for hands out: the AVX-512 kernels of
 * kernels/fd_normal_avx512.c when it is avx512, the AVX2 kernels of
 * kernels/fd_normal_avx2.c when it is avx2, else the scalar loops below
 * (the reference). Each element is a pure function of its stream index
 * (fastdrop/normal.h), so neither the split nor the kernel changes a bit.
 */
#include "fastdrop.h"
#include "fastdrop_normal.h"
#include "fastdrop/normal.h"
#include "fd_parallel.h"
#include "kernels/fd_normal_kernels.h"

typedef char fd_normal_name_agrees[sizeof FD_NORMAL_SPEC == sizeof FD_NORMAL_NAME ? 1 : -1];

typedef struct fd_normal_call {
    uint64_t kn;    /* the normal key */
    uint64_t index; /* stream element of element 0 */
    const void *x;
    void *y;
    double sigma;
    int isa; /* the active ISA (fd_isa) */
} fd_normal_call;

/* The vector kernel fn##_avx512 or fn##_avx2 of the active ISA, where
 * compiled in, on the arguments args; the scalar loop after it otherwise. */
#if FD_NORMAL_HAVE_AVX512
#define FD_VEC_AVX512(fn, args)          \
    if (c->isa == FD_ISA_AVX512) {       \
        fn##_avx512 args;                \
        return;                          \
    }
#else
#define FD_VEC_AVX512(fn, args)
#endif
#if FD_NORMAL_HAVE_AVX2
#define FD_VEC_AVX2(fn, args)            \
    if (c->isa == FD_ISA_AVX2) {         \
        fn##_avx2 args;                  \
        return;                          \
    }
#else
#define FD_VEC_AVX2(fn, args)
#endif
#define FD_VEC(fn, args) FD_VEC_AVX512(fn, args) FD_VEC_AVX2(fn, args)

static void range_normals_f64(void *c_, size_t lo, size_t hi)
{
    const fd_normal_call *c = (const fd_normal_call *)c_;
    double *z = (double *)c->y;
    FD_VEC(fd_normals_f64, (c->kn, c->index + lo, z + lo, hi - lo))
    for (size_t i = lo; i < hi; i++)
        z[i] = fd_normal_at(c->kn, c->index + i);
}

static void range_normals_f32(void *c_, size_t lo, size_t hi)
{
    const fd_normal_call *c = (const fd_normal_call *)c_;
    float *z = (float *)c->y;
    FD_VEC(fd_normals_f32, (c->kn, c->index + lo, z + lo, hi - lo))
    for (size_t i = lo; i < hi; i++)
        z[i] = (float)fd_normal_at(c->kn, c->index + i);
}

static void range_gaussian_f64(void *c_, size_t lo, size_t hi)
{
    const fd_normal_call *c = (const fd_normal_call *)c_;
    const double *x = (const double *)c->x;
    double *y = (double *)c->y;
    const double sigma = c->sigma;
    FD_VEC(fd_gaussian_f64, (c->kn, c->index + lo, x + lo, y + lo, hi - lo, sigma))
    for (size_t i = lo; i < hi; i++) {
        const double z = fd_normal_at(c->kn, c->index + i);
        y[i] = x[i] * (1.0 + sigma * z);
    }
}

static void range_gaussian_f32(void *c_, size_t lo, size_t hi)
{
    const fd_normal_call *c = (const fd_normal_call *)c_;
    const float *x = (const float *)c->x;
    float *y = (float *)c->y;
    const float sigma = (float)c->sigma;
    FD_VEC(fd_gaussian_f32, (c->kn, c->index + lo, x + lo, y + lo, hi - lo, sigma))
    for (size_t i = lo; i < hi; i++) {
        const float z = (float)fd_normal_at(c->kn, c->index + i);
        y[i] = x[i] * (1.0f + sigma * z);
    }
}

/* Elements index .. index + n - 1 must all be below 2**64. */
static int check_range(uint64_t index, size_t n)
{
    return (n > 0 && (uint64_t)(n - 1) > UINT64_MAX - index) ? FD_ERANGE : FD_OK;
}

static int run(uint64_t key, uint64_t index, const void *x, void *y, size_t n,
               double sigma, fd_range_fn fn)
{
    int rc = check_range(index, n);
    if (rc || n == 0)
        return rc;
    if (!y)
        return FD_ENULL;
    if (!(sigma >= 0.0 && sigma <= 1.7976931348623157e308))
        return FD_EARG; /* negative, infinite or NaN */
    const int isa = fd_active_isa();
    if (isa < 0)
        return fd_init();
    fd_normal_call c = {fd_normal_key(key), index, x, y, sigma, isa};
    fd_parallel_for(n, fn, &c);
    return FD_OK;
}

int fd_normals_f64(uint64_t key, uint64_t index, double *z, size_t n)
{
    return run(key, index, NULL, z, n, 0.0, range_normals_f64);
}

int fd_normals_f32(uint64_t key, uint64_t index, float *z, size_t n)
{
    return run(key, index, NULL, z, n, 0.0, range_normals_f32);
}

int fd_gaussian_f64(uint64_t key, uint64_t index, const double *x, double *y,
                    size_t n, double sigma)
{
    if (n > 0 && !x)
        return FD_ENULL;
    return run(key, index, x, y, n, sigma, range_gaussian_f64);
}

int fd_gaussian_f32(uint64_t key, uint64_t index, const float *x, float *y,
                    size_t n, float sigma)
{
    if (n > 0 && !x)
        return FD_ENULL;
    return run(key, index, x, y, n, (double)sigma, range_gaussian_f32);
}

int fd_normal_words_f64(const uint64_t *h, double *z, size_t n)
{
    if (n == 0)
        return FD_OK;
    if (!h || !z)
        return FD_ENULL;
    const int isa = fd_active_isa();
    if (isa < 0)
        return fd_init();
#if FD_NORMAL_HAVE_AVX512
    if (isa == FD_ISA_AVX512) {
        fd_normal_words_avx512(h, z, n);
        return FD_OK;
    }
#endif
#if FD_NORMAL_HAVE_AVX2
    if (isa == FD_ISA_AVX2) {
        fd_normal_words_avx2(h, z, n);
        return FD_OK;
    }
#endif
    for (size_t i = 0; i < n; i++)
        z[i] = fd_normal_from_word(h[i]);
    return FD_OK;
}
