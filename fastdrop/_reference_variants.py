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
    """residual + dropout(x + bias): each sum rounded once in the compute type."""
    x, residual = np.asarray(x), np.asarray(residual)
    ct = R.compute_dtype(x.dtype)
    with np.errstate(all="ignore"):
        t = x if bias is None else (x.astype(ct) + np.asarray(bias).astype(ct)).astype(x.dtype)
        d = R.dropout(t, p, seed=seed, offset=offset)
        return (residual.astype(ct) + d.astype(ct)).astype(x.dtype)
