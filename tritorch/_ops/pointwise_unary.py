"""Elementwise unary ops (math functions, rounding, predicates, `nan_to_num`) and their
gradients.  Input: any shape; output: the same shape.

Dtypes follow PyTorch: transcendental functions give the default float dtype for integer
and bool inputs; rounding ops copy integers; ops PyTorch does not implement for a dtype
raise NotImplementedError (see `pointwise_meta.unary_meta`).
"""
import math

from .. import _dtype
from ._common import Tensor, def_op, Node, record, STATE, method
from .pointwise_meta import unary_meta, round_meta, nan_to_num_meta, NEG_BOOL_MSG
from .pointwise_copy import _inplace, _ZeroBackward, _E

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


# name: (result "same"/"float", dtype categories allowed, grad(g, x, y), saves "x"/"y"/"", node name)
_UNARY = {
    "neg": ("same", "bif", lambda g, x, y: -g, "", "NegBackward0"),
    "abs": ("same", "if", lambda g, x, y: g * x.sign(), "x", "AbsBackward0"),
    "sign": ("same", "bif", lambda g, x, y: g * 0, "", "SignBackward0"),
    "reciprocal": ("float", "bif", lambda g, x, y: -g * y * y, "y", "ReciprocalBackward0"),
    "exp": ("float", "bif", lambda g, x, y: g * y, "y", "ExpBackward0"),
    "exp2": ("float", "bif", lambda g, x, y: g * y * _LN2, "y", "Exp2Backward0"),
    "expm1": ("float", "bif", lambda g, x, y: g * (y + 1), "y", "Expm1Backward0"),
    "log": ("float", "bif", lambda g, x, y: g / x, "x", "LogBackward0"),
    "log2": ("float", "bif", lambda g, x, y: g / (x * _LN2), "x", "Log2Backward0"),
    "log10": ("float", "bif", lambda g, x, y: g / (x * _LN10), "x", "Log10Backward0"),
    "log1p": ("float", "bif", lambda g, x, y: g / (x + 1), "x", "Log1PBackward0"),
    "sqrt": ("float", "bif", lambda g, x, y: g / (2 * y), "y", "SqrtBackward0"),
    "rsqrt": ("float", "bif", lambda g, x, y: -0.5 * g * y * y * y, "y", "RsqrtBackward0"),
    "square": ("same", "bif", lambda g, x, y: 2 * g * x, "x", "PowBackward0"),
    "sin": ("float", "bif", lambda g, x, y: g * x.cos(), "x", "SinBackward0"),
    "cos": ("float", "bif", lambda g, x, y: -g * x.sin(), "x", "CosBackward0"),
    "tan": ("float", "bif", lambda g, x, y: g * (1 + y * y), "y", "TanBackward0"),
    "tanh": ("float", "bif", lambda g, x, y: g * (1 - y * y), "y", "TanhBackward0"),
    "sigmoid": ("float", "bif", lambda g, x, y: g * y * (1 - y), "y", "SigmoidBackward0"),
    "asin": ("float", "bif", lambda g, x, y: g * (1 - x * x).rsqrt(), "x", "AsinBackward0"),
    "acos": ("float", "bif", lambda g, x, y: -g * (1 - x * x).rsqrt(), "x", "AcosBackward0"),
    "atan": ("float", "bif", lambda g, x, y: g / (1 + x * x), "x", "AtanBackward0"),
    "sinh": ("float", "bif", lambda g, x, y: g * x.cosh(), "x", "SinhBackward0"),
    "cosh": ("float", "bif", lambda g, x, y: g * x.sinh(), "x", "CoshBackward0"),
    "asinh": ("float", "bif", lambda g, x, y: g * (x * x + 1).rsqrt(), "x", "AsinhBackward0"),
    "acosh": ("float", "bif", lambda g, x, y: g * ((x - 1) * (x + 1)).rsqrt(), "x", "AcoshBackward0"),
    "atanh": ("float", "bif", lambda g, x, y: g / (1 - x * x), "x", "AtanhBackward0"),
    "floor": ("same", "if", lambda g, x, y: g * 0, "", "FloorBackward0"),
    "ceil": ("same", "if", lambda g, x, y: g * 0, "", "CeilBackward0"),
    "trunc": ("same", "if", lambda g, x, y: g * 0, "", "TruncBackward0"),
    "frac": ("same", "f", lambda g, x, y: g, "", "FracBackward0"),
    "erf": ("float", "bif", lambda g, x, y: g * _TWO_OVER_SQRT_PI * (-(x * x)).exp(), "x", "ErfBackward0"),
    "erfc": ("float", "bif", lambda g, x, y: -g * _TWO_OVER_SQRT_PI * (-(x * x)).exp(), "x", "ErfcBackward0"),
    "erfinv": ("float", "bif", lambda g, x, y: g * (math.sqrt(math.pi) / 2) * (y * y).exp(), "y",
               "ErfinvBackward0"),
}
_ALIASES = {"neg": ("negative", "__neg__"), "abs": ("absolute", "__abs__"), "asin": ("arcsin",),
            "acos": ("arccos",), "atan": ("arctan",), "asinh": ("arcsinh",), "acosh": ("arccosh",),
            "atanh": ("arctanh",), "trunc": ("fix",)}


def _make_unary(name, result, allow, grad, saves, node_name):
    if name == "square":
        meta = _square_meta
    else:
        meta = unary_meta(name, result, allow, bool_msg=NEG_BOOL_MSG if name == "neg" else None)
    op = def_op(name, meta)
    node_cls = type(node_name, (_UnaryBackward,), {"grad": staticmethod(grad)})
    save_x, save_y = "x" in saves, "y" in saves

    def fn(input, *, out=None):
        if out is not None:
            return op.run_out((input,), _E, out)
        r = op.run((input,), _E)
        if STATE.enabled and input._requires_grad:
            n = node_cls()
            n.save_for_backward(input if save_x else None, r if save_y else None)
            record(n, (input,), (r,))
        return r
    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}``. Input: any shape; output: the same shape."

    def fn_(self):
        r = _inplace(self, fn)
        return r if r is not None else op.run_inplace(self, (self,), _E)
    fn_.__name__ = name + "_"
    aliases = _ALIASES.get(name, ())
    __all__.append(name)
    setattr(Tensor, name, fn)
    setattr(Tensor, name + "_", fn_)
    for a in aliases:
        setattr(Tensor, a, fn)
        if not a.startswith("__"):
            globals()[a] = fn
            __all__.append(a)
            setattr(Tensor, a + "_", fn_)
    return fn


for _name, _spec in _UNARY.items():
    globals()[_name] = _make_unary(_name, *_spec)


@method("positive", "__pos__")
def positive(input):
    """Returns ``input`` itself (``+x``); an error for bool tensors, as in PyTorch."""
    if input.dtype is _BOOL:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


@method()
def deg2rad(input, *, out=None):
    """Degrees to radians (``input * pi / 180``); integers give the default float dtype."""
    return (input if input.dtype.is_floating_point else input.float()).mul(math.pi / 180, out=out)


@method()
def rad2deg(input, *, out=None):
    """Radians to degrees (``input * 180 / pi``)."""
    return (input if input.dtype.is_floating_point else input.float()).mul(180 / math.pi, out=out)


__all__ += ["positive", "deg2rad", "rad2deg"]

# ---- round ---------------------------------------------------------------------------------------
_ROUND = def_op("round", round_meta)


class RoundBackward0(_ZeroBackward):
    pass


@method()
def round(input, *, decimals=0, out=None):
    """Round half to even (PyTorch's rule), optionally to ``decimals`` places (floats only)."""
    attrs = {"decimals": decimals} if decimals else _E
    if out is not None:
        return _ROUND.run_out((input,), attrs, out)
    r = _ROUND.run((input,), attrs)
    if STATE.enabled and input._requires_grad:
        n = RoundBackward0()
        n.shapes = (input._data.shape,)
        record(n, (input,), (r,))
    return r


@method()
def round_(self, *, decimals=0):
    r = _inplace(self, round, decimals=decimals)
    return r if r is not None else _ROUND.run_inplace(self, (self,), {"decimals": decimals} if decimals else _E)


__all__.append("round")


# ---- predicates and logical/bitwise not ----------------------------------------------------------------
def _make_plain(name, meta, doc):
    op = def_op(name, meta)

    def fn(input, *, out=None):
        if out is not None:
            return op.run_out((input,), _E, out)
        return op.run((input,), _E)
    fn.__name__ = name
    fn.__doc__ = doc

    def fn_(self):
        return op.run_inplace(self, (self,), _E)
    __all__.append(name)
    setattr(Tensor, name, fn)
    setattr(Tensor, name + "_", fn_)
    return fn


isnan = _make_plain("isnan", unary_meta("isnan", "bool"), "True where ``input`` is NaN. Output: bool, input's shape.")
isinf = _make_plain("isinf", unary_meta("isinf", "bool"), "True where ``input`` is +-inf.")
isfinite = _make_plain("isfinite", unary_meta("isfinite", "bool"), "True where ``input`` is neither inf nor NaN.")
logical_not = _make_plain("logical_not", unary_meta("logical_not", "bool"),
                          "Elementwise logical NOT of the truth values -> bool tensor.")
bitwise_not = _make_plain("bitwise_not", unary_meta("bitwise_not", "same", "bi"),
                          "Elementwise bitwise NOT of an integer or bool tensor (``~x``).")
for _n in ("isnan", "isinf", "isfinite"):
    delattr(Tensor, _n + "_")
Tensor.__invert__ = bitwise_not


@method()
def isposinf(input, *, out=None):
    """True where ``input`` is +inf."""
    return input.eq(math.inf, out=out)


@method()
def isneginf(input, *, out=None):
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
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """Replace NaN with ``nan`` and +/-inf with ``posinf``/``neginf`` (default: the dtype's
    largest/lowest finite value).  Integer and bool tensors are copied."""
    attrs = {"nan": nan, "posinf": posinf, "neginf": neginf}
    if out is not None:
        return _NAN_TO_NUM.run_out((input,), attrs, out)
    r = _NAN_TO_NUM.run((input,), attrs)
    if STATE.enabled and input._requires_grad:
        n = NanToNumBackward0()
        n.save_for_backward(input)
        record(n, (input,), (r,))
    return r


@method()
def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
    r = _inplace(self, nan_to_num, nan, posinf, neginf)
    return r if r is not None else _NAN_TO_NUM.run_inplace(self, (self,), {"nan": nan, "posinf": posinf,
                                                                           "neginf": neginf})


__all__.append("nan_to_num")
