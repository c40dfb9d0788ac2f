"""fastdrop's dropout as a JAX function: jit, vmap and grad, on the CPU.

``import fastdrop`` does not import this module (nor JAX); ``import
fastdrop.jax`` does, and needs ``jax`` (``pip install fastdropout[jax]``).

The kernel runs on the host through `jax.pure_callback`, on NumPy arrays
of the operands, so the output is the bits `fastdrop.dropout` gives for the
same (seed, offset, p). The gradient is `jax.custom_vjp`: the backward
regenerates the mask from (seed, offset), keeps no mask in memory, and gives
the bits of `fastdrop.dropout_backward`.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from fastdrop import _checks
from fastdrop._api import dropout as _np_dropout
from fastdrop._api import dropout_backward as _np_dropout_backward
from fastdrop._mask import Mask

__all__ = ["dropout", "seed_of"]

_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def _is_traced(value) -> bool:
    return isinstance(value, jax.core.Tracer)


def _seed_words(key_or_seed):
    """The seed as a uint32[2] JAX array (high word, low word), traced or not."""
    if type(key_or_seed) is np.ndarray and key_or_seed.shape == ():
        key_or_seed = key_or_seed[()]  # a NumPy scalar: checked as an int below
    if isinstance(key_or_seed, (jax.Array, np.ndarray)) or _is_traced(key_or_seed):
        dtype = key_or_seed.dtype
        if jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
            if key_or_seed.shape != ():
                raise ValueError(f"key_or_seed must be a single PRNG key, got keys of shape "
                                 f"{key_or_seed.shape} (use jax.vmap over the keys)")
            words = jax.random.key_data(key_or_seed)
            if words.shape != (2,) or words.dtype != jnp.uint32:
                raise TypeError(f"key_or_seed must be a key of two uint32 words (the default "
                                f"threefry2x32 implementation), got key data of shape "
                                f"{words.shape} and dtype {words.dtype}")
            return words
        if np.dtype(dtype) == np.uint32 and key_or_seed.ndim == 1 and key_or_seed.shape[0] == 2:
            return jnp.asarray(key_or_seed, dtype=jnp.uint32)
        if key_or_seed.shape == () and jnp.issubdtype(dtype, jnp.integer) and dtype != bool:
            return _integer_words(jnp.asarray(key_or_seed))
        raise TypeError(f"key_or_seed must be an int, a jax.random.key or a legacy uint32[2] "
                        f"key, got an array of shape {key_or_seed.shape} and dtype {dtype}")
    try:
        seed = _checks.check_seed(key_or_seed, sources=False)
    except TypeError:
        raise TypeError(f"key_or_seed must be an int, a jax.random.key or a legacy uint32[2] "
                        f"key, got {type(key_or_seed).__name__}") from None
    except ValueError:
        raise ValueError(f"key_or_seed must be an int in [0, 2**64), got {key_or_seed}") from None
    return jnp.array([seed >> 32, seed & 0xFFFFFFFF], dtype=jnp.uint32)


def _integer_words(v):
    """The words of an integer scalar array (traced under jit) taken modulo 2**64."""
    if v.dtype.itemsize == 8:
        u = v.astype(jnp.uint64)
        return jnp.stack([(u >> 32).astype(jnp.uint32), (u & 0xFFFFFFFF).astype(jnp.uint32)])
    high = jnp.where(v < 0, jnp.uint32(0xFFFFFFFF), jnp.uint32(0))
    return jnp.stack([high, v.astype(jnp.uint32)])


def seed_of(key_or_seed: int | np.integer | jax.Array) -> int:
    """seed_of(key_or_seed)

    The 64-bit fastdrop seed that `dropout` uses for a seed or key.

    Parameters
    ----------
    key_or_seed : int or jax.Array
        An int in [0, 2**64) (returned as it is; NumPy integers and 0-d
        arrays too), a JAX integer scalar (its value modulo 2**64), a typed key of
        ``jax.random.key`` (default threefry2x32 implementation) or a legacy
        ``uint32[2]`` key of ``jax.random.PRNGKey``, concrete (not traced).

    Returns
    -------
    seed : int
        ``(k[0] << 32) | k[1]`` for the key's two uint32 words ``k``
        (``jax.random.key_data`` of a typed key), so ``jax.random.key(s)``
        and ``jax.random.PRNGKey(s)`` give the seed ``s`` for every
        ``s < 2**32``.

    Examples
    --------
    >>> import jax, fastdrop.jax
    >>> fastdrop.jax.seed_of(jax.random.key(42)), fastdrop.jax.seed_of(7)
    (42, 7)
    """
    if _is_traced(key_or_seed):
        raise TypeError("key_or_seed must be concrete here, not traced (seed_of runs outside jit)")
    words = np.asarray(_seed_words(key_or_seed), dtype=np.uint64)
    return int(words[0]) << 32 | int(words[1])


def _host(kind: str, p: float, offset: int, core_ndim: int, words, x):
    """On the host: fastdrop's forward ("forward") or backward ("backward") of x.

    Under vmap (vmap_method="expand_dims") words and x have the same number
    of leading batch axes, of size 1 where unbatched; each slice is done on
    its own, with its own seed and the same offset.
    """
    words = np.asarray(words)
    x = np.asarray(x)
    batch = np.broadcast_shapes(words.shape[:-1], x.shape[:x.ndim - core_ndim])
    if batch == ():
        return _one(kind, p, offset, words, x)
    out = np.empty(batch + x.shape[x.ndim - core_ndim:], dtype=x.dtype)
    for index in np.ndindex(batch):
        w = words[tuple(i if n > 1 else 0 for i, n in zip(index, words.shape))]
        xi = x[tuple(i if n > 1 else 0 for i, n in zip(index, x.shape))]
        out[index] = _one(kind, p, offset, w, xi)
    return out


def _one(kind: str, p: float, offset: int, words: np.ndarray, x: np.ndarray) -> np.ndarray:
    seed = int(words[0]) << 32 | int(words[1])
    if kind == "forward":
        return _np_dropout(x, p, seed=seed, offset=offset)
    return _np_dropout_backward(x, Mask(x.shape, p, seed=seed, offset=offset))


def _call(kind, p, offset, words, x):
    host = functools.partial(_host, kind, p, offset, x.ndim)
    return jax.pure_callback(host, jax.ShapeDtypeStruct(x.shape, x.dtype), words, x,
                             vmap_method="expand_dims")


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2))
def _masked(kind, p, offset, words, x):
    return _call(kind, p, offset, words, x)


def _masked_fwd(kind, p, offset, words, x):
    # _masked rather than _call: under a second differentiation the primal
    # output needs the custom rule too (a callback has no derivative).
    return _masked(kind, p, offset, words, x), words


def _masked_bwd(kind, p, offset, words, g):
    # Both directions multiply by the same mask and scale, so the backward
    # of either is dropout_backward, itself differentiable (higher orders).
    return None, _masked("backward", p, offset, words, g)


_masked.defvjp(_masked_fwd, _masked_bwd)


def dropout(key_or_seed: int | np.integer | jax.Array, x: jax.Array | np.ndarray, p: float, *,
            training: bool = True, offset: int = 0) -> jax.Array:
    """dropout(key_or_seed, x, p, *, training=True, offset=0)

    Inverted dropout of a JAX array with fastdrop's mask: under `jax.jit`,
    `jax.vmap` and `jax.grad` (reverse mode), on the CPU.

    Parameters
    ----------
    key_or_seed : int or jax.Array
        The seed: an int in [0, 2**64) (NumPy integers and 0-d arrays too),
        a JAX integer scalar (its value modulo 2**64, so a traced int under
        jit works), or a JAX PRNG key, typed
        (``jax.random.key``, default implementation) or legacy
        (``jax.random.PRNGKey``, ``uint32[2]``), which may be traced. A key's
        two words ``k`` give the seed ``(k[0] << 32) | k[1]`` (`seed_of`).
    x : jax.Array
        float16, float32 or float64 values, any shape (float64 needs
        ``jax_enable_x64``).
    p : float
        Drop probability in [0, 1], a Python number (static under jit).
    training : bool, default=True
        False returns x unchanged.
    offset : int, default=0
        Global element index of x's first element (static under jit).

    Returns
    -------
    y : jax.Array
        x's shape and dtype: ``fastdrop.dropout(numpy.asarray(x), p,
        seed=seed_of(key_or_seed), offset=offset)``, bit for bit.

    Notes
    -----
    The gradient is ``dropout_backward`` of the same mask, regenerated from
    (seed, offset) in the backward pass; second and higher reverse-mode
    derivatives work the same way. Forward mode (`jax.jvp`, `jax.jacfwd`)
    is not defined for it (`jax.custom_vjp`).

    Under `jax.vmap`, slice i of the result is ``dropout(key_i, x[i], p)``:
    slices mapped with one key or seed share their mask (as with
    ``jax.random.bernoulli`` under vmap); map over keys too (say,
    ``jax.random.split(key, n)``) to give each slice its own mask.

    The kernel runs on the host through `jax.pure_callback`; arguments are
    checked before it, since an exception inside a callback is undefined
    behaviour in JAX.

    Examples
    --------
    >>> import jax, jax.numpy as jnp, numpy as np, fastdrop, fastdrop.jax
    >>> x = jnp.ones(8, jnp.float32)
    >>> y = jax.jit(lambda k, v: fastdrop.jax.dropout(k, v, 0.5))(jax.random.key(3), x)
    >>> bool((np.asarray(y) == fastdrop.dropout(np.ones(8, np.float32), 0.5, seed=3)).all())
    True
    """
    if _is_traced(p):
        raise TypeError("p must be a Python number (static under jit), got a traced value")
    p = _checks.check_p(p)
    training = _checks.check_flag(training, "training")
    words = _seed_words(key_or_seed)
    xa: jax.Array
    if isinstance(x, jax.Array) or _is_traced(x):
        xa = x  # type: ignore[assignment]  # a Tracer
    else:
        try:
            xa = jnp.asarray(x)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"x must be a JAX array or an array-like of floats, got "
                            f"{type(x).__name__} ({exc})") from None
    if xa.dtype not in _DTYPES:
        raise TypeError(f"x must be float16, float32 or float64, got {xa.dtype}")
    if _is_traced(offset):
        raise TypeError("offset must be a Python int (static under jit), got a traced value")
    offset = _checks.check_offset(offset, int(np.prod(xa.shape, dtype=object)))
    if not training:
        return xa
    out: jax.Array = _masked("forward", p, offset, words, xa)
    return out
