"""Elementwise binary ops: arithmetic (with the reflected and in-place operators),
comparisons, logical and bitwise ops, with their gradients.

Each op is one registry op whose meta broadcasts and applies PyTorch's type promotion
(`pointwise_meta.py`); backward formulas are tensor ops, so they are differentiable again.
Unary ops live in `pointwise_unary.py`, `where`/`lerp`/`clamp` in `pointwise_ternary.py`,
casts and copies in `pointwise_copy.py` (each exported by `tritorch/__init__.py`).
"""
from __future__ import annotations

import numbers

from .. import _dtype
from ._common import Tensor, def_op, Node, record, STATE, method, Scalar
from .pointwise_meta import (binary_meta, add_meta, div_meta, pow_meta, shape_of, TORCH_NAMES)
from .pointwise_copy import sum_to, cast, _inplace, _ZeroBackward, _E
from .pointwise_ternary import where

__all__ = []


def _export(fn, *methods):
    __all__.append(fn.__name__)
    method(*methods)(fn)
    return fn


def _g(x):
    return x if isinstance(x, Tensor) else None


# ---- gradients ----------------------------------------------------------------------------------
class _BinaryBackward(Node):
    """Backward of ``op(a, b)``: ``grads(g, a, b, need_a, need_b)`` -> (ga, gb) before un-broadcasting.
    Python-number operands are kept as plain attributes (``sa``/``sb``)."""

    def backward(self, g):
        a, b = self.saved_tensors
        n = self.needs_input_grad
        ga, gb = self.grads(g, a if a is not None else self.sa, b if b is not None else self.sb, n[0], n[1])
        return (sum_to(ga, a._data.shape) if n[0] else None,
                sum_to(gb, b._data.shape) if n[1] else None)


def _grad_mul(g, a, b, na, nb):
    return (g * b if na else None), (g * a if nb else None)


def _grad_div(g, a, b, na, nb):
    return (g / b if na else None), (-g * a / (b * b) if nb else None)


def _grad_pow(g, a, b, na, nb):
    ga = gb = None
    if na:
        if isinstance(b, Tensor):
            ga = where(b == 0, 0.0, g * b * a.pow(b - 1))
        else:
            ga = g * 0 if b == 0 else g * b * a.pow(b - 1)
    if nb:
        base = a if isinstance(a, Tensor) else b.new_full((), a)
        out = base.pow(b)
        # PyTorch's rule: d/db is zero where base == 0 and b >= 0, NaN for negative bases.
        gb = g * where((base == 0).logical_and(b >= 0), 0.0, out * base.log())
    return ga, gb


def _grad_maximum(g, a, b, na, nb):
    m = (a > b).to(g.dtype) + (a == b).to(g.dtype) * 0.5
    return g * m, g * (1 - m)


def _grad_minimum(g, a, b, na, nb):
    m = (a < b).to(g.dtype) + (a == b).to(g.dtype) * 0.5
    return g * m, g * (1 - m)


def _grad_fmax(g, a, b, na, nb):
    m = (a >= b).logical_or(b.isnan()).to(g.dtype)
    return g * m, g * (1 - m)


def _grad_fmin(g, a, b, na, nb):
    m = (a <= b).logical_or(b.isnan()).to(g.dtype)
    return g * m, g * (1 - m)


def _grad_atan2(g, a, b, na, nb):
    d = a * a + b * b
    return (g * b / d if na else None), (-g * a / d if nb else None)


def _grad_hypot(g, a, b, na, nb):
    h = hypot(a, b)
    return (g * a / h if na else None), (g * b / h if nb else None)


def _grad_remainder(g, a, b, na, nb):
    return g, (-g * div(a, b, rounding_mode="floor") if nb else None)


def _grad_fmod(g, a, b, na, nb):
    return g, (-g * div(a, b, rounding_mode="trunc") if nb else None)


def _node(name, grads):
    return type(name, (_BinaryBackward,), {"grads": staticmethod(grads)})


MulBackward0 = _node("MulBackward0", _grad_mul)
DivBackward0 = _node("DivBackward0", _grad_div)
PowBackward0 = _node("PowBackward0", _grad_pow)

# ---- the generic binary op ----------------------------------------------------------------------
_NUMBER = (Tensor, numbers.Number)
_U64_LO, _U64_HI = 1 << 63, 1 << 64


def _u64(x, other):
    """``x`` as PyTorch reads a Python int in [2**63, 2**64) operating with tensor ``other`` (a
    uint64 Scalar: its int64 bits for integer tensors, see ``_dtype.wrap_uint64``); anything else
    unchanged (larger ints fail in meta with PyTorch's OverflowError)."""
    if x.__class__ is int and _U64_LO <= x < _U64_HI and isinstance(other, Tensor):
        return _dtype.wrap_uint64(x, other.dtype)
    return x


def _binary_call(op, node_cls, a, b, out, extra=(), wrap=True):
    if wrap:
        a = _u64(a, b)
        if wrap is True:
            b = _u64(b, a)
    if out is not None:
        return op.run_out((a, b) + extra, _E, out)
    r = op.run((a, b) + extra, _E)
    if node_cls is not None and STATE.enabled:
        ra = isinstance(a, Tensor) and a._requires_grad
        rb = isinstance(b, Tensor) and b._requires_grad
        if (ra or rb) and r.dtype.is_floating_point:
            n = node_cls()
            n.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)
            n.sa, n.sb = a, b
            record(n, (a if ra else None, b if rb else None), (r,))
    return r


def _make_binary(name, meta, node_cls=None, methods=(), rname=None, iname=None, doc=None, wrap=True):
    """Registry op ``name`` + public function + Tensor methods (reflected ``rname``, in-place ``iname``).
    ``wrap``: Python ints in [2**63, 2**64) operate as PyTorch's uint64 Scalar (`_u64`); "input": only
    as the first operand (pow's meta checks an exponent's range)."""
    op = def_op(name, meta)

    def fn(input: Tensor | Scalar, other: Tensor | Scalar, *, out: Tensor | None = None) -> Tensor:
        return _binary_call(op, node_cls, input, other, out, (), wrap)
    fn.__name__ = name
    fn.__doc__ = doc or (f"Elementwise ``{name}(input, other)`` with broadcasting and PyTorch type promotion.\n\n"
                         "Shapes: input and other broadcast to the output shape.")
    _export(fn, name, *methods)
    if rname:
        def reflected(self: Tensor, other: Tensor | Scalar) -> Tensor:
            return fn(other, self)
        reflected.__name__ = rname
        method(rname)(reflected)
    if iname:
        def fn_(self: Tensor, other: Tensor | Scalar) -> Tensor:
            r = _inplace(self, fn, other)
            return r if r is not None else op.run_inplace(self, (self, _u64(other, self) if wrap is True else other),
                                                          _E)
        fn_.__name__ = iname
        method(iname)(fn_)
    return op, fn


# ---- add / sub -----------------------------------------------------------------------------------
class AddBackward0(Node):
    def backward(self, g):
        n = self.needs_input_grad
        return (sum_to(g, self.sa) if n[0] else None,
                sum_to(g * self.alpha if self.alpha != 1 else g, self.sb) if n[1] else None)


class SubBackward0(Node):
    def backward(self, g):
        n = self.needs_input_grad
        return (sum_to(g, self.sa) if n[0] else None,
                sum_to(-g * self.alpha if self.alpha != 1 else -g, self.sb) if n[1] else None)


class RsubBackward1(SubBackward0):
    pass


_ADD = def_op("add", add_meta("add"))
_SUB = def_op("sub", add_meta("sub"))


def _add_like(op, node_cls, input, other, alpha, out):
    t = input if isinstance(input, Tensor) else other
    if op is _ADD or not (isinstance(t, Tensor) and t.dtype is _dtype.bool):  # (sub of bool: meta's error first)
        input, other = _u64(input, other), _u64(other, input)
        if op is _SUB:  # sub adds -alpha: PyTorch negates a uint64 alpha to its int64 bits (add checks it as is)
            alpha = _u64(alpha, t)
    if out is not None:
        return op.run_out((input, other, alpha), _E, out)
    r = op.run((input, other, alpha), _E)
    if STATE.enabled:
        ra = isinstance(input, Tensor) and input._requires_grad
        rb = isinstance(other, Tensor) and other._requires_grad
        if (ra or rb) and r.dtype.is_floating_point:
            n = node_cls()
            n.sa, n.sb, n.alpha = shape_of(input), shape_of(other), alpha
            record(n, (input if ra else None, other if rb else None), (r,))
    return r


@method("add", "__add__", "__radd__")
def add(input: Tensor | Scalar, other: Tensor | Scalar, *, alpha: Scalar = 1, out: Tensor | None = None) -> Tensor:
    """``input + alpha * other``; input and other broadcast, PyTorch type promotion."""
    return _add_like(_ADD, AddBackward0, input, other, alpha, out)


@method("sub", "subtract", "__sub__")
def sub(input: Tensor | Scalar, other: Tensor | Scalar, *, alpha: Scalar = 1, out: Tensor | None = None) -> Tensor:
    """``input - alpha * other``; input and other broadcast, PyTorch type promotion."""
    return _add_like(_SUB, SubBackward0, input, other, alpha, out)


subtract = sub


@method("rsub", "__rsub__")
def rsub(input: Tensor, other: Tensor | Scalar, *, alpha: Scalar = 1) -> Tensor:
    """``other - alpha * input``."""
    return _add_like(_SUB, RsubBackward1, other, input, alpha, None)


@method("add_", "__iadd__")
def add_(self: Tensor, other: Tensor | Scalar, *, alpha: Scalar = 1) -> Tensor:
    r = _inplace(self, add, other, alpha=alpha)
    return r if r is not None else _ADD.run_inplace(self, (self, _u64(other, self), alpha), _E)


@method("sub_", "subtract_", "__isub__")
def sub_(self: Tensor, other: Tensor | Scalar, *, alpha: Scalar = 1) -> Tensor:
    r = _inplace(self, sub, other, alpha=alpha)
    return r if r is not None else _SUB.run_inplace(self, (self, _u64(other, self), _u64(alpha, self)), _E)


__all__ += ["add", "sub", "subtract", "rsub"]

# ---- mul / div / pow / remainder ---------------------------------------------------------------
_MUL, mul = _make_binary("mul", binary_meta("mul"), MulBackward0, methods=("__mul__", "__rmul__", "multiply"),
                         iname="mul_")
multiply = mul
method("__imul__", "multiply_")(Tensor.mul_)

_DIV = def_op("div", div_meta)


@method("div", "divide", "true_divide", "__truediv__")
def div(input: Tensor | Scalar, other: Tensor | Scalar, *, rounding_mode: str | None = None,
        out: Tensor | None = None) -> Tensor:
    """``input / other``: ``rounding_mode`` None (true division; integers give the default float
    dtype), 'trunc' (round toward zero) or 'floor' (Python's ``//``).  Integer division by zero
    is a RuntimeError."""
    if rounding_mode is None:  # true division computes in float: a uint64-range int keeps its value
        return _binary_call(_DIV, DivBackward0, input, other, out, (None,), wrap=False)
    input, other = _u64(input, other), _u64(other, input)
    if out is not None:
        return _DIV.run_out((input, other, rounding_mode), _E, out)
    r = _DIV.run((input, other, rounding_mode), _E)
    ra = isinstance(input, Tensor) and input._requires_grad
    rb = isinstance(other, Tensor) and other._requires_grad
    if STATE.enabled and r.dtype.is_floating_point and (ra or rb):
        n = _ZeroBackward()
        n.shapes = (shape_of(input), shape_of(other))
        record(n, (_g(input), _g(other)), (r,))
    return r


divide = true_divide = div


@method("floor_divide", "__floordiv__")
def floor_divide(input: Tensor | Scalar, other: Tensor | Scalar, *, out: Tensor | None = None) -> Tensor:
    """``input // other`` (rounds toward negative infinity, like Python)."""
    return div(input, other, rounding_mode="floor", out=out)


@method("div_", "divide_", "true_divide_", "__itruediv__")
def div_(self: Tensor, other: Tensor | Scalar, *, rounding_mode: str | None = None) -> Tensor:
    r = _inplace(self, div, other, rounding_mode=rounding_mode)
    if r is None and rounding_mode is not None:
        other = _u64(other, self)
    return r if r is not None else _DIV.run_inplace(self, (self, other, rounding_mode), _E)


@method("floor_divide_", "__ifloordiv__")
def floor_divide_(self: Tensor, other: Tensor | Scalar) -> Tensor:
    return div_(self, other, rounding_mode="floor")


@method("__rtruediv__")
def __rtruediv__(self: Tensor, other: Tensor | Scalar) -> Tensor:
    return div(other, self)


@method("__rfloordiv__")
def __rfloordiv__(self: Tensor, other: Tensor | Scalar) -> Tensor:
    return div(other, self, rounding_mode="floor")


__all__ += ["div", "divide", "true_divide", "floor_divide", "multiply"]

_POW, pow = _make_binary("pow", pow_meta, PowBackward0, methods=("__pow__",), rname="__rpow__", iname="pow_", wrap="input",
                         doc="``input ** exponent``; either may be a Python number.  An integer tensor to a "
                             "negative integer scalar power is an error; element-wise negative integer "
                             "exponents give PyTorch's results (0 unless the base is +-1).")
method("__ipow__")(Tensor.pow_)


@method()
def float_power(input: Tensor | Scalar, exponent: Tensor | Scalar, *, out: Tensor | None = None) -> Tensor:
    """``input ** exponent`` computed in float64 (the result is always float64)."""
    a = cast(input, _dtype.float64) if isinstance(input, Tensor) else float(input)
    b = cast(exponent, _dtype.float64) if isinstance(exponent, Tensor) else float(exponent)
    return pow(a, b, out=out)


@method()
def float_power_(self: Tensor, exponent: Tensor | Scalar) -> Tensor:
    if self.dtype is not _dtype.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {TORCH_NAMES[self.dtype]} but the "
                           f"operation's result requires dtype Double")
    return self.pow_(cast(exponent, _dtype.float64) if isinstance(exponent, Tensor) else float(exponent))


_REM, remainder = _make_binary("remainder", binary_meta("remainder", allow="if"),
                               _node("RemainderBackward0", _grad_remainder), methods=("__mod__",),
                               rname="__rmod__", iname="remainder_",
                               doc="Python-style modulus: the result has the sign of ``other``.")
method("__imod__")(Tensor.remainder_)
_FMOD, fmod = _make_binary("fmod", binary_meta("fmod", scalars="other", allow="if"),
                           _node("FmodBackward0", _grad_fmod), iname="fmod_",
                           doc="C-style modulus: the result has the sign of ``input``.")
__all__ += ["float_power"]

# ---- maximum / minimum / atan2 / hypot ------------------------------------------------------------
_MAXIMUM, maximum = _make_binary("maximum", binary_meta("maximum", scalars="none"),
                                 _node("MaximumBackward0", _grad_maximum),
                                 doc="Elementwise maximum; NaN propagates.  Tensors only.")
_MINIMUM, minimum = _make_binary("minimum", binary_meta("minimum", scalars="none"),
                                 _node("MinimumBackward0", _grad_minimum),
                                 doc="Elementwise minimum; NaN propagates.  Tensors only.")
_FMAX, fmax = _make_binary("fmax", binary_meta("fmax", scalars="none"), _node("FmaxBackward0", _grad_fmax),
                           doc="Elementwise maximum ignoring NaN (NaN only where both are NaN).")
_FMIN, fmin = _make_binary("fmin", binary_meta("fmin", scalars="none"), _node("FminBackward0", _grad_fmin),
                           doc="Elementwise minimum ignoring NaN (NaN only where both are NaN).")
_ATAN2, atan2 = _make_binary("atan2", binary_meta("atan2", scalars="none", result="float"),
                             _node("Atan2Backward0", _grad_atan2), methods=("arctan2",), iname="atan2_",
                             doc="Elementwise ``atan(input / other)`` in the quadrant of (other, input).")
arctan2 = atan2
method("arctan2_")(Tensor.atan2_)
_HYPOT, hypot = _make_binary("hypot", binary_meta("hypot", scalars="none", allow="f"),
                             _node("HypotBackward0", _grad_hypot), iname="hypot_",
                             doc="Elementwise ``sqrt(input**2 + other**2)``; floating tensors only.")
__all__ += ["arctan2"]

# ---- comparisons, logical and bitwise ops ----------------------------------------------------------
def _compare(name, methods=()):
    return _make_binary(name, binary_meta(name, scalars="other", result="bool"), methods=methods, iname=name + "_",
                        doc=f"Elementwise ``{name}`` -> bool tensor; operands broadcast and compare in their "
                            "promoted dtype.")


_EQ, eq = _compare("eq")
_NE, ne = _compare("ne", ("not_equal",))
_LT, lt = _compare("lt", ("__lt__", "less"))
_LE, le = _compare("le", ("__le__", "less_equal"))
_GT, gt = _compare("gt", ("__gt__", "greater"))
_GE, ge = _compare("ge", ("__ge__", "greater_equal"))
not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge
method("not_equal_")(Tensor.ne_)
method("less_")(Tensor.lt_)
method("less_equal_")(Tensor.le_)
method("greater_")(Tensor.gt_)
method("greater_equal_")(Tensor.ge_)
# `t == None` / `t == "x"` is False (not an error), as in PyTorch.
@method("__eq__")
def __eq__(self: Tensor, other: object) -> Tensor:
    return eq(self, other) if isinstance(other, _NUMBER) else NotImplemented


@method("__ne__")
def __ne__(self: Tensor, other: object) -> Tensor:
    return ne(self, other) if isinstance(other, _NUMBER) else NotImplemented


__all__ += ["not_equal", "less", "less_equal", "greater", "greater_equal"]


def _logical(name):
    return _make_binary(name, binary_meta(name, scalars="none", result="bool"), iname=name + "_",
                        doc=f"Elementwise ``{name}`` of the operands' truth values -> bool tensor.")


_LOGICAL_AND, logical_and = _logical("logical_and")
_LOGICAL_OR, logical_or = _logical("logical_or")
_LOGICAL_XOR, logical_xor = _logical("logical_xor")


def _bitwise(name, dunder, rname, iname, allow):
    """A bitwise op with its operators; ``iname`` (``__iand__``...) is its in-place method."""
    op, fn = _make_binary(name, binary_meta(name, allow=allow), methods=(dunder,), rname=rname, iname=name + "_",
                          doc=f"Elementwise ``{name}`` of integer or bool tensors (shifts: integers only; shifting "
                              "by the bit width or more gives 0, or -1 for negative values shifted right).")
    method(iname)(getattr(Tensor, name + "_"))
    return op, fn


_BITWISE_AND, bitwise_and = _bitwise("bitwise_and", "__and__", "__rand__", "__iand__", "bi")
_BITWISE_OR, bitwise_or = _bitwise("bitwise_or", "__or__", "__ror__", "__ior__", "bi")
_BITWISE_XOR, bitwise_xor = _bitwise("bitwise_xor", "__xor__", "__rxor__", "__ixor__", "bi")
_BITWISE_LEFT_SHIFT, bitwise_left_shift = _bitwise("bitwise_left_shift", "__lshift__", "__rlshift__", "__ilshift__",
                                                   "i")
_BITWISE_RIGHT_SHIFT, bitwise_right_shift = _bitwise("bitwise_right_shift", "__rshift__", "__rrshift__",
                                                     "__irshift__", "i")
