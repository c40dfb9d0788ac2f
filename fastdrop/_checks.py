"""Argument checks shared by the public API; each error names its argument."""

from __future__ import annotations

import numbers

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


def check_seed(seed, sources: bool = True) -> int:
    """A seed in [0, 2**64) from an int, a numpy.random.SeedSequence or numpy.random.Generator.

    A SeedSequence gives its first 64-bit word of state
    (``generate_state(1, numpy.uint64)``); a numpy Generator draws one
    integer in [0, 2**64) and so advances; without sources only integers
    are taken. None is the caller's to resolve (the default stream), and is
    a TypeError here.
    """
    if type(seed) is int:  # the common case first
        if 0 <= seed < SEED_LIMIT:
            return seed
    elif not sources:
        pass
    elif isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1, np.uint64)[0])
    elif isinstance(seed, np.random.Generator):
        return int(seed.integers(0, SEED_LIMIT, dtype=np.uint64))
    if seed is None:
        kinds = "an int, numpy.random.SeedSequence or numpy.random.Generator" if sources else "an int"
        raise TypeError(f"seed must be {kinds}, got NoneType")
    return _check_uint64(seed, "seed", SEED_LIMIT)


def check_count(value, name: str) -> int:
    """A count of things to make: an int >= 0 (NumPy integers too, not bool), below 2**64."""
    if type(value) is not int:
        value = scalar(value)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an int >= 0, got {type(value).__name__}")
        value = int(value)
    if not 0 <= value < SEED_LIMIT:
        raise ValueError(f"{name} must be an int >= 0 (below 2**64), got {value}")
    return value


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


def _library(x) -> str:
    """Top-level package of x's type ("torch", "cupy", "jax", ...), read without importing it."""
    return (getattr(type(x), "__module__", None) or "").partition(".")[0]


def is_cupy_array(x) -> bool:
    """True if x is a CuPy array (GPU memory), told by its type's module, without importing CuPy."""
    return _library(x) == "cupy" and type(x).__name__ == "ndarray"


def _is_jax_tracer(x) -> bool:
    """True if x is an abstract JAX value (inside jit, grad or vmap), told by its type's MRO."""
    return any(
        c.__name__.endswith("Tracer") and (c.__module__ or "").partition(".")[0] in ("jax", "jaxlib")
        for c in type(x).__mro__
    )


def refuse_foreign(x, name: str) -> None:
    """TypeError for arrays the NumPy functions must not convert silently or cannot convert.

    A torch tensor that requires grad (np.asarray would drop it from the
    autograd graph, or torch refuses) or lives on another device, a CuPy
    array and a JAX tracer each get a message naming the argument and what
    to pass instead. Nothing is imported: the types are told by module name.
    """
    lib = _library(x)
    if lib == "torch" and hasattr(x, "requires_grad"):
        if x.requires_grad:
            raise TypeError(
                f"{name} is a torch.Tensor that requires grad: fastdrop's NumPy functions "
                f"would cut it out of autograd. Pass {name}.detach().numpy() and apply the "
                f"gradient yourself (dropout_backward), or use torch.nn.functional.dropout"
            )
        device = getattr(getattr(x, "device", None), "type", "cpu")
        if device != "cpu":
            raise TypeError(
                f"{name} is a torch.Tensor on device {device!r}: fastdrop's NumPy functions "
                f"take host memory; pass {name}.cpu().numpy()"
            )
    elif is_cupy_array(x):
        raise TypeError(
            f"{name} is a CuPy array (GPU memory): the Gaussian and variational functions "
            f"and windows (global_shape, global_origin) do not run on CuPy arrays; for this "
            f"call pass cupy.asnumpy({name})"
        )
    elif lib in ("jax", "jaxlib") and _is_jax_tracer(x):
        raise TypeError(
            f"{name} is a JAX tracer (an abstract value inside jax.jit, grad or vmap): "
            f"fastdrop needs concrete arrays; call it outside the transformation, on "
            f"numpy.asarray({name}) of a concrete jax.Array, or through jax.pure_callback"
        )


def is_bfloat16(dtype) -> bool:
    """True for a bfloat16 dtype (``ml_dtypes.bfloat16``), told by its name and size.

    The dtype is registered by another package at run time, so it has no
    fixed type number and fastdrop does not import that package.
    """
    return dtype.name == "bfloat16" and dtype.itemsize == 2


def as_float_array(x, name: str, bfloat16: bool = False) -> np.ndarray:
    """x as a plain ndarray of float16, float32 or float64 (any layout, any byte order).

    With bfloat16, arrays of dtype bfloat16 are taken too; without, they
    are refused with a TypeError naming the dtype (the functions that do
    not compute in bfloat16 yet). Array-likes go through ``np.asarray``;
    subclasses of ndarray are viewed as plain ndarrays, except masked
    arrays, which are refused, as are foreign arrays that cannot become
    NumPy arrays safely (`refuse_foreign`).
    """
    if type(x) is not np.ndarray:
        _not_masked(x, name)
        refuse_foreign(x, name)
        try:
            x = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{name} must be an array of floats: {exc}") from None
    dt = x.dtype
    if dt.kind != "f" or dt.itemsize not in (2, 4, 8):  # float16/32/64, either byte order
        if is_bfloat16(dt):
            if bfloat16:
                return x
            raise TypeError(
                f"{name} must have dtype float16, float32 or float64 here, got bfloat16 "
                f"(bfloat16 is taken by dropout, dropout_forward, dropout_backward, "
                f"Generator, Dropout, spatial_dropout, drop_path, mc_dropout, alpha_dropout, "
                f"feature_alpha_dropout and their layers)"
            )
        extra = ", float64 or bfloat16" if bfloat16 else " or float64"
        raise TypeError(f"{name} must have dtype float16, float32{extra}, got {x.dtype}")
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
    if out.dtype != dtype and ((out.dtype.kind, out.dtype.itemsize) != (dtype.kind, dtype.itemsize)
                               or dtype.kind != "f"):
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
    "check_count",
    "check_flag",
    "check_offset",
    "check_out",
    "check_p",
    "check_seed",
    "is_cupy_array",
    "is_bfloat16",
    "is_direct",
    "native",
    "refuse_foreign",
    "same_memory",
    "scalar",
]
