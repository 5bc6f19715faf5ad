"""Casts and copies (`to_copy`, `clone`, `copy_`, `fill_`, `zero_`) and the helpers every
elementwise op uses: `sum_to` (un-broadcast a gradient), `_inplace` (in-place ops under
autograd) and `_ZeroBackward` (ops whose gradient is zero almost everywhere).
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

from .. import _dtype
from ._common import Tensor, def_op, Node, record, STATE, method, shape_str, apply, Scalar
from . import creation
from .shape_grad import rebase_view_history
from .pointwise_meta import TORCH_NAMES, to_copy_meta, copy_meta, clone_meta

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .._dtype import dtype

__all__ = ["clone"]
_E = {}
_LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."


def sum_to(g: Tensor, shape: Sequence[int]) -> Tensor:
    """Sum ``g`` over broadcast dims so it has ``shape`` (un-does broadcasting)."""
    gs = g._data.shape
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    dims = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and gs[lead + i] != 1:
            dims.append(lead + i)
    r = g.sum(dims, keepdim=True) if dims else g
    return r.reshape(shape) if lead or r._data.shape != shape else r


class _ZeroBackward(Node):
    """Gradient zero for every input (floor, round, sign, rounding division...).

    ``shapes``: the input shapes (one per recorded input)."""

    def backward(self, g):
        return tuple(g.new_zeros(s) if need else None for s, need in zip(self.shapes, self.needs_input_grad))


_TO_COPY = def_op("to_copy", to_copy_meta)
_COPY = def_op("copy_", copy_meta)
_CLONE = def_op("clone", clone_meta)


def _inplace(self: Tensor, fn: Callable[..., Tensor], *args: Any, **kw: Any) -> Tensor | None:
    """In-place op ``self.op_(...)`` under autograd: compute ``fn(self, ...)`` out of place on a
    copy of ``self``, write the result into ``self`` and move ``self``'s history onto it.

    Returns None when autograd is not involved (the caller then runs the registry's in-place
    path, which checks shape and result type itself)."""
    if not STATE.enabled or not (self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad
                                                               for a in args)):
        return None
    if self.grad_fn is None and self._requires_grad:
        raise RuntimeError(_LEAF_MSG)
    # A copy, not self: the new node may save its input, and self is about to be overwritten.
    r = fn(self.clone(), *args, **kw)
    if r.dtype is not self.dtype and not _dtype.can_cast(r.dtype, self.dtype):
        raise RuntimeError(f"result type {TORCH_NAMES[r.dtype]} can't be cast to the desired output type "
                           f"{TORCH_NAMES[self.dtype]}")
    if r._data.shape != self._data.shape:
        raise RuntimeError(f"output with shape {shape_str(self._data.shape)} doesn't match the broadcast "
                           f"shape {shape_str(r._data.shape)}")
    _COPY.run_inplace(self, (self, r.detach()), _E)
    _take_history(self, r)
    return self


def _take_history(self, r):
    """``self`` was overwritten in place with ``r``'s values: make its history ``r``'s.  For a
    view, the base's history is rebased too (PyTorch's CopySlices), so gradients through the
    base see the in-place op."""
    base = self._base
    if base is not None and (base._requires_grad or r._requires_grad):
        rebase_view_history(self, r)
    elif r.grad_fn is not None:
        self.grad_fn = r.grad_fn
        self._output_nr = r._output_nr
        self._requires_grad = True


# ---- casts ---------------------------------------------------------------------------------------
class ToCopyBackward0(Node):
    """Backward of a cast and/or device move: the gradient goes back to the source's dtype
    (and device, when ``src_device`` is set)."""

    src_device = None

    def backward(self, g):
        return (g.to(self.src_device, self.src_dtype),)


def cast(input: Tensor, dtype: dtype) -> Tensor:
    """A copy of ``input`` converted to ``dtype`` (differentiable between float dtypes)."""
    if not dtype.is_floating_point:
        return _TO_COPY.run((input, dtype), _E)
    return apply(_TO_COPY, (input, dtype), _E, ToCopyBackward0, (input,), src_dtype=input.dtype)


class CloneBackward0(Node):
    def backward(self, g):
        return (g,)


@method()
def clone(input: Tensor, *, memory_format: object = None) -> Tensor:
    """A contiguous copy of ``input`` (differentiable). Output: input's shape and dtype."""
    return apply(_CLONE, (input,), _E, CloneBackward0, (input,))


class CopyBackwards(Node):
    def backward(self, g):
        n = self.needs_input_grad
        return (g.new_zeros(g.shape) if n[0] else None,
                sum_to(g, self.src_shape).to(self.src_dtype) if n[1] else None)


@method()
def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast to self's shape, cast to self's dtype; across devices too) into
    ``self``; returns self.  Differentiable with respect to ``src``."""
    if isinstance(src, Tensor) and src.device is not self.device:
        src = src.to(self.device)
    if STATE.enabled and isinstance(src, Tensor) and (self._requires_grad or src._requires_grad):
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError(_LEAF_MSG)
        _COPY.run_inplace(self, (self, src.detach()), _E)
        if self._base is not None:
            _take_history(self, src.to(self.dtype).expand(self._data.shape))
            return self
        n = CopyBackwards()
        n.src_shape, n.src_dtype = src._data.shape, src.dtype
        record(n, (self if self._requires_grad else None, src if src._requires_grad else None), (self,))
        return self
    return _COPY.run_inplace(self, (self, src), _E)


@method()
def fill_(self: Tensor, value: Scalar | Tensor) -> Tensor:
    """Set every element to ``value`` (a number or a 0-d tensor, differentiable); returns self."""
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        if value._storage is self._storage:  # read once before writing: PyTorch allows x.fill_(x[0])
            value = value.clone()
        return copy_(self, value.expand(self.shape) if value._requires_grad else value)
    if not isinstance(value, numbers.Number) or isinstance(value, complex):
        raise TypeError(f"fill_(): argument 'value' (position 1) must be Number, not {type(value).__name__}")
    _dtype.check_wrapped_int(value)
    grad = STATE.enabled and self._requires_grad
    if grad and self.grad_fn is None:
        raise RuntimeError(_LEAF_MSG)
    src = creation.full((), value, dtype=self.dtype, device=self.device)
    _COPY.run_inplace(self, (self, src), _E, allow_overlap=True)  # PyTorch's fill_ accepts expanded tensors
    if grad:
        n = _ZeroBackward()
        n.shapes = (self._data.shape,)
        record(n, (None,), (self,))
    return self


@method()
def zero_(self: Tensor) -> Tensor:
    """Fill with zeros; returns self."""
    return fill_(self, 0)
