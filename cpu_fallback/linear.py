"""numpy impls of the linear family: ``y = act(a @ b + bias) + residual`` (``fused_matmul``; with
the pre-activation ``z = a @ b + bias`` as a second output, ``fused_matmul_z``) and the
backward's ``dz = g * act'(z)`` (``fused_matmul_dz``).

One ``np.matmul`` (batch broadcasting as torch.matmul), then the epilogue in place on its
result; half types compute in float32 and round once into ``out``, as the cuda kernel does.
Activation formulas follow PyTorch's: gelu exact uses erf (Cody's rational, `pointwise_unary`).
"""
import numpy as np

from .pointwise_unary import compute_dtype
from ._select import where

_SQRT1_2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
_K_BETA = 0.7978845608028654  # sqrt(2 / pi)
_K_KAPPA = 0.044715


def _poly(x, coeffs):
    """Horner's rule in place (one temporary)."""
    r = x * coeffs[0]
    r += coeffs[1]
    for c in coeffs[2:]:
        r *= x
        r += c
    return r


# W. J. Cody's rationals (as `pointwise_unary`), evaluated branch-free over the whole array in
# the compute dtype: a branch-free `where` instead of masked indexing keeps it a few streaming passes.
_SMALL_P = (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
            3.20937758913846947e03)
_SMALL_Q = (1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_MID_P = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03,
          1.23033935479799725e03)
_MID_Q = (1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
          3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_FAR_P = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
          1.60837851487422766e-2, 6.58749161529837803e-4)
_FAR_Q = (1.0, 2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
          2.33520497626869185e-3)
_INV_SQRT_PI = 0.5641895835477563


_NR = (0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196,
       1.00002368, -1.26551223)


def _erfc(x):
    """erfc in the compute dtype.  float32: Numerical Recipes' Chebyshev fit (relative error
    < 1.2e-7 everywhere, i.e. float32 rounding, at half the cost of Cody's); float64: 1 - erf."""
    if x.dtype != np.float32:
        return 1.0 - _erf(x)
    z = np.abs(x)
    t = 0.5 * z
    t += 1.0
    np.reciprocal(t, out=t)
    e = _poly(t, _NR)
    z *= z
    e -= z
    np.exp(e, out=e)
    e *= t
    return where(x >= 0, e, 2.0 - e)


def _erf(x):
    t = x * x
    small = x * _poly(t, _SMALL_P) / _poly(t, _SMALL_Q)
    y = np.maximum(np.abs(x), 0.5)
    e = np.exp(-y * y)
    zz = 1.0 / (y * y)
    far = e * (_INV_SQRT_PI - zz * _poly(zz, _FAR_P) / _poly(zz, _FAR_Q)) / y
    erfc = where(y <= 4.0, e * _poly(y, _MID_P) / _poly(y, _MID_Q), far)
    return where(np.abs(x) < 0.5, small, np.copysign(1.0 - erfc, x)).astype(x.dtype, copy=False)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _gelu_tanh_parts(x):
    return np.tanh(_K_BETA * (x + _K_KAPPA * x * x * x))


_FORWARD = {
    "relu": lambda x: where(x < 0, x.dtype.type(0), x),
    # 1 + erf(u) = erfc(-u): no cancellation for negative inputs.
    "gelu": lambda x: 0.5 * x * _erfc(-_SQRT1_2 * x),
    "gelu_tanh": lambda x: 0.5 * x * (1.0 + _gelu_tanh_parts(x)),
    "silu": lambda x: x / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
}


def _gelu_tanh_grad(x):
    t = _gelu_tanh_parts(x)
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _K_BETA * (1.0 + 3.0 * _K_KAPPA * x * x)


def _silu_grad(x):
    s = _sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


_GRAD = {
    "gelu": lambda x: 0.5 * _erfc(-_SQRT1_2 * x) + x * np.exp(-0.5 * x * x) * _INV_SQRT_2PI,
    "gelu_tanh": _gelu_tanh_grad,
    "silu": _silu_grad,
    "tanh": lambda x: 1.0 - np.tanh(x) ** 2,
    "sigmoid": lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)),
}


def _up(x, ct):
    return np.asarray(x).astype(ct, copy=False)


def _run(out, zout, a, b, bias, residual, activation, bias_dim):
    if out.size == 0:
        return
    ct = compute_dtype(out.dtype)
    if (activation is None and out.dtype == ct
            and (residual is None or not np.may_share_memory(out, residual))):
        # The common epilogue-free case in the output's own dtype: GEMM straight into ``out``
        # (numpy copes with an ``out`` overlapping a or b), then the epilogue in place.
        with np.errstate(all="ignore"):
            np.matmul(_up(a, ct), _up(b, ct), out=out)
            if bias is not None:
                bv = _up(bias, ct)
                out += bv[:, None] if bias_dim == -2 else bv
            if zout is not None:
                np.copyto(zout, out)
            if residual is not None:
                out += _up(residual, ct)
        return
    with np.errstate(all="ignore"):
        z = np.matmul(_up(a, ct), _up(b, ct))
        if bias is not None:
            bv = _up(bias, ct)
            z += bv[:, None] if bias_dim == -2 else bv
        if zout is not None:
            np.copyto(zout, z, casting="unsafe")
        y = z if activation is None else _FORWARD[activation](z)
        if residual is not None:
            y = y + _up(residual, ct)
    np.copyto(out, y, casting="unsafe")


def fused_matmul(out, a, b, bias, residual, activation=None, bias_dim=-1, tf32=False):
    """``tf32`` (the cuda launcher's TF32 choice) is accepted and ignored: the cpu computes IEEE fp32."""
    _run(out, None, a, b, bias, residual, activation, bias_dim)


def fused_matmul_z(outs, a, b, bias, residual, activation=None, bias_dim=-1, tf32=False):
    """``fused_matmul`` that also stores the pre-activation; ``tf32`` ignored as there."""
    _run(outs[0], outs[1], a, b, bias, residual, activation, bias_dim)


def fused_matmul_dz(out, g, z, activation=None):
    if out.size == 0:
        return
    ct = compute_dtype(out.dtype)
    gg = _up(g, ct)
    if activation is None:
        np.copyto(out, gg, casting="unsafe")
        return
    with np.errstate(all="ignore"):
        if activation == "relu":
            # torch's threshold_backward selects rather than multiplies: an inf/NaN gradient where
            # z <= 0 gives +0 (not NaN), and a NaN z lets the gradient through.
            r = np.where(_up(z, ct) <= 0, ct.type(0), gg)
        else:
            r = gg * _GRAD[activation](_up(z, ct))
    np.copyto(out, r, casting="unsafe")


IMPLS = {"fused_matmul": fused_matmul, "fused_matmul_z": fused_matmul_z, "fused_matmul_dz": fused_matmul_dz}
