"""Activation functions (``torch.nn.functional.relu``, ``gelu``, ``silu``, ...) and ``torch.relu``.

Two registry ops serve every activation, selected by a ``kind`` attr and up to two float params:
``activation(x, kind, p0, p1)`` (forward) and the fused backward
``activation_backward(grad_output, x, kind, p0, p1)`` = grad_output * f'(x), written in terms of
the forward's input (as PyTorch's ``*_backward`` kernels; ``relu``'s derivative is read off x, which
gives the same mask as PyTorch's output-based ``threshold_backward``).  Kinds and params:

  relu; hardtanh(p0=min_val, p1=max_val) (relu6 = hardtanh(0, 6)); leaky_relu(p0=negative_slope);
  elu(p0=alpha); gelu (exact, erf); gelu_tanh; silu; mish; softplus(p0=beta, p1=threshold); softsign;
  selu; celu(p0=alpha, p1=1/alpha); hardsigmoid; hardswish; logsigmoid; tanhshrink; softshrink(p0=lambd);
  hardshrink(p0=lambd); threshold(p0=threshold, p1=value).

PyTorch's edge semantics: relu / hardtanh gradients are 0 at 0 and at the clamp boundaries and
pass the gradient through at NaN; leaky_relu's at 0 is the slope; softplus is the identity (gradient
1) where beta * x > threshold; NaN propagates through every forward.  relu, hardtanh and threshold
accept integer tensors (PyTorch's clamp semantics; float bounds truncate toward zero), softsign and
tanhshrink turn integers into the default float dtype, the others are floating only.  Half types
compute in float32.  The shrinks and threshold mask gradients on x as PyTorch's ``*_backward``
kernels (softshrink / hardshrink: 0 on [-lambd, lambd]; threshold: 0 where x <= threshold);
hardswish's gradient is 0 at and below -3, x/3 + 1/2 strictly inside (-3, 3) and 1 from 3 up.

``prelu`` is its own pair of registry ops (a binary elementwise op: x and a per-channel weight
broadcast along dim 1): ``prelu(x, weight)`` and ``prelu_backward(grad_output, x, weight)`` -> the
unreduced weight gradient where(x > 0, 0, x * grad_output) (the input gradient is the same
kernel as the forward: where(x > 0, g, weight * g)).  ``rrelu`` is leaky_relu with the mean slope
in eval; in training it draws one U(lower, upper) slope per non-positive element (a rand op) and
multiplies (as PyTorch's ``rrelu_with_noise``, whose gradient is the noise).  ``softmin`` is
softmax(-x).

The backward op records its own autograd node (gradients w.r.t. grad_output and x written in
differentiable tensor ops: f''(x) for the smooth kinds, zero for the piecewise-linear ones), so
double backward works.  ``sigmoid`` / ``tanh`` are the pointwise ops (``tritorch.sigmoid``);
``glu`` composes registry ops (narrow, sigmoid, mul: no dedicated kernel pays for it).

Deliberate differences from PyTorch: softsign records ``SoftsignBackward0`` (PyTorch composes it
from abs/add/div); the in-place variants record the out-of-place node names; softplus' gradient
uses a stable sigmoid, so a ``threshold`` beyond exp's range gives 1 where PyTorch gives NaN.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .._dtype import TORCH_NAMES, get_default_dtype
from .. import _dtype
from ._common import def_op, Node, apply, check_tensor, shape_str, wrap_dim, method, broadcast_shapes
from .pointwise_copy import _inplace
from .pointwise_unary import sigmoid, tanh
from .softmax import softmax, _implicit_dim
from .random import rand_like
from ..autograd.grad_mode import no_grad
from .pointwise_ternary import clamp, clamp_, where

if TYPE_CHECKING:
    from .._dtype import dtype
    from .._tensor import Tensor

__all__ = ["relu", "relu_"]
_E = {}

# kind: (autograd node name, double-backward node name, dtype rule, PyTorch's cpu kernel name)
# dtype rule: "int" = integers keep their dtype (not bool), "float" = integers -> default float,
# "" = floating only.
_KINDS = {
    "relu": ("ReluBackward0", "ThresholdBackwardBackward0", "int", None),
    "hardtanh": ("HardtanhBackward0", "HardtanhBackwardBackward0", "int", None),
    "leaky_relu": ("LeakyReluBackward0", "LeakyReluBackwardBackward0", "", "leaky_relu_cpu"),
    "elu": ("EluBackward0", "EluBackwardBackward0", "", "elu_cpu"),
    "gelu": ("GeluBackward0", "GeluBackwardBackward0", "", "GeluKernelImpl"),
    "gelu_tanh": ("GeluBackward0", "GeluBackwardBackward0", "", "GeluKernelImpl"),
    "silu": ("SiluBackward0", "SiluBackwardBackward0", "", "silu_cpu"),
    "mish": ("MishBackward0", "MishBackwardBackward0", "", "mish_cpu"),
    "softplus": ("SoftplusBackward0", "SoftplusBackwardBackward0", "", "softplus_cpu"),
    "softsign": ("SoftsignBackward0", "SoftsignBackwardBackward0", "float", "abs_cpu"),
    "selu": ("EluBackward0", "EluBackwardBackward0", "", "elu_cpu"),
    "celu": ("EluBackward0", "EluBackwardBackward0", "", "elu_cpu"),
    "hardsigmoid": ("HardsigmoidBackward0", "HardsigmoidBackwardBackward0", "", "hardsigmoid_cpu"),
    "hardswish": ("HardswishBackward0", "HardswishBackwardBackward0", "", "hardswish_cpu"),
    "logsigmoid": ("LogSigmoidBackward0", "LogSigmoidBackwardBackward0", "", "log_sigmoid_cpu"),
    "tanhshrink": ("TanhshrinkBackward0", "TanhshrinkBackwardBackward0", "float", None),
    "softshrink": ("SoftshrinkBackward0", "SoftshrinkBackwardBackward0", "", "softshrink_check"),
    "hardshrink": ("HardshrinkBackward0", "HardshrinkBackwardBackward0", "", "hardshrink_cpu"),
    "threshold": ("ThresholdBackward0", "ThresholdBackwardBackward0", "int", "threshold_cpu"),
}
_BOOL_MSG = {"relu": "Boolean inputs not supported for relu", "hardtanh": "Bool inputs not supported for hardtanh",
             "tanhshrink": "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead."}
# Largest finite value per floating dtype, as PyTorch prints it in softshrink's lambda check.
_FMAX = {_dtype.float16: 65504.0, _dtype.bfloat16: 3.3895313892515355e+38, _dtype.float32: 3.4028234663852886e+38,
         _dtype.float64: 1.7976931348623157e+308}


def _check_kind(op, kind):
    if kind not in _KINDS:
        raise RuntimeError(f"{op}: unknown activation kind {kind!r}; expected one of {', '.join(_KINDS)}")


def _meta(x, kind, p0=0.0, p1=0.0):
    """activation(x, kind, p0, p1): elementwise activation ``kind`` (see the module docstring);
    output has x's shape; dtype: x's (integers allowed for relu/hardtanh; softsign gives the default
    float dtype for integers; the other kinds are floating only)."""
    check_tensor(x, kind)
    _check_kind("activation", kind)
    if kind == "hardtanh" and p0 > p1:
        raise ValueError("min_val cannot be greater than max_val")
    dt = x.dtype
    if dt.is_floating_point:
        if kind == "softshrink" and not 0 <= p0 <= _FMAX[dt]:
            raise RuntimeError(f"lambda must be in range [0, {_FMAX[dt]:g}] for input dtype {TORCH_NAMES[dt]}, "
                               f"but found {p0:g}")
        return x._data.shape, dt
    rule = _KINDS[kind][2]
    if dt is _dtype.bool and kind in _BOOL_MSG:
        raise RuntimeError(_BOOL_MSG[kind])
    if rule == "int" and dt is not _dtype.bool:
        return x._data.shape, dt
    if rule == "float" and dt is not _dtype.bool:
        return x._data.shape, get_default_dtype()
    raise NotImplementedError(f"\"{_KINDS[kind][3]}\" not implemented for '{TORCH_NAMES[dt]}'")


def _meta_bwd(grad_output, x, kind, p0=0.0, p1=0.0):
    """activation_backward(grad_output, x, kind, p0, p1): grad_output * f'(x) of activation ``kind``;
    floating grad_output and x of one dtype and shape; output has that shape and dtype."""
    check_tensor(grad_output, "activation_backward", "grad_output")
    check_tensor(x, "activation_backward", "self")
    _check_kind("activation_backward", kind)
    if tuple(grad_output._data.shape) != tuple(x._data.shape):
        raise RuntimeError(f"activation_backward ({kind}): grad_output of shape {shape_str(grad_output._data.shape)} "
                           f"must match the input's shape {shape_str(x._data.shape)}")
    if grad_output.dtype is not x.dtype or not x.dtype.is_floating_point:
        raise RuntimeError(f"activation_backward ({kind}): expected floating grad_output and input of one dtype, "
                           f"got {grad_output.dtype} and {x.dtype}")
    return x._data.shape, x.dtype


_ACT = def_op("activation", _meta)
_ACT_BWD = def_op("activation_backward", _meta_bwd)


# --- autograd ---------------------------------------------------------------------------------

class _ActivationBackward(Node):
    def backward(self, g):
        x, = self.saved_tensors
        if self.inplace_negative:
            raise RuntimeError(f"In-place {self.label} backward calculation is triggered with a negative slope which "
                               "is not supported. This is caused by calling in-place forward function with a "
                               "negative slope, please call out-of-place version instead.")
        return (activation_backward(g, x, self.kind, self.p0, self.p1),)


def _second(kind, x, p0, p1):
    """f''(x) of a smooth activation in differentiable tensor ops (None: f'' = 0 almost everywhere)."""
    if kind == "elu":
        return x.clamp(max=0.0).exp() * p0 * (x <= 0).to(x.dtype)
    if kind == "gelu":
        return (x * x * -0.5).exp() * (1.0 / math.sqrt(2.0 * math.pi)) * (2.0 - x * x)
    if kind == "gelu_tanh":
        k, c = math.sqrt(2.0 / math.pi), 0.044715
        t = ((x + x * x * x * c) * k).tanh()
        du = (1.0 + x * x * (3.0 * c)) * k
        return (1.0 - t * t) * (du - x * t * du * du + x * x * (3.0 * k * c))
    if kind == "silu":
        s = x.sigmoid()
        return s * (1.0 - s) * (2.0 + x * (1.0 - 2.0 * s))
    if kind == "mish":
        s = x.sigmoid()
        t = _act(x, "softplus", 1.0, 20.0).tanh()
        return s * (1.0 - t * t) * (2.0 + x * (1.0 - s) - 2.0 * x * s * t)
    if kind == "softplus":
        s = (x * p0).sigmoid()
        return s * (1.0 - s) * p0 * (x * p0 <= p1).to(x.dtype)
    if kind == "softsign":
        d = 1.0 + x.abs()
        return x.sign() * -2.0 / (d * d * d)
    if kind == "selu":
        return x.clamp(max=0.0).exp() * (_SELU_ALPHA * _SELU_SCALE) * (x <= 0).to(x.dtype)
    if kind == "celu":
        return (x.clamp(max=0.0) * p1).exp() * p1 * (x <= 0).to(x.dtype)
    if kind == "hardswish":
        return ((x > -3.0) & (x < 3.0)).to(x.dtype) * (1.0 / 3.0)
    if kind == "logsigmoid":
        s = x.sigmoid()
        return s * (s - 1.0)
    if kind == "tanhshrink":
        t = x.tanh()
        return t * (1.0 - t * t) * 2.0
    return None


class _ActivationBackwardBackward(Node):
    """Gradients of dx = g * f'(x): w.r.t. g: gg * f'(x) (the same fused op); w.r.t. x: gg * g * f''(x)."""

    def backward(self, gg):
        g, x = self.saved_tensors
        k, p0, p1 = self.kind, self.p0, self.p1
        dg = activation_backward(gg, x, k, p0, p1) if self.needs_input_grad[0] else None
        dx = None
        if self.needs_input_grad[1]:
            f2 = _second(k, x, p0, p1)
            dx = gg * g * f2 if f2 is not None else x * 0.0
        return dg, dx


# PyTorch's name of the op in the in-place negative-slope error (a class attribute: it depends on the kind only)
_LABELS = {"leaky_relu": "leakyReLu", "elu": "elu", "celu": "elu"}
_NODES = {k: type(v[0], (_ActivationBackward,), {"label": _LABELS.get(k)}) for k, v in _KINDS.items()}
_NODES["gelu_tanh"] = _NODES["gelu"]
_BB_NODES = {k: type(v[1], (_ActivationBackwardBackward,), {}) for k, v in _KINDS.items()}
_BB_NODES["gelu_tanh"] = _BB_NODES["gelu"]
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def activation_backward(grad_output: Tensor, x: Tensor, kind: str, p0: float = 0.0, p1: float = 0.0) -> Tensor:
    """grad_output * f'(x) for activation ``kind`` (fused op; differentiable)."""
    g = grad_output if grad_output.dtype is x.dtype else grad_output.to(x.dtype)
    # .get: an unknown kind is the meta's error, raised by the run
    return apply(_ACT_BWD, (g, x, kind, p0, p1), _E, _BB_NODES.get(kind), (g, x), save=(g, x), kind=kind, p0=p0,
                 p1=p1)


def _act(x, kind, p0=0.0, p1=0.0, inplace_negative=False):
    return apply(_ACT, (x, kind, p0, p1), _E, _NODES[kind], (x,), save=(x,), kind=kind, p0=p0, p1=p1,
                 inplace_negative=inplace_negative)


def _act_(x, kind, p0=0.0, p1=0.0, negative=False):
    """In place: under autograd the result is computed out of place and copied back (``_inplace``)."""
    check_tensor(x, kind + "_")
    r = _inplace(x, lambda t: _act(t, kind, p0, p1, negative))
    return r if r is not None else _ACT.run_inplace(x, (x, kind, p0, p1), _E)


def _act_maybe_inplace(input, kind, p0, p1, inplace, negative=False):
    return _act_(input, kind, p0, p1, negative) if inplace else _act(input, kind, p0, p1)


def _number(v, x, compute=True):
    """``float(v)`` for a Python-number parameter of activation input ``x``, with PyTorch's checks:
    OverflowError for ints beyond 64 bits, then the value must fit what the kernel converts it to:
    for a floating ``x`` its compute type (``compute``: float32 for half types) or its own dtype
    (hardtanh, threshold); for an integer ``x`` (``compute=False`` ops only) int64, then its dtype."""
    _dtype.check_wrapped_int(v)
    dt = x.dtype
    if dt.is_floating_point:
        _dtype.check_scalar(v, _dtype.opmath(dt) if compute else dt)
    elif not compute and dt is not _dtype.bool:
        _dtype.check_scalar(v, _dtype.int64)
        _dtype.check_scalar(v, dt)
    return float(v)


def _limits(x, min_val, max_val):
    """hardtanh's checked limits: PyTorch's Python-level order check comes before the numbers'."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    _dtype.check_wrapped_int(max_val)  # both arguments are unpacked before either is converted
    return _number(min_val, x, False), _number(max_val, x, False)


# --- public API -------------------------------------------------------------------------------

@method()
def relu(input: Tensor) -> Tensor:
    """max(x, 0) elementwise (``torch.relu``); integer tensors allowed.  Gradient 0 at 0."""
    check_tensor(input, "relu")
    return _act(input, "relu")


@method()
def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``."""
    return _act_(input, "relu")


def functional_relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``F.relu``: max(x, 0) elementwise."""
    check_tensor(input, "relu")
    return _act_maybe_inplace(input, "relu", 0.0, 0.0, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val); gradient 1 strictly inside, 0 at and beyond the bounds."""
    check_tensor(input, "hardtanh")
    lo, hi = _limits(input, min_val, max_val)
    if (lo != lo or hi != hi) and input.dtype is not _dtype.bool:  # a NaN bound: all NaN, as PyTorch's clamp
        return (clamp_ if inplace else clamp)(input, lo, hi)
    return _act_maybe_inplace(input, "hardtanh", lo, hi, inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place ``hardtanh``."""
    check_tensor(input, "hardtanh_")
    return _act_(input, "hardtanh", *_limits(input, min_val, max_val))


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6)."""
    check_tensor(input, "relu6")
    return _act_maybe_inplace(input, "hardtanh", 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x (gradient at 0: negative_slope)."""
    check_tensor(input, "leaky_relu")
    s = _number(negative_slope, input)
    return _act_maybe_inplace(input, "leaky_relu", s, 0.0, inplace, s < 0)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place ``leaky_relu`` (under autograd a negative slope raises in backward, as PyTorch)."""
    check_tensor(input, "leaky_relu_")
    s = _number(negative_slope, input)
    return _act_(input, "leaky_relu", s, 0.0, s < 0)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    check_tensor(input, "elu")
    a = _number(alpha, input)
    return _act_maybe_inplace(input, "elu", a, 0.0, inplace, a < 0)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``elu`` (under autograd a negative alpha raises in backward, as PyTorch)."""
    check_tensor(input, "elu_")
    a = _number(alpha, input)
    return _act_(input, "elu", a, 0.0, a < 0)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (``approximate="none"``, with erf) or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    (``approximate="tanh"``)."""
    check_tensor(input, "gelu")
    if approximate == "none":
        return _act(input, "gelu")
    if approximate == "tanh":
        return _act(input, "gelu_tanh")
    raise RuntimeError("approximate argument must be either none or tanh.")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    check_tensor(input, "silu")
    return _act_maybe_inplace(input, "silu", 0.0, 0.0, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    check_tensor(input, "mish")
    return _act_maybe_inplace(input, "mish", 0.0, 0.0, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, or x where beta * x > threshold."""
    check_tensor(input, "softplus")
    return _act(input, "softplus", _number(beta, input), _number(threshold, input))


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|); integers give the default float dtype."""
    check_tensor(input, "softsign")
    return _act(input, "softsign")


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``.  Composed from
    registry ops (narrow views, sigmoid, mul)."""
    check_tensor(input, "glu")
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, nd, "glu")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"glu_cpu\" not implemented for '{TORCH_NAMES[input.dtype]}'")
    n = input._data.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    h = n // 2
    return input.narrow(d, 0, h) * sigmoid(input.narrow(d, h, h))


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * (x if x > 0 else alpha * (exp(x) - 1)), alpha ~ 1.6733, scale ~ 1.0507 (PyTorch's constants)."""
    check_tensor(input, "selu")
    return _act_maybe_inplace(input, "selu", 0.0, 0.0, inplace)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``."""
    return _act_(input, "selu")


def _celu_params(alpha, x):
    a = _number(alpha, x)
    if a == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return a, 1.0 / a


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x / alpha) - 1)."""
    check_tensor(input, "celu")
    a, inv = _celu_params(alpha, input)
    return _act_maybe_inplace(input, "celu", a, inv, inplace, a < 0)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu`` (under autograd a negative alpha raises in backward, as PyTorch)."""
    check_tensor(input, "celu_")
    a, inv = _celu_params(alpha, input)
    return _act_(input, "celu", a, inv, a < 0)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x + 3, 0), 6) / 6; gradient 1/6 strictly inside (-3, 3), else 0."""
    check_tensor(input, "hardsigmoid")
    return _act_maybe_inplace(input, "hardsigmoid", 0.0, 0.0, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * min(max(x + 3, 0), 6) / 6; gradient 0 at and below -3, x/3 + 1/2 inside (-3, 3), 1 from 3 up."""
    check_tensor(input, "hardswish")
    return _act_maybe_inplace(input, "hardswish", 0.0, 0.0, inplace)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), stable for large |x|."""
    check_tensor(input, "logsigmoid")
    return _act(input, "logsigmoid")


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x) (one fused kernel); integers give the default float dtype."""
    check_tensor(input, "tanhshrink")
    return _act(input, "tanhshrink")


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd if x > lambd, x + lambd if x < -lambd, else 0; lambd must be in [0, dtype max]."""
    check_tensor(input, "softshrink")
    return _act(input, "softshrink", float(lambd))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x if |x| > lambd else 0 (0 on the closed interval [-lambd, lambd])."""
    check_tensor(input, "hardshrink")
    return _act(input, "hardshrink", float(lambd))


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where x <= threshold, else x; integer tensors allowed (float threshold / value truncate)."""
    check_tensor(input, "threshold")
    return _act_maybe_inplace(input, "threshold", _number(threshold, input, False), _number(value, input, False),
                              inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place ``threshold``."""
    check_tensor(input, "threshold_")
    return _act_(input, "threshold", _number(threshold, input, False), _number(value, input, False))


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: dtype | None = None) -> Tensor:
    """softmax(-x) along ``dim`` (``dim=None``: PyTorch's legacy implicit dim, with its warning);
    ``dtype`` casts the input first."""
    check_tensor(input, "softmin")
    if input.dtype is _dtype.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    if dim is None:
        dim = _implicit_dim("softmin", input._data.ndim, _stacklevel)
    x = input if dtype is None else input.to(dtype)
    return softmax(-x, dim)


def _rrelu_check(lower, upper):
    lo, hi = float(lower), float(upper)
    if lo > hi:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    return lo, hi


def _rrelu_noise(x, lo, hi):
    """Per-element slopes: U(lower, upper) where x <= 0, 1 elsewhere (PyTorch's ``noise``)."""
    with no_grad():
        u = rand_like(x) * (hi - lo) + lo
        return u.masked_fill(x > 0, 1.0)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU.  Eval: leaky_relu with slope (lower + upper) / 2.  Training: each
    element <= 0 is multiplied by its own slope drawn from U(lower, upper) (its gradient is that slope)."""
    check_tensor(input, "rrelu")
    lo, hi = _rrelu_check(lower, upper)
    if not training:
        s = (lo + hi) / 2
        return _act_maybe_inplace(input, "leaky_relu", s, 0.0, inplace, s < 0)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"rrelu_with_noise_out_cpu\" not implemented for '{TORCH_NAMES[input.dtype]}'")
    noise = _rrelu_noise(input, lo, hi)
    return input.mul_(noise) if inplace else input * noise


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    """In-place ``rrelu``."""
    return rrelu(input, lower, upper, training, inplace=True)


# --- prelu: a binary elementwise op (x, per-channel weight) -------------------------------------

def _meta_prelu(x, weight):
    """prelu(x, weight): where(x > 0, x, weight * x); ``weight`` already broadcastable to x (a scalar
    or shaped (1, C, 1, ...)); floating x and weight of one dtype; output x's shape and dtype."""
    check_tensor(x, "prelu")
    check_tensor(weight, "prelu", "weight")
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"prelu_cpu\" not implemented for '{TORCH_NAMES[x.dtype]}'")
    if weight.dtype is not x.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {TORCH_NAMES[x.dtype]} and "
                           f"{TORCH_NAMES[weight.dtype]}")
    if broadcast_shapes(tuple(x._data.shape), tuple(weight._data.shape), op="prelu") != tuple(x._data.shape):
        raise RuntimeError(f"prelu: weight of shape {shape_str(weight._data.shape)} does not broadcast to the "
                           f"input's shape {shape_str(x._data.shape)}")
    return x._data.shape, x.dtype


def _meta_prelu_bwd(grad_output, x, weight, wrt):
    """prelu_backward(grad_output, x, weight, wrt): ``wrt="input"``: where(x > 0, g, weight * g);
    ``wrt="weight"``: where(x > 0, 0, x * g), unreduced (x's shape; the caller sums it to weight's)."""
    check_tensor(grad_output, "prelu_backward", "grad_output")
    _meta_prelu(x, weight)
    if wrt not in ("input", "weight"):
        raise RuntimeError(f"prelu_backward: wrt must be 'input' or 'weight', got {wrt!r}")
    if tuple(grad_output._data.shape) != tuple(x._data.shape) or grad_output.dtype is not x.dtype:
        raise RuntimeError(f"prelu_backward: grad_output ({shape_str(grad_output._data.shape)}, {grad_output.dtype}) "
                           f"must match the input ({shape_str(x._data.shape)}, {x.dtype})")
    return x._data.shape, x.dtype


_PRELU = def_op("prelu", _meta_prelu)
_PRELU_BWD = def_op("prelu_backward", _meta_prelu_bwd)


class PreluKernelBackward0(Node):
    def backward(self, g):
        x, w = self.saved_tensors
        dx = prelu_backward(g, x, w, "input") if self.needs_input_grad[0] else None
        dw = None
        if self.needs_input_grad[1]:
            dw = prelu_backward(g, x, w, "weight").sum_to_size(tuple(w.shape))
        return dx, dw


class PreluKernelBackwardBackward0(Node):
    """Gradients of prelu_backward w.r.t. (grad_output, x, weight), in differentiable tensor ops, as
    PyTorch's derivatives of ``_prelu_kernel_backward`` (which select on x >= 0, not x > 0).
    ``input`` (dx = where(x > 0, g, w g)): dg = where(x >= 0, gg, w gg), dx = 0, dw = sum(where(x >= 0, 0, g gg));
    ``weight`` (dw = where(x > 0, 0, x g)): dg = where(x >= 0, 0, x gg), dx = where(x >= 0, 0, g gg), dw = 0."""

    def backward(self, gg):
        g, x, w = self.saved_tensors
        ng = self.needs_input_grad
        pos = x >= 0
        zero = gg.new_zeros(())
        dg = dx = dw = None
        if self.wrt == "input":
            if ng[0]:
                dg = where(pos, gg, gg * w)
            if ng[1]:
                dx = x * 0.0
            if ng[2]:
                dw = where(pos, zero, g * gg).sum_to_size(tuple(w.shape))
        else:
            if ng[0]:
                dg = where(pos, zero, x * gg)
            if ng[1]:
                dx = where(pos, zero, g * gg)
        return dg, dx, dw


def prelu_backward(grad_output: Tensor, x: Tensor, weight: Tensor, wrt: str) -> Tensor:
    """Fused prelu gradient w.r.t. ``wrt`` ("input", or "weight" unreduced); differentiable."""
    ins = (grad_output, x, weight)
    return apply(_PRELU_BWD, (grad_output, x, weight, wrt), _E, PreluKernelBackwardBackward0, ins, save=ins, wrt=wrt)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """where(x > 0, x, weight * x) with ``weight`` a single slope or one per channel (dim 1).
    Input: (N, C, *) or any shape when weight has one element; weight: (1,) / () or (C,)."""
    check_tensor(input, "prelu")
    check_tensor(weight, "prelu", "weight")
    nd = input._data.ndim
    if weight.numel() != 1:
        if nd == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        c = input._data.shape[1] if nd > 1 else 1
        if c != weight.numel():
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {c}.")
    if weight._data.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight._data.ndim}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"prelu_cpu\" not implemented for '{TORCH_NAMES[input.dtype]}'")
    if weight.dtype is not input.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {TORCH_NAMES[input.dtype]} and "
                           f"{TORCH_NAMES[weight.dtype]}")
    w = weight
    if nd != weight._data.ndim:
        shape = [1] * nd
        if nd > 1:
            shape[1] = weight.numel()
        w = weight.reshape(shape)
    return apply(_PRELU, (input, w), _E, PreluKernelBackward0, (input, w), save=(input, w))


FUNCTIONAL = {"relu": functional_relu, "relu_": relu_, "relu6": relu6, "leaky_relu": leaky_relu,
              "leaky_relu_": leaky_relu_, "elu": elu, "elu_": elu_, "gelu": gelu, "silu": silu, "mish": mish,
              "softplus": softplus, "hardtanh": hardtanh, "hardtanh_": hardtanh_, "sigmoid": sigmoid, "tanh": tanh,
              "softsign": softsign, "glu": glu, "selu": selu, "selu_": selu_, "celu": celu, "celu_": celu_,
              "hardsigmoid": hardsigmoid, "hardswish": hardswish, "logsigmoid": logsigmoid, "tanhshrink": tanhshrink,
              "softshrink": softshrink, "hardshrink": hardshrink, "threshold": threshold, "threshold_": threshold_,
              "softmin": softmin, "rrelu": rrelu, "rrelu_": rrelu_, "prelu": prelu}
