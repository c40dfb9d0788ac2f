"""Dropout: a layer object for NumPy pipelines, with train and eval modes."""

from __future__ import annotations

from fastdrop import _api, _checks
from fastdrop._generator import Generator
from fastdrop._mask import Mask

_INFERENCE = object()  # a pending inference forward: its gradient is the inference rule


class Dropout:
    """Dropout(p=0.5, *, seed=None, scaling="inverted", store="bits", name=None, noise_shape=None, broadcast_dims=None)
    --

    A dropout layer: ``layer(x)`` in the forward pass, ``layer.backward(g)``
    in the backward pass.

    Parameters
    ----------
    p : float, default=0.5
        Drop probability in [0, 1].
    seed : int, numpy.random.SeedSequence, numpy.random.Generator or None, default=None
        Seed of the layer's `Generator`; None takes the next child seed of
        the default Generator (`fastdrop.manual_seed` makes it reproducible).
    scaling : {"inverted", "classic"}, default="inverted"
        As in `fastdrop.dropout`.
    store : {"bits", "seed"}, default="bits"
        How the mask of a training forward is kept for backward, as in
        `fastdrop.dropout_forward`.
    name : str or None, default=None
        A name for error messages (``Dropout 'hidden1'``); None names the
        layer by its repr.
    noise_shape, broadcast_dims : optional
        A mask shared along some axes, as in `fastdrop.dropout` (checked
        against each x); e.g. ``broadcast_dims=1`` shares one mask over the
        time axis of (batch, time, features) input, the recurrent dropout of
        Gal and Ghahramani (2016).

    Attributes
    ----------
    training : bool
        True after construction and `train()`, False after `eval()`: the mode
        of calls that do not pass ``training=``. Like `p`, `scaling` and
        `store`, it may be assigned directly; each call checks it.
    generator : Generator
        The stream the masks come from; each training forward advances it.
    mask : Mask or None
        The mask of the last training forward.

    Notes
    -----
    **Which forward does backward differentiate?** Each forward (training or
    inference) is *pending* until a backward uses it. ``backward(grad)``
    differentiates the one pending forward, with the mask and mode that
    forward used (not the layer's mode now). It raises a RuntimeError naming
    the layer rather than guess: when no forward is pending (none ran, or
    its backward already did, or `train()` or `eval()` was called since,
    which end a pass), and when several are (a layer reused before
    backward). Then pass the forward's Mask: ``y, mask = layer(x,
    return_mask=True)`` and ``layer.backward(grad, mask)``, which always
    works and marks that forward done.

    Pickling a layer pickles its Generator, so copies in several worker
    processes draw the same masks (see `Generator.spawn`); it keeps no
    pending forward. The pending-forward bookkeeping is not meant for one
    layer shared by several threads: give each thread its own layer, or pass
    each forward's Mask to backward.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> layer = fastdrop.Dropout(0.5, seed=0)
    >>> x = np.ones((2, 3), np.float32)
    >>> y = layer(x)
    >>> dx = layer.backward(np.ones_like(x))
    >>> bool((dx == y).all())
    True

    A reused layer keeps each forward's mask apart when asked for it:

    >>> ya, mask_a = layer(x, return_mask=True)
    >>> yb, mask_b = layer(2 * x, return_mask=True)
    >>> bool((layer.backward(np.ones_like(x), mask_a) == ya).all())
    True
    >>> bool((layer(x, training=False) == x).all())
    True
    """

    def __init__(self, p=0.5, *, seed=None, scaling="inverted", store="bits", name=None,
                 noise_shape=None, broadcast_dims=None):
        self.p = _checks.check_p(p)
        self.scaling = _checks.check_choice(scaling, "scaling", _checks.SCALINGS)
        self.store = _checks.check_choice(store, "store", _checks.STORES)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str or None, got {type(name).__name__}")
        self.name = name
        self.generator = Generator(seed)
        self.training = True
        self.mask = None
        self._pending = 0  # forwards not yet differentiated
        self._last = None  # the latest forward's Mask (or _INFERENCE) while it is pending
        self.noise_shape, self.broadcast_dims = noise_shape, broadcast_dims  # checked per call

    def _label(self) -> str:
        return f"Dropout {self.name!r}" if self.name is not None else repr(self)

    def train(self, mode=True) -> Dropout:
        """train(mode=True)

        Set training mode (or inference mode with ``mode=False``); returns self.
        Pending forwards are dropped: backward after a mode change needs the
        forward's Mask.
        """
        self.training = _checks.check_flag(mode, "mode")
        self._pending, self._last = 0, None
        return self

    def eval(self) -> Dropout:
        """eval()

        Set inference mode; returns self (as ``train(False)``)."""
        return self.train(False)

    def forward(self, x, *, training=None, return_mask=False, out=None):
        """forward(x, *, training=None, return_mask=False, out=None)

        Dropout of x: a fresh mask in training mode, the inference rule otherwise.

        Parameters
        ----------
        x : array_like of float16, float32, float64 or bfloat16
            As in `fastdrop.dropout`.
        training : bool or None, default=None
            This call's mode; None uses the layer's `training` attribute.
        return_mask : bool, default=False
            Also return the Mask (None for an inference forward), to hand to
            `backward` explicitly.
        out : numpy.ndarray, optional
            As in `fastdrop.dropout`.

        Returns
        -------
        y : numpy.ndarray
        mask : Mask or None
            Only with ``return_mask=True``.
        """
        mode = self.training if training is None else training
        mode = _checks.check_flag(mode, "training")
        return_mask = _checks.check_flag(return_mask, "return_mask")
        if mode:
            y, mask = self._train_forward(x, out)
            self.mask = entry = mask
        else:
            y = self._infer_forward(x, out)
            mask, entry = None, _INFERENCE
        self._pending += 1
        self._last = entry
        return (y, mask) if return_mask else y

    __call__ = forward

    def backward(self, grad, mask=None, *, out=None, accumulate=False):
        """backward(grad, mask=None, *, out=None, accumulate=False)

        Gradient of a forward pass with respect to its input.

        Parameters
        ----------
        grad : array_like of float16, float32, float64 or bfloat16
            Gradient of the loss with respect to that forward's output.
        mask : Mask or None, default=None
            The Mask of the training forward to differentiate (from
            ``forward(x, return_mask=True)``); None takes the one pending
            forward, training or inference (see the class Notes).
        out, accumulate
            As in `fastdrop.dropout_backward`.

        Returns
        -------
        dx : numpy.ndarray
            The training forward's gradient (`fastdrop.dropout_backward`),
            or the inference rule (identity, or ``* (1 - p)`` with classic
            scaling) for an inference forward.

        Raises
        ------
        RuntimeError
            With no mask, if no forward or several forwards are pending; the
            message names the layer.
        TypeError, ValueError
            For bad arguments, as `fastdrop.dropout_backward`; accumulate
            with an inference forward is a ValueError.
        """
        if mask is not None:
            if not isinstance(mask, Mask):
                raise TypeError(f"mask must be a fastdrop.Mask or None, got {type(mask).__name__}")
            entry = mask
        else:
            entry = self._take_pending()
        if entry is _INFERENCE:
            if _checks.check_flag(accumulate, "accumulate"):
                raise ValueError("accumulate is only supported for a training forward")
            dx = self._infer_forward(grad, out)
        else:
            dx = self._train_backward(grad, entry, out, accumulate)
        if mask is not None:
            self._pending = max(self._pending - 1, 0)
            if self._last is mask:
                self._last = None
        else:
            self._pending, self._last = 0, None
        return dx

    # ---- the rule of each pass; the variant layers (fastdrop/_variants/layers.py)
    # ---- override these four and keep the pending-forward bookkeeping above

    def _train_forward(self, x, out):
        """(y, Mask) of a training forward, from the layer's generator."""
        return self.generator.dropout_forward(x, self.p, scaling=self.scaling, store=self.store,
                                              out=out, noise_shape=self.noise_shape,
                                              broadcast_dims=self.broadcast_dims)

    def _infer_forward(self, x, out):
        """An inference forward; also the gradient of one (the rule is linear)."""
        return self.generator.dropout(x, self.p, training=False, scaling=self.scaling, out=out)

    def _train_backward(self, grad, mask, out, accumulate):
        return _api.dropout_backward(grad, mask, out=out, accumulate=accumulate)

    def mc_samples(self, x, samples=8, *, seed=None):
        """mc_samples(x, samples=8, *, seed=None)

        `fastdrop.mc_dropout` of x with the layer's p and noise shape, in
        any mode, without touching the training stream: the offset of
        `generator` does not move and nothing becomes pending.

        Parameters
        ----------
        x : array_like of float16, float32, float64 or bfloat16
        samples : int, default=8
        seed : int or None, default=None
            Seed of the samples; None takes the next child of `generator`
            (``generator.spawn(1)``), so repeated calls give new samples.

        Returns
        -------
        y : numpy.ndarray
            Shape ``(samples, *x.shape)``.
        """
        from fastdrop._variants.mc import mc_dropout

        noise_shape, broadcast_dims = self._mc_noise(x)
        if seed is None:
            seed = self.generator.spawn(1)[0].seed
        return mc_dropout(x, self.p, samples, seed=seed, noise_shape=noise_shape,
                          broadcast_dims=broadcast_dims)

    def _mc_noise(self, x):
        """(noise_shape, broadcast_dims) of this layer's masks for x."""
        return self.noise_shape, self.broadcast_dims

    def _take_pending(self):
        """The one pending forward's entry, or a RuntimeError saying why there is none."""
        fix = ("pass the forward's Mask: y, mask = layer(x, return_mask=True); "
               "layer.backward(grad, mask)")
        if self._pending == 0:
            raise RuntimeError(
                f"{self._label()}: backward() without a pending forward pass (none ran since "
                f"the last backward, train() or eval()); {fix}"
            )
        if self._pending > 1 or self._last is None:
            raise RuntimeError(
                f"{self._label()}: backward() is ambiguous, {self._pending} forward passes are "
                f"pending (the layer was called again before backward); {fix}"
            )
        return self._last

    def __getstate__(self) -> dict:
        """The layer's attributes without pending forwards (a new pass starts after loading)."""
        return {**self.__dict__, "_pending": 0, "_last": None}

    def __repr__(self) -> str:
        name = "" if self.name is None else f"name={self.name!r}, "
        return (
            f"Dropout({name}p={self.p!r}, scaling={self.scaling!r}, store={self.store!r}, "
            f"training={self.training})"
        )
