"""The C core's sources and compiler flags: the one list every build reads.

setup.py (the extension), the tests that compile C tools (through
tests/conftest.py), .ci/fuzz and the C tools' build commands all take the
sources and flags from here. The sources are found by globbing: every ``.c``
file under ``src_c/``, in any subfolder, except the tools in ``src_c/tools/``
(programs with a ``main`` of their own). A new C file of the core thus joins
every build without an edit here; code meant to be ``#include``d by another
file (a body stamped once per ISA, say) goes in a ``.h`` file, since every
``.c`` file is compiled on its own.

From a shell, paths relative to the repository root::

    python3 c_core.py sources [--without ISA]...      # one path per line
    python3 c_core.py cflags                           # flags and include dirs, one per line
    python3 c_core.py cc [--without ISA]... [ARG]...   # runs: cc CFLAGS ARG... SOURCES -lm

``cc`` runs in the repository root with ``$CC`` (default ``cc``); for
example ``python3 c_core.py cc -O2 -o fd_gen_test_vectors
src_c/tools/fd_gen_test_vectors.c``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SRC = "src_c"
TOOLS = "src_c/tools"

# C11 for <stdatomic.h> (the runtime's shared state); no FMA contraction,
# since a fused multiply-add rounds once where SPEC.md rounds twice.
STD = "-std=c11"
CFLAGS = [STD, "-ffp-contract=off"]
INCLUDE_DIRS = ["src_c/include", "src_c"]
LIBS = ["-lm"]


def sources(without: tuple[str, ...] | list[str] = (), root: Path = ROOT) -> list[str]:
    """The core's C files, sorted, as paths relative to the repository root.

    Parameters
    ----------
    without : sequence of str, default=()
        ISA names (such as ``"avx512"``): files whose path below ``src_c/``
        names that ISA as a folder or as a ``_``-separated part of a file
        name are left out, for tools that compile those kernels differently
        (emulated, or not at all).
    root : pathlib.Path, default=ROOT
        The repository root (this file's folder).
    """
    found = []
    for path in sorted((root / SRC).rglob("*.c")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(TOOLS + "/"):
            continue
        parts = Path(rel).relative_to(SRC).with_suffix("").parts
        if any(isa in part.split("_") for part in parts for isa in without):
            continue
        found.append(rel)
    return found


def cflags() -> list[str]:
    """Language and floating-point flags plus include dirs, for a compiler command line."""
    return [*CFLAGS, *(f"-I{d}" for d in INCLUDE_DIRS)]


def command(cc: str, args: list[str], without: tuple[str, ...] = ()) -> list[str]:
    """The command line that builds a program from args (flags, its own .c files) and the core."""
    return [cc, *cflags(), *args, *sources(without), *LIBS]


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("sources", "cflags", "cc"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    what, rest = argv[0], argv[1:]
    without = []
    while what != "cflags" and rest[:1] == ["--without"] and len(rest) >= 2:
        without.append(rest[1])
        rest = rest[2:]
    if what == "cc":
        cmd = command(os.environ.get("CC", "cc"), rest, tuple(without))
        return subprocess.run(cmd, cwd=ROOT).returncode
    if rest:
        print(f"c_core.py {what}: unexpected arguments {rest}", file=sys.stderr)
        return 2
    print("\n".join(sources(tuple(without)) if what == "sources" else cflags()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
