/*
 * fastdrop/capi.h -- fastdrop's kernels for other Python extensions, with no
 * link step: a table of function pointers in a PyCapsule.
 *
 * The extension module fastdrop._core (which owns the kernel choice and the
 * thread setting) publishes one fd_capi table as its attribute _C_API, a
 * capsule named FD_CAPI_NAME. Another C or C++ extension includes this
 * header (include dir: fastdrop.get_include()), calls fd_capi_import() once
 * with the GIL held, say in its module init, and then calls the kernels
 * through the table from any thread, with or without the GIL:
 *
 *     static const fd_capi *fd;
 *     ...
 *     fd = fd_capi_import();
 *     if (fd == NULL)
 *         return NULL;               // ImportError (or the import's error) is set
 *     fd_stream s = {fd->key(seed), offset, 0};
 *     fd->threshold(p, &s.threshold);
 *     rc = fd->dropout_f32(&s, x, y, NULL, n, scale, FD_SCALE);
 *
 * Every function keeps the meaning, conventions and status codes of the
 * function named in the comment beside it (fastdrop.h, fastdrop_normal.h):
 * the same bits as fastdrop's Python API for the same (seed, offset, p).
 * Calling the fd_* functions of fastdrop.h directly needs a link step that
 * fastdrop does not offer; use the table.
 *
 * Versions. The table starts with its version (abi_major, abi_minor) and
 * its size in bytes (struct_size), then the pointers. The rule for changes:
 *   - a new function is a new pointer APPENDED at the end of the struct
 *     (never inserted, removed, reordered or retyped), and FD_CAPI_MINOR
 *     goes up by one; older consumers keep working unchanged;
 *   - any other change raises FD_CAPI_MAJOR and resets FD_CAPI_MINOR to 0;
 *     consumers built for another major refuse to import.
 * fd_capi_import() accepts a table of the same major whose minor is at
 * least the one this header was written for, and whose struct_size is at
 * least sizeof(fd_capi) here; a consumer built against an older header may
 * thus run with a newer fastdrop. Version 1.1 appended the bfloat16 kernels
 * (uint16_t bits, like float16's) and the windows of SPEC.md section 12.
 */
#ifndef FASTDROP_CAPI_H
#define FASTDROP_CAPI_H

#include <Python.h> /* first, as Python asks of every extension */
#include <stddef.h>
#include <stdint.h>

#include "fastdrop.h"
#include "fastdrop_normal.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FD_CAPI_NAME "fastdrop._core._C_API"
#define FD_CAPI_MAJOR 1u
#define FD_CAPI_MINOR 1u

typedef struct fd_capi {
    /* Version and size: these three fields stay first in every version. */
    uint32_t abi_major;   /* FD_CAPI_MAJOR of the fastdrop that made the table */
    uint32_t abi_minor;   /* FD_CAPI_MINOR of the same */
    size_t struct_size;   /* sizeof(fd_capi) there */

    /* Minor version 0. */
    const char *rng_spec;     /* FD_RNG_SPEC, the mask stream's name */
    const char *normal_spec;  /* FD_NORMAL_SPEC, the normal stream's name */

    uint64_t (*key)(uint64_t seed);                                /* fd_key */
    int (*threshold)(double p, uint64_t *threshold);               /* fd_threshold */
    int (*uniforms)(const fd_stream *s, uint32_t *u, size_t n);    /* fd_uniforms */
    int (*mask_bits)(const fd_stream *s, uint8_t *bits, size_t n); /* fd_mask_bits */

    int (*dropout_f16)(const fd_stream *s, const uint16_t *x, uint16_t *y, uint8_t *bits,
                       size_t n, float scale, unsigned flags);     /* fd_dropout_f16 */
    int (*dropout_f32)(const fd_stream *s, const float *x, float *y, uint8_t *bits,
                       size_t n, float scale, unsigned flags);     /* fd_dropout_f32 */
    int (*dropout_f64)(const fd_stream *s, const double *x, double *y, uint8_t *bits,
                       size_t n, double scale, unsigned flags);    /* fd_dropout_f64 */
    int (*apply_bits_f16)(const uint8_t *bits, const uint16_t *x, uint16_t *y, size_t n,
                          float scale, unsigned flags);            /* fd_apply_bits_f16 */
    int (*apply_bits_f32)(const uint8_t *bits, const float *x, float *y, size_t n,
                          float scale, unsigned flags);            /* fd_apply_bits_f32 */
    int (*apply_bits_f64)(const uint8_t *bits, const double *x, double *y, size_t n,
                          double scale, unsigned flags);           /* fd_apply_bits_f64 */

    int (*noise_apply_f16)(const fd_noise *nz, const uint16_t *x, uint16_t *y, float scale,
                           unsigned flags);                        /* fd_noise_apply_f16 */
    int (*noise_apply_f32)(const fd_noise *nz, const float *x, float *y, float scale,
                           unsigned flags);                        /* fd_noise_apply_f32 */
    int (*noise_apply_f64)(const fd_noise *nz, const double *x, double *y, double scale,
                           unsigned flags);                        /* fd_noise_apply_f64 */
    int (*noise_affine_f16)(const fd_noise *nz, const uint16_t *x, uint16_t *y, float a,
                            float b, float alpha);                 /* fd_noise_affine_f16 */
    int (*noise_affine_f32)(const fd_noise *nz, const float *x, float *y, float a, float b,
                            float alpha);                          /* fd_noise_affine_f32 */
    int (*noise_affine_f64)(const fd_noise *nz, const double *x, double *y, double a,
                            double b, double alpha);               /* fd_noise_affine_f64 */

    const char *(*isa_name)(int isa);   /* fd_isa_name */
    int (*isa_supported)(int isa);      /* fd_isa_supported */
    int (*best_isa)(void);              /* fd_best_isa */
    int (*active_isa)(void);            /* fd_active_isa */
    int (*set_isa)(int isa);            /* fd_set_isa: the same state as fastdrop's Python API */
    int (*openmp)(void);                /* fd_openmp */
    int (*set_num_threads)(int n);      /* fd_set_num_threads: likewise shared */
    int (*get_num_threads)(void);       /* fd_get_num_threads */

    int (*normals_f64)(uint64_t key, uint64_t index, double *z, size_t n);  /* fd_normals_f64 */
    int (*normals_f32)(uint64_t key, uint64_t index, float *z, size_t n);   /* fd_normals_f32 */
    int (*gaussian_f64)(uint64_t key, uint64_t index, const double *x, double *y, size_t n,
                        double sigma);                             /* fd_gaussian_f64 */
    int (*gaussian_f32)(uint64_t key, uint64_t index, const float *x, float *y, size_t n,
                        float sigma);                              /* fd_gaussian_f32 */
    int (*normal_words_f64)(const uint64_t *h, double *z, size_t n); /* fd_normal_words_f64 */

    /* Minor version 1: bfloat16 and windows. */
    int (*dropout_bf16)(const fd_stream *s, const uint16_t *x, uint16_t *y, uint8_t *bits,
                        size_t n, float scale, unsigned flags);    /* fd_dropout_bf16 */
    int (*apply_bits_bf16)(const uint8_t *bits, const uint16_t *x, uint16_t *y, size_t n,
                           float scale, unsigned flags);           /* fd_apply_bits_bf16 */
    int (*noise_apply_bf16)(const fd_noise *nz, const uint16_t *x, uint16_t *y, float scale,
                            unsigned flags);                       /* fd_noise_apply_bf16 */
    int (*noise_affine_bf16)(const fd_noise *nz, const uint16_t *x, uint16_t *y, float a,
                             float b, float alpha);                /* fd_noise_affine_bf16 */
    int (*window_mask_bits)(const fd_stream *s, const fd_window *w,
                            uint8_t *bits);                        /* fd_window_mask_bits */
    int (*window_dropout_f16)(const fd_stream *s, const fd_window *w, const uint16_t *x,
                              uint16_t *y, uint8_t *bits, float scale,
                              unsigned flags);                     /* fd_window_dropout_f16 */
    int (*window_dropout_bf16)(const fd_stream *s, const fd_window *w, const uint16_t *x,
                               uint16_t *y, uint8_t *bits, float scale,
                               unsigned flags);                    /* fd_window_dropout_bf16 */
    int (*window_dropout_f32)(const fd_stream *s, const fd_window *w, const float *x, float *y,
                              uint8_t *bits, float scale,
                              unsigned flags);                     /* fd_window_dropout_f32 */
    int (*window_dropout_f64)(const fd_stream *s, const fd_window *w, const double *x,
                              double *y, uint8_t *bits, double scale,
                              unsigned flags);                     /* fd_window_dropout_f64 */
    /* Minor version 2 and later: append here (see the rule above). */
} fd_capi;

/* The table of the fastdrop in this process, checked against the version
 * (major, minor) and the table size a consumer needs; NULL with a Python
 * exception set if fastdrop cannot be imported (its import error) or its
 * table does not fit (ImportError naming both versions). Needs the GIL. */
static inline const fd_capi *fd_capi_import_version(unsigned major, unsigned minor,
                                                    size_t size)
{
    const fd_capi *api = (const fd_capi *)PyCapsule_Import(FD_CAPI_NAME, 0);
    if (api == NULL)
        return NULL;
    if (api->abi_major != major || api->abi_minor < minor || api->struct_size < size) {
        PyErr_Format(PyExc_ImportError,
                     "fastdrop C API version mismatch: this extension needs %u.%u (table of "
                     "%zu bytes), the installed fastdrop has %u.%u (%zu bytes); rebuild the "
                     "extension against fastdrop.get_include() of the installed fastdrop",
                     major, minor, size, (unsigned)api->abi_major, (unsigned)api->abi_minor,
                     api->struct_size);
        return NULL;
    }
    return api;
}

/* fd_capi_import_version for the version of this header. */
static inline const fd_capi *fd_capi_import(void)
{
    return fd_capi_import_version(FD_CAPI_MAJOR, FD_CAPI_MINOR, sizeof(fd_capi));
}

#ifdef __cplusplus
}
#endif
#endif /* FASTDROP_CAPI_H */
