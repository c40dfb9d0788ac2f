/* fd_config.h -- portability macros shared by every fastdrop C file. */
#ifndef FD_CONFIG_H
#define FD_CONFIG_H

#if defined(_MSC_VER)
#define FD_INLINE static __inline
#else
#define FD_INLINE static inline
#endif

#define FD_MIN(a, b) ((a) < (b) ? (a) : (b))

#endif /* FD_CONFIG_H */
