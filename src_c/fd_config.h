/* fd_config.h -- portability macros shared by every fastdrop C file. */
#ifndef FD_CONFIG_H
#define FD_CONFIG_H

#if defined(_MSC_VER)
#define FD_INLINE static __inline
#else
#define FD_INLINE static inline
#endif

/* Functions the compiler must inline, so that their constant arguments
 * (flags) specialise each copy. */
#if defined(__GNUC__) || defined(__clang__)
#define FD_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define FD_ALWAYS_INLINE FD_INLINE
#endif

/* The index of the lowest set bit of v != 0. */
#if defined(__GNUC__) || defined(__clang__)
#define FD_CTZ64(v) ((unsigned)__builtin_ctzll(v))
#else
static __inline unsigned FD_CTZ64(unsigned long long v)
{
    unsigned k = 0;
    while (!(v & 1u))
        v >>= 1, k++;
    return k;
}
#endif

/* A hint to fetch the cache line at p for reading (no fault, no effect on
 * results; nothing where the compiler has no such builtin). */
#if defined(__GNUC__) || defined(__clang__)
#define FD_PREFETCH_LINE(p) __builtin_prefetch((p), 0, 3)
#else
#define FD_PREFETCH_LINE(p) ((void)(p))
#endif

#define FD_MIN(a, b) ((a) < (b) ? (a) : (b))
#define FD_MAX(a, b) ((a) > (b) ? (a) : (b))

/* x86 with GCC or clang: vector kernels are compiled in, each inside a
 * target region, so the rest of the package keeps baseline x86-64 flags. */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define FD_X86_GNUC 1
#else
#define FD_X86_GNUC 0
#endif

#define FD_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define FD_TARGET_BEGIN(t) \
    FD_PRAGMA(clang attribute push(__attribute__((target(t))), apply_to = function))
#define FD_TARGET_END FD_PRAGMA(clang attribute pop)
#else
#define FD_TARGET_BEGIN(t) FD_PRAGMA(GCC push_options) FD_PRAGMA(GCC target(t))
#define FD_TARGET_END FD_PRAGMA(GCC pop_options)
#endif

#endif /* FD_CONFIG_H */
