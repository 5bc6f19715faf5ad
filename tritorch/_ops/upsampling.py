"""Upsampling / resizing (``torch.nn.functional.interpolate``): nearest, nearest-exact, linear,
bilinear, trilinear, bicubic and area over the 1-3 spatial dims of an (N, C, ...) input.

Two registry ops:
  * ``upsample(x, size, mode, align_corners, scales)``: ``mode`` is "nearest", "nearest-exact",
    "linear" (linear / bilinear / trilinear by the number of spatial dims) or "cubic" (bicubic, 2
    spatial dims only); ``size`` the output
    spatial size; ``scales`` the user's scale factors (or None per dim), which PyTorch uses in the
    coordinate transform when given.  Per output position and spatial dim the source index (and for
    linear the two taps and their weights) follow PyTorch's CPU kernels exactly, including its
    float32 arithmetic for the nearest modes, the source index clamped at 0 for
    ``align_corners=False``, and the identity copy when a dim keeps its size.  Cubic takes four taps
    ``floor(src) - 1 .. floor(src) + 2`` per dim, each clamped to the border, with the cubic
    convolution weights of coefficient A = -0.75 (the source index is not clamped at 0 there).
  * ``upsample_backward(grad, input_size, mode, align_corners, scales)``: the adjoint as a gather:
    each input element sums the output positions whose taps land on it, times the tap weight.

Both are linear in the tensor argument and each other's adjoint, so double backward works: the
backward of ``upsample`` is ``upsample_backward`` and vice versa.  Node names follow PyTorch
(``UpsampleNearest2DBackward0``, ``UpsampleNearestExact1DBackward0``, ``UpsampleLinear1DBackward0``,
``UpsampleBilinear2DBackward0``, ``UpsampleTrilinear3DBackward0``, ``UpsampleBicubic2DBackward0``,
and ``...BackwardBackward0``).

Mode "area" is PyTorch's own composition: ``adaptive_avg_pool{1,2,3}d`` to the output size (its
registry ops and autograd live in the pooling family).

Not implemented (NotImplementedError): ``antialias=True`` and bicubic on uint8 input (PyTorch
accepts the latter on CPU).
"""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import _dtype
from .._dtype import TORCH_NAMES
from ._common import def_op, Node, apply, attach, check_tensor, shape_str
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = []
_E = {}
_OPS_MODES = ("nearest", "nearest-exact", "linear", "cubic")
_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5}
_NODE = {("nearest", 1): "UpsampleNearest1D", ("nearest", 2): "UpsampleNearest2D", ("nearest", 3): "UpsampleNearest3D",
         ("nearest-exact", 1): "UpsampleNearestExact1D", ("nearest-exact", 2): "UpsampleNearestExact2D",
         ("nearest-exact", 3): "UpsampleNearestExact3D", ("linear", 1): "UpsampleLinear1D",
         ("linear", 2): "UpsampleBilinear2D", ("linear", 3): "UpsampleTrilinear3D", ("cubic", 2): "UpsampleBicubic2D"}
_AREA = {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d, 3: adaptive_avg_pool3d}


def _sizes_str(sizes):
    names = ("D", "H", "W")[3 - len(sizes):]
    return ", ".join(f"{n}: {s}" for n, s in zip(names, sizes))


def _meta_upsample(x, size, mode, align_corners, scales):
    check_tensor(x, "upsample")
    shape = tuple(x._data.shape)
    k = len(size)
    if mode not in _OPS_MODES or k not in (1, 2, 3) or len(shape) != k + 2 or (mode == "cubic" and k != 2):
        raise RuntimeError(f"upsample: expected a {k + 2}-D input and mode nearest, nearest-exact, linear or (4-D "
                           f"only) cubic, got {shape_str(shape)} and {mode}")
    if len(scales) != k:
        raise RuntimeError(f"upsample: expected {k} scales, got {len(scales)}")
    spatial = shape[2:]
    if any(s <= 0 for s in spatial) or any(s <= 0 for s in size):
        sep = " and" if k == 1 else ""
        raise RuntimeError(f"upsample: Input and output sizes should be greater than 0, but got input "
                           f"({_sizes_str(spatial)}){sep} output ({_sizes_str(size)})")
    if x._data.size == 0 and any(s == 0 for s in shape[1:]):
        raise RuntimeError(f"upsample: Non-empty {k + 2}D data tensor expected but got a tensor with sizes "
                           f"{shape_str(shape)}")
    dt = x.dtype
    if mode == "cubic" and not dt.is_floating_point:
        raise NotImplementedError(f"upsample: bicubic interpolation of '{TORCH_NAMES[dt]}' input is not implemented "
                                  "in tritorch (floating dtypes only)")
    ok = dt.is_floating_point or (mode != "linear" and dt is _dtype.uint8)
    if not ok:
        kind = "linear" if mode == "linear" else "nearest"
        raise NotImplementedError(f'upsample: "compute_indices_weights_{kind}" not implemented for '
                                  f"'{TORCH_NAMES[dt]}'")
    return shape[:2] + tuple(size), dt


def _meta_upsample_backward(grad, input_size, mode, align_corners, scales):
    check_tensor(grad, "upsample_backward", "grad_output")
    input_size = tuple(input_size)
    k = len(input_size) - 2
    if mode not in _OPS_MODES or k not in (1, 2, 3) or len(scales) != k or (mode == "cubic" and k != 2):
        raise RuntimeError(f"upsample_backward: bad mode {mode} or input size {shape_str(input_size)}")
    g = tuple(grad._data.shape)
    if len(g) != k + 2 or g[:2] != input_size[:2]:
        raise RuntimeError(f"upsample_backward: grad_output of shape {shape_str(g)} does not match input size "
                           f"{shape_str(input_size)} in its batch and channel dims")
    if not grad.dtype.is_floating_point:
        raise RuntimeError(f"upsample_backward: expected a floating grad_output, got {TORCH_NAMES[grad.dtype]}")
    return input_size, grad.dtype


_UPSAMPLE = def_op("upsample", _meta_upsample)
_UPSAMPLE_BWD = def_op("upsample_backward", _meta_upsample_backward)


# --- autograd ---------------------------------------------------------------------------------

class _UpsampleNode(Node):
    """Backward of upsample: the gather-form adjoint ``upsample_backward``."""

    def backward(self, g):
        return (upsample_backward(g, self.in_size, self.mode, self.align_corners, self.scales),)


class _UpsampleBackwardNode(Node):
    """Backward of upsample_backward (linear in grad): upsample the incoming gradient again."""

    def backward(self, gg):
        return (_upsample(gg, self.out_size, self.mode, self.align_corners, self.scales),)


_NODES = {}


def _node_cls(mode, k, base, suffix):
    name = _NODE[(mode, k)] + suffix
    cls = _NODES.get(name)
    if cls is None:
        cls = _NODES[name] = type(name, (base,), {"__doc__": base.__doc__})
    return cls


def _upsample(x, size, mode, align_corners, scales):
    ac, sc = bool(align_corners), tuple(scales)
    return apply(_UPSAMPLE, (x, tuple(size), mode, ac, sc), _E, _node_cls(mode, len(size), _UpsampleNode, "Backward0"),
                 (x,), in_size=tuple(x._data.shape), mode=mode, align_corners=ac, scales=sc)


def upsample_backward(grad_output: Tensor, input_size: Sequence[int], mode: str, align_corners: bool,
                      scales: Sequence[float | None]) -> Tensor:
    """Input gradient of ``upsample`` (fused gather op; differentiable)."""
    ac, sc = bool(align_corners), tuple(scales)
    r = _UPSAMPLE_BWD.run((grad_output, tuple(input_size), mode, ac, sc), _E)
    # the node class is looked up once the meta has validated ``mode`` and the rank
    attach(_node_cls(mode, len(input_size) - 2, _UpsampleBackwardNode, "BackwardBackward0"), (grad_output,), r,
           out_size=tuple(grad_output._data.shape[2:]), mode=mode, align_corners=ac, scales=sc)
    return r


# --- public API -------------------------------------------------------------------------------

def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def interpolate(input: Tensor, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """``torch.nn.functional.interpolate`` for 3-D/4-D/5-D inputs (N, C, [D,] [H,] W): modes
    "nearest" (PyTorch's legacy ``floor(dst * scale)`` rule), "nearest-exact", "linear" (3-D),
    "bilinear" (4-D), "bicubic" (4-D; A = -0.75, taps clamped to the border), "trilinear" (5-D),
    "area" (``adaptive_avg_pool{1,2,3}d`` to the output size), ``align_corners`` as PyTorch.  With
    ``scale_factor`` the output size is ``floor(in * scale_factor)`` and, unless
    ``recompute_scale_factor=True`` (always so for "area"), the scale factor itself drives the
    coordinate transform.  ``antialias=True`` and bicubic on integer input raise
    NotImplementedError (tritorch deliberately differs here)."""
    check_tensor(input, "interpolate")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    shape = tuple(input._data.shape)
    dim = len(shape) - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError("Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(shape[2:])} and output size of {size}. Please "
                                 "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                                 "(o1, o2, ...,oK) format.")
            if not all(_is_int(s) for s in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            output_size = [int(s) for s in size]
        else:
            if not _is_int(size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(size)]}")
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(shape[2:])} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if antialias and not (mode in ("bilinear", "bicubic") and dim == 2):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a "
                         "4-D tensor as input")
    if antialias:
        raise NotImplementedError(f"interpolate: mode '{mode}' with antialias=True is not implemented in tritorch")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True  # PyTorch: area always works from the integer output size
    if (dim not in (1, 2, 3) or mode not in ("nearest", "nearest-exact", "area", "bicubic") + tuple(_LINEAR)
            or (mode == "bicubic" and dim != 2)):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {dim + 2}D) for the "
                                  "modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    if mode in _LINEAR and _LINEAR[mode] != dim + 2:
        raise NotImplementedError(f"Got {dim + 2}D input, but {mode} mode needs {_LINEAR[mode]}D input")
    if output_size is None:
        sizes = [_dtype.check_scalar(float(shape[i + 2]) * scale_factors[i], _dtype.int64) for i in range(dim)]
        output_size = [int(math.floor(n)) for n in sizes]
        if recompute_scale_factor:
            scale_factors = None
    if mode == "area":
        return _AREA[dim](input, output_size)
    scales = tuple(scale_factors) if scale_factors is not None else (None,) * dim
    op_mode = "linear" if mode in _LINEAR else ("cubic" if mode == "bicubic" else mode)
    align = bool(align_corners) if op_mode in ("linear", "cubic") else False
    return _upsample(input, output_size, op_mode, align, scales)


def _deprecated(name):
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.", UserWarning,
                  stacklevel=3)


def upsample(input: Tensor, size: int | Sequence[int] | None = None,
             scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of `interpolate` (warns, as PyTorch does)."""
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: int | Sequence[int] | None = None,
                     scale_factor: float | Sequence[float] | None = None) -> Tensor:
    """Deprecated: `interpolate` with mode="nearest" (warns, as PyTorch does)."""
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: int | Sequence[int] | None = None,
                      scale_factor: float | Sequence[float] | None = None) -> Tensor:
    """Deprecated: `interpolate` with mode="bilinear", align_corners=True (warns, as PyTorch does)."""
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


FUNCTIONAL = {"interpolate": interpolate, "upsample": upsample, "upsample_nearest": upsample_nearest,
              "upsample_bilinear": upsample_bilinear}
