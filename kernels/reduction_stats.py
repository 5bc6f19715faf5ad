"""Triton impls of var/std, the vector norm, cumsum/cumprod (`scan`) and isclose.

* var / std: one pass of Welford's algorithm on the shared reduction template (`_reduce`): each
  lane keeps (count, mean, M2) and states merge with Chan's parallel formula, so the centred sum
  of squares never cancels catastrophically (an inf or NaN element makes its lane's M2 NaN, as
  PyTorch's update does); the result is M2 / max(N - correction, 0) (std: its
  square root), in float32 for half types.  ~8 FLOPs per element, one read of the input.
* norm: the template with a pre-map per p: |x| (p = 1, inf, -inf), x^2 (p = 2), x != 0 (p = 0),
  |x|^p = exp2(p log2 |x|) otherwise, combined by add / max / min (NaN wins) and finished by
  sqrt or the 1/p power.  One read, 1-3 FLOPs per element (~5 for a general p).
* isclose: elementwise on the shared pointwise template: |a - b| <= atol + rtol |b| (or a == b,
  or both NaN with equal_nan) in the compute dtype (float64 for integers), like the cpu impl.

``dtype`` (norm, cumsum, cumprod): passed positionally by the registry (the op's args tuple
carries it), so the impls keep the parameter; the dtype it asks for is already ``out``'s, which
is all they read.
"""
import math

import triton
import triton.language as tl

from ._dtypes import compute_tl
from ._elementwise import pointwise
from ._reduce import (Reducer, reduce, count, div, sqrt, comb_add, red_add, comb_max, red_max, comb_min, red_min,
                      final_id)
from .scan import cumsum, cumprod


@triton.jit
def _map_welford(v, idx, mask, p0, p1):
    # M2 of one element is (v - mean) * (v - v) as in PyTorch's Welford update: 0, but NaN for an
    # inf or NaN element (inf - inf), so that NaN reaches the result however the lanes merge.
    return mask.to(v.dtype), v, tl.where(mask, v - v, 0.0)


@triton.jit
def _comb_welford(n1, m1, q1, n2, m2, q2):
    n = n1 + n2
    d = m2 - m1
    f = n2 / tl.maximum(n, 1.0)
    return n, m1 + d * f, q1 + q2 + d * d * n1 * f


@triton.jit
def _red_welford(n, m, q):
    return tl.reduce((n, m, q), 1, _comb_welford)


@triton.jit
def _final_var(n, m, q, cnt, denom, p1):
    r = div(q, denom.to(q.dtype))
    return r, r


@triton.jit
def _final_std(n, m, q, cnt, denom, p1):
    r = sqrt(div(q, denom.to(q.dtype)))
    return r, r


@triton.jit
def _map_abs(v, idx, mask, p0, p1):
    return (tl.abs(v),)


@triton.jit
def _map_sq(v, idx, mask, p0, p1):
    return (v * v,)


@triton.jit
def _map_nonzero(v, idx, mask, p0, p1):
    return ((v != 0).to(v.dtype),)


@triton.jit
def _map_pow(v, idx, mask, p, inv_p):
    return (tl.exp2(p.to(v.dtype) * tl.log2(tl.abs(v))),)


@triton.jit
def _final_sqrt(a, n, p0, p1):
    r = sqrt(a)
    return r, r


@triton.jit
def _final_root(a, n, p, inv_p):
    r = tl.exp2(tl.log2(a) * inv_p.to(a.dtype))
    return r, r


VAR = Reducer(_map_welford, _comb_welford, _red_welford, _final_var, (None, None, None), False)
STD = Reducer(_map_welford, _comb_welford, _red_welford, _final_std, (None, None, None), False)
_NORMS = {  # p -> (reducer, identity)
    2.0: (Reducer(_map_sq, comb_add, red_add, _final_sqrt, (None,), False), 0),
    1.0: (Reducer(_map_abs, comb_add, red_add, final_id, (None,), False), 0),
    math.inf: (Reducer(_map_abs, comb_max, red_max, final_id, (None,), False), 0),
    -math.inf: (Reducer(_map_abs, comb_min, red_min, final_id, (None,), False), math.inf),
    0.0: (Reducer(_map_nonzero, comb_add, red_add, final_id, (None,), False), 0),
}
_NORM_P = Reducer(_map_pow, comb_add, red_add, _final_root, (None,), False)


def _denominator(x, dims, correction):
    """max(N - correction, 0); 0 when N is 0, so that an empty reduction is 0 / 0 = NaN (as on
    cpu and in PyTorch) even with a negative correction."""
    n = count(x, dims)
    return float(max(n - correction, 0)) if n else 0.0


def var(out, x, dims, keepdim, correction):
    reduce(VAR, x, dims, out, compute_tl(out.dtype), 0, p0=_denominator(x, dims, correction))


def std(out, x, dims, keepdim, correction):
    reduce(STD, x, dims, out, compute_tl(out.dtype), 0, p0=_denominator(x, dims, correction))


def norm(out, x, p, dims, keepdim, dtype=None):
    spec, ident = _NORMS.get(p, (_NORM_P, 0))
    reduce(spec, x, dims, out, compute_tl(out.dtype), ident, p0=float(p), p1=1.0 / p if p else 0.0)


@triton.jit
def _isclose(x, y, z, rtol, atol, equal_nan):
    diff = tl.abs(x - y)
    close = (x == y) | ((diff < float("inf")) & (diff <= atol.to(x.dtype) + rtol.to(x.dtype) * tl.abs(y)))
    return close | ((x != x) & (y != y) & (equal_nan != 0))


@triton.jit
def _equal(x, y, z, p0, p1, p2):
    return x == y


def isclose(out, a, b, rtol, atol, equal_nan):
    if a.dtype.kind == "b":
        pointwise(_equal, out, [a, b], tl.int8)
        return
    ct = compute_tl(a.dtype) if a.dtype.kind in "fV" else tl.float64
    pointwise(_isclose, out, [a, b], ct, (float(rtol), float(atol), 1.0 if equal_nan else 0.0))


IMPLS = {"var": var, "std": std, "norm": norm, "cumsum": cumsum, "cumprod": cumprod, "isclose": isclose}
