"""Dropout: a layer object for NumPy pipelines, with train and eval modes."""

from __future__ import annotations

from fastdrop import _api, _checks
from fastdrop._generator import Generator


class Dropout:
    """Dropout(p=0.5, *, seed=None, scaling="inverted", store="bits")
    --

    A dropout layer: ``layer(x)`` in the forward pass, ``layer.backward(g)``
    in the backward pass.

    Parameters
    ----------
    p : float, default=0.5
        Drop probability in [0, 1].
    seed : int or None, default=None
        Seed of the layer's `Generator`; None draws one from OS entropy.
    scaling : {"inverted", "classic"}, default="inverted"
        As in `fastdrop.dropout`.
    store : {"bits", "seed"}, default="bits"
        How the mask of the last forward is kept for backward, as in
        `fastdrop.dropout_forward`.

    Attributes
    ----------
    training : bool
        True after construction and `train()`, False after `eval()`. Like `p`,
        `scaling` and `store`, it may be assigned directly; each call checks it.
    generator : Generator
        The stream the masks come from; each training forward advances it.
    mask : Mask or None
        The mask of the last training forward.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> layer = fastdrop.Dropout(0.5, seed=0)
    >>> x = np.ones((2, 3), np.float32)
    >>> y = layer(x)
    >>> dx = layer.backward(np.ones_like(x))
    >>> bool((dx == y).all())
    True
    >>> bool((layer.eval()(x) == x).all())
    True
    """

    def __init__(self, p=0.5, *, seed=None, scaling="inverted", store="bits"):
        self.p = _checks.check_p(p)
        self.scaling = _checks.check_choice(scaling, "scaling", _checks.SCALINGS)
        self.store = _checks.check_choice(store, "store", _checks.STORES)
        self.generator = Generator(seed)
        self.training = True
        self.mask = None

    def train(self, mode=True) -> "Dropout":
        """Set training mode (or inference mode with ``mode=False``); returns self."""
        self.training = _checks.check_flag(mode, "mode")
        return self

    def eval(self) -> "Dropout":
        """Set inference mode; returns self."""
        return self.train(False)

    def forward(self, x, *, out=None):
        """Dropout of x: a fresh mask in training mode, the inference rule otherwise."""
        if not _checks.check_flag(self.training, "training"):
            return self.generator.dropout(x, self.p, training=False, scaling=self.scaling, out=out)
        y, self.mask = self.generator.dropout_forward(
            x, self.p, scaling=self.scaling, store=self.store, out=out
        )
        return y

    __call__ = forward

    def backward(self, grad, *, out=None, accumulate=False):
        """Gradient of the last forward with respect to its input.

        In training mode this applies the mask of the last forward; in
        inference mode it applies the inference rule (identity, or
        ``* (1 - p)`` with classic scaling).

        Raises
        ------
        RuntimeError
            In training mode, if no forward pass has run yet.
        """
        if not _checks.check_flag(self.training, "training"):
            if _checks.check_flag(accumulate, "accumulate"):
                raise ValueError("accumulate is only supported in training mode")
            return self.generator.dropout(grad, self.p, training=False, scaling=self.scaling, out=out)
        if self.mask is None:
            raise RuntimeError("backward() called before a training forward()")
        return _api.dropout_backward(grad, self.mask, out=out, accumulate=accumulate)

    def __repr__(self) -> str:
        return (
            f"Dropout(p={self.p!r}, scaling={self.scaling!r}, store={self.store!r}, "
            f"training={self.training})"
        )
