"""Dropout as one step of a NumPy data pipeline, processed in chunks.

A large feature matrix is augmented with dropout chunk by chunk (as a data
loader would stream it); passing each chunk's first element as the offset
gives exactly the masks of one call on the whole matrix, so the chunk size
is free to change without changing the data.

    python examples/numpy_pipeline.py
"""

import numpy as np

import fastdrop

SEED = 2026


def augment_in_chunks(features: np.ndarray, p: float, rows_per_chunk: int) -> np.ndarray:
    """Dropout of a C-order matrix, rows_per_chunk rows at a time."""
    out = np.empty_like(features)
    width = features.shape[1]
    for start in range(0, len(features), rows_per_chunk):
        chunk = features[start:start + rows_per_chunk]
        # Rows r0..r1 of a C-order (m, n) array are elements r0*n .. r1*n.
        fastdrop.dropout(chunk, p, seed=SEED, offset=start * width, out=out[start:start + len(chunk)])
    return out


def main():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((10_000, 128), dtype=np.float32)
    whole = fastdrop.dropout(features, 0.1, seed=SEED)
    for rows in (1, 37, 1000, 10_000):
        assert np.array_equal(augment_in_chunks(features, 0.1, rows), whole), rows
    kept = np.count_nonzero(whole) / whole.size
    print(f"{features.shape} float32, p = 0.1: kept {kept:.4f} of the elements; "
          "chunks of 1, 37, 1000 and 10000 rows give the one call's result bit for bit")
    # Normalising after dropout, as a pipeline might; fastdrop leaves x untouched.
    standardised = (whole - whole.mean(axis=0)) / whole.std(axis=0)
    assert np.isfinite(standardised).all()
    print("ok")


if __name__ == "__main__":
    main()
