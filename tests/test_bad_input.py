"""The bad-input matrix: every public entry point crossed with bad and unusual values.

Each entry point in `entry_points.ENTRY_POINTS` meets every value in
`input_values` of each argument it takes, once without `out` and once with an
`out` filled with a sentinel where it takes one. A bad value must raise its
TypeError or ValueError with a message that names the argument, leave `out`
holding the sentinel and leave every input (x, grad, the mask's bits)
unchanged. An unusual valid value must give the pure-NumPy reference result
bit for bit, in the documented type and dtype (byte order included), and
change no input except where `out` shares its memory.
"""

import pickle
import re

import numpy as np
import pytest
from entry_points import ENTRY_POINTS, Attrs, Entry, Make, resolve, sentinel_out
from input_values import BAD, GOOD, IN, Joint

import fastdrop

NAMES = {"mask_bits": "mask", "noise": "grad"}


def _applies(value, entry: Entry) -> bool:
    if value.only is not None and entry.name not in value.only:
        return False
    if value.arg is not None and value.arg not in entry.takes:
        return False
    if (value.arg, value.label) in entry.skips:
        return False
    if isinstance(value.value, Joint):
        keys = set(value.value.values) - {IN}
        return entry.source is not None and keys <= entry.takes | {"noise"}
    return True


def _overrides(value, entry: Entry) -> dict:
    if isinstance(value.value, Joint):
        return {entry.source if k == IN else k: v for k, v in value.value.values.items()}
    return {} if value.arg is None else {value.arg: value.value}


def _cases(values):
    """(entry, value, with_out) for every value that applies, with and without an out."""
    cases = []
    for entry in ENTRY_POINTS:
        for value in values:
            if not _applies(value, entry):
                continue
            outs = [False]
            if "out" in entry.takes and "out" not in _overrides(value, entry):
                outs.append(True)
            for with_out in outs:
                tag = "out" if with_out else "no out"
                cases.append(pytest.param(
                    entry, value, with_out, id=f"{entry.name}|{value.arg}|{value.label}|{tag}"))
    return cases


def _arguments(entry: Entry, value, with_out: bool) -> dict:
    overrides = _overrides(value, entry)
    if with_out:
        overrides = {"out": Make(sentinel_out), **overrides}
    return resolve(entry, overrides)


def _raw(a) -> tuple:
    """Shape, dtype and bytes of an array, to compare exactly (NaN, -0.0 and padding included)."""
    return a.shape, a.dtype.str, np.ascontiguousarray(a).tobytes()


def _snapshot(a: dict) -> dict:
    """Copies of every array argument and of the mask's stored bits."""
    snap = {k: (v, _raw(v)) for k, v in a.items() if isinstance(v, np.ndarray)}
    bits = getattr(a.get("mask"), "_bits", None)
    if isinstance(bits, np.ndarray):
        snap["mask bits"] = (bits, _raw(bits))
    return snap


def _assert_unchanged(snap: dict, written=None):
    for name, (arr, before) in snap.items():
        if written is not None and np.may_share_memory(arr, written):
            continue
        assert _raw(arr) == before, f"{name} was modified"


def _assert_same(actual, expected, out=None):
    if isinstance(expected, (tuple, list)):
        assert type(actual) is type(expected) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            _assert_same(a, e, out)
    elif isinstance(expected, Attrs):
        for name, want in expected.values.items():
            got = getattr(actual, name)
            _assert_same(got() if callable(got) else got, want)
    elif isinstance(expected, np.ndarray):
        if out is not None:
            assert actual is out, "the result must be out itself"
        else:
            assert type(actual) is np.ndarray, f"got {type(actual).__name__}, not a plain ndarray"
        assert actual.dtype == expected.dtype, f"dtype {actual.dtype} != {expected.dtype}"
        assert actual.shape == expected.shape
        assert _raw(np.asarray(actual)) == _raw(expected), "values differ from the reference"
    else:
        assert type(actual) is type(expected) and actual == expected, f"{actual!r} != {expected!r}"


BAD_CASES = _cases(BAD)
GOOD_CASES = _cases(GOOD)


@pytest.mark.parametrize("entry,bad,with_out", BAD_CASES)
def test_bad_value_raises_naming_the_argument(entry, bad, with_out):
    a = _arguments(entry, bad, with_out)
    snap = _snapshot(a)
    name = NAMES.get(bad.arg, bad.arg)
    with pytest.raises(bad.exc, match=rf"\b{re.escape(name)}\b") as info:
        entry.call(a)
    if bad.match is not None:
        assert re.search(bad.match, str(info.value)), str(info.value)
    _assert_unchanged(snap)  # out still holds the sentinel; inputs untouched


@pytest.mark.parametrize("entry,good,with_out", GOOD_CASES)
def test_valid_value_gives_the_reference_result(entry, good, with_out):
    a = _arguments(entry, good, with_out)
    expected = entry.expected(a)  # before the call: out may share memory with the input
    snap = _snapshot(a)
    out = a["out"] if "out" in entry.takes else None
    actual = entry.call(a)
    _assert_same(actual, expected, out)
    _assert_unchanged({k: v for k, v in snap.items() if k != "out"}, written=out)


def test_the_matrix_covers_every_public_callable():
    """A new public function or class needs a line in ENTRY_POINTS."""
    names = {e.name.split(".")[0].split("(")[-1].rstrip(")") for e in ENTRY_POINTS}
    public = {n for n in fastdrop.__all__ if callable(getattr(fastdrop, n))}
    assert public - names <= {"simd_info", "get_num_threads", "default_generator",
                              "get_include"}  # no arguments
    assert len(BAD_CASES) > 1000 and len(GOOD_CASES) > 500


# ---- the rest of what the matrix cannot say in one value -------------------------------

X = np.arange(10, dtype=np.float32)


def test_mask_bits_cannot_be_assigned_resized_or_written():
    _, mask = fastdrop.dropout_forward(X, 0.5, seed=1)
    with pytest.raises(AttributeError):
        mask.bits = np.zeros(2, np.uint8)
    with pytest.raises(ValueError):
        mask.bits.resize(1, refcheck=False)
    with pytest.raises(ValueError, match="read-only"):
        mask.bits[0] = 255
    given = np.zeros(2, np.uint8)
    mask = fastdrop.Mask((10,), 0.5, seed=1, bits=given)
    with pytest.raises(ValueError):
        mask.bits.resize(1, refcheck=False)
    assert not mask.bits.flags.writeable and given.flags.writeable


def test_unpickling_checks_like_the_constructor():
    _, mask = fastdrop.dropout_forward(X, 0.5, seed=1)
    func, args = mask.__reduce__()
    with pytest.raises(ValueError, match=r"\bp\b"):
        func(args[0], 2.0, *args[2:])
    with pytest.raises(ValueError, match=r"\bbits\b"):
        func(*args[:-1], np.zeros(1, np.uint8))
    clone = pickle.loads(pickle.dumps(mask))
    assert clone.bits.tobytes() == mask.bits.tobytes() and not clone.bits.flags.writeable


@pytest.mark.parametrize("start", [0, 4])
def test_out_over_the_mask_bits_reads_them_first(start):
    """Bits given to Mask() may share memory with out: backward reads them before writing."""
    n = 4096
    _, ref = fastdrop.dropout_forward(np.ones(n, np.float32), 0.5, seed=2)
    expected = fastdrop.dropout_backward(np.ones(n, np.float32), ref)
    buf = np.zeros(4 * n + 8, np.uint8)
    buf[: n // 8] = ref.bits
    mask = fastdrop.Mask((n,), 0.5, seed=2, bits=buf[: n // 8])
    out = buf[start: start + 4 * n].view(np.float32)
    assert fastdrop.dropout_backward(np.ones(n, np.float32), mask, out=out) is out
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("bad", [
    dict(p=2.0), dict(x=np.arange(3)), dict(out=np.empty(3, np.float64)), dict(scaling="no"),
    dict(store="no"), dict(out=np.ones(4, np.float32)),
])
def test_generator_offset_does_not_move_on_error(bad):
    gen = fastdrop.Generator(seed=1, offset=5)
    kwargs = {"x": np.ones(3, np.float32), "p": 0.5, **bad}
    with pytest.raises((TypeError, ValueError)):
        gen.dropout_forward(**kwargs)
    if "store" not in bad:
        with pytest.raises((TypeError, ValueError)):
            gen.dropout(**kwargs)
    assert gen.offset == 5
    gen = fastdrop.Generator(seed=1, offset=2**64 - 2)
    with pytest.raises(ValueError, match="offset"):
        gen.dropout(np.ones(3, np.float32), 0.5)
    assert gen.offset == 2**64 - 2


def test_inputs_are_never_modified():
    x = np.linspace(-3, 3, 5000).astype(np.float32)
    before = x.copy()
    y, mask = fastdrop.dropout_forward(x, 0.5, seed=1)
    fastdrop.dropout_backward(x, mask)
    fastdrop.dropout(x, 0.5, training=False, scaling="classic")
    np.testing.assert_array_equal(x, before)


def test_partial_overlap_at_block_sizes():
    """Overlap that crosses kernel blocks and threads: a temporary copy, not a half-read input."""
    n = 70001
    for shift in (1, -1, 2048, -4095):
        buf = np.linspace(-1, 1, n + abs(shift), dtype=np.float32)
        x = buf[max(-shift, 0): max(-shift, 0) + n]
        out = buf[max(shift, 0): max(shift, 0) + n]
        expected = fastdrop.dropout(x.copy(), 0.3, seed=9)
        assert fastdrop.dropout(x, 0.3, seed=9, out=out) is out
        np.testing.assert_array_equal(out, expected)
