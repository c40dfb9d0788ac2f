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

#endif /* FASTDROP_HD_H */
