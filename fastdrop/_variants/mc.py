"""Monte Carlo dropout: several dropout samples of one input in one call."""

from __future__ import annotations

import numpy as np

from fastdrop import _checks
from fastdrop._variants import backend, common, noise

_MAXDIMS = 64 if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else 32  # NumPy's limit


def mc_dropout(x, p=0.5, samples=8, *, seed=None, offset=0, noise_shape=None,
               broadcast_dims=None, out=None):
    """mc_dropout(x, p=0.5, samples=8, *, seed=None, offset=0, noise_shape=None, broadcast_dims=None, out=None)

    ``samples`` dropout samples of x, stacked: Monte Carlo dropout at inference.

    Parameters
    ----------
    x : array_like of float16, float32, float64 or bfloat16, or cupy.ndarray
        Input, any shape.
        A cupy.ndarray runs on its device, with the CPU's bits (README: GPU).
    p : float, default=0.5
        Drop probability in [0, 1].
    samples : int, default=8
        Number of samples T, >= 0.
    seed : int, numpy.random.SeedSequence, numpy.random.Generator or None, default=None
        As in `fastdrop.dropout`.
    offset : int, default=0
        Stream index of sample 0's first noise element; the call uses
        ``T * m`` stream elements, m the noise size (x.size without a noise
        shape), so ``offset + T * m`` must be <= 2**64.
    noise_shape, broadcast_dims
        As in `fastdrop.dropout`.
    out : numpy.ndarray, optional
        Where to write the samples: shape ``(T, *x.shape)``, x's dtype,
        writeable, any layout (as `out` in `fastdrop.dropout`); it must not
        share memory with x.

    Returns
    -------
    y : numpy.ndarray
        Shape ``(T, *x.shape)``, x's dtype, C order (or `out`). Sample t equals
        ``dropout(x, p, seed=seed, offset=offset + t * m, noise_shape=...)``
        bit for bit, so the whole call is ``dropout`` of x broadcast to
        ``(T, *x.shape)`` (noise shape ``(T, *noise_shape)``) at `offset`.

    Raises
    ------
    TypeError, ValueError
        As `fastdrop.dropout`; for samples that is not an int (TypeError)
        or is negative (ValueError).

    Notes
    -----
    Keeping dropout on at test time and averaging T stochastic passes
    approximates the predictive mean of a Bayesian network; their spread
    estimates the model's uncertainty (Gal and Ghahramani 2016). Inverted
    scaling (kept ``x / (1 - p)``), as in training.

    References
    ----------
    Y. Gal, Z. Ghahramani, "Dropout as a Bayesian Approximation:
    Representing Model Uncertainty in Deep Learning", ICML 2016.

    Examples
    --------
    >>> import numpy as np, fastdrop
    >>> x = np.ones(4, np.float32)
    >>> y = fastdrop.mc_dropout(x, 0.5, 3, seed=1)
    >>> y.shape
    (3, 4)
    >>> bool((y[1] == fastdrop.dropout(x, 0.5, seed=1, offset=4)).all())
    True
    """
    ops = backend.of(x, out)
    x, p = ops.check(x, p, None)
    samples = _checks.check_count(samples, "samples")
    if x.ndim >= _MAXDIMS:
        raise ValueError(f"x must have at most {_MAXDIMS - 1} dimensions (the result adds one), "
                         f"got {x.ndim}")
    nshape = noise.resolve(x.shape, noise_shape, broadcast_dims)
    nshape = x.shape if nshape is None else nshape
    m = noise.size(nshape)
    offset, seed = common.seed_last(seed, offset, samples * m)
    y = ops.result((samples,) + x.shape, x.dtype, out)
    if out is not None and ops.shares_memory(out, x):
        x = x.copy()
    for t in range(samples):
        ops.forward(x, p, seed, offset + t * m, "inverted", None, y[t, ...], nshape)
    return y
