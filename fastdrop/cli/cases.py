"""The benchmark cases, shared by ``fastdrop bench`` and the pytest-benchmark suite in bench/.

Each `Case` turns preallocated float32 arrays ``x`` and ``y`` of one size
into a call without arguments, the thing that is timed; setup (a stored mask,
a torch tensor) happens before. Every case runs at p = 0.5 with seed 1, so
its speed is comparable across sizes, kernels and thread counts.
``bytes_per_element`` counts what a call reads and writes per element (8 for
a float32 read and write, plus 1/8 for a packed mask bit), which turns a time
into GB/s; ``np.copyto`` moving the same 8 bytes per element is the roofline.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Callable

import numpy as np

import fastdrop

#: The sizes of a full run, 1K to 64M float32 elements (4 KB to 256 MB).
SIZES = (1_000, 65_536, 1_048_576, 16_777_216, 67_108_864)
#: The sizes of ``--quick`` and of ``fastdrop`` without a subcommand.
QUICK_SIZES = (1_000, 65_536, 1_048_576, 16_777_216)

P = 0.5
SEED = 1


@dataclass(frozen=True)
class Case:
    """One timed call.

    Attributes
    ----------
    name : str
        The row's name in tables, JSON and plots.
    groups : tuple of str
        "forward", "backward" or both (the copy roofline belongs to both).
    bytes_per_element : float
        Bytes read and written per element.
    make : callable
        ``make(x, y)`` returns the call to time.
    fastdrop : bool
        True if the call runs fastdrop's kernels (so kernel and thread
        count apply to it); False for the baselines.
    needs : str or None
        A module the case needs (imported only by `make`), or None.
    """

    name: str
    groups: tuple[str, ...]
    bytes_per_element: float
    make: Callable[[np.ndarray, np.ndarray], Callable[[], object]]
    fastdrop: bool = True
    needs: str | None = None

    def available(self) -> bool:
        """True if what the case needs is installed."""
        return self.needs is None or importlib.util.find_spec(self.needs) is not None


def _copyto(x, y):
    return lambda: np.copyto(y, x)


def _dropout(x, y):
    return lambda: fastdrop.dropout(x, P, seed=SEED, out=y)


def _forward(x, y):
    return lambda: fastdrop.dropout_forward(x, P, seed=SEED, out=y)


def _backward(store):
    def make(x, y):
        _, mask = fastdrop.dropout_forward(x, P, seed=SEED, store=store)
        return lambda: fastdrop.dropout_backward(x, mask, out=y)
    return make


def _numpy_forward(x, y):
    """What a NumPy user writes: uniforms, compare, scale."""
    rng = np.random.default_rng(SEED)
    scale = np.float32(1 / (1 - P))
    return lambda: np.multiply(x, (rng.random(x.size, dtype=np.float32) >= P) * scale, out=y)


def _numpy_backward(x, y):
    """The NumPy user's backward: the gradient times the saved float mask (0 or 1/(1-p))."""
    rng = np.random.default_rng(SEED)
    saved = (rng.random(x.size, dtype=np.float32) >= P) * np.float32(1 / (1 - P))
    return lambda: np.multiply(x, saved, out=y)


def _torch_forward(x, y):
    import torch

    tx = torch.from_numpy(x)
    return lambda: torch.nn.functional.dropout(tx, P, True)


def _torch_backward(x, y):
    import torch

    tx = torch.from_numpy(x)
    _, mask = torch.native_dropout(tx, P, True)
    return lambda: torch.ops.aten.native_dropout_backward(tx, mask, 1 / (1 - P))


CASES = (
    Case("np.copyto", ("forward", "backward"), 8.0, _copyto, fastdrop=False),
    Case("forward, mask bits", ("forward",), 8.125, _forward),
    Case("dropout, no mask", ("forward",), 8.0, _dropout),
    Case("backward from bits", ("backward",), 8.125, _backward("bits")),
    Case("backward from seed", ("backward",), 8.0, _backward("seed")),
    Case("numpy one-liner", ("forward",), 8.0, _numpy_forward, fastdrop=False),
    Case("numpy backward", ("backward",), 12.0, _numpy_backward, fastdrop=False),
    Case("torch", ("forward",), 8.0, _torch_forward, fastdrop=False, needs="torch"),
    Case("torch backward", ("backward",), 9.0, _torch_backward, fastdrop=False, needs="torch"),
)
#: The name of the roofline case.
COPY = "np.copyto"


def by_name(name: str) -> Case:
    """The case called name (KeyError if there is none)."""
    for case in CASES:
        if case.name == name:
            return case
    raise KeyError(name)
