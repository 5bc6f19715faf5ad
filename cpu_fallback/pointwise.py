"""numpy impls of the elementwise ops.

Every impl writes into the registry-allocated ``out``; inputs broadcast through numpy's
ufunc machinery without copies.  Half types (float16, bfloat16) compute in float32 and
round once when stored into ``out``.
"""
import math

import numpy as np
import ml_dtypes

_BF16 = np.dtype(ml_dtypes.bfloat16)
_F32 = np.dtype(np.float32)
_F16 = np.dtype(np.float16)


def compute_dtype(dt):
    """The numpy dtype arithmetic runs in for an output dtype ``dt``."""
    return _F32 if (dt is _BF16 or dt == _F16 or dt == _BF16) else dt


def _up(x):
    """Half-precision inputs to float32 (numpy scalars and other dtypes pass through)."""
    if isinstance(x, np.ndarray) and (x.dtype == _BF16 or x.dtype == _F16):
        return x.astype(_F32)
    return x


def _ufunc1(uf):
    def impl(out, x):
        uf(_up(x), out=out, dtype=compute_dtype(out.dtype), casting="unsafe")
    return impl


def _ufunc2(uf):
    def impl(out, a, b):
        uf(a, b, out=out, dtype=compute_dtype(out.dtype), casting="unsafe")
    return impl


def _cmp(uf):
    def impl(out, a, b):
        uf(_up(a), _up(b), out=out)
    return impl


def add(out, a, b, alpha=1):
    ct = compute_dtype(out.dtype)
    if alpha != 1:
        b = np.multiply(b, alpha, dtype=ct, casting="unsafe")
    np.add(a, b, out=out, dtype=ct, casting="unsafe")


def sub(out, a, b, alpha=1):
    ct = compute_dtype(out.dtype)
    if alpha != 1:
        b = np.multiply(b, alpha, dtype=ct, casting="unsafe")
    np.subtract(a, b, out=out, dtype=ct, casting="unsafe")


def div(out, a, b, rounding_mode=None):
    ct = compute_dtype(out.dtype)
    if rounding_mode is None:
        np.true_divide(a, b, out=out, dtype=ct, casting="unsafe")
    elif out.dtype.kind in "iu":
        bb = np.asarray(b)
        if np.any(bb == 0):
            raise ZeroDivisionError("div: integer division by zero")
        if rounding_mode == "floor":
            np.floor_divide(a, b, out=out, dtype=ct, casting="unsafe")
        else:
            q = np.floor_divide(np.abs(a), np.abs(b))
            np.multiply(q, np.sign(a) * np.sign(b), out=out, dtype=ct, casting="unsafe")
    else:
        q = np.true_divide(a, b, dtype=ct)
        (np.floor if rounding_mode == "floor" else np.trunc)(q, out=out, casting="unsafe")


def remainder(out, a, b):
    if out.dtype.kind in "iu" and np.any(np.asarray(b) == 0):
        raise ZeroDivisionError("remainder: integer division by zero")
    np.remainder(a, b, out=out, dtype=compute_dtype(out.dtype), casting="unsafe")


def fmod(out, a, b):
    if out.dtype.kind in "iu" and np.any(np.asarray(b) == 0):
        raise ZeroDivisionError("fmod: integer division by zero")
    np.fmod(a, b, out=out, dtype=compute_dtype(out.dtype), casting="unsafe")


def pow(out, a, b):
    ct = compute_dtype(out.dtype)
    if ct.kind in "iu" and np.any(np.asarray(b) < 0):
        raise RuntimeError("pow: integers to negative integer powers are not allowed")
    np.power(a, b, out=out, dtype=ct, casting="unsafe")


def _where(out, cond, a, b):
    ct = compute_dtype(out.dtype)
    np.copyto(out, np.where(cond, np.asarray(a, dtype=ct) if not isinstance(a, np.ndarray) else _up(a),
                            np.asarray(b, dtype=ct) if not isinstance(b, np.ndarray) else _up(b)),
              casting="unsafe")


def lerp(out, a, b, w):
    ct = compute_dtype(out.dtype)
    a, b, w = _up(a), _up(b), _up(w)
    # PyTorch's formulation: exact at w == 1 and stable for |w| < 0.5 and above.
    d = np.subtract(b, a, dtype=ct)
    wa = np.asarray(w, dtype=ct)
    r = np.where(np.abs(wa) < 0.5, a + wa * d, b - d * (1 - wa))
    np.copyto(out, r, casting="unsafe")


def clamp(out, x, lo, hi):
    ct = compute_dtype(out.dtype)
    r = _up(x).astype(ct, copy=False)
    if lo is not None:
        r = np.maximum(r, _up(lo), dtype=ct)
    if hi is not None:
        r = np.minimum(r, _up(hi), dtype=ct)
    # NaNs propagate (numpy maximum already propagates NaN of either side).
    np.copyto(out, r, casting="unsafe")


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


def nan_to_num(out, x, nan=0.0, posinf=None, neginf=None):
    ct = compute_dtype(out.dtype)
    fi = np.finfo(out.dtype) if out.dtype != _BF16 else ml_dtypes.finfo(_BF16)
    r = np.nan_to_num(_up(x).astype(ct, copy=False), nan=nan,
                      posinf=float(fi.max) if posinf is None else posinf,
                      neginf=float(fi.min) if neginf is None else neginf)
    np.copyto(out, r, casting="unsafe")


def to_copy(out, x, dtype=None):
    if out.dtype == _BF16 or (isinstance(x, np.ndarray) and x.dtype == _BF16):
        np.copyto(out, _up(x) if out.dtype.kind in "fV" or out.dtype == _BF16 else _up(x).astype(np.float64),
                  casting="unsafe")
    else:
        np.copyto(out, x, casting="unsafe")


def copy_(out, dst, src):
    np.copyto(out, src, casting="unsafe")


def clone(out, x):
    np.copyto(out, x, casting="unsafe")


def _bool_unary(fn):
    def impl(out, x):
        np.copyto(out, fn(_up(x)))
    return impl


def frac(out, x):
    xx = _up(x)
    np.subtract(xx, np.trunc(xx), out=out, dtype=compute_dtype(out.dtype), casting="unsafe")


def sign(out, x):
    if out.dtype == np.bool_:
        np.copyto(out, x)
    else:
        np.sign(_up(x), out=out, dtype=compute_dtype(out.dtype), casting="unsafe")


def round(out, x, decimals=0):
    np.copyto(out, np.round(_up(x), decimals), casting="unsafe")


def rsqrt(out, x):
    ct = compute_dtype(out.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.copyto(out, 1.0 / np.sqrt(_up(x).astype(ct, copy=False)), casting="unsafe")


def sigmoid(out, x):
    ct = compute_dtype(out.dtype)
    xx = _up(x).astype(ct, copy=False)
    # exp of a non-positive argument only: no overflow for large |x|.
    e = np.exp(-np.abs(xx))
    np.copyto(out, np.where(xx >= 0, 1 / (1 + e), e / (1 + e)), casting="unsafe")


def exp2(out, x):
    np.exp2(_up(x), out=out, dtype=compute_dtype(out.dtype), casting="unsafe")


def abs(out, x):
    np.abs(x, out=out) if out.dtype.kind in "iub" else np.abs(_up(x), out=out, dtype=compute_dtype(out.dtype), casting="unsafe")


def neg(out, x):
    np.negative(_up(x), out=out, dtype=compute_dtype(out.dtype), casting="unsafe")


def _bitwise(uf):
    def impl(out, a, b):
        uf(a, b, out=out, dtype=out.dtype, casting="unsafe")
    return impl


def bitwise_not(out, x):
    np.invert(x, out=out)


def logical_not(out, x):
    np.logical_not(x, out=out)


def _shift(left):
    def impl(out, a, b):
        (np.left_shift if left else np.right_shift)(a, b, out=out, dtype=out.dtype, casting="unsafe")
    return impl


IMPLS = {
    "add": add, "sub": sub, "mul": _ufunc2(np.multiply), "div": div, "remainder": remainder, "fmod": fmod,
    "pow": pow, "maximum": _ufunc2(np.maximum), "minimum": _ufunc2(np.minimum),
    "fmax": _ufunc2(np.fmax), "fmin": _ufunc2(np.fmin),
    "atan2": _ufunc2(np.arctan2), "hypot": _ufunc2(np.hypot),
    "eq": _cmp(np.equal), "ne": _cmp(np.not_equal), "lt": _cmp(np.less), "le": _cmp(np.less_equal),
    "gt": _cmp(np.greater), "ge": _cmp(np.greater_equal),
    "logical_and": _cmp(np.logical_and), "logical_or": _cmp(np.logical_or), "logical_xor": _cmp(np.logical_xor),
    "logical_not": logical_not,
    "bitwise_and": _bitwise(np.bitwise_and), "bitwise_or": _bitwise(np.bitwise_or),
    "bitwise_xor": _bitwise(np.bitwise_xor), "bitwise_not": bitwise_not,
    "bitwise_left_shift": _shift(True), "bitwise_right_shift": _shift(False),
    "where": _where, "lerp": lerp, "clamp": clamp,
    "neg": neg, "abs": abs, "sign": sign, "reciprocal": _ufunc1(np.reciprocal),
    "exp": _ufunc1(np.exp), "exp2": exp2, "expm1": _ufunc1(np.expm1), "log": _ufunc1(np.log),
    "log2": _ufunc1(np.log2), "log10": _ufunc1(np.log10), "log1p": _ufunc1(np.log1p),
    "sqrt": _ufunc1(np.sqrt), "rsqrt": rsqrt, "sin": _ufunc1(np.sin), "cos": _ufunc1(np.cos),
    "tan": _ufunc1(np.tan), "tanh": _ufunc1(np.tanh), "sigmoid": sigmoid, "asin": _ufunc1(np.arcsin),
    "acos": _ufunc1(np.arccos), "atan": _ufunc1(np.arctan), "sinh": _ufunc1(np.sinh), "cosh": _ufunc1(np.cosh),
    "floor": _ufunc1(np.floor), "ceil": _ufunc1(np.ceil), "round": round, "trunc": _ufunc1(np.trunc),
    "frac": frac, "erf": erf, "square": _ufunc1(np.square),
    "isnan": _bool_unary(np.isnan), "isinf": _bool_unary(np.isinf), "isfinite": _bool_unary(np.isfinite),
    "nan_to_num": nan_to_num, "to_copy": to_copy, "copy_": copy_, "clone": clone,
}
