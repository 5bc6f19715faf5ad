"""The device math library: activations, their derivatives and the elementary functions they are
built from (``@triton.jit`` scalar functions), each written once.

Users: the pointwise unary ops (`pointwise_unary.py`: ``tt.sigmoid``, ``tt.tanh``, expm1, log1p),
the activation family (`activation.py`: ``F.silu``, ``F.gelu``, ... and their backward) and the
fused matmul's epilogue and its backward (`linear.py`).  One definition per function is what
makes ``tt.sigmoid(x)``, an activation and the GEMM epilogue agree bit for bit
(tests/test_device_math.py).

Conventions.  ``f(x)`` is the forward value; ``f_backward(g, x)`` is ``g * f'(x)`` as a function
of the pre-activation ``x`` (so a backward needs the saved input, never the output), written in
the operation order of the matching tensor-op backward where one exists (``tt.sigmoid``'s
``g * y * (1 - y)``, ``tt.tanh``'s ``g * (1 - y * y)``), so fp32 results agree bit for bit there
too.  Arguments are in the compute dtype: float32 for half types (the caller widens and rounds
once on store) or float64; the formulas keep full relative precision in both.  ``identity``
stands for "no activation", so a kernel can take the function itself as a constexpr argument.

Numerics: no intermediate overflows for large |x| (exp only ever sees a non-positive argument in
sigmoid / silu / softplus, and tanh saturates before expm1 would), so fp32 inputs beyond +-88
give the correct limits, never inf / inf = NaN.  Formulas follow PyTorch's
(aten/src/ATen/native/cpu/Activation.cpp): gelu exact is ``x/2 * (1 + erf(x/sqrt 2))`` with
``tl.math.erf`` (a core ``tl`` function that runs in the interpreter and lowers to libdevice's erf
on sm_80/sm_90); gelu "tanh" is ``x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``; tanh goes
through expm1 so small arguments keep full relative precision; expm1 and log1p by Kahan's
correction ratios (core ``tl`` exp/log only).  relu passes NaN through and maps -0 to +0 (the cpu
fallback's ``where(x <= 0, 0, x)``); its gradient is PyTorch's ``threshold_backward``: 0 where
``x <= 0``, the incoming gradient untouched (NaN / inf included) elsewhere.
"""
import triton
import triton.language as tl

__all__ = ["signbit", "copysign", "expm1", "log1p", "identity", "relu", "relu_backward", "tanh", "tanh_backward",
           "sigmoid", "sigmoid_backward", "silu", "silu_backward", "gelu", "gelu_backward", "gelu_tanh",
           "gelu_tanh_backward", "softplus", "mish", "mish_backward", "hardsigmoid", "hardsigmoid_backward",
           "hardswish", "hardswish_backward", "SELU_ALPHA", "SELU_SCALE", "FORWARD"]

_INF = tl.constexpr(float("inf"))
_SQRT1_2 = tl.constexpr(0.7071067811865476)
_INV_SQRT_2PI = tl.constexpr(0.3989422804014327)
_K_BETA = tl.constexpr(0.7978845608028654)  # sqrt(2 / pi)
_K_KAPPA = tl.constexpr(0.044715)
SELU_ALPHA = tl.constexpr(1.6732632423543772848170429916717)
SELU_SCALE = tl.constexpr(1.0507009873554804934193349852946)


# ---- elementary functions ----------------------------------------------------------------------
@triton.jit
def signbit(x):
    """The sign bit of float ``x`` (True for -0.0 and negative NaNs too)."""
    if x.dtype == tl.float64:
        s = x.to(tl.int64, bitcast=True) < 0
    else:
        s = x.to(tl.int32, bitcast=True) < 0
    return s


@triton.jit
def copysign(mag, sgn):
    """|mag| with the sign bit of ``sgn``."""
    m = tl.abs(mag)
    return tl.where(signbit(sgn), -m, m)


@triton.jit
def expm1(x):
    """exp(x) - 1, full relative precision near 0."""
    u = tl.exp(x)
    um1 = u - 1.0
    # Kahan: the ratio (u - 1) / log(u) cancels exp's rounding error, so small x keep full
    # relative precision; x / log(u) first so that (u - 1) * x cannot overflow.
    r = um1 * (x / tl.log(u))
    r = tl.where(u == 1.0, x, r)
    r = tl.where(um1 == -1.0, -1.0, r)
    return tl.where(u == _INF, u, r)


@triton.jit
def log1p(x):
    """log(1 + x), full relative precision near 0."""
    u = 1.0 + x
    r = tl.log(u) * (x / (u - 1.0))
    r = tl.where(u == 1.0, x, r)
    return tl.where(u == _INF, u, r)


# ---- activations and g * f'(x) -----------------------------------------------------------------
@triton.jit
def identity(x):
    """x (no activation)."""
    return x


@triton.jit
def relu(x):
    """max(x, 0) with NaN passing through; integer x stays integer."""
    return tl.where(x <= 0, 0, x)


@triton.jit
def relu_backward(g, x):
    """g where x > 0, else 0 (PyTorch's threshold_backward: no g * 0, so inf / NaN g give 0)."""
    return tl.where(x <= 0, 0.0, g)


@triton.jit
def tanh(x):
    """tanh(x) = sign(x) expm1(2|x|) / (expm1(2|x|) + 2)."""
    # No cancellation near 0; exactly 1 from |x| > 22 on (before expm1 overflows).
    ax = tl.abs(x)
    t = expm1(2.0 * ax)
    r = tl.where(ax > 22.0, 1.0, t / (t + 2.0)).to(x.dtype)
    return copysign(r, x)


@triton.jit
def tanh_backward(g, x):
    """g * (1 - tanh(x)^2)."""
    t = tanh(x)
    return g * (1.0 - t * t)


@triton.jit
def sigmoid(x):
    """1 / (1 + exp(-x)) with exp of a non-positive argument only (no overflow for large |x|)."""
    e = tl.exp(-tl.abs(x))
    return tl.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@triton.jit
def sigmoid_backward(g, x):
    """g * s * (1 - s), s = sigmoid(x) (left to right, as ``tt.sigmoid``'s tensor backward)."""
    s = sigmoid(x)
    return g * s * (1.0 - s)


@triton.jit
def silu(x):
    """x * sigmoid(x)."""
    return x * sigmoid(x)


@triton.jit
def silu_backward(g, x):
    """g * s (1 + x (1 - s)), s = sigmoid(x)."""
    s = sigmoid(x)
    return g * (s * (1.0 + x * (1.0 - s)))


@triton.jit
def gelu(x):
    """x/2 (1 + erf(x / sqrt 2))."""
    return 0.5 * x * (1.0 + tl.math.erf(x * _SQRT1_2))


@triton.jit
def gelu_backward(g, x):
    """g * (Phi(x) + x phi(x))."""
    cdf = 0.5 * (1.0 + tl.math.erf(x * _SQRT1_2))
    pdf = tl.exp(-0.5 * x * x) * _INV_SQRT_2PI
    return g * (cdf + x * pdf)


@triton.jit
def gelu_tanh(x):
    """x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    inner = _K_BETA * (x + _K_KAPPA * x * x * x)
    return 0.5 * x * (1.0 + tanh(inner))


@triton.jit
def gelu_tanh_backward(g, x):
    """g * d/dx gelu_tanh(x)."""
    x_sq = x * x
    inner = _K_BETA * (x + _K_KAPPA * x_sq * x)
    t = tanh(inner)
    left_derivative = 0.5 * (1.0 + t)
    right_derivative = 0.5 * x * (1.0 - t * t) * _K_BETA * (1.0 + 3.0 * _K_KAPPA * x_sq)
    return g * (left_derivative + right_derivative)


@triton.jit
def softplus(x):
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)) (no overflow)."""
    return tl.maximum(x, 0.0) + log1p(tl.exp(-tl.abs(x)))


@triton.jit
def mish(x):
    """x * tanh(softplus(x))."""
    return x * tanh(softplus(x))


@triton.jit
def mish_backward(g, x):
    """g * (t + x sigmoid(x) (1 - t^2)), t = tanh(softplus(x))."""
    t = tanh(softplus(x))
    return g * (t + x * sigmoid(x) * (1.0 - t * t))


@triton.jit
def _relu6_of_shift(x):
    """min(max(x + 3, 0), 6), NaN passing through (as PyTorch's std::min / std::max chain)."""
    t = x + 3.0
    return tl.where(t < 0, 0.0, tl.where(t > 6.0, 6.0, t))


@triton.jit
def hardsigmoid(x):
    """relu6(x + 3) / 6."""
    return _relu6_of_shift(x) / 6.0


@triton.jit
def hardsigmoid_backward(g, x):
    """g / 6 strictly inside (-3, 3), else 0 (NaN: 0), as PyTorch's hardsigmoid_backward."""
    # (a float literal 1/6 would be a float32 constant: divide in x's dtype instead)
    return g * (tl.where((x > -3.0) & (x < 3.0), 1.0, 0.0).to(x.dtype) / 6.0)


@triton.jit
def hardswish(x):
    """x relu6(x + 3) / 6."""
    return x * _relu6_of_shift(x) / 6.0


@triton.jit
def hardswish_backward(g, x):
    """PyTorch's hardswish_backward: 0 at and below -3, g (x / 3 + 1/2) strictly inside, g from 3 up."""
    return g * tl.where(x <= -3.0, 0.0, tl.where(x < 3.0, x / 3.0 + 0.5, 1.0))


# Activation name (None for none) -> the forward function, for launchers.
FORWARD = {None: identity, "relu": relu, "gelu": gelu, "gelu_tanh": gelu_tanh, "silu": silu,
           "tanh": tanh, "sigmoid": sigmoid}
