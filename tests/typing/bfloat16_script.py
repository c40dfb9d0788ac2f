"""A typed user script for bfloat16 arrays: checked by mypy --strict (tests/test_typing.py)."""

from __future__ import annotations

from typing import assert_type

import ml_dtypes
import numpy as np
import numpy.typing as npt

import fastdrop


def main() -> None:
    x = np.ones(4, ml_dtypes.bfloat16)
    assert_type(fastdrop.dropout(x, 0.5, seed=1), npt.NDArray[ml_dtypes.bfloat16])
    y, mask = fastdrop.dropout_forward(x, 0.5, seed=1)
    assert_type(y, npt.NDArray[ml_dtypes.bfloat16])
    assert_type(fastdrop.dropout_backward(x, mask), npt.NDArray[ml_dtypes.bfloat16])
    assert_type(fastdrop.dropout(np.ones(3, np.float32)), npt.NDArray[np.float32])
    gen = fastdrop.Generator(3)
    assert_type(gen.dropout(x), npt.NDArray[ml_dtypes.bfloat16])
    assert_type(gen.dropout_forward(x)[0], npt.NDArray[ml_dtypes.bfloat16])
    layer = fastdrop.Dropout(0.5, seed=1)
    assert_type(layer(x), npt.NDArray[ml_dtypes.bfloat16])
    assert_type(layer.backward(x), npt.NDArray[ml_dtypes.bfloat16])
    x4 = np.ones((2, 3, 4, 4), ml_dtypes.bfloat16)
    assert_type(fastdrop.spatial_dropout(x4, 0.5, seed=1), npt.NDArray[ml_dtypes.bfloat16])
    assert_type(fastdrop.drop_path(x4, 0.5, seed=1), npt.NDArray[ml_dtypes.bfloat16])
    assert_type(fastdrop.mc_dropout(x4, 0.5, 2, seed=1), npt.NDArray[ml_dtypes.bfloat16])
    assert_type(fastdrop.alpha_dropout(x4, 0.5, seed=1), npt.NDArray[ml_dtypes.bfloat16])
    assert_type(fastdrop.feature_alpha_dropout(x4, 0.5, seed=1),
                npt.NDArray[ml_dtypes.bfloat16])
    assert y.dtype == x.dtype


if __name__ == "__main__":
    main()
