"""Whole-tensor comparisons: isclose (elementwise, broadcasting), allclose and equal
(Python bools, built on isclose / eq + all)."""
from __future__ import annotations

from .. import _dtype
from ._common import Tensor, def_op, method, broadcast_shapes, check_tensor
from .reduction_meta import torch_name

__all__ = ["isclose", "allclose", "equal"]


def _meta_isclose(a, b, rtol, atol, equal_nan):
    """isclose: |a - b| <= atol + rtol * |b| (or a == b; NaN == NaN with equal_nan); broadcast; bool."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("isclose(): arguments 'input' and 'other' must be Tensors")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{torch_name(a.dtype)} did not match {torch_name(b.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    return broadcast_shapes(a._data.shape, b._data.shape, op="isclose"), _dtype.bool


_ISCLOSE = def_op("isclose", _meta_isclose)


@method()
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (inf only equals itself);
    same dtypes required, shapes broadcast.  Returns a bool tensor."""
    return _ISCLOSE.run((input, other, rtol, atol, equal_nan), {})


@method()
def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """``isclose(...).all()`` as a Python bool."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all().item())


@method()
def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and equal elements (NaN != NaN)."""
    check_tensor(input, "equal")
    check_tensor(other, "equal", "other")
    if input._data.shape != other._data.shape:
        return False
    return bool((input == other).all().item())
