"""A typed user script: `mypy --strict` must accept it, with these exact types (tests/test_typing.py)."""

from __future__ import annotations

from typing import Any, assert_type

import numpy as np
import numpy.typing as npt

import fastdrop


def train_step(x: npt.NDArray[np.float32], layer: fastdrop.Dropout) -> npt.NDArray[np.float32]:
    y = layer(x)
    assert_type(y, npt.NDArray[np.float32])
    y2, mask = layer(x, training=True, return_mask=True)
    assert_type(mask, fastdrop.Mask | None)
    dx = layer.backward(np.ones_like(y2), mask)
    assert_type(dx, npt.NDArray[np.float32])
    return dx


def main() -> None:
    fastdrop.manual_seed(np.random.SeedSequence(2026))
    x32 = np.ones((4, 8), np.float32)
    x16 = np.ones(8, np.float16)
    x64 = np.ones(8)

    assert_type(fastdrop.dropout(x32, 0.5, seed=1), npt.NDArray[np.float32])
    assert_type(fastdrop.dropout(x16, np.float32(0.25), seed=np.uint64(3)), npt.NDArray[np.float16])
    assert_type(fastdrop.dropout(x64, p=np.float64(0.1), offset=np.int64(5)), npt.NDArray[np.float64])
    assert_type(fastdrop.dropout([1.0, 2.0], 0.5), npt.NDArray[np.floating[Any]])
    assert_type(fastdrop.dropout(np.float32(1.0), 0.5), npt.NDArray[np.float32])

    y, mask = fastdrop.dropout_forward(x32, 0.5, seed=np.random.default_rng(0), store="seed")
    assert_type(y, npt.NDArray[np.float32])
    assert_type(mask, fastdrop.Mask)
    assert_type(mask.seed, int)
    g = fastdrop.dropout_backward(np.ones(mask.shape, np.float16), mask)
    assert_type(g, npt.NDArray[np.float16])
    out = np.empty_like(x32)
    assert_type(fastdrop.dropout_backward(x32, mask, out=out, accumulate=True), npt.NDArray[np.float32])

    gen = fastdrop.Generator(np.int64(7))
    workers = gen.spawn(np.int32(4))
    assert_type(workers, list[fastdrop.Generator])
    assert_type(workers[0].dropout(x64, 0.5, training=np.bool_(True)), npt.NDArray[np.float64])
    assert_type(fastdrop.default_generator().n_children_spawned, int)

    layer = fastdrop.Dropout(np.float64(0.2), seed=None, name="hidden")
    assert_type(train_step(x32, layer), npt.NDArray[np.float32])
    fastdrop.set_num_threads(np.int8(1))
    fastdrop.set_num_threads(None)


if __name__ == "__main__":
    main()
