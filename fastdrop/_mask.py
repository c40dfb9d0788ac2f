"""The Mask returned by dropout_forward: what backward needs to redo the mask."""

from __future__ import annotations

import operator

import numpy as np

from fastdrop import _checks, _core, _gpu, _window


_MAX_SIZE = int(np.iinfo(np.intp).max)


def _check_shape(shape) -> tuple[int, ...]:
    """A tuple of non-negative ints (an int n means (n,), as in NumPy)."""
    dims: tuple[int, ...]
    try:
        dims = (operator.index(shape),)
    except TypeError:
        try:
            dims = tuple(operator.index(d) for d in shape)
        except TypeError:
            raise TypeError(f"shape must be a tuple of ints, got {shape!r}") from None
    if any(d < 0 for d in dims):
        raise ValueError(f"shape must not have negative dimensions, got {dims}")
    return dims


def _check_consistent(bits: np.ndarray, n: int, p: float, name: str) -> None:
    """ValueError if packed bits set a padding bit or keep what p forbids.

    The bits past element n in the last byte must be 0 (SPEC.md section 5),
    p = 1 keeps no element and p = 0 keeps every one, so that "p = 1 gives
    zero gradients" holds for every Mask. Only p in {0, 1} reads all bytes.
    """
    tail = n % 8
    if tail and int(bits[-1]) >> tail:
        raise ValueError(
            f"{name} has padding bits set: the last byte may only use its low {tail} bits "
            f"for {n} elements, got {int(bits[-1]):#04x}"
        )
    if p == 1.0 and bits.any():
        raise ValueError(f"{name} keep elements but p = 1 drops every element")
    if p == 0.0 and not np.unpackbits(bits, count=n, bitorder="little").all():
        raise ValueError(f"{name} drop elements but p = 0 keeps every element")


def read_only_view(bits: np.ndarray) -> np.ndarray:
    """A read-only view of bits: no accidental writes, and it cannot be resized."""
    view = bits.view()
    view.flags.writeable = False
    return view


def training_scale(p: float, scaling: str) -> float:
    """Multiplier of kept elements: 1 / (1 - p) (0.0 at p == 1) or 1.0 for classic."""
    if scaling == "classic":
        return 1.0
    return 0.0 if p == 1.0 else 1.0 / (1.0 - p)


class Mask:
    """Mask(shape, p, *, seed, offset=0, scaling="inverted", bits=None, global_shape=None, global_origin=None)
    --

    A dropout mask: which elements a forward pass kept, and how it scaled them.

    Made by `dropout_forward`; `dropout_backward` takes it. The mask is
    determined by (seed, offset, p, shape). With ``store="bits"`` it also holds
    the packed keep bits, so backward reads them; with ``store="seed"`` it holds
    no mask memory at all and backward regenerates the bits.

    Parameters
    ----------
    shape : tuple of int or int
        Shape of the noise array (the forward input); an int n means (n,).
    p : float
        Drop probability in [0, 1]; any real number, as in `dropout`.
    seed : int
        Seed in [0, 2**64) of the stream the mask was drawn from (not None).
    offset : int, default=0
        Element index of the mask's first element in that stream.
    scaling : {"inverted", "classic"}, default="inverted"
        How the forward pass scaled kept elements.
    bits : numpy.ndarray of uint8 or None, default=None
        Packed keep bits, ``ceil(size / 8)`` bytes in little bit order, as
        ``np.packbits(keep, bitorder="little")`` gives them. None means the mask
        is regenerated from (seed, offset) when needed. The Mask keeps a
        read-only view of them (of a contiguous copy if they are strided), so
        changes to the array passed in show through; the bits are not
        checked against the seed, but they must agree with p (none kept at
        p = 1, all kept at p = 0) and their padding bits (past the last
        element in the last byte) must be 0, here and at every use.
    global_shape, global_origin : tuple of int or None, default=None
        The mask's window (SPEC.md section 12), as in `dropout`: the mask is
        the block of shape `shape` at global_origin in an array of shape
        global_shape, and element k (C order of the block) is the stream
        element of its global index plus offset. None: the mask is the
        whole array (so is a window equal to it).

    Attributes
    ----------
    shape, p, seed, offset, scaling
        As given (shape as a tuple, p as a float, seed and offset as ints).
    bits : numpy.ndarray of uint8 or None
        The packed keep bits: a read-only view, which cannot be resized.
        `dropout_backward` checks them again at every use, so bits changed in
        place (a new shape, dtype or strides) raise an error naming the mask
        rather than being read out of bounds.
    scale : float
        Multiplier of kept elements in training: ``1 / (1 - p)`` for inverted
        scaling (0.0 when p == 1, where nothing is kept), 1.0 for classic.
    global_shape, global_origin : tuple of int or None
        The window, or None for a mask of the whole array.
    store : {"bits", "seed"}
        Whether the bits are held or regenerated.
    nbytes : int
        Bytes of mask memory held (0 with ``store="seed"``).

    Raises
    ------
    TypeError
        If shape is not a tuple of ints, p, seed or offset are not numbers,
        scaling is not a str, or bits is not a uint8 ndarray.
    ValueError
        If shape has negative dimensions or too many elements, p, seed or
        offset are out of range, scaling is unknown, or bits has the wrong
        length, sets a padding bit or contradicts p.

    Notes
    -----
    A pickled Mask is rebuilt through this constructor, so loading one is
    checked like a call.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> y, mask = fastdrop.dropout_forward(np.ones(10, np.float32), 0.5, seed=7)
    >>> mask.shape, mask.nbytes
    ((10,), 2)
    >>> bool((mask.to_bool() == (y != 0)).all())
    True
    """

    __slots__ = ("_shape", "_size", "_p", "_seed", "_offset", "_scaling", "_bits", "_window")

    def __init__(self, shape, p, *, seed, offset=0, scaling="inverted", bits=None,
                 global_shape=None, global_origin=None):
        self._shape = _check_shape(shape)
        self._size = int(np.prod(self._shape, dtype=object))
        if self._size > _MAX_SIZE:
            raise ValueError(
                f"shape must have at most {_MAX_SIZE} elements, got {self._shape}"
            )
        self._p = _checks.check_p(p)
        self._seed = _checks.check_seed(seed, sources=False)
        self._offset, self._window, _ = _window.resolve(
            self._shape, self._size, offset, global_shape, global_origin)
        self._scaling = _checks.check_choice(scaling, "scaling", _checks.SCALINGS)
        self._bits = None if bits is None else self._check_bits(bits)

    @classmethod
    def _checked(cls, shape, size, p, seed, offset, scaling, bits, window=None) -> Mask:
        """A Mask from arguments a forward pass has already checked (bits its own, read-only)."""
        mask = cls.__new__(cls)
        mask._shape, mask._size, mask._p = shape, size, p
        mask._seed, mask._offset, mask._scaling, mask._bits = seed, offset, scaling, bits
        mask._window = window
        return mask

    def _check_bits(self, bits) -> np.ndarray:
        if not isinstance(bits, np.ndarray) or bits.dtype != np.uint8:
            raise TypeError("bits must be a numpy.ndarray of dtype uint8")
        need = (self._size + 7) // 8
        if bits.ndim != 1 or bits.size != need:
            raise ValueError(
                f"bits must be a 1-D array of {need} bytes for shape {self._shape}, "
                f"got shape {bits.shape}"
            )
        bits = read_only_view(np.ascontiguousarray(bits))
        _check_consistent(bits, self._size, self._p, "bits")
        return bits

    def _stored_bits(self) -> np.ndarray | None:
        """The stored bits, checked again: they may have been changed in place since."""
        bits = self._bits
        if bits is None:
            return None
        if type(bits) is not np.ndarray or bits.dtype != np.uint8:
            raise TypeError(
                f"mask.bits must be a numpy.ndarray of uint8, got "
                f"{type(bits).__name__} of {getattr(bits, 'dtype', None)}"
            )
        need = (self._size + 7) // 8
        if bits.shape != (need,) or not bits.flags.c_contiguous:
            raise ValueError(
                f"mask.bits must be {need} contiguous bytes for the mask's shape "
                f"{self._shape}, got shape {bits.shape} with strides {bits.strides}"
            )
        _check_consistent(bits, self._size, self._p, "mask.bits")
        return bits

    def __reduce__(self):
        bits = None if self._bits is None else np.array(self._stored_bits())
        return (
            _restore,
            (self._shape, self._p, self._seed, self._offset, self._scaling, bits,
             *(() if self._window is None else self._window)),
        )

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def size(self) -> int:
        """Number of elements the mask covers."""
        return self._size

    @property
    def p(self) -> float:
        return self._p

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def offset(self) -> int:
        return self._offset

    @property
    def scaling(self) -> str:
        return self._scaling

    @property
    def bits(self) -> np.ndarray | None:
        return self._bits

    @property
    def global_shape(self) -> tuple[int, ...] | None:
        return None if self._window is None else self._window[0]

    @property
    def global_origin(self) -> tuple[int, ...] | None:
        return None if self._window is None else self._window[1]

    @property
    def store(self) -> str:
        return "seed" if self._bits is None else "bits"

    @property
    def nbytes(self) -> int:
        return 0 if self._bits is None else int(self._bits.nbytes)

    @property
    def scale(self) -> float:
        return training_scale(self._p, self._scaling)

    @property
    def threshold(self) -> int:
        """Keep threshold T: an element is kept iff its 32-bit uniform < T."""
        return _core.threshold(self._p)

    def packed_bits(self) -> np.ndarray:
        """The packed keep bits, regenerated from (seed, offset) when not stored."""
        if _gpu.is_cupy(self._bits):
            return _gpu.packed_bits(self)
        stored = self._stored_bits()
        if stored is not None:
            return stored
        bits = np.empty((self._size + 7) // 8, dtype=np.uint8)
        if self._size and self._window is None:
            _core.mask_bits(
                _core.key(self._seed), self._offset, self.threshold, bits, self._size
            )
        elif self._size:
            _core.window_mask_bits(_core.key(self._seed), self._offset, self.threshold, bits,
                                   self._shape, *self._window)
        return bits

    def to_bool(self) -> np.ndarray:
        """The keep mask as a boolean array of the mask's shape (True = kept)."""
        if _gpu.is_cupy(self._bits):
            return _gpu.to_bool(self)
        keep = np.unpackbits(self.packed_bits(), count=self._size, bitorder="little")
        return keep.view(np.bool_).reshape(self._shape)

    def __repr__(self) -> str:
        window = "" if self._window is None else (
            f", global_shape={self._window[0]}, global_origin={self._window[1]}")
        return (
            f"Mask(shape={self._shape}, p={self._p!r}, seed={self._seed}, "
            f"offset={self._offset}, scaling={self._scaling!r}, store={self.store!r}{window})"
        )


def _restore(shape, p, seed, offset, scaling, bits, global_shape=None,
             global_origin=None) -> Mask:
    """Unpickle a Mask through its constructor, so a pickle is checked like any call."""
    return Mask(shape, p, seed=seed, offset=offset, scaling=scaling, bits=bits,
                global_shape=global_shape, global_origin=global_origin)
