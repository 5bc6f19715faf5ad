"""Meta functions (shape + dtype rules, user errors) of the elementwise ops.

Pure shape/dtype logic shared by `pointwise.py`, `pointwise_unary.py` and
`pointwise_ternary.py`.  Dtype support follows PyTorch's CPU kernels: an op that PyTorch
does not implement for a dtype raises ``NotImplementedError`` (a ``RuntimeError``)
naming the op and the dtype with PyTorch's names ('Bool', 'Long', 'Float', ...).
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

from .. import _dtype
from .._dtype import get_default_dtype
from ._common import Tensor, broadcast_shapes, promote, shape_str, Scalar, Shape

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._dtype import dtype

# PyTorch's ScalarType names, used in messages so users see what PyTorch would print.
TORCH_NAMES = _dtype.TORCH_NAMES
# C++ type names, as some PyTorch messages print them ("expected dtype float ... got dtype double").
_C_NAMES = _dtype.C_NAMES
SUB_BOOL_MSG = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert "
                "a mask, use the `~` or `logical_not()` operator instead.")
NEG_BOOL_MSG = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a "
                "mask, use the `~` or `logical_not()` operator instead.")


def not_impl(op: str, dt: dtype) -> NotImplementedError:
    return NotImplementedError(f"\"{op}\" not implemented for '{TORCH_NAMES[dt]}'")


def kind(dt: dtype) -> str:
    """'b' bool, 'i' integer, 'f' floating."""
    return "f" if dt.is_floating_point else ("b" if dt is _dtype.bool else "i")


def shape_of(x: Tensor | Scalar) -> Shape:
    return x._data.shape if isinstance(x, Tensor) else ()


def type_name(x: object) -> str:
    return type(x).__name__


def _check_arg(x, op, arg, pos, scalar_ok):
    if isinstance(x, Tensor):
        return
    if scalar_ok and isinstance(x, numbers.Number) and not isinstance(x, complex):
        _dtype.check_wrapped_int(x)  # > 64-bit ints: PyTorch's OverflowError, on every device
        return
    want = "Tensor or Number" if scalar_ok else "Tensor"
    raise TypeError(f"{op}(): argument '{arg}' (position {pos}) must be {want}, not {type_name(x)}")


def binary_meta(op: str, *, scalars: str = "both", result: str = "promote", allow: str = "bif",
                bool_msg: str | None = None) -> Callable[..., tuple[Shape, dtype]]:
    """Meta factory for ``op(input, other)``.

    scalars: which operands may be Python numbers ("both", "other", "none").
    result: "promote" (common dtype), "float" (ints -> default float), "bool".
    allow: categories of the common dtype the op supports ('b', 'i', 'f').
    bool_msg: message of the RuntimeError raised when any operand is bool (``sub``).
    """
    a_ok = scalars == "both"
    b_ok = scalars != "none"

    def meta(a: Tensor | Scalar, b: Tensor | Scalar, *extra: Any) -> tuple[Shape, dtype]:
        ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
        if not ta or not tb:
            _check_arg(a, op, "input", 1, a_ok or not tb)
            _check_arg(b, op, "other", 2, b_ok)
            if not ta and not tb:
                raise TypeError(f"{op}(): expected at least one Tensor argument, got {type_name(a)} and "
                                f"{type_name(b)}")
        if ta and tb:
            sa, sb = a._data.shape, b._data.shape
            shape = sa if sa == sb else broadcast_shapes(sa, sb, op=op)
        else:
            shape = a._data.shape if ta else b._data.shape
        dt = promote(a, b)
        if bool_msg is not None and (_is_bool(a) or _is_bool(b)):
            raise RuntimeError(bool_msg)
        if kind(dt) not in allow:
            raise not_impl(op, dt)
        if result == "bool":
            return shape, _dtype.bool
        if result == "float" and not dt.is_floating_point:
            return shape, get_default_dtype()
        return shape, dt
    meta.__doc__ = f"{op}(input, other): broadcast the operands; PyTorch type promotion."
    return meta


def _is_bool(x):
    return x.dtype is _dtype.bool if isinstance(x, Tensor) else isinstance(x, bool)


_I64_OVER = 1 << 63


def add_meta(op: str) -> Callable[..., tuple[Shape, dtype]]:
    """Meta of ``add``/``sub`` (input, other, alpha): promotion plus PyTorch's alpha checks."""
    base = binary_meta(op, bool_msg=SUB_BOOL_MSG if op == "sub" else None)

    def meta(a: Tensor | Scalar, b: Tensor | Scalar, alpha: Scalar = 1) -> tuple[Shape, dtype]:
        _dtype.check_wrapped_int(alpha)
        shape, dt = base(a, b)
        if alpha != 1:
            if isinstance(alpha, bool) and dt is not _dtype.bool:
                raise RuntimeError("Boolean alpha only supported for Boolean results.")
            if isinstance(alpha, float) and not dt.is_floating_point:
                raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
            # PyTorch converts alpha to the result type; sub adds -alpha, negated as an int64 Scalar
            # (-(-2**63) wraps to itself).
            v = alpha
            if op == "sub" and not isinstance(alpha, bool):
                v = -alpha
                if v == _I64_OVER:
                    v = -v
            _dtype.check_scalar(v, dt)
        return shape, dt
    meta.__doc__ = f"{op}(input, other, alpha): input {'+-'[op == 'sub']} alpha * other, broadcast and promoted."
    return meta


def div_meta(a: Tensor | Scalar, b: Tensor | Scalar, rounding_mode: str | None = None) -> tuple[Shape, dtype]:
    """div(input, other, rounding_mode): true division gives a float; 'trunc'/'floor' keep ints."""
    if rounding_mode not in (None, "floor", "trunc"):
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                         f"'{rounding_mode}'")
    shape, dt = _DIV_BASE(a, b)
    if rounding_mode is None:
        return shape, dt if dt.is_floating_point else get_default_dtype()
    if dt is _dtype.bool:
        raise not_impl("div_" + rounding_mode + "_", dt)
    return shape, dt


_DIV_BASE = binary_meta("div")


def pow_meta(a: Tensor | Scalar, b: Tensor | Scalar) -> tuple[Shape, dtype]:
    """pow(input, exponent): PyTorch promotion; integer bases to negative scalar powers are an error."""
    if isinstance(b, bool) and isinstance(a, Tensor) and a.dtype is _dtype.bool:
        return a._data.shape, _dtype.bool
    shape, dt = _POW_BASE(a, b)
    if isinstance(b, numbers.Number) and isinstance(a, Tensor) and (not dt.is_floating_point or dt.itemsize == 2):
        if isinstance(b, int) and not isinstance(b, bool):  # an int exponent is an int64 Scalar first
            _dtype.check_scalar(b, _dtype.int64)
        _dtype.check_scalar(b, dt)
    if not dt.is_floating_point and isinstance(b, numbers.Number) and not isinstance(a, numbers.Number) and b < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return shape, dt


_POW_BASE = binary_meta("pow", allow="if")


def unary_meta(op: str, result: str = "same", allow: str = "bif",
               bool_msg: str | None = None) -> Callable[..., tuple[Shape, dtype]]:
    """Meta factory of ``op(input)``: result "same" dtype, "float" (ints -> default float) or "bool"."""
    def meta(x: Tensor, *attrs: Any) -> tuple[Shape, dtype]:
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type_name(x)}")
        dt = x.dtype
        if bool_msg is not None and dt is _dtype.bool:
            raise RuntimeError(bool_msg)
        if kind(dt) not in allow:
            raise not_impl(op, dt)
        if result == "bool":
            return x._data.shape, _dtype.bool
        if result == "float" and not dt.is_floating_point:
            return x._data.shape, get_default_dtype()
        return x._data.shape, dt
    meta.__doc__ = f"{op}(input): elementwise, output has input's shape."
    return meta


def round_meta(x: Tensor, decimals: int = 0) -> tuple[Shape, dtype]:
    """round(input, decimals): same dtype; integers only without decimals (a copy)."""
    shape, dt = _ROUND_BASE(x)
    if decimals and not dt.is_floating_point:
        raise not_impl("round", dt)
    return shape, dt


_ROUND_BASE = unary_meta("round", allow="if")


def nan_to_num_meta(x: Tensor, nan: float = 0.0, posinf: float | None = None,
                    neginf: float | None = None) -> tuple[Shape, dtype]:
    """nan_to_num: same shape and dtype (integers and bools are copied)."""
    for name, v in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if v is not None and not isinstance(v, numbers.Real):
            raise TypeError(f"nan_to_num(): argument '{name}' must be float, not {type_name(v)}")
    return _NAN_BASE(x)


_NAN_BASE = unary_meta("nan_to_num")


def where_meta(cond: Tensor, a: Tensor | Scalar, b: Tensor | Scalar) -> tuple[Shape, dtype]:
    """where(condition, input, other): broadcast all three; condition must be bool."""
    if not isinstance(cond, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not {type_name(cond)}")
    if cond.dtype is not _dtype.bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{TORCH_NAMES[cond.dtype]}")
    _check_arg(a, "where", "input", 2, True)
    _check_arg(b, "where", "other", 3, True)
    shape = broadcast_shapes(cond._data.shape, shape_of(a), op="where")
    shape = broadcast_shapes(shape, shape_of(b), op="where")
    dt = promote(a, b)
    for v, t in ((a, b), (b, a)):
        if isinstance(v, int) and v >= _I64_OVER and isinstance(t, Tensor):
            _dtype.wrap_uint64(v, t.dtype)  # a uint64 Scalar: PyTorch's promotion error with a bool tensor
        if not isinstance(v, Tensor) and (dt.itemsize != 2 or not dt.is_floating_point):
            _dtype.check_scalar(v, dt)  # (numbers go into half types rounded, unchecked)
    return shape, dt


def lerp_meta(a: Tensor, b: Tensor, w: Tensor | Scalar) -> tuple[Shape, dtype]:
    """lerp(input, end, weight): input + weight * (end - input), all three broadcast; floats only."""
    _check_arg(a, "lerp", "input", 1, False)
    _check_arg(b, "lerp", "end", 2, False)
    _check_arg(w, "lerp", "weight", 3, True)
    dt = a.dtype
    if b.dtype is not dt:
        raise RuntimeError(f"expected dtype {_C_NAMES[dt]} for `end` but got dtype {_C_NAMES[b.dtype]}")
    if isinstance(w, Tensor) and w._data.ndim and w.dtype is not dt:
        raise RuntimeError(f"expected dtype {_C_NAMES[dt]} for `weight` but got dtype {_C_NAMES[w.dtype]}")
    if not dt.is_floating_point:
        raise not_impl("lerp_kernel_scalar" if not isinstance(w, Tensor) else "lerp_kernel_tensor", dt)
    shape = broadcast_shapes(a._data.shape, b._data.shape, op="lerp")
    shape = broadcast_shapes(shape, shape_of(w), op="lerp")
    if not isinstance(w, Tensor):
        _dtype.check_scalar(w, _dtype.opmath(dt))
    return shape, dt


def clamp_meta(x: Tensor, lo: Tensor | Scalar | None, hi: Tensor | Scalar | None) -> tuple[Shape, dtype]:
    """clamp(input, min, max): min/max are numbers, broadcastable tensors or None (not both)."""
    _check_arg(x, "clamp", "input", 1, False)
    if lo is None and hi is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    shape = x._data.shape
    for name, v in (("min", lo), ("max", hi)):
        if isinstance(v, Tensor):
            shape = broadcast_shapes(shape, v._data.shape, op="clamp")
        elif v is not None:
            _check_arg(v, "clamp", name, 2 if name == "min" else 3, True)
    dt = promote(x, lo, hi)
    if dt is _dtype.bool:
        raise not_impl("clamp", dt)
    for v in (lo, hi):
        if v is not None and not isinstance(v, Tensor):
            _dtype.check_scalar(v, dt)
    return shape, dt


def to_copy_meta(x: Tensor, dtype: dtype) -> tuple[Shape, dtype]:
    """to_copy(input, dtype): a new contiguous tensor of input's shape with ``dtype``."""
    if not isinstance(dtype, _dtype.dtype):
        raise TypeError(f"to(): argument 'dtype' must be tritorch.dtype, not {type_name(dtype)}")
    return x._data.shape, dtype


def copy_meta(dst: Tensor, src: Tensor) -> tuple[Shape, dtype]:
    """copy_(self, src): ``src`` (broadcast to self's shape, cast to self's dtype) written into self."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' (position 1) must be Tensor, not {type_name(src)}")
    ds, ss = dst._data.shape, src._data.shape
    if ds != ss:
        try:
            ok = broadcast_shapes(ds, ss, op="copy_") == ds
        except RuntimeError:
            ok = False
        if not ok:
            raise RuntimeError(f"copy_: the source of shape {shape_str(ss)} can't be broadcast to the "
                               f"destination of shape {shape_str(ds)}")
    return ds, dst.dtype


def clone_meta(x: Tensor) -> tuple[Shape, dtype]:
    """clone(input): a contiguous copy, same shape and dtype."""
    return x._data.shape, x.dtype
