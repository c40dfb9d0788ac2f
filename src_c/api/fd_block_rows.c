/*
 * fd_block_rows.c -- DropBlock's keep bits row by row, for windows too wide
 * for the bands of fd_block_bands.c (SPEC.md section 10.5).
 *
 * For each output row the centres of the rows in its vertical window are
 * ORed word by word (V), then the words of V shifted by d*e bits for every
 * column offset d of the window are ORed (D); the keep bits are ~D. Valid
 * centres form one bit range of a row (whole positions k div 2 .. w -
 * (k-1) div 2 - 1), so a range mask removes the rest, and reads that stray
 * into the next row are masked the same way. Where every column shift is
 * under 64 bits a word of D needs only its own word of V and the two
 * beside it; otherwise V words are computed once per row into a ring of
 * FD_BLOCK_RING words, and windows wider than the ring (column offsets
 * over about 2**18 bits) recompute each V word where it is needed, with
 * the same result. Each range writes its own bytes of the keep bits
 * through a bit writer and adds its kept count atomically.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include "fd_block.h"

#define FD_BLOCK_RING 4096u /* V words kept per row (a power of 2) */

/* Bits pos .. pos + 63 of the packed array (0 beyond its end). */
FD_INLINE uint64_t fd_get64(const uint8_t *b, size_t nbytes, uint64_t pos)
{
    const size_t at = (size_t)(pos >> 3);
    const unsigned sh = (unsigned)(pos & 7u);
    uint64_t v = 0;
    if (at + 9 <= nbytes) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(&v, b + at, 8);
#else
        for (unsigned i = 0; i < 8; i++)
            v |= (uint64_t)b[at + i] << (8 * i);
#endif
        return sh ? (v >> sh) | ((uint64_t)b[at + 8] << (64 - sh)) : v;
    }
    for (unsigned i = 0; i < 8 && at + i < nbytes; i++)
        v |= (uint64_t)b[at + i] << (8 * i);
    if (sh && at + 8 < nbytes)
        return (v >> sh) | ((uint64_t)b[at + 8] << (64 - sh));
    return v >> sh;
}

/* The bits of [lo, hi) among bits q .. q + 63 (q, lo, hi row positions). */
FD_INLINE uint64_t fd_range64(int64_t q, uint64_t lo, uint64_t hi)
{
    const int64_t a = FD_MAX((int64_t)lo, q), z = FD_MIN((int64_t)hi, q + 64);
    if (a >= z)
        return 0;
    const unsigned len = (unsigned)(z - a), from = (unsigned)(a - q);
    return (len >= 64 ? ~UINT64_C(0) : ((UINT64_C(1) << len) - 1)) << from;
}

/* The centre rows of one output row: ni rows from bit base, R bits apart. */
typedef struct fd_brow {
    uint64_t base, ni;
} fd_brow;

/* Output row hh of plane `plane`. */
FD_INLINE fd_brow fd_brow_of(const fd_bcall *c, uint64_t plane, uint64_t hh)
{
    const uint64_t up = c->k / 2, down = c->k - 1 - c->k / 2;
    const uint64_t i0 = FD_MAX(hh >= up ? hh - up : 0, c->vrow_lo);
    const uint64_t i1 = FD_MIN(hh + down + 1, c->vrow_hi);
    fd_brow b = {(plane * c->h + i0) * c->rowbits, i1 > i0 ? i1 - i0 : 0};
    return b;
}

/* Word j of V (row bits 64 j ..) of the output row whose centre rows are b. */
FD_INLINE uint64_t fd_vword(const fd_bcall *c, fd_brow b, int64_t j)
{
    const int64_t q = 64 * j;
    const uint64_t valid = fd_range64(q, c->vlo, c->vhi);
    if (!valid)
        return 0;
    uint64_t v = 0, at = b.base + (uint64_t)q;
    for (uint64_t i = 0; i < b.ni; i++, at += c->rowbits)
        v |= ~fd_get64(c->drawn, c->nbytes, at);
    return v & valid;
}

/* A bit writer appending to whole bytes from out. */
typedef struct fd_bitsink {
    uint8_t *out;
    uint64_t acc;
    unsigned nacc;
    uint64_t kept;
} fd_bitsink;

FD_INLINE void fd_sink_put(fd_bitsink *s, uint64_t v, unsigned nb) /* nb in 1..64 */
{
    v &= nb >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << nb) - 1;
    s->kept += fd_popcount64(v);
    s->acc |= s->nacc < 64 ? v << s->nacc : 0;
    if (s->nacc + nb >= 64) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(s->out, &s->acc, 8);
#else
        for (unsigned i = 0; i < 8; i++)
            s->out[i] = (uint8_t)(s->acc >> (8 * i));
#endif
        s->out += 8;
        s->acc = s->nacc ? v >> (64 - s->nacc) : 0;
        s->nacc = s->nacc + nb - 64;
    } else {
        s->nacc += nb;
    }
}

FD_INLINE void fd_sink_flush(fd_bitsink *s)
{
    for (unsigned i = 0; 8 * i < s->nacc; i++)
        s->out[i] = (uint8_t)(s->acc >> (8 * i));
}

void fd_block_range_rows(void *c_, size_t lo, size_t hi)
{
    fd_bcall *c = (fd_bcall *)c_;
    const uint64_t R = c->rowbits, left = c->k / 2, right = c->k - 1 - c->k / 2;
    /* V words reach 64 j - left e .. 64 j + 63 + right e */
    const int64_t back = (int64_t)((left * c->e + 63) / 64) + 1;
    const int64_t ahead = (int64_t)((right * c->e + 63) / 64) + 1;
    const int ring = (uint64_t)(back + ahead + 2) <= FD_BLOCK_RING;
    const int near = left * c->e < 64 && right * c->e < 64;
    uint64_t vring[FD_BLOCK_RING];
    fd_bitsink sink = {c->keep + lo / 8, 0, 0, 0};
    uint64_t plane = (lo / R) / c->h, hh = (lo / R) % c->h;
    for (uint64_t r = lo / R; r * R < hi; r++, hh = hh + 1 == c->h ? (plane++, 0) : hh + 1) {
        const uint64_t start = r * R; /* the row's first element */
        const uint64_t a = FD_MAX(start, (uint64_t)lo) - start;
        const uint64_t z = FD_MIN(start + R, (uint64_t)hi) - start;
        const int64_t j0 = (int64_t)(a / 64), j1 = (int64_t)((z + 63) / 64);
        const fd_brow br = fd_brow_of(c, plane, hh);
        if (near) {
            /* every column shift is under 64 bits: words j - 1 .. j + 1 of V */
            uint64_t prev = fd_vword(c, br, j0 - 1), cur = fd_vword(c, br, j0);
            for (int64_t j = j0; j < j1; j++) {
                const uint64_t next = fd_vword(c, br, j + 1);
                uint64_t d = cur;
                for (unsigned t = 1; t <= right; t++) {
                    const unsigned sh = t * (unsigned)c->e;
                    d |= (cur >> sh) | (next << (64 - sh));
                }
                for (unsigned t = 1; t <= left; t++) {
                    const unsigned sh = t * (unsigned)c->e;
                    d |= (cur << sh) | (prev >> (64 - sh));
                }
                const uint64_t from = FD_MAX((uint64_t)(64 * j), a);
                const uint64_t to = FD_MIN((uint64_t)(64 * j + 64), z);
                fd_sink_put(&sink, ~d >> (from - 64 * (uint64_t)j), (unsigned)(to - from));
                prev = cur, cur = next;
            }
            continue;
        }
        int64_t next = j0 - back; /* the next V word the ring lacks */
        for (int64_t j = j0; j < j1; j++) {
            if (ring)
                for (; next <= j + ahead; next++)
                    vring[(uint64_t)next & (FD_BLOCK_RING - 1)] = fd_vword(c, br, next);
            uint64_t d = 0;
            for (uint64_t t = 0; t <= left + right; t++) {
                /* 64 bits of V from row bit 64 j + (t - left) e */
                const int64_t pos = 64 * j + ((int64_t)t - (int64_t)left) * (int64_t)c->e;
                const int64_t w0 = pos >= 0 ? pos / 64 : -((-pos + 63) / 64);
                const unsigned sh = (unsigned)(pos - 64 * w0);
                uint64_t lo_w, hi_w;
                if (ring) {
                    lo_w = vring[(uint64_t)w0 & (FD_BLOCK_RING - 1)];
                    hi_w = sh ? vring[(uint64_t)(w0 + 1) & (FD_BLOCK_RING - 1)] : 0;
                } else {
                    lo_w = fd_vword(c, br, w0);
                    hi_w = sh ? fd_vword(c, br, w0 + 1) : 0;
                }
                d |= sh ? (lo_w >> sh) | (hi_w << (64 - sh)) : lo_w;
            }
            /* the part of word j inside [a, z) */
            const uint64_t from = FD_MAX((uint64_t)(64 * j), a);
            const uint64_t to = FD_MIN((uint64_t)(64 * j + 64), z);
            fd_sink_put(&sink, ~d >> (from - 64 * (uint64_t)j), (unsigned)(to - from));
        }
    }
    fd_sink_flush(&sink);
    atomic_fetch_add_explicit(&c->kept, sink.kept, memory_order_relaxed);
}
