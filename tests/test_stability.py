"""The stream is locked: a change to its bits must come with a new RNG_SPEC.

Every released stream version has, below, the SHA-256 of its known-answer
files and of the outputs of a million-element call per dtype. Changing the
stream (the generator, the seeding, the keep rule, the scaling or the
float16 rounding) changes these digests, and the tests then fail until
`RNG_SPEC` (FD_RNG_SPEC in fastdrop.h) names a new version, SPEC.md
describes it, and the new version's digests are added here. The digests of
a released version are never edited (fastdrop-rng-v1's stay as its record,
though no build produces that stream any more). A dtype added to a released
stream (bfloat16 to fastdrop-rng-v2) brings its own known answers and
locked output, and those are then locked the same way.
"""

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

import fastdrop
from fastdrop import _reference

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"

# RNG_SPEC -> digests of its known answers and of locked_call()'s outputs.
LOCKED = {
    "fastdrop-rng-v1": {
        "data": "dcb34dc72d8dde9218ce692b18a6ad0970a09ea2cbfc273463996da54b0c5111",
        "bits": "b96e04a3dfa85a4f78dfb3d43c602512cb8090db3693187e266bba487adc1651",
        "float16": "7d9bebc7af87cad794d6205b3d9157d1ed420c3d7db02501e621289ce2d22229",
        "float32": "196dd89a70b756aaf94013e4ac614e7f5adb90bd9628c1a6a51220f1313d0c0e",
        "float64": "05796f556e0256a91a98011a4a84d475c0f3805e4efc6286657d4a2fd2e7d97b",
    },
    "fastdrop-rng-v2": {
        "data": "2f798c335aa141030317d9ede47d57bbb5690277ab88656d5a45586af6c83ead",
        "bits": "aa3bd817908edb831fc79ff10cd0478b75a25b9a6d0f331e844322becc40e8e3",
        "float16": "696ccbfc8ca7f82a99858e8065bbf0468eef1ac6e406a0b721000e0cb09442cb",
        "float32": "4f3f04de680b64b9a4a274d408c816e6813f534fbf2277e882c8be2ba9d71ab6",
        "float64": "016898217f5c875d672070e599682f89d379014a5cae01468a76f25176e9ff5d",
    },
}
# The known answers of a dtype added to a released stream, and its locked call's output:
# (RNG_SPEC, dtype name) -> digests. Locked like the stream's own once added.
LOCKED_DTYPES = {
    ("fastdrop-rng-v2", "bfloat16"): {
        "data": "fff9f6ea6bdd1930389647be783fd883b49799302c5884994e32d208f6b24e8e",
        "output": "19d5fda89839cb54a177b07a046495409075349746ea3f7237affb67e419ea2a",
    },
}
# The files of each lock (tests/data/*.csv): the stream's, and each added dtype's.
DATA_FILES = {"stream": ["mask-testset.csv", "uniforms-testset-1.csv", "uniforms-testset-2.csv"],
              "bfloat16": ["bfloat16-testset.csv"]}
N, P, SEED, OFFSET = 1_000_003, 0.3, 2026, 2**40 + 7


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def data_digest(data: Path = DATA, names=None) -> str:
    """Digest of the known-answer files in data (those named in names, else every .csv),
    their comment lines left out."""
    h = hashlib.sha256()
    paths = data.glob("*.csv") if names is None else (data / name for name in names)
    for path in sorted(paths):
        lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("#")]
        h.update(path.name.encode() + b"\n" + "\n".join(lines).encode() + b"\n")
    return h.hexdigest()


def locked_input(dtype):
    """Values of both signs, exact in float64, the same on every platform."""
    k = np.arange(N, dtype=np.int64)
    return (((k * 2654435761) % 2001 - 1000) / 7.0).astype(dtype)


def locked_digests():
    try:
        return LOCKED[fastdrop.RNG_SPEC]
    except KeyError:
        pytest.fail(f"RNG_SPEC {fastdrop.RNG_SPEC!r} has no locked digests: "
                    "add them to LOCKED when a new stream version is introduced")


def test_spec_name_is_the_same_everywhere():
    header = (ROOT / "src_c" / "include" / "fastdrop.h")
    spec = (ROOT / "SPEC.md")
    if not header.exists() or not spec.exists():
        pytest.skip("the sources are not beside the tests")
    assert re.search(r'#define FD_RNG_SPEC "([^"]+)"', header.read_text())[1] == fastdrop.RNG_SPEC
    assert f"`{fastdrop.RNG_SPEC}`" in spec.read_text().splitlines()[0]


def test_known_answer_files_are_locked():
    assert data_digest(names=DATA_FILES["stream"]) == locked_digests()["data"], (
        "tests/data changed: a new stream needs a new RNG_SPEC and new LOCKED digests")


def test_every_known_answer_file_is_under_a_lock():
    locked = {name for names in DATA_FILES.values() for name in names}
    assert {p.name for p in DATA.glob("*.csv")} == locked


def _bfloat16_lock():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    try:
        return np.dtype(ml_dtypes.bfloat16), LOCKED_DTYPES[(fastdrop.RNG_SPEC, "bfloat16")]
    except KeyError:
        pytest.fail(f"RNG_SPEC {fastdrop.RNG_SPEC!r} has no locked bfloat16 digests")


def test_bfloat16_known_answers_are_locked():
    _, locked = _bfloat16_lock()
    assert data_digest(names=DATA_FILES["bfloat16"]) == locked["data"], (
        "tests/data/bfloat16-testset.csv changed: bfloat16's rounding is part of the stream")


def test_bfloat16_output_is_locked(isa):
    bf16, locked = _bfloat16_lock()
    y = fastdrop.dropout(locked_input(np.float32).astype(bf16), P, seed=SEED, offset=OFFSET)
    assert digest(y.tobytes()) == locked["output"]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_outputs_are_locked(isa, dtype):
    y, mask = fastdrop.dropout_forward(locked_input(dtype), P, seed=SEED, offset=OFFSET)
    locked = locked_digests()
    assert digest(mask.bits.tobytes()) == locked["bits"]
    assert digest(y.tobytes()) == locked[np.dtype(dtype).name]


def test_reference_gives_the_locked_outputs():
    """The oracle, written from SPEC.md alone, agrees with the locked digests."""
    x = locked_input(np.float32)
    keep = _reference.keep_mask(SEED, OFFSET, P, N)
    assert digest(_reference.packed_bits(keep).tobytes()) == locked_digests()["bits"]
    y = _reference.dropout(x, P, seed=SEED, offset=OFFSET)
    assert digest(y.tobytes()) == locked_digests()["float32"]
