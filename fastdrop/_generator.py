"""Generator: a (seed, offset) stream that hands each call fresh elements; child and default streams."""

from __future__ import annotations

import secrets
import threading

from fastdrop import _api, _checks, _gpu
from fastdrop._variants import noise as _noise

_M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
SPAWN_SALT = 0xBB67AE8584CAA73B  # SPEC.md section 9


def mix64(z: int) -> int:
    """SplitMix64's output function on a Python int, modulo 2**64."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def child_seed(seed: int, k: int) -> int:
    """Seed of child k (0, 1, ...) of a Generator with this seed (SPEC.md section 9)."""
    return mix64((mix64(seed ^ SPAWN_SALT) + GOLDEN * (k + 1)) & _M64)


class Generator:
    """Generator(seed=None, *, offset=0)
    --

    A dropout stream: a seed plus the next unused element offset.

    Each training call takes the next ``x.size`` elements of the stream (its
    (seed, offset) pair) and advances `offset` by that many, so consecutive
    calls never reuse a mask element and a run is reproduced by the seed
    alone. Inference calls (``training=False``) draw nothing. `spawn` gives
    independent child streams, one per worker.

    Parameters
    ----------
    seed : int, numpy.random.SeedSequence, numpy.random.Generator or None, default=None
        Seed in [0, 2**64). A SeedSequence gives its first 64-bit state
        word, a NumPy Generator draws one 64-bit integer (and advances).
        None takes the next child seed of the default Generator (see
        `fastdrop.manual_seed`), so ``manual_seed(s)`` makes it reproducible.
    offset : int, default=0
        First unused element, to resume a saved stream.

    Notes
    -----
    Safe to share between Python threads: offsets are reserved under a lock,
    so no offset is handed out twice and none is lost. Which thread gets
    which range depends on their order; the mask of a given range does not.

    Pickling saves (seed, offset, children spawned), so **a Generator (or a
    `Dropout` layer) pickled into several worker processes gives every worker
    the same masks**: each copy continues the one stream from the same
    offset. Give each worker its own stream with ``gen.spawn(n_workers)``.
    Forked workers inherit the default Generator the same way: call
    `fastdrop.manual_seed` with a per-worker seed there, or pass spawned
    Generators.

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
    >>> [child.seed for child in fastdrop.Generator(seed=1).spawn(2)] == [
    ...     child.seed for child in fastdrop.Generator(seed=1).spawn(2)]
    True
    """

    __slots__ = ("_seed", "_offset", "_spawned", "_lock")

    def __init__(self, seed=None, *, offset=0):
        self._offset = _checks.check_offset(offset, 0)  # first: an error draws no seed
        self._seed = draw_seed() if seed is None else _checks.check_seed(seed)
        self._spawned = 0
        self._lock = threading.Lock()

    @property
    def seed(self) -> int:
        """The stream's seed."""
        return self._seed

    @property
    def offset(self) -> int:
        """The first element the next training call will use."""
        return self._offset

    @property
    def n_children_spawned(self) -> int:
        """How many children `spawn` has made so far; the next one is child number this."""
        return self._spawned

    def _reserve(self, n: int) -> int:
        with self._lock:
            start = self._offset
            _checks.check_offset(start, n)
            self._offset = start + n
        return start

    def _child_seeds(self, n: int) -> list[int]:
        with self._lock:
            first = self._spawned
            if first + n > 1 << 64:
                raise ValueError(f"n: this Generator has {first} children, at most 2**64 in all")
            self._spawned = first + n
        return [child_seed(self._seed, k) for k in range(first, first + n)]

    def spawn(self, n) -> list[Generator]:
        """spawn(n)

        n new, independent Generators, for workers or layers.

        Child k (counting every child this Generator has spawned, over all
        calls) has the seed ``child_seed(seed, k)`` of SPEC.md section 9 and
        offset 0, so the children are a pure function of the parent's seed
        and their number: ``Generator(s).spawn(4)`` gives the same four
        streams in every run and process, and a second ``spawn(4)`` four
        more. The parent's own stream (its offset) is not used or moved.

        This is how worker processes get streams of their own: one
        Generator (or layer) pickled into several workers gives each of
        them the same masks, while ``gen.spawn(n_workers)`` gives each one
        an independent stream (README, "Streams for several workers").

        Parameters
        ----------
        n : int
            Number of children, >= 0 (a NumPy integer too, not a bool).

        Returns
        -------
        children : list of Generator

        Raises
        ------
        TypeError
            If n is not an int.
        ValueError
            If n is negative.

        Examples
        --------
        >>> import fastdrop
        >>> a, b = fastdrop.Generator(seed=5).spawn(2)
        >>> a.seed != b.seed and a.offset == b.offset == 0
        True
        """
        n = _checks.check_count(n, "n")
        return [Generator(s) for s in self._child_seeds(n)]

    def dropout(self, x, p=0.5, *, training=True, scaling="inverted", out=None,
                noise_shape=None, broadcast_dims=None):
        """dropout(x, p=0.5, *, training=True, scaling="inverted", out=None, noise_shape=None, broadcast_dims=None)

        `fastdrop.dropout` with this generator's seed and next offset (a
        noise shape advances the offset by the noise size)."""
        if _gpu.route(x=x, out=out):
            return _gpu.dropout(x, p, seed=self._seed, offset=self._reserve, training=training,
                                scaling=scaling, out=out, noise_shape=noise_shape,
                                broadcast_dims=broadcast_dims)
        x, p, scaling = _api._check_common(x, p, scaling, out, bfloat16=True)
        training = _checks.check_flag(training, "training")
        nshape = _noise.resolve(x.shape, noise_shape, broadcast_dims)
        if not training:
            return _api._inference(x, p, scaling, out)
        if nshape is not None:
            offset = self._reserve(_noise.size(nshape))
            return _noise.forward(x, p, self._seed, offset, scaling, None, out, nshape)[0]
        offset = self._reserve(x.size)
        return _api._forward(x, p, self._seed, offset, scaling, None, out)[0]

    def dropout_forward(self, x, p=0.5, *, scaling="inverted", store="bits", out=None,
                        noise_shape=None, broadcast_dims=None):
        """dropout_forward(x, p=0.5, *, scaling="inverted", store="bits", out=None, noise_shape=None, broadcast_dims=None)

        `fastdrop.dropout_forward` with this generator's seed and next offset."""
        if _gpu.route(x=x, out=out):
            return _gpu.dropout_forward(x, p, seed=self._seed, offset=self._reserve,
                                        scaling=scaling, store=store, out=out,
                                        noise_shape=noise_shape, broadcast_dims=broadcast_dims)
        x, p, scaling = _api._check_common(x, p, scaling, out, bfloat16=True)
        store = _checks.check_choice(store, "store", _checks.STORES)
        nshape = _noise.resolve(x.shape, noise_shape, broadcast_dims)
        if nshape is not None:
            offset = self._reserve(_noise.size(nshape))
            return _noise.forward(x, p, self._seed, offset, scaling, store, out, nshape)
        offset = self._reserve(x.size)
        return _api._forward(x, p, self._seed, offset, scaling, store, out)

    def __reduce__(self):
        return (_restore, (self._seed, self._offset, self._spawned))

    def __repr__(self) -> str:
        return f"Generator(seed={self._seed}, offset={self._offset})"


def _restore(seed: int, offset: int, spawned: int = 0) -> Generator:
    gen = Generator(seed, offset=offset)
    gen._spawned = _checks.check_count(spawned, "spawned")
    return gen


# ---- the default stream -----------------------------------------------------------------

_default: Generator | None = None
_default_lock = threading.Lock()


def default_generator() -> Generator:
    """default_generator()

    The module-level Generator behind every ``seed=None``.

    It is made at first use with a seed from OS entropy (`secrets`), or by
    `manual_seed`. Each ``seed=None`` (in `dropout`, `dropout_forward`,
    `Generator` and `Dropout`) takes its next child seed, as `Generator.spawn`
    would; the Mask of such a call records the seed it got.

    Returns
    -------
    generator : Generator

    Examples
    --------
    >>> import fastdrop
    >>> fastdrop.manual_seed(3) is fastdrop.default_generator()
    True
    >>> fastdrop.default_generator().seed
    3
    """
    global _default
    gen = _default
    if gen is None:
        with _default_lock:
            if _default is None:
                _default = Generator(secrets.randbits(64))
            gen = _default
    return gen


def manual_seed(seed) -> Generator:
    """manual_seed(seed)

    Reseed the default Generator, so every later ``seed=None`` is reproducible.

    After ``fastdrop.manual_seed(s)`` the n-th call (counted over the whole
    process) that leaves ``seed=None`` gets seed ``child_seed(s, n)`` of
    SPEC.md section 9, exactly as ``Generator(s).spawn`` would number it. So
    one line at the top of a script fixes every mask, as
    ``torch.manual_seed`` does. Calls from several threads each get a
    different child (never one twice); which thread gets which depends on
    their order.

    Parameters
    ----------
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        As `Generator`'s seed, but not None.

    Returns
    -------
    generator : Generator
        The new default Generator.

    Raises
    ------
    TypeError, ValueError
        For a seed of the wrong type or out of [0, 2**64).

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x = np.ones(6, np.float32)
    >>> _ = fastdrop.manual_seed(0); a = fastdrop.dropout(x, 0.5)
    >>> _ = fastdrop.manual_seed(0); b = fastdrop.dropout(x, 0.5)
    >>> bool((a == b).all())
    True
    """
    global _default
    gen = Generator(_checks.check_seed(seed))
    with _default_lock:
        _default = gen
    return gen


def draw_seed() -> int:
    """The next child seed of the default Generator (what ``seed=None`` means)."""
    return default_generator()._child_seeds(1)[0]
