/*
 * fd_parallel.c -- the only place with OpenMP: a call split into chunks of
 * whole blocks. Kernels see plain ranges whose outputs are pure functions of
 * the stream, so results do not depend on the thread count or on which
 * thread runs which chunk. Without OpenMP everything runs on the calling
 * thread.
 */
#include <stdatomic.h>
#include "fastdrop.h"
#include "../fd_parallel.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define FD_HAVE_ATFORK 1
#endif

/* Settings read by every call and written by any thread; each is one value
 * on its own, so relaxed order is enough. */
static atomic_int fd_threads = 0; /* 0: OpenMP's default at call time */
static atomic_int fd_forked = 0;  /* set in a forked child: stay serial */

#ifdef FD_HAVE_ATFORK
static void fd_mark_child(void)
{
    atomic_store_explicit(&fd_forked, 1, memory_order_relaxed);
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
    atomic_store_explicit(&fd_threads, n, memory_order_relaxed);
    return FD_OK;
}

int fd_get_num_threads(void)
{
#ifdef _OPENMP
    if (atomic_load_explicit(&fd_forked, memory_order_relaxed))
        return 1;
    const int n = atomic_load_explicit(&fd_threads, memory_order_relaxed);
    return n > 0 ? n : omp_get_max_threads();
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
    /* Several chunks per thread, handed out in order as threads get free: on
     * a busy machine a thread that shares its core takes fewer of them. */
    const size_t blocks = (n + FD_BLOCK - 1) / FD_BLOCK;
    size_t chunk = blocks / (nt * FD_CHUNKS_PER_THREAD);
    if (chunk * FD_BLOCK < FD_MIN_PER_THREAD / 4)
        chunk = FD_MIN_PER_THREAD / 4 / FD_BLOCK;
    const long nchunks = (long)((blocks + chunk - 1) / chunk);
#pragma omp parallel for schedule(dynamic, 1) num_threads((int)nt)
    for (long c = 0; c < nchunks; c++) {
        const size_t lo = (size_t)c * chunk * FD_BLOCK;
        const size_t hi = lo + chunk * FD_BLOCK < n ? lo + chunk * FD_BLOCK : n;
        fn(ctx, lo, hi);
    }
#else
    fn(ctx, 0, n);
#endif
}
