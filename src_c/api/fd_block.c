/*
 * fd_block.c -- DropBlock's keep mask from its centres (SPEC.md section
 * 10.5), on packed bits: the entry points.
 *
 * x is seen as `planes` maps of h rows; a row is w positions of e
 * consecutive elements (channels first: planes N*C, e = 1; channels last:
 * planes N, e = C), so a row is a run of R = w*e bits of the packed mask,
 * and a column shift by one position is a shift by e bits. The centres are
 * the drawn bits that are 0 (dropped at gamma) at valid positions; an
 * element is dropped iff its k x k window holds a centre of its map.
 * fd_block_keep_bits reads the centres from their packed array,
 * fd_block_keep_bits_stream draws them itself where they are needed. Both
 * split the call over threads with fd_parallel_for, on one of two paths:
 * bands of the whole bit string, dilated by log steps (fd_block_bands.c),
 * where the bits a window reaches fit in half a band; otherwise row by row
 * (fd_block_rows.c), for which the stream entry first draws all centres
 * into the caller's scratch array.
 */
#include <stdatomic.h>
#include <stdint.h>
#include "fastdrop.h"
#include "fd_block.h"
#include "fd_checks.h"
#include "fd_config.h"
#include "fd_dispatch.h"
#include "fd_parallel.h"

/* The call's sizes into c; FD_OK, an error, or FD_OK with c->n == 0 (the
 * callers set *kept once every check has passed: on error it stays). */
static int fd_block_setup(fd_bcall *c, size_t planes, size_t h, size_t w, size_t e, size_t k,
                          uint64_t *kept)
{
    if (!kept)
        return FD_ENULL;
    /* sizes whose product (in bits, with margins) overflows are refused */
    const uint64_t limit = UINT64_C(1) << 58;
    uint64_t n = h && w && e ? planes : 0; /* a size 0 makes n 0, whatever the others */
    const size_t f[3] = {h, w, e};
    for (unsigned i = 0; i < 3; i++) {
        if (f[i] && n > limit / f[i])
            return FD_ERANGE;
        n *= f[i];
    }
    if (n > SIZE_MAX - 8 || n > limit) /* n == 0 is fine: nothing to write */
        return FD_ERANGE;
    c->n = n;
    if (n == 0)
        return FD_OK;
    if (k < 1 || k > h || k > w)
        return FD_EARG;
    c->nbytes = (size_t)((n + 7) / 8);
    c->h = h;
    c->rowbits = (uint64_t)w * e;
    c->e = e;
    c->k = k;
    c->vrow_lo = k / 2;
    c->vrow_hi = h - (k - 1) / 2;
    c->vlo = (uint64_t)(k / 2) * e;
    c->vhi = (uint64_t)(w - (k - 1) / 2) * e;
    c->reach_lo = (uint64_t)(k / 2) * (c->rowbits + e);
    c->reach_hi = (uint64_t)(k - 1 - k / 2) * (c->rowbits + e);
    c->extra = (size_t)((c->reach_lo + c->reach_hi + 63) / 64) + 2 * fd_log_steps(k) + 3;
    c->banded = c->extra <= FD_BLOCK_WORDS / 2;
    c->pmask_words = 0;
    const uint64_t map_bits = (uint64_t)h * c->rowbits;
    if (c->banded && map_bits % 64 == 0 && map_bits / 64 <= FD_BLOCK_WORDS) {
        c->pmask_words = (size_t)(map_bits / 64);
        for (size_t j = 0; j < c->pmask_words; j++)
            c->pmask[j] = ~UINT64_C(0);
        c->n = map_bits; /* one map, from bit 0 */
        fd_block_clear_invalid(c, c->pmask, 0, (int64_t)map_bits);
        c->n = n;
    }
    atomic_init(&c->kept, 0);
    return FD_OK;
}

static void fd_block_run(fd_bcall *c, uint64_t *kept)
{
    fd_parallel_for((size_t)c->n, c->banded ? fd_block_range_bands : fd_block_range_rows, c);
    *kept = atomic_load(&c->kept);
}

int fd_block_keep_bits(const uint8_t *drawn, uint8_t *keep, size_t planes, size_t h, size_t w,
                       size_t e, size_t k, uint64_t *kept)
{
    fd_bcall c;
    int rc = fd_block_setup(&c, planes, h, w, e, k, kept);
    if (!rc && c.n == 0)
        *kept = 0;
    if (rc || c.n == 0)
        return rc;
    if (!drawn || !keep)
        return FD_ENULL;
    c.drawn = drawn;
    c.kernels = NULL;
    c.keep = keep;
    fd_block_run(&c, kept);
    return FD_OK;
}

int fd_block_keep_bits_stream(const fd_stream *s, uint8_t *keep, uint8_t *scratch,
                              size_t planes, size_t h, size_t w, size_t e, size_t k,
                              uint64_t *kept)
{
    fd_bcall c;
    int rc = fd_block_setup(&c, planes, h, w, e, k, kept);
    if (!rc)
        rc = fd_check_stream(s, (size_t)c.n);
    if (!rc && c.n == 0)
        *kept = 0;
    if (rc || c.n == 0)
        return rc;
    if (!keep || (!c.banded && !scratch))
        return FD_ENULL;
    c.keep = keep;
    c.stream = *s;
    if (c.banded) {
        c.drawn = NULL;
        c.kernels = fd_active_kernels();
        if (!c.kernels)
            return fd_init();
    } else {
        /* the windows are too wide for the bands: the centres first */
        rc = fd_mask_bits(s, scratch, (size_t)c.n);
        if (rc)
            return rc;
        c.drawn = scratch;
        c.kernels = NULL;
    }
    fd_block_run(&c, kept);
    return FD_OK;
}
