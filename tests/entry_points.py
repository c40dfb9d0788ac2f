"""Every public entry point, one line each, for the bad-input matrix.

An `Entry` says which arguments an entry point takes, how to call it with a
dict of arguments (`call`), and what it must return for that dict, worked out
with the pure-NumPy reference (`expected`). `tests/test_bad_input.py` crosses
each entry with the bad and the unusual-but-valid values of every argument it
takes, so a new public function or method needs one line in `ENTRY_POINTS`
(plus a helper when it needs setup first, as the Generator and the layer do).

Argument names are those of the public signatures; three more describe how
the arguments are made: ``noise`` is the shape of the forward pass behind a
backward call (grad's shape unless given), and ``mask_bits`` a function that
changes that forward's Mask in place (its stored bits) before it is used.
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import fastdrop
from fastdrop import _core, _reference, _reference_variants

SHAPE = (10,)
SENTINEL = -1234.5  # what out holds before a call; exact in float16, 32 and 64


@dataclass(frozen=True)
class Make:
    """An argument made from the other, already resolved, arguments: fn(args)."""

    fn: Callable[[dict], Any]


@dataclass(frozen=True)
class Attrs:
    """An expected object, given by its attributes (methods are called)."""

    values: dict


@dataclass(frozen=True)
class Entry:
    name: str
    takes: frozenset
    source: str | None  # the array argument out must match ("x" or "grad")
    call: Callable[[dict], Any]
    expected: Callable[[dict], Any]
    # (arg, label) of matrix values this entry documents otherwise (a valid value it
    # refuses, or an error it words its own way); its own BAD values cover them
    skips: frozenset = frozenset()


def noise_shape(a: dict) -> tuple:
    """Shape of the forward pass behind a backward call: grad's shape when it has one."""
    try:
        return np.shape(a["grad"])
    except (ValueError, TypeError):
        return SHAPE


def sentinel_out(a: dict) -> np.ndarray:
    """An out for the entry's input filled with SENTINEL (float32 of SHAPE for a bad input)."""
    try:
        src = np.asarray(a[a["_in"]])
        shape, dtype = src.shape, src.dtype
    except (ValueError, TypeError):
        shape, dtype = SHAPE, np.dtype(np.float32)
    if (dtype.kind != "f" or dtype.itemsize not in (2, 4, 8)) and dtype.name != "bfloat16":
        shape, dtype = SHAPE, np.dtype(np.float32)
    return np.full(shape, SENTINEL, dtype=dtype)


def auto_mask(a: dict) -> fastdrop.Mask:
    """The Mask of a forward pass over ``noise`` with the arguments' p, seed, offset and so on."""
    x = np.ones(a["noise"], np.float32)
    return fastdrop.dropout_forward(
        x, a["p"], seed=a["seed"], offset=a["offset"], scaling=a["scaling"], store=a["store"]
    )[1]


def spec_child_seed(seed: int, k: int) -> int:
    """Child k of a Generator seeded with seed, as SPEC.md section 9 defines it (with the
    oracle's mix64, not the package's)."""
    m = _reference.mix64
    u = np.uint64
    with np.errstate(over="ignore"):
        base = m(np.array([seed ^ 0xBB67AE8584CAA73B], dtype=u))
        return int(m(base + u(0x9E3779B97F4A7C15) * u(k + 1))[0])


def seed_of(a: dict) -> int:
    """The int seed a call given a["seed"] uses, found without drawing it from its source."""
    seed = a["seed"]
    if seed is None:  # the next child of the default Generator
        gen = fastdrop.default_generator()
        return spec_child_seed(gen.seed, gen.n_children_spawned)
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1, np.uint64)[0])
    if isinstance(seed, np.random.Generator):
        return int(copy.deepcopy(seed).integers(0, 2**64, dtype=np.uint64))
    return int(seed)


def mode_of(a: dict) -> bool:
    """The mode a call runs in: a["training"], where None means the layer's (training)."""
    return True if a["training"] is None else bool(a["training"])


def base_args() -> dict:
    """Valid arguments for every entry point, with fresh arrays."""
    return dict(
        x=np.linspace(-2.0, 2.0, SHAPE[0], dtype=np.float32),
        grad=np.linspace(0.5, 3.0, SHAPE[0], dtype=np.float32),
        p=0.5, seed=1234, offset=7, training=True, scaling="inverted", store="bits",
        out=None, accumulate=False, noise=Make(noise_shape), mask=Make(auto_mask),
        mask_bits=None, shape=SHAPE, bits=None, n=1, mode=True, return_mask=False, name=None,
    )


# ---- helpers for entry points that need setup ------------------------------------------

def _pick(a: dict, names: str) -> dict:
    return {k: a[k] for k in names.split()}


def _generator(a: dict) -> fastdrop.Generator:
    return fastdrop.Generator(a["seed"], offset=a["offset"])


def _layer(a: dict) -> fastdrop.Dropout:
    return fastdrop.Dropout(a["p"], **_pick(a, "seed scaling store name"))


def _layer_forward(a: dict):
    return _layer(a).forward(a["x"], **_pick(a, "training return_mask out"))


def _ref_layer_forward(a: dict):
    y = ref_forward(a, offset=0)
    if not a["return_mask"]:
        return y
    return y, (ref_mask(a, np.shape(a["x"]), offset=0) if mode_of(a) else None)


def _layer_with_attributes(a: dict):
    layer = fastdrop.Dropout(seed=a["seed"])
    layer.p, layer.scaling, layer.store, layer.training = (
        a["p"], a["scaling"], a["store"], a["training"])
    return layer(a["x"])


def _layer_backward(a: dict):
    """backward of the layer's one pending forward, made in the mode a["training"]."""
    layer = _layer(a)
    layer(np.ones(a["noise"], np.float32), training=a["training"])
    if a["mask_bits"] is not None and layer.mask is not None:
        a["mask_bits"](layer.mask)
    return layer.backward(a["grad"], **_pick(a, "out accumulate"))


def _layer_backward_mask(a: dict):
    """backward with an explicit Mask, on a layer with two forwards pending."""
    layer = fastdrop.Dropout(0.5, seed=1)
    layer(np.ones(a["noise"], np.float32))
    layer(np.ones(a["noise"], np.float32))
    return layer.backward(a["grad"], a["mask"], **_pick(a, "out accumulate"))


def _spawn(a: dict) -> list:
    return fastdrop.Generator(a["seed"]).spawn(a["n"])


def _ref_spawn(a: dict) -> list:
    seed = seed_of(a)
    return [Attrs(dict(seed=spec_child_seed(seed, k), offset=0)) for k in range(int(a["n"]))]


def _manual_seed(a: dict):
    try:
        gen = fastdrop.manual_seed(a["seed"])
        return gen, fastdrop.default_generator(), fastdrop.Generator().seed
    finally:
        fastdrop.manual_seed(2026)


def _ref_manual_seed(a: dict):
    seed = seed_of(a)
    gen = Attrs(dict(seed=seed, offset=0))
    return gen, gen, spec_child_seed(seed, 0)


def _threads(a: dict) -> int:
    try:
        fastdrop.set_num_threads(a["n"])
        return fastdrop.get_num_threads()
    finally:
        fastdrop.set_num_threads(None)


# ---- the reference results ------------------------------------------------------------

def _as_result(a: dict, values: np.ndarray) -> np.ndarray:
    """values in the dtype the result must have: out's, else the input's (byte order included)."""
    dtype = a["out"].dtype if a["out"] is not None else np.asarray(a[a["_in"]]).dtype
    return np.asarray(values).astype(dtype)


def keep(a: dict, n: int, offset=None) -> np.ndarray:
    off = int(a["offset"]) if offset is None else offset
    return _reference.keep_mask(seed_of(a), off, float(a["p"]), n)


def ref_forward(a: dict, offset=None, training=None) -> np.ndarray:
    x = np.asarray(a["x"])
    training = mode_of(a) if training is None else training
    off = int(a["offset"]) if offset is None else offset
    y = _reference.dropout(x, float(a["p"]), seed=seed_of(a), offset=off,
                           training=training, scaling=str(a["scaling"]))
    return _as_result(a, y)


def ref_mask(a: dict, shape, offset=None, bits_given=None) -> Attrs:
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)
    n = int(np.prod(shape, dtype=np.int64))
    store = str(a["store"]) if bits_given is None else ("bits" if bits_given else "seed")
    return Attrs(dict(
        shape=shape, size=n, p=float(a["p"]), seed=seed_of(a),
        offset=int(a["offset"]) if offset is None else offset, scaling=str(a["scaling"]),
        store=store, to_bool=keep(a, n, offset).reshape(shape),
    ))


def ref_backward(a: dict, mask) -> np.ndarray:
    """grad through the mask (its attributes, bits from the reference), accumulated into out."""
    grad = np.asarray(a["grad"])
    if not mode_of(a):
        scaling, p = mask.scaling, mask.p
        return _as_result(a, _reference.dropout(grad, p, seed=0, training=False, scaling=scaling))
    bits = _reference.keep_mask(mask.seed, mask.offset, mask.p, mask.size)
    start = np.array(a["out"]) if a["accumulate"] else None
    return _as_result(a, _reference.dropout_backward(grad, bits, mask.p, mask.scaling, out=start))


class _Layer:
    """What the layer's forward pass used: its mask's p, seed, offset and scaling."""

    def __init__(self, a: dict):
        self.p, self.seed, self.offset = float(a["p"]), seed_of(a), 0
        self.scaling, self.size = str(a["scaling"]), int(np.prod(a["noise"], dtype=np.int64))


def _ref_threads(a: dict) -> int:
    return int(a["n"]) if _core.openmp() else fastdrop.get_num_threads()


def _window_of(a: dict):
    """x as the block at origin (0, .., 0, 1) of an array one longer on the last axis
    (global_shape, global_origin); None for a 0-d or shapeless x."""
    try:
        shape = np.shape(a["x"])
    except (ValueError, TypeError):
        return None
    if not shape:
        return None
    return shape[:-1] + (shape[-1] + 1,), (0,) * (len(shape) - 1) + (1,)


def _windowed(a: dict) -> dict:
    window = _window_of(a)
    return {} if window is None else dict(global_shape=window[0], global_origin=window[1])


def _ref_window_forward(a: dict) -> np.ndarray:
    window = _window_of(a)
    if not mode_of(a) or window is None:
        return ref_forward(a)
    x = np.asarray(a["x"])
    whole = np.zeros(window[0], dtype=x.dtype.newbyteorder("="))
    whole[..., 1:] = x
    y = _reference.dropout(whole, float(a["p"]), seed=seed_of(a), offset=int(a["offset"]),
                           scaling=str(a["scaling"]))[..., 1:]
    return _as_result(a, y)


# ---- the registry: one line per public entry point ------------------------------------

def _entry(name, takes, source, call, expected):
    return Entry(name, frozenset(takes.split()), source, call, expected)


ENTRY_POINTS = [
    _entry("dropout", "x p seed offset training scaling out", "x",
           lambda a: fastdrop.dropout(**_pick(a, "x p seed offset training scaling out")),
           ref_forward),
    Entry("dropout(window)", frozenset("x p seed offset training scaling out".split()), "x",
          lambda a: fastdrop.dropout(**_pick(a, "x p seed offset training scaling out"),
                                     **_windowed(a)),
          _ref_window_forward,
          # the window's array is longer than x: the stream's last 10 elements do not hold it
          skips=frozenset({("offset", "last elements of the stream"),
                           ("offset", "uint64 last elements")})),
    _entry("dropout_forward", "x p seed offset scaling store out", "x",
           lambda a: fastdrop.dropout_forward(**_pick(a, "x p seed offset scaling store out")),
           lambda a: (ref_forward(a, training=True), ref_mask(a, np.shape(a["x"])))),
    _entry("dropout_backward", "grad mask mask_bits out accumulate", "grad",
           lambda a: fastdrop.dropout_backward(**_pick(a, "grad mask out accumulate")),
           lambda a: ref_backward(a, a["mask"])),
    _entry("Generator", "seed offset", None, _generator,
           lambda a: Attrs(dict(seed=seed_of(a), offset=int(a["offset"])))),
    _entry("Generator.dropout", "x p seed offset training scaling out", "x",
           lambda a: _generator(a).dropout(**_pick(a, "x p training scaling out")), ref_forward),
    _entry("Generator.dropout_forward", "x p seed offset scaling store out", "x",
           lambda a: _generator(a).dropout_forward(**_pick(a, "x p scaling store out")),
           lambda a: (ref_forward(a, training=True), ref_mask(a, np.shape(a["x"])))),
    _entry("Generator.spawn", "seed n", None, _spawn, _ref_spawn),
    _entry("manual_seed", "seed", None, _manual_seed, _ref_manual_seed),
    _entry("Dropout", "p seed scaling store name", None, _layer,
           lambda a: Attrs(dict(p=float(a["p"]), scaling=str(a["scaling"]), store=str(a["store"]),
                                training=True, mask=None, name=a["name"],
                                generator=Attrs(dict(seed=seed_of(a), offset=0))))),
    _entry("Dropout.train", "mode", None, lambda a: fastdrop.Dropout(seed=1).train(a["mode"]),
           lambda a: Attrs(dict(training=bool(a["mode"])))),
    _entry("Dropout.forward", "x p seed scaling store name training return_mask out", "x",
           _layer_forward, _ref_layer_forward),
    _entry("Dropout attributes", "x p seed scaling store training", "x",
           _layer_with_attributes, lambda a: ref_forward(a, offset=0)),
    _entry("Dropout.backward", "grad noise mask_bits p seed scaling store training out accumulate",
           "grad", _layer_backward, lambda a: ref_backward(a, _Layer(a))),
    _entry("Dropout.backward(mask)", "grad mask mask_bits out accumulate", "grad",
           _layer_backward_mask, lambda a: ref_backward(a, a["mask"])),
    _entry("Mask", "shape p seed offset scaling bits", None,
           lambda a: fastdrop.Mask(**_pick(a, "shape p seed offset scaling bits")),
           lambda a: ref_mask(a, a["shape"], bits_given=a["bits"] is not None)),
    _entry("Mask.to_bool", "mask mask_bits", None, lambda a: a["mask"].to_bool(),
           lambda a: keep(a, SHAPE[0]).reshape(SHAPE)),
    _entry("Mask.packed_bits", "mask mask_bits", None, lambda a: a["mask"].packed_bits(),
           lambda a: _reference.packed_bits(keep(a, SHAPE[0]))),
    _entry("pickle(Mask)", "mask mask_bits", None, lambda a: pickle.loads(pickle.dumps(a["mask"])),
           lambda a: ref_mask(a, SHAPE)),
    _entry("set_num_threads", "n", None, _threads, _ref_threads),
]

# ---- dropout variants (fastdrop/_variants): their entries, expected from the variants' oracle

def _ones_noise(a: dict):
    """A noise shape of all ones for x (one mask bit for everything); None where x has no shape."""
    try:
        return (1,) * np.ndim(a["x"])
    except (ValueError, TypeError):
        return None


def _ref_noise_forward(a: dict) -> np.ndarray:
    if not mode_of(a) or _ones_noise(a) is None:
        return ref_forward(a)
    y = _reference_variants.dropout(np.asarray(a["x"]), float(a["p"]), seed=seed_of(a),
                                    offset=int(a["offset"]), nshape=_ones_noise(a),
                                    scaling=str(a["scaling"]))
    return _as_result(a, y)


def _ref_alpha(a: dict) -> np.ndarray:
    x = np.asarray(a["x"])
    if not mode_of(a):
        return _as_result(a, x.copy())
    return _as_result(a, _reference_variants.alpha_dropout(
        x, float(a["p"]), seed=seed_of(a), offset=int(a["offset"])))


def _ref_drop_path_batch(a: dict) -> np.ndarray:
    x = np.asarray(a["x"])
    if not mode_of(a):
        return _as_result(a, x.copy())
    return _as_result(a, _reference_variants.dropout(
        x, float(a["p"]), seed=seed_of(a), offset=int(a["offset"]), nshape=(1,) * x.ndim))


def _maps() -> np.ndarray:
    """Feature maps (N, C, L) = (2, 5, 3) for the channel variants: N * C = 10 noise elements,
    as many as SHAPE, so the offsets of the matrix apply unchanged (x's own values are
    crossed in tests/test_spatial.py and tests/test_alpha.py)."""
    return np.linspace(-2.0, 2.0, 30, dtype=np.float32).reshape(2, 5, 3)


def _maps4() -> np.ndarray:
    """(N, C, H, W) = (1, 1, 2, 5) maps for drop_block: 10 elements, as many as SHAPE."""
    return np.linspace(-2.0, 2.0, 10, dtype=np.float32).reshape(1, 1, 2, 5)


def _ref_maps(a: dict, fn) -> np.ndarray:
    x = _maps()
    if not mode_of(a):
        return x
    return fn(x, float(a["p"]), seed=seed_of(a), offset=int(a["offset"]), nshape=(2, 5, 1))


def _ref_mc(a: dict) -> np.ndarray:
    x = np.asarray(a["x"])
    y = _reference_variants.mc_dropout(x, float(a["p"]), 1, seed=seed_of(a),
                                       offset=int(a["offset"]))
    return y.astype(x.dtype)


def _ref_alpha_backward(a: dict) -> np.ndarray:
    mask, grad = a["mask"], np.asarray(a["grad"])
    keep = _reference.keep_mask(mask.seed, mask.offset, mask.p, mask.size)
    start = np.array(a["out"]) if a["accumulate"] else None
    s = _reference_variants.alpha_constants(mask.p)[0]
    return _as_result(a, _reference.apply(grad, keep, s, out=start))


def _residual(a: dict):
    """A residual like x (ones of its shape and dtype), or a float32 one of SHAPE for a bad x."""
    try:
        x = np.asarray(a["x"])
        if (x.dtype.kind == "f" and x.dtype.itemsize in (2, 4, 8)) \
                or _reference.is_bfloat16(x.dtype):
            return np.ones(x.shape, x.dtype)
    except (ValueError, TypeError):
        pass
    return np.ones(SHAPE, np.float32)


def _ref_dropout_add(a: dict) -> np.ndarray:
    x = np.asarray(a["x"])
    y = _reference_variants.dropout_add(x, _residual(a), float(a["p"]), seed=seed_of(a),
                                        offset=int(a["offset"]))
    return _as_result(a, y)


VARIANT_ENTRY_POINTS = [
    _entry("dropout_add_backward", "grad mask mask_bits", "grad",
           lambda a: fastdrop.dropout_add_backward(a["grad"], a["mask"]),
           lambda a: (ref_backward(a, a["mask"]), None,
                      _as_result(a, np.array(np.asarray(a["grad"]))))),
    _entry("dropout_add", "x p seed offset store out", "x",
           lambda a: fastdrop.dropout_add(a["x"], _residual(a), **_pick(a, "p seed offset store out")),
           lambda a: (_ref_dropout_add(a), ref_mask(a, np.shape(a["x"])))),
    _entry("dropout(noise_shape)", "x p seed offset training scaling out", "x",
           lambda a: fastdrop.dropout(**_pick(a, "x p seed offset training scaling out"),
                                      noise_shape=_ones_noise(a)),
           _ref_noise_forward),
    _entry("alpha_dropout", "x p seed offset training out", "x",
           lambda a: fastdrop.alpha_dropout(**_pick(a, "x p seed offset training out")),
           _ref_alpha),
    _entry("alpha_dropout_backward", "grad mask out accumulate", "grad",
           lambda a: fastdrop.alpha_dropout_backward(**_pick(a, "grad mask out accumulate")),
           _ref_alpha_backward),
    _entry("drop_path", "x p seed offset training out", "x",
           lambda a: fastdrop.drop_path(**_pick(a, "x p seed offset training out"), mode="batch"),
           _ref_drop_path_batch),
    _entry("spatial_dropout", "p seed offset training", None,
           lambda a: fastdrop.spatial_dropout(_maps(), **_pick(a, "p seed offset training")),
           lambda a: _ref_maps(a, _reference_variants.dropout)),
    _entry("feature_alpha_dropout", "p seed offset training", None,
           lambda a: fastdrop.feature_alpha_dropout(_maps(), **_pick(a, "p seed offset training")),
           lambda a: _ref_maps(a, _reference_variants.alpha_dropout)),
    _entry("drop_block", "p seed offset training", None,
           lambda a: fastdrop.drop_block(_maps4(), **_pick(a, "p seed offset training"),
                                         block_size=3),
           lambda a: _maps4() if not mode_of(a) else _reference_variants.drop_block(
               _maps4(), float(a["p"]), seed=seed_of(a), offset=int(a["offset"]), block_size=3)[0]),
    _entry("DropBlock", "p seed name", None,
           lambda a: fastdrop.DropBlock(**_pick(a, "p seed name")),
           lambda a: Attrs(dict(p=float(a["p"]), training=True, mask=None, name=a["name"],
                                generator=Attrs(dict(seed=seed_of(a), offset=0))))),
    _entry("mc_dropout", "x p seed offset", "x",
           lambda a: fastdrop.mc_dropout(**_pick(a, "x p seed offset"), samples=1), _ref_mc),
    _entry("SpatialDropout", "p seed name", None,
           lambda a: fastdrop.SpatialDropout(**_pick(a, "p seed name")),
           lambda a: Attrs(dict(p=float(a["p"]), training=True, mask=None, name=a["name"],
                                generator=Attrs(dict(seed=seed_of(a), offset=0))))),
    _entry("DropPath", "p seed name", None,
           lambda a: fastdrop.DropPath(**_pick(a, "p seed name")),
           lambda a: Attrs(dict(p=float(a["p"]), training=True, mask=None, name=a["name"],
                                generator=Attrs(dict(seed=seed_of(a), offset=0))))),
    _entry("AlphaDropout", "p seed name", None,
           lambda a: fastdrop.AlphaDropout(**_pick(a, "p seed name")),
           lambda a: Attrs(dict(p=float(a["p"]), training=True, mask=None, name=a["name"],
                                generator=Attrs(dict(seed=seed_of(a), offset=0))))),
]
ENTRY_POINTS += VARIANT_ENTRY_POINTS
# ---- end of dropout variants

# ---- Gaussian and variational dropout (fastdrop._gaussian) -----------------------------

from fastdrop import _reference_gaussian as _refg  # noqa: E402

LOG_ALPHA = -1.0  # the log_alpha of the variational entries (not a matrix argument)
_W = np.linspace(-1.0, 1.0, 12).reshape(4, 3)  # the dense entries' x is (2, 4), w (4, 3)
_DENSE_X = np.linspace(-2.0, 2.0, 8).reshape(2, 4)

# p = 1 has infinite variance: Gaussian dropout refuses it (BAD values "p = 1")
_RATE_ONE = frozenset(("p", label) for label in ("int 1", "0-d int 1", "uint8 1"))
# variational dropout is float32 and float64 only (BAD values "float16")
_NO_HALF = frozenset((arg, label) for arg in ("x", "grad")
                     for label in ("float16 scalar", "float16", "byte-swapped float16"))
# backward calls say "grad must have the noise's shape" (BAD values "noise's shape")
_NOISE_SHAPE = frozenset(("grad", label) for label in (
    "shorter than the mask", "transposed to the mask", "0-d for a 1-element mask"))


def _ref_gaussian(a: dict, offset=None, training=None) -> np.ndarray:
    x = np.asarray(a["x"])
    training = mode_of(a) if training is None else training
    off = int(a["offset"]) if offset is None else offset
    y = _refg.gaussian_dropout(x, float(a["p"]), seed=seed_of(a), offset=off, training=training)
    return _as_result(a, y)


def _noise_attrs(kind, shape, seed, offset, p=None, training=True) -> Attrs:
    shape = tuple(int(d) for d in shape)
    return Attrs(dict(kind=kind, shape=shape, seed=seed, offset=offset, p=p, training=training,
                      size=int(np.prod(shape, dtype=np.int64))))


def _gaussian_forward_noise(a: dict):
    return fastdrop.gaussian_dropout_forward(np.ones(a["noise"], np.float32), 0.25, seed=3,
                                             offset=5)[1]


def _ref_gaussian_backward(a: dict, offset=5, p=0.25, seed=3) -> np.ndarray:
    grad = np.asarray(a["grad"])
    return _as_result(a, _refg.gaussian_dropout(grad, p, seed=seed, offset=offset))


def _glayer(a: dict) -> fastdrop.GaussianDropout:
    return fastdrop.GaussianDropout(a["p"], seed=a["seed"])


def _glayer_backward(a: dict):
    layer = fastdrop.GaussianDropout(0.25, seed=3)
    layer(np.ones(a["noise"], np.float32))
    return layer.backward(a["grad"], out=a["out"])


def _ref_glayer_backward(a: dict):
    return _ref_gaussian_backward(a, offset=0)


def _native(y) -> np.ndarray:
    y = np.asarray(y)
    return y.astype(y.dtype.newbyteorder("="))


def _variational(a: dict):
    return fastdrop.variational_dropout(a["x"], LOG_ALPHA, **_pick(a, "seed offset training"))


def _ref_variational(a: dict):
    x = np.asarray(a["x"])
    seed, off, training = seed_of(a), int(a["offset"]), mode_of(a)
    y = _refg.variational_dropout(x, LOG_ALPHA, seed=seed, offset=off) if training else x
    return _native(y), _noise_attrs("variational", x.shape, seed, off, training=training)


def _variational_backward(a: dict):
    x = np.ones(a["noise"])
    _, noise = fastdrop.variational_dropout(x, LOG_ALPHA, seed=3, offset=5)
    return fastdrop.variational_dropout_backward(a["grad"], x, LOG_ALPHA, noise)


def _ref_variational_backward(a: dict):
    grad = np.asarray(a["grad"])
    x = np.ones(grad.shape)
    dx, dla = _refg.variational_dropout_backward(grad, x, np.asarray(LOG_ALPHA, grad.dtype),
                                                 seed=3, offset=5)
    return _native(dx), _native(dla)


def _dense(a: dict):
    return fastdrop.variational_dense(_DENSE_X, _W, LOG_ALPHA, **_pick(a, "seed offset training"))


def _ref_dense(a: dict):
    seed, off, training = seed_of(a), int(a["offset"]), mode_of(a)
    b = (_refg.variational_dense(_DENSE_X, _W, LOG_ALPHA, seed=seed, offset=off) if training
         else _DENSE_X @ _W)
    return b, _noise_attrs("dense", (2, 3), seed, off, training=training)


def _dense_backward(a: dict):
    _, noise = fastdrop.variational_dense(_DENSE_X, _W, LOG_ALPHA, seed=3, offset=5)
    return fastdrop.variational_dense_backward(np.ones((2, 3)), _DENSE_X, _W, LOG_ALPHA, noise)


def _ref_dense_backward(a: dict):
    dx, dw, dla = _refg.variational_dense_backward(np.ones((2, 3)), _DENSE_X, _W,
                                                   np.full(_W.shape, LOG_ALPHA), seed=3,
                                                   offset=5)
    return dx, dw, np.asarray(dla.sum())  # log_alpha a scalar: its gradient summed


def _kl(a: dict):
    """The KL and its gradient to 12 digits (the reference is another formulation)."""
    kl, grad = fastdrop.kl_sparse_vd(np.linspace(-4.0, 4.0, 10))
    return round(kl, 12), np.round(grad, 12)


def _ref_kl(a: dict):
    kl, grad = _refg.kl_sparse_vd(np.linspace(-4.0, 4.0, 10))
    return round(kl, 12), np.round(grad, 12)


ENTRY_POINTS += [
    Entry("gaussian_dropout", frozenset("x p seed offset training out".split()), "x",
          lambda a: fastdrop.gaussian_dropout(**_pick(a, "x p seed offset training out")),
          _ref_gaussian, _RATE_ONE),
    Entry("gaussian_dropout_forward", frozenset("x p seed offset out".split()), "x",
          lambda a: fastdrop.gaussian_dropout_forward(**_pick(a, "x p seed offset out")),
          lambda a: (_ref_gaussian(a, training=True),
                     _noise_attrs("gaussian", np.shape(a["x"]), seed_of(a), int(a["offset"]),
                                  float(a["p"]))),
          _RATE_ONE),
    Entry("gaussian_dropout_backward", frozenset("grad out".split()), "grad",
          lambda a: fastdrop.gaussian_dropout_backward(a["grad"], _gaussian_forward_noise(a),
                                                       out=a["out"]),
          _ref_gaussian_backward, _NOISE_SHAPE),
    Entry("GaussianDropout", frozenset("p seed".split()), None, _glayer,
          lambda a: Attrs(dict(p=float(a["p"]), training=True, noise=None,
                               generator=Attrs(dict(seed=seed_of(a), offset=0)))), _RATE_ONE),
    Entry("GaussianDropout.forward", frozenset("x p seed training out".split()), "x",
          lambda a: _glayer(a).forward(a["x"], training=a["training"], out=a["out"]),
          lambda a: _ref_gaussian(a, offset=0), _RATE_ONE),
    Entry("GaussianDropout.backward", frozenset("grad out".split()), "grad", _glayer_backward,
          _ref_glayer_backward, _NOISE_SHAPE),
    Entry("Noise", frozenset("shape seed offset p training".split()), None,
          lambda a: fastdrop.Noise("gaussian", a["shape"], a["seed"], a["offset"], a["p"],
                                   a["training"]),
          lambda a: _noise_attrs("gaussian", np.atleast_1d(a["shape"]) if np.ndim(a["shape"]) == 0
                                 else a["shape"], seed_of(a), int(a["offset"]), float(a["p"]),
                                 bool(a["training"])),
          _RATE_ONE | {("p", "None")}),  # None: a variational record, no rate
    Entry("variational_dropout", frozenset("x seed offset training".split()), None,
          _variational, _ref_variational, _NO_HALF),
    Entry("variational_dropout_backward", frozenset(["grad"]), None, _variational_backward,
          _ref_variational_backward, _NO_HALF | _NOISE_SHAPE),
    Entry("variational_dense", frozenset("seed offset training".split()), None, _dense,
          _ref_dense),
    Entry("variational_dense_backward", frozenset(), None, _dense_backward, _ref_dense_backward),
    Entry("kl_sparse_vd", frozenset(), None, _kl, _ref_kl),
]

# ---- end Gaussian and variational dropout ----------------------------------------------

ORDER = ["x", "grad", "p", "seed", "offset", "training", "scaling", "store", "accumulate",
         "shape", "bits", "n", "mode", "return_mask", "name", "noise", "out", "mask", "mask_bits"]


def resolve(entry: Entry, overrides: dict) -> dict:
    """Base arguments with overrides, the entry's Make values made in ORDER, mask_bits applied."""
    a = base_args()
    a.update(overrides)
    a["_in"] = entry.source
    for key in ORDER:
        if isinstance(a[key], Make) and (key in entry.takes or key == "noise"):
            a[key] = a[key].fn(a)
    if a["mask_bits"] is not None and isinstance(a["mask"], fastdrop.Mask):
        a["mask_bits"](a["mask"])  # Dropout.backward changes its layer's mask instead
    return a
