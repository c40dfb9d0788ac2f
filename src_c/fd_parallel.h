/* fd_parallel.h -- internal: splitting a call across OpenMP threads. */
#ifndef FD_PARALLEL_H
#define FD_PARALLEL_H

#include <stddef.h>

/* Smallest share of a call worth a thread of its own (elements); measured,
 * see README's table. */
#define FD_MIN_PER_THREAD ((size_t)1 << 16)

/* Chunks per thread in a split call (load balance on a busy machine). */
#define FD_CHUNKS_PER_THREAD 8

typedef void (*fd_range_fn)(void *ctx, size_t lo, size_t hi);

/* Runs fn(ctx, lo, hi) over [0, n) in contiguous ranges whose starts are
 * multiples of FD_BLOCK (so packed mask bits start on a byte), on up to
 * fd_get_num_threads() threads; serially when n is small, one thread is
 * set, or in a forked child. */
void fd_parallel_for(size_t n, fd_range_fn fn, void *ctx);

#endif /* FD_PARALLEL_H */
