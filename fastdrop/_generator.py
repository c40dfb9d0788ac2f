"""Generator: a (seed, offset) stream that hands each call fresh elements."""

from __future__ import annotations

import threading

from fastdrop import _api, _checks, _gpu


class Generator:
    """Generator(seed=None, *, offset=0)
    --

    A dropout stream: a seed plus the next unused element offset.

    Each training call takes the next ``x.size`` elements of the stream (its
    (seed, offset) pair) and advances `offset` by that many, so consecutive
    calls never reuse a mask element and a run is reproduced by the seed
    alone. Inference calls (``training=False``) draw nothing.

    Parameters
    ----------
    seed : int or None, default=None
        Seed in [0, 2**64); None draws one from OS entropy (see `seed`).
    offset : int, default=0
        First unused element, to resume a saved stream.

    Notes
    -----
    Safe to share between Python threads: offsets are reserved under a lock,
    so no offset is handed out twice and none is lost. Which thread gets
    which range depends on their order; the mask of a given range does not.
    Pickling saves (seed, offset).

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> gen = fastdrop.Generator(seed=1)
    >>> x = np.ones(4, np.float32)
    >>> a = gen.dropout(x, 0.5)
    >>> gen.offset
    4
    >>> bool((a == fastdrop.dropout(x, 0.5, seed=1, offset=0)).all())
    True
    """

    __slots__ = ("_seed", "_offset", "_lock")

    def __init__(self, seed=None, *, offset=0):
        self._seed = _checks.check_seed(seed)
        self._offset = _checks.check_offset(offset, 0)
        self._lock = threading.Lock()

    @property
    def seed(self) -> int:
        """The stream's seed."""
        return self._seed

    @property
    def offset(self) -> int:
        """The first element the next training call will use."""
        return self._offset

    def _reserve(self, n: int) -> int:
        with self._lock:
            start = self._offset
            _checks.check_offset(start, n)
            self._offset = start + n
        return start

    def dropout(self, x, p=0.5, *, training=True, scaling="inverted", out=None):
        """dropout(x, p=0.5, *, training=True, scaling="inverted", out=None)

        `fastdrop.dropout` with this generator's seed and next offset."""
        if _gpu.route(x=x, out=out):
            return _gpu.dropout(x, p, seed=self._seed, offset=self._reserve, training=training, scaling=scaling, out=out)
        x, p, scaling = _api._check_common(x, p, scaling, out)
        if not _checks.check_flag(training, "training"):
            return _api._inference(x, p, scaling, out)
        offset = self._reserve(x.size)
        return _api._forward(x, p, self._seed, offset, scaling, None, out)[0]

    def dropout_forward(self, x, p=0.5, *, scaling="inverted", store="bits", out=None):
        """dropout_forward(x, p=0.5, *, scaling="inverted", store="bits", out=None)

        `fastdrop.dropout_forward` with this generator's seed and next offset."""
        if _gpu.route(x=x, out=out):
            return _gpu.dropout_forward(x, p, seed=self._seed, offset=self._reserve, scaling=scaling, store=store, out=out)
        x, p, scaling = _api._check_common(x, p, scaling, out)
        store = _checks.check_choice(store, "store", _checks.STORES)
        offset = self._reserve(x.size)
        return _api._forward(x, p, self._seed, offset, scaling, store, out)

    def __reduce__(self):
        return (_restore, (self._seed, self._offset))

    def __repr__(self) -> str:
        return f"Generator(seed={self._seed}, offset={self._offset})"


def _restore(seed: int, offset: int) -> Generator:
    return Generator(seed, offset=offset)
