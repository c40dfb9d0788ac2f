"""Bad and unusual-but-valid values of every public argument, for test_bad_input.py.

A `Bad` value must make each entry point that takes its argument raise `exc`
with a message naming the argument. A `Good` value has a documented result,
which the matrix checks against the reference. A value is used as is, made
per case by `Make(fn)` from the other arguments, or is a `Joint` of several
arguments (``IN`` standing for the entry's input array, x or grad).
"""

from __future__ import annotations

import pickle
import warnings
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
from entry_points import (ENTRY_POINTS, SENTINEL, SHAPE, Make, auto_mask, base_args, keep,
                          sentinel_out)

import fastdrop
from fastdrop import _reference

IN = "IN"


@dataclass(frozen=True)
class Joint:
    """Several arguments set together (keys are argument names or IN)."""

    values: dict


@dataclass(frozen=True)
class Bad:
    arg: str
    label: str
    value: Any
    exc: type
    match: str | None = None  # a further pattern the message must match
    only: frozenset | None = None  # entry names it applies to (default: all that take arg)


@dataclass(frozen=True)
class Good:
    arg: str | None  # None: applies to every entry point
    label: str
    value: Any = None
    only: frozenset | None = None


def _only(*names):
    return frozenset(names)


# ---- dropout variants: entries that take these arguments as dropout does
# (a noise shape of all ones draws one stream element: offset 2**64 - 1 is valid there)
_VARIANT_CALLS = _only("dropout(noise_shape)", "alpha_dropout", "drop_path", "mc_dropout",
                       "spatial_dropout", "feature_alpha_dropout", "dropout_add", "drop_block")
_VARIANT_LAYERS = _only("SpatialDropout", "DropPath", "AlphaDropout", "DropBlock")
# ---- end of dropout variants


def _fresh(fn):
    return Make(lambda a: fn())


def _in(a):
    return base_args()[a["_in"]]


def _like_in(dtype=None, shape=None, fill=SENTINEL):
    """An out-like array for the entry's input, of another dtype or shape."""
    def make(a):
        src = np.asarray(a[a["_in"]])
        return np.full(src.shape if shape is None else shape, fill,
                       dtype=src.dtype if dtype is None else dtype)
    return Make(make)


def _read_only(make):
    def fn(a):
        arr = make(a)
        arr.flags.writeable = False
        return arr
    return Make(fn)


def _unaligned(values):
    raw = np.zeros(values.nbytes + 1, np.uint8)
    arr = raw[1:].view(values.dtype).reshape(values.shape)
    arr[...] = values
    return arr


def _strided(values):
    """values in every other element of a buffer (a 0-d array stays 0-d)."""
    buf = np.full(values.shape + (2,), SENTINEL, values.dtype)
    buf[..., 0] = values
    return buf[..., 0]


def _negative(values):
    flat = np.ascontiguousarray(values.reshape(-1)[::-1])
    return flat[::-1].reshape(values.shape)


def _swapped(values):
    return values.astype(values.dtype.newbyteorder("S"))


class _Sub(np.ndarray):
    """A plain ndarray subclass."""


def _matrix(values):
    """np.matrix, the best-known ndarray subclass, without its pending deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.matrix(values)


class _ArrayLike:
    def __init__(self, values):
        self.values = values

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)


def _overlap(x_at, out_at):
    """Input and out in one buffer, starting at x_at and out_at (elements)."""
    def make_in(a):
        values = _in(a)
        buf = np.full(values.size + 2, 9.0, values.dtype)
        buf[x_at:x_at + values.size] = values
        return buf[x_at:x_at + values.size]

    def make_out(a):
        src = a[a["_in"]]
        return src.base[out_at:out_at + src.size]
    return Joint({IN: Make(make_in), "out": Make(make_out)})


def _strided_in_over_out():
    """A strided input over a contiguous out in the same buffer."""
    def make_in(a):
        values = _in(a)
        buf = np.full(2 * values.size, 9.0, values.dtype)
        buf[::2] = values
        return buf[::2]
    return Joint({IN: Make(make_in), "out": Make(lambda a: a[a["_in"]].base[: a[a["_in"]].size])})


def _swapped_view_out():
    """out is x's own memory, read in the other byte order."""
    return Joint({"out": Make(lambda a: a[a["_in"]].view(a[a["_in"]].dtype.newbyteorder("S")))})


# ---- bad values -------------------------------------------------------------------------

def _array_bad(arg):
    """Bad values of an input array argument (x or grad)."""
    m = f"{arg} must have dtype"
    items = [
        ("None", None, m), ("str", "abc", m), ("bytes", b"abc", m),
        ("list of objects", [object(), object()], m), ("list of str", ["1.0", "2.0"], m),
        ("ragged list", [[1.0], [1.0, 2.0]], f"{arg} must be an array of floats"),
        ("list of ints", [1, 2, 3], m), ("int", 3, m), ("bool", True, m), ("complex", 1j, m),
        ("dict", {}, m), ("int64", np.arange(10), m), ("uint8", np.arange(10, dtype=np.uint8), m),
        ("bool array", np.ones(10, bool), m), ("complex64", np.ones(10, np.complex64), m),
        ("object of floats", np.ones(10, object), m), ("str array", np.array(["a"] * 10), m),
        ("bytes array", np.array([b"a"] * 10), m),
        ("datetime64", np.arange(10).astype("M8[s]"), m),
        ("timedelta64", np.arange(10).astype("m8[s]"), m),
        ("structured", np.zeros(10, "f4,f4"), m), ("void", np.zeros(10, "V4"), m),
        ("byte-swapped int32", np.arange(10, dtype=">i4"), m),
        ("byte-swapped complex64", np.ones(10, ">c8"), m),
        ("masked array", np.ma.array(np.ones(10, np.float32)), "masked array"),
        ("masked array with a mask", np.ma.array(np.ones(10), mask=[1, 0] * 5), "masked array"),
    ]
    if np.dtype(np.longdouble).itemsize not in (2, 4, 8):
        items.append(("longdouble", np.ones(10, np.longdouble), m))
    return _table(arg, [(label, value, TypeError, match) for label, value, match in items])


def _table(arg, rows, only=None):
    """Bad values of arg from rows of (label, value, exc) or (label, value, exc, match)."""
    return [Bad(arg, *row[:3], row[3] if len(row) > 3 else None, only) for row in rows]


V, T = ValueError, TypeError
_P_RANGE, _P_TYPE = "p must be in", "p must be a real number"
P_BAD = _table("p", [
    ("-0.1", -0.1, V, _P_RANGE), ("1.5", 1.5, V, _P_RANGE), ("nan", float("nan"), V, _P_RANGE),
    ("inf", float("inf"), V, _P_RANGE), ("-inf", -np.inf, V), ("1 + 2**-52", 1 + 2.0**-52, V),
    ("int 2", 2, V, _P_RANGE), ("int -1", -1, V), ("float32 1.5", np.float32(1.5), V),
    ("float64 nan", np.float64("nan"), V), ("0-d 2.0", np.array(2.0), V),
    ("Fraction 3/2", Fraction(3, 2), V),
    ("str", "0.5", T, _P_TYPE), ("None", None, T, _P_TYPE), ("bool", True, T, _P_TYPE),
    ("numpy bool", np.bool_(False), T), ("complex", 0.5j, T, _P_TYPE),
    ("complex 0.5+0j", complex(0.5, 0), T), ("complex64", np.complex64(0.5), T),
    ("Decimal", Decimal("0.5"), T), ("list", [0.5], T), ("1-element array", np.array([0.5]), T),
    ("0-d complex", np.array(0.5j), T), ("0-d bool", np.array(True), T),
    ("0-d str", np.array("0.5"), T), ("0-d object", np.array(0.5, dtype=object), T),
    ("bytes", b"0.5", T),
])

_ONLY_SEED_SOURCES = _only(
    "dropout", "dropout_forward", "Generator", "Generator.dropout", "Generator.dropout_forward",
    "Generator.spawn", "manual_seed", "Dropout", "Dropout.forward", "Dropout attributes",
    "Dropout.backward") | _VARIANT_CALLS | _VARIANT_LAYERS

SEED_BAD = _table("seed", [
    ("-1", -1, V), ("2**64", 2**64, V), ("2**100", 2**100, V), ("-2**64", -(2**64), V),
    ("int64 -1", np.int64(-1), V), ("0-d -1", np.array(-1), V),
    ("float", 1.0, T), ("float64", np.float64(1.0), T), ("0-d float", np.array(1.0), T),
    ("str", "1", T), ("bytes", b"1", T), ("bool", True, T), ("numpy bool", np.bool_(True), T),
    ("complex", 1j, T), ("list", [1], T), ("1-element array", np.array([1]), T),
    ("Fraction", Fraction(2, 1), T), ("Decimal", Decimal(1), T),
    ("numpy RandomState", _fresh(lambda: np.random.RandomState(1)), T),
    ("numpy bit generator", _fresh(lambda: np.random.PCG64(1)), T),
    ("a fastdrop Generator", _fresh(lambda: fastdrop.Generator(1)), T),
]) + _table("seed", [("None", None, T, "seed must be an int")], only=_only("Mask", "manual_seed")) \
  + _table("seed", [
      ("SeedSequence", np.random.SeedSequence(1), T, "seed must be an int, got SeedSequence"),
      ("numpy Generator", _fresh(lambda: np.random.default_rng(1)), T),
  ], only=_only("Mask"))

# Generator() takes offsets up to 2**64 (an exhausted stream); the calls need room for 10
_CALLS = _only("dropout", "dropout_forward", "Generator.dropout", "Generator.dropout_forward",
               "Mask", "alpha_dropout", "mc_dropout", "spatial_dropout",
               "feature_alpha_dropout", "dropout_add", "drop_block")
OFFSET_BAD = _table("offset", [
    ("-1", -1, V), ("int64 -1", np.int64(-1), V), ("0-d -1", np.array(-1), V),
    ("2**64 + 1", 2**64 + 1, V), ("2**70", 2**70, V),
    ("float", 1.0, T), ("float 0.0", 0.0, T), ("float64", np.float64(0), T), ("str", "0", T),
    ("None", None, T), ("bool", True, T), ("numpy bool", np.bool_(False), T), ("list", [0], T),
]) + _table("offset", [
    ("2**64 - 9 (one past the end)", 2**64 - 9, V), ("uint64 2**64 - 1", np.uint64(2**64 - 1), V),
    ("2**64", 2**64, V),
], only=_CALLS)


def _flag_bad(arg, only=None):
    return _table(arg, [(label, value, T, f"{arg} must be a bool") for label, value in [
        ("str", "yes"), ("int 1", 1), ("int 0", 0), ("None", None), ("0-d bool", np.array(True)),
        ("float", 1.0), ("list", [True])]], only)


# The layer's forward takes training=None (the layer's mode); the other calls do not.
_TRAINING_NOT_NONE = _only("dropout", "Generator.dropout", "Dropout attributes") | (
    _VARIANT_CALLS - {"mc_dropout", "dropout_add"})
TRAINING_BAD = [b for b in _flag_bad("training") if b.label != "None"] + [
    b for b in _flag_bad("training", _TRAINING_NOT_NONE) if b.label == "None"]

NAME_BAD = _table("name", [
    ("int", 1, T, "name must be a str or None"), ("bytes", b"layer", T), ("list", ["a"], T),
    ("0-d str array", np.array("a"), T),
])


def _choice_bad(arg, valid, unknown):
    return _table(arg, [
        (f"unknown {unknown!r}", unknown, V, f"{arg} must be one of"), ("unknown", valid + "x", V),
        ("empty", "", V), ("upper case", valid.upper(), V), ("padded", " " + valid, V),
        ("None", None, T), ("int", 1, T), ("bytes", valid.encode(), T),
        ("array of str", np.array([valid, "classic"]), T), ("0-d str array", np.array(valid), T),
        ("list", [valid], T),
    ])


OUT_BAD = _table("out", [
    ("float64 for float32", _like_in(np.float64), T, "out must have dtype"),
    ("float16 for float32", _like_in(np.float16), T), ("int32", _like_in(np.int32, fill=0), T),
    ("complex64", _like_in(np.complex64), T), ("bool", _like_in(bool, fill=0), T),
    ("object", _like_in(object), T),
    ("shape (11,)", _like_in(shape=(11,)), V, "out must have shape"),
    ("shape (10, 1)", _like_in(shape=(10, 1)), V), ("shape (1, 10)", _like_in(shape=(1, 10)), V),
    ("shape (5, 2)", _like_in(shape=(5, 2)), V), ("0-d", _like_in(shape=()), V),
    ("empty", _like_in(shape=(0,)), V),
    ("list", [0.0] * 10, T, "out must be a numpy.ndarray"), ("tuple", (0.0,) * 10, T),
    ("float", 0.0, T), ("numpy scalar", np.float32(0), T), ("str", "out", T),
    ("read-only", _read_only(sentinel_out), V, "out is read-only"),
    ("read-only view", _read_only(lambda a: sentinel_out(a)[:]), V),
    ("broadcast view", Make(lambda a: np.broadcast_to(np.float32(SENTINEL), SHAPE)), V),
    ("masked array", Make(lambda a: np.ma.array(sentinel_out(a))), T, "masked"),
    ("read-only input in place",
     Joint({IN: _read_only(lambda a: _in(a)), "out": Make(lambda a: a[a["_in"]])}), V),
])


def _mask_of(shape):
    return _fresh(lambda: fastdrop.Mask(shape, 0.5, seed=1))


_BACKWARD = _only("dropout_backward", "Dropout.backward(mask)",  # the entries taking a mask
                  "alpha_dropout_backward", "dropout_add_backward")
_NOT_A_MASK = "mask must be a fastdrop.Mask"
MASK_BAD = _table("mask", [
    ("None", None, T, _NOT_A_MASK)], only=_only("dropout_backward")) + _table("mask", [
    ("an array", np.ones(10, np.float32), T, _NOT_A_MASK),
    ("str", "mask", T), ("dict", {}, T), ("a Generator", _fresh(lambda: fastdrop.Generator(1)), T),
    ("bool array", np.ones(10, bool), T), ("shape (11,)", _mask_of((11,)), V, "mask's shape"),
    ("shape (10, 1)", _mask_of((10, 1)), V), ("shape (5, 2)", _mask_of((5, 2)), V),
    ("shape ()", _mask_of(()), V),
], only=_BACKWARD)


def _set_attr(attr, value):
    """Change an attribute of the Mask's bits array in place (as NumPy allows)."""
    def change(mask):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            setattr(mask.bits, attr, value)
    return change


def _replace(make):
    """Swap the Mask's stored bits for another object (the private slot: no public route)."""
    def change(mask):
        mask._bits = make()
    return change


def _set_padding(mask):
    """Set the top bit of the last byte (a padding bit for 10 elements) through the bits' base."""
    mask.bits.base[-1] |= 0x80


MASK_BITS_BAD = _table("mask_bits", [
    ("bits reshaped to (1, 2)", _set_attr("shape", (1, 2)), V),
    ("bits reshaped to (2, 1)", _set_attr("shape", (2, 1)), V),
    ("bits dtype set to int8", _set_attr("dtype", np.int8), T),
    ("bits dtype set to uint16", _set_attr("dtype", np.uint16), T),
    ("bits strides set to 0", _set_attr("strides", (0,)), V),
    ("bits replaced: truncated", _replace(lambda: np.zeros(1, np.uint8)), V),
    ("bits replaced: empty", _replace(lambda: np.zeros(0, np.uint8)), V),
    ("bits replaced: longer", _replace(lambda: np.zeros(3, np.uint8)), V),
    ("bits replaced: 0-d", _replace(lambda: np.zeros((), np.uint8)), V),
    ("bits replaced: strided", _replace(lambda: np.zeros(4, np.uint8)[::2]), V),
    ("bits replaced: int8", _replace(lambda: np.zeros(2, np.int8)), T),
    ("bits replaced: float64", _replace(lambda: np.zeros(2)), T),
    ("bits replaced: list", _replace(lambda: [0, 0]), T),
    ("bits replaced: bytes", _replace(lambda: b"\0\0"), T),
    ("bits replaced: matrix", _replace(lambda: _matrix(np.zeros((1, 2), np.uint8))), T),
    ("a padding bit set in the array under the bits", _set_padding, V, "padding bits"),
])

_NOT_A_SHAPE = "shape must be a tuple of ints"
SHAPE_BAD = _table("shape", [
    ("None", None, T, _NOT_A_SHAPE), ("float", 1.5, T), ("tuple of float", (1.5,), T, _NOT_A_SHAPE),
    ("str", "ab", T), ("nested", ((2,),), T), ("tuple of float64", (np.float64(2),), T),
    ("[None]", [None], T), ("(-1,)", (-1,), V, "shape must not have negative"), ("-1", -1, V),
    ("(3, -2)", (3, -2), V), ("2**80 elements", (2**40, 2**40), V),
])

_NOT_BITS = "bits must be a numpy.ndarray of dtype uint8"
BITS_BAD = _table("bits", [
    ("list", [0, 0], T, _NOT_BITS), ("bool", np.zeros(2, bool), T),
    ("int8", np.zeros(2, np.int8), T, _NOT_BITS), ("uint16", np.zeros(2, np.uint16), T),
    ("byte-swapped uint16", np.zeros(2, ">u2"), T), ("object", np.zeros(2, object), T),
    ("bytes", b"\0\0", T), ("numpy scalar", np.uint8(0), T),
    ("1 byte", np.zeros(1, np.uint8), V, "bits must be a 1-D array of 2 bytes"),
    ("3 bytes", np.zeros(3, np.uint8), V), ("shape (1, 2)", np.zeros((1, 2), np.uint8), V),
    ("0-d", np.zeros((), np.uint8), V),
    ("padding bits set", np.array([0, 0x04], np.uint8), V, "bits has padding bits set"),
])

N_BAD = _table("n", [
    ("-1", -1, V), ("2**64", 2**64, V), ("float", 1.0, T),
    ("str", "2", T), ("bool", True, T), ("numpy bool", np.bool_(True), T), ("list", [1], T),
    ("1-element array", np.array([1]), T), ("float64", np.float64(2), T),
]) + _table("n", [("0", 0, V), ("65537", 65537, V)], only=_only("set_num_threads")) \
  + _table("n", [("None", None, T)], only=_only("Generator.spawn"))

ACCUMULATE_BAD = _flag_bad("accumulate") + _table("accumulate", [
    ("True without out", Joint({"accumulate": True, "out": None}), V, "accumulate=True needs out"),
]) + _table("accumulate", [
    ("True in inference mode",
     Joint({"accumulate": True, "training": False, "out": Make(sentinel_out)}), V),
], only=_only("Dropout.backward"))

GRAD_SHAPE_BAD = _table("grad", [
    ("shorter than the mask", Joint({"grad": np.ones(5, np.float32), "noise": SHAPE}), V,
     "grad must have the mask's shape"),
    ("transposed to the mask", Joint({"grad": np.ones((5, 2), np.float32), "noise": (2, 5)}), V),
    ("0-d for a 1-element mask", Joint({"grad": np.float32(1), "noise": (1,)}), V),
])

_MAXDIMS = 64 if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else 32  # NumPy's limit

# ---- dropout variants: mc_dropout adds an axis, so NumPy's largest x has no result there
_MAXDIMS_X = np.linspace(-1, 1, 6).reshape((1,) * (_MAXDIMS - 2) + (2, 3))
VARIANT_BAD = _table("x", [(f"{_MAXDIMS}-d", _MAXDIMS_X, V, "x must have at most")],
                     only=_only("mc_dropout"))
_NOT_MC = frozenset(e.name for e in ENTRY_POINTS) - {"mc_dropout"}
# ---- end of dropout variants

# ---- Gaussian and variational dropout: what their entries skip above ------------------

_GAUSSIAN = _only("gaussian_dropout", "gaussian_dropout_forward", "GaussianDropout",
                  "GaussianDropout.forward", "Noise")
_NOISE_BACKWARD = _only("gaussian_dropout_backward", "GaussianDropout.backward",
                        "variational_dropout_backward")
GAUSSIAN_BAD = _table("p", [
    ("p = 1", 1, V, "p must be in \\[0, 1\\) for Gaussian dropout"), ("p = 1.0", 1.0, V),
    ("p = uint8 1", np.uint8(1), V)], only=_GAUSSIAN) + _table("x", [
    ("float16", np.linspace(-2.0, 2.0, 10).astype(np.float16), T, "x must be float32 or float64"),
    ("float16 scalar", np.float16(2.0), T)], only=_only("variational_dropout")) + _table("grad", [
    ("float16", np.linspace(0.5, 3.0, 10).astype(np.float16), T,
     "grad must be float32 or float64")],
    only=_only("variational_dropout_backward")) + _table("grad", [
    ("noise's shape: shorter", Joint({"grad": np.ones(5, np.float32), "noise": SHAPE}), V,
     "grad (and x )?must have the noise's shape"),
    ("noise's shape: transposed", Joint({"grad": np.ones((5, 2), np.float32), "noise": (2, 5)}),
     V)], only=_NOISE_BACKWARD)

# ---- bfloat16 (ml_dtypes.bfloat16, where installed; tests/test_bfloat16.py skips or fails
# ---- without it): the entries that take it, and a TypeError naming it from the others
try:
    import ml_dtypes
except ImportError:  # the rows below are left out
    ml_dtypes = None
BF16_ENTRIES = _only("dropout", "dropout_forward", "dropout_backward", "Generator.dropout",
                     "Generator.dropout_forward", "Dropout.forward", "Dropout attributes",
                     "Dropout.backward", "Dropout.backward(mask)", "dropout(noise_shape)",
                     "alpha_dropout", "alpha_dropout_backward", "drop_path", "mc_dropout",
                     "dropout(window)", "dropout_add", "dropout_add_backward")
_NOT_BF16 = frozenset(e.name for e in ENTRY_POINTS) - BF16_ENTRIES


def _bf16(values):
    return np.asarray(values, np.float32).astype(ml_dtypes.bfloat16)


def _bf16_bits(patterns):
    return np.array(patterns, np.uint16).view(ml_dtypes.bfloat16)


BF16_BAD = [] if ml_dtypes is None else [
    row for arg in ("x", "grad") for row in _table(arg, [
        ("bfloat16", Make(lambda a: _bf16(np.linspace(-2, 2, 10))), T, f"{arg} must .*got bfloat16"),
    ], only=_NOT_BF16)] + _table("out", [
        ("float16 for a bfloat16 input",
         Joint({IN: Make(lambda a: _bf16(np.linspace(-2, 2, 10))),
                "out": Make(lambda a: np.zeros(10, np.float16))}), T,
         "out must have dtype bfloat16"),
        ("2-byte void for a bfloat16 input",
         Joint({IN: Make(lambda a: _bf16(np.linspace(-2, 2, 10))),
                "out": Make(lambda a: np.zeros(10, "V2"))}), T, "out must have dtype bfloat16"),
    ], only=BF16_ENTRIES - {"dropout(noise_shape)", "mc_dropout"})

BAD = BF16_BAD + GAUSSIAN_BAD + (
    _array_bad("x") + _array_bad("grad") + GRAD_SHAPE_BAD + P_BAD + SEED_BAD + OFFSET_BAD
    + TRAINING_BAD + _flag_bad("mode") + _flag_bad("return_mask") + NAME_BAD + ACCUMULATE_BAD
    + _choice_bad("scaling", "inverted", "inverse") + _choice_bad("store", "bits", "bytes")
    + OUT_BAD + MASK_BAD + MASK_BITS_BAD + SHAPE_BAD + BITS_BAD + N_BAD + VARIANT_BAD
)


# ---- unusual but valid values -----------------------------------------------------------

def _f32(values):
    return np.asarray(values, dtype=np.float32)


_SMALL32 = (2,) * 6 + (1,) * 26
_VALUES = np.linspace(-3.0, 3.0, 64)


def _goods(arg, rows, only=None):
    """Valid values of arg from rows of (label, value)."""
    return [Good(arg, label, value, only) for label, value in rows]


def _lin(n=10, dtype=np.float32):
    return np.linspace(-2.0, 2.0, n).astype(dtype)


def _array_good(arg):
    """Valid unusual values of an input array; results follow the C-order copy."""
    return _goods(arg, [
        ("list of floats", [0.5, -1.0, 2.0, 4.0]), ("nested list", [[1.0, -2.0], [3.0, 0.25]]),
        ("tuple", (1.0, 2.0, 3.0)), ("python float", 1.5), ("float32 scalar", np.float32(1.5)),
        ("float16 scalar", np.float16(2.0)), ("0-d float32", _f32(2.5)),
        ("0-d float64", np.array(-4.0)), ("empty", np.ones(0, np.float32)),
        ("empty 3-d", np.ones((3, 0, 2))), ("32-d ones", np.full((1,) * 32, 3.0, np.float32)),
        ("32-d small dims", _f32(_VALUES).reshape(_SMALL32)),
        ("32-d transposed", _f32(_VALUES).reshape(_SMALL32).T),
        ("32-d strided", _f32(np.linspace(-3, 3, 128)).reshape((4,) + _SMALL32[1:])[::2]),
        ("float16", _lin(dtype=np.float16)), ("float64", _lin(dtype=np.float64)),
        ("byte-swapped float16", _lin(dtype=">f2")), ("byte-swapped float32", _lin(dtype=">f4")),
        ("byte-swapped float64", _lin(dtype=">f8")),
        ("byte-swapped Fortran", np.asfortranarray(_lin(12, ">f4").reshape(3, 4))),
        ("byte-swapped 0-d", np.array(2.5, ">f8")),
        ("Fortran", np.asfortranarray(_lin(12).reshape(3, 4))), ("strided", _strided(_lin())),
        ("negative strides", _negative(_lin())), ("unaligned", _unaligned(_lin(dtype=np.float64))),
        ("special values", _f32([np.inf, -np.inf, -0.0, 0.0, 1e-45, 3e38, -2.0, 7.0])),
        ("matrix", _matrix(_lin().reshape(1, 10))), ("ndarray subclass", _lin().view(_Sub)),
        ("__array__ object", _ArrayLike(_lin())), ("memoryview", memoryview(_lin())),
        ("read-only", _read_only(lambda a: _lin())),
    ]) + _goods(arg, [(f"{_MAXDIMS}-d", _MAXDIMS_X)], only=_NOT_MC if arg == "x" else None)


P_GOOD = _goods("p", [
    ("int 0", 0), ("int 1", 1), ("-0.0", -0.0), ("float32", np.float32(0.1)),
    ("float16", np.float16(0.25)), ("float64", np.float64(0.3)), ("longdouble", np.longdouble(0.2)),
    ("Fraction 1/3", Fraction(1, 3)), ("0-d float64", np.array(0.25)),
    ("0-d float32", np.array(0.75, np.float32)), ("0-d int 1", np.array(1)),
    ("int64 0", np.int64(0)),
    ("uint8 1", np.uint8(1)), ("2**-32", 2.0**-32), ("1 - 2**-53", 1 - 2.0**-53),
    ("float subclass", type("F", (float,), {})(0.4)),
])

SEED_GOOD = _goods("seed", [
    ("0", 0), ("2**64 - 1", 2**64 - 1), ("uint64 2**64 - 1", np.uint64(2**64 - 1)),
    ("int8", np.int8(5)), ("int64", np.int64(7)), ("uint32", np.uint32(9)),
    ("0-d int", np.array(11)), ("0-d uint64 max", np.array(2**64 - 1, np.uint64)),
]) + _goods("seed", [
    ("SeedSequence", np.random.SeedSequence(2026)),
    ("SeedSequence with a spawn key", np.random.SeedSequence(7).spawn(2)[1]),
    ("numpy Generator", _fresh(lambda: np.random.default_rng(12))),
], only=_ONLY_SEED_SOURCES) + _goods("seed", [("None: the default stream", None)],
                                     only=_ONLY_SEED_SOURCES - {"manual_seed"})

OFFSET_GOOD = _goods("offset", [
    ("0", 0), ("uint64", np.uint64(3)), ("int32", np.int32(5)), ("0-d int", np.array(4)),
    ("last elements of the stream", 2**64 - 10), ("uint64 last elements", np.uint64(2**64 - 10)),
]) + _goods("offset", [("2**64 - 9", 2**64 - 9), ("2**64 (exhausted)", 2**64)],
            only=_only("Generator"))

FLAG_GOOD = [g for arg in ("training", "mode", "return_mask") for g in _goods(arg, [
    ("False", False), ("numpy True", np.bool_(True)), ("numpy False", np.bool_(False))])] + [
    Good("return_mask", "True", True),
    Good("training", "None: the layer's mode", None, _only("Dropout.forward", "Dropout.backward")),
    Good("name", "str", "hidden1"), Good("name", "str subclass", type("S", (str,), {})("drop")),
]

CHOICE_GOOD = _goods("scaling", [
    ("classic", "classic"), ("numpy str", np.str_("classic")),
    ("str subclass", type("S", (str,), {})("classic")),
]) + _goods("store", [("seed", "seed"), ("numpy str", np.str_("seed"))])


def _start(dtype=np.float32, layout=None):
    """An accumulate-into out for the entry's input, holding start values."""
    def make(a):
        src = np.asarray(a[a["_in"]])
        start = np.linspace(-1.0, 1.0, src.size).reshape(src.shape).astype(dtype)
        return start if layout is None else layout(start)
    return Make(make)


def _out(fn):
    """An out made from the sentinel-filled out for the input."""
    return Make(lambda a: fn(sentinel_out(a)))


def _input_and_out(make_in, make_out):
    return Joint({IN: Make(lambda a: make_in(_in(a))), "out": Make(make_out)})


def _same(a):
    return a[a["_in"]]


OUT_GOOD = _goods("out", [
    ("the input itself (in place)", Joint({"out": Make(_same)})),
    ("the input's memory, another view", Joint({"out": Make(lambda a: _same(a)[...])})),
    ("out one element after the input", _overlap(0, 1)),
    ("out one element before the input", _overlap(1, 0)),
    ("out two elements after the input", _overlap(0, 2)),
    ("strided input over out", _strided_in_over_out()),
    ("the input's memory, other byte order", _swapped_view_out()),
    ("byte-swapped", _out(_swapped)),
    ("byte-swapped input, native out",
     _input_and_out(_swapped, lambda a: sentinel_out(a).astype(np.float32))),
    ("byte-swapped input in place", _input_and_out(_swapped, _same)),
    ("strided", _out(_strided)), ("negative strides", _out(_negative)),
    ("unaligned", _out(_unaligned)),
    ("Fortran", _input_and_out(lambda x: x.reshape(2, 5),
                               lambda a: np.asfortranarray(sentinel_out(a)))),
    ("matrix", _input_and_out(lambda x: x.reshape(1, 10), lambda a: _matrix(sentinel_out(a)))),
    ("ndarray subclass", _out(lambda o: o.view(_Sub))),
])

ACCUMULATE_GOOD = _goods("accumulate", [
    ("numpy False", np.bool_(False)), ("True", Joint({"accumulate": True, "out": _start()})),
    ("numpy True, byte-swapped out", Joint({"accumulate": np.bool_(True), "out": _start(">f4")})),
    ("True, strided out", Joint({"accumulate": True, "out": _start(layout=_strided)})),
    ("True, out is grad", Joint({"accumulate": True, "out": Make(lambda a: a["grad"])})),
    ("True, out overlaps grad", Joint({"accumulate": True, **_overlap(0, 1).values})),
])


def _mask_from(fn):
    return Make(lambda a: fn(a["noise"]))


def _ref_bits(shape, p, seed, offset=0):
    return _reference.packed_bits(_reference.keep_mask(seed, offset, p, int(np.prod(shape))))


def _given_bits(shape, p, seed, offset, layout):
    bits = layout(_ref_bits(shape, p, seed, offset))
    return fastdrop.Mask(shape, p, seed=seed, offset=offset, bits=bits)


def _read_only_bytes(bits):
    return np.frombuffer(bits.tobytes(), np.uint8)


MASK_GOOD = _goods("mask", [
    ("another p, scaling and store",
     _mask_from(lambda s: fastdrop.Mask(s, 0.3, seed=5, offset=2, scaling="classic"))),
    ("bits given, strided",
     _mask_from(lambda s: _given_bits(s, 0.8, 6, 0, lambda b: np.repeat(b, 2)[::2]))),
    ("bits given, read-only bytes",
     _mask_from(lambda s: _given_bits(s, 0.2, 3, 1, _read_only_bytes))),
    ("from a float64 forward with store='seed'",
     _mask_from(lambda s: fastdrop.dropout_forward(np.ones(s), 0.9, seed=4, store="seed")[1])),
    ("unpickled", Make(lambda a: pickle.loads(pickle.dumps(auto_mask(a))))),
], only=_BACKWARD)

SHAPE_GOOD = _goods("shape", [
    ("int", 10), ("list", [10]), ("tuple of int64", (np.int64(10),)), ("array", np.array([2, 5])),
    ("0-d array", np.array(10)), ("2-d", (2, 5)), ("()", ()), ("(0,)", (0,)), ("(3, 0)", (3, 0)),
    ("32-d", (1,) * 31 + (10,)), (f"{_MAXDIMS}-d", (1,) * _MAXDIMS),
])


def _bits_for(layout):
    return Make(lambda a: layout(_reference.packed_bits(keep(a, 10))))


BITS_GOOD = _goods("bits", [
    ("packbits", _bits_for(lambda b: b)), ("strided", _bits_for(lambda b: np.repeat(b, 2)[::2])),
    ("read-only bytes", _bits_for(_read_only_bytes)),
])

N_GOOD = _goods("n", [
    ("1", 1), ("2", 2), ("int64", np.int64(2)), ("0-d", np.array(1)), ("uint8", np.uint8(3))]) \
    + _goods("n", [("0", 0), ("65537", 65537)], only=_only("Generator.spawn"))

BF16_GOOD = [] if ml_dtypes is None else [
    g for arg in ("x", "grad") for g in _goods(arg, [
        ("bfloat16", Make(lambda a: _bf16(np.linspace(-2, 2, 10)))),
        ("bfloat16 special values", Make(lambda a: _bf16_bits(
            [0x7F80, 0xFF80, 0x7FC1, 0x7F81, 0x8000, 0x0001, 0x7F7F, 0xFF7F, 0x3F80, 0x807F]))),
        ("bfloat16 Fortran", Make(lambda a: np.asfortranarray(
            _bf16(np.linspace(-3, 3, 10)).reshape(2, 5)))),
        ("bfloat16 strided", Make(lambda a: _bf16(np.linspace(-3, 3, 20))[::2])),
    ], only=BF16_ENTRIES)]

GOOD = BF16_GOOD + (
    [Good(None, "valid arguments")] + _array_good("x") + _array_good("grad") + P_GOOD + SEED_GOOD
    + OFFSET_GOOD + FLAG_GOOD + CHOICE_GOOD + OUT_GOOD + ACCUMULATE_GOOD + MASK_GOOD
    + SHAPE_GOOD + BITS_GOOD + N_GOOD
)
