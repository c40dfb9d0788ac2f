/*
 * fd_parallel.c -- the only place with OpenMP: a static split of a call
 * over whole blocks. Kernels see plain ranges, so results do not depend on
 * the thread count. Without OpenMP everything runs on the calling thread.
 */
#include "fastdrop.h"
#include "fd_parallel.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define FD_HAVE_ATFORK 1
#endif

static volatile int fd_threads = 0; /* 0: OpenMP's default at call time */
static volatile int fd_forked = 0;  /* set in a forked child: stay serial */

#ifdef FD_HAVE_ATFORK
static void fd_mark_child(void)
{
    fd_forked = 1;
}

static pthread_once_t fd_atfork_once = PTHREAD_ONCE_INIT;

static void fd_register_atfork(void)
{
    pthread_atfork(NULL, NULL, fd_mark_child);
}
#endif

int fd_openmp(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

int fd_set_num_threads(int n)
{
    if (n < 0)
        return FD_EARG;
    fd_threads = n;
    return FD_OK;
}

int fd_get_num_threads(void)
{
#ifdef _OPENMP
    if (fd_forked)
        return 1;
    return fd_threads > 0 ? fd_threads : omp_get_max_threads();
#else
    return 1;
#endif
}

void fd_parallel_for(size_t n, fd_range_fn fn, void *ctx)
{
#ifdef FD_HAVE_ATFORK
    pthread_once(&fd_atfork_once, fd_register_atfork);
#endif
    size_t nt = (size_t)fd_get_num_threads();
    if (nt > n / FD_MIN_PER_THREAD)
        nt = n / FD_MIN_PER_THREAD;
    if (nt <= 1) {
        fn(ctx, 0, n);
        return;
    }
#ifdef _OPENMP
    const size_t blocks = (n + FD_BLOCK - 1) / FD_BLOCK;
#pragma omp parallel num_threads((int)nt)
    {
        const size_t t = (size_t)omp_get_thread_num(), team = (size_t)omp_get_num_threads();
        const size_t lo = blocks * t / team * FD_BLOCK;
        size_t hi = blocks * (t + 1) / team * FD_BLOCK;
        if (hi > n)
            hi = n;
        if (lo < hi)
            fn(ctx, lo, hi);
    }
#else
    fn(ctx, 0, n);
#endif
}
