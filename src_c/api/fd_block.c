/*
 * fd_block.c -- DropBlock's keep mask from the drawn centres (SPEC.md
 * section 10.5), on packed bits.
 *
 * x is seen as `planes` maps of h rows; a row is w positions of e
 * consecutive elements (channels first: planes N*C, e = 1; channels last:
 * planes N, e = C), so a row is a run of R = w*e bits of the packed mask,
 * and a column shift by one position is a shift by e bits. For each output
 * row the centres of the rows in its vertical window are ORed word by word
 * (V), then the words of V shifted by d*e bits for every column offset d of
 * the window are ORed (D); the keep bits are ~D. Valid centres form one
 * bit range of a row (whole positions k div 2 .. w - (k-1) div 2 - 1), so
 * a range mask removes the rest, and reads that stray into the next row
 * are masked the same way. Where every column shift is under 64 bits (the
 * usual channels-first case) a word of D needs only its own word of V and
 * the two beside it; otherwise V words are computed once per row into a
 * ring of FD_BLOCK_RING words, and windows wider than the ring (column
 * offsets over about 2**18 bits) recompute each V word where it is needed,
 * with the same result. Work is split by fd_parallel_for over element ranges; each range
 * writes its own bytes of the keep bits (ranges start on multiples of
 * FD_BLOCK elements) and adds its kept count atomically.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include "fastdrop.h"
#include "fd_checks.h"
#include "fd_config.h"
#include "fd_dispatch.h"
#include "fd_parallel.h"

#define FD_BLOCK_RING 4096u /* V words kept per row (a power of 2) */

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

/* Set bits of v (SWAR: baseline x86-64 has no popcnt instruction). */
FD_INLINE uint64_t fd_popcount64(uint64_t v)
{
    v -= (v >> 1) & UINT64_C(0x5555555555555555);
    v = (v & UINT64_C(0x3333333333333333)) + ((v >> 2) & UINT64_C(0x3333333333333333));
    v = (v + (v >> 4)) & UINT64_C(0x0F0F0F0F0F0F0F0F);
    return (v * UINT64_C(0x0101010101010101)) >> 56;
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

static void range_block_wide(void *c_, size_t lo, size_t hi)
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

/* ===   The banded path: the maps as one bit string   === */

FD_INLINE int64_t fd_floor64(int64_t x) /* floor(x / 64) */
{
    return x >= 0 ? x / 64 : -((-x + 63) / 64);
}

/* dst[j] = src[j] | bits 64 j + sh .. 64 j + sh + 63 of src, for the words
 * whose reads stay inside src's nw words; returns their count. */
static size_t fd_or_shifted(uint64_t *restrict dst, const uint64_t *restrict src, size_t nw,
                            uint64_t sh)
{
    const size_t q = (size_t)(sh / 64);
    const unsigned r = (unsigned)(sh % 64);
    const size_t drop = q + (r != 0);
    if (nw <= drop)
        return 0;
    const size_t m = nw - drop;
    if (r == 0) {
        for (size_t j = 0; j < m; j++)
            dst[j] = src[j] | src[j + q];
    } else {
        for (size_t j = 0; j < m; j++)
            dst[j] = src[j] | (src[j + q] >> r) | (src[j + q + 1] << (64 - r));
    }
    return m;
}

/* Clears bits [from, to) of buf (nbits bits), clipped to it. */
FD_INLINE void fd_clear_bits(uint64_t *buf, int64_t from, int64_t to, int64_t nbits)
{
    from = FD_MAX(from, 0);
    to = FD_MIN(to, nbits);
    if (from >= to)
        return;
    const size_t a = (size_t)(from / 64), z = (size_t)((to - 1) / 64);
    const uint64_t ma = ~UINT64_C(0) << (from % 64);
    const uint64_t mz = ~UINT64_C(0) >> (63 - (to - 1) % 64);
    if (a == z) {
        buf[a] &= ~(ma & mz);
        return;
    }
    buf[a] &= ~ma;
    for (size_t i = a + 1; i < z; i++)
        buf[i] = 0;
    buf[z] &= ~mz;
}

/* Word g of the drawn bits, 0 past them. */
FD_INLINE uint64_t fd_drawn_word(const fd_bcall *c, size_t g)
{
    const size_t at = 8 * g;
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (at + 8 <= c->nbytes) {
        memcpy(&v, c->drawn + at, 8);
        return v;
    }
#endif
    for (size_t i = 0; i < 8 && at + i < c->nbytes; i++)
        v |= (uint64_t)c->drawn[at + i] << (8 * i);
    return v;
}

/* The complement of drawn words g0 .. g0 + nw - 1 into buf, 0 outside the
 * array (bits past n are left to the caller). */
static void fd_read_band(const fd_bcall *c, uint64_t *buf, int64_t g0, size_t nw)
{
    const int64_t n = (int64_t)c->n;
    const int64_t full = n / 64; /* words wholly inside the array */
    const int64_t j_lo = FD_MIN(FD_MAX(-g0, 0), (int64_t)nw);
    const int64_t j_hi = FD_MAX(FD_MIN(full - g0, (int64_t)nw), j_lo);
    for (int64_t j = 0; j < j_lo; j++)
        buf[j] = 0;
    for (int64_t j = j_lo; j < j_hi; j++) {
        uint64_t v;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(&v, c->drawn + 8 * (g0 + j), 8);
#else
        v = fd_drawn_word(c, (size_t)(g0 + j));
#endif
        buf[j] = ~v;
    }
    for (int64_t j = j_hi; j < (int64_t)nw; j++)
        buf[j] = g0 + j < 0 || 64 * (g0 + j) >= n ? 0 : ~fd_drawn_word(c, (size_t)(g0 + j));
}

/* The same, drawn from the stream by the active kernels. */
static void fd_draw_band(const fd_bcall *c, uint64_t *buf, int64_t g0, size_t nw)
{
    const int64_t n = (int64_t)c->n, words = (n + 63) / 64;
    const int64_t ga = FD_MAX(g0, 0), gz = FD_MIN(g0 + (int64_t)nw, words);
    for (size_t j = 0; j < nw; j++)
        buf[j] = 0;
    if (ga >= gz)
        return;
    fd_stream s = c->stream;
    s.index += 64 * (uint64_t)ga;
    uint64_t *w = buf + (ga - g0);
    const size_t m = (size_t)(gz - ga);
    c->kernels->mask_bits(&s, (uint8_t *)w, (size_t)(FD_MIN(64 * gz, n) - 64 * ga));
    for (size_t j = 0; j < m; j++) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        w[j] = ~w[j];
#else
        const uint8_t *by = (const uint8_t *)(w + j);
        uint64_t v = 0;
        for (unsigned i = 0; i < 8; i++)
            v |= (uint64_t)by[i] << (8 * i);
        w[j] = ~v;
#endif
    }
}

/* Clears the bits of buf (nbits bits, bit 0 at global bit base) that are
 * not valid centres: invalid rows whole, valid rows outside their valid
 * positions. */
static void fd_clear_invalid(const fd_bcall *c, uint64_t *buf, int64_t base, int64_t nbits)
{
    const int64_t R = (int64_t)c->rowbits, n = (int64_t)c->n;
    const int64_t first = FD_MAX(base, 0), last = FD_MIN(base + nbits, n);
    if (first >= last)
        return;
    uint64_t r = (uint64_t)(first / R), hh = r % c->h;
    for (; (int64_t)r * R < last; r++, hh = hh + 1 == c->h ? 0 : hh + 1) {
        const int64_t rs = (int64_t)r * R - base;
        if (hh < c->vrow_lo || hh >= c->vrow_hi) {
            fd_clear_bits(buf, rs, rs + R, nbits);
        } else {
            fd_clear_bits(buf, rs, rs + (int64_t)c->vlo, nbits);
            fd_clear_bits(buf, rs + (int64_t)c->vhi, rs + R, nbits);
        }
    }
}

/* The valid centres of global words g0 .. g0 + nw - 1 into buf: the
 * complement of the drawn bits, cleared outside [0, n) and at every
 * position that is not a valid centre (through the map's mask where the
 * call has one). */
static void fd_band_centres(const fd_bcall *c, uint64_t *buf, int64_t g0, size_t nw)
{
    const int64_t n = (int64_t)c->n, base = 64 * g0, nbits = 64 * (int64_t)nw;
    if (c->kernels)
        fd_draw_band(c, buf, g0, nw);
    else
        fd_read_band(c, buf, g0, nw);
    fd_clear_bits(buf, n - base, nbits, nbits);
    if (!c->pmask_words) {
        fd_clear_invalid(c, buf, base, nbits);
        return;
    }
    /* the mask repeats every map (a whole number of words) */
    const int64_t pw = (int64_t)c->pmask_words;
    int64_t at = g0 % pw;
    at += at < 0 ? pw : 0;
    for (size_t j = 0; j < nw;) {
        const size_t run = (size_t)FD_MIN((int64_t)(nw - j), pw - at);
        const uint64_t *m = c->pmask + at;
        for (size_t t = 0; t < run; t++)
            buf[j + t] &= m[t];
        j += run;
        at = 0;
    }
}

/* Log-step dilation of src along a unit of S bits: after it, bit q is the
 * OR of bits q, q + S, .., q + (k - 1) S of the input (windows of 1, 2, 4,
 * .., then what is left of k); returns the buffer holding the result and
 * its valid words in *nw. */
static uint64_t *fd_dilate(uint64_t *src, uint64_t *dst, size_t *nw, uint64_t k, uint64_t S)
{
    for (uint64_t s = 1; s < k;) {
        const uint64_t m = FD_MIN(s, k - s);
        *nw = fd_or_shifted(dst, src, *nw, m * S);
        uint64_t *t = src;
        src = dst, dst = t;
        s += m;
    }
    return src;
}

FD_INLINE unsigned fd_log_steps(uint64_t k)
{
    unsigned steps = 0;
    for (uint64_t s = 1; s < k; steps++)
        s += FD_MIN(s, k - s);
    return steps;
}

/* Sets bits [from, to) of buf (nbits bits), clipped to it. */
FD_INLINE void fd_set_bits(uint64_t *buf, int64_t from, int64_t to, int64_t nbits)
{
    from = FD_MAX(from, 0);
    to = FD_MIN(to, nbits);
    if (from >= to)
        return;
    const size_t a = (size_t)(from / 64), z = (size_t)((to - 1) / 64);
    const uint64_t ma = ~UINT64_C(0) << (from % 64);
    const uint64_t mz = ~UINT64_C(0) >> (63 - (to - 1) % 64);
    if (a == z) {
        buf[a] |= ma & mz;
        return;
    }
    buf[a] |= ma;
    for (size_t i = a + 1; i < z; i++)
        buf[i] = ~UINT64_C(0);
    buf[z] |= mz;
}

/* Set bits of w[0 .. m-1]: nibble counts summed bytewise over 31 words at
 * a time (each byte at most 8 * 31), then added up across the bytes. */
static uint64_t fd_popcount_words(const uint64_t *w, size_t m)
{
    const uint64_t m1 = UINT64_C(0x5555555555555555), m2 = UINT64_C(0x3333333333333333);
    const uint64_t m4 = UINT64_C(0x0F0F0F0F0F0F0F0F);
    uint64_t total = 0;
    for (size_t i = 0; i < m;) {
        const size_t run = FD_MIN(m - i, (size_t)31);
        uint64_t acc = 0;
        for (size_t t = 0; t < run; t++) {
            uint64_t v = w[i + t];
            v -= (v >> 1) & m1;
            v = (v & m2) + ((v >> 2) & m2);
            acc += (v + (v >> 4)) & m4;
        }
        acc = (acc & UINT64_C(0x00FF00FF00FF00FF)) + ((acc >> 8) & UINT64_C(0x00FF00FF00FF00FF));
        acc += acc >> 16;
        acc += acc >> 32;
        total += acc & 0xFFFF;
        i += run;
    }
    return total;
}

/* Keep words o0 .. o1 - 1 of the call; returns their kept count. */
static uint64_t fd_band(const fd_bcall *c, uint64_t *a, uint64_t *b, uint64_t o0, uint64_t o1)
{
    const int64_t g0 = fd_floor64(64 * (int64_t)o0 - (int64_t)c->reach_lo);
    size_t nw = (size_t)(o1 - o0) + c->extra;
    fd_band_centres(c, a, g0, nw);
    uint64_t *v = fd_dilate(a, b, &nw, c->k, c->rowbits);
    v = fd_dilate(v, v == a ? b : a, &nw, c->k, c->e);
    uint64_t *out = v == a ? b : a;
    const size_t m = (size_t)(o1 - o0);
    for (size_t j = 0; j < m; j++) {
        const int64_t pos = 64 * ((int64_t)j + (int64_t)o0 - g0) - (int64_t)c->reach_lo;
        const size_t w0 = (size_t)(pos / 64);
        const unsigned sh = (unsigned)(pos % 64);
        out[j] = ~(sh ? (v[w0] >> sh) | (v[w0 + 1] << (64 - sh)) : v[w0]);
    }
    if (c->k % 2 == 0) {
        /* an even window reaches one position (row) further after its
         * centre than before it: the windows of centres at a row's last
         * valid position (a map's last valid row) run one past the row
         * (map), into position 0 of the next row (row 0 of the next map),
         * which no centre drops */
        const int64_t R = (int64_t)c->rowbits, base = 64 * (int64_t)o0;
        const int64_t nbits = 64 * (int64_t)m;
        uint64_t r = (uint64_t)o0 * 64 / c->rowbits, hh = r % c->h;
        for (; (int64_t)r * R < base + nbits; r++, hh = hh + 1 == c->h ? 0 : hh + 1) {
            const int64_t rs = (int64_t)r * R - base;
            fd_set_bits(out, rs, rs + (hh == 0 ? R : (int64_t)c->e), nbits);
        }
    }
    if (64 * o1 > c->n) /* the array's last word: its padding bits are 0 */
        out[m - 1] &= (UINT64_C(1) << (c->n % 64)) - 1;
    const uint64_t kept = fd_popcount_words(out, m);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const size_t whole = 64 * o1 > c->n ? m - 1 : m;
    if (whole)
        memcpy(c->keep + 8 * o0, out, 8 * whole);
#else
    const size_t whole = 0;
#endif
    for (size_t j = whole; j < m; j++)
        for (unsigned i = 0; i < 8 && 64 * (o0 + j) + 8 * i < c->n; i++)
            c->keep[8 * (o0 + j) + i] = (uint8_t)(out[j] >> (8 * i));
    return kept;
}

static void range_block(void *c_, size_t lo, size_t hi)
{
    fd_bcall *c = (fd_bcall *)c_;
    uint64_t a[FD_BLOCK_WORDS], b[FD_BLOCK_WORDS];
    const uint64_t per = FD_BLOCK_WORDS - c->extra, end = ((uint64_t)hi + 63) / 64;
    uint64_t kept = 0;
    for (uint64_t o = (uint64_t)lo / 64; o < end; o += per)
        kept += fd_band(c, a, b, o, FD_MIN(o + per, end));
    atomic_fetch_add_explicit(&c->kept, kept, memory_order_relaxed);
}

/* The call's sizes into c; FD_OK, an error, or FD_OK with c->n == 0. */
static int fd_block_setup(fd_bcall *c, size_t planes, size_t h, size_t w, size_t e, size_t k,
                          uint64_t *kept)
{
    if (!kept)
        return FD_ENULL;
    /* sizes whose product (in bits, with margins) overflows are refused */
    const uint64_t limit = UINT64_C(1) << 58;
    uint64_t n = planes;
    const size_t f[3] = {h, w, e};
    for (unsigned i = 0; i < 3; i++) {
        if (f[i] && n > limit / f[i])
            return FD_ERANGE;
        n *= f[i];
    }
    if (n > SIZE_MAX - 8 || n > limit) /* n == 0 is fine: nothing to write */
        return FD_ERANGE;
    *kept = 0;
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
        fd_clear_invalid(c, c->pmask, 0, (int64_t)map_bits);
        c->n = n;
    }
    atomic_init(&c->kept, 0);
    return FD_OK;
}

static void fd_block_run(fd_bcall *c, uint64_t *kept)
{
    fd_parallel_for((size_t)c->n, c->banded ? range_block : range_block_wide, c);
    *kept = atomic_load(&c->kept);
}

int fd_block_keep_bits(const uint8_t *drawn, uint8_t *keep, size_t planes, size_t h, size_t w,
                       size_t e, size_t k, uint64_t *kept)
{
    fd_bcall c;
    int rc = fd_block_setup(&c, planes, h, w, e, k, kept);
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
