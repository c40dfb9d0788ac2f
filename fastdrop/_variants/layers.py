"""Layers of the variants: `Dropout`'s forward/backward/train/eval contract, other rules."""

from __future__ import annotations

from fastdrop import _checks
from fastdrop._layer import Dropout
from fastdrop._variants import alpha, backend, common, noise, structured


class SpatialDropout(Dropout):
    """SpatialDropout(p=0.5, *, seed=None, data_format="channels_first", name=None)
    --

    A layer of `fastdrop.spatial_dropout`: whole channels dropped in training.

    Parameters
    ----------
    p : float, default=0.5
        Probability of dropping a channel.
    seed, name
        As in `fastdrop.Dropout`.
    data_format : {"channels_first", "channels_last"}, default="channels_first"
        Where the channel axis of the (N, C, ...) or (N, ..., C) input is.

    Notes
    -----
    Forward, backward, train, eval, pending forwards and pickling are
    `fastdrop.Dropout`'s; each training forward takes the next N * C
    elements of the layer's stream. Inverted scaling, masks stored as bits.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> layer = fastdrop.SpatialDropout(0.5, seed=0)
    >>> x = np.ones((2, 3, 4), np.float32)
    >>> y = layer(x)
    >>> bool((layer.backward(np.ones_like(x)) == y).all())
    True
    """

    def __init__(self, p=0.5, *, seed=None, data_format="channels_first", name=None):
        super().__init__(p, seed=seed, name=name)
        self.data_format = common.data_format(data_format)

    def _noise(self, x):
        x = backend.of(x).as_array(x, "x")
        fmt = common.data_format(self.data_format)
        return x, common.channel_shape(x.shape, fmt, 3)

    def _train_forward(self, x, out):
        x, nshape = self._noise(x)
        return self.generator.dropout_forward(x, self.p, scaling=self.scaling, store=self.store,
                                              out=out, noise_shape=nshape)

    def _mc_noise(self, x):
        return self._noise(x)[1], None

    def __repr__(self) -> str:
        name = "" if self.name is None else f"name={self.name!r}, "
        return (f"SpatialDropout({name}p={self.p!r}, data_format={self.data_format!r}, "
                f"training={self.training})")


class DropPath(Dropout):
    """DropPath(p=0.5, *, seed=None, mode="row", scale_by_keep=True, name=None)
    --

    A layer of `fastdrop.drop_path` (stochastic depth) for a residual branch.

    Parameters
    ----------
    p : float, default=0.5
        Probability of dropping a sample (mode "row") or the whole input
        (mode "batch").
    seed, name
        As in `fastdrop.Dropout`.
    mode : {"row", "batch"}, default="row"
        As in `fastdrop.drop_path`.
    scale_by_keep : bool, default=True
        As in `fastdrop.drop_path`.

    Notes
    -----
    `fastdrop.Dropout`'s contract; inference (and its gradient) is the
    identity for either scale_by_keep, as in timm and torchvision.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> layer = fastdrop.DropPath(0.25, seed=3)
    >>> x = np.ones((4, 2), np.float32)
    >>> y = layer(x)
    >>> bool((y == y[:, :1]).all()) and bool((layer.eval()(x) == x).all())
    True
    """

    def __init__(self, p=0.5, *, seed=None, mode="row", scale_by_keep=True, name=None):
        scale = _checks.check_flag(scale_by_keep, "scale_by_keep")
        super().__init__(p, seed=seed, scaling="inverted" if scale else "classic", name=name)
        self.mode = _checks.check_choice(mode, "mode", structured.MODES)
        self.scale_by_keep = scale

    def _train_forward(self, x, out):
        x = backend.of(x).as_array(x, "x")
        mode = _checks.check_choice(self.mode, "mode", structured.MODES)
        scale = _checks.check_flag(self.scale_by_keep, "scale_by_keep")
        nshape = structured.drop_path_shape(x.shape, mode)
        return self.generator.dropout_forward(
            x, self.p, scaling="inverted" if scale else "classic", store=self.store, out=out,
            noise_shape=nshape)

    def _infer_forward(self, x, out):
        ops = backend.of(x, out)
        x, _ = ops.check(x, self.p, out)
        return ops.copy_of(x, out)

    def _mc_noise(self, x):
        x = backend.of(x).as_array(x, "x")
        mode = _checks.check_choice(self.mode, "mode", structured.MODES)
        return structured.drop_path_shape(x.shape, mode), None

    def __repr__(self) -> str:
        name = "" if self.name is None else f"name={self.name!r}, "
        return (f"DropPath({name}p={self.p!r}, mode={self.mode!r}, "
                f"scale_by_keep={self.scale_by_keep}, training={self.training})")


class AlphaDropout(Dropout):
    """AlphaDropout(p=0.5, *, seed=None, feature=False, data_format="channels_first", name=None)
    --

    A layer of `fastdrop.alpha_dropout` (or `fastdrop.feature_alpha_dropout`
    with ``feature=True``) for SELU networks.

    Parameters
    ----------
    p : float, default=0.5
        Drop probability.
    seed, name
        As in `fastdrop.Dropout`.
    feature : bool, default=False
        Drop whole channels (feature alpha dropout).
    data_format : {"channels_first", "channels_last"}, default="channels_first"
        The channel axis, with ``feature=True``.

    Notes
    -----
    `fastdrop.Dropout`'s contract; backward is `fastdrop.alpha_dropout_backward`
    (``a * grad`` where kept), inference and its gradient the identity.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> layer = fastdrop.AlphaDropout(0.1, seed=0)
    >>> x = np.zeros(6, np.float32)
    >>> y = layer(x)
    >>> dx = layer.backward(np.ones_like(x))
    >>> bool(((dx == 0) == (y < 0)).all())
    True
    """

    def __init__(self, p=0.5, *, seed=None, feature=False, data_format="channels_first",
                 name=None):
        super().__init__(p, seed=seed, name=name)
        self.feature = _checks.check_flag(feature, "feature")
        self.data_format = common.data_format(data_format)

    def _noise(self, x):
        if not _checks.check_flag(self.feature, "feature"):
            return x.shape
        return common.channel_shape(x.shape, common.data_format(self.data_format), 2)

    def _train_forward(self, x, out):
        ops = backend.of(x, out)
        x, p = ops.check(x, self.p, out)
        nshape = self._noise(x)
        offset = self.generator._reserve(noise.size(nshape))
        return alpha._run(ops, x, p, self.generator.seed, offset, True, out, True, nshape)

    def _infer_forward(self, x, out):
        ops = backend.of(x, out)
        x, _ = ops.check(x, self.p, out)
        return ops.copy_of(x, out)

    def _train_backward(self, grad, mask, out, accumulate):
        return alpha.alpha_dropout_backward(grad, mask, out=out, accumulate=accumulate)

    def mc_samples(self, x, samples=8, *, seed=None):
        """mc_samples(x, samples=8, *, seed=None)

        ``samples`` alpha-dropout samples of x, stacked (shape
        ``(samples, *x.shape)``): sample t is the layer's training rule at
        offset ``t * m`` of the stream of seed (None: the next child of
        `generator`), m the noise size. The training stream is not touched.
        """
        ops = backend.of(x)
        x, p = ops.check(x, self.p, None)
        samples = _checks.check_count(samples, "samples")
        nshape = self._noise(x)
        m = noise.size(nshape)
        if seed is None:
            seed = self.generator.spawn(1)[0].seed
        offset, seed = common.seed_last(seed, 0, samples * m)
        y = ops.result((samples,) + x.shape, x.dtype, None)
        for t in range(samples):
            alpha._run(ops, x, p, seed, offset + t * m, True, y[t, ...], False, nshape)
        return y

    def __repr__(self) -> str:
        name = "" if self.name is None else f"name={self.name!r}, "
        return (f"AlphaDropout({name}p={self.p!r}, feature={self.feature}, "
                f"data_format={self.data_format!r}, training={self.training})")


class DropBlock(Dropout):
    """DropBlock(p=0.1, *, block_size=7, seed=None, data_format="channels_first", name=None)
    --

    A layer of `fastdrop.drop_block` for (N, C, H, W) or (N, H, W, C) maps.

    Parameters
    ----------
    p : float, default=0.1
        Target drop fraction.
    block_size : int, default=7
        Side of the dropped blocks.
    seed, name
        As in `fastdrop.Dropout`.
    data_format : {"channels_first", "channels_last"}, default="channels_first"
        Where the channel axis is.

    Notes
    -----
    `fastdrop.Dropout`'s contract; each training forward takes the next
    x.size stream elements; backward is `fastdrop.dropout_backward` with the
    forward's Mask (its p is the realised drop fraction); inference and its
    gradient are the identity.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> layer = fastdrop.DropBlock(0.2, block_size=3, seed=0)
    >>> x = np.ones((1, 2, 8, 8), np.float32)
    >>> y = layer(x)
    >>> bool((layer.backward(np.ones_like(x)) == y).all())
    True
    """

    def __init__(self, p=0.1, *, block_size=7, seed=None, data_format="channels_first",
                 name=None):
        super().__init__(p, seed=seed, name=name)
        self.block_size = structured._block_size(block_size)
        self.data_format = common.data_format(data_format)

    def _train_forward(self, x, out):
        ops = backend.of(x, out)
        x, p = ops.check(x, self.p, out, bfloat16=False)
        k = structured._block_size(self.block_size)
        fmt = common.data_format(self.data_format)
        if x.ndim != 4:
            raise ValueError(f"x must have 4 dimensions (N, C, H, W or N, H, W, C), got shape "
                             f"{x.shape}")
        offset = self.generator._reserve(x.size)
        return structured.block_forward(ops, x, p, self.generator.seed, offset, k, fmt, out)

    def _infer_forward(self, x, out):
        ops = backend.of(x, out)
        x, _ = ops.check(x, self.p, out, bfloat16=False)
        return ops.copy_of(x, out)

    def mc_samples(self, x, samples=8, *, seed=None):
        """mc_samples(x, samples=8, *, seed=None)

        ``samples`` DropBlock samples of x, stacked: sample t is the training
        rule at offset ``t * x.size`` of the stream of seed (None: the next
        child of `generator`). The training stream is not touched.
        """
        ops = backend.of(x)
        x, p = ops.check(x, self.p, None, bfloat16=False)
        samples = _checks.check_count(samples, "samples")
        if x.ndim != 4:
            raise ValueError(f"x must have 4 dimensions, got shape {x.shape}")
        if seed is None:
            seed = self.generator.spawn(1)[0].seed
        offset, seed = common.seed_last(seed, 0, samples * x.size)
        y = ops.result((samples,) + x.shape, x.dtype, None)
        for t in range(samples):
            structured.block_forward(ops, x, p, seed, offset + t * x.size, self.block_size,
                                     self.data_format, y[t, ...])
        return y

    def __repr__(self) -> str:
        name = "" if self.name is None else f"name={self.name!r}, "
        return (f"DropBlock({name}p={self.p!r}, block_size={self.block_size}, "
                f"data_format={self.data_format!r}, training={self.training})")
