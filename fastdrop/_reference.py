"""Pure-NumPy implementation of SPEC.md: the oracle the C kernels are tested against.

Written from the spec alone, in uint64 array arithmetic (which wraps modulo
2**64), sharing no code with the C core. It is slow and meant for tests and
for ``python -m fastdrop``'s self-check, not for production use.
"""

from __future__ import annotations

import math

import numpy as np

BLOCK = 2048
LANES = 8
STEPS = BLOCK // (8 * LANES)
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
KEY_SALT = np.uint64(0xBB67AE8584CAA73B)
REFINE_SALT = np.uint64(0x3C6EF372FE94F82B)
KEEP_ALL = 1 << 32

_U64 = np.uint64


def mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function on a uint64 array."""
    z = np.asarray(z, dtype=_U64)
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def _rotl(x: np.ndarray, k: int) -> np.ndarray:
    return (x << _U64(k)) | (x >> _U64(64 - k))


def key(seed: int) -> int:
    """Stream key of a seed: mix64(seed ^ 0xBB67AE8584CAA73B)."""
    return int(mix64(np.array([seed], dtype=_U64) ^ KEY_SALT)[0])


def refine_key(k: int) -> int:
    """Key of the refinement hash: mix64(K ^ 0x3C6EF372FE94F82B)."""
    return int(mix64(np.array([k], dtype=_U64) ^ REFINE_SALT)[0])


def threshold(p: float) -> int:
    """Keep threshold T in [0, 2**32]: element kept iff its uniform < T."""
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p!r}")
    if p == 0.0:
        return KEEP_ALL
    if p == 1.0:
        return 0
    t = KEEP_ALL - math.ceil(p * 2.0**32)  # p * 2**32 is exact in binary64
    return min(max(t, 1), KEEP_ALL - 1)


def _block_words(k: int, blocks: np.ndarray) -> np.ndarray:
    """xoshiro256++ outputs of the given blocks, shape (len(blocks), STEPS, LANES)."""
    g = blocks.astype(_U64)[:, None, None]
    lane = np.arange(LANES, dtype=_U64)[None, :, None]
    word = np.arange(4, dtype=_U64)[None, None, :]
    s = mix64(_U64(k) + GOLDEN * (_U64(1) + _U64(32) * g + _U64(4) * lane + word))
    dead = ~s.any(axis=2)
    s[..., 0][dead] = 1
    s0, s1, s2, s3 = (s[..., w].copy() for w in range(4))
    out = np.empty((len(blocks), STEPS, LANES), dtype=_U64)
    for t in range(STEPS):
        out[:, t] = _rotl(s0 + s3, 23) + s0
        t1 = s1 << _U64(17)
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t1
        s3 = _rotl(s3, 45)
    return out


def uniforms(seed: int, offset: int, n: int) -> np.ndarray:
    """The uint32 uniforms of elements offset .. offset + n - 1 of seed's stream."""
    if n == 0:
        return np.empty(0, dtype=np.uint32)
    first, last = offset // BLOCK, (offset + n - 1) // BLOCK
    blocks = np.arange(first, last + 1, dtype=_U64)
    k = key(seed)
    r = _block_words(k, blocks)
    # element 64t + 8l + j of a block takes byte j (least significant first) of r[t, l]
    shifts = (_U64(8) * np.arange(8, dtype=_U64))[None, None, None, :]
    b = ((r[..., None] >> shifts) & _U64(0xFF)).reshape(-1)
    start = offset - first * BLOCK
    b = b[start : start + n]
    # its low 24 bits: the top 24 bits of mix64(K2 + GOLDEN * (e + 1))
    e = np.arange(n, dtype=_U64) + _U64(offset)
    low = mix64(_U64(refine_key(k)) + GOLDEN * (e + _U64(1))) >> _U64(40)
    return ((b << _U64(24)) | low).astype(np.uint32)


def keep_mask(seed: int, offset: int, p: float, n: int) -> np.ndarray:
    """Boolean keep mask of elements offset .. offset + n - 1."""
    t = threshold(p)
    if t in (0, KEEP_ALL):
        return np.full(n, t == KEEP_ALL)
    return uniforms(seed, offset, n).astype(_U64) < _U64(t)


def packed_bits(keep: np.ndarray) -> np.ndarray:
    """Packed mask: ceil(n/8) bytes, little bit order."""
    return np.packbits(keep.reshape(-1), bitorder="little")


def is_bfloat16(dtype) -> bool:
    """True for a bfloat16 dtype (ml_dtypes'), told by its name and size."""
    dtype = np.dtype(dtype)
    return dtype.name == "bfloat16" and dtype.itemsize == 2


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """float16 (either byte order) and bfloat16 are computed in float32; the others in
    themselves, native."""
    dtype = np.dtype(dtype)
    if is_bfloat16(dtype):
        return np.dtype(np.float32)
    dtype = dtype.newbyteorder("=")
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def bf16_to_f32(bits: np.ndarray) -> np.ndarray:
    """float32 values of bfloat16 bit patterns (uint16): the bits shifted up 16, exact."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << np.uint32(16)).view(np.float32)


def f32_to_bf16(v: np.ndarray) -> np.ndarray:
    """bfloat16 bit patterns (uint16) of float32 values, in integer arithmetic (SPEC.md 6).

    To nearest, ties to even: the value's top 16 bits, plus one where the
    low 16 bits exceed 0x8000, or equal it and the top 16 bits are odd (a
    carry into the exponent gives the next binade or infinity). A NaN
    gives its top 16 bits with the quiet bit 0x0040 set.
    """
    u = np.ascontiguousarray(v, dtype=np.float32).view(np.uint32)
    top, low = u >> np.uint32(16), u & np.uint32(0xFFFF)
    up = (low > 0x8000) | ((low == 0x8000) & (top & np.uint32(1) == 1))
    rounded = top + up.astype(np.uint32)
    nan = (u & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000)
    return np.where(nan, top | np.uint32(0x0040), rounded).astype(np.uint16)


def _apply_bf16(x, keep, s, out):
    """`apply` for bfloat16 x (and out), on the bit patterns."""
    xb = np.ascontiguousarray(x).view(np.uint16)
    with np.errstate(all="ignore"):
        v = bf16_to_f32(xb) * np.float32(s) if s is not None else None
        if out is not None:
            ob = np.ascontiguousarray(out).view(np.uint16)
            summed = f32_to_bf16(bf16_to_f32(ob) + (bf16_to_f32(xb) if v is None else v))
            return np.where(keep, summed, ob).view(x.dtype)
        kept = xb if v is None else f32_to_bf16(v)
    return np.where(keep, kept, np.uint16(0)).view(x.dtype)


def scale(p: float, scaling: str = "inverted") -> float:
    """The training scale as a binary64 value (0.0 when p == 1 in inverted mode)."""
    if scaling == "classic":
        return 1.0
    return 0.0 if p == 1.0 else 1.0 / (1.0 - p)


def apply(x: np.ndarray, keep: np.ndarray, s: float | None, out=None) -> np.ndarray:
    """Kept: x * s rounded once to x's dtype (or x itself when s is None); dropped: +0.0.

    With out given, kept results are added into a copy of out and dropped
    elements keep out's values.
    """
    x = np.asarray(x)
    keep = keep.reshape(x.shape)
    if is_bfloat16(x.dtype):
        return _apply_bf16(x, keep, s, out)
    ct = compute_dtype(x.dtype)
    with np.errstate(all="ignore"):
        v = x.astype(ct) * ct.type(s) if s is not None else x.astype(ct)
        if out is not None:
            summed = (np.asarray(out).astype(ct) + v).astype(x.dtype)
            return np.where(keep, summed, np.asarray(out))
        kept = v.astype(x.dtype) if s is not None else x
        return np.where(keep, kept, x.dtype.type(0))


def check_range(offset: int, n: int) -> None:
    """SPEC.md section 1: 0 <= offset and offset + n <= 2**64; the stream never wraps."""
    if not 0 <= offset <= 2**64 - n:
        raise ValueError(f"offset + number of elements must be <= 2**64, got offset {offset} + {n}")


def dropout(x, p=0.5, *, seed, offset=0, training=True, scaling="inverted") -> np.ndarray:
    """Reference fastdrop.dropout (seed required)."""
    x = np.asarray(x)
    check_range(offset, x.size)
    ct = compute_dtype(x.dtype)
    if not training:
        if scaling == "inverted":
            return x.copy()
        if is_bfloat16(x.dtype):
            return _apply_bf16(x, np.ones(x.shape, bool), 1.0 - p, None)
        with np.errstate(all="ignore"):
            return (x.astype(ct) * ct.type(1.0 - p)).astype(x.dtype)
    keep = keep_mask(seed, offset, p, x.size)
    s = scale(p, scaling) if scaling == "inverted" else None
    return apply(x, keep, s)


def dropout_backward(grad, keep, p, scaling="inverted", out=None) -> np.ndarray:
    """Reference gradient: grad * mask * scale with the same rounding as the forward."""
    s = scale(p, scaling) if scaling == "inverted" else None
    return apply(grad, keep, s, out=out)
