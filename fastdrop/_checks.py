"""Argument checks shared by the public API; each error names its argument."""

from __future__ import annotations

import numbers
import secrets

import numpy as np

SEED_LIMIT = 1 << 64
SCALINGS = ("inverted", "classic")
STORES = ("bits", "seed")


def scalar(value):
    """A 0-d integer or float ndarray as its NumPy scalar; anything else unchanged."""
    if type(value) is np.ndarray and value.ndim == 0 and value.dtype.kind in "iuf":
        return value[()]
    return value


def check_p(p) -> float:
    """Drop probability as a float in [0, 1].

    Any real number is accepted (int, float, Fraction, NumPy integer and
    floating scalars, 0-d arrays of those) and rounded once to binary64;
    bool, complex, Decimal, strings and None are not.
    """
    if type(p) is float:  # the common case, without the slower ABC checks
        if 0.0 <= p <= 1.0:
            return p
    else:
        p = scalar(p)
        if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
            raise TypeError(f"p must be a real number in [0, 1], got {type(p).__name__}")
    value = float(p)
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise ValueError(f"p must be in [0, 1], got {value!r}")
    return value


def _check_uint64(value, name: str, limit: int) -> int:
    if type(value) is int:  # the common case, without the slower ABC checks
        if 0 <= value < limit:
            return value
    else:
        value = scalar(value)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    value = int(value)
    if not 0 <= value < limit:
        bound = "2**64)" if limit == SEED_LIMIT else "2**64]"
        raise ValueError(f"{name} must be in [0, {bound}, got {value}")
    return value


def check_seed(seed) -> int:
    """A seed in [0, 2**64); None draws a fresh one from OS entropy."""
    if seed is None:
        return secrets.randbits(64)
    return _check_uint64(seed, "seed", SEED_LIMIT)


def check_offset(offset, n: int) -> int:
    """An element offset such that offset + n <= 2**64 (2**64 itself only when n == 0)."""
    offset = _check_uint64(offset, "offset", SEED_LIMIT + 1)
    if offset + n > SEED_LIMIT:
        raise ValueError(
            f"offset + number of elements must be <= 2**64, got {offset} + {n}"
        )
    return offset


def check_choice(value, name: str, choices: tuple[str, ...]) -> str:
    """One of the strings in choices: TypeError for a non-string, ValueError for another string."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {choices}, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return str(value)


def check_flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


def _not_masked(a, name: str) -> None:
    if isinstance(a, np.ma.MaskedArray):
        raise TypeError(
            f"{name} must not be a masked array (its mask would be ignored); "
            f"pass {name}.filled(value) or {name}.data"
        )


def as_float_array(x, name: str) -> np.ndarray:
    """x as a plain ndarray of float16, float32 or float64 (any layout, any byte order).

    Array-likes go through ``np.asarray``; subclasses of ndarray are viewed
    as plain ndarrays, except masked arrays, which are refused.
    """
    if type(x) is not np.ndarray:
        _not_masked(x, name)
        try:
            x = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{name} must be an array of floats: {exc}") from None
    dt = x.dtype
    if dt.kind != "f" or dt.itemsize not in (2, 4, 8):  # float16/32/64, either byte order
        raise TypeError(
            f"{name} must have dtype float16, float32 or float64, got {x.dtype}"
        )
    return x


def check_out(out, shape: tuple, dtype: np.dtype, name: str = "out") -> np.ndarray:
    """A writeable ndarray of the given shape and dtype (either byte order).

    Subclasses are accepted (the result is written through a plain view),
    except masked arrays.
    """
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if type(out) is not np.ndarray:
        _not_masked(out, name)
    if out.dtype != dtype and (out.dtype.kind, out.dtype.itemsize) != (dtype.kind, dtype.itemsize):
        raise TypeError(f"{name} must have dtype {dtype}, got {out.dtype}")
    if out.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {out.shape}")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return out


def is_direct(a: np.ndarray) -> bool:
    """True if the C core can read or write a in place."""
    return a.flags.c_contiguous and a.flags.aligned and a.dtype.isnative


def same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    """True if a and b are the same elements in the same order (in-place use)."""
    return (
        a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
        and a.strides == b.strides
    )


def native(x: np.ndarray) -> np.ndarray:
    """x as a C-contiguous, aligned, native-order array (a copy only if needed)."""
    if is_direct(x):
        return x
    return np.array(x, dtype=x.dtype.newbyteorder("="), order="C", copy=True)


__all__ = [
    "SCALINGS",
    "STORES",
    "as_float_array",
    "check_choice",
    "check_flag",
    "check_offset",
    "check_out",
    "check_p",
    "check_seed",
    "is_direct",
    "native",
    "same_memory",
    "scalar",
]
