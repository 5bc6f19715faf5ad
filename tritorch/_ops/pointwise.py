"""Elementwise ops: arithmetic (+ reflected operators), unary math, comparisons, logical
and bitwise ops, `where`, `lerp`, `clamp`, casts and copies, with their gradients.

Each op is one registry op sharing a meta per family (broadcast + PyTorch promotion);
backward formulas are tensor ops, so they are differentiable again.
"""
import math
import numbers

from .. import _dtype
from .._dtype import get_default_dtype
from ._common import (Tensor, def_op, Node, record, STATE, broadcast_shapes, promote, method, shape_str)

__all__ = []
_E = {}


def _export(fn, *methods):
    __all__.append(fn.__name__)
    for m in methods:
        setattr(Tensor, m, fn)
    return fn


def _shape(x):
    return x._data.shape if isinstance(x, Tensor) else ()


def _check_operand(x, op, arg):
    if not isinstance(x, (Tensor, numbers.Number)):
        raise TypeError(f"{op}(): argument '{arg}' must be Tensor or Number, not {type(x).__name__}")


# ---- metas ------------------------------------------------------------------------------------
def _meta_binary(op):
    def meta(a, b, *attrs):
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            sa, sb = a._data.shape, b._data.shape
            shape = sa if sa == sb else broadcast_shapes(sa, sb, op=op)
        else:
            _check_operand(a, op, "input")
            _check_operand(b, op, "other")
            shape = _shape(a) if isinstance(a, Tensor) else _shape(b)
        return shape, promote(a, b)
    meta.__doc__ = f"{op}: broadcast the operands; PyTorch type promotion."
    return meta


def _meta_true_div(a, b, rounding_mode=None):
    shape, dt = _meta_binary("div")(a, b)
    if rounding_mode is None and not dt.is_floating_point:
        dt = get_default_dtype()
    elif rounding_mode not in (None, "floor", "trunc"):
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
    return shape, dt


def _meta_float_binary(op):
    base = _meta_binary(op)

    def meta(a, b):
        shape, dt = base(a, b)
        return shape, dt if dt.is_floating_point else get_default_dtype()
    return meta


def _meta_int_binary(op):
    base = _meta_binary(op)

    def meta(a, b):
        shape, dt = base(a, b)
        if dt.is_floating_point:
            raise RuntimeError(f"\"{op}\" not implemented for '{dt.name}': expected integral or bool tensors")
        return shape, dt
    return meta


def _meta_compare(op):
    base = _meta_binary(op)

    def meta(a, b):
        return base(a, b)[0], _dtype.bool
    return meta


def _meta_unary_float(op):
    def meta(x):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
        dt = x.dtype
        return x._data.shape, dt if dt.is_floating_point else get_default_dtype()
    meta.__doc__ = f"{op}: elementwise; integer inputs give the default float dtype."
    return meta


def _meta_unary_same(op, allow_bool=True):
    def meta(x, *attrs):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
        if not allow_bool and x.dtype is _dtype.bool:
            raise RuntimeError(f"{op}: not supported for bool tensors (got {x.dtype})")
        return x._data.shape, x.dtype
    return meta


def _meta_unary_bool(op):
    def meta(x):
        return x._data.shape, _dtype.bool
    return meta


def _meta_where(cond, a, b):
    """where: cond ? a : b, broadcasting all three; cond must be bool."""
    if not isinstance(cond, Tensor) or cond.dtype is not _dtype.bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{cond.dtype.name if isinstance(cond, Tensor) else type(cond).__name__}")
    shape = broadcast_shapes(cond._data.shape, _shape(a), op="where")
    shape = broadcast_shapes(shape, _shape(b), op="where")
    return shape, promote(a, b)


def _meta_lerp(a, b, w):
    """lerp: a + w * (b - a); broadcast all three."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("lerp(): 'input' and 'end' must be Tensors")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"lerp: expected dtype {a.dtype.name} for `end` but got dtype {b.dtype.name}")
    if not a.dtype.is_floating_point:
        raise RuntimeError(f"lerp: \"lerp_kernel\" not implemented for '{a.dtype.name}'")
    shape = broadcast_shapes(a._data.shape, b._data.shape, op="lerp")
    shape = broadcast_shapes(shape, _shape(w), op="lerp")
    return shape, a.dtype


def _meta_clamp(x, lo, hi):
    """clamp: min(max(x, lo), hi); lo/hi scalars, tensors or None (not both None)."""
    if lo is None and hi is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    shape = x._data.shape
    for v in (lo, hi):
        if isinstance(v, Tensor):
            shape = broadcast_shapes(shape, v._data.shape, op="clamp")
    return shape, promote(*(v for v in (x, lo, hi) if v is not None))


def _meta_nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """nan_to_num: replace NaN / +inf / -inf."""
    return x._data.shape, x.dtype


def _meta_to_copy(x, dtype):
    """to_copy: cast ``x`` to ``dtype`` (a new contiguous tensor)."""
    return x._data.shape, dtype


def _meta_copy_(dst, src):
    """copy_: write ``src`` (broadcast, cast) into ``dst``."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    if broadcast_shapes(dst._data.shape, src._data.shape, op="copy_") != dst._data.shape:
        raise RuntimeError(f"copy_: the source of shape {shape_str(src._data.shape)} can't be broadcast to the "
                           f"destination of shape {shape_str(dst._data.shape)}")
    return dst._data.shape, dst.dtype


def _meta_round(x, decimals=0):
    return x._data.shape, x.dtype


# ---- gradient helpers ---------------------------------------------------------------------------
def sum_to(g, shape):
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


def _g(x):
    return x if isinstance(x, Tensor) else None


class _BinaryBackward(Node):
    """Backward of a binary op: ``grads(g, a, b)`` returns (ga, gb) before un-broadcasting."""

    def backward(self, g):
        a, b = self.saved_tensors
        ga, gb = self.grads(g, a if a is not None else self.sa, b if b is not None else self.sb)
        n = self.needs_input_grad
        return (sum_to(ga, a._data.shape) if n[0] and ga is not None else None,
                sum_to(gb, b._data.shape) if n[1] and gb is not None else None)


def _binary_node(name, grads):
    return type(name, (_BinaryBackward,), {"grads": staticmethod(grads)})


def _not_differentiable(g, a, b):
    return None, None


def _grad_pow(g, a, b):
    ga = g * b * a.pow(b - 1) if isinstance(a, Tensor) else None
    if isinstance(b, Tensor):
        out = a.pow(b) if isinstance(a, Tensor) else b.new_full((), a).pow(b)
        base = a if isinstance(a, Tensor) else b.new_full((), a)
        logb = where(base > 0, base.clamp(min=1e-300 if base.dtype is _dtype.float64 else 1e-38).log(),
                     base.new_zeros(()))
        gb = g * out * logb
    else:
        gb = None
    if isinstance(a, Tensor) and not isinstance(b, Tensor) and b == 0:
        ga = g * 0
    return ga, gb


def _grad_max(g, a, b):
    ma = (a > b).to(g.dtype) + (a == b).to(g.dtype) * 0.5
    return g * ma, g * (1 - ma)


def _grad_min(g, a, b):
    ma = (a < b).to(g.dtype) + (a == b).to(g.dtype) * 0.5
    return g * ma, g * (1 - ma)


def _grad_atan2(g, a, b):
    d = a * a + b * b
    return g * b / d, -g * a / d


def _grad_remainder(g, a, b):
    return g, (-g * (a / b).floor()) if isinstance(b, Tensor) else None


def _grad_fmod(g, a, b):
    return g, (-g * (a / b).trunc()) if isinstance(b, Tensor) else None


_BINARY_GRADS = {
    "add": None, "sub": None,  # special-cased for alpha
    "mul": lambda g, a, b: (g * b, g * a),
    "div": lambda g, a, b: (g / b, -g * a / (b * b)),
    "pow": _grad_pow, "maximum": _grad_max, "minimum": _grad_min, "fmax": _grad_max, "fmin": _grad_min,
    "atan2": _grad_atan2, "remainder": _grad_remainder, "fmod": _grad_fmod,
    "hypot": lambda g, a, b: (g * a / hypot(a, b), g * b / hypot(a, b)),
}
_NODE_NAMES = {"maximum": "MaximumBackward0", "minimum": "MinimumBackward0", "fmax": "FmaxBackward0",
               "fmin": "FminBackward0", "atan2": "Atan2Backward0", "remainder": "RemainderBackward0",
               "fmod": "FmodBackward0", "hypot": "HypotBackward0"}


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


# ---- binary ops ---------------------------------------------------------------------------------
def _binary_call(op, node_cls, a, b, out, extra=()):
    if out is not None:
        return op.run_out((a, b) + extra, {}, out)
    r = op.run((a, b) + extra, _E)
    if STATE.enabled and node_cls is not None:
        ta = a if isinstance(a, Tensor) and a._requires_grad else None
        tb = b if isinstance(b, Tensor) and b._requires_grad else None
        if ta is not None or tb is not None:
            if r.dtype.is_floating_point:
                n = node_cls()
                n.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)
                n.sa, n.sb = a, b
                record(n, (_g(a), _g(b)), (r,))
    return r


def _inplace(self, fn, *args, **kw):
    """In-place op ``self.op_(...)``: with autograd, compute out of place and rebase history."""
    if STATE.enabled and (self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args)):
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        src = self.clone() if self._requires_grad else self.detach()
        r = fn(src, *args, **kw)
        if r.dtype is not self.dtype and not _dtype.can_cast(r.dtype, self.dtype):
            raise RuntimeError(f"result type {r.dtype.name} can't be cast to the desired output type {self.dtype.name}")
        if r._data.shape != self._data.shape:
            raise RuntimeError(f"output with shape {shape_str(self._data.shape)} doesn't match the broadcast "
                               f"shape {shape_str(r._data.shape)}")
        _COPY.run_inplace(self, (self, r.detach()), _E)
        self.grad_fn = r.grad_fn
        self._output_nr = r._output_nr
        self._requires_grad = r._requires_grad
        return self
    return None


def _make_binary(name, meta=None, grads="auto", methods=(), rname=None, iname=None):
    op = def_op(name, meta or _meta_binary(name))
    if grads == "auto":
        grads = _BINARY_GRADS.get(name)
    node_cls = _binary_node(_NODE_NAMES.get(name, name.capitalize() + "Backward0"), grads) if grads else None

    def fn(input, other, *, out=None):
        return _binary_call(op, node_cls, input, other, out)
    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}`` with broadcasting and PyTorch type promotion."
    _export(fn, name, *methods)
    if rname:
        setattr(Tensor, rname, lambda self, other: fn(other, self))
    if iname:
        def fn_(self, other):
            r = _inplace(self, fn, other)
            return r if r is not None else op.run_inplace(self, (self, other), _E)
        fn_.__name__ = iname
        setattr(Tensor, iname, fn_)
    return op, fn


_ADD = def_op("add", _meta_binary("add"))
_SUB = def_op("sub", _meta_binary("sub"))


def _add_like(op, node_cls, input, other, alpha, out):
    if out is not None:
        return op.run_out((input, other, alpha), {}, out)
    r = op.run((input, other, alpha), _E)
    if STATE.enabled:
        ra = isinstance(input, Tensor) and input._requires_grad
        rb = isinstance(other, Tensor) and other._requires_grad
        if ra or rb:
            n = node_cls()
            n.sa, n.sb, n.alpha = _shape(input), _shape(other), alpha
            record(n, (input if ra else None, other if rb else None), (r,))
    return r


@method("add", "__add__", "__radd__")
def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting."""
    return _add_like(_ADD, AddBackward0, input, other, alpha, out)


@method("sub", "subtract", "__sub__")
def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other`` with broadcasting."""
    return _add_like(_SUB, SubBackward0, input, other, alpha, out)


subtract = sub


@method("__rsub__")
def rsub(input, other, *, alpha=1):
    """``other - alpha * input``."""
    return _add_like(_SUB, RsubBackward1, other, input, alpha, None) if alpha == 1 else sub(other, input * alpha)


@method()
def add_(self, other, *, alpha=1):
    r = _inplace(self, add, other, alpha=alpha)
    return r if r is not None else _ADD.run_inplace(self, (self, other, alpha), _E)


@method()
def sub_(self, other, *, alpha=1):
    r = _inplace(self, sub, other, alpha=alpha)
    return r if r is not None else _SUB.run_inplace(self, (self, other, alpha), _E)


Tensor.__iadd__ = add_
Tensor.__isub__ = sub_
Tensor.subtract_ = sub_
__all__ += ["add", "sub", "subtract", "rsub"]

_MUL, mul = _make_binary("mul", methods=("__mul__", "__rmul__", "multiply"), iname="mul_")
multiply = mul
Tensor.__imul__ = Tensor.mul_
Tensor.multiply_ = Tensor.mul_
_POW, pow = _make_binary("pow", methods=("__pow__",), rname="__rpow__", iname="pow_")
Tensor.__ipow__ = Tensor.pow_
float_power = None
_MAXIMUM, maximum = _make_binary("maximum")
_MINIMUM, minimum = _make_binary("minimum")
_FMAX, fmax = _make_binary("fmax")
_FMIN, fmin = _make_binary("fmin")
_ATAN2, atan2 = _make_binary("atan2", meta=_meta_float_binary("atan2"), methods=("arctan2",), iname="atan2_")
arctan2 = atan2
_HYPOT, hypot = _make_binary("hypot", meta=_meta_float_binary("hypot"), iname="hypot_")
_REM, remainder = _make_binary("remainder", methods=("__mod__",), rname="__rmod__", iname="remainder_")
Tensor.__imod__ = Tensor.remainder_
_FMOD, fmod = _make_binary("fmod", iname="fmod_")
__all__ += ["multiply", "arctan2"]

_DIV = def_op("div", _meta_true_div)


class DivBackward0(_BinaryBackward):
    grads = staticmethod(_BINARY_GRADS["div"])


@method("div", "divide", "true_divide", "__truediv__")
def div(input, other, *, rounding_mode=None, out=None):
    """``input / other``; ``rounding_mode`` None (true division), 'trunc' or 'floor'."""
    if out is not None:
        return _DIV.run_out((input, other, rounding_mode), {}, out)
    if rounding_mode is None:
        return _binary_call(_DIV, DivBackward0, input, other, None, (None,))
    r = _DIV.run((input, other, rounding_mode), _E)
    if STATE.enabled and r.dtype.is_floating_point and any(
            isinstance(x, Tensor) and x._requires_grad for x in (input, other)):
        # floor/trunc division has zero gradient almost everywhere
        n = _ZeroBackward()
        n.shapes = (_shape(input), _shape(other))
        n.dtype = r.dtype
        record(n, (_g(input), _g(other)), (r,))
    return r


class _ZeroBackward(Node):
    def backward(self, g):
        return tuple(g.new_zeros(s) if need else None for s, need in zip(self.shapes, self.needs_input_grad))


divide = true_divide = div
Tensor.__rtruediv__ = lambda self, other: div(other, self)
Tensor.__floordiv__ = lambda self, other: div(self, other, rounding_mode="floor")
Tensor.__rfloordiv__ = lambda self, other: div(other, self, rounding_mode="floor")


@method("floor_divide")
def floor_divide(input, other, *, out=None):
    return div(input, other, rounding_mode="floor", out=out)


@method()
def div_(self, other, *, rounding_mode=None):
    r = _inplace(self, div, other, rounding_mode=rounding_mode)
    return r if r is not None else _DIV.run_inplace(self, (self, other, rounding_mode), _E)


Tensor.__itruediv__ = div_
Tensor.divide_ = Tensor.true_divide_ = div_
Tensor.__ifloordiv__ = lambda self, other: div_(self, other, rounding_mode="floor")
__all__ += ["div", "divide", "true_divide", "floor_divide"]

for _name, _ops in (("eq", ("__eq__",)), ("ne", ("__ne__", "not_equal")), ("lt", ("__lt__", "less")),
                    ("le", ("__le__", "less_equal")), ("gt", ("__gt__", "greater")),
                    ("ge", ("__ge__", "greater_equal"))):
    globals()["_" + _name.upper()], globals()[_name] = _make_binary(
        _name, meta=_meta_compare(_name), grads=None, methods=_ops)
not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge
__all__ += ["not_equal", "less", "less_equal", "greater", "greater_equal"]

for _name in ("logical_and", "logical_or", "logical_xor"):
    globals()["_" + _name.upper()], globals()[_name] = _make_binary(
        _name, meta=_meta_compare(_name), grads=None)
for _name, _dunder, _r in (("bitwise_and", "__and__", "__rand__"), ("bitwise_or", "__or__", "__ror__"),
                           ("bitwise_xor", "__xor__", "__rxor__"),
                           ("bitwise_left_shift", "__lshift__", "__rlshift__"),
                           ("bitwise_right_shift", "__rshift__", "__rrshift__")):
    globals()["_" + _name.upper()], globals()[_name] = _make_binary(
        _name, meta=_meta_int_binary(_name), grads=None, methods=(_dunder,), rname=_r, iname=_name + "_")
Tensor.__iand__, Tensor.__ior__, Tensor.__ixor__ = Tensor.bitwise_and_, Tensor.bitwise_or_, Tensor.bitwise_xor_


# ---- unary ops ----------------------------------------------------------------------------------
class _UnaryBackward(Node):
    def backward(self, g):
        x, y = self.saved_tensors
        return self.grad(g, x, y)


# name: (meta kind, grad(g, x, out), node name) -- meta "f": float result, "s": same dtype.
_LN2 = math.log(2.0)
_UNARY = {
    "neg": ("s", lambda g, x, y: -g, "NegBackward0"),
    "abs": ("s", lambda g, x, y: g * x.sign(), "AbsBackward0"),
    "sign": ("s", lambda g, x, y: g * 0, "SignBackward0"),
    "reciprocal": ("f", lambda g, x, y: -g * y * y, "ReciprocalBackward0"),
    "exp": ("f", lambda g, x, y: g * y, "ExpBackward0"),
    "exp2": ("f", lambda g, x, y: g * y * _LN2, "Exp2Backward0"),
    "expm1": ("f", lambda g, x, y: g * (y + 1), "Expm1Backward0"),
    "log": ("f", lambda g, x, y: g / x, "LogBackward0"),
    "log2": ("f", lambda g, x, y: g / (x * _LN2), "Log2Backward0"),
    "log10": ("f", lambda g, x, y: g / (x * math.log(10.0)), "Log10Backward0"),
    "log1p": ("f", lambda g, x, y: g / (x + 1), "Log1PBackward0"),
    "sqrt": ("f", lambda g, x, y: g / (2 * y), "SqrtBackward0"),
    "rsqrt": ("f", lambda g, x, y: -0.5 * g * y * y * y, "RsqrtBackward0"),
    "square": ("s", lambda g, x, y: 2 * g * x, "PowBackward0"),
    "sin": ("f", lambda g, x, y: g * x.cos(), "SinBackward0"),
    "cos": ("f", lambda g, x, y: -g * x.sin(), "CosBackward0"),
    "tan": ("f", lambda g, x, y: g * (1 + y * y), "TanBackward0"),
    "tanh": ("f", lambda g, x, y: g * (1 - y * y), "TanhBackward0"),
    "sigmoid": ("f", lambda g, x, y: g * y * (1 - y), "SigmoidBackward0"),
    "asin": ("f", lambda g, x, y: g * (1 - x * x).rsqrt(), "AsinBackward0"),
    "acos": ("f", lambda g, x, y: -g * (1 - x * x).rsqrt(), "AcosBackward0"),
    "atan": ("f", lambda g, x, y: g / (1 + x * x), "AtanBackward0"),
    "sinh": ("f", lambda g, x, y: g * x.cosh(), "SinhBackward0"),
    "cosh": ("f", lambda g, x, y: g * x.sinh(), "CoshBackward0"),
    "floor": ("s", lambda g, x, y: g * 0, "FloorBackward0"),
    "ceil": ("s", lambda g, x, y: g * 0, "CeilBackward0"),
    "trunc": ("s", lambda g, x, y: g * 0, "TruncBackward0"),
    "frac": ("s", lambda g, x, y: g, "FracBackward0"),
    "erf": ("f", lambda g, x, y: g * (2.0 / math.sqrt(math.pi)) * (-(x * x)).exp(), "ErfBackward0"),
}
_ALIASES = {"neg": ("negative", "__neg__"), "abs": ("absolute", "__abs__"), "asin": ("arcsin",),
            "acos": ("arccos",), "atan": ("arctan",), "trunc": ("fix",)}


def _make_unary(name, kind, grad, node_name):
    meta = _meta_unary_float(name) if kind == "f" else _meta_unary_same(name, allow_bool=name not in ("neg",))
    op = def_op(name, meta)
    node_cls = type(node_name, (_UnaryBackward,), {"grad": staticmethod(grad)}) if grad else None

    def fn(input, *, out=None):
        if out is not None:
            return op.run_out((input,), _E, out)
        r = op.run((input,), _E)
        if STATE.enabled and node_cls is not None and input._requires_grad:
            n = node_cls()
            n.save_for_backward(input, r)
            record(n, (input,), (r,))
        return r
    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}``. Input: any shape; output: same shape."

    def fn_(self):
        r = _inplace(self, fn)
        return r if r is not None else op.run_inplace(self, (self,), _E)
    fn_.__name__ = name + "_"
    aliases = _ALIASES.get(name, ())
    _export(fn, name, *aliases)
    setattr(Tensor, name + "_", fn_)
    for a in aliases:
        if not a.startswith("__"):
            globals()[a] = fn
            __all__.append(a)
            setattr(Tensor, a + "_", fn_)
    return fn


for _name, (_kind, _grad, _node) in _UNARY.items():
    globals()[_name] = _make_unary(_name, _kind, _grad, _node)

Tensor.__pos__ = lambda self: self
positive = Tensor.positive = lambda input: input
__all__.append("positive")

_ROUND = def_op("round", _meta_round)


@method()
def round(input, *, decimals=0, out=None):
    """Round half to even (PyTorch's rule), optionally to ``decimals`` places."""
    if out is not None:
        return _ROUND.run_out((input,), {"decimals": decimals}, out)
    r = _ROUND.run((input,), {"decimals": decimals} if decimals else _E)
    if STATE.enabled and input._requires_grad:
        n = _ZeroBackward()
        n.shapes = (input._data.shape,)
        record(n, (input,), (r,))
    return r


@method()
def round_(self, *, decimals=0):
    return _ROUND.run_inplace(self, (self,), {"decimals": decimals} if decimals else _E)


__all__.append("round")

for _name in ("isnan", "isinf", "isfinite"):
    def _mk(op):
        def fn(input):
            return op.run((input,), _E)
        return fn
    _f = _mk(def_op(_name, _meta_unary_bool(_name)))
    _f.__name__ = _name
    _export(_f, _name)
    globals()[_name] = _f

for _name in ("logical_not", "bitwise_not"):
    def _mk2(op, nm):
        def fn(input, *, out=None):
            if nm == "bitwise_not" and input.dtype.is_floating_point:
                raise RuntimeError(f"bitwise_not: not implemented for '{input.dtype.name}'")
            if out is not None:
                return op.run_out((input,), _E, out)
            return op.run((input,), _E)
        fn.__name__ = nm
        return fn
    _f = _mk2(def_op(_name, _meta_unary_bool(_name) if _name == "logical_not" else _meta_unary_same(_name)), _name)
    _export(_f, _name)
    globals()[_name] = _f
Tensor.__invert__ = lambda self: logical_not(self) if self.dtype is _dtype.bool else bitwise_not(self)
Tensor.logical_not_ = lambda self: self.copy_(logical_not(self))
Tensor.bitwise_not_ = lambda self: self.copy_(bitwise_not(self))


@method()
def isposinf(input):
    return (input == math.inf)


@method()
def isneginf(input):
    return (input == -math.inf)


__all__ += ["isposinf", "isneginf"]

# ---- nan_to_num ---------------------------------------------------------------------------------
_NAN_TO_NUM = def_op("nan_to_num", _meta_nan_to_num)


class NanToNumBackward0(Node):
    def backward(self, g):
        x, = self.saved_tensors
        return (g * x.isfinite().to(g.dtype),)


@method()
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """Replace NaN with ``nan``, +/-inf with ``posinf``/``neginf`` (default: dtype's max/min)."""
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
    return _NAN_TO_NUM.run_inplace(self, (self,), {"nan": nan, "posinf": posinf, "neginf": neginf})


__all__.append("nan_to_num")

# ---- where / lerp / clamp ------------------------------------------------------------------------
_WHERE = def_op("where", _meta_where)


class WhereBackward0(Node):
    def backward(self, g):
        cond, = self.saved_tensors
        z = g.new_zeros(())
        n = self.needs_input_grad
        return (None,
                sum_to(where(cond, g, z), self.sa) if n[1] else None,
                sum_to(where(cond, z, g), self.sb) if n[2] else None)


@method()
def where(condition, input=None, other=None, *, out=None):
    """``condition ? input : other`` with broadcasting; one-argument form = ``nonzero(as_tuple=True)``."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if out is not None:
        return _WHERE.run_out((condition, input, other), _E, out)
    r = _WHERE.run((condition, input, other), _E)
    if STATE.enabled and r.dtype.is_floating_point:
        ra = isinstance(input, Tensor) and input._requires_grad
        rb = isinstance(other, Tensor) and other._requires_grad
        if ra or rb:
            n = WhereBackward0()
            n.save_for_backward(condition)
            n.sa, n.sb = _shape(input), _shape(other)
            record(n, (None, input if ra else None, other if rb else None), (r,))
    return r


_LERP = def_op("lerp", _meta_lerp)


class LerpBackward0(Node):
    def backward(self, g):
        a, b, w = self.saved_tensors
        wv = w if w is not None else self.w
        n = self.needs_input_grad
        return (sum_to(g * (1 - wv), a._data.shape) if n[0] else None,
                sum_to(g * wv, b._data.shape) if n[1] else None,
                sum_to(g * (b - a), w._data.shape) if len(n) > 2 and n[2] else None)


@method()
def lerp(input, end, weight, *, out=None):
    """``input + weight * (end - input)``."""
    if out is not None:
        return _LERP.run_out((input, end, weight), _E, out)
    r = _LERP.run((input, end, weight), _E)
    if STATE.enabled and any(isinstance(x, Tensor) and x._requires_grad for x in (input, end, weight)):
        n = LerpBackward0()
        n.save_for_backward(input, end, weight if isinstance(weight, Tensor) else None)
        n.w = weight
        record(n, (input, end, _g(weight)), (r,))
    return r


@method()
def lerp_(self, end, weight):
    r = _inplace(self, lerp, end, weight)
    return r if r is not None else _LERP.run_inplace(self, (self, end, weight), _E)


_CLAMP = def_op("clamp", _meta_clamp)


class ClampBackward1(Node):
    def backward(self, g):
        x, lo, hi = self.saved_tensors
        lo = lo if lo is not None else self.lo
        hi = hi if hi is not None else self.hi
        mask = None
        if lo is not None:
            mask = x >= lo
        if hi is not None:
            m2 = x <= hi
            mask = m2 if mask is None else mask.logical_and(m2)
        n = self.needs_input_grad
        z = g.new_zeros(())
        gx = sum_to(where(mask, g, z), x._data.shape) if n[0] else None
        glo = sum_to(where(x < lo, g, z), lo._data.shape) if len(n) > 1 and n[1] else None
        ghi = sum_to(where(x > hi, g, z), hi._data.shape) if len(n) > 2 and n[2] else None
        return gx, glo, ghi


@method("clamp", "clip")
def clamp(input, min=None, max=None, *, out=None):
    """Clamp every element into [min, max] (scalars or broadcastable tensors)."""
    if out is not None:
        return _CLAMP.run_out((input, min, max), _E, out)
    r = _CLAMP.run((input, min, max), _E)
    if STATE.enabled and r.dtype.is_floating_point and any(
            isinstance(x, Tensor) and x._requires_grad for x in (input, min, max)):
        n = ClampBackward1()
        n.save_for_backward(input, _g(min), _g(max))
        n.lo, n.hi = min, max
        record(n, (input, _g(min), _g(max)), (r,))
    return r


clip = clamp


@method("clamp_", "clip_")
def clamp_(self, min=None, max=None):
    r = _inplace(self, clamp, min, max)
    return r if r is not None else _CLAMP.run_inplace(self, (self, min, max), _E)


@method()
def clamp_min(input, min):
    return clamp(input, min=min)


@method()
def clamp_max(input, max):
    return clamp(input, max=max)


__all__ += ["clip", "clamp_min", "clamp_max"]

# ---- casts and copies ---------------------------------------------------------------------------
_TO_COPY = def_op("to_copy", _meta_to_copy)
_COPY = def_op("copy_", _meta_copy_)
_CLONE = def_op("clone", lambda x: (x._data.shape, x.dtype))


class ToCopyBackward0(Node):
    def backward(self, g):
        return (g.to(self.src_dtype),)


def cast(input, dtype):
    """A copy of ``input`` converted to ``dtype`` (differentiable between float dtypes)."""
    r = _TO_COPY.run((input, dtype), _E)
    if STATE.enabled and input._requires_grad and dtype.is_floating_point:
        n = ToCopyBackward0()
        n.src_dtype = input.dtype
        record(n, (input,), (r,))
    return r


class CloneBackward0(Node):
    def backward(self, g):
        return (g,)


@method()
def clone(input, *, memory_format=None):
    """A contiguous copy of ``input`` (differentiable)."""
    r = _CLONE.run((input,), _E)
    if STATE.enabled and input._requires_grad:
        record(CloneBackward0(), (input,), (r,))
    return r


class CopyBackwards(Node):
    def backward(self, g):
        n = self.needs_input_grad
        return (g.new_zeros(g.shape) if n[0] else None,
                sum_to(g, self.src_shape).to(self.src_dtype) if n[1] else None)


@method()
def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast, cast; across devices too) into ``self``; returns self."""
    if isinstance(src, Tensor) and src.device is not self.device:
        src = src.to(self.device)
    if STATE.enabled and isinstance(src, Tensor) and (self._requires_grad or src._requires_grad):
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        _COPY.run_inplace(self, (self, src.detach()), _E)
        n = CopyBackwards()
        n.src_shape, n.src_dtype = src._data.shape, src.dtype
        record(n, (self if self._requires_grad else None, src if src._requires_grad else None), (self,))
        return self
    return _COPY.run_inplace(self, (self, src), _E)


@method()
def zero_(self):
    return fill_(self, 0)


@method()
def fill_(self, value):
    """Set every element to ``value`` (a number or a 0-d tensor)."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        return copy_(self, value.expand(self.shape) if value._requires_grad else value)
    if STATE.enabled and self._requires_grad and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    from .creation import full
    src = full((), value, dtype=self.dtype, device=self.device)
    _COPY.run_inplace(self, (self, src), _E)
    if STATE.enabled and self._requires_grad:
        n = _ZeroBackward()
        n.shapes = (self._data.shape,)
        record(n, (None,), (self,))
    return self


__all__ += ["clone"]
del float_power
