"""Triton kernels of the activation ops: ``activation(x, kind, p0, p1)`` and the fused backward
``activation_backward(grad_output, x, kind, p0, p1)`` = grad_output * f'(x); ``prelu(x, weight)`` and
``prelu_backward(grad_output, x, weight, wrt)`` (the weight is a broadcast operand: stride 0 along
every dim but the channel one, so it is read in place; the weight gradient is returned unreduced
and summed by the caller's reduction op).

Both run on the shared elementwise generator (`_elementwise.pointwise`: 1024 elements per
program on a GPU, strided / broadcast operands read in place, dims collapsed, one launch), one
``@triton.jit`` scalar function per kind and direction, picked on the host by ``kind``.  relu, gelu,
gelu-tanh, silu, mish, softplus, hardsigmoid and hardswish, their derivatives, tanh and sigmoid are
the device math library's (`_activation.py`: the pointwise ``tt.sigmoid`` / ``tt.tanh`` and the fused
matmul's epilogue use the same definitions, so they agree bit for bit); the piecewise and
parametrised kinds are written here.  relu keeps integer dtypes exact and, in backward, passes the
gradient through at NaN (PyTorch's ``threshold_backward`` tests ``x <= 0``).
Values compute in float32 for half types (rounded once on store), in float64 for float64, in
int64 for integer relu / hardtanh (float bounds truncate toward zero, as PyTorch's clamp).

Bytes moved per element: forward = input + output item; backward = 2 inputs + output item
(grad_output, x; the mask of relu / hardtanh is recomputed from x, never stored).  FLOPs per
element: 1-3 for relu / hardtanh / leaky_relu / softsign; ~15 for elu / silu / softplus (one exp
or expm1 and a log1p); ~30 for gelu (erf), ~25 for gelu-tanh and mish (exp, log1p, tanh via
expm1); backward about twice its forward.  Nothing else is fused: a standalone activation is
memory bound, and the matmul epilogue fuses the common ones into the GEMM instead.
"""
import triton
import triton.language as tl

from ._activation import (expm1, log1p, relu, relu_backward, gelu, gelu_backward, gelu_tanh, gelu_tanh_backward,
                          silu, silu_backward, mish, mish_backward, softplus, tanh, sigmoid, hardsigmoid,
                          hardsigmoid_backward, hardswish, hardswish_backward, SELU_ALPHA, SELU_SCALE)
from ._dtypes import compute_tl
from ._elementwise import pointwise

__all__ = ["IMPLS", "BACKWARD"]


# ---- forward: FN(x, _, _, p0, p1, _) ------------------------------------------------------------
@triton.jit
def _relu_f(x, y, z, p0, p1, p2):
    return relu(x)


@triton.jit
def _hardtanh_f(x, y, z, p0, p1, p2):
    lo = p0.to(x.dtype)
    hi = p1.to(x.dtype)
    return tl.where(x < lo, lo, tl.where(x > hi, hi, x))


@triton.jit
def _leaky_relu_f(x, y, z, p0, p1, p2):
    return tl.where(x > 0, x, x * p0.to(x.dtype))


@triton.jit
def _elu_f(x, y, z, p0, p1, p2):
    return tl.where(x > 0, x, p0.to(x.dtype) * expm1(x))


@triton.jit
def _gelu_f(x, y, z, p0, p1, p2):
    return gelu(x)


@triton.jit
def _gelu_tanh_f(x, y, z, p0, p1, p2):
    return gelu_tanh(x)


@triton.jit
def _silu_f(x, y, z, p0, p1, p2):
    return silu(x)


@triton.jit
def _mish_f(x, y, z, p0, p1, p2):
    return mish(x)


@triton.jit
def _softplus_f(x, y, z, p0, p1, p2):
    beta = p0.to(x.dtype)
    bx = x * beta
    return tl.where(bx > p1.to(x.dtype), x, softplus(bx) / beta)


@triton.jit
def _softsign_f(x, y, z, p0, p1, p2):
    return x / (1.0 + tl.abs(x))


# ---- backward: FN(grad_output, x, _, p0, p1, _) = grad_output * f'(x) ---------------------------
@triton.jit
def _relu_b(g, x, z, p0, p1, p2):
    return relu_backward(g, x)


@triton.jit
def _hardtanh_b(g, x, z, p0, p1, p2):
    return tl.where((x <= p0.to(x.dtype)) | (x >= p1.to(x.dtype)), 0.0, g)


@triton.jit
def _leaky_relu_b(g, x, z, p0, p1, p2):
    return tl.where(x > 0, g, g * p0.to(x.dtype))


@triton.jit
def _elu_b(g, x, z, p0, p1, p2):
    return tl.where(x <= 0, g * (p0.to(x.dtype) * tl.exp(x)), g)


@triton.jit
def _gelu_b(g, x, z, p0, p1, p2):
    return gelu_backward(g, x)


@triton.jit
def _gelu_tanh_b(g, x, z, p0, p1, p2):
    return gelu_tanh_backward(g, x)


@triton.jit
def _silu_b(g, x, z, p0, p1, p2):
    return silu_backward(g, x)


@triton.jit
def _mish_b(g, x, z, p0, p1, p2):
    return mish_backward(g, x)


@triton.jit
def _softplus_b(g, x, z, p0, p1, p2):
    bx = x * p0.to(x.dtype)
    return tl.where(bx > p1.to(x.dtype), g, g * sigmoid(bx))


@triton.jit
def _softsign_b(g, x, z, p0, p1, p2):
    d = 1.0 + tl.abs(x)
    return g / (d * d)


# ---- selu, celu, hard sigmoid / swish, logsigmoid, tanhshrink, shrinks, threshold -----------------
@triton.jit
def _selu_f(x, y, z, p0, p1, p2):
    return tl.where(x > 0, x * SELU_SCALE, (SELU_ALPHA * SELU_SCALE) * expm1(x))


@triton.jit
def _selu_b(g, x, z, p0, p1, p2):
    return tl.where(x <= 0, g * ((SELU_ALPHA * SELU_SCALE) * tl.exp(x)), g * SELU_SCALE)


@triton.jit
def _celu_f(x, y, z, p0, p1, p2):
    # p0 = alpha, p1 = 1 / alpha (PyTorch's elu with input_scale = 1 / alpha)
    return tl.where(x > 0, x, p0.to(x.dtype) * expm1(x * p1.to(x.dtype)))


@triton.jit
def _celu_b(g, x, z, p0, p1, p2):
    inv = p1.to(x.dtype)
    return tl.where(x <= 0, g * (inv * p0.to(x.dtype) * tl.exp(x * inv)), g)


@triton.jit
def _hardsigmoid_f(x, y, z, p0, p1, p2):
    return hardsigmoid(x)


@triton.jit
def _hardsigmoid_b(g, x, z, p0, p1, p2):
    return hardsigmoid_backward(g, x)


@triton.jit
def _hardswish_f(x, y, z, p0, p1, p2):
    return hardswish(x)


@triton.jit
def _hardswish_b(g, x, z, p0, p1, p2):
    return hardswish_backward(g, x)


@triton.jit
def _logsigmoid_f(x, y, z, p0, p1, p2):
    return tl.minimum(x, 0.0) - log1p(tl.exp(-tl.abs(x)))


@triton.jit
def _logsigmoid_b(g, x, z, p0, p1, p2):
    # PyTorch's log_sigmoid_backward: (x < 0) - sign * e / (1 + e), e = exp(-|x|), sign = +-1
    e = tl.exp(-tl.abs(x))
    neg = x < 0
    return g * (tl.where(neg, 1.0, 0.0) - tl.where(neg, 1.0, -1.0) * (e / (1.0 + e)))


@triton.jit
def _tanhshrink_f(x, y, z, p0, p1, p2):
    return x - tanh(x)


@triton.jit
def _tanhshrink_b(g, x, z, p0, p1, p2):
    t = tanh(x)
    return g * (t * t)


@triton.jit
def _softshrink_f(x, y, z, p0, p1, p2):
    lam = p0.to(x.dtype)
    return tl.where(x > lam, x - lam, tl.where(x < -lam, x + lam, x * 0.0))


@triton.jit
def _shrink_b(g, x, z, p0, p1, p2):
    lam = p0.to(x.dtype)
    return tl.where((x >= -lam) & (x <= lam), 0.0, g)


@triton.jit
def _hardshrink_f(x, y, z, p0, p1, p2):
    lam = p0.to(x.dtype)
    return tl.where((x >= -lam) & (x <= lam), 0.0, x)


@triton.jit
def _threshold_f(x, y, z, p0, p1, p2):
    return tl.where(x <= p0.to(x.dtype), p1.to(x.dtype), x)


@triton.jit
def _threshold_b(g, x, z, p0, p1, p2):
    return tl.where(x <= p0.to(x.dtype), 0.0, g)


# ---- prelu: FN(x, weight) and FN(grad_output, x, weight) ----------------------------------------
@triton.jit
def _prelu_f(x, w, z, p0, p1, p2):
    return tl.where(x > 0, x, w * x)


@triton.jit
def _prelu_input_b(g, x, w, p0, p1, p2):
    return tl.where(x > 0, g, w * g)


@triton.jit
def _prelu_weight_b(g, x, w, p0, p1, p2):
    return tl.where(x > 0, 0.0, x * g)


# kind -> (forward fn, backward fn, number of params used)
_KINDS = {
    "relu": (_relu_f, _relu_b, 0), "hardtanh": (_hardtanh_f, _hardtanh_b, 2),
    "leaky_relu": (_leaky_relu_f, _leaky_relu_b, 1), "elu": (_elu_f, _elu_b, 1),
    "gelu": (_gelu_f, _gelu_b, 0), "gelu_tanh": (_gelu_tanh_f, _gelu_tanh_b, 0),
    "silu": (_silu_f, _silu_b, 0), "mish": (_mish_f, _mish_b, 0),
    "softplus": (_softplus_f, _softplus_b, 2), "softsign": (_softsign_f, _softsign_b, 0),
    "selu": (_selu_f, _selu_b, 0), "celu": (_celu_f, _celu_b, 2),
    "hardsigmoid": (_hardsigmoid_f, _hardsigmoid_b, 0), "hardswish": (_hardswish_f, _hardswish_b, 0),
    "logsigmoid": (_logsigmoid_f, _logsigmoid_b, 0), "tanhshrink": (_tanhshrink_f, _tanhshrink_b, 0),
    "softshrink": (_softshrink_f, _shrink_b, 1), "hardshrink": (_hardshrink_f, _shrink_b, 1),
    "threshold": (_threshold_f, _threshold_b, 2),
}


# kind -> its backward scalar function FN(grad_output, x, _, p0, p1, _) (the fused matmul's backward
# step uses these for the kinds its epilogue fuses).
BACKWARD = {kind: bwd for kind, (_, bwd, _) in _KINDS.items()}


def activation(out, x, kind, p0=0.0, p1=0.0):
    fwd, _, np_ = _KINDS[kind]
    ct = tl.int64 if out.dtype.kind in "iu" else compute_tl(out.dtype)
    pointwise(fwd, out, [x], ct, (float(p0), float(p1))[:np_])


def activation_backward(out, grad_output, x, kind, p0=0.0, p1=0.0):
    _, bwd, np_ = _KINDS[kind]
    pointwise(bwd, out, [grad_output, x], compute_tl(out.dtype), (float(p0), float(p1))[:np_])


def prelu(out, x, weight):
    pointwise(_prelu_f, out, [x, weight], compute_tl(out.dtype))


def prelu_backward(out, grad_output, x, weight, wrt):
    fn = _prelu_input_b if wrt == "input" else _prelu_weight_b
    pointwise(fn, out, [grad_output, x, weight], compute_tl(out.dtype))


IMPLS = {"activation": activation, "activation_backward": activation_backward, "prelu": prelu,
         "prelu_backward": prelu_backward}
