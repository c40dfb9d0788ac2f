"""What the installed build runs: kernels and threads."""

from __future__ import annotations

from fastdrop import _core


def simd_info() -> dict:
    """simd_info()

    The active kernel and the kernels this build and CPU can run.

    Returns
    -------
    info : dict
        ``{"active": name, "available": [names], "known": [names]}``, names
        among "scalar", "avx2" and "avx512". Every kernel gives the same bits.

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
