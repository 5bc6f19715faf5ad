"""Dropout (``torch.nn.functional.dropout``).

One registry op, ``dropout(x, p, *, seed, offset)``: out = x * mask / (1 - p), the keep-mask drawn
elementwise (keep with probability 1 - p) from the Philox stream of (seed, offset) taken from the
device's default `Generator`, whose offset then advances past the call (as the random ops do), so
results are reproducible under ``tritorch.manual_seed``.  The mask is never stored: dropout is
linear in x, so its backward is the same op applied to the gradient with the same (seed, offset),
which regenerates the identical mask (the element's row-major index keys its draw, whatever the
gradient's memory layout); double backward is that op again.  Masks differ between the cpu and
cuda devices (different Philox variants, as the random ops), their distribution does not.

PyTorch's edges: p outside [0, 1] is a ValueError; ``training=False``, p = 0 or an empty input
return the input itself; p = 1 gives ``input * 0`` (NaN stays NaN).  Dropped elements are
``x * 0`` (NaN and inf inputs give NaN, as PyTorch's ``input * noise``).

Channel-wise ``dropout1d/2d/3d`` (``feature_dropout``) and ``alpha_dropout`` /
``feature_alpha_dropout`` compose registry ops as PyTorch's ``_dropout_impl`` does: a noise tensor
of shape (N, C, 1, ...) (or the input's shape) from the ``dropout`` op applied to ones, then
``input * noise`` (alpha dropout: ``input * keep * a + b``); their gradients go through ``mul``.
"""
from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

from .._dtype import TORCH_NAMES
from ._common import def_op, Node, apply, check_tensor
from .pointwise_copy import _inplace
from .generator import default_generator, default_generator_for
from .creation import zeros, ones

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = []
_E = {}


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p != p:  # PyTorch's Python check lets NaN through to its kernel, which raises RuntimeError
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def _meta(x, p, *, seed, offset):
    """dropout(x, p; seed, offset): x * keep / (1 - p) with keep ~ Bernoulli(1 - p) from the Philox
    stream (seed, offset); floating x; 0 <= p < 1; output has x's shape and dtype."""
    check_tensor(x, "dropout")
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"result type Float can't be cast to the desired output type {TORCH_NAMES[x.dtype]}")
    _check_p(p)
    if p == 1.0:
        raise RuntimeError("dropout: the registry op needs p < 1 (p = 1 is input * 0, handled by F.dropout)")
    return x._data.shape, x.dtype


_DROPOUT = def_op("dropout", _meta)


def _times_zero(input, inplace):
    """p = 1: ``input * 0`` with a zero of input's dtype (PyTorch: integer inputs stay integers)."""
    z = zeros((), dtype=input.dtype, device=input.device)
    return input.mul_(z) if inplace else input * z


class NativeDropoutBackward0(Node):
    def backward(self, g):
        return (_dropout(g, self.p, self.seed, self.offset),)


def _dropout(x, p, seed, offset):
    return apply(_DROPOUT, (x, p), {"seed": seed, "offset": offset}, NativeDropoutBackward0, (x,), p=p, seed=seed,
                 offset=offset)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) (in training);
    the identity otherwise.  The mask comes from the default generator (see the module docstring)."""
    check_tensor(input, "dropout")
    _check_p(p)
    p = float(p)
    if not training or p == 0.0 or input._data.size == 0:
        return input
    if p == 1.0:
        return _times_zero(input, inplace)
    dev = input.device
    gen = default_generator if dev.type == "cpu" else default_generator_for(dev)
    seed, offset = gen._peek()
    if inplace:
        r = _inplace(input, lambda t: _dropout(t, p, seed, offset))
        if r is None:
            r = _DROPOUT.run_inplace(input, (input, p), {"seed": seed, "offset": offset})
    else:
        r = _dropout(input, p, seed, offset)
    gen._advance(input._data.size)
    return r


# --- channel-wise and alpha dropout (compositions) ---------------------------------------------

_ALPHA = 1.7580993408473766  # SELU's alpha * scale: alpha dropout keeps zero mean, unit variance


def _noise_dropout(input, p, training, inplace, feature, alpha, batched=True):
    """PyTorch's ``_dropout_impl`` for feature and/or alpha dropout, composed from registry ops."""
    check_tensor(input, "dropout")
    _check_p(p)
    p = float(p)
    if not training or p == 0.0 or input._data.size == 0:
        return input
    if p == 1.0:
        return _times_zero(input, inplace)
    shape = input._data.shape
    if feature:
        if len(shape) < (2 if batched else 1):
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        k = 2 if batched else 1
        shape = tuple(shape[:k]) + (1,) * (len(shape) - k)
    dev = input.device
    gen = default_generator if dev.type == "cpu" else default_generator_for(dev)
    seed, offset = gen._peek()
    noise = _dropout(ones(shape, dtype=input.dtype, device=dev), p, seed, offset)
    gen._advance(math.prod(shape))
    if not alpha:
        return input.mul_(noise) if inplace else input * noise
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    keep = (noise != 0).to(input.dtype)
    b = (keep - 1.0) * (_ALPHA * a) + _ALPHA * a * p
    keep = keep * a
    return input.mul_(keep).add_(b) if inplace else input * keep + b


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels: input (N, C, L) or (C, L); each channel kept with probability 1 - p and
    scaled by 1 / (1 - p)."""
    check_tensor(input, "dropout1d")
    _check_p(p)
    nd = input._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that dropout1d "
                           "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _noise_dropout(input, p, training, inplace, True, False, batched=nd == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) input (a 3-D input is read as (N, C, L), as PyTorch)."""
    check_tensor(input, "dropout2d")
    _check_p(p)
    nd = input._data.ndim
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _noise_dropout(input, p, training, inplace, True, False)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input."""
    check_tensor(input, "dropout3d")
    _check_p(p)
    nd = input._data.ndim
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).", stacklevel=2)
    return _noise_dropout(input, p, training, inplace, True, False, batched=nd == 5)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped elements take SELU's negative saturation, then an affine map
    keeps zero mean and unit variance."""
    return _noise_dropout(input, p, training, inplace, False, True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Channel-wise ``alpha_dropout`` (noise shape (N, C, 1, ...))."""
    return _noise_dropout(input, p, training, inplace, True, True)


FUNCTIONAL = {"dropout": dropout, "dropout1d": dropout1d, "dropout2d": dropout2d, "dropout3d": dropout3d,
              "alpha_dropout": alpha_dropout, "feature_alpha_dropout": feature_alpha_dropout}
