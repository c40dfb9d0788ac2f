/*
 * fd_normal.c -- entry points of the normal stream (fastdrop_normal.h):
 * argument checks, then the scalar loops below over ranges that
 * fd_parallel_for hands out. Each element is a pure function of its stream
 * index (fastdrop/normal.h), so the split does not change a bit.
 */
#include "fastdrop.h"
#include "fastdrop_normal.h"
#include "fastdrop/normal.h"
#include "fd_parallel.h"

typedef char fd_normal_name_agrees[sizeof FD_NORMAL_SPEC == sizeof FD_NORMAL_NAME ? 1 : -1];

typedef struct fd_normal_call {
    uint64_t kn;    /* the normal key */
    uint64_t index; /* stream element of element 0 */
    const void *x;
    void *y;
    double sigma;
} fd_normal_call;

static void range_normals_f64(void *c_, size_t lo, size_t hi)
{
    const fd_normal_call *c = (const fd_normal_call *)c_;
    double *z = (double *)c->y;
    for (size_t i = lo; i < hi; i++)
        z[i] = fd_normal_at(c->kn, c->index + i);
}

static void range_normals_f32(void *c_, size_t lo, size_t hi)
{
    const fd_normal_call *c = (const fd_normal_call *)c_;
    float *z = (float *)c->y;
    for (size_t i = lo; i < hi; i++)
        z[i] = (float)fd_normal_at(c->kn, c->index + i);
}

static void range_gaussian_f64(void *c_, size_t lo, size_t hi)
{
    const fd_normal_call *c = (const fd_normal_call *)c_;
    const double *x = (const double *)c->x;
    double *y = (double *)c->y;
    const double sigma = c->sigma;
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
    fd_normal_call c = {fd_normal_key(key), index, x, y, sigma};
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
