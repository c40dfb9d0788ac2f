/*
 * fd_block_bands.c -- DropBlock's keep bits in bands of the whole bit
 * string (SPEC.md section 10.5).
 *
 * The call's n bits are one string: a row is R = w*e bits, a map h rows,
 * and a position's neighbour one column over is e bits away, one row over
 * R bits. With V the valid centres (the complement of the drawn bits,
 * cleared at every position that is not a valid centre), the dropped bits
 * are D[p] = OR of V[p + dr R + dc e] over the window's row and column
 * offsets dr, dc in -(k div 2) .. k - 1 - k div 2. The window is separable
 * and each direction a run of k offsets, so D is V dilated along R bits and
 * then along e bits, each by log steps: W |= W shifted by s units makes
 * windows of 1, 2, 4, .. units, the last step shifting by what is left of
 * k (k = 7: shifts of 1, 2 and 3 units), word by word with the carries
 * between words, and a final shift by k div 2 units centres the window.
 * Windows never carry a centre into another row or map by mistake: the
 * positions a window reaches past a row's (map's) edge are, in the next or
 * previous row (map), positions no valid centre occupies, except that an
 * even k reaches one position (row) further after a centre than before it,
 * so the windows of a row's last valid centres run into position 0 of the
 * next row (row 0 of the next map); no valid centre reaches those, and they
 * are set back to kept.
 *
 * A range of output words is cut into bands of up to FD_BLOCK_WORDS words,
 * each with the words its windows reach before and after it: the band's
 * centres are drawn by the active kernels (or read from the drawn bits),
 * masked (by the map's mask when a map is a whole number of words that
 * fits in FD_BLOCK_WORDS, else row by row), dilated in two stack buffers
 * and written out with their kept count. Each range writes its own words of
 * the keep bits (its start is a multiple of FD_BLOCK elements) and adds its
 * count atomically. Bands are used where the words a window reaches fit in
 * half a buffer (fd_block.c); wider windows take the per-row path.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include "fd_block.h"

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

/* Sets (value 1) or clears (value 0) bits [from, to) of buf (nbits bits),
 * clipped to it. */
FD_INLINE void fd_fill_bits(uint64_t *buf, int64_t from, int64_t to, int64_t nbits, int value)
{
    from = FD_MAX(from, 0);
    to = FD_MIN(to, nbits);
    if (from >= to)
        return;
    const size_t a = (size_t)(from / 64), z = (size_t)((to - 1) / 64);
    uint64_t ma = ~UINT64_C(0) << (from % 64);
    const uint64_t mz = ~UINT64_C(0) >> (63 - (to - 1) % 64);
    if (a == z)
        ma &= mz;
    buf[a] = value ? buf[a] | ma : buf[a] & ~ma;
    if (a == z)
        return;
    for (size_t i = a + 1; i < z; i++)
        buf[i] = value ? ~UINT64_C(0) : 0;
    buf[z] = value ? buf[z] | mz : buf[z] & ~mz;
}

/* Clears bits [from, to) of buf (nbits bits), clipped to it. */
FD_INLINE void fd_clear_bits(uint64_t *buf, int64_t from, int64_t to, int64_t nbits)
{
    fd_fill_bits(buf, from, to, nbits, 0);
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
    const int64_t ga = FD_MIN(FD_MAX(g0, 0), g0 + (int64_t)nw);
    const int64_t gz = FD_MAX(FD_MIN(g0 + (int64_t)nw, words), ga);
    for (int64_t g = g0; g < ga; g++)
        buf[g - g0] = 0;
    for (int64_t g = gz; g < g0 + (int64_t)nw; g++)
        buf[g - g0] = 0;
    if (ga == gz)
        return;
    buf[gz - 1 - g0] = 0; /* the kernel writes whole bytes only */
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
void fd_block_clear_invalid(const fd_bcall *c, uint64_t *buf, int64_t base, int64_t nbits)
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
        fd_block_clear_invalid(c, buf, base, nbits);
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

/* Sets bits [from, to) of buf (nbits bits), clipped to it. */
FD_INLINE void fd_set_bits(uint64_t *buf, int64_t from, int64_t to, int64_t nbits)
{
    fd_fill_bits(buf, from, to, nbits, 1);
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

void fd_block_range_bands(void *c_, size_t lo, size_t hi)
{
    fd_bcall *c = (fd_bcall *)c_;
    uint64_t a[FD_BLOCK_WORDS], b[FD_BLOCK_WORDS];
    const uint64_t per = FD_BLOCK_WORDS - c->extra, end = ((uint64_t)hi + 63) / 64;
    uint64_t kept = 0;
    for (uint64_t o = (uint64_t)lo / 64; o < end; o += per)
        kept += fd_band(c, a, b, o, FD_MIN(o + per, end));
    atomic_fetch_add_explicit(&c->kept, kept, memory_order_relaxed);
}
