/*
 * fd_fuzz.c -- a libFuzzer target for the public C entry points.
 *
 * Each input picks one function (fd_dropout_*, fd_apply_bits_* and
 * fd_dropout_add_* of float16, float32, float64 and bfloat16, fd_mask_bits,
 * fd_uniforms, fastdrop_normal.h's fd_normals_f64/f32, fd_gaussian_f64/
 * f32 and fd_normal_words_f64, or DropBlock's fd_block_keep_bits and
 * fd_block_keep_bits_stream; fd_threshold and fd_key run on every input),
 * a size n below 4500 (for 1 input in 64, 2**17 more, so that calls split
 * over two threads), an offset (near block boundaries and near 2**64 too),
 * p and a threshold (0, 1, 2**32, NaN, out of range), flags (invalid ones
 * too), a scale, a start shift of 0-7 elements, now and then a NULL
 * pointer, and in-place or not (for dropout-add: y is x, or y is the
 * residual). Dropout-add takes the old y as its residual, and a bias of
 * bias_len elements (element i adds bias[i % bias_len]): none, 1, a few, n,
 * any length, or 0. The normal stream's calls take the key fd_key(seed)
 * and the offset as their index; Gaussian noise takes a sigma (0, -0.0,
 * Gaussian dropout's sqrt(p / (1 - p)), powers of two from 2**-64 to 2**63,
 * huge, subnormal, negative, NaN, infinite, any bits) and may run in place
 * (y is x); fd_normal_words_f64's words are x's bytes. x, the old y, the
 * bias and the input mask bits are the input's remaining bytes, repeated,
 * so every bit pattern occurs. DropBlock's calls take a geometry of planes
 * maps of h rows of w positions of e elements (channels first, e 1;
 * channels last, rows of w*e bits over many words; maps of whole words;
 * windows near and past the bands' limit, which take the per-row route and
 * the scratch array, with rows of a few elements or a few positions of
 * many; n = 0 with the other sizes anything, even huge; n past 2**58) and
 * a window k (mostly 1..min(h, w), even ones too; else up to max(h, w) + 2,
 * 0 or huge); the drawn centres of fd_block_keep_bits are the input's bytes
 * (or sparser: 1 bit in 8 a centre), the stream entry gets a scratch array
 * 3 inputs in 4. Each buffer is a heap block of exactly its size, so
 * AddressSanitizer sees any access past its end; the bytes before the
 * start are a canary.
 *
 * Checks, with __builtin_trap() on any failure (it is a test harness):
 *   - fastdrop.h's error contract: invalid arguments give one of the codes
 *     they call for and nothing is written; valid ones give FD_OK, x and the
 *     canaries stay, dropped elements are +0.0 (the old y when
 *     accumulating), kept ones with flags 0 are x, written mask bits are
 *     fd_mask_bits' and keep bit i of fd_mask_bits is (u[i] < threshold);
 *   - dropout-add (SPEC.md 10.4): FD_ENULL for a NULL stream, x, residual
 *     or y, FD_EARG for a bias of length 0, besides the stream's codes;
 *     x, residual and bias stay (but for the one y is); dropped elements
 *     are the residual's bits, kept ones fl(r + fl(t * scale)) with
 *     t = fl(x + bias) or x, computed here (float16 and bfloat16 widened,
 *     t rounded to the dtype, the product in float32, the sum rounded);
 *   - fastdrop_normal.h (SPEC.md 11): FD_ERANGE for index + n past 2**64
 *     (not for the words), FD_ENULL for a NULL x, y or words, FD_EARG for a
 *     sigma that is not finite and >= 0 (-0.0 is accepted), nothing written
 *     on error; z[i] is Z(index + i) computed here from SPEC.md 11.1 (KN,
 *     h(e)) and fastdrop/normal.h's transform of the word, rounded once
 *     for float32; 0 < |z| <= a(2**-54) (SPEC.md 11.5); a word's variate
 *     is fd_normal_from_word's, its sign bit flips the sign exactly and its
 *     bits 52-62 are unused; Gaussian noise's y is fl(x * fl(1 + fl(sigma
 *     * z))) in the array's type (SPEC.md 11.4), computed here with z from
 *     fd_normals_* of the same stream. sigma is finite and z never NaN, so
 *     no two NaNs meet there: every bit is checked;
 *   - DropBlock (SPEC.md 10.5, fastdrop.h): FD_ENULL for a NULL kept (or
 *     FD_OK when n == 0), drawn, keep or stream, and for no scratch where
 *     the window is too wide for the bands (fd_block.c's limit, written out
 *     here), FD_EARG unless 1 <= k <= min(h, w) and for a threshold over
 *     2**32, FD_ERANGE for n past 2**58 or index + n past 2**64; n = 0 is
 *     valid whatever the other sizes, with *kept 0; on error nothing is
 *     written, *kept included; the keep bits and *kept equal a scan of each
 *     element's window of valid centres written here from SPEC.md 10.5, the
 *     padding bits are 0, and the stream entry's equal fd_mask_bits of its
 *     stream followed by fd_block_keep_bits;
 *   - every kernel this CPU runs (fd_set_isa), and a split over two
 *     threads, gives the scalar kernel's bits exactly, except where two
 *     NaNs meet (fastdrop.h): a NaN accumulated into a NaN (SPEC.md), a
 *     NaN x times a NaN scale, and dropout-add's NaN x plus a NaN bias;
 *     there both results (and dropout-add's computed here) need only be NaN.
 *     fd_normal_words_f64 runs on one thread (no split). DropBlock's keep
 *     bits and count are the same on every kernel and thread count (its
 *     windows near the bands' limit always split).
 *
 * Build and run from the repository root with clang's libFuzzer (.ci/fuzz
 * does this; Debian: clang, libclang-rt-14-dev, libomp-14-dev):
 *   CC=clang python3 c_core.py cc -g -O1 -fsanitize=fuzzer,address,undefined \
 *      -fno-sanitize-recover=all -fopenmp -DFD_STREAM_BYTES=8192 \
 *      -o fd_fuzz src_c/tools/fd_fuzz.c
 *   mkdir -p corpus && ./fd_fuzz -max_total_time=60 -len_control=0 -max_len=512 \
 *      corpus src_c/tools/fuzz_corpus
 * FD_STREAM_BYTES=8192 sends outputs of 8 KiB and more down the
 * non-temporal store path (normally 32 MiB, too large to fuzz). Without
 * -fopenmp every call runs serially and the two-thread runs add nothing.
 * The seeds in src_c/tools/fuzz_corpus replay past findings; ./fd_fuzz
 * <file> replays one input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fastdrop.h"
#include "fastdrop_normal.h"
#include "fastdrop/half.h"
#include "fastdrop/normal.h" /* fd_normal_from_word: the scalar definition */

/* bfloat16's ops, then dropout-add's, then the normal stream's, then
 * DropBlock's, come last, so that the corpus's inputs keep their ops. */
enum { DROP16, DROP32, DROP64, APPLY16, APPLY32, APPLY64, MASK, UNIFORMS, DROPB16, APPLYB16,
       ADD16, ADD32, ADD64, ADDB16, NORM64, NORM32, GAUSS64, GAUSS32, WORDS, BLOCK, BLOCKS,
       NOPS };
static const size_t esize[NOPS] = {2, 4, 8, 2, 4, 8, 1, 4, 2, 2, 2, 4, 8, 2, 8, 4, 8, 4, 8,
                                   1, 1};
static const char *const opname[NOPS] = {"dropout_f16", "dropout_f32", "dropout_f64",
    "apply_bits_f16", "apply_bits_f32", "apply_bits_f64", "mask_bits", "uniforms",
    "dropout_bf16", "apply_bits_bf16", "dropout_add_f16", "dropout_add_f32",
    "dropout_add_f64", "dropout_add_bf16", "normals_f64", "normals_f32", "gaussian_f64",
    "gaussian_f32", "normal_words_f64", "block_keep_bits", "block_keep_bits_stream"};
#define IS_BF16(op) ((op) == DROPB16 || (op) == APPLYB16 || (op) == ADDB16)
#define IS_DROP(op) ((op) <= DROP64 || (op) == DROPB16)            /* fd_dropout_* */
#define IS_APPLY(op) (((op) >= APPLY16 && (op) <= APPLY64) || (op) == APPLYB16)
#define IS_ADD(op) ((op) >= ADD16 && (op) <= ADDB16)               /* fd_dropout_add_* */
#define IS_NORMAL(op) ((op) >= NORM64 && (op) <= WORDS)            /* fastdrop_normal.h */
#define IS_BLOCK(op) ((op) == BLOCK || (op) == BLOCKS)             /* fd_block_keep_bits* */
#define IS_GAUSS(op) ((op) == GAUSS64 || (op) == GAUSS32)          /* fd_gaussian_* */
#define IS_ARRAY(op) ((op) != MASK && (op) != UNIFORMS && !IS_ADD(op) && !IS_NORMAL(op) \
                      && !IS_BLOCK(op))

#define NMAX 4500
#define SPLIT_N ((size_t)2 << 16) /* two threads' worth (fd_parallel.h) */
#define MAY(rc) (1u << -(rc))     /* sets of status codes, FD_OK included */

typedef struct call {
    int op, in_place, bits_out, split, null_stream, null_x, null_y, null_bits;
    int null_res, bias; /* dropout-add: residual NULL; a bias (else NULL) */
    size_t n, shift, bias_len;
    fd_stream s; /* the normal stream's calls: key s.key, index s.index */
    unsigned flags;
    double p, scale, sigma; /* sigma: fd_gaussian_*'s (a float's value for _f32) */
    uint64_t seed;
    /* DropBlock: planes maps of h rows of w positions of e elements, the
     * window k; n their product (SIZE_MAX when it overflows); big: n over
     * 2**58 or overflowing (no buffers); wide: the window too wide for the
     * bands; a scratch array given; kept NULL */
    size_t planes, h, w, e, k;
    int big, wide, scratch, null_kept, sparse; /* sparse: fewer drawn centres */
} call;

typedef struct buf { /* a heap block: pre canary bytes, then len data bytes */
    uint8_t *base;
    size_t pre, len;
} buf;

typedef struct inputs { /* res and bias: dropout-add's, scratch0: DropBlock's (else empty) */
    buf x, y0, bits_in, bits0, res, bias, scratch0;
} inputs;

static const call *cur; /* for the failure report */
static int cur_isa, cur_threads;

static void report(const char *what, int line)
{
    fprintf(stderr, "fd_fuzz: check failed at line %d: %s\n", line, what);
    if (cur)
        fprintf(stderr, "  %s n=%zu shift=%zu index=%llu threshold=%llu flags=%#x scale=%a "
                "in_place=%d bits_out=%d null(s,x,y,bits)=%d%d%d%d isa=%s threads=%d\n",
                opname[cur->op], cur->n, cur->shift, (unsigned long long)cur->s.index,
                (unsigned long long)cur->s.threshold, cur->flags, cur->scale, cur->in_place,
                cur->bits_out, cur->null_stream, cur->null_x, cur->null_y, cur->null_bits,
                fd_isa_name(cur_isa), cur_threads);
    if (cur && IS_ADD(cur->op))
        fprintf(stderr, "  bias=%d bias_len=%zu null_res=%d (in_place 1: y is x, 2: y is "
                "residual)\n", cur->bias, cur->bias_len, cur->null_res);
    if (cur && IS_NORMAL(cur->op))
        fprintf(stderr, "  key=%#llx sigma=%a (normals: z is y; words: h is x)\n",
                (unsigned long long)cur->s.key, cur->sigma);
    if (cur && IS_BLOCK(cur->op))
        fprintf(stderr, "  planes=%zu h=%zu w=%zu e=%zu k=%zu big=%d wide=%d scratch=%d "
                "null_kept=%d (keep is bits, drawn bits_in, kept y)\n", cur->planes, cur->h,
                cur->w, cur->e, cur->k, cur->big, cur->wide, cur->scratch, cur->null_kept);
    __builtin_trap();
}
#define REQUIRE(c) ((c) ? (void)0 : report(#c, __LINE__))

/* ===   Decoding the input   === */

typedef struct reader {
    const uint8_t *p;
    size_t left;
} reader;

static uint64_t take(reader *r, unsigned nbytes) /* zeros once the input is used up */
{
    uint64_t v = 0;
    for (unsigned k = 0; k < nbytes && r->left; k++, r->left--)
        v |= (uint64_t)*r->p++ << (8 * k);
    return v;
}

static double pick_p(reader *r)
{
    static const double odd[] = {-0.0, -1e-300, 1.0000000000000002, 2.0, INFINITY, -INFINITY, NAN};
    const uint64_t raw = take(r, 8);
    double d;
    switch (take(r, 1) % 8) {
    case 0: return 0.0;
    case 1: return 1.0;
    case 2: return (double)(uint32_t)raw / 4294967296.0;
    case 3: return ldexp(1.0, -(int)(raw % 80));
    case 4: return 1.0 - ldexp(1.0, -(int)(raw % 60));
    case 5: return odd[raw % 7];
    default: memcpy(&d, &raw, 8); return d; /* any bits: NaNs, out of range */
    }
}

static uint64_t pick_threshold(reader *r, double p)
{
    const uint64_t raw = take(r, 8);
    uint64_t t;
    switch (take(r, 1) % 8) {
    case 0: return 0;
    case 1: return FD_KEEP_ALL;
    case 2: return FD_KEEP_ALL + 1 + raw % 256; /* out of range */
    case 3: return raw;
    case 4: return raw % 2 ? 1 : FD_KEEP_ALL - 1;
    case 5: return fd_threshold(p, &t) == FD_OK ? t : (uint32_t)raw;
    default: return (uint32_t)raw;
    }
}

static uint64_t pick_offset(reader *r)
{
    const uint64_t raw = take(r, 8);
    switch (take(r, 1) % 4) {
    case 0: return raw % 65536;
    case 1: return (raw >> 8) * FD_BLOCK + (uint64_t)(int64_t)(int8_t)raw; /* near a block edge */
    case 2: return UINT64_MAX - raw % 8192; /* index + n may pass 2**64 */
    default: return raw;
    }
}

/* The bits raw as a double (es 8) or, from its low 32 bits, a float. */
static double raw_float(uint64_t raw, size_t es)
{
    if (es == 8) {
        double d;
        memcpy(&d, &raw, 8);
        return d;
    }
    const uint32_t u = (uint32_t)raw;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static double pick_scale(reader *r, const call *c)
{
    static const double odd[] = {-0.0, -1.0, INFINITY, -INFINITY, NAN, 65504.0, 1e-40, 3e38};
    const uint64_t raw = take(r, 8);
    switch (take(r, 1) % 8) {
    case 0: case 1: return c->p >= 0.0 && c->p < 1.0 ? 1.0 / (1.0 - c->p) : 0.0;
    case 2: return 0.0;
    case 3: return 1.0;
    case 4: return odd[raw % 8];
    default: return raw_float(raw, esize[c->op]);
    }
}

static double pick_sigma(reader *r, const call *c)
{
    static const double odd[] = {-0.0, -1.0, -0x1p-1074, 0x1p-1074, INFINITY, -INFINITY, NAN,
                                 1.7976931348623157e308, 3.4028234663852886e38, 1e-45};
    const uint64_t raw = take(r, 8);
    const double p = (double)(uint32_t)raw / 4294967296.0;
    switch (take(r, 1) % 8) {
    case 0: return 0.0;
    case 1: case 2: return sqrt(p / (1.0 - p)); /* Gaussian dropout's (SPEC.md 11.4) */
    case 3: return ldexp(1.0, (int)(raw % 128) - 64);
    case 4: return odd[raw % 10];
    default: return raw_float(raw, esize[c->op]);
    }
}

/* The log steps of a window of k (windows of 1, 2, 4, .., then what is
 * left): ceil(log2 k). */
static unsigned log_steps(size_t k)
{
    unsigned s = 0;
    while (s < 64 && ((size_t)1 << s) < k)
        s++;
    return s;
}

/* The widest reach, in bits, fd_block.c's bands take for a window of k: a
 * window reaches (k - 1) * (w + 1) * e bits, and a band's two buffers of
 * 4096 words keep half for it, less 2 words a log step and 3. Wider ones
 * take the per-row route, whose stream entry needs the scratch array. */
static uint64_t band_reach_limit(size_t k)
{
    return 64 * (uint64_t)(4096 / 2 - 3 - 2 * log_steps(k));
}

static size_t gcd(size_t a, size_t b)
{
    while (b) {
        const size_t t = a % b;
        a = b, b = t;
    }
    return a;
}

/* DropBlock's geometry (SPEC.md 10.5, fastdrop.h): channels first (e 1),
 * channels last (a row of w*e bits over many words), maps of whole words
 * (the bands' map mask); windows of k near and past the bands' limit (the
 * per-row route: long rows of a few elements, or a few positions of many,
 * past the per-row ring too); n = 0 with the other sizes anything; n past
 * 2**58. k is mostly valid, else over h or w (FD_EARG), 0 or huge. */
static void decode_block(reader *r, call *c, unsigned mode)
{
    const unsigned kind = (unsigned)take(r, 1) % 16, kb = (unsigned)take(r, 2);
    const uint64_t raw = take(r, 8);
    size_t planes = 1, h = 1 + (raw >> 8) % 64, w = 1 + (raw >> 16) % 64, e = 1, k;
    if (kind <= 10) {
        if (kind >= 6 && kind < 10) { /* channels last */
            h = 1 + (raw >> 8) % 12, w = 1 + (raw >> 16) % 12, e = 2 + (raw >> 24) % 400;
            e = e < NMAX / (h * w) ? e : NMAX / (h * w);
        } else if (kind == 10) { /* each map a whole number of words */
            h = 1 + (raw >> 8) % 8, w = 1 + (raw >> 16) % 8, e = 64 / gcd(h * w, 64);
        }
        planes = 1 + (size_t)(raw >> 40) % (NMAX / (h * w * e));
        const size_t lo = h < w ? h : w, hi = h < w ? w : h;
        const unsigned sel = kb >> 12;
        k = sel < 11 ? 1 + kb % lo : sel < 14 ? 1 + kb % (hi + 2) : sel == 14 ? 0
            : SIZE_MAX - kb % 4;
        if (c->split) { /* two threads' worth; windows up to 8 (the reference's time) */
            planes += SPLIT_N / (h * w * e) + 1;
            if (k >= 1 && k <= lo)
                k = 1 + (k - 1) % 8;
        }
    } else if (kind < 14) { /* near and past the bands' limit */
        k = 2 + raw % 4, h = k + (raw >> 8) % 3, w = k + (raw >> 16) % 3;
        const uint64_t lim = band_reach_limit(k), d = (raw >> 24) % 5;
        if (kind == 11) { /* a few positions of many elements, either side of the limit */
            planes = 1 + (raw >> 56) % 2;
            e = (size_t)(lim / ((k - 1) * (w + 1)) - 2 + d);
        } else if (kind == 12) { /* long rows of a few elements (shifts under 64 bits) */
            e = 1 + (size_t)(raw >> 32) % (63 / (k / 2));
            w = (size_t)(lim / ((k - 1) * e) - 3 + d);
        } else if ((raw >> 32) % 4) { /* far past */
            e = (size_t)(lim / ((k - 1) * (w + 1)) * (2 + d % 3));
        } else { /* either side of the per-row ring's width (4092 words) */
            k = 2, h = w = 2, e = 64 * 4092 - 128 + (size_t)(raw >> 40) % 256;
        }
        c->split = 1;
    } else if (kind == 14) { /* n = 0 */
        size_t f[4];
        for (unsigned i = 0; i < 4; i++) {
            const uint64_t b = raw >> (8 * i + 8);
            f[i] = (kb >> i) & 1 ? (size_t)1 << (20 + b % 44) : (size_t)(1 + b % 70);
        }
        f[raw % 4] = 0;
        planes = f[0], h = f[1], w = f[2], e = f[3];
        k = kb >> 15 ? SIZE_MAX - kb % 4 : (kb >> 4) % 80;
    } else { /* n past 2**58, or overflowing */
        if (raw % 2) {
            h = 1 + (raw >> 8) % 64, w = 1 + (raw >> 16) % 64, e = 1 + (raw >> 24) % 64;
            planes = (size_t)((UINT64_C(1) << 58) / (h * w * e) + 1 + (raw >> 40) % 3);
        } else {
            planes = (size_t)take(r, 8), h = (size_t)take(r, 8), w = (size_t)take(r, 8);
            e = (size_t)take(r, 8);
        }
        k = (kb >> 4) % 80;
    }
    c->planes = planes, c->h = h, c->w = w, c->e = e, c->k = k;
    const size_t f[4] = {planes, h, w, e};
    uint64_t n = 1;
    int zero = 0, over = 0;
    for (unsigned i = 0; i < 4; i++) {
        if (f[i] == 0)
            zero = 1;
        else if (n > UINT64_MAX / f[i])
            over = 1;
        else
            n *= f[i];
    }
    c->big = !zero && (over || n > UINT64_C(1) << 58);
    c->n = zero ? 0 : over ? SIZE_MAX : (size_t)n;
    c->wide = !zero && !c->big && k >= 1 && k <= h && k <= w
              && (uint64_t)(k - 1) * (w + 1) * e > band_reach_limit(k);
    c->scratch = c->op == BLOCKS && ((mode >> 2) & 3) != 0;
    c->sparse = (mode >> 4) & 1;
    c->null_kept = c->null_x, c->null_x = 0; /* kept is x's NULL, keep y's, drawn bits' */
    if (c->op == BLOCK)
        c->null_bits |= c->null_stream, c->null_stream = 0;
    else
        c->null_bits = 0;
    c->in_place = c->bits_out = 0, c->flags = 0; /* not passed */
}

static void decode(reader *r, call *c)
{
    memset(c, 0, sizeof *c);
    uint32_t h = 2166136261u; /* FNV-1a of the whole input */
    for (size_t k = 0; k < r->left; k++)
        h = (h ^ r->p[k]) * 16777619u;
    c->op = (int)(take(r, 1) % NOPS);
    const unsigned mode = (unsigned)take(r, 1), nulls = (unsigned)take(r, 1);
    c->in_place = mode & 1;
    c->bits_out = (mode >> 1) & 1;
    /* Split calls are slow: 1 input in 64, chosen by the hash of all its
     * bytes so that mutants of one are rarely one too. */
    c->split = h % 64 == 0 && c->op != UNIFORMS && c->op != WORDS;
    if ((nulls & 0xf0) == 0xf0) {
        const int which = nulls & (IS_ADD(c->op) ? 7 : 3);
        c->null_stream = which == 0, c->null_x = which == 1;
        c->null_y = which == 2, c->null_bits = which == 3, c->null_res = which == 4;
    }
    if (IS_ADD(c->op) && c->in_place)
        c->in_place = 1 + ((mode >> 2) & 1); /* y is x, or y is residual */
    c->shift = take(r, 1) % 8;
    const unsigned v = (unsigned)take(r, 2);
    c->n = (v & 0x8000) ? (v & 0x3f) : v % NMAX;
    if (c->split)
        c->n += SPLIT_N;
    c->s.index = pick_offset(r);
    c->p = pick_p(r);
    c->s.threshold = pick_threshold(r, c->p);
    const unsigned fb = (unsigned)take(r, 1);
    c->flags = (fb & 0xf0) == 0xf0 ? (fb & 3) | 4u << take(r, 1) % 30 : fb & 3;
    c->scale = pick_scale(r, c);
    c->seed = take(r, 8);
    c->s.key = fd_key(c->seed);
    if (IS_ADD(c->op)) { /* the bias: none, 1, a few, n, any length, or 0 (FD_EARG) */
        const unsigned bb = (unsigned)take(r, 1), len = (unsigned)take(r, 2);
        const unsigned kind = bb % 16;
        c->bias = kind >= 4;
        c->bias_len = kind < 4 ? len /* ignored */ : kind < 6 ? 1 : kind < 10 ? 1 + len % 64
                      : kind < 13 ? c->n : kind < 15 ? 1 + len % NMAX : 0;
        c->flags = FD_SCALE | FD_ACCUMULATE; /* what the call does; not passed */
    }
    if (IS_NORMAL(c->op)) { /* no stream pointer, no mask bits; in place: y is x */
        c->sigma = pick_sigma(r, c);
        if (esize[c->op] == 4)
            c->sigma = (float)c->sigma;
        c->null_stream = c->null_bits = 0;
        c->in_place &= IS_GAUSS(c->op);
        c->flags = 0; /* not passed */
    }
    if (c->op == UNIFORMS || c->op == NORM64 || c->op == NORM32)
        c->null_y |= c->null_x, c->null_x = 0; /* u or z is its one array */
    if (IS_BLOCK(c->op))
        decode_block(r, c, mode);
}

/* ===   Buffers   === */

static buf buf_new(size_t pre, size_t len)
{
    buf b = {malloc(pre + len), pre, len};
    if (!b.base)
        b.base = malloc(1); /* malloc(0) may give NULL */
    REQUIRE(b.base != NULL);
    memset(b.base, 0xa5, pre);
    return b;
}

static uint8_t *data(const buf *b)
{
    return b->base + b->pre;
}

static buf buf_clone(const buf *b)
{
    buf c = buf_new(b->pre, b->len);
    memcpy(c.base, b->base, b->pre + b->len);
    return c;
}

static int buf_same(const buf *a, const buf *b)
{
    return memcmp(a->base, b->base, a->pre + a->len) == 0;
}

/* len bytes of the input's data, from start on, repeated. */
static void fill(uint8_t *dst, size_t len, const uint8_t *src, size_t srclen, size_t start)
{
    if (srclen == 0) {
        for (size_t i = 0; i < len; i++)
            dst[i] = (uint8_t)(i * 167 + start);
        return;
    }
    for (size_t i = 0, k = start % srclen; i < len; k = 0) {
        const size_t m = srclen - k < len - i ? srclen - k : len - i;
        memcpy(dst + i, src + k, m);
        i += m;
    }
}

/* DropBlock's inputs: the drawn centres are the input's bytes (sparse: each
 * ORed with two rotations of itself, so 1 bit in 8 is a centre); keep
 * (bits0) 0x5a, kept (y0) a 0x5a pattern, the scratch array 0x3c; no
 * buffers of its size for n past 2**58. */
static inputs make_block_inputs(const call *c, const uint8_t *src, size_t srclen)
{
    const size_t nb = c->big ? 0 : (c->n + 7) / 8;
    inputs in;
    in.x = buf_new(0, 0), in.res = buf_new(0, 0), in.bias = buf_new(0, 0);
    in.y0 = buf_new(8, 8);
    memset(data(&in.y0), 0x5a, 8);
    in.bits_in = buf_new(c->shift, nb);
    uint8_t *d = data(&in.bits_in);
    fill(d, nb, src, srclen, srclen / 3 + 2);
    for (size_t i = 0; c->sparse && i < nb; i++)
        d[i] = (uint8_t)(d[i] | (d[i] << 1 | d[i] >> 7) | (d[i] << 3 | d[i] >> 5));
    in.bits0 = buf_new(c->shift, nb);
    memset(data(&in.bits0), 0x5a, nb);
    in.scratch0 = buf_new(c->shift, nb);
    memset(data(&in.scratch0), 0x3c, nb);
    return in;
}

static inputs make_inputs(const call *c, const uint8_t *src, size_t srclen)
{
    const size_t es = esize[c->op], nb = (c->n + 7) / 8;
    inputs in;
    if (IS_BLOCK(c->op))
        return make_block_inputs(c, src, srclen);
    in.scratch0 = buf_new(0, 0);
    in.x = buf_new(c->shift * es, c->n * es);
    fill(data(&in.x), in.x.len, src, srclen, 0);
    in.y0 = buf_new(c->shift * es, c->n * es);
    in.res = buf_new(c->shift * es, IS_ADD(c->op) ? c->n * es : 0);
    in.bias = buf_new(c->shift * es, IS_ADD(c->op) && c->bias ? c->bias_len * es : 0);
    if (IS_ADD(c->op)) { /* the old y is the residual; y0 is what y holds before */
        fill(data(&in.res), in.res.len, src, srclen, srclen / 2 + 1);
        fill(data(&in.bias), in.bias.len, src, srclen, srclen / 5 + 3);
        if (c->in_place)
            memcpy(data(&in.y0), data(c->in_place == 1 ? &in.x : &in.res), in.y0.len);
        else
            fill(data(&in.y0), in.y0.len, src, srclen, srclen / 4 + 4);
    } else if (c->in_place)
        memcpy(data(&in.y0), data(&in.x), in.x.len);
    else
        fill(data(&in.y0), in.y0.len, src, srclen, srclen / 2 + 1);
    in.bits_in = buf_new(c->shift, nb);
    fill(data(&in.bits_in), nb, src, srclen, srclen / 3 + 2);
    in.bits0 = buf_new(c->shift, nb);
    memset(data(&in.bits0), 0x5a, nb);
    return in;
}

static void free_inputs(inputs *in)
{
    free(in->x.base), free(in->y0.base), free(in->bits_in.base), free(in->bits0.base);
    free(in->res.base), free(in->bias.base), free(in->scratch0.base);
}

/* ===   One call   === */

typedef struct result { /* DropBlock: keep is bits, kept y, scratch its own */
    int rc;
    buf y, bits, scratch;
} result;

static result run(const call *c, const inputs *in, int isa, int threads)
{
    result o;
    cur_isa = isa, cur_threads = threads;
    REQUIRE(fd_set_isa(isa) == FD_OK && fd_active_isa() == isa);
    REQUIRE(fd_set_num_threads(threads) == FD_OK);
    o.y = buf_clone(&in->y0);
    o.bits = buf_clone(&in->bits0);
    o.scratch = buf_clone(&in->scratch0);
    const fd_stream *s = c->null_stream ? NULL : &c->s;
    void *y = c->null_y ? NULL : data(&o.y);
    const void *x = c->null_x ? NULL : c->in_place == 1 ? y : data(&in->x);
    const void *res = c->null_res ? NULL : c->in_place == 2 ? y : data(&in->res);
    const void *bias = c->bias ? data(&in->bias) : NULL;
    const size_t bl = c->bias_len;
    const uint8_t *bi = c->null_bits ? NULL : data(&in->bits_in);
    uint8_t *bo = c->null_bits || !(c->bits_out || c->op == MASK) ? NULL : data(&o.bits);
    const size_t n = c->n;
    const float sf = (float)c->scale;
    const unsigned fl = c->flags;
    uint8_t *keep = c->null_y ? NULL : data(&o.bits), *sc = c->scratch ? data(&o.scratch) : NULL;
    uint64_t *kept = c->null_kept ? NULL : (uint64_t *)(void *)data(&o.y);
    switch (c->op) {
    case DROP16: o.rc = fd_dropout_f16(s, x, y, bo, n, sf, fl); break;
    case DROP32: o.rc = fd_dropout_f32(s, x, y, bo, n, sf, fl); break;
    case DROP64: o.rc = fd_dropout_f64(s, x, y, bo, n, c->scale, fl); break;
    case APPLY16: o.rc = fd_apply_bits_f16(bi, x, y, n, sf, fl); break;
    case APPLY32: o.rc = fd_apply_bits_f32(bi, x, y, n, sf, fl); break;
    case APPLY64: o.rc = fd_apply_bits_f64(bi, x, y, n, c->scale, fl); break;
    case DROPB16: o.rc = fd_dropout_bf16(s, x, y, bo, n, sf, fl); break;
    case APPLYB16: o.rc = fd_apply_bits_bf16(bi, x, y, n, sf, fl); break;
    case ADD16: o.rc = fd_dropout_add_f16(s, x, res, bias, bl, y, bo, n, sf); break;
    case ADD32: o.rc = fd_dropout_add_f32(s, x, res, bias, bl, y, bo, n, sf); break;
    case ADD64: o.rc = fd_dropout_add_f64(s, x, res, bias, bl, y, bo, n, c->scale); break;
    case ADDB16: o.rc = fd_dropout_add_bf16(s, x, res, bias, bl, y, bo, n, sf); break;
    case NORM64: o.rc = fd_normals_f64(c->s.key, c->s.index, y, n); break;
    case NORM32: o.rc = fd_normals_f32(c->s.key, c->s.index, y, n); break;
    case GAUSS64: o.rc = fd_gaussian_f64(c->s.key, c->s.index, x, y, n, c->sigma); break;
    case GAUSS32: o.rc = fd_gaussian_f32(c->s.key, c->s.index, x, y, n, (float)c->sigma); break;
    case WORDS: o.rc = fd_normal_words_f64(x, y, n); break;
    case MASK: o.rc = fd_mask_bits(s, bo, n); break;
    case BLOCK:
        o.rc = fd_block_keep_bits(bi, keep, c->planes, c->h, c->w, c->e, c->k, kept);
        break;
    case BLOCKS:
        o.rc = fd_block_keep_bits_stream(s, keep, sc, c->planes, c->h, c->w, c->e, c->k, kept);
        break;
    default: o.rc = fd_uniforms(s, y, n); break;
    }
    return o;
}

static void free_result(result *o)
{
    free(o->y.base), free(o->bits.base), free(o->scratch.base);
}

/* The status codes the call may return (fastdrop.h). A NULL stream with
 * n == 0 may be accepted; fd_uniforms may reject a threshold it ignores. */
static unsigned allowed(const call *c)
{
    unsigned must = 0, may = 0;
    if (IS_BLOCK(c->op)) { /* fastdrop.h's DropBlock; n == 0 is valid, kept may be required */
        const int some = c->n > 0;
        if (c->null_kept)
            *(some ? &must : &may) |= MAY(FD_ENULL);
        if (c->big)
            must |= MAY(FD_ERANGE);
        if (some && (c->k < 1 || c->k > c->h || c->k > c->w))
            must |= MAY(FD_EARG);
        const int no_scratch = c->op == BLOCKS && c->wide && !c->scratch;
        if (some && (c->null_y || c->null_bits || no_scratch))
            must |= MAY(FD_ENULL);
        if (c->op == BLOCKS && c->null_stream)
            *(some ? &must : &may) |= MAY(FD_ENULL);
        else if (c->op == BLOCKS && c->s.threshold > FD_KEEP_ALL)
            must |= MAY(FD_EARG);
        else if (c->op == BLOCKS && some && !c->big && c->n - 1 > UINT64_MAX - c->s.index)
            must |= MAY(FD_ERANGE);
        return must ? must | may : MAY(FD_OK) | may;
    }
    if (IS_NORMAL(c->op)) { /* fastdrop_normal.h: n == 0 is valid (a bad sigma may fail) */
        if (c->n > 0 && (c->null_x || c->null_y))
            must |= MAY(FD_ENULL);
        if (c->op != WORDS && c->n > 0 && c->n - 1 > UINT64_MAX - c->s.index)
            must |= MAY(FD_ERANGE);
        if (IS_GAUSS(c->op) && !(c->sigma >= 0.0 && isfinite(c->sigma)))
            *(c->n > 0 ? &must : &may) |= MAY(FD_EARG);
        return must ? must | may : MAY(FD_OK) | may;
    }
    const int stream = !IS_APPLY(c->op), apply = IS_APPLY(c->op);
    if (stream && c->null_stream) {
        if (c->n > 0)
            must |= MAY(FD_ENULL);
        else
            may |= MAY(FD_ENULL);
    } else if (stream) {
        if (c->s.threshold > FD_KEEP_ALL)
            *(c->op == UNIFORMS ? &may : &must) |= MAY(FD_EARG);
        if (c->n > 0 && c->n - 1 > UINT64_MAX - c->s.index)
            must |= MAY(FD_ERANGE);
    }
    if (IS_ARRAY(c->op) && (c->flags & ~(unsigned)(FD_SCALE | FD_ACCUMULATE)))
        must |= MAY(FD_EARG);
    const int nulls = c->op == MASK ? c->null_bits
                      : c->op == UNIFORMS ? c->null_y
                      : IS_ADD(c->op) ? c->null_x || c->null_y || c->null_res
                      : c->null_x || c->null_y || (apply && c->null_bits);
    if (c->n > 0 && nulls)
        must |= MAY(FD_ENULL);
    if (c->n > 0 && IS_ADD(c->op) && c->bias && c->bias_len == 0)
        must |= MAY(FD_EARG);
    return must ? must | may : MAY(FD_OK) | may;
}

/* ===   Checks of a valid call   === */

static int bit(const uint8_t *b, size_t i)
{
    return (b[i / 8] >> (i % 8)) & 1;
}

static int is_nan(const uint8_t *e, size_t es, int bf16)
{
    float f;
    double d;
    if (es == 2)
        return (((unsigned)e[1] << 8 | e[0]) & 0x7fffu) > (bf16 ? 0x7f80u : 0x7c00u);
    if (es == 4)
        return memcpy(&f, e, 4), isnan(f);
    return memcpy(&d, e, 8), isnan(d);
}

/* Where two NaNs meet, which one results is not specified: SPEC.md's
 * accumulation of a NaN (x * scale or x) into a NaN old y, and a NaN x
 * times a NaN scale (fastdrop.h). Is element j such a case? */
static int two_nans(const call *c, const uint8_t *x, const uint8_t *y0, size_t j)
{
    const size_t es = esize[c->op];
    if (!IS_ARRAY(c->op) || !(c->flags & (FD_SCALE | FD_ACCUMULATE)))
        return 0;
    const int bf = IS_BF16(c->op);
    const int scaled = (c->flags & FD_SCALE) != 0, x_nan = is_nan(x + j * es, es, bf);
    const float sf = (float)c->scale;
    if (scaled && x_nan && (es == 8 ? isnan(c->scale) : isnan(sf)))
        return 1;
    if (!(c->flags & FD_ACCUMULATE) || !is_nan(y0 + j * es, es, bf))
        return 0;
    if (!scaled || x_nan)
        return x_nan;
    double d;
    float f;
    if (es == 8)
        return memcpy(&d, x + j * 8, 8), isnan(d * c->scale);
    if (es == 4)
        memcpy(&f, x + j * 4, 4);
    else if (bf)
        f = fd_bf16_to_float((uint16_t)(x[j * 2] | x[j * 2 + 1] << 8));
    else
        f = fd_half_to_float((uint16_t)(x[j * 2] | x[j * 2 + 1] << 8));
    return isnan(f * sf);
}

/* Kept element j of dropout-add, computed here from SPEC.md 10.4 into out:
 * fl(r + fl(t * scale)), t = fl(x + bias[j % bias_len]) or x; float16 and
 * bfloat16 widened, t rounded to the dtype after the float32 sum, the
 * product in float32 and only the sum rounded. Returns whether two NaNs
 * meet on the way (x and bias, t and scale, the product and r): there any
 * NaN will do. */
static int add_kept(const call *c, const inputs *in, size_t j, uint8_t *out)
{
    const size_t es = esize[c->op], b = c->bias && c->bias_len ? j % c->bias_len : 0;
    const uint8_t *xj = data(&in->x) + j * es, *rj = data(&in->res) + j * es;
    const uint8_t *bj = data(&in->bias) + b * es;
    if (es == 8) {
        double x, r, bv = 0.0, t, prod, y;
        memcpy(&x, xj, 8), memcpy(&r, rj, 8);
        t = x;
        if (c->bias)
            memcpy(&bv, bj, 8), t = x + bv;
        prod = t * c->scale;
        y = r + prod;
        memcpy(out, &y, 8);
        return (c->bias && isnan(x) && isnan(bv)) || (isnan(t) && isnan(c->scale))
               || (isnan(prod) && isnan(r));
    }
    const float sf = (float)c->scale;
    if (es == 4) {
        float x, r, bv = 0.0f, t, prod, y;
        memcpy(&x, xj, 4), memcpy(&r, rj, 4);
        t = x;
        if (c->bias)
            memcpy(&bv, bj, 4), t = x + bv;
        prod = t * sf;
        y = r + prod;
        memcpy(out, &y, 4);
        return (c->bias && isnan(x) && isnan(bv)) || (isnan(t) && isnan(sf))
               || (isnan(prod) && isnan(r));
    }
    const int bf = IS_BF16(c->op);
    float (*const widen)(uint16_t) = bf ? fd_bf16_to_float : fd_half_to_float;
    uint16_t (*const narrow)(float) = bf ? fd_float_to_bf16 : fd_float_to_half;
    const float x = widen((uint16_t)(xj[0] | xj[1] << 8));
    const float r = widen((uint16_t)(rj[0] | rj[1] << 8));
    const float bv = c->bias ? widen((uint16_t)(bj[0] | bj[1] << 8)) : 0.0f;
    const float t = c->bias ? widen(narrow(x + bv)) : x;
    const float prod = t * sf;
    const uint16_t y = narrow(r + prod);
    out[0] = (uint8_t)y, out[1] = (uint8_t)(y >> 8);
    return (c->bias && isnan(x) && isnan(bv)) || (isnan(t) && isnan(sf))
           || (isnan(prod) && isnan(r));
}

/* Where two NaNs meet in element j, whichever NaN results will do. */
static int nan_meets_nan(const call *c, const inputs *in, size_t j)
{
    uint8_t e[8];
    if (IS_ADD(c->op))
        return add_kept(c, in, j, e);
    return two_nans(c, c->in_place ? data(&in->y0) : data(&in->x), data(&in->y0), j);
}

/* Element j of dropout-add's y: the residual's bits where dropped, else
 * add_kept's (NaN where two NaNs meet). */
static void check_add_element(const call *c, const inputs *in, size_t j, int kept,
                              const uint8_t *yj)
{
    const size_t es = esize[c->op];
    uint8_t e[8];
    if (!kept) {
        REQUIRE(memcmp(yj, data(&in->res) + j * es, es) == 0);
        return;
    }
    if (add_kept(c, in, j, e)) {
        REQUIRE(is_nan(yj, es, IS_BF16(c->op)));
        return;
    }
    if (memcmp(yj, e, es) == 0)
        return;
    fprintf(stderr, "fd_fuzz: element %zu (x, bias, residual, computed here, scalar; "
            "little-endian hex):", j);
    const uint8_t *p[] = {data(&in->x) + j * es,
                          data(&in->bias) + (c->bias ? j % c->bias_len : 0) * es,
                          data(&in->res) + j * es, e, yj};
    for (size_t q = 0; q < 5; q++)
        for (size_t k = 0; k < es; k++)
            fprintf(stderr, k ? "%02x" : " %02x", q == 1 && !c->bias ? 0 : p[q][k]);
    fprintf(stderr, "\n");
    REQUIRE(!"kept: fl(residual + fl(t * scale))");
}

/* SPEC.md 11.1, written out: Z(e) is the variate of the word
 * h(e) = mix64(KN + GOLDEN * (e + 1)), KN = mix64(K ^ NORMAL_SALT), by
 * fastdrop/normal.h's transform (11.2-11.3). */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static double spec_z(uint64_t key, uint64_t e)
{
    const uint64_t kn = mix64(key ^ UINT64_C(0xA54FF53A5F1D36F1));
    return fd_normal_from_word(mix64(kn + UINT64_C(0x9E3779B97F4A7C15) * (e + 1)));
}

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* A variate lies in [-a(2**-54), a(2**-54)] (SPEC.md 11.5) and is not 0. */
static int z_in_range(double z)
{
    const uint64_t mag = f64_bits(z) & ~(UINT64_C(1) << 63);
    return mag != 0 && mag <= UINT64_C(0x402095b059d67c4c);
}

static void normal_mismatch(size_t j, double x, double z, double want, double got)
{
    fprintf(stderr, "fd_fuzz: element %zu: x=%a z=%a, computed here %a, scalar %a\n", j, x, z,
            want, got);
    REQUIRE(!"the normal stream's formula (SPEC.md 11)");
}

/* The scalar result of a normal-stream call (n > 0, FD_OK) against SPEC.md
 * 11: normals are Z(index + i) (rounded once to float32), words' variates
 * are fd_normal_from_word's, Gaussian noise is fl(x * fl(1 + fl(sigma *
 * z))) with z from fd_normals_* of the same stream. */
static void check_normal(const call *c, const inputs *in, const result *r)
{
    const size_t n = c->n;
    const uint64_t key = c->s.key, index = c->s.index;
    const uint8_t *x = data(&in->x), *y = data(&r->y);
    double *z = malloc(n * sizeof *z);
    float *zf = malloc(n * sizeof *zf);
    REQUIRE(z != NULL && zf != NULL);
    if (c->op == GAUSS64)
        REQUIRE(fd_normals_f64(key, index, z, n) == FD_OK);
    if (c->op == GAUSS32)
        REQUIRE(fd_normals_f32(key, index, zf, n) == FD_OK);
    for (size_t j = 0; j < n; j++) {
        double xd, yd, zd = 0.0;
        float xf, yf;
        if (c->op == WORDS) { /* sign bit 63; bits 52-62 unused (SPEC.md 11.2) */
            uint64_t h;
            memcpy(&h, x + j * 8, 8), memcpy(&yd, y + j * 8, 8);
            const uint64_t unused = (uint64_t)((j * 0x9e5u + 1) & 0x7ff) << 52;
            const uint64_t h2 = h ^ (UINT64_C(1) << 63) ^ unused;
            REQUIRE(f64_bits(yd) == f64_bits(fd_normal_from_word(h)));
            REQUIRE(f64_bits(fd_normal_from_word(h2)) == f64_bits(-yd));
            REQUIRE(z_in_range(yd));
            continue;
        }
        zd = spec_z(key, index + j);
        REQUIRE(z_in_range(zd));
        switch (c->op) {
        case NORM64:
            memcpy(&yd, y + j * 8, 8);
            if (f64_bits(yd) != f64_bits(zd))
                normal_mismatch(j, 0.0, zd, zd, yd);
            break;
        case NORM32:
            memcpy(&yf, y + j * 4, 4);
            if (f32_bits(yf) != f32_bits((float)zd))
                normal_mismatch(j, 0.0, zd, (float)zd, yf);
            break;
        case GAUSS64: {
            REQUIRE(f64_bits(z[j]) == f64_bits(zd));
            memcpy(&xd, x + j * 8, 8), memcpy(&yd, y + j * 8, 8);
            const double m = c->sigma * z[j]; /* each operation rounded on its own */
            const double xi = 1.0 + m;
            const double want = xd * xi;
            if (f64_bits(yd) != f64_bits(want))
                normal_mismatch(j, xd, z[j], want, yd);
            break;
        }
        default: { /* GAUSS32 */
            REQUIRE(f32_bits(zf[j]) == f32_bits((float)zd));
            memcpy(&xf, x + j * 4, 4), memcpy(&yf, y + j * 4, 4);
            const float m = (float)c->sigma * zf[j];
            const float xi = 1.0f + m;
            const float want = xf * xi;
            if (f32_bits(yf) != f32_bits(want))
                normal_mismatch(j, xf, zf[j], want, yf);
        }
        }
    }
    free(z), free(zf);
}

/* SPEC.md 10.5, written out: element (plane, i, j, channel) is dropped iff
 * some valid centre (i2, j2) of its map and channel, k div 2 <= i2 <
 * h - (k - 1) div 2 and the same for j2 with w, whose drawn bit is 0, has
 * i2 - (k - 1 - k div 2) <= i <= i2 + k div 2 and the same for j; the
 * window of centres is scanned for each element. keep (zeroed here) gets
 * the keep bits; returns their count. */
static uint64_t block_reference(const call *c, const uint8_t *drawn, uint8_t *keep)
{
    const size_t h = c->h, w = c->w, e = c->e, k = c->k, before = k / 2, after = k - 1 - k / 2;
    uint64_t kept = 0;
    memset(keep, 0, (c->n + 7) / 8);
    for (size_t p = 0, idx = 0; p < c->planes; p++)
        for (size_t i = 0; i < h; i++)
            for (size_t j = 0; j < w; j++)
                for (size_t ch = 0; ch < e; ch++, idx++) {
                    int dropped = 0;
                    /* the centres i2 with i2 - after <= i <= i2 + before */
                    for (size_t i2 = i >= before ? i - before : 0; !dropped && i2 <= i + after
                         && i2 < h; i2++) {
                        if (i2 < k / 2 || i2 >= h - (k - 1) / 2)
                            continue;
                        for (size_t j2 = j >= before ? j - before : 0; j2 <= j + after && j2 < w;
                             j2++) {
                            const size_t at = ((p * h + i2) * w + j2) * e + ch;
                            if (j2 >= k / 2 && j2 < w - (k - 1) / 2 && !bit(drawn, at)) {
                                dropped = 1;
                                break;
                            }
                        }
                    }
                    if (!dropped)
                        keep[idx / 8] |= (uint8_t)(1u << (idx % 8)), kept++;
                }
    return kept;
}

/* A valid DropBlock call (n > 0): keep and *kept against block_reference of
 * the drawn centres (the stream entry's: fd_mask_bits of its stream), the
 * padding bits 0, and the stream entry against fd_mask_bits followed by
 * fd_block_keep_bits. */
static void check_block(const call *c, const inputs *in, const result *r)
{
    const size_t n = c->n, nb = (n + 7) / 8;
    const uint8_t *keep = data(&r->bits);
    uint64_t kept;
    memcpy(&kept, data(&r->y), 8);
    uint8_t *drawn = malloc(nb), *want = malloc(nb);
    REQUIRE(drawn != NULL && want != NULL);
    if (c->op == BLOCK)
        memcpy(drawn, data(&in->bits_in), nb);
    else
        REQUIRE(fd_mask_bits(&c->s, drawn, n) == FD_OK);
    const uint64_t want_kept = block_reference(c, drawn, want);
    if (n % 8)
        REQUIRE((keep[nb - 1] >> (n % 8)) == 0); /* padding bits are 0 */
    for (size_t j = 0; j < n; j++)
        if (bit(keep, j) != bit(want, j)) {
            const size_t ch = j % c->e, pos = j / c->e % c->w, row = j / c->e / c->w % c->h;
            fprintf(stderr, "fd_fuzz: element %zu (plane %zu row %zu position %zu channel %zu): "
                    "keep bit %d, SPEC.md 10.5's %d\n", j, j / c->e / c->w / c->h, row, pos, ch,
                    bit(keep, j), bit(want, j));
            REQUIRE(!"DropBlock's keep bits (SPEC.md 10.5)");
        }
    if (kept != want_kept)
        fprintf(stderr, "fd_fuzz: kept %llu, SPEC.md 10.5's %llu\n", (unsigned long long)kept,
                (unsigned long long)want_kept);
    REQUIRE(kept == want_kept);
    if (c->op == BLOCKS) { /* fd_mask_bits then fd_block_keep_bits */
        uint64_t kept2 = 0;
        memset(want, 0xc3, nb);
        REQUIRE(fd_block_keep_bits(drawn, want, c->planes, c->h, c->w, c->e, c->k, &kept2)
                == FD_OK);
        REQUIRE(memcmp(want, keep, nb) == 0 && kept2 == kept);
    }
    free(drawn), free(want);
}

/* The reference (scalar) result against fastdrop.h and SPEC.md's rules. */
static void check_reference(const call *c, const inputs *in, const result *r)
{
    const size_t es = esize[c->op], n = c->n, nb = (n + 7) / 8;
    const uint8_t *x = c->in_place ? data(&in->y0) : data(&in->x), *y0 = data(&in->y0);
    const uint8_t *y = data(&r->y);
    REQUIRE(memcmp(r->y.base, in->y0.base, r->y.pre) == 0);       /* canaries */
    REQUIRE(memcmp(r->bits.base, in->bits0.base, r->bits.pre) == 0);
    REQUIRE(memcmp(r->scratch.base, in->scratch0.base, r->scratch.pre) == 0);
    if (IS_BLOCK(c->op)) { /* n == 0: nothing written, a count of 0 */
        uint64_t kept;
        memcpy(&kept, data(&r->y), 8);
        REQUIRE(n > 0 || c->null_kept || kept == 0);
        REQUIRE(memcmp(r->y.base, in->y0.base, r->y.pre) == 0);
        if (n == 0)
            REQUIRE(buf_same(&r->bits, &in->bits0) && buf_same(&r->scratch, &in->scratch0));
        else
            check_block(c, in, r);
        return;
    }
    const int bits_out = (IS_DROP(c->op) || IS_ADD(c->op)) && c->bits_out;
    const int bits_written = !c->null_bits && (c->op == MASK || bits_out);
    if (!bits_written || n == 0)
        REQUIRE(buf_same(&r->bits, &in->bits0));
    if (n == 0) {
        REQUIRE(buf_same(&r->y, &in->y0));
        return;
    }
    if (IS_NORMAL(c->op)) {
        check_normal(c, in, r);
        return;
    }
    uint8_t *keep = malloc(nb);
    REQUIRE(keep != NULL);
    if (IS_APPLY(c->op)) {
        memcpy(keep, data(&in->bits_in), nb);
    } else if (c->s.threshold <= FD_KEEP_ALL) {
        REQUIRE(fd_mask_bits(&c->s, keep, n) == FD_OK);
        if (n % 8)
            REQUIRE((keep[nb - 1] >> (n % 8)) == 0); /* padding bits are 0 */
    } else {
        free(keep); /* fd_uniforms ignored the threshold: no mask to compare */
        return;
    }
    if (bits_written)
        REQUIRE(memcmp(data(&r->bits), keep, nb) == 0);
    for (size_t j = 0; c->op != MASK && j < n; j++) {
        static const uint8_t zero[8];
        const uint8_t *yj = y + j * es;
        uint32_t u;
        if (c->op == UNIFORMS)
            REQUIRE((memcpy(&u, yj, 4), u < c->s.threshold) == bit(keep, j));
        else if (IS_ADD(c->op))
            check_add_element(c, in, j, bit(keep, j), yj);
        else if (!bit(keep, j))
            REQUIRE(memcmp(yj, c->flags & FD_ACCUMULATE ? y0 + j * es : zero, es) == 0);
        else if (c->flags == 0)
            REQUIRE(memcmp(yj, x + j * es, es) == 0);
    }
    free(keep);
}

/* Another kernel's or thread count's result against the reference's. */
static void check_same(const call *c, const inputs *in, const result *ref, const result *o)
{
    const size_t es = esize[c->op];
    const uint8_t *x = c->in_place && !IS_ADD(c->op) ? data(&in->y0) : data(&in->x);
    const uint8_t *old = IS_ADD(c->op) ? data(&in->res) : data(&in->y0);
    REQUIRE(o->rc == ref->rc);
    REQUIRE(buf_same(&o->bits, &ref->bits));
    REQUIRE(memcmp(o->y.base, ref->y.base, o->y.pre) == 0);
    REQUIRE(memcmp(o->scratch.base, in->scratch0.base, o->scratch.pre) == 0);
    if (IS_BLOCK(c->op)) { /* the keep bits (above) and the count */
        REQUIRE(buf_same(&o->y, &ref->y));
        return;
    }
    if (memcmp(data(&o->y), data(&ref->y), o->y.len) == 0)
        return;
    for (size_t j = 0; j < c->n; j++) {
        const uint8_t *a = data(&o->y) + j * es, *b = data(&ref->y) + j * es;
        const int bf = IS_BF16(c->op);
        if (memcmp(a, b, es) == 0 || (nan_meets_nan(c, in, j) && is_nan(a, es, bf)
                                        && is_nan(b, es, bf)))
            continue;
        fprintf(stderr, "fd_fuzz: element %zu (x, old y or residual, scalar, this; "
                "little-endian hex):", j);
        for (const uint8_t *e[] = {x, old, data(&ref->y), data(&o->y)}, **p = e; p < e + 4; p++)
            for (size_t k = 0; k < es; k++)
                fprintf(stderr, k ? "%02x" : " %02x", (*p)[j * es + k]);
        fprintf(stderr, "\n");
        REQUIRE(!"the same bits as the scalar kernel");
    }
}

static void check_threshold_and_key(const call *c)
{
    uint64_t t = 12345;
    const int rc = fd_threshold(c->p, &t);
    if (!(c->p >= 0.0 && c->p <= 1.0)) {
        REQUIRE(rc == FD_EARG && t == 12345);
    } else {
        REQUIRE(rc == FD_OK);
        const long double d = (1.0L - c->p) * 4294967296.0L - (long double)t;
        if (c->p == 0.0 || c->p == 1.0) /* else floor((1-p) 2**32), clamped to [1, 2**32) */
            REQUIRE(t == (c->p == 0.0 ? FD_KEEP_ALL : 0));
        else
            REQUIRE(t >= 1 && t < FD_KEEP_ALL && (t == 1 || d > -1e-6L) && d < 1.0L + 1e-6L);
    }
    const int rc_null = fd_threshold(c->p, NULL);
    REQUIRE(rc_null == FD_ENULL || (rc == FD_EARG && rc_null == FD_EARG));
    uint64_t z = c->seed ^ UINT64_C(0xBB67AE8584CAA73B); /* SPEC.md 3.1: K */
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    REQUIRE(fd_key(c->seed) == (z ^ (z >> 31)));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    REQUIRE(fd_set_isa(FD_ISA_SCALAR) == FD_OK);
    for (int isa = -1; isa <= FD_ISA_COUNT; isa++) {
        REQUIRE((fd_isa_name(isa) == NULL) == (isa < 0 || isa == FD_ISA_COUNT));
        if (!fd_isa_supported(isa))
            REQUIRE(fd_set_isa(isa) == FD_EISA && fd_active_isa() == FD_ISA_SCALAR);
    }
    REQUIRE(fd_set_num_threads(-1) == FD_EARG);
    fprintf(stderr, "fd_fuzz: kernels");
    for (int isa = 0; isa < FD_ISA_COUNT; isa++)
        if (fd_isa_supported(isa))
            fprintf(stderr, " %s", fd_isa_name(isa));
    fprintf(stderr, "; %s\n", fd_openmp() ? "OpenMP" : "no OpenMP: every call serial");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    reader r = {bytes, size};
    call c;
    decode(&r, &c);
    cur = &c;
    check_threshold_and_key(&c);
    inputs in = make_inputs(&c, r.p, r.left);
    const buf x0 = buf_clone(&in.x), bits_in0 = buf_clone(&in.bits_in);
    const buf res0 = buf_clone(&in.res), bias0 = buf_clone(&in.bias);
    const unsigned ok = allowed(&c);
    result ref = run(&c, &in, FD_ISA_SCALAR, 1);
    REQUIRE((ok & MAY(ref.rc)) != 0);
    if (ref.rc == FD_OK)
        check_reference(&c, &in, &ref);
    else
        REQUIRE(buf_same(&ref.y, &in.y0) && buf_same(&ref.bits, &in.bits0)
                && buf_same(&ref.scratch, &in.scratch0));
    for (int isa = 0; isa < FD_ISA_COUNT; isa++) {
        for (int threads = 1; threads <= 1 + c.split; threads++) {
            if (!fd_isa_supported(isa) || (isa == FD_ISA_SCALAR && threads == 1))
                continue;
            result o = run(&c, &in, isa, threads);
            check_same(&c, &in, &ref, &o);
            free_result(&o);
        }
    }
    REQUIRE(buf_same(&in.x, &x0) && buf_same(&in.bits_in, &bits_in0)); /* inputs stay */
    REQUIRE(buf_same(&in.res, &res0) && buf_same(&in.bias, &bias0));
    free_result(&ref);
    free(x0.base), free(bits_in0.base), free(res0.base), free(bias0.base);
    free_inputs(&in);
    cur = NULL;
    return 0;
}
