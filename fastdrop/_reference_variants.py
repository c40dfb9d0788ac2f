"""Pure-NumPy oracle of the dropout variants (SPEC.md section 10).

Written from the spec with the stream of `fastdrop._reference` (keep masks
from (seed, offset, p, n)) and plain NumPy broadcasting; it shares no code
with the C core or with `fastdrop._variants`. Slow, for tests only.
"""

from __future__ import annotations

import math

import numpy as np

from fastdrop import _reference as R

ALPHA = -1.7580993408473766  # -scale * alpha of SELU (Klambauer et al. 2017)


def noise_keep(seed: int, offset: int, p: float, shape, nshape) -> np.ndarray:
    """The keep mask of the noise array nshape, broadcast to shape (a full copy)."""
    m = int(np.prod(nshape, dtype=np.int64))
    keep = R.keep_mask(seed, offset, p, m).reshape(nshape)
    return np.broadcast_to(keep, shape).copy()


def dropout(x, p, *, seed, offset=0, nshape=None, scaling="inverted") -> np.ndarray:
    """fastdrop.dropout with a noise shape (nshape None: x's own)."""
    x = np.asarray(x)
    nshape = x.shape if nshape is None else tuple(nshape)
    keep = noise_keep(seed, offset, p, x.shape, nshape)
    s = R.scale(p, scaling) if scaling == "inverted" else None
    return R.apply(x, keep, s)


def backward(grad, seed, offset, p, nshape, scaling="inverted", out=None) -> np.ndarray:
    grad = np.asarray(grad)
    keep = noise_keep(seed, offset, p, grad.shape, nshape)
    return R.dropout_backward(grad, keep, p, scaling, out=out)


def spatial_shape(shape, data_format="channels_first") -> tuple:
    """(N, C, 1, ...) or (N, 1, ..., C)."""
    if data_format == "channels_first":
        return tuple(shape[:2]) + (1,) * (len(shape) - 2)
    return (shape[0],) + (1,) * (len(shape) - 2) + (shape[-1],)


def alpha_constants(p: float) -> tuple[float, float]:
    """(a, b) in binary64: a = 1 / sqrt((1 - p)(1 + p ALPHA^2)), b = -a ALPHA p; (0, 0) at p = 1."""
    if p == 1.0:
        return 0.0, 0.0
    a = 1.0 / math.sqrt((1.0 - p) * (1.0 + p * (ALPHA * ALPHA)))
    return a, (-a * ALPHA) * p


def alpha_dropout(x, p, *, seed, offset=0, nshape=None) -> np.ndarray:
    """Kept a x + b, dropped a ALPHA + b, in the compute type, two roundings."""
    x = np.asarray(x)
    nshape = x.shape if nshape is None else tuple(nshape)
    keep = noise_keep(seed, offset, p, x.shape, nshape)
    a, b = alpha_constants(p)
    ct = R.compute_dtype(x.dtype)
    with np.errstate(all="ignore"):
        if R.is_bfloat16(x.dtype):  # in float32, rounded once with the reference's integers
            z = np.where(keep, R.bf16_to_f32(np.ascontiguousarray(x).view(np.uint16)),
                         np.float32(ALPHA))
            return R.f32_to_bf16((np.float32(a) * z) + np.float32(b)).view(x.dtype)
        z = np.where(keep, x.astype(ct), ct.type(ALPHA))
        return ((ct.type(a) * z) + ct.type(b)).astype(x.dtype)


def alpha_backward(grad, seed, offset, p, nshape) -> np.ndarray:
    """Kept grad * a (rounded once), dropped +0.0."""
    grad = np.asarray(grad)
    keep = noise_keep(seed, offset, p, grad.shape, nshape)
    return R.apply(grad, keep, alpha_constants(p)[0])


def mc_dropout(x, p, samples, *, seed, offset=0, nshape=None) -> np.ndarray:
    """Sample t is dropout(x, p, seed=seed, offset=offset + t * m)."""
    x = np.asarray(x)
    nshape = x.shape if nshape is None else tuple(nshape)
    m = int(np.prod(nshape, dtype=np.int64))
    out = [dropout(x, p, seed=seed, offset=offset + t * m, nshape=nshape) for t in range(samples)]
    return np.stack(out) if out else np.empty((0,) + x.shape, x.dtype)


def dropout_add(x, residual, p, *, seed, offset=0, bias=None) -> np.ndarray:
    """residual + dropout(t), t = fl(x + bias): section 6's accumulation of t's dropout
    into residual (SPEC.md 10.4)."""
    x, residual = np.asarray(x), np.asarray(residual)
    if bias is not None:
        bias = np.broadcast_to(np.asarray(bias), x.shape)
        with np.errstate(all="ignore"):
            if R.is_bfloat16(x.dtype):
                xb, bb = np.ascontiguousarray(x).view(np.uint16), np.ascontiguousarray(bias)
                t = R.f32_to_bf16(R.bf16_to_f32(xb) + R.bf16_to_f32(bb.view(np.uint16)))
                x = t.view(x.dtype).reshape(x.shape)
            else:
                ct = R.compute_dtype(x.dtype)
                x = (x.astype(ct) + bias.astype(ct)).astype(x.dtype)
    keep = R.keep_mask(seed, offset, p, x.size)
    return R.apply(x, keep, R.scale(p), out=residual)


def drop_block(x, p, *, seed, offset=0, block_size=7, data_format="channels_first"):
    """(y, keep, p_eff): DropBlock as SPEC.md 10.5 states it, element by element."""
    x = np.asarray(x)
    xc = x if data_format == "channels_first" else np.moveaxis(x, 3, 1)
    n_, c_, h, w = xc.shape
    k = min(block_size, h, w)
    gamma = 0.0 if p == 0 else min(1.0, p * (h * w) / (k * k) / ((w - k + 1) * (h - k + 1)))
    drawn = R.keep_mask(seed, offset, gamma, x.size).reshape(x.shape)
    drawn = drawn if data_format == "channels_first" else np.moveaxis(drawn, 3, 1)
    keep = np.ones(xc.shape, bool)
    for i in range(h):
        for j in range(w):
            inside = k // 2 <= i < h - (k - 1) // 2 and k // 2 <= j < w - (k - 1) // 2
            if not inside:
                continue
            centre = ~drawn[:, :, i, j]  # (N, C): a block centred here
            rows = slice(max(0, i - (k - 1 - k // 2)), i + k // 2 + 1)
            cols = slice(max(0, j - (k - 1 - k // 2)), j + k // 2 + 1)
            keep[:, :, rows, cols] &= ~centre[:, :, None, None]
    keep = keep if data_format == "channels_first" else np.moveaxis(keep, 1, 3)
    kept = int(keep.sum())
    p_eff = 1.0 - kept / x.size if x.size else 0.0
    s = 0.0 if kept == 0 else 1.0 / (1.0 - p_eff)
    return R.apply(x, keep, s), keep, p_eff
