"""Every kernel's mask stream passes a fixed subset of dieharder.

src_c/tools/fd_mask_stream.c writes a kernel's keep bits at p = 0.5 in
element order (fair coins if the stream is good) and dieharder reads them raw
from stdin (-g 200). At p = 0.5 the threshold's low 24 bits are 0, so the
bytes alone decide; at p = 0.3 (threshold 0xB3333333) the refinement hash
decides 1 in 256 elements too, and the tool sends the biased keep bits
through the von Neumann extractor (fair bits out of independent ones).
Each (kernel, p, test) triple reads a stream of its own seed.
The AVX-512 kernel runs natively where the CPU has AVX-512, else with its
intrinsics emulated by SIMDe (as in test_emulated.py). Needs a C compiler and
dieharder (Debian: dieharder); FASTDROP_REQUIRE_DIEHARDER=1 turns a missing
prerequisite into a failure instead of a skip. The full battery (-a) is run
by hand; README has its result.
"""

import shutil
import subprocess
import zlib

import pytest
from conftest import C_BUILD, ROOT, unavailable

from fastdrop import _core

TOOL = "src_c/tools/fd_mask_stream.c"

# dieharder arguments: the -a battery's tests that read up to ~300 MB each.
# rgb_minimum_distance runs with -n 2 as in -a: its default (-n 0) fails on
# /dev/urandom too.
SUBSET = [
    "-d 0", "-d 3", "-d 8", "-d 10", "-d 11", "-d 12", "-d 15", "-d 100", "-d 102",
    "-d 200 -n 2", "-d 201 -n 2", "-d 204",
]
ISAS = _core.isa_names()


def _unavailable(reason):
    unavailable(reason, "FASTDROP_REQUIRE_DIEHARDER")


def _build(cc, exe, extra, without=()):
    command = C_BUILD.command(cc, ["-O3", *extra, "-o", str(exe), TOOL], without=without)
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def stream_tools(tmp_path_factory):
    """{isa name: command prefix writing that kernel's stream}; skips without prerequisites."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if C_BUILD is None or not (ROOT / TOOL).exists():
        _unavailable("the C sources are not beside the tests")
    if cc is None:
        _unavailable("no C compiler")
    if shutil.which("dieharder") is None:
        _unavailable("no dieharder (Debian: dieharder)")
    tmp = tmp_path_factory.mktemp("dieharder")
    native = tmp / "fd_mask_stream"
    build = _build(cc, native, [])
    assert build.returncode == 0, build.stderr[-3000:]
    tools = {name: [str(native), name] for i, name in enumerate(ISAS) if _core.isa_supported(i)}
    if "avx512" not in tools and "avx2" in tools:
        emulated = tmp / "fd_mask_stream_emulated"
        build = _build(cc, emulated, ["-march=native", "-DFD_EMULATE_AVX512",
                                      "-Isrc_c/tools/simde"], without=("avx512",))
        if build.returncode == 0:
            tools["avx512"] = [str(emulated), "avx512"]
        elif "simde/x86/avx512.h: No such file" not in build.stderr:
            pytest.fail(build.stderr[-3000:])
    return tools


def assessments(report):
    """The Assessment column of a dieharder report."""
    rows = [ln.split("|") for ln in report.splitlines() if ln.count("|") == 5]
    return [r[5].strip() for r in rows if r[5].strip() in ("PASSED", "WEAK", "FAILED")]


@pytest.mark.dieharder
@pytest.mark.parametrize("test", SUBSET)
@pytest.mark.parametrize("p", ["0.5", "0.3"])
@pytest.mark.parametrize("isa", ISAS)
def test_mask_stream_passes_dieharder(stream_tools, isa, p, test):
    if isa not in stream_tools:
        _unavailable(f"the {isa} kernel can neither run nor be emulated here")
    seed = zlib.crc32(f"{isa} {test}".encode() if p == "0.5" else f"{isa} {p} {test}".encode())
    writer = subprocess.Popen([*stream_tools[isa], str(seed), p], stdout=subprocess.PIPE)
    try:
        run = subprocess.run(["dieharder", "-g", "200", *test.split()], stdin=writer.stdout,
                             capture_output=True, text=True, timeout=600)
    finally:
        writer.stdout.close()
        writer.kill()
        writer.wait()
    verdicts = assessments(run.stdout)
    assert run.returncode == 0 and verdicts, run.stdout + run.stderr
    assert "FAILED" not in verdicts, f"seed {seed}:\n{run.stdout}"


@pytest.mark.dieharder
@pytest.mark.parametrize("p", ["0.5", "0.3"])
def test_tested_stream_is_the_mask_stream(stream_tools, p):
    """What dieharder reads is the reference's keep bits (von Neumann-extracted at p = 0.3)."""
    import numpy as np

    from fastdrop import _reference

    n = (1 << 23) + (1 << 18)  # past the end of the tool's first chunk (2**23 elements)
    keep = _reference.keep_mask(99, 0, float(p), n).astype(np.uint8)
    if p != "0.5":
        first, second = keep[0::2], keep[1::2]
        keep = first[first != second]
    expected = np.packbits(keep[: len(keep) // 8 * 8], bitorder="little").tobytes()
    for isa, command in stream_tools.items():
        writer = subprocess.Popen([*command, "99", p], stdout=subprocess.PIPE)
        try:
            got = writer.stdout.read(len(expected))
        finally:
            writer.stdout.close()
            writer.kill()
            writer.wait()
        assert got == expected, isa
