"""Device activation functions shared by fused kernels (``@triton.jit`` scalar functions).

Each ``f(x)`` is the forward value and ``f_grad(x)`` is df/dx as a function of the
pre-activation ``x`` (so a backward needs the saved input, never the output).  They work on
float32 values (half types are widened by the caller and rounded once on store) and are exact
to float64 precision as well, so fp64 kernels can use them.  ``identity`` stands
for "no activation", so a kernel can take the function itself as a constexpr argument.

Formulas follow PyTorch's (aten/src/ATen/native/cpu/Activation.cpp): gelu exact is
``x/2 * (1 + erf(x/sqrt 2))`` with ``tl.math.erf`` (a core ``tl`` function that runs in the
interpreter and lowers to libdevice's erf on sm_80/sm_90); gelu "tanh" is
``x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``; tanh goes through expm1 so small
arguments keep full relative precision.  relu passes NaN through, as torch.relu does.
"""
import triton
import triton.language as tl

from .pointwise_unary import copysign, expm1

__all__ = ["identity", "relu", "gelu", "gelu_tanh", "silu", "tanh", "sigmoid",
           "relu_grad", "gelu_grad", "gelu_tanh_grad", "silu_grad", "tanh_grad",
           "sigmoid_grad", "hardsigmoid", "hardsigmoid_grad", "hardswish", "hardswish_grad",
           "SELU_ALPHA", "SELU_SCALE", "FORWARD"]

_SQRT1_2 = tl.constexpr(0.7071067811865476)
_INV_SQRT_2PI = tl.constexpr(0.3989422804014327)
_K_BETA = tl.constexpr(0.7978845608028654)  # sqrt(2 / pi)
_K_KAPPA = tl.constexpr(0.044715)
SELU_ALPHA = tl.constexpr(1.6732632423543772848170429916717)
SELU_SCALE = tl.constexpr(1.0507009873554804934193349852946)


@triton.jit
def identity(x):
    return x


@triton.jit
def relu(x):
    return tl.where(x < 0, 0.0, x).to(x.dtype)


@triton.jit
def relu_grad(x):
    # torch's threshold_backward: the gradient is zero where the output is <= 0 (NaN passes).
    return tl.where(x <= 0, 0.0, 1.0).to(x.dtype)


@triton.jit
def tanh(x):
    # expm1(2|x|) / (expm1(2|x|) + 2): no cancellation near 0; 1 once exp overflows.
    ax = tl.abs(x)
    t = expm1(2.0 * ax)
    r = tl.where(ax > 22.0, 1.0, t / (t + 2.0)).to(x.dtype)
    return copysign(r, x)


@triton.jit
def tanh_grad(x):
    t = tanh(x)
    return 1.0 - t * t


@triton.jit
def sigmoid(x):
    return 1.0 / (1.0 + tl.exp(-x))


@triton.jit
def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1.0 - s)


@triton.jit
def silu(x):
    return x / (1.0 + tl.exp(-x))


@triton.jit
def silu_grad(x):
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


@triton.jit
def gelu(x):
    return 0.5 * x * (1.0 + tl.math.erf(x * _SQRT1_2))


@triton.jit
def gelu_grad(x):
    cdf = 0.5 * (1.0 + tl.math.erf(x * _SQRT1_2))
    pdf = tl.exp(-0.5 * x * x) * _INV_SQRT_2PI
    return cdf + x * pdf


@triton.jit
def gelu_tanh(x):
    inner = _K_BETA * (x + _K_KAPPA * x * x * x)
    return 0.5 * x * (1.0 + tanh(inner))


@triton.jit
def gelu_tanh_grad(x):
    x_sq = x * x
    inner = _K_BETA * (x + _K_KAPPA * x_sq * x)
    t = tanh(inner)
    left_derivative = 0.5 * (1.0 + t)
    right_derivative = 0.5 * x * (1.0 - t * t) * _K_BETA * (1.0 + 3.0 * _K_KAPPA * x_sq)
    return left_derivative + right_derivative


@triton.jit
def _relu6_of_shift(x):
    # min(max(x + 3, 0), 6), NaN passing through (as PyTorch's std::min / std::max chain)
    t = x + 3.0
    return tl.where(t < 0, 0.0, tl.where(t > 6.0, 6.0, t))


@triton.jit
def hardsigmoid(x):
    return _relu6_of_shift(x) / 6.0


@triton.jit
def hardsigmoid_grad(x):
    # 1/6 strictly inside (-3, 3), else 0 (NaN: 0), as PyTorch's hardsigmoid_backward
    # (a float literal 1/6 would be a float32 constant: divide in x's dtype instead)
    return tl.where((x > -3.0) & (x < 3.0), 1.0, 0.0).to(x.dtype) / 6.0


@triton.jit
def hardswish(x):
    return x * _relu6_of_shift(x) / 6.0


@triton.jit
def hardswish_grad(x):
    # PyTorch's hardswish_backward: 0 at and below -3, x / 3 + 1/2 strictly inside, 1 from 3 up (and NaN)
    return tl.where(x <= -3.0, 0.0, tl.where(x < 3.0, x / 3.0 + 0.5, 1.0))


# Activation name (None for none) -> the forward function, for launchers.
FORWARD = {None: identity, "relu": relu, "gelu": gelu, "gelu_tanh": gelu_tanh, "silu": silu,
           "tanh": tanh, "sigmoid": sigmoid}
