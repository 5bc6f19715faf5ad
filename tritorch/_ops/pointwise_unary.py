"""Elementwise unary ops (math functions, rounding, predicates, `nan_to_num`) and their
gradients.  Input: any shape; output: the same shape.

Dtypes follow PyTorch: transcendental functions give the default float dtype for integer
and bool inputs; rounding ops copy integers; ops PyTorch does not implement for a dtype
raise NotImplementedError (see `pointwise_meta.unary_meta`).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .. import _dtype
from ._common import def_op, Node, method, apply
from .pointwise_meta import unary_meta, round_meta, nan_to_num_meta, NEG_BOOL_MSG
from .pointwise_copy import _inplace, _ZeroBackward, _E

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = []
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_BOOL, _INT64 = _dtype.bool, _dtype.int64


def _square_meta(x):
    """square(input): input * input; bool squares to int64 (PyTorch's pow(x, 2))."""
    shape, dt = _SQUARE_BASE(x)
    return shape, (_INT64 if dt is _BOOL else dt)


_SQUARE_BASE = unary_meta("square")


class _UnaryBackward(Node):
    """``grad(g, x, y)``: x the input, y the output (each saved only when the formula needs it)."""

    def backward(self, g):
        x, y = self.saved_tensors
        return self.grad(g, x, y)


def _make_unary(name, result, allow, grad, saves, node_name, aliases=()):
    """Registry op ``name``, its function and Tensor methods (``name``, ``name_`` and the
    ``aliases``, each but the dunders with its in-place form).  ``result``: "same" or "float"
    dtype; ``allow``: the dtype categories; ``grad(g, x, y)``, x the input and y the output, each
    saved only when ``saves`` names it; ``node_name``: PyTorch's grad_fn name."""
    if name == "square":
        meta = _square_meta
    else:
        meta = unary_meta(name, result, allow, bool_msg=NEG_BOOL_MSG if name == "neg" else None)
    op = def_op(name, meta)
    node_cls = type(node_name, (_UnaryBackward,), {"grad": staticmethod(grad)})
    save_x, save_y = "x" in saves, "y" in saves

    def fn(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        if out is not None:
            return op.run_out((input,), _E, out)
        # saved (x or None, y or None); a saved y is the result, appended by save_output
        save = (input if save_x else None,) if save_y else (input if save_x else None, None)
        return apply(op, (input,), _E, node_cls, (input,), save=save, save_output=save_y)
    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}``. Input: any shape; output: the same shape."

    def fn_(self: Tensor) -> Tensor:
        r = _inplace(self, fn)
        return r if r is not None else op.run_inplace(self, (self,), _E)
    fn_.__name__ = name + "_"
    method(name, *aliases)(fn)
    method(name + "_", *(a + "_" for a in aliases if not a.startswith("__")))(fn_)
    return fn


# name, result dtype, dtype categories allowed, grad(g, x, y), saves ("x"/"y"/""), PyTorch's node name
neg = _make_unary("neg", "same", "bif", lambda g, x, y: -g, "", "NegBackward0", aliases=("negative", "__neg__"))
negative = neg
abs = _make_unary("abs", "same", "if", lambda g, x, y: g * x.sign(),
                  "x", "AbsBackward0", aliases=("absolute", "__abs__"))
absolute = abs
sign = _make_unary("sign", "same", "bif", lambda g, x, y: g * 0, "", "SignBackward0")
reciprocal = _make_unary("reciprocal", "float", "bif", lambda g, x, y: -g * y * y, "y", "ReciprocalBackward0")
exp = _make_unary("exp", "float", "bif", lambda g, x, y: g * y, "y", "ExpBackward0")
exp2 = _make_unary("exp2", "float", "bif", lambda g, x, y: g * y * _LN2, "y", "Exp2Backward0")
expm1 = _make_unary("expm1", "float", "bif", lambda g, x, y: g * (y + 1), "y", "Expm1Backward0")
log = _make_unary("log", "float", "bif", lambda g, x, y: g / x, "x", "LogBackward0")
log2 = _make_unary("log2", "float", "bif", lambda g, x, y: g / (x * _LN2), "x", "Log2Backward0")
log10 = _make_unary("log10", "float", "bif", lambda g, x, y: g / (x * _LN10), "x", "Log10Backward0")
log1p = _make_unary("log1p", "float", "bif", lambda g, x, y: g / (x + 1), "x", "Log1PBackward0")
sqrt = _make_unary("sqrt", "float", "bif", lambda g, x, y: g / (2 * y), "y", "SqrtBackward0")
rsqrt = _make_unary("rsqrt", "float", "bif", lambda g, x, y: -0.5 * g * y * y * y, "y", "RsqrtBackward0")
square = _make_unary("square", "same", "bif", lambda g, x, y: 2 * g * x, "x", "PowBackward0")
sin = _make_unary("sin", "float", "bif", lambda g, x, y: g * x.cos(), "x", "SinBackward0")
cos = _make_unary("cos", "float", "bif", lambda g, x, y: -g * x.sin(), "x", "CosBackward0")
tan = _make_unary("tan", "float", "bif", lambda g, x, y: g * (1 + y * y), "y", "TanBackward0")
tanh = _make_unary("tanh", "float", "bif", lambda g, x, y: g * (1 - y * y), "y", "TanhBackward0")
sigmoid = _make_unary("sigmoid", "float", "bif", lambda g, x, y: g * y * (1 - y), "y", "SigmoidBackward0")
asin = _make_unary("asin", "float", "bif", lambda g, x, y: g * (1 - x * x).rsqrt(),
                   "x", "AsinBackward0", aliases=("arcsin",))
arcsin = asin
acos = _make_unary("acos", "float", "bif", lambda g, x, y: -g * (1 - x * x).rsqrt(),
                   "x", "AcosBackward0", aliases=("arccos",))
arccos = acos
atan = _make_unary("atan", "float", "bif", lambda g, x, y: g / (1 + x * x), "x", "AtanBackward0", aliases=("arctan",))
arctan = atan
sinh = _make_unary("sinh", "float", "bif", lambda g, x, y: g * x.cosh(), "x", "SinhBackward0")
cosh = _make_unary("cosh", "float", "bif", lambda g, x, y: g * x.sinh(), "x", "CoshBackward0")
asinh = _make_unary("asinh", "float", "bif", lambda g, x, y: g * (x * x + 1).rsqrt(),
                    "x", "AsinhBackward0", aliases=("arcsinh",))
arcsinh = asinh
acosh = _make_unary("acosh", "float", "bif", lambda g, x, y: g * ((x - 1) * (x + 1)).rsqrt(),
                    "x", "AcoshBackward0", aliases=("arccosh",))
arccosh = acosh
atanh = _make_unary("atanh", "float", "bif", lambda g, x, y: g / (1 - x * x),
                    "x", "AtanhBackward0", aliases=("arctanh",))
arctanh = atanh
floor = _make_unary("floor", "same", "if", lambda g, x, y: g * 0, "", "FloorBackward0")
ceil = _make_unary("ceil", "same", "if", lambda g, x, y: g * 0, "", "CeilBackward0")
trunc = _make_unary("trunc", "same", "if", lambda g, x, y: g * 0, "", "TruncBackward0", aliases=("fix",))
fix = trunc
frac = _make_unary("frac", "same", "f", lambda g, x, y: g, "", "FracBackward0")
erf = _make_unary("erf", "float", "bif", lambda g, x, y: g * _TWO_OVER_SQRT_PI * (-(x * x)).exp(), "x", "ErfBackward0")
erfc = _make_unary("erfc", "float", "bif", lambda g, x, y: -g * _TWO_OVER_SQRT_PI * (-(x * x)).exp(),
                   "x", "ErfcBackward0")
erfinv = _make_unary("erfinv", "float", "bif", lambda g, x, y: g * (math.sqrt(math.pi) / 2) * (y * y).exp(),
                     "y", "ErfinvBackward0")
__all__ += ["neg", "negative", "abs", "absolute", "sign", "reciprocal", "exp", "exp2", "expm1", "log", "log2",
            "log10", "log1p", "sqrt", "rsqrt", "square", "sin", "cos", "tan", "tanh", "sigmoid", "asin",
            "arcsin", "acos", "arccos", "atan", "arctan", "sinh", "cosh", "asinh", "arcsinh", "acosh",
            "arccosh", "atanh", "arctanh", "floor", "ceil", "trunc", "fix", "frac", "erf", "erfc",
            "erfinv"]


@method("positive", "__pos__")
def positive(input: Tensor) -> Tensor:
    """Returns ``input`` itself (``+x``); an error for bool tensors, as in PyTorch."""
    if input.dtype is _BOOL:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


@method()
def deg2rad(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Degrees to radians (``input * pi / 180``); integers give the default float dtype."""
    return (input if input.dtype.is_floating_point else input.float()).mul(math.pi / 180, out=out)


@method()
def rad2deg(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Radians to degrees (``input * 180 / pi``)."""
    return (input if input.dtype.is_floating_point else input.float()).mul(180 / math.pi, out=out)


__all__ += ["positive", "deg2rad", "rad2deg"]

# ---- round ---------------------------------------------------------------------------------------
_ROUND = def_op("round", round_meta)


class RoundBackward0(_ZeroBackward):
    pass


@method()
def round(input: Tensor, *, decimals: int = 0, out: Tensor | None = None) -> Tensor:
    """Round half to even (PyTorch's rule), optionally to ``decimals`` places (floats only)."""
    attrs = {"decimals": decimals} if decimals else _E
    if out is not None:
        return _ROUND.run_out((input,), attrs, out)
    return apply(_ROUND, (input,), attrs, RoundBackward0, (input,), shapes=(input._data.shape,))


@method()
def round_(self: Tensor, *, decimals: int = 0) -> Tensor:
    r = _inplace(self, round, decimals=decimals)
    return r if r is not None else _ROUND.run_inplace(self, (self,), {"decimals": decimals} if decimals else _E)


__all__.append("round")


# ---- predicates and logical/bitwise not ----------------------------------------------------------------
def _make_plain(name, meta, doc, inplace=True):
    op = def_op(name, meta)

    def fn(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        if out is not None:
            return op.run_out((input,), _E, out)
        return op.run((input,), _E)
    fn.__name__ = name
    fn.__doc__ = doc

    def fn_(self: Tensor) -> Tensor:
        return op.run_inplace(self, (self,), _E)
    __all__.append(name)
    method(name)(fn)
    if inplace:
        method(name + "_")(fn_)
    return fn


isnan = _make_plain("isnan", unary_meta("isnan", "bool"), "True where ``input`` is NaN. Output: bool, input's shape.",
                    inplace=False)
isinf = _make_plain("isinf", unary_meta("isinf", "bool"), "True where ``input`` is +-inf.", inplace=False)
isfinite = _make_plain("isfinite", unary_meta("isfinite", "bool"), "True where ``input`` is neither inf nor NaN.",
                       inplace=False)
logical_not = _make_plain("logical_not", unary_meta("logical_not", "bool"),
                          "Elementwise logical NOT of the truth values -> bool tensor.")
bitwise_not = _make_plain("bitwise_not", unary_meta("bitwise_not", "same", "bi"),
                          "Elementwise bitwise NOT of an integer or bool tensor (``~x``).")
method("__invert__")(bitwise_not)


@method()
def isposinf(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """True where ``input`` is +inf."""
    return input.eq(math.inf, out=out)


@method()
def isneginf(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """True where ``input`` is -inf."""
    return input.eq(-math.inf, out=out)


__all__ += ["isposinf", "isneginf"]

# ---- nan_to_num ---------------------------------------------------------------------------------
_NAN_TO_NUM = def_op("nan_to_num", nan_to_num_meta)


class NanToNumBackward0(Node):
    def backward(self, g):
        x, = self.saved_tensors
        return (g * x.isfinite().to(g.dtype),)


@method()
def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None, *,
               out: Tensor | None = None) -> Tensor:
    """Replace NaN with ``nan`` and +/-inf with ``posinf``/``neginf`` (default: the dtype's
    largest/lowest finite value).  Integer and bool tensors are copied."""
    attrs = {"nan": nan, "posinf": posinf, "neginf": neginf}
    if out is not None:
        return _NAN_TO_NUM.run_out((input,), attrs, out)
    return apply(_NAN_TO_NUM, (input,), attrs, NanToNumBackward0, (input,), save=(input,))


@method()
def nan_to_num_(self: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    r = _inplace(self, nan_to_num, nan, posinf, neginf)
    return r if r is not None else _NAN_TO_NUM.run_inplace(self, (self,), {"nan": nan, "posinf": posinf,
                                                                           "neginf": neginf})


__all__.append("nan_to_num")
