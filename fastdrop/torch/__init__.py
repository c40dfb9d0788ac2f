"""fastdrop for PyTorch: dropout as a custom operator, and torch.nn modules.

``import fastdrop.torch`` imports torch (``import fastdrop`` never does) and
registers the operators ``fastdrop::dropout`` and
``fastdrop::dropout_backward`` (`torch.library.custom_op`, with autograd and
fake kernels, so they work under ``torch.compile(fullgraph=True)`` and
``torch.export``). CPU tensors are computed by fastdrop's NumPy functions on
zero-copy views, CUDA tensors by its CuPy path through DLPack: the output
bits equal ``fastdrop.dropout(input.numpy(), ...)`` for the same seed and
offset.

Contents
--------
- `dropout`, `dropout1d`, `dropout2d`, `dropout3d`, `alpha_dropout`,
  `feature_alpha_dropout`: torch.nn.functional's signatures, plus
  keyword-only ``seed``, ``offset`` and ``store``; `drop_path`, `drop_block`.
- `Dropout`, `Dropout1d`, `Dropout2d`, `Dropout3d`, `AlphaDropout`,
  `FeatureAlphaDropout`, `DropPath`, `DropBlock`: the modules, with an optional
  ``seed`` stream carried by ``state_dict``.
- `InputShapeError`: an input with a number of dimensions a channel
  dropout does not take.
"""

from fastdrop.torch._functional import (
    InputShapeError,
    alpha_dropout,
    drop_block,
    drop_path,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from fastdrop.torch._modules import (
    AlphaDropout,
    DropBlock,
    DropPath,
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
    FeatureAlphaDropout,
)

__all__ = [
    "AlphaDropout",
    "DropBlock",
    "DropPath",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "FeatureAlphaDropout",
    "InputShapeError",
    "alpha_dropout",
    "drop_block",
    "drop_path",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "feature_alpha_dropout",
]
