"""The CUDA source of the GPU path, as NVRTC gets it (pure Python, no CuPy).

kernels.cu includes the stream headers (``fastdrop/rng.h``, ``rules.h``,
``half.h``). NVRTC is given one self-contained text instead, with each
header inlined once in place of its first ``#include`` (and ``#line``
markers so that errors name the original files), and ``<stdint.h>``
replaced by ``nvrtc_stdint.h``: NVRTC has no C library headers (that file
is copied as it is; under other compilers it includes the real one). Because
the headers are part of the text, CuPy's kernel cache, keyed on the text and
the options, never reuses a binary built from older headers.

The files come from the package (``fastdrop/_gpu/cuda/``, where setup.py
copies them) or, in a source checkout, from ``src_c/``.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent / "cuda"
_TREE = Path(__file__).resolve().parents[2] / "src_c"
_INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
KINDS = ("f16", "f32", "f64", "mask")


def source_dirs() -> tuple[Path, Path]:
    """(folder of kernels.cu and nvrtc_stdint.h, include folder holding fastdrop/*.h)."""
    if (_PACKAGE / "kernels.cu").is_file():
        return _PACKAGE, _PACKAGE / "include"
    if (_TREE / "cuda" / "kernels.cu").is_file():
        return _TREE / "cuda", _TREE / "include"
    raise FileNotFoundError(
        f"fastdrop's CUDA source is missing: neither {_PACKAGE} nor {_TREE / 'cuda'} "
        "holds kernels.cu (reinstall fastdrop)"
    )


def _inline(path: Path, include_dir: Path, cuda_dir: Path, seen: set, label: str) -> list[str]:
    out = [f'#line 1 "{label}"']
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        m = None if path.name == "nvrtc_stdint.h" else _INCLUDE.match(line)
        if not m:
            out.append(line)
            continue
        kind, name = m.groups()
        if kind == "<":
            if name != "stdint.h":
                raise ValueError(f"{label}:{number}: <{name}> is not available under NVRTC")
            target, tlabel = cuda_dir / "nvrtc_stdint.h", "nvrtc_stdint.h"
        else:
            local = path.parent / name
            target = local if local.is_file() else include_dir / name
            tlabel = str(target.relative_to(include_dir)) if target.is_relative_to(include_dir) else name
            if not target.is_file():
                raise FileNotFoundError(f"{label}:{number}: cannot find \"{name}\"")
        target = target.resolve()
        if target not in seen:
            seen.add(target)
            out.extend(_inline(target, include_dir, cuda_dir, seen, tlabel))
        out.append(f'#line {number + 1} "{label}"')
    return out


@functools.lru_cache(maxsize=None)
def cuda_source() -> str:
    """kernels.cu with the headers it includes inlined: the text given to NVRTC."""
    cuda_dir, include_dir = source_dirs()
    main = cuda_dir / "kernels.cu"
    return "\n".join(_inline(main, include_dir, cuda_dir, {main.resolve()}, "kernels.cu")) + "\n"


def nvrtc_options(kind: str) -> tuple[str, ...]:
    """Compiler options for the module of one dtype ("f16", "f32", "f64") or of the mask alone.

    ``--fmad=false``: x * scale and out + v are rounded separately, as on
    the CPU. CuPy appends ``-ftz=true`` to these; the kernels' float
    arithmetic is PTX without .ftz, so float32 subnormals survive it.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return ("-std=c++17", "--fmad=false", f"-DFD_GPU_{kind.upper()}")


@functools.lru_cache(maxsize=None)
def stream_constants() -> dict[str, int]:
    """The stream's shape from rng.h: BLOCK, LANES, PARTS (elements per lane step), STEPS."""
    _, include_dir = source_dirs()
    text = (include_dir / "fastdrop" / "rng.h").read_text()
    values = {}
    for name in ("FD_BLOCK", "FD_LANES", "FD_PARTS"):
        m = re.search(rf"^#define {name} (\d+)u?\b", text, re.MULTILINE)
        if not m:
            raise ValueError(f"rng.h does not define {name} as a number")
        values[name[3:]] = int(m.group(1))
    values["STEPS"] = values["BLOCK"] // (values["LANES"] * values["PARTS"])
    return values
