/*
 * fd_block.h -- internal: DropBlock's call (src_c/api/fd_block.c) as its
 * two paths see it, the banded one (fd_block_bands.c) and the per-row one
 * (fd_block_rows.c).
 */
#ifndef FD_BLOCK_H
#define FD_BLOCK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "fastdrop.h"
#include "../fd_config.h"
#include "../kernels/fd_kernels.h"

/* Words of each of a band's two buffers (on the stack), and at most of a
 * map's mask of valid centres. */
#define FD_BLOCK_WORDS 4096u

typedef struct fd_bcall {
    const uint8_t *drawn;           /* the drawn centres, or NULL: */
    const fd_kernel_row *kernels;   /* each band draws its own from stream */
    fd_stream stream;
    uint8_t *keep;
    size_t nbytes;                  /* of drawn and keep */
    uint64_t n;                     /* elements */
    uint64_t h, rowbits, e, k;
    uint64_t vrow_lo, vrow_hi;      /* valid centre rows */
    uint64_t vlo, vhi;              /* valid centre bits of a row */
    uint64_t reach_lo, reach_hi;    /* bits a keep bit's window reaches back, ahead */
    size_t extra;                   /* a band's buffer words beyond its output words */
    int banded;                     /* the banded path, else the per-row one */
    size_t pmask_words;             /* words of pmask, 0 for none */
    uint64_t pmask[FD_BLOCK_WORDS]; /* where a map is a whole number of words
                                     * that fits: its valid centres' bits */
    _Atomic uint64_t kept;
} fd_bcall;

/* Set bits of v (SWAR: baseline x86-64 has no popcnt instruction). */
FD_INLINE uint64_t fd_popcount64(uint64_t v)
{
    v -= (v >> 1) & UINT64_C(0x5555555555555555);
    v = (v & UINT64_C(0x3333333333333333)) + ((v >> 2) & UINT64_C(0x3333333333333333));
    v = (v + (v >> 4)) & UINT64_C(0x0F0F0F0F0F0F0F0F);
    return (v * UINT64_C(0x0101010101010101)) >> 56;
}

/* Log steps of a window of k: windows of 1, 2, 4, .., then what is left. */
FD_INLINE unsigned fd_log_steps(uint64_t k)
{
    unsigned steps = 0;
    for (uint64_t s = 1; s < k; steps++)
        s += FD_MIN(s, k - s);
    return steps;
}

/* fd_parallel_for range functions over the call's elements (ranges start
 * on multiples of FD_BLOCK, so each writes whole bytes of keep). */
void fd_block_range_bands(void *c, size_t lo, size_t hi);
void fd_block_range_rows(void *c, size_t lo, size_t hi);

/* Clears the bits of buf (nbits bits, bit 0 at global bit base) that are
 * not valid centres. */
void fd_block_clear_invalid(const fd_bcall *c, uint64_t *buf, int64_t base, int64_t nbits);

#endif /* FD_BLOCK_H */
