"""Triton kernels: the elementwise unary ops (math functions, rounding, predicates, `nan_to_num`)
and the device math helpers the binary ops share (`pointwise.py`: atan, sqrt_ieee, div_ieee,
trunc).  tanh, sigmoid, expm1, log1p and copysign are the device math library's
(`_activation.py`), shared with the activations and the fused matmul epilogue.

Every op is one small ``@triton.jit`` scalar function run by the shared elementwise generator
(`_elementwise.pointwise`, which owns the tiling: 1024 elements per program on a GPU; strided
and broadcast inputs are read in place, dims collapsed, one launch; nothing else is fused).
Values are converted to the compute dtype first: float32 for float16/bfloat16 (one rounding on
store, as the cpu fallback does), the output's own dtype otherwise, and uint8 for bool
(Triton's 1-bit integers wrap and compare signed, numpy's bools saturate).

Bytes moved per element: input item size + output item size.  FLOPs per element: 1 for the
arithmetic ops, ~10-40 for the composed transcendentals (expm1/log1p: exp + log + 3; atan: a
degree-4/5 rational; erf/erfc: W. J. Cody's rational approximations, ~30 and ~60; erfinv: M.
Giles' polynomial + one (float32) or two (float64) Newton steps, ~150 per step).

Only core ``tl`` math is used (exp, exp2, log, log2, sin, cos, sqrt, floor, ceil, fma):
libdevice calls do not run in Triton's interpreter.  Functions with no ``tl`` primitive are
composed so they keep full relative precision in float64 (within a few ulps of numpy): expm1
and log1p by Kahan's correction ratios (`_activation`), tanh/sinh through expm1, atan by Cephes' range
reduction and rational, asin/acos/atanh/asinh/acosh through atan/log1p, erf/erfc/erfinv as the
cpu fallback.  Division and sqrt are the correctly rounded instructions (`div_ieee`,
`sqrt_ieee`); float32 exp/log are the GPU's fast approximations (~2 ulp).
"""
import ml_dtypes
import numpy as np
import triton
import triton.language as tl

from ._activation import copysign, expm1, log1p, tanh, sigmoid
from ._dtypes import TL, BF16, compute_tl
from ._elementwise import pointwise, identity

__all__ = ["UNARY_IMPLS", "ct_of"]

_INF = tl.constexpr(float("inf"))
_NAN = tl.constexpr(float("nan"))
_PI = tl.constexpr(3.141592653589793)
_PI_2 = tl.constexpr(1.5707963267948966)
_PI_4 = tl.constexpr(0.7853981633974483)
_LN2 = tl.constexpr(0.6931471805599453)
_INV_LN10 = tl.constexpr(0.4342944819032518)
_INV_SQRT_PI = tl.constexpr(0.5641895835477563)
_SQRT_PI_2 = tl.constexpr(0.886226925452758)
# Above 2**28, sqrt(x*x +- 1) == |x| in float64: asinh/acosh become log(2|x|).
_BIG = tl.constexpr(268435456.0)


def ct_of(np_dtype):
    """Compute dtype of an op whose result dtype is ``np_dtype`` (bool computes in uint8)."""
    if np_dtype == np.bool_:
        return tl.uint8
    return compute_tl(np_dtype)


# ---- shared device math -----------------------------------------------------------------------------
@triton.jit
def sqrt_ieee(x):
    # tl.sqrt is the approximate instruction for float32 on a GPU; numpy's is correctly rounded.
    if x.dtype == tl.float64:
        r = tl.sqrt(x)
    else:
        r = tl.math.sqrt_rn(x)
    return r


@triton.jit
def div_ieee(a, b):
    # float32 `/` compiles to the 2-ulp div.full on a GPU; numpy's division is correctly rounded.
    if b.dtype == tl.float32:
        r = tl.math.div_rn(a, b)
    else:
        r = a / b
    return r


@triton.jit
def atan(x):
    # Cephes: reduce |x| to [0, 0.66] (tan(3pi/8) = 2.414...), then x + x^3 P(x^2) / Q(x^2).
    ax = tl.abs(x)
    big = ax > 2.414213562373095
    mid = ax > 0.66
    t = tl.where(big, -1.0 / ax, tl.where(mid, (ax - 1.0) / (ax + 1.0), ax))
    # (A Python-float constant takes the tensor's dtype; a where() of two constants would be fp32.)
    zero = tl.zeros_like(ax)
    base = tl.where(big, _PI_2, tl.where(mid, _PI_4, zero))
    # pi/2 and pi/4 rounded to float64 are short by 6.1e-17 and half of it.
    more = tl.where(big, 6.123233995736766e-17, tl.where(mid, 3.061616997868383e-17, zero))
    z = t * t
    p = ((((-8.750608600031904e-1 * z - 1.615753718733365e1) * z - 7.500855792314705e1) * z
          - 1.228866684490136e2) * z - 6.485021904942025e1)
    q = (((((z + 2.485846490142306e1) * z + 1.650270098316989e2) * z + 4.328810604912903e2) * z
          + 4.853903996359137e2) * z + 1.945506571482614e2)
    r = base + (t + t * (z * p / q) + more)
    r = tl.where(ax == _INF, _PI_2, r)
    return copysign(r, x)


@triton.jit
def _erf_small(x):
    # Cody, |x| < 0.5: x * P(x^2) / Q(x^2).
    t = x * x
    num = 1.85777706184603153e-1 * t
    den = t
    num = (num + 3.16112374387056560e00) * t
    den = (den + 2.36012909523441209e01) * t
    num = (num + 1.13864154151050156e02) * t
    den = (den + 2.44024637934444173e02) * t
    num = (num + 3.77485237685302021e02) * t
    den = (den + 1.28261652607737228e03) * t
    return x * (num + 3.20937758913846947e03) / (den + 2.84423683343917062e03)


@triton.jit
def _erfc_pos(y):
    # Cody, y >= 0.5: a rational in y up to 4, a rational in 1/y^2 beyond.
    num = 2.15311535474403846e-8 * y
    den = y
    num = (num + 5.64188496988670089e-1) * y
    den = (den + 1.57449261107098347e01) * y
    num = (num + 8.88314979438837594e00) * y
    den = (den + 1.17693950891312499e02) * y
    num = (num + 6.61191906371416295e01) * y
    den = (den + 5.37181101862009858e02) * y
    num = (num + 2.98635138197400131e02) * y
    den = (den + 1.62138957456669019e03) * y
    num = (num + 8.81952221241769090e02) * y
    den = (den + 3.29079923573345963e03) * y
    num = (num + 1.71204761263407058e03) * y
    den = (den + 4.36261909014324716e03) * y
    num = (num + 2.05107837782607147e03) * y
    den = (den + 3.43936767414372164e03) * y
    e = tl.exp(-y * y)
    mid = e * (num + 1.23033935479799725e03) / (den + 1.23033935480374942e03)
    zz = 1.0 / (y * y)
    num = 1.63153871373020978e-2 * zz
    den = zz
    num = (num + 3.05326634961232344e-1) * zz
    den = (den + 2.56852019228982242e00) * zz
    num = (num + 3.60344899949804439e-1) * zz
    den = (den + 1.87295284992346725e00) * zz
    num = (num + 1.25781726111229246e-1) * zz
    den = (den + 5.27905102951428412e-1) * zz
    num = (num + 1.60837851487422766e-2) * zz
    den = (den + 6.05183413124413191e-2) * zz
    t = zz * (num + 6.58749161529837803e-4) / (den + 2.33520497626869185e-3)
    far = e * ((_INV_SQRT_PI - t) / y)
    return tl.where(y <= 4.0, mid, far)


@triton.jit
def erf(x):
    ax = tl.abs(x)
    big = 1.0 - _erfc_pos(ax)
    return tl.where(ax < 0.5, _erf_small(x), tl.where(x < 0, -big, big))


@triton.jit
def erfc(x):
    # 1 - erf(x) only where it cannot cancel (erf(x) < 0.53).
    return tl.where(x >= 0.5, _erfc_pos(x), 1.0 - erf(x))


@triton.jit
def erfinv(x):
    # Giles' single-precision polynomial in w = -log(1 - x^2), then Newton on erf (on erfc in
    # the tails, where 1 - |x| is exact) to full precision, as the cpu fallback.
    w = -tl.log((1.0 - x) * (1.0 + x))
    c = w < 5.0
    wc = tl.where(c, w - 2.5, sqrt_ieee(tl.where(c, 5.0, w)) - 3.0)
    zero = tl.zeros_like(x)
    p = tl.where(c, 2.81022636e-08, zero - 0.000200214257)
    p = tl.where(c, 3.43273939e-07, zero + 0.000100950558) + p * wc
    p = tl.where(c, -3.5233877e-06, zero + 0.00134934322) + p * wc
    p = tl.where(c, -4.39150654e-06, zero - 0.00367342844) + p * wc
    p = tl.where(c, 0.00021858087, zero + 0.00573950773) + p * wc
    p = tl.where(c, -0.00125372503, zero - 0.0076224613) + p * wc
    p = tl.where(c, -0.00417768164, zero + 0.00943887047) + p * wc
    p = tl.where(c, 0.246640727, zero + 1.00167406) + p * wc
    p = tl.where(c, 1.50140941, zero + 2.83297682) + p * wc
    y = p * x
    ax = tl.abs(x)
    tail = ax > 0.5
    sx = tl.where(x < 0, -1.0, 1.0)
    # Giles' 1e-7 error squares at each step: one step reaches float32, two float64.
    if x.dtype == tl.float64:
        steps: tl.constexpr = 2
    else:
        steps: tl.constexpr = 1
    for _ in tl.static_range(steps):
        fin = tl.abs(y) < _INF
        ys = tl.where(fin, y, 0.0)
        ay = tl.abs(ys)
        # erf(ay) and erfc(ay) from one evaluation of each Cody rational.
        s = _erf_small(ay)
        e = _erfc_pos(ay)
        erfc_ay = tl.where(ay >= 0.5, e, 1.0 - s)
        erf_ay = tl.where(ay < 0.5, s, 1.0 - e)
        f = tl.where(tail, ((1.0 - ax) - erfc_ay) * sx, tl.where(ys < 0, -erf_ay, erf_ay) - x)
        y = tl.where(fin, y - f * _SQRT_PI_2 * tl.exp(ys * ys), y)
    y = tl.where(ax == 1.0, sx * _INF, y)
    return tl.where(ax > 1.0, _NAN, y)


@triton.jit
def rint(x):
    # Round half to even: floor, then up where the fraction (exact) is above a half, or is a
    # half and the floor odd.  The sign of zero follows x, as numpy's.
    f = tl.floor(x)
    d = x - f
    odd = (f - 2.0 * tl.floor(f * 0.5)) == 1.0
    r = tl.where((d > 0.5) | ((d == 0.5) & odd), f + 1.0, f)
    return tl.where(r == 0.0, x * 0.0, r)


@triton.jit
def trunc(x):
    return tl.where(x < 0, tl.ceil(x), tl.floor(x))


# ---- the ops' scalar functions -----------------------------------------------------------------------
@triton.jit
def _neg(x, y, z, p0, p1, p2):
    return -x


@triton.jit
def _abs(x, y, z, p0, p1, p2):
    return tl.abs(x)


@triton.jit
def _sign(x, y, z, p0, p1, p2):
    # NaN gives 0 (PyTorch).
    return (tl.where(x > 0, 1, 0) - tl.where(x < 0, 1, 0)).to(x.dtype)


@triton.jit
def _reciprocal(x, y, z, p0, p1, p2):
    return div_ieee(1.0, x)


@triton.jit
def _exp(x, y, z, p0, p1, p2):
    return tl.exp(x)


@triton.jit
def _exp2(x, y, z, p0, p1, p2):
    return tl.exp2(x)


@triton.jit
def _expm1(x, y, z, p0, p1, p2):
    return expm1(x)


@triton.jit
def _log(x, y, z, p0, p1, p2):
    return tl.log(x)


@triton.jit
def _log2(x, y, z, p0, p1, p2):
    return tl.log2(x)


@triton.jit
def _log10(x, y, z, p0, p1, p2):
    return tl.log(x) * _INV_LN10


@triton.jit
def _log1p(x, y, z, p0, p1, p2):
    return log1p(x)


@triton.jit
def _sqrt(x, y, z, p0, p1, p2):
    return sqrt_ieee(x)


@triton.jit
def _rsqrt(x, y, z, p0, p1, p2):
    return div_ieee(1.0, sqrt_ieee(x))


@triton.jit
def _square(x, y, z, p0, p1, p2):
    return x * x


@triton.jit
def _sin(x, y, z, p0, p1, p2):
    return tl.sin(x)


@triton.jit
def _cos(x, y, z, p0, p1, p2):
    return tl.cos(x)


@triton.jit
def _tan(x, y, z, p0, p1, p2):
    return tl.sin(x) / tl.cos(x)


@triton.jit
def _tanh(x, y, z, p0, p1, p2):
    return tanh(x)


@triton.jit
def _sigmoid(x, y, z, p0, p1, p2):
    return sigmoid(x)


@triton.jit
def _asin(x, y, z, p0, p1, p2):
    # (1 - x)(1 + x) is exact enough near |x| = 1, where 1 - x*x would cancel.
    return atan(x / sqrt_ieee((1.0 - x) * (1.0 + x)))


@triton.jit
def _acos(x, y, z, p0, p1, p2):
    # 2 atan(sqrt((1 - x) / (1 + x))): full relative precision near x = 1 (small results).
    return 2.0 * atan(sqrt_ieee((1.0 - x) / (1.0 + x)))


@triton.jit
def _atan(x, y, z, p0, p1, p2):
    return atan(x)


@triton.jit
def _sinh(x, y, z, p0, p1, p2):
    ax = tl.abs(x)
    t = expm1(ax)
    h = tl.exp(0.5 * ax)
    # (t + t / (t + 1)) / 2 keeps precision near 0; exp(|x|/2)^2 / 2 avoids overflow where
    # exp(|x|) alone would overflow first.
    r = tl.where(ax > 20.0, (0.5 * h) * h, 0.5 * (t + t / (t + 1.0)))
    return copysign(r, x)


@triton.jit
def _cosh(x, y, z, p0, p1, p2):
    ax = tl.abs(x)
    e = tl.exp(ax)
    h = tl.exp(0.5 * ax)
    return tl.where(ax > 20.0, (0.5 * h) * h, 0.5 * (e + 1.0 / e))


@triton.jit
def _asinh(x, y, z, p0, p1, p2):
    ax = tl.abs(x)
    s = ax * ax
    r = log1p(ax + s / (1.0 + sqrt_ieee(1.0 + s)))
    r = tl.where(ax > _BIG, tl.log(ax) + _LN2, r)
    return copysign(r, x)


@triton.jit
def _acosh(x, y, z, p0, p1, p2):
    # log1p(t + sqrt(2t + t^2)) with t = x - 1 (exact near 1, where the result is small).
    t = x - 1.0
    r = log1p(t + sqrt_ieee(t * (2.0 + t)))
    r = tl.where(x > _BIG, tl.log(x) + _LN2, r)
    return tl.where(x < 1.0, _NAN, r)


@triton.jit
def _atanh(x, y, z, p0, p1, p2):
    ax = tl.abs(x)
    r = 0.5 * log1p(2.0 * ax / (1.0 - ax))
    return copysign(r, x)


@triton.jit
def _floor(x, y, z, p0, p1, p2):
    return tl.floor(x)


@triton.jit
def _ceil(x, y, z, p0, p1, p2):
    return tl.ceil(x)


@triton.jit
def _trunc(x, y, z, p0, p1, p2):
    return trunc(x)


@triton.jit
def _round(x, y, z, p0, p1, p2):
    return rint(x)


@triton.jit
def _round_mul(x, y, z, p0, p1, p2):
    # numpy's round(x, decimals > 0) in the compute dtype: scale by p0 = 10^decimals, round half
    # to even, scale back.
    f = p0.to(x.dtype)
    return div_ieee(rint(x * f), f)


@triton.jit
def _round_div(x, y, z, p0, p1, p2):
    # decimals < 0: p0 = 10^-decimals.
    f = p0.to(x.dtype)
    return rint(div_ieee(x, f)) * f


@triton.jit
def _frac(x, y, z, p0, p1, p2):
    return x - trunc(x)


@triton.jit
def _erf(x, y, z, p0, p1, p2):
    return erf(x)


@triton.jit
def _erfc(x, y, z, p0, p1, p2):
    return erfc(x)


@triton.jit
def _erfinv(x, y, z, p0, p1, p2):
    return erfinv(x)


@triton.jit
def _isnan(x, y, z, p0, p1, p2):
    return x != x


@triton.jit
def _isinf(x, y, z, p0, p1, p2):
    return tl.abs(x) == _INF


@triton.jit
def _isfinite(x, y, z, p0, p1, p2):
    return tl.abs(x) < _INF


@triton.jit
def _is_zero(x, y, z, p0, p1, p2):
    return x == 0


@triton.jit
def _bitwise_not(x, y, z, p0, p1, p2):
    return ~x


@triton.jit
def _nan_to_num(x, y, z, p0, p1, p2):
    r = tl.where(x != x, p0.to(x.dtype), x)
    r = tl.where(x == _INF, p1.to(x.dtype), r)
    return tl.where(x == -_INF, p2.to(x.dtype), r)


# ---- impls -------------------------------------------------------------------------------------------
def _unary(fn):
    def impl(out, x):
        pointwise(fn, out, [x], ct_of(out.dtype))
    return impl


def _keep_ints(fn):
    """Rounding ops: integers are already integral (a copy, as in PyTorch)."""
    def impl(out, x):
        pointwise(identity if out.dtype.kind in "iu" else fn, out, [x], ct_of(out.dtype))
    return impl


def sign(out, x):
    pointwise(identity if out.dtype == np.bool_ else _sign, out, [x], ct_of(out.dtype))


def round(out, x, decimals=0):
    if out.dtype.kind in "iu" or decimals == 0:
        pointwise(identity if out.dtype.kind in "iu" else _round, out, [x], ct_of(out.dtype))
    else:
        pointwise(_round_mul if decimals > 0 else _round_div, out, [x], ct_of(out.dtype), (10.0 ** abs(decimals),))


def _predicate(fn):
    """isnan/isinf/isfinite of the input in its own (compute) dtype; on integers ``x != x`` and
    ``|x| == inf`` are False and ``|x| < inf`` True, as numpy's."""
    def impl(out, x):
        pointwise(fn, out, [x], ct_of(x.dtype))
    return impl


def logical_not(out, x):
    pointwise(_is_zero, out, [x], ct_of(x.dtype))


def bitwise_not(out, x):
    if out.dtype == np.bool_:
        pointwise(_is_zero, out, [x], tl.uint8)
    else:
        pointwise(_bitwise_not, out, [x], TL[out.dtype])


def nan_to_num(out, x, nan=0.0, posinf=None, neginf=None):
    if out.dtype.kind in "biu":
        pointwise(identity, out, [x], TL[out.dtype])
        return
    fi = ml_dtypes.finfo(out.dtype) if out.dtype == BF16 else np.finfo(out.dtype)
    pointwise(_nan_to_num, out, [x], compute_tl(out.dtype),
              (float(nan), float(fi.max) if posinf is None else float(posinf),
               float(fi.min) if neginf is None else float(neginf)))


UNARY_IMPLS = {
    "neg": _unary(_neg), "abs": _unary(_abs), "sign": sign, "reciprocal": _unary(_reciprocal),
    "exp": _unary(_exp), "exp2": _unary(_exp2), "expm1": _unary(_expm1), "log": _unary(_log),
    "log2": _unary(_log2), "log10": _unary(_log10), "log1p": _unary(_log1p),
    "sqrt": _unary(_sqrt), "rsqrt": _unary(_rsqrt), "square": _unary(_square),
    "sin": _unary(_sin), "cos": _unary(_cos), "tan": _unary(_tan), "tanh": _unary(_tanh),
    "sigmoid": _unary(_sigmoid), "asin": _unary(_asin), "acos": _unary(_acos), "atan": _unary(_atan),
    "sinh": _unary(_sinh), "cosh": _unary(_cosh), "asinh": _unary(_asinh),
    "acosh": _unary(_acosh), "atanh": _unary(_atanh),
    "floor": _keep_ints(_floor), "ceil": _keep_ints(_ceil), "trunc": _keep_ints(_trunc),
    "round": round, "frac": _unary(_frac), "erf": _unary(_erf), "erfc": _unary(_erfc),
    "erfinv": _unary(_erfinv),
    "isnan": _predicate(_isnan), "isinf": _predicate(_isinf), "isfinite": _predicate(_isfinite),
    "logical_not": logical_not, "bitwise_not": bitwise_not, "nan_to_num": nan_to_num,
}
