/*
 * fd_window.c -- a block of a larger array: windows of the index space
 * (SPEC.md section 12).
 *
 * A block of shape shape[0..nd-1] sits at origin[] in a global array of
 * shape global_shape[] (C order); block element (i0, .., i{nd-1}) takes the
 * stream element index + sum_d (origin[d] + i_d) * gstride[d], gstride the
 * global C-order strides. Trailing axes that the block covers whole merge
 * with the last axis it cuts into one row, so the block is a list of rows of
 * consecutive stream elements. The block (in its own C order) is split over
 * threads by fd_parallel_for; each range walks its rows and hands every
 * piece of a row to the active kernel at its own stream index. Mask bits
 * stay in the block's C order: a piece that starts inside a byte goes
 * through a small buffer and is shifted in (ranges start on FD_BLOCK
 * elements, so no byte is shared between threads). Short rows with short
 * gaps between them (a narrow column band) instead draw the keep bits of a
 * span of several rows and gaps at once, copy out each row's bits, and run
 * the apply-bits kernels on the block in pieces: the same bits, without a
 * kernel call per row.
 */
#include <stdint.h>
#include <string.h>
#include "fastdrop.h"
#include "fd_config.h"
#include "fd_dispatch.h"
#include "fd_parallel.h"

#define FD_WINDOW_PIECE 4096u /* elements per buffered piece; a multiple of 8 */
#define FD_WINDOW_SHORT 256u  /* rows shorter than this ... */
#define FD_WINDOW_GAP 256u    /* ... with at most this many elements between them share spans */
#define FD_WINDOW_SPAN 16384u /* stream elements of one span; a multiple of 8 */

enum { FD_W_BITS, FD_W_F16, FD_W_BF16, FD_W_F32, FD_W_F64 };

typedef struct fd_wcall {
    const fd_kernel_row *k;
    fd_stream s;       /* index: stream element of the block's element 0 */
    int type, nd;      /* nd outer axes above the row */
    size_t len;        /* row length */
    size_t dims[FD_WINDOW_MAX_DIMS];    /* outer axes' lengths in the block */
    uint64_t gstep[FD_WINDOW_MAX_DIMS]; /* their global strides */
    const void *x;
    void *y;
    uint8_t *bits;
    double scale;
    unsigned flags;
} fd_wcall;

/* m elements from block position i at stream index g, bits (if any) at bit i. */
static void kernel(const fd_wcall *c, uint64_t g, size_t i, uint8_t *bits, size_t m)
{
    fd_stream s = c->s;
    s.index = g;
    switch (c->type) {
    case FD_W_BITS:
        c->k->mask_bits(&s, bits, m);
        break;
    case FD_W_F16:
        c->k->dropout_f16(&s, (const uint16_t *)c->x + i, (uint16_t *)c->y + i, bits, m,
                          (float)c->scale, c->flags);
        break;
    case FD_W_BF16:
        c->k->dropout_bf16(&s, (const uint16_t *)c->x + i, (uint16_t *)c->y + i, bits, m,
                           (float)c->scale, c->flags);
        break;
    case FD_W_F32:
        c->k->dropout_f32(&s, (const float *)c->x + i, (float *)c->y + i, bits, m,
                          (float)c->scale, c->flags);
        break;
    default:
        c->k->dropout_f64(&s, (const double *)c->x + i, (double *)c->y + i, bits, m,
                          c->scale, c->flags);
        break;
    }
}

/* Bits [at, at + m) of out from tmp (bit 0 on), at % 8 != 0: the byte at / 8
 * holds the bits before at, zeros above; later bytes are written whole. */
static void shift_in(uint8_t *out, size_t at, const uint8_t *tmp, size_t m)
{
    const unsigned sh = (unsigned)(at % 8);
    uint8_t *o = out + at / 8;
    const size_t nb = (m + 7) / 8, last = (at + m - 1) / 8 - at / 8;
    o[0] = (uint8_t)(o[0] | (unsigned)tmp[0] << sh);
    for (size_t q = 1; q <= last; q++)
        o[q] = (uint8_t)((unsigned)tmp[q - 1] >> (8 - sh) | (q < nb ? (unsigned)tmp[q] << sh : 0u));
}

/* m elements of one row from block position i, stream index g. */
static void piece(const fd_wcall *c, uint64_t g, size_t i, size_t m)
{
    if (!c->bits || i % 8 == 0) {
        kernel(c, g, i, c->bits ? c->bits + i / 8 : NULL, m);
        return;
    }
    uint8_t tmp[FD_WINDOW_PIECE / 8];
    while (m) {
        const size_t q = FD_MIN(m, (size_t)FD_WINDOW_PIECE);
        kernel(c, g, i, tmp, q);
        shift_in(c->bits, i, tmp, q);
        g += q;
        i += q;
        m -= q;
    }
}

/* Global index of block position i (row i / len, column i % len). */
static uint64_t global_index(const fd_wcall *c, size_t i)
{
    size_t row = i / c->len;
    uint64_t g = c->s.index + i % c->len;
    for (int d = c->nd - 1; d >= 0; d--) {
        g += (uint64_t)(row % c->dims[d]) * c->gstep[d];
        row /= c->dims[d];
    }
    return g;
}

/* n bits from bit `from` of src to bit `at` of dst (zero there before), 56 at
 * a time through 64-bit words; both buffers have FD_SLACK bytes past the last
 * bit used (the bits read past the source's are masked off, the bytes
 * written past the destination's only get zeros). */
#define FD_SLACK 8u

/* Bytes p[0..7] as a word, p[0] lowest (the packed bit order on any host);
 * compilers make one load of it. */
FD_INLINE uint64_t load8(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned b = 0; b < 8; b++)
        v |= (uint64_t)p[b] << (8 * b);
    return v;
}

FD_INLINE void store8(uint8_t *p, uint64_t v)
{
    for (unsigned b = 0; b < 8; b++)
        p[b] = (uint8_t)(v >> (8 * b));
}

FD_INLINE void copy_bits(uint8_t *dst, size_t at, const uint8_t *src, size_t from, size_t n)
{
    while (n) {
        const size_t q = FD_MIN(n, (size_t)56);
        const uint64_t v = (load8(src + from / 8) >> (from % 8)) & ((UINT64_C(1) << q) - 1u);
        store8(dst + at / 8, load8(dst + at / 8) | v << (at % 8));
        from += q;
        at += q;
        n -= q;
    }
}

/* Short rows close together (see range_window): the keep bits of block
 * positions i .. i+m-1 (m <= FD_WINDOW_PIECE) in block order, into keep. A
 * run of rows along the innermost outer axis shares one span of stream
 * elements, drawn by one mask_bits call, from which each row's bits are
 * copied. */
static void short_rows(const fd_wcall *c, size_t i, size_t m, uint8_t *keep)
{
    uint8_t span[FD_WINDOW_SPAN / 8 + FD_SLACK];
    const size_t len = c->len, step = (size_t)c->gstep[c->nd - 1], inner = c->dims[c->nd - 1];
    memset(keep, 0, (m + 7) / 8);
    size_t k = 0;
    while (k < m) {
        const size_t pos = i + k, col = pos % len;
        const size_t rows_left = inner - (pos / len) % inner;
        size_t elems = FD_MIN(len - col, m - k), bits = elems, t = 1;
        while (t < rows_left && elems < m - k && t * step - col + len <= FD_WINDOW_SPAN) {
            const size_t add = FD_MIN(len, m - k - elems);
            bits = t * step - col + add;
            elems += add;
            t++;
        }
        fd_stream s = c->s;
        s.index = global_index(c, pos);
        c->k->mask_bits(&s, span, bits);
        size_t from = 0, at = k, left = elems;
        for (size_t r = 0; r < t; r++) {
            const size_t n = FD_MIN(r == 0 ? len - col : len, left);
            copy_bits(keep, at, span, from, n);
            at += n;
            left -= n;
            from = (r + 1) * step - col;
        }
        k += elems;
    }
}

/* Elements i .. i+m-1 under the block-order keep bits. */
static void apply(const fd_wcall *c, const uint8_t *keep, size_t i, size_t m)
{
    switch (c->type) {
    case FD_W_F16:
        c->k->apply_bits_f16(keep, (const uint16_t *)c->x + i, (uint16_t *)c->y + i, m,
                             (float)c->scale, c->flags);
        break;
    case FD_W_BF16:
        c->k->apply_bits_bf16(keep, (const uint16_t *)c->x + i, (uint16_t *)c->y + i, m,
                              (float)c->scale, c->flags);
        break;
    case FD_W_F32:
        c->k->apply_bits_f32(keep, (const float *)c->x + i, (float *)c->y + i, m,
                             (float)c->scale, c->flags);
        break;
    case FD_W_F64:
        c->k->apply_bits_f64(keep, (const double *)c->x + i, (double *)c->y + i, m, c->scale,
                             c->flags);
        break;
    default:
        break;
    }
}

static void range_window(void *c_, size_t lo, size_t hi)
{
    const fd_wcall *c = (const fd_wcall *)c_;
    if (c->len < FD_WINDOW_SHORT && c->nd > 0 && c->gstep[c->nd - 1] - c->len <= FD_WINDOW_GAP) {
        /* Many short rows with small gaps: a kernel call per row would cost
         * more than drawing the gaps too. Pieces start on bytes (lo is a
         * multiple of FD_BLOCK, pieces are FD_WINDOW_PIECE long). */
        uint8_t keep[FD_WINDOW_PIECE / 8 + FD_SLACK];
        for (size_t i = lo; i < hi; i += FD_WINDOW_PIECE) {
            const size_t m = FD_MIN((size_t)FD_WINDOW_PIECE, hi - i);
            short_rows(c, i, m, keep);
            if (c->bits)
                memcpy(c->bits + i / 8, keep, (m + 7) / 8);
            apply(c, keep, i, m);
        }
        return;
    }
    size_t i = lo;
    while (i < hi) {
        const size_t m = FD_MIN(c->len - i % c->len, hi - i);
        piece(c, global_index(c, i), i, m);
        i += m;
    }
}

/* Checks the window and the stream, merges axes; *n_out = block elements. */
static int setup(fd_wcall *c, const fd_stream *s, const fd_window *w, size_t *n_out)
{
    if (!s || !w || (w->ndim > 0 && (!w->shape || !w->global_shape || !w->origin)))
        return FD_ENULL;
    if (w->ndim < 0 || w->ndim > FD_WINDOW_MAX_DIMS || s->threshold > FD_KEEP_ALL)
        return FD_EARG;
    const int nd = w->ndim;
    size_t n = 1;
    for (int d = 0; d < nd; d++) {
        const uint64_t len = (uint64_t)w->shape[d], glen = w->global_shape[d];
        if (w->origin[d] > glen || len > glen - w->origin[d])
            return FD_EARG;
        if (len != 0 && n > SIZE_MAX / len)
            return FD_EARG;
        n *= (size_t)len;
    }
    *n_out = n;
    if (n == 0)
        return FD_OK;
    /* Global strides, from the last axis (the block is not empty, so every
     * global length is >= 1); the last element's index must fit. */
    uint64_t gstride[FD_WINDOW_MAX_DIMS], stride = 1, first = 0, last = 0;
    for (int d = nd - 1; d >= 0; d--) {
        gstride[d] = stride;
        const uint64_t a = w->origin[d], b = a + w->shape[d] - 1; /* b < global_shape[d] */
        if (b > 0 && stride > UINT64_MAX / b)
            return FD_ERANGE;
        if (b * stride > UINT64_MAX - last)
            return FD_ERANGE;
        first += a * stride;
        last += b * stride;
        if (d > 0 && w->global_shape[d] > 1 && stride > UINT64_MAX / w->global_shape[d])
            return FD_ERANGE;
        stride *= w->global_shape[d];
    }
    if (last > UINT64_MAX - s->index)
        return FD_ERANGE;
    /* The row: the last axis the block cuts and every axis after it. */
    int cut = nd - 1;
    while (cut >= 0 && w->shape[cut] == w->global_shape[cut])
        cut--;
    size_t len = 1;
    for (int d = (cut < 0 ? 0 : cut); d < nd; d++)
        len *= (size_t)w->shape[d];
    c->len = len;
    c->nd = 0;
    for (int d = 0; d < cut; d++) { /* outer axes: length-1 ones fold into first */
        if (w->shape[d] == 1)
            continue;
        if (c->nd > 0 && c->gstep[c->nd - 1] == (uint64_t)w->shape[d] * gstride[d]) {
            c->dims[c->nd - 1] *= (size_t)w->shape[d]; /* the axis below it is whole */
            c->gstep[c->nd - 1] = gstride[d];
            continue;
        }
        c->dims[c->nd] = (size_t)w->shape[d];
        c->gstep[c->nd] = gstride[d];
        c->nd++;
    }
    c->s = *s;
    c->s.index += first;
    c->k = fd_active_kernels();
    return c->k ? FD_OK : fd_init();
}

static int launch(fd_wcall *c, const fd_stream *s, const fd_window *w, size_t esize)
{
    size_t n = 0;
    int rc = setup(c, s, w, &n);
    if (rc || n == 0)
        return rc;
    if (c->type == FD_W_BITS ? !c->bits : (!c->x || !c->y))
        return FD_ENULL;
    if (c->flags & ~(FD_SCALE | FD_ACCUMULATE))
        return FD_EARG;
    if (esize && n * esize >= FD_STREAM_BYTES && !(c->flags & FD_ACCUMULATE))
        c->flags |= FD_STREAM;
    if (n * esize >= FD_PREFETCH_MIN_BYTES)
        c->flags |= FD_PREFETCH;
    fd_parallel_for(n, range_window, c);
    return FD_OK;
}

int fd_window_mask_bits(const fd_stream *s, const fd_window *w, uint8_t *bits)
{
    fd_wcall c;
    memset(&c, 0, sizeof c);
    c.type = FD_W_BITS;
    c.bits = bits;
    return launch(&c, s, w, 0);
}

#define FD_DEFINE_WINDOW(sfx, T, CT, TYPE)                                    \
    int fd_window_dropout_##sfx(const fd_stream *s, const fd_window *w, const T *x, T *y, \
                                uint8_t *bits, CT scale, unsigned flags)      \
    {                                                                         \
        fd_wcall c;                                                           \
        memset(&c, 0, sizeof c);                                              \
        c.type = TYPE;                                                        \
        c.x = x;                                                              \
        c.y = y;                                                              \
        c.bits = bits;                                                        \
        c.scale = scale;                                                      \
        c.flags = flags;                                                      \
        return launch(&c, s, w, sizeof(T));                                   \
    }

FD_DEFINE_WINDOW(f16, uint16_t, float, FD_W_F16)
FD_DEFINE_WINDOW(bf16, uint16_t, float, FD_W_BF16)
FD_DEFINE_WINDOW(f32, float, float, FD_W_F32)
FD_DEFINE_WINDOW(f64, double, double, FD_W_F64)
