/*
 * fastdrop.h -- the public C API of fastdrop.
 *
 * A dropout mask bit is a pure function of (seed, element index); see SPEC.md
 * for the normative definition of the stream named FD_RNG_SPEC.
 *
 * Conventions for every function below:
 *   - returns FD_OK (0) or a negative FD_E* code; never prints, never aborts;
 *   - on error nothing has been written;
 *   - n == 0 is valid and writes nothing (the array pointers may then be
 *     NULL; the stream pointer may not);
 *   - arrays need only their element type's alignment (what NumPy's
 *     ALIGNED flag ensures), no vector alignment; x and y may be the same
 *     pointer (in place), other overlaps are undefined;
 *   - float16 data is passed as uint16_t (IEEE binary16 bits) and computed in
 *     float32, rounded once to nearest-even on store; bfloat16 data (the top
 *     16 bits of a binary32) likewise, as uint16_t, rounded once to
 *     nearest-even in integer arithmetic (a NaN keeps its sign and top
 *     payload bits, quieted: SPEC.md section 6);
 *   - large calls are split over OpenMP threads (see fd_set_num_threads);
 *     the results do not depend on the split;
 *   - the functions keep no state beyond the kernel choice and the thread
 *     setting, and are safe to call from any number of threads at once.
 */
#ifndef FASTDROP_H
#define FASTDROP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FD_RNG_SPEC "fastdrop-rng-v2"
#define FD_BLOCK 2048u            /* elements per independently seeded block */
#define FD_KEEP_ALL (UINT64_C(1) << 32)  /* threshold for p == 0 */

/* Status codes. */
#define FD_OK 0
#define FD_ENULL (-1)   /* a required pointer is NULL */
#define FD_ERANGE (-2)  /* index + n exceeds 2**64 */
#define FD_EARG (-3)    /* p, threshold or flags out of their domain */
#define FD_EISA (-4)    /* the requested kernel is not available on this CPU */

/* Flags for the dropout and apply functions. */
#define FD_SCALE 1u       /* kept elements are multiplied by scale (else copied) */
#define FD_ACCUMULATE 2u  /* y[i] += result for kept elements; dropped y[i] untouched */

/** Where the keep bits come from: element i of a call is global element
 *  index + i of the stream keyed by key, kept iff its uniform u32 < threshold. */
typedef struct fd_stream {
    uint64_t key;        /* fd_key(seed) */
    uint64_t index;      /* global element index of element 0 (the offset) */
    uint64_t threshold;  /* in [0, 2**32]: 0 drops all, 2**32 keeps all */
} fd_stream;

/** The stream key of a 64-bit seed (SPEC.md, step 1). */
uint64_t fd_key(uint64_t seed);

/** Keep threshold for drop probability p in [0, 1] (SPEC.md, keep rule).
 *  FD_EARG for p outside [0, 1] or NaN. */
int fd_threshold(double p, uint64_t *threshold);

/** u[i] = the 32-bit uniform of global element index + i (the threshold is
 *  not used, but FD_EARG if it exceeds 2**32, as everywhere). */
int fd_uniforms(const fd_stream *s, uint32_t *u, size_t n);

/** Packed keep bits of elements 0..n-1, little bit order, ceil(n/8) bytes;
 *  padding bits of the last byte are 0. */
int fd_mask_bits(const fd_stream *s, uint8_t *bits, size_t n);

/** Dropout with a generated mask: for kept i, y[i] = x[i] * scale (FD_SCALE)
 *  or x[i]; dropped y[i] = +0.0. With FD_ACCUMULATE the result of kept
 *  elements is added into y and dropped y[i] stay. bits (optional, may be
 *  NULL) receives the packed mask as fd_mask_bits writes it. Where two NaNs
 *  meet, which one results may differ between kernels: a NaN x[i] times a
 *  NaN scale, and (SPEC.md) a NaN result accumulated into a NaN y[i]. */
int fd_dropout_f16(const fd_stream *s, const uint16_t *x, uint16_t *y,
                   uint8_t *bits, size_t n, float scale, unsigned flags);
int fd_dropout_f32(const fd_stream *s, const float *x, float *y,
                   uint8_t *bits, size_t n, float scale, unsigned flags);
int fd_dropout_f64(const fd_stream *s, const double *x, double *y,
                   uint8_t *bits, size_t n, double scale, unsigned flags);
int fd_dropout_bf16(const fd_stream *s, const uint16_t *x, uint16_t *y,
                    uint8_t *bits, size_t n, float scale, unsigned flags);

/** As fd_dropout_*, with the keep bits read from a packed mask (bit i of
 *  bits is element i) instead of generated. */
int fd_apply_bits_f16(const uint8_t *bits, const uint16_t *x, uint16_t *y,
                      size_t n, float scale, unsigned flags);
int fd_apply_bits_f32(const uint8_t *bits, const float *x, float *y,
                      size_t n, float scale, unsigned flags);
int fd_apply_bits_f64(const uint8_t *bits, const double *x, double *y,
                      size_t n, double scale, unsigned flags);
int fd_apply_bits_bf16(const uint8_t *bits, const uint16_t *x, uint16_t *y,
                       size_t n, float scale, unsigned flags);

/* Kernels (instruction sets). */
typedef enum fd_isa { FD_ISA_SCALAR = 0, FD_ISA_AVX2, FD_ISA_AVX512, FD_ISA_COUNT } fd_isa;

/** Choose the kernels, once: FASTDROP_ISA if set ("scalar", "avx2" or
 *  "avx512"), else the best this CPU supports. FD_EARG for an unknown name,
 *  FD_EISA for an ISA this build or CPU cannot run; the error then sticks and
 *  every other function returns it until fd_set_isa succeeds. The other
 *  functions call it on first use. */
int fd_init(void);
/** Name of an ISA ("scalar", "avx2", "avx512"), or NULL if out of range. */
const char *fd_isa_name(int isa);
/** 1 if the kernel for isa is compiled in and this CPU and OS support it. */
int fd_isa_supported(int isa);
/** The best ISA this build and CPU support (FD_ISA_SCALAR at least). */
int fd_best_isa(void);
/** The ISA whose kernels the fd_dropout and fd_apply functions use, or -1
 *  if fd_init failed. */
int fd_active_isa(void);
/** Select the kernels; FD_EISA if unsupported (the active ISA is unchanged).
 *  Safe while other threads call fastdrop: a call that has started goes on
 *  with the kernels it found (every kernel gives the same bits). */
int fd_set_isa(int isa);

/* Threads. */

/** 1 if this build uses OpenMP, else 0 (every call then runs serially). */
int fd_openmp(void);
/** Threads for large calls: n > 0, or 0 for OpenMP's default at call time
 *  (OMP_NUM_THREADS, omp_set_num_threads, threadpoolctl). FD_EARG if n < 0. */
int fd_set_num_threads(int n);
/** Threads a large call would use now; 1 without OpenMP and in a process
 *  forked from one that loaded fastdrop (OpenMP pools do not survive fork). */
int fd_get_num_threads(void);

/* ===   Noise shapes (SPEC.md section 10): a mask broadcast over x   === */

#define FD_NOISE_MAX_DIMS 64  /* NumPy's limit */

/** A packed mask of `size` elements laid over an array of shape dims[0..ndim-1]
 *  (C order): the mask's shape is dims with 1 on every axis d where
 *  noise_axes[d] is 0, and element k of x takes the bit of the mask element
 *  it broadcasts from. size must be the product of the noise axes' lengths
 *  (FD_EARG otherwise). */
typedef struct fd_noise {
    const uint8_t *bits;       /* ceil(size / 8) bytes, little bit order */
    size_t size;               /* elements of the mask */
    int ndim;                  /* 0 .. FD_NOISE_MAX_DIMS */
    const size_t *dims;        /* x's shape */
    const uint8_t *noise_axes; /* 1: the mask varies along the axis; 0: broadcast */
} fd_noise;

/** fd_apply_bits_* with the mask broadcast over x (x and y have the shape
 *  dims, C-contiguous); one pass over x, no full-size mask. */
int fd_noise_apply_f16(const fd_noise *nz, const uint16_t *x, uint16_t *y, float scale,
                       unsigned flags);
int fd_noise_apply_f32(const fd_noise *nz, const float *x, float *y, float scale,
                       unsigned flags);
int fd_noise_apply_f64(const fd_noise *nz, const double *x, double *y, double scale,
                       unsigned flags);
int fd_noise_apply_bf16(const fd_noise *nz, const uint16_t *x, uint16_t *y, float scale,
                        unsigned flags);

/** The affine rule of alpha dropout under a broadcast mask: z = x where kept,
 *  alpha where dropped, y = fl(fl(a * z) + b) in the compute type (float32
 *  for float16 and bfloat16, rounded once to the dtype at the end). */
int fd_noise_affine_f16(const fd_noise *nz, const uint16_t *x, uint16_t *y, float a, float b,
                        float alpha);
int fd_noise_affine_f32(const fd_noise *nz, const float *x, float *y, float a, float b,
                        float alpha);
int fd_noise_affine_f64(const fd_noise *nz, const double *x, double *y, double a, double b,
                        double alpha);
int fd_noise_affine_bf16(const fd_noise *nz, const uint16_t *x, uint16_t *y, float a, float b,
                         float alpha);

/* ===   Windows (SPEC.md section 12): a block of a larger array   === */

#define FD_WINDOW_MAX_DIMS 64  /* NumPy's limit */

/** A block of shape shape[0..ndim-1] (C-contiguous) at origin[] in a global
 *  array of shape global_shape[] (C order): block element (i_0, .., i_{ndim-1})
 *  is global element sum_d (origin[d] + i_d) * stride[d], stride the global
 *  C-order strides, and so takes stream element index + that. FD_EARG unless
 *  origin[d] + shape[d] <= global_shape[d] on every axis; FD_ERANGE if a
 *  stream index of the block passes 2**64 - 1. A window equal to the whole
 *  array (origin 0, shapes equal) is the plain call. */
typedef struct fd_window {
    int ndim;                      /* 0 .. FD_WINDOW_MAX_DIMS */
    const size_t *shape;           /* the block's shape (x, y and bits) */
    const uint64_t *global_shape;  /* the whole array's shape */
    const uint64_t *origin;        /* the block's first element in it */
} fd_window;

/** fd_mask_bits of the block: bit k (block C order) is the keep bit of block
 *  element k; ceil(n / 8) bytes for n block elements, padding bits 0. */
int fd_window_mask_bits(const fd_stream *s, const fd_window *w, uint8_t *bits);

/** fd_dropout_* of the block: x, y (and bits, optional) in the block's C
 *  order, each element under its global stream element. */
int fd_window_dropout_f16(const fd_stream *s, const fd_window *w, const uint16_t *x,
                          uint16_t *y, uint8_t *bits, float scale, unsigned flags);
int fd_window_dropout_bf16(const fd_stream *s, const fd_window *w, const uint16_t *x,
                           uint16_t *y, uint8_t *bits, float scale, unsigned flags);
int fd_window_dropout_f32(const fd_stream *s, const fd_window *w, const float *x, float *y,
                          uint8_t *bits, float scale, unsigned flags);
int fd_window_dropout_f64(const fd_stream *s, const fd_window *w, const double *x, double *y,
                          uint8_t *bits, double scale, unsigned flags);

/* ===   DropBlock (SPEC.md section 10.5)   === */

/** DropBlock's keep mask from its drawn centres: x is `planes` maps of h rows
 *  of w positions, each of e consecutive elements (C order: channels first
 *  is planes N*C, e 1; channels last planes N, e C), n = planes*h*w*e
 *  elements. drawn holds fd_mask_bits at drop probability gamma; a valid
 *  centre (row and position at least k div 2 from the map's start and less
 *  than h - (k-1) div 2 or w - (k-1) div 2) whose bit is 0 drops the k x k
 *  positions around it (rows i - (k-1-k div 2) .. i + k div 2, positions
 *  likewise), in every one of its e elements. keep (ceil(n/8) bytes, not
 *  overlapping drawn, padding bits 0) gets 1 for the elements no centre
 *  drops, and *kept their count. When n > 0: FD_EARG unless
 *  1 <= k <= min(h, w), FD_ERANGE if n passes 2**58. */
int fd_block_keep_bits(const uint8_t *drawn, uint8_t *keep, size_t planes, size_t h, size_t w,
                       size_t e, size_t k, uint64_t *kept);

/** fd_block_keep_bits with the centres drawn from s (the drop probability
 *  gamma's threshold in s->threshold, element 0 at s->index), without
 *  their whole packed array: the map is cut into bands whose centres are
 *  drawn where they are used. A window too wide for the bands ((k - 1) *
 *  (w + 1) * e over about 2**17 bits) needs scratch, ceil(n/8) bytes not
 *  overlapping keep, where the centres are drawn first (FD_ENULL without
 *  it; scratch may be NULL otherwise). The same bits and count as
 *  fd_mask_bits followed by fd_block_keep_bits; fd_mask_bits's stream
 *  errors. */
int fd_block_keep_bits_stream(const fd_stream *s, uint8_t *keep, uint8_t *scratch,
                              size_t planes, size_t h, size_t w, size_t e, size_t k,
                              uint64_t *kept);

/* ===   Dropout-add (SPEC.md section 10.4)   === */

/** y = residual + dropout(x + bias) in one pass: t = x[i], or with a bias
 *  fl(x[i] + bias[i % bias_len]) (float16 and bfloat16 summed in float32,
 *  rounded once); kept y[i] = fl(residual[i] + fl(t * scale)) (section 6's
 *  accumulation, the product in float32 for the 16-bit types), dropped
 *  y[i] = residual[i] bit for bit. bits (optional, may be NULL) receives the
 *  packed mask of t, as fd_dropout_* writes it. y may be x or residual (in
 *  place) but must not otherwise overlap x, residual or bias. FD_EARG for a
 *  bias with bias_len 0. */
int fd_dropout_add_f16(const fd_stream *s, const uint16_t *x, const uint16_t *residual,
                       const uint16_t *bias, size_t bias_len, uint16_t *y, uint8_t *bits,
                       size_t n, float scale);
int fd_dropout_add_f32(const fd_stream *s, const float *x, const float *residual,
                       const float *bias, size_t bias_len, float *y, uint8_t *bits, size_t n,
                       float scale);
int fd_dropout_add_f64(const fd_stream *s, const double *x, const double *residual,
                       const double *bias, size_t bias_len, double *y, uint8_t *bits, size_t n,
                       double scale);
int fd_dropout_add_bf16(const fd_stream *s, const uint16_t *x, const uint16_t *residual,
                        const uint16_t *bias, size_t bias_len, uint16_t *y, uint8_t *bits,
                        size_t n, float scale);

#ifdef __cplusplus
}
#endif
#endif /* FASTDROP_H */
