"""Op-table entries of the elementwise unary ops (imported by `pointwise.py`).

Inputs are drawn inside each function's domain (log on positives, asin in (-1, 1), ...);
samples cover contiguous, non-contiguous (``.t()``), expanded, 0-d and empty tensors.
"""
import math

import numpy as np

import tritorch as tt
from tests.opinfo.core import OpInfo, Sample, make, FLOATS, INTS, ALL

_rng = np.random.default_rng(11)


def unary_samples(low=-3.0, high=3.0, **kwargs):
    def samples(dtype, device):
        def m(shape):
            return make(shape, dtype, device, low, high, rng=_rng)
        return [Sample((m((3, 4)),), dict(kwargs), name="contiguous"),
                Sample((m((4, 3)).t(),), dict(kwargs), name="non-contiguous"),
                Sample((m((1, 4)).expand(3, 4),), dict(kwargs), name="expanded"),
                Sample((m(()),), dict(kwargs), name="0-d"),
                Sample((m((0, 3)),), dict(kwargs), name="empty")]
    return samples


def _special_samples(dtype, device):
    vals = np.array([[np.nan, np.inf, -np.inf, 1.5], [0.0, -2.0, np.nan, 3.0]])
    if dtype.is_floating_point:
        x = tt.tensor(vals, dtype=dtype, device=device)
    else:
        x = make((2, 4), dtype, device, rng=_rng)
    return [Sample((x,)), Sample((x.t(),)), Sample((make((), dtype, device, rng=_rng),)),
            Sample((make((0,), dtype, device, rng=_rng),))]


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _erfc(x):
    return np.vectorize(math.erfc, otypes=[np.float64])(x)


def _erfinv(x):
    # Bisection on math.erf: slow but independent of the implementation under test.
    lo, hi = np.full(np.shape(x), -6.0), np.full(np.shape(x), 6.0)
    for _ in range(60):
        mid = (lo + hi) / 2
        below = _erf(mid) < x
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return np.where(np.abs(x) == 1, np.sign(x) * np.inf, (lo + hi) / 2)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x.astype(np.float64)))


def _square(x):
    return np.square(x.astype(np.int64) if x.dtype == bool else x)


def _frac(x):
    return x - np.trunc(x)


def _f(ref):
    """A float-result reference: integer and bool inputs go to float64 first (numpy would pick
    float16 for int8 inputs)."""
    def r(x, **kw):
        return ref(x.astype(np.float64) if x.dtype.kind in "biu" else x, **kw)
    return r


# name: (ref, dtypes, (low, high), grad)
_FLOAT_RESULT = ALL
UNARY = {
    "neg": (np.negative, FLOATS + INTS, (-3, 3), True),
    "abs": (np.abs, FLOATS + INTS, (-3, 3), True),
    "sign": (lambda x: x.copy() if x.dtype == bool else np.sign(x), ALL, (-3, 3), True),
    "reciprocal": (_f(lambda x: 1.0 / x.astype(np.float64)), _FLOAT_RESULT, (0.5, 3), True),
    "exp": (_f(np.exp), _FLOAT_RESULT, (-3, 3), True),
    "exp2": (_f(np.exp2), _FLOAT_RESULT, (-3, 3), True),
    "expm1": (_f(np.expm1), _FLOAT_RESULT, (-3, 3), True),
    "log": (_f(np.log), _FLOAT_RESULT, (0.5, 4), True),
    "log2": (_f(np.log2), _FLOAT_RESULT, (0.5, 4), True),
    "log10": (_f(np.log10), _FLOAT_RESULT, (0.5, 4), True),
    "log1p": (_f(np.log1p), _FLOAT_RESULT, (-0.5, 3), True),
    "sqrt": (_f(np.sqrt), _FLOAT_RESULT, (0.5, 4), True),
    "rsqrt": (_f(lambda x: 1 / np.sqrt(x.astype(np.float64))), _FLOAT_RESULT, (0.5, 4), True),
    "square": (_square, ALL, (-3, 3), True),
    "sin": (_f(np.sin), _FLOAT_RESULT, (-3, 3), True),
    "cos": (_f(np.cos), _FLOAT_RESULT, (-3, 3), True),
    "tan": (_f(np.tan), _FLOAT_RESULT, (-1.2, 1.2), True),
    "tanh": (_f(np.tanh), _FLOAT_RESULT, (-3, 3), True),
    "sigmoid": (_f(_sigmoid), _FLOAT_RESULT, (-5, 5), True),
    "asin": (_f(np.arcsin), FLOATS + (tt.int64, tt.bool), (-0.9, 0.9), True),
    "acos": (_f(np.arccos), FLOATS + (tt.int64, tt.bool), (-0.9, 0.9), True),
    "atan": (_f(np.arctan), _FLOAT_RESULT, (-3, 3), True),
    "sinh": (_f(np.sinh), _FLOAT_RESULT, (-3, 3), True),
    "cosh": (_f(np.cosh), _FLOAT_RESULT, (-3, 3), True),
    "asinh": (_f(np.arcsinh), _FLOAT_RESULT, (-3, 3), True),
    "acosh": (_f(np.arccosh), FLOATS + (tt.int64,), (1.2, 4), True),
    "atanh": (_f(np.arctanh), FLOATS + (tt.bool,), (-0.9, 0.9), True),
    "floor": (np.floor, FLOATS + INTS, (-3, 3), True),
    "ceil": (np.ceil, FLOATS + INTS, (-3, 3), True),
    "trunc": (np.trunc, FLOATS + INTS, (-3, 3), True),
    "frac": (_frac, FLOATS, (-3, 3), True),
    "erf": (_f(_erf), _FLOAT_RESULT, (-3, 3), True),
    "erfc": (_f(_erfc), _FLOAT_RESULT, (-3, 5), True),
    "erfinv": (_f(_erfinv), FLOATS + (tt.bool,), (-0.95, 0.95), True),
    "logical_not": (np.logical_not, ALL, (-2, 2), False),
    "bitwise_not": (np.invert, INTS + (tt.bool,), (-3, 3), False),
}

OPS = [OpInfo(name, getattr(tt, name), ref, unary_samples(lo, hi), dtypes=dts, grad=grad)
       for name, (ref, dts, (lo, hi), grad) in UNARY.items()]
OPS += [
    OpInfo("round", tt.round, np.round, unary_samples(-30, 30), dtypes=FLOATS + INTS),
    OpInfo("round_decimals", lambda x, decimals: tt.round(x, decimals=decimals),
           lambda x, decimals: np.round(x, decimals), unary_samples(-3, 3, decimals=2),
           dtypes=(tt.float32, tt.float64), covers=("round",)),
    OpInfo("isnan", tt.isnan, np.isnan, _special_samples, dtypes=ALL, grad=False),
    OpInfo("isinf", tt.isinf, np.isinf, _special_samples, dtypes=ALL, grad=False),
    OpInfo("isfinite", tt.isfinite, np.isfinite, _special_samples, dtypes=ALL, grad=False),
    OpInfo("isposinf", tt.isposinf, np.isposinf, _special_samples, dtypes=FLOATS + INTS, grad=False,
           covers=("__composite__", "eq")),
    OpInfo("isneginf", tt.isneginf, np.isneginf, _special_samples, dtypes=FLOATS + INTS, grad=False,
           covers=("__composite__", "eq")),
    OpInfo("positive", tt.positive, lambda x: x, unary_samples(), dtypes=FLOATS + INTS,
           covers=("__composite__",)),
    OpInfo("deg2rad", tt.deg2rad, np.deg2rad, unary_samples(-180, 180), dtypes=FLOATS + (tt.int64,),
           covers=("__composite__", "mul")),
    OpInfo("rad2deg", tt.rad2deg, np.rad2deg, unary_samples(), dtypes=FLOATS, covers=("__composite__", "mul")),
]
