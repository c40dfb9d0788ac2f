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

#endif /* FASTDROP_HD_H */
