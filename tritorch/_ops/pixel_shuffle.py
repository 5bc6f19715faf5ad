"""Pixel shuffle / unshuffle and channel shuffle (``torch.nn.functional.pixel_shuffle``,
``pixel_unshuffle``, ``channel_shuffle``).

All three are compositions of view ops and one copy: ``reshape`` (a view) to split the factor out
of a dim, ``permute`` (a view) to move it, and a final ``reshape`` that copies the strided result
contiguous — no registry op of their own, so no kernel: the copy is the shared strided copy, and
the gradient is the same rearrangement in reverse (through the views' and the copy's nodes).
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

from ._common import check_tensor, shape_str

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = []


def _factor(v, op, what):
    if not isinstance(v, numbers.Integral) or isinstance(v, bool):
        raise TypeError(f"{op}(): argument '{what}' must be int, not {type(v).__name__}")
    if v <= 0:
        raise RuntimeError(f"{op} expects a positive {what}, but got {v}")
    return int(v)


def _check_3d(input, op):
    check_tensor(input, op)
    nd = input.dim()
    if nd < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input with {nd} dimension(s)")
    return tuple(input.shape)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearranges (*, C * r^2, H, W) into (*, C, H * r, W * r), r = ``upscale_factor``."""
    shape = _check_3d(input, "pixel_shuffle")
    r = _factor(upscale_factor, "pixel_shuffle", "upscale_factor")
    *batch, c, h, w = shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    b = len(batch)
    oc = c // (r * r)
    x = input.reshape(tuple(batch) + (oc, r, r, h, w))
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)
    return x.reshape(tuple(batch) + (oc, h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Rearranges (*, C, H * r, W * r) into (*, C * r^2, H, W), r = ``downscale_factor``."""
    shape = _check_3d(input, "pixel_unshuffle")
    r = _factor(downscale_factor, "pixel_unshuffle", "downscale_factor")
    *batch, c, h, w = shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={w} is not divisible by {r}")
    b = len(batch)
    x = input.reshape(tuple(batch) + (c, h // r, r, w // r, r))
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)
    return x.reshape(tuple(batch) + (c * r * r, h // r, w // r))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Splits the C channels of (N, C, *) into ``groups`` groups and interleaves them: channel
    g * (C / groups) + i moves to i * groups + g (ShuffleNet)."""
    check_tensor(input, "channel_shuffle")
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool):
        raise TypeError(f"channel_shuffle(): argument 'groups' must be int, not {type(groups).__name__}")
    shape = tuple(input.shape)
    if len(shape) <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {shape_str(shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c, *rest = shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    x = input.reshape((n, groups, c // groups) + tuple(rest))
    return x.transpose(1, 2).reshape(shape)


native_channel_shuffle = channel_shuffle

FUNCTIONAL = {"pixel_shuffle": pixel_shuffle, "pixel_unshuffle": pixel_unshuffle, "channel_shuffle": channel_shuffle,
              "native_channel_shuffle": native_channel_shuffle}
