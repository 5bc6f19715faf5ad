"""numpy impls of the elementwise unary ops (math functions, rounding, predicates,
`nan_to_num`) and the half-precision helpers every pointwise impl uses.

Transcendental functions compute in ``compute_dtype(out.dtype)`` (float32 for the half
types, rounding once into ``out``); `erf`, `erfc` and `erfinv` compute in float64 with
W. J. Cody's rational approximations (erfinv: M. Giles' approximation refined by Newton).
"""
import math

import numpy as np
import ml_dtypes

from ._select import where

_BF16 = np.dtype(ml_dtypes.bfloat16)
_F32 = np.dtype(np.float32)
_F16 = np.dtype(np.float16)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2


def compute_dtype(dt):
    """The numpy dtype arithmetic runs in for an output dtype ``dt``."""
    return _F32 if (dt == _F16 or dt == _BF16) else dt


def _up(x):
    """Half-precision inputs to float32 (numpy scalars and other dtypes pass through)."""
    if isinstance(x, np.ndarray) and (x.dtype == _BF16 or x.dtype == _F16):
        return x.astype(_F32)
    return x


def _ufunc1(uf):
    def impl(out, x):
        uf(_up(x), out=out, dtype=compute_dtype(out.dtype), casting="unsafe")
    return impl


def _keep_ints(uf):
    """Rounding ops: integers are already integral (a copy, as in PyTorch)."""
    def impl(out, x):
        if out.dtype.kind in "iu":
            np.copyto(out, x)
        else:
            uf(_up(x), out=out, dtype=compute_dtype(out.dtype), casting="unsafe")
    return impl


# ---- erf family ------------------------------------------------------------------------------------
def _erf_vec(x):
    # Abramowitz-Stegun 7.1.26 is too coarse (1e-7); use the complementary relation with
    # a rational Chebyshev approximation (W. J. Cody) accurate to double precision.
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    r = np.empty_like(ax)
    small = ax < 0.5
    if np.any(small):
        xs = x[small]
        t = xs * xs
        p = [3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
             3.20937758913846947e03, 1.85777706184603153e-1]
        q = [2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
             2.84423683343917062e03]
        num = p[4] * t
        den = t
        for i in range(3):
            num = (num + p[i]) * t
            den = (den + q[i]) * t
        r[small] = xs * (num + p[3]) / (den + q[3])
    big = ~small
    if np.any(big):
        r[big] = np.sign(x[big]) * (1.0 - _erfc_pos(ax[big]))
    return r


def _erfc_pos(y):
    r = np.empty_like(y)
    mid = y <= 4.0
    if np.any(mid):
        z = y[mid]
        c = [5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
             2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
             2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8]
        d = [1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
             1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
             3.43936767414372164e03, 1.23033935480374942e03]
        num = c[8] * z
        den = z
        for i in range(7):
            num = (num + c[i]) * z
            den = (den + d[i]) * z
        r[mid] = np.exp(-z * z) * (num + c[7]) / (den + d[7])
    far = ~mid
    if np.any(far):
        z = y[far]
        p = [3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
             1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2]
        q = [2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
             6.05183413124413191e-2, 2.33520497626869185e-3]
        zz = 1.0 / (z * z)
        num = p[5] * zz
        den = zz
        for i in range(4):
            num = (num + p[i]) * zz
            den = (den + q[i]) * zz
        t = zz * (num + p[4]) / (den + q[4])
        t = (1.0 / math.sqrt(math.pi) - t) / z
        r[far] = np.exp(-z * z) * t
    return r


def erf(out, x):
    np.copyto(out, _erf_vec(_up(x)), casting="unsafe")


def _erfc_vec(x):
    x = np.asarray(x, dtype=np.float64)
    r = np.empty_like(x)
    hi = x >= 0.5
    # 1 - erf(x) only where it cannot cancel (erf(x) < 0.53); the tail uses Cody's erfc.
    r[~hi] = 1.0 - _erf_vec(x[~hi])
    r[hi] = _erfc_pos(x[hi])
    return r


def erfc(out, x):
    np.copyto(out, _erfc_vec(_up(x)), casting="unsafe")


def _erfinv_vec(x):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1.0 - x) * (1.0 + x))
        c = w < 5.0
        wc = np.where(c, w - 2.5, np.sqrt(np.where(c, 5.0, w)) - 3.0)
        pc = [2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
              -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]
        pt = [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
              -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]
        p = np.where(c, pc[0], pt[0])
        for a, b in zip(pc[1:], pt[1:]):
            p = np.where(c, a, b) + p * wc
        y = p * x
        # Newton on erf (erfc in the tails, where 1 - |x| is exact) to double precision.
        ax = np.abs(x)
        tail = ax > 0.5
        for _ in range(2):
            ay = np.abs(y)
            fin = np.isfinite(y)
            ys = np.where(fin, y, 0.0)
            f = np.where(tail, (1.0 - ax) - _erfc_vec(np.where(fin, ay, 0.0)), _erf_vec(ys) - x)
            f = np.where(tail, f * np.sign(x), f)
            y = np.where(fin, y - f * _SQRT_PI_OVER_2 * np.exp(ys * ys), y)
        y = np.where(ax == 1.0, np.sign(x) * np.inf, y)
        return np.where(ax > 1.0, np.nan, y)


def erfinv(out, x):
    np.copyto(out, _erfinv_vec(_up(x)), casting="unsafe")


# ---- others ---------------------------------------------------------------------------------------
def nan_to_num(out, x, nan=0.0, posinf=None, neginf=None):
    if out.dtype.kind not in "f" and out.dtype != _BF16:
        np.copyto(out, x)
        return
    fi = ml_dtypes.finfo(out.dtype) if out.dtype == _BF16 else np.finfo(out.dtype)
    r = np.nan_to_num(_up(x), nan=nan, posinf=float(fi.max) if posinf is None else posinf,
                      neginf=float(fi.min) if neginf is None else neginf)
    np.copyto(out, r, casting="unsafe")


def _bool_unary(fn):
    def impl(out, x):
        if x.dtype.kind in "biu":
            out.fill(fn is np.isfinite)
        else:
            fn(_up(x), out=out)
    return impl


def frac(out, x):
    xx = _up(x)
    np.subtract(xx, np.trunc(xx), out=out, dtype=compute_dtype(out.dtype), casting="unsafe")


def sign(out, x):
    if out.dtype == np.bool_:
        np.copyto(out, x)
    else:
        r = np.sign(_up(x), dtype=compute_dtype(out.dtype))
        # PyTorch: sign(nan) == 0.
        np.copyto(out, np.where(r != r, 0, r), casting="unsafe")


def round(out, x, decimals=0):
    if out.dtype.kind in "iu":
        np.copyto(out, x)
    else:
        # np.round rounds half to even, as PyTorch does (decimals: scaled by 10**decimals).
        np.copyto(out, np.round(_up(x), decimals), casting="unsafe")


def rsqrt(out, x):
    ct = compute_dtype(out.dtype)
    np.divide(1.0, np.sqrt(_up(x), dtype=ct), out=out, dtype=ct, casting="unsafe")


def sigmoid(out, x):
    ct = compute_dtype(out.dtype)
    xx = _up(x).astype(ct, copy=False)
    # exp of a non-positive argument only: no overflow for large |x|.
    e = np.exp(-np.abs(xx))
    np.copyto(out, where(xx >= 0, 1 / (1 + e), e / (1 + e)), casting="unsafe")


def abs(out, x):
    if out.dtype.kind in "iu":
        np.abs(x, out=out)
    else:
        np.abs(_up(x), out=out, dtype=compute_dtype(out.dtype), casting="unsafe")


def square(out, x):
    np.square(_up(x), out=out, dtype=compute_dtype(out.dtype), casting="unsafe")


def bitwise_not(out, x):
    np.invert(x, out=out)


def logical_not(out, x):
    np.logical_not(_up(x), out=out, casting="unsafe")


UNARY_IMPLS = {
    "neg": _ufunc1(np.negative), "abs": abs, "sign": sign, "reciprocal": _ufunc1(np.reciprocal),
    "exp": _ufunc1(np.exp), "exp2": _ufunc1(np.exp2), "expm1": _ufunc1(np.expm1), "log": _ufunc1(np.log),
    "log2": _ufunc1(np.log2), "log10": _ufunc1(np.log10), "log1p": _ufunc1(np.log1p),
    "sqrt": _ufunc1(np.sqrt), "rsqrt": rsqrt, "square": square,
    "sin": _ufunc1(np.sin), "cos": _ufunc1(np.cos), "tan": _ufunc1(np.tan), "tanh": _ufunc1(np.tanh),
    "sigmoid": sigmoid, "asin": _ufunc1(np.arcsin), "acos": _ufunc1(np.arccos), "atan": _ufunc1(np.arctan),
    "sinh": _ufunc1(np.sinh), "cosh": _ufunc1(np.cosh), "asinh": _ufunc1(np.arcsinh),
    "acosh": _ufunc1(np.arccosh), "atanh": _ufunc1(np.arctanh),
    "floor": _keep_ints(np.floor), "ceil": _keep_ints(np.ceil), "trunc": _keep_ints(np.trunc),
    "round": round, "frac": frac, "erf": erf, "erfc": erfc, "erfinv": erfinv,
    "isnan": _bool_unary(np.isnan), "isinf": _bool_unary(np.isinf), "isfinite": _bool_unary(np.isfinite),
    "logical_not": logical_not, "bitwise_not": bitwise_not, "nan_to_num": nan_to_num,
}
