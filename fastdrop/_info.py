"""What the installed build runs: kernels and threads."""

from __future__ import annotations

import numbers

from fastdrop import _checks, _core


def simd_info() -> dict:
    """simd_info()

    The active kernel and the kernels this build and CPU can run.

    Returns
    -------
    info : dict
        ``{"active": name, "available": [names], "known": [names]}``, names
        among "scalar", "avx2" and "avx512". Every kernel gives the same bits.
        ``FASTDROP_ISA=name`` in the environment picks the kernel at import
        (an error if this CPU cannot run it); otherwise the best one runs.

    Examples
    --------
    >>> import fastdrop
    >>> "scalar" in fastdrop.simd_info()["available"]
    True
    """
    names = _core.isa_names()
    return {
        "active": names[_core.active_isa()],
        "available": [n for i, n in enumerate(names) if _core.isa_supported(i)],
        "known": names,
    }


def set_num_threads(n) -> None:
    """set_num_threads(n)

    Set how many threads large calls use.

    Parameters
    ----------
    n : int or None
        A thread count in [1, 65536], or None for OpenMP's default at each
        call (``OMP_NUM_THREADS``, or a limit set with threadpoolctl).

    Raises
    ------
    TypeError
        If n is not an int (bool and float included) or None.
    ValueError
        If n is outside [1, 65536].

    Notes
    -----
    Results are bit-identical for every thread count. Calls below about
    64K elements per thread run on the calling thread. Without OpenMP in the
    build, and in a child forked from a process that loaded fastdrop, every
    call runs on one thread whatever is set here.

    Examples
    --------
    >>> import fastdrop
    >>> fastdrop.set_num_threads(1)
    >>> fastdrop.get_num_threads()
    1
    >>> fastdrop.set_num_threads(None)
    """
    if n is None:
        _core.set_num_threads(0)
        return
    n = _checks.scalar(n)
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be a positive int or None, got {type(n).__name__}")
    n = int(n)
    if not 1 <= n <= 1 << 16:
        raise ValueError(f"n must be a positive int (at most 65536) or None, got {n}")
    _core.set_num_threads(n)


def get_num_threads() -> int:
    """get_num_threads()

    How many threads a large call would use now.

    Examples
    --------
    >>> import fastdrop
    >>> fastdrop.get_num_threads() >= 1
    True
    """
    return _core.get_num_threads()
