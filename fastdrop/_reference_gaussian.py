"""Pure-NumPy implementation of SPEC.md section 11 (the normal stream) and of
the Gaussian and variational dropout formulas: the oracle for the C kernels
and for `fastdrop.gaussian_dropout` and its relatives.

Written from the spec, in uint64 and binary64 array arithmetic (NumPy's
``+ - * /`` and ``sqrt`` are IEEE operations, each rounded once, and NumPy
never fuses two of them), sharing no code with the C core. Slow; for tests.
"""

from __future__ import annotations

import numpy as np

from fastdrop._reference import GOLDEN, check_range, key, mix64

NORMAL_SALT = np.uint64(0xA54FF53A5F1D36F1)
_U64 = np.uint64
_M52 = _U64((1 << 52) - 1)

# 1 / (2j + 1) for j = 0..10, the binary64 numbers nearest (hex as in SPEC.md).
_INV_ODD = [float.fromhex(h) for h in (
    "0x1.0000000000000p+0", "0x1.5555555555555p-2", "0x1.999999999999ap-3",
    "0x1.2492492492492p-3", "0x1.c71c71c71c71cp-4", "0x1.745d1745d1746p-4",
    "0x1.3b13b13b13b14p-4", "0x1.1111111111111p-4", "0x1.e1e1e1e1e1e1ep-5",
    "0x1.af286bca1af28p-5", "0x1.8618618618618p-5",
)]
LN2 = float.fromhex("0x1.62e42fefa39efp-1")
SQRT2 = float.fromhex("0x1.6a09e667f3bcdp+0")

# Wichura (1988), AS 241 PPND16: numerator and denominator coefficients of the
# three regions, lowest degree first.
A = (3.387132872796366608, 133.14166789178437745, 1971.5909503065514427,
     13731.693765509461125, 45921.953931549871457, 67265.770927008700853,
     33430.575583588128105, 2509.0809287301226727)
B = (1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
     21213.794301586595867, 39307.89580009271061, 28729.085735721942674,
     5226.495278852545925)
C = (1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055,
     3.64784832476320460504, 1.27045825245236838258, .24178072517745061177,
     .0227238449892691845833, 7.7454501427834140764e-4)
D = (1.0, 2.05319162663775882187, 1.6763848301838038494, .68976733498510000455,
     .14810397642748007459, .0151986665636164571966, 5.475938084995344946e-4,
     1.05075007164441684324e-9)
E = (6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358,
     .29656057182850489123, .026532189526576123093, .0012426609473880784386,
     2.71155556874348757815e-5, 2.01033439929228813265e-7)
F = (1.0, .59983220655588793769, .13692988092273580531, .0148753612908506148525,
     7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7,
     2.04426310338993978564e-15)


def normal_key(seed: int) -> int:
    """KN = mix64(K ^ 0xA54FF53A5F1D36F1), K the seed's stream key."""
    return int(mix64(np.array([key(seed)], dtype=_U64) ^ NORMAL_SALT)[0])


def normal_words(seed: int, offset: int, n: int) -> np.ndarray:
    """h(e) = mix64(KN + GOLDEN * (e + 1)) for e = offset .. offset + n - 1."""
    check_range(offset, n)
    e = np.arange(n, dtype=_U64) + _U64(offset % 2**64)
    with np.errstate(over="ignore"):
        return mix64(_U64(normal_key(seed)) + GOLDEN * (e + _U64(1)))


def tail_probability(h: np.ndarray) -> np.ndarray:
    """q = (2m + 1) * 2**-54 with m the low 52 bits of h (exact)."""
    m = h & _M52
    return (m * _U64(2) + _U64(1)).astype(np.float64) * 2.0**-54


def _horner(c, r: np.ndarray) -> np.ndarray:
    v = np.full_like(r, c[7])
    for ci in c[6::-1]:
        v = v * r + ci
    return v


def log_q(q: np.ndarray) -> np.ndarray:
    """ln(q) for normal positive binary64 q, as SPEC.md 11.2 computes it."""
    b = np.asarray(q, dtype=np.float64).view(_U64)
    k = (b >> _U64(52)).astype(np.int64) - 1023
    f = ((b & _M52) | _U64(1023 << 52)).view(np.float64)
    big = f > SQRT2
    f = np.where(big, f * 0.5, f)
    k = k + big
    t = f - 1.0
    s = t / (t + 2.0)
    w = s * s
    p = np.full_like(w, _INV_ODD[10])
    for c in _INV_ODD[9::-1]:
        p = p * w + c
    return k.astype(np.float64) * LN2 + (s + s) * p


def magnitude(q: np.ndarray) -> np.ndarray:
    """Phi^-1(1 - q) for q in (0, 1/2), SPEC.md 11.3 (AS 241 regions)."""
    q0 = q - 0.5
    r = 0.180625 - q0 * q0
    central = -(q0 * _horner(A, r) / _horner(B, r))
    rt = np.sqrt(-log_q(q))
    t1 = rt - 1.6
    t2 = rt - 5.0
    middle = _horner(C, t1) / _horner(D, t1)
    tail = _horner(E, t2) / _horner(F, t2)
    return np.where(q0 >= -0.425, central, np.where(rt <= 5.0, middle, tail))


def normals(seed: int, offset: int, n: int, dtype=np.float64) -> np.ndarray:
    """Z(offset), ..., Z(offset + n - 1), rounded once to dtype (float32 or float64)."""
    h = normal_words(seed, offset, n)
    a = magnitude(tail_probability(h))
    z = np.where((h >> _U64(63)) != 0, -a, a)
    return z.astype(dtype)


def sigma(p: float) -> float:
    """sqrt(p / (1 - p)) in binary64: three operations, each rounded."""
    return float(np.sqrt(np.float64(p) / (np.float64(1.0) - np.float64(p))))


def compute_type(dtype) -> type:
    """float32 for float16 and float32, float64 for float64 (either byte order)."""
    return np.float64 if np.dtype(dtype).itemsize == 8 else np.float32


def gaussian_noise(shape, p: float, seed: int, offset: int, dtype) -> np.ndarray:
    """The multiplier xi = 1 + sigma * Z of SPEC.md 11.4, in dtype's compute type."""
    ct = compute_type(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    z = normals(seed, offset, n, ct).reshape(shape)
    return ct(1.0) + ct(sigma(p)) * z


def gaussian_dropout(x, p: float, *, seed: int, offset: int = 0, training: bool = True):
    """x * (1 + sigma Z) in x's dtype (training), a copy of x otherwise."""
    x = np.asarray(x)
    if not training:
        return x.copy()
    ct = compute_type(x.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        return (x.astype(ct) * gaussian_noise(x.shape, p, seed, offset, x.dtype)).astype(x.dtype)


def gaussian_dropout_backward(grad, p: float, *, seed: int, offset: int = 0):
    """grad * (1 + sigma Z): the forward's multiplier, regenerated."""
    return gaussian_dropout(grad, p, seed=seed, offset=offset)


def _sum_to(a: np.ndarray, shape: tuple) -> np.ndarray:
    """a summed over the axes that broadcasting added or stretched to reach a.shape."""
    lead = a.ndim - len(shape)
    a = a.sum(axis=tuple(range(lead))) if lead else a
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and a.shape[i] != 1)
    return a.sum(axis=axes, keepdims=True) if axes else a


def variational_dropout(x, log_alpha, *, seed: int, offset: int = 0):
    """x * (1 + sqrt(alpha) eps), sqrt(alpha) = exp(log_alpha / 2), eps of x's shape."""
    x = np.asarray(x)
    ct = x.dtype.type
    la = np.asarray(log_alpha, dtype=x.dtype)
    eps = normals(seed, offset, x.size, ct).reshape(x.shape)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(x * (ct(1.0) + np.exp(la * ct(0.5)) * eps))


def variational_dropout_backward(grad, x, log_alpha, *, seed: int, offset: int = 0):
    """(dx, dlog_alpha): grad (1 + sqrt(alpha) eps) and grad x eps sqrt(alpha) / 2 summed."""
    grad = np.asarray(grad)
    x = np.asarray(x)
    ct = grad.dtype.type
    la = np.asarray(log_alpha, dtype=grad.dtype)
    eps = normals(seed, offset, x.size, ct).reshape(x.shape)
    with np.errstate(over="ignore", invalid="ignore"):
        sa = np.exp(la * ct(0.5))
        dx = np.asarray(grad * (ct(1.0) + sa * eps))
        dla = _sum_to(grad * x * eps * (sa * ct(0.5)), la.shape)
    return dx, np.asarray(dla).reshape(la.shape)


def variational_dense(x, w, log_alpha, *, seed: int, offset: int = 0, min_var=1e-8):
    """x @ w + sqrt((x * x) @ (exp(log_alpha) * w * w) + min_var) * eps (Kingma et al. 2015)."""
    x, w = np.asarray(x), np.asarray(w)
    ct = x.dtype.type
    la = np.asarray(log_alpha, dtype=x.dtype)
    mu = x @ w
    s = np.sqrt((x * x) @ (np.exp(la) * (w * w)) + ct(min_var))
    eps = normals(seed, offset, mu.size, ct).reshape(mu.shape)
    return mu + s * eps


def variational_dense_backward(grad, x, w, log_alpha, *, seed: int, offset: int = 0,
                               min_var=1e-8):
    """(dx, dw, dlog_alpha) of `variational_dense`."""
    grad, x, w = np.asarray(grad), np.asarray(x), np.asarray(w)
    ct = x.dtype.type
    la = np.asarray(log_alpha, dtype=x.dtype)
    alpha = np.exp(la)
    aw2 = alpha * (w * w)
    s = np.sqrt((x * x) @ aw2 + ct(min_var))
    eps = normals(seed, offset, grad.size, ct).reshape(grad.shape)
    r = grad * eps / (s + s)
    x2r = (x * x).T @ r
    dx = grad @ w.T + ct(2.0) * x * (r @ aw2.T)
    dw = x.T @ grad + x2r * (ct(2.0) * alpha * w)
    dla = x2r * aw2
    return dx, dw, dla


K1, K2, K3 = 0.63576, 1.87320, 1.48695


def kl_sparse_vd(log_alpha):
    """(KL, dKL/dlog_alpha): Molchanov et al. 2017's approximation, summed."""
    la = np.asarray(log_alpha)
    ct = la.dtype.type
    sig = 1.0 / (1.0 + np.exp(-(ct(K2) + ct(K3) * la)))
    neg_kl = ct(K1) * sig - ct(0.5) * np.log1p(np.exp(-la)) - ct(K1)
    dneg = ct(K1 * K3) * sig * (ct(1.0) - sig) + ct(0.5) / (ct(1.0) + np.exp(la))
    return -float(neg_kl.sum(dtype=np.float64)), -dneg
