"""Spatial transformer ops: ``torch.nn.functional.grid_sample`` and ``affine_grid``.

Two registry ops:
  * ``grid_sample(input, grid, mode, padding_mode, align_corners)``: input (N, C, H, W), grid
    (N, H_out, W_out, 2) of normalised (x, y) points in [-1, 1] -> (N, C, H_out, W_out).  ``mode``
    "bilinear" | "nearest" | "bicubic"; ``padding_mode`` "zeros" | "border" | "reflection"; the
    source coordinate, padding and cubic weights (A = -0.75) follow PyTorch's
    ``grid_sampler_compute_source_index`` and ``get_value_bounded``.
  * ``grid_sample_backward(grad, input, grid, mode, padding_mode, align_corners)`` ->
    (grad_input, grad_grid): the input gradient scatters grad_output back along the taps, the grid
    gradient differentiates the tap weights (zero for nearest), times the chain factor of
    unnormalising and padding (0 where border/reflection clip).

Node names follow PyTorch: ``GridSampler2DBackward0``; differentiating through the backward
(``GridSampler2DBackwardBackward0``, e.g. a gradient penalty) raises NotImplementedError.

``affine_grid`` is a composition: a constant base grid of (x, y, 1) points times ``theta``'s
transpose (``bmm``), so gradients w.r.t. ``theta`` come from bmm's autograd.

Not implemented (NotImplementedError): 5-D (volumetric) input to ``grid_sample``.
"""
from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._dtype import TORCH_NAMES
from ._common import def_op, Node, apply, check_tensor, shape_str
from .creation import linspace, ones, zeros
from .joining import stack
from .linalg import bmm

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = []
_E = {}
_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


def _check_common(x, grid):
    """PyTorch's ``check_grid_sampler_common`` / ``_2d`` / ``_3d``, in its order."""
    xs, gs = tuple(x._data.shape), tuple(grid._data.shape)
    if len(xs) < 1 or len(gs) < 1 or xs[0] != gs[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, but got input with sizes "
                           f"{shape_str(xs)} and grid with sizes {shape_str(gs)}")
    if gs[-1] != len(xs) - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {len(xs) - 2} in last dimension, but got grid "
                           f"with sizes {shape_str(gs)}")
    for i in range(2, len(xs)):
        if xs[i] <= 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {shape_str(xs)} with dimension {i} being empty")
    k = 4 if len(xs) == 4 else 5
    if len(xs) != k or len(gs) != k:
        raise RuntimeError(f"grid_sampler(): expected {k}D input and grid with same number of dimensions, but got "
                           f"input with sizes {shape_str(xs)} and grid with sizes {shape_str(gs)}")
    return k


def _meta_grid_sample(x, grid, mode, padding_mode, align_corners):
    """grid_sample: (N, C, H, W) sampled at (N, H_out, W_out, 2) -> (N, C, H_out, W_out)."""
    check_tensor(x, "grid_sampler")
    check_tensor(grid, "grid_sampler", "grid")
    if mode not in _MODES or padding_mode not in _PADDINGS:
        raise RuntimeError(f"grid_sampler(): bad mode '{mode}' or padding_mode '{padding_mode}'")
    k = _check_common(x, grid)
    if k == 5:
        if mode == "bicubic":
            raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
        raise NotImplementedError("grid_sampler(): 5-D (volumetric) input is not implemented in tritorch "
                                  "(4-D input only)")
    if x.dtype is not grid.dtype:
        raise RuntimeError(f"expected scalar type {TORCH_NAMES[x.dtype]} but found {TORCH_NAMES[grid.dtype]}")
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"grid_sampler_2d_cpu_kernel_impl\" not implemented for '{TORCH_NAMES[x.dtype]}'")
    xs, gs = tuple(x._data.shape), tuple(grid._data.shape)
    return (xs[0], xs[1], gs[1], gs[2]), x.dtype


def _meta_grid_sample_backward(grad, x, grid, mode, padding_mode, align_corners):
    """grid_sample_backward: (grad_input like input, grad_grid like grid)."""
    check_tensor(grad, "grid_sampler_2d_backward", "grad_output")
    out_shape, dt = _meta_grid_sample(x, grid, mode, padding_mode, align_corners)
    g = tuple(grad._data.shape)
    if g != out_shape:
        raise RuntimeError(f"grid_sampler_2d_backward: grad_output of shape {shape_str(g)} does not match the output "
                           f"shape {shape_str(out_shape)}")
    if grad.dtype is not dt:
        raise RuntimeError(f"expected scalar type {TORCH_NAMES[dt]} but found {TORCH_NAMES[grad.dtype]}")
    return (tuple(x._data.shape), dt), (tuple(grid._data.shape), dt)


_GRID_SAMPLE = def_op("grid_sample", _meta_grid_sample)
_GRID_SAMPLE_BWD = def_op("grid_sample_backward", _meta_grid_sample_backward, nout=2)


# --- autograd ---------------------------------------------------------------------------------

class GridSampler2DBackward0(Node):
    """Backward of grid_sample: both gradients from one fused ``grid_sample_backward``."""

    def backward(self, g):
        x, grid = self.saved_tensors
        gi, gg = grid_sample_backward(g, x, grid, *self.sampling)
        need = self.needs_input_grad
        return (gi if need[0] else None, gg if need[1] else None)


class GridSampler2DBackwardBackward0(Node):
    """Double backward of grid_sample: not implemented (raises when reached)."""

    def backward(self, *grads):
        raise NotImplementedError("the derivative of grid_sampler_2d_backward (double backward of grid_sample) is "
                                  "not implemented in tritorch")


def _grid_sample(x, grid, mode, padding_mode, align_corners):
    sampling = (mode, padding_mode, bool(align_corners))
    return apply(_GRID_SAMPLE, (x, grid) + sampling, _E, GridSampler2DBackward0, (x, grid), save=(x, grid),
                 sampling=sampling)


def grid_sample_backward(grad_output: Tensor, input: Tensor, grid: Tensor, mode: str, padding_mode: str,
                         align_corners: bool) -> tuple[Tensor, Tensor]:
    """(grad_input, grad_grid) of ``grid_sample`` (fused op; its own backward is not implemented)."""
    return apply(_GRID_SAMPLE_BWD, (grad_output, input, grid, mode, padding_mode, bool(align_corners)), _E,
                 GridSampler2DBackwardBackward0, (grad_output, input, grid))


# --- public API -------------------------------------------------------------------------------

def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """``torch.nn.functional.grid_sample``: sample ``input`` (N, C, H_in, W_in) at the normalised
    points of ``grid`` (N, H_out, W_out, 2), (x, y) in [-1, 1] -> (N, C, H_out, W_out).

    mode: "bilinear" | "nearest" (round half to even) | "bicubic" (A = -0.75); padding_mode:
    "zeros" | "border" | "reflection"; ``align_corners=None`` warns and means False, as PyTorch.
    Differentiable w.r.t. input and grid.  tritorch deliberately differs: 5-D input raises
    NotImplementedError, and double backward is not implemented."""
    if mode not in _MODES:
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    check_tensor(input, "grid_sampler")
    check_tensor(grid, "grid_sampler", "grid")
    if input.device != grid.device:
        raise RuntimeError(f"grid_sampler(): expected input and grid to be on same device, but input is on "
                           f"{input.device} and grid is on {grid.device}")
    return _grid_sample(input, grid, mode, padding_mode, align_corners)


def _base_axis(n, align_corners, like):
    """PyTorch's ``linspace_from_neg_one``: n points over [-1, 1] (pixel centres unless aligned)."""
    if n <= 1:
        return zeros((1,), dtype=like.dtype, device=like.device)
    r = linspace(-1, 1, n, dtype=like.dtype, device=like.device)
    return r if align_corners else r * ((n - 1) / n)


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """``torch.nn.functional.affine_grid``: the sampling grid of affine matrices ``theta``
    (N, 2, 3) for ``size`` (N, C, H, W) -> (N, H, W, 2), or (N, 3, 4) for (N, C, D, H, W) ->
    (N, D, H, W, 3).  Each point is ``theta @ (x, y, [z,] 1)`` over the base grid of normalised
    output pixel centres (corner centres at +-1 when ``align_corners``); differentiable w.r.t.
    ``theta``.  ``align_corners=None`` warns and means False, as PyTorch."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    check_tensor(theta, "affine_grid_generator", "theta")
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got torch.{theta.dtype.name}")
    shown = str(size)  # PyTorch's messages show ``size`` as given
    size = list(size)
    if not all(isinstance(s, numbers.Integral) for s in size):
        raise TypeError(f"affine_grid_generator(): argument 'size' must be tuple of ints, but got {size}")
    ts = tuple(theta.shape)
    if len(size) in (4, 5):
        k = len(size) - 2
        if len(ts) != 3 or ts[-2] != k or ts[-1] != k + 1:
            raise ValueError(f"Expected a batch of {k}D affine matrices of shape Nx{k}x{k + 1} for size "
                             f"{shown}. Got torch.Size({list(ts)}).")
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {shown}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", UserWarning, stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {shown}")
    # Coordinates in (x, y[, z]) order = the spatial dims reversed; each axis varies along its own dim.
    axes = []
    for j, n in enumerate(reversed(spatial)):
        view = [1] * k
        view[k - 1 - j] = n
        axes.append(_base_axis(n, align_corners, theta).reshape(view).expand(*spatial))
    axes.append(ones(tuple(spatial), dtype=theta.dtype, device=theta.device))
    base = stack(axes, -1).reshape(1, -1, k + 1).expand(size[0], -1, k + 1)
    return bmm(base, theta.transpose(1, 2)).reshape(size[0], *spatial, k)


FUNCTIONAL = {"grid_sample": grid_sample, "affine_grid": affine_grid}
