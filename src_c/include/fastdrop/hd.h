/*
 * fastdrop/hd.h -- FD_HD, the storage class of every function in the
 * fastdrop stream headers (rng.h, rules.h, half.h).
 *
 * The headers compile both as C (C99 or later) and as CUDA C++: under nvcc
 * their functions are `__host__ __device__ inline`, so host code and device
 * kernels share one definition of the stream; under a C compiler they are
 * `static inline`. They include nothing but <stdint.h> (no libc calls, no
 * fastdrop.h), so they also build with NVRTC given a stdint.h.
 */
#ifndef FASTDROP_HD_H
#define FASTDROP_HD_H

#include <stdint.h>

#if defined(__CUDACC__)
#define FD_HD __host__ __device__ inline
#elif defined(_MSC_VER) && !defined(__cplusplus)
#define FD_HD static __inline
#else
#define FD_HD static inline
#endif

/* The headers' floating-point arithmetic, each operation rounded once to
 * nearest. A CUDA build may define these before including the headers
 * (src_c/cuda/kernels.cu does: instructions that keep subnormals under
 * CuPy's -ftz=true and are never fused into an FMA); C uses the operators. */
#ifndef FD_MUL_F32
#define FD_MUL_F32(a, b) ((a) * (b))
#define FD_ADD_F32(a, b) ((a) + (b))
#define FD_MUL_F64(a, b) ((a) * (b))
#define FD_ADD_F64(a, b) ((a) + (b))
#endif

/* FD_OPAQUE_INT(v): leaves the integer variable v as it is, but hides its value
 * from the optimizer. The accumulating rules select between the bits of
 * y + v and of y under an all-ones-or-zero mask; a compiler that sees the
 * mask's two values may rewrite that select as y + (keep ? v : -0.0),
 * which is y for every y except a signalling NaN, which it quiets (clang
 * does, from -O1). SPEC.md says a dropped element keeps its bits, so the
 * mask goes through FD_OPAQUE_INT first. Device code adds with __fadd_rn and
 * friends (kernels.cu), which are not folded so. */
#if defined(__GNUC__) && !defined(__CUDA_ARCH__)
#define FD_OPAQUE_INT(v) __asm__("" : "+r"(v))
#else
#define FD_OPAQUE_INT(v) ((void)0)
#endif

#endif /* FASTDROP_HD_H */
