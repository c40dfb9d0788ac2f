"""Where the C headers are, for extensions built against fastdrop's C API."""

from __future__ import annotations

import os

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def get_include() -> str:
    """get_include()

    The folder of fastdrop's public C headers, for other C, C++ or Cython
    extensions that call fastdrop's kernels.

    Such an extension adds this folder to its include path, includes
    ``fastdrop/capi.h`` (or cimports ``fastdrop.capi`` in Cython) and takes
    the table of function pointers from the capsule
    ``fastdrop._core._C_API`` at import, so it links against nothing of
    fastdrop. See the C API page of the documentation.

    Returns
    -------
    path : str
        ``fastdrop/include`` inside the installed package; in a source
        checkout (which has no such copy), ``src_c/include`` beside the
        package.

    Examples
    --------
    >>> import os, fastdrop
    >>> os.path.isfile(os.path.join(fastdrop.get_include(), "fastdrop", "capi.h"))
    True
    """
    shipped = os.path.join(_PACKAGE, "include")
    if os.path.isdir(shipped):
        return shipped
    checkout = os.path.join(os.path.dirname(_PACKAGE), "src_c", "include")
    if os.path.isfile(os.path.join(checkout, "fastdrop", "capi.h")):
        return checkout
    return shipped
