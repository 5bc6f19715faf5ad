"""Elementwise ops with three operands: `where`, `lerp`, `clamp` (and `addcmul`/`addcdiv`,
compositions of registry ops).  All operands broadcast to the output shape."""
from __future__ import annotations

import warnings

from .. import _dtype
from ._common import Tensor, def_op, Node, record, STATE, method, promote, Scalar
from .pointwise_meta import where_meta, lerp_meta, clamp_meta, shape_of
from .pointwise_copy import sum_to, _inplace, _E

__all__ = ["where", "lerp", "clamp", "clip", "clamp_min", "clamp_max", "addcmul", "addcdiv"]


def _g(x):
    return x if isinstance(x, Tensor) else None


def _rg(x):
    return isinstance(x, Tensor) and x._requires_grad


# ---- where ---------------------------------------------------------------------------------------
_WHERE = def_op("where", where_meta)


class WhereBackward0(Node):
    def backward(self, g):
        cond, = self.saved_tensors
        n = self.needs_input_grad
        return (None,
                sum_to(where(cond, g, 0.0), self.sa) if n[1] else None,
                sum_to(where(cond, 0.0, g), self.sb) if n[2] else None)


def where(condition: Tensor, input: Tensor | Scalar | None = None, other: Tensor | Scalar | None = None, *,
          out: Tensor | None = None) -> Tensor | tuple[Tensor, ...]:
    """``condition ? input : other`` elementwise; input/other may be Python numbers.

    Shapes: condition (bool; uint8 is read as ``!= 0`` with PyTorch's deprecation warning), input
    and other broadcast together.  The one-argument form ``where(condition)`` is
    ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if isinstance(condition, Tensor) and condition.dtype is _dtype.uint8:
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and will be removed "
                      "in a future version of PyTorch. Use a boolean condition instead.", UserWarning, stacklevel=2)
        condition = condition != 0
    if out is not None:
        return _WHERE.run_out((condition, input, other), _E, out)
    r = _WHERE.run((condition, input, other), _E)
    if STATE.enabled and (_rg(input) or _rg(other)) and r.dtype.is_floating_point:
        n = WhereBackward0()
        n.save_for_backward(condition)
        n.sa, n.sb = shape_of(input), shape_of(other)
        record(n, (None, input if _rg(input) else None, other if _rg(other) else None), (r,))
    return r


@method("where")
def _where_method(self: Tensor, condition: Tensor, other: Tensor | Scalar) -> Tensor:
    """``self.where(condition, other)`` is ``where(condition, self, other)`` (PyTorch's order)."""
    return where(condition, self, other)


# ---- lerp ----------------------------------------------------------------------------------------
_LERP = def_op("lerp", lerp_meta)


class LerpBackward0(Node):
    def backward(self, g):
        a, b, w = self.saved_tensors
        wv = w if w is not None else self.w
        n = self.needs_input_grad
        return (sum_to(g * (1 - wv), a._data.shape) if n[0] else None,
                sum_to(g * wv, b._data.shape) if n[1] else None,
                sum_to(g * (b - a), w._data.shape) if n[2] else None)


@method()
def lerp(input: Tensor, end: Tensor, weight: Tensor | Scalar, *, out: Tensor | None = None) -> Tensor:
    """``input + weight * (end - input)``; weight is a number or a broadcastable tensor."""
    if out is not None:
        return _LERP.run_out((input, end, weight), _E, out)
    r = _LERP.run((input, end, weight), _E)
    if STATE.enabled and (input._requires_grad or end._requires_grad or _rg(weight)):
        n = LerpBackward0()
        n.save_for_backward(input, end, _g(weight))
        n.w = weight
        record(n, (input, end, weight if _rg(weight) else None), (r,))
    return r


@method()
def lerp_(self: Tensor, end: Tensor, weight: Tensor | Scalar) -> Tensor:
    r = _inplace(self, lerp, end, weight)
    return r if r is not None else _LERP.run_inplace(self, (self, end, weight), _E)


# ---- clamp ---------------------------------------------------------------------------------------
_CLAMP = def_op("clamp", clamp_meta)


class ClampBackward1(Node):
    def backward(self, g):
        x, lo, hi = self.saved_tensors
        lo = lo if lo is not None else self.lo
        hi = hi if hi is not None else self.hi
        n = self.needs_input_grad
        gx = glo = ghi = None
        if n[0]:
            mask = None
            if lo is not None:
                mask = x >= lo
            if hi is not None:
                mask = (x <= hi) if mask is None else mask.logical_and(x <= hi)
            gx = sum_to(where(mask, g, 0.0), x._data.shape)
        if n[1]:
            m = x < lo
            if hi is not None:
                m = m.logical_and(lo < hi)
            glo = sum_to(where(m, g, 0.0), lo._data.shape)
        if n[2]:
            m = x > hi
            if lo is not None:
                m = m.logical_or(lo > hi)
            ghi = sum_to(where(m, g, 0.0), hi._data.shape)
        return gx, glo, ghi


@method("clamp", "clip")
def clamp(input: Tensor, min: Tensor | Scalar | None = None, max: Tensor | Scalar | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """Clamp every element into [min, max]; each bound a number, a broadcastable tensor or
    None.  Where min > max the result is max, as in PyTorch.  NaN inputs stay NaN."""
    if out is not None:
        return _CLAMP.run_out((input, min, max), _E, out)
    r = _CLAMP.run((input, min, max), _E)
    if STATE.enabled and (input._requires_grad or _rg(min) or _rg(max)) and r.dtype.is_floating_point:
        n = ClampBackward1()
        n.save_for_backward(input, _g(min), _g(max))
        n.lo, n.hi = min, max
        record(n, (input, min if _rg(min) else None, max if _rg(max) else None), (r,))
    return r


clip = clamp


@method("clamp_", "clip_")
def clamp_(self: Tensor, min: Tensor | Scalar | None = None, max: Tensor | Scalar | None = None) -> Tensor:
    r = _inplace(self, clamp, min, max)
    return r if r is not None else _CLAMP.run_inplace(self, (self, min, max), _E)


@method()
def clamp_min(input: Tensor, min: Tensor | Scalar) -> Tensor:
    return clamp(input, min=min)


@method()
def clamp_max(input: Tensor, max: Tensor | Scalar) -> Tensor:
    return clamp(input, max=max)


@method()
def clamp_min_(self: Tensor, min: Tensor | Scalar) -> Tensor:
    return clamp_(self, min=min)


@method()
def clamp_max_(self: Tensor, max: Tensor | Scalar) -> Tensor:
    return clamp_(self, max=max)


# ---- addcmul / addcdiv ----------------------------------------------------------------------------
def _check_value(op, input, tensor1, tensor2, value):
    """PyTorch's checks of ``value``: the result type must not be bool, and the number must fit it
    (floating results: their compute type, float32 for half types)."""
    _dtype.check_wrapped_int(value)
    if value == 1 or not isinstance(input, Tensor):
        return
    dt = promote(input, tensor1, tensor2)
    if dt is _dtype.bool:
        raise NotImplementedError(f"\"{op}_cpu_out\" not implemented for 'Bool'")
    _dtype.check_number(value, _dtype.opmath(dt))


@method()
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Scalar = 1, out: Tensor | None = None) -> Tensor:
    """``input + value * tensor1 * tensor2`` (all three broadcast)."""
    _check_value("addcmul", input, tensor1, tensor2, value)
    prod = tensor1 * tensor2
    return input.add(prod if value == 1 else prod * value, out=out)


@method()
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Scalar = 1, out: Tensor | None = None) -> Tensor:
    """``input + value * tensor1 / tensor2``; integer tensor1/tensor2 are an error, as in PyTorch."""
    _dtype.check_wrapped_int(value)  # unpacking the argument comes first
    if not tensor1.dtype.is_floating_point and not tensor2.dtype.is_floating_point:
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release "
                           "addcdiv will perform a true division of tensor1 and tensor2. Use "
                           "torch.addcmul(input, tensor1, torch.true_divide(tensor2, tensor1)) instead.")
    _check_value("addcdiv", input, tensor1, tensor2, value)
    q = tensor1 / tensor2
    return input.add(q if value == 1 else q * value, out=out)


@method()
def addcmul_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Scalar = 1) -> Tensor:
    _check_value("addcmul", self, tensor1, tensor2, value)
    prod = tensor1 * tensor2
    return self.add_(prod if value == 1 else prod * value)


@method()
def addcdiv_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Scalar = 1) -> Tensor:
    _check_value("addcdiv", self, tensor1, tensor2, value)
    q = tensor1 / tensor2
    return self.add_(q if value == 1 else q * value)
