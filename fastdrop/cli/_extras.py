"""Optional libraries: a clear message, before any work, when one is missing."""

from __future__ import annotations

import importlib.util


def require(module: str, what: str, extra: str) -> None:
    """Exit with a message naming the extra to install if module is not installed."""
    if importlib.util.find_spec(module) is None:
        raise SystemExit(f"{what} needs {module}: pip install 'fastdropout[{extra}]' "
                         f"(or pip install {module})")
