"""Scans along one dim: cumsum and cumprod (``dim`` required, ``dtype=``), with gradients.

The ``cumsum`` registry op has a ``reverse`` attribute (suffix sums): it is the gradient of
cumsum, and cumsum is its gradient, so both directions stay differentiable.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _dtype
from ._common import Tensor, def_op, Node, attach, method, wrap_dim, check_tensor
from .pointwise_ternary import where

if TYPE_CHECKING:
    from .._dtype import dtype

__all__ = ["cumsum", "cumprod"]
_E = {}
_REV = {"reverse": True}


def _scan_meta(op):
    def meta(x, dim, dtype=None, reverse=False):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
        if dtype is not None:
            return x._data.shape, dtype
        return x._data.shape, x.dtype if x.dtype.is_floating_point else _dtype.int64
    meta.__doc__ = (f"{op}: running {op[3:]} along dim; shape unchanged; ints/bool -> int64 unless dtype= "
                    "(reverse=True: suffix scan, the gradient direction).")
    return meta


_CUMSUM = def_op("cumsum", _scan_meta("cumsum"))
_CUMPROD = def_op("cumprod", _scan_meta("cumprod"))


class CumsumBackward0(Node):
    def backward(self, g):
        return (_cumsum(g, self.dim, None, not self.reverse).to(self.in_dtype),)


def _cumsum(x, dim, dtype, reverse):
    r = _CUMSUM.run((x, dim, dtype), _REV if reverse else _E)
    if r.dtype.is_floating_point:
        attach(CumsumBackward0, (x,), r, dim=dim, reverse=reverse, in_dtype=x.dtype)
    return r


class CumprodBackward0(Node):
    """grad_i = sum_{k>=i} g_k * prod_{j<=k, j!=i} x_j, exact with zeros in ``x``.

    Before the first zero z of a slice x_i != 0 and the term is suffix_sum(g * y)_i / x_i.
    At z it is sum_{k>=z} g_k * y'_k with y' = cumprod(x with x_z := 1); after z every term
    contains x_z = 0.  Denominators are made safe so no branch produces inf/nan.
    """

    def backward(self, g):
        x, y = self.saved_tensors
        d = self.dim
        x = x.to(g.dtype)
        is_zero = x == 0
        seen = is_zero.cumsum(d)
        before = seen == 0
        first = is_zero.logical_and(seen == 1)
        x_safe = where(before, x, 1.0)
        head = _cumsum(g * y.to(g.dtype), d, None, True) / x_safe
        y1 = where(first, 1.0, x).cumprod(d)
        at_zero = (g * y1 * seen.ne(0).to(g.dtype)).sum(d, keepdim=True)
        r = where(before, head, where(first, at_zero, 0.0))
        return (r.to(self.in_dtype),)


def _scan_dim(input, dim, name):
    check_tensor(input, name)
    if dim is None:
        raise TypeError(f"{name}(): argument 'dim' must be int, not None")
    return wrap_dim(dim, input._data.ndim, name)


@method()
def cumsum(input: Tensor, dim: int, *, dtype: dtype | None = None, out: Tensor | None = None) -> Tensor:
    """Running sum along ``dim``: out[i] = sum(input[:i+1]).  Ints/bool accumulate in int64."""
    d = _scan_dim(input, dim, "cumsum")
    if out is not None:
        return _CUMSUM.run_out((input, d, dtype), _E, out)
    return _cumsum(input, d, dtype, False)


@method()
def cumprod(input: Tensor, dim: int, *, dtype: dtype | None = None, out: Tensor | None = None) -> Tensor:
    """Running product along ``dim``; ints/bool accumulate in int64; gradient exact with zeros."""
    d = _scan_dim(input, dim, "cumprod")
    if out is not None:
        return _CUMPROD.run_out((input, d, dtype), _E, out)
    r = _CUMPROD.run((input, d, dtype), _E)
    if r.dtype.is_floating_point:
        attach(CumprodBackward0, (input,), r, (input, r), dim=d, in_dtype=input.dtype)
    return r


@method()
def cumsum_(self: Tensor, dim: int, *, dtype: dtype | None = None) -> Tensor:
    return self.copy_(cumsum(self, dim, dtype=dtype))


@method()
def cumprod_(self: Tensor, dim: int, *, dtype: dtype | None = None) -> Tensor:
    return self.copy_(cumprod(self, dim, dtype=dtype))
