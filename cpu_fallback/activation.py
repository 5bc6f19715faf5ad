"""numpy impls of the activation ops: ``activation(x, kind, p0, p1)`` and the fused
``activation_backward(grad_output, x, kind, p0, p1)`` = grad_output * f'(x); ``prelu(x, weight)`` and
``prelu_backward(grad_output, x, weight, wrt)`` (weight broadcast against x).

One vectorised formula per kind (see tritorch/_ops/activation.py for kinds and params), the same
formulas as the Triton kernels and PyTorch's cpu kernels: exp / log1p / expm1 guarded so large |x|
neither overflows nor cancels, NaN propagates, comparisons written so NaN takes PyTorch's branch
(relu / hardtanh pass NaN through in forward and pass the gradient through in backward).  Half
types compute in float32 and round once; integers (relu, hardtanh) compute in int64.
"""
import math

import numpy as np

from .pointwise_unary import compute_dtype, _erf_vec
from ._select import where

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_K = math.sqrt(2.0 / math.pi)
_C = 0.044715
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid(x):
    # 1 / (1 + exp(-x)) as PyTorch: exp overflowing to inf gives exactly 0.
    return 1 / (1 + np.exp(-x))


def _softplus(z):
    # log1p(exp(z)) without overflow: max(z, 0) + log1p(exp(-|z|)).
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _erf(x):
    if x.dtype != np.float32:
        return _erf_vec(x).astype(x.dtype, copy=False)
    # float32: PyTorch's vectorised cpu erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7), ten
    # times faster than the float64 rational; gelu only uses it through 1 + erf, where the error
    # stays below float32's rounding of the sum.
    t = 1 / (1 + 0.3275911 * np.abs(x))
    r = (((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592
    return np.copysign(1 - r * t * np.exp(-x * x), x)


def _forward(kind, x, p0, p1):
    t = x.dtype.type
    if kind == "relu":
        return where(x <= 0, x.dtype.type(0), x)
    if kind == "hardtanh":
        lo, hi = (int(p0), int(p1)) if x.dtype.kind in "iu" else (x.dtype.type(p0), x.dtype.type(p1))
        return where(x < lo, lo, where(x > hi, hi, x))
    if kind == "leaky_relu":
        return where(x > 0, x, x * x.dtype.type(p0))
    if kind == "elu":
        return where(x > 0, x, x.dtype.type(p0) * np.expm1(np.minimum(x, 0)))
    if kind == "gelu":
        return 0.5 * x * (1 + _erf(x * x.dtype.type(_SQRT1_2)))
    if kind == "gelu_tanh":
        return 0.5 * x * (1 + np.tanh(x.dtype.type(_K) * (x + x.dtype.type(_C) * x * x * x)))
    if kind == "silu":
        return x / (1 + np.exp(-x))
    if kind == "mish":
        return x * np.tanh(_softplus(x))
    if kind == "softplus":
        z = x * x.dtype.type(p0)
        return where(z > p1, x, _softplus(z) / x.dtype.type(p0))
    if kind == "softsign":
        return x / (1 + np.abs(x))
    if kind == "selu":
        return where(x > 0, x * t(_SELU_SCALE), t(_SELU_ALPHA * _SELU_SCALE) * np.expm1(np.minimum(x, 0)))
    if kind == "celu":
        return where(x > 0, x, t(p0) * np.expm1(np.minimum(x, 0) * t(p1)))
    if kind == "hardsigmoid":
        return _clip06(x + t(3)) / t(6)
    if kind == "hardswish":
        return x * _clip06(x + t(3)) / t(6)
    if kind == "logsigmoid":
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    if kind == "tanhshrink":
        return x - np.tanh(x)
    if kind == "softshrink":
        lam = t(p0)
        return where(x > lam, x - lam, where(x < -lam, x + lam, x * t(0)))
    if kind == "hardshrink":
        lam = t(p0)
        return where((x >= -lam) & (x <= lam), t(0), x)
    if kind == "threshold":
        th, v = (int(p0), int(p1)) if x.dtype.kind in "iu" else (t(p0), t(p1))
        return where(x <= th, v, x)
    raise RuntimeError(f"activation: unknown kind {kind!r}")


def _clip06(v):
    # min(max(v, 0), 6) with NaN passing through (np.clip would too; where keeps the dtype).
    return where(v < 0, v.dtype.type(0), where(v > 6, v.dtype.type(6), v))


def _derivative(kind, x, p0, p1):
    """f'(x) as an array (or None where the kind's formula is written with ``where`` on g)."""
    one = x.dtype.type(1)
    if kind == "leaky_relu":
        return where(x > 0, one, x.dtype.type(p0))
    if kind == "elu":
        return where(x <= 0, x.dtype.type(p0) * np.exp(np.minimum(x, 0)), one)
    if kind == "gelu":
        cdf = 0.5 * (1 + _erf(x * x.dtype.type(_SQRT1_2)))
        return cdf + x * np.exp(-0.5 * x * x) * x.dtype.type(_INV_SQRT_2PI)
    if kind == "gelu_tanh":
        t = np.tanh(x.dtype.type(_K) * (x + x.dtype.type(_C) * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * x.dtype.type(_K) * (1 + x.dtype.type(3 * _C) * x * x)
    if kind == "silu":
        s = _sigmoid(x)
        return s * (1 + x * (1 - s))
    if kind == "mish":
        t = np.tanh(_softplus(x))
        return t + x * _sigmoid(x) * (1 - t * t)
    if kind == "softplus":
        z = x * x.dtype.type(p0)
        return where(z > p1, one, _sigmoid(z))
    if kind == "softsign":
        d = 1 + np.abs(x)
        return 1 / (d * d)
    t = x.dtype.type
    if kind == "selu":
        return where(x <= 0, t(_SELU_ALPHA * _SELU_SCALE) * np.exp(np.minimum(x, 0)), t(_SELU_SCALE))
    if kind == "celu":
        return where(x <= 0, t(p1) * t(p0) * np.exp(np.minimum(x, 0) * t(p1)), one)
    if kind == "hardsigmoid":
        return where((x > -3) & (x < 3), t(1 / 6), t(0))
    if kind == "hardswish":
        return where(x <= -3, t(0), where(x < 3, x / t(3) + t(0.5), one))
    if kind == "logsigmoid":
        # PyTorch's log_sigmoid_backward: (x < 0) - sign * z / (1 + z), z = exp(-|x|), sign = +-1
        z = np.exp(-np.abs(x))
        neg = x < 0
        return where(neg, one, t(0)) - where(neg, one, -one) * (z / (1 + z))
    if kind == "tanhshrink":
        th = np.tanh(x)
        return th * th
    raise RuntimeError(f"activation_backward: unknown kind {kind!r}")


def activation(out, x, kind, p0=0.0, p1=0.0):
    if out.size == 0:
        return
    ct = np.dtype(np.int64) if out.dtype.kind in "iu" else compute_dtype(out.dtype)
    a = np.asarray(x).astype(ct, copy=False)
    with np.errstate(all="ignore"):
        r = _forward(kind, a, p0, p1)
    np.copyto(out, r, casting="unsafe")


def activation_backward(out, grad_output, x, kind, p0=0.0, p1=0.0):
    if out.size == 0:
        return
    ct = compute_dtype(out.dtype)
    g = np.asarray(grad_output).astype(ct, copy=False)
    a = np.asarray(x).astype(ct, copy=False)
    zero = ct.type(0)
    with np.errstate(all="ignore"):
        if kind == "relu":
            r = where(a <= 0, zero, g)
        elif kind == "hardtanh":
            r = where((a <= ct.type(p0)) | (a >= ct.type(p1)), zero, g)
        elif kind in ("softshrink", "hardshrink"):
            r = where((a >= -ct.type(p0)) & (a <= ct.type(p0)), zero, g)
        elif kind == "threshold":
            r = where(a <= ct.type(p0), zero, g)
        else:
            r = g * _derivative(kind, a, p0, p1)
    np.copyto(out, r, casting="unsafe")


def prelu(out, x, weight):
    ct = compute_dtype(out.dtype)
    a = np.asarray(x).astype(ct, copy=False)
    w = np.asarray(weight).astype(ct, copy=False)
    with np.errstate(all="ignore"):
        np.copyto(out, where(a > 0, a, w * a), casting="unsafe")


def prelu_backward(out, grad_output, x, weight, wrt):
    ct = compute_dtype(out.dtype)
    g = np.asarray(grad_output).astype(ct, copy=False)
    a = np.asarray(x).astype(ct, copy=False)
    with np.errstate(all="ignore"):
        if wrt == "input":
            r = where(a > 0, g, np.asarray(weight).astype(ct, copy=False) * g)
        else:
            r = where(a > 0, ct.type(0), a * g)
    np.copyto(out, np.broadcast_to(r, out.shape), casting="unsafe")


IMPLS = {"activation": activation, "activation_backward": activation_backward, "prelu": prelu,
         "prelu_backward": prelu_backward}
