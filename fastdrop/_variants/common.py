"""Argument checks the variant families share."""

from __future__ import annotations

from fastdrop import _api, _checks

DATA_FORMATS = ("channels_first", "channels_last")
CITE_SPEC = "SPEC.md section 10"


def seed_last(seed, offset, m: int):
    """The checked offset (for m stream elements) and the seed, drawn last (a call
    that raises draws nothing from the default stream)."""
    offset = _checks.check_offset(offset, m)
    return offset, _api._seed(seed)


def channel_shape(shape: tuple[int, ...], data_format: str, least: int, name: str = "x"):
    """The noise shape of channel dropout: (N, C, 1, ...) or (N, 1, ..., C)."""
    if len(shape) < least:
        raise ValueError(
            f"{name} must have at least {least} dimensions (N, C, ...), got shape {shape}")
    if data_format == "channels_first":
        return tuple(shape[:2]) + (1,) * (len(shape) - 2)
    return (shape[0],) + (1,) * (len(shape) - 2) + (shape[-1],)


def data_format(value) -> str:
    return _checks.check_choice(value, "data_format", DATA_FORMATS)


def copy_of(x, out):
    """Inference of the variants that are the identity then: a copy of x into out."""
    return _api._inference(x, 0.0, "inverted", out)
