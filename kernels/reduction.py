"""Triton impls of the reductions: sum, nansum, mean, prod, amax/amin, all/any, count_nonzero,
logsumexp, max/min along a dim (values + indices) and argmax/argmin.

Every op is the shared template of `_reduce` (one ``@triton.jit`` kernel) specialised by a
`Reducer` of small jit functions: a pre-map, an associative combine, and a post-map.
  * sum / nansum / mean / count_nonzero: add (nansum maps NaN to 0, count_nonzero maps x != 0
    to int64, mean divides by the count at the end); accumulation in float32 for half outputs,
    float64 for float64, int64 for integer/bool sums (the output dtype's compute dtype).
  * prod: multiply.  amax / amin: max / min where NaN wins.  all / any: min / max of x != 0.
  * logsumexp: one pass with an online max shift: the state is (m, s) with
    s = sum exp(x - shift(m)), shift(m) = m when finite else 0 (so an infinite max gives inf and
    an empty one -inf, as the cpu impl does), rescaled whenever two states merge.
  * argmax / argmin / max_dim / min_dim: the state is (value, flat index); the larger (smaller)
    value wins, NaN beats any number, and ties go to the smaller index, so the FIRST extremum
    (or first NaN) is returned, as in PyTorch.  The reduced dims are walked in logical order.
Bytes per element: the input's item size; FLOPs per element: 1 (sum) to ~6 (logsumexp's exp
and rescale, argmax's compare/select).

``dtype``: the registry passes every reduction's args tuple ``(x, dims, keepdim, dtype)``
positionally (None for amax/amin/all/any), so the impls keep the parameter; the result dtype it
asks for is already ``out``'s dtype (meta allocated ``out`` with it), which is all they read.
"""
import triton
import triton.language as tl

from ._dtypes import compute_tl
from ._reduce import (Reducer, SUM, PROD, reduce, lowest, highest, acc_ct, value_ct, count, div, map_id, comb_add,
                      red_add, comb_max, red_max, comb_min, red_min, final_id)
from . import reduction_stats


@triton.jit
def _map_nan0(v, idx, mask, p0, p1):
    return (tl.where(v != v, 0, v),)


@triton.jit
def _final_mean(a, n, p0, p1):
    r = div(a, n.to(a.dtype))
    return r, r


@triton.jit
def _map_nonzero8(v, idx, mask, p0, p1):
    return ((v != 0).to(tl.int8),)


@triton.jit
def _map_nonzero64(v, idx, mask, p0, p1):
    return ((v != 0).to(tl.int64),)


@triton.jit
def _map_lse(v, idx, mask, p0, p1):
    # exp(v - shift(v)) is 1 for a finite v; exp(v) gives inf, 0 and nan for inf, -inf and nan.
    return v, tl.where(tl.abs(v) < float("inf"), 1.0, tl.exp(v)).to(v.dtype)


@triton.jit
def _comb_lse(m1, s1, m2, s2):
    # shift(m) = m if finite else 0, inlined (see _reduce on nested calls in the interpreter).
    m = tl.where(m1 > m2, m1, m2)
    h = tl.where(tl.abs(m) < float("inf"), m, 0)
    # A -inf max means an all -inf (or empty) state: it adds nothing (0, or a carried NaN).
    e1 = tl.where(m1 == float("-inf"), 0.0, tl.exp(tl.where(tl.abs(m1) < float("inf"), m1, 0) - h))
    e2 = tl.where(m2 == float("-inf"), 0.0, tl.exp(tl.where(tl.abs(m2) < float("inf"), m2, 0) - h))
    return m, s1 * e1 + s2 * e2


@triton.jit
def _red_lse(m, s):
    return tl.reduce((m, s), 1, _comb_lse)


@triton.jit
def _final_lse(m, s, n, p0, p1):
    r = tl.log(s) + tl.where(tl.abs(m) < float("inf"), m, 0)
    return r, r


@triton.jit
def _map_arg(v, idx, mask, p0, p1):
    return v, idx.to(tl.int64) + tl.zeros(v.shape, tl.int64)


@triton.jit
def _comb_argmax(v1, i1, v2, i2):
    nan1 = v1 != v1
    nan2 = v2 != v2
    tie = (v1 == v2) | (nan1 & nan2)
    t = (v1 > v2) | (nan1 & ~nan2) | (tie & (i1 < i2))
    return tl.where(t, v1, v2), tl.where(t, i1, i2)


@triton.jit
def _comb_argmin(v1, i1, v2, i2):
    nan1 = v1 != v1
    nan2 = v2 != v2
    tie = (v1 == v2) | (nan1 & nan2)
    t = (v1 < v2) | (nan1 & ~nan2) | (tie & (i1 < i2))
    return tl.where(t, v1, v2), tl.where(t, i1, i2)


@triton.jit
def _red_argmax(v, i):
    return tl.reduce((v, i), 1, _comb_argmax)


@triton.jit
def _red_argmin(v, i):
    return tl.reduce((v, i), 1, _comb_argmin)


@triton.jit
def _final_arg(v, i, n, p0, p1):
    return v, i


_I8, _I64 = "int8", "int64"
NANSUM = Reducer(_map_nan0, comb_add, red_add, final_id, (None,), False)
MEAN = Reducer(map_id, comb_add, red_add, _final_mean, (None,), False)
AMAX = Reducer(map_id, comb_max, red_max, final_id, (None,), False)
AMIN = Reducer(map_id, comb_min, red_min, final_id, (None,), False)
ALL = Reducer(_map_nonzero8, comb_min, red_min, final_id, (_I8,), False)
ANY = Reducer(_map_nonzero8, comb_max, red_max, final_id, (_I8,), False)
COUNT_NONZERO = Reducer(_map_nonzero64, comb_add, red_add, final_id, (_I64,), False)
LOGSUMEXP = Reducer(_map_lse, _comb_lse, _red_lse, _final_lse, (None, None), False)
ARGMAX = Reducer(_map_arg, _comb_argmax, _red_argmax, _final_arg, (None, _I64), True)
ARGMIN = Reducer(_map_arg, _comb_argmin, _red_argmin, _final_arg, (None, _I64), True)


def sum(out, x, dims, keepdim, dtype=None):
    reduce(SUM, x, dims, out, acc_ct(out.dtype), 0)


def nansum(out, x, dims, keepdim, dtype=None):
    reduce(NANSUM, x, dims, out, acc_ct(out.dtype), 0)


def mean(out, x, dims, keepdim, dtype=None):
    reduce(MEAN, x, dims, out, compute_tl(out.dtype), 0, n=count(x, dims))


def prod(out, x, dims, keepdim, dtype=None):
    reduce(PROD, x, dims, out, acc_ct(out.dtype), 1)


def amax(out, x, dims, keepdim, dtype=None):
    ct = value_ct(x.dtype)
    reduce(AMAX, x, dims, out, ct, lowest(ct))


def amin(out, x, dims, keepdim, dtype=None):
    ct = value_ct(x.dtype)
    reduce(AMIN, x, dims, out, ct, highest(ct))


def all(out, x, dims, keepdim, dtype=None):
    reduce(ALL, x, dims, out, value_ct(x.dtype), 1)


def any(out, x, dims, keepdim, dtype=None):
    reduce(ANY, x, dims, out, value_ct(x.dtype), 0)


def count_nonzero(out, x, dims):
    reduce(COUNT_NONZERO, x, dims if dims else tuple(range(x.ndim)), out, value_ct(x.dtype), 0)


def logsumexp(out, x, dims, keepdim, dtype=None):
    reduce(LOGSUMEXP, x, dims, out, compute_tl(out.dtype), float("-inf"))


def _arg_dim(spec, ident):
    def impl(outs, x, dim, keepdim):
        values, indices = outs
        ct = value_ct(x.dtype)
        reduce(spec, x, (dim,), values, ct, ident(ct), out2=indices, write=(True, True))
    return impl


def _arg(spec, ident):
    def impl(out, x, dim, keepdim):
        ct = value_ct(x.dtype)
        dims = tuple(range(x.ndim)) if dim is None else (dim,)
        reduce(spec, x, dims, out, ct, ident(ct), write=(False, True))
    return impl


IMPLS = {"sum": sum, "nansum": nansum, "mean": mean, "prod": prod, "amax": amax, "amin": amin, "all": all,
         "any": any, "count_nonzero": count_nonzero, "logsumexp": logsumexp,
         "max_dim": _arg_dim(ARGMAX, lowest), "min_dim": _arg_dim(ARGMIN, highest),
         "argmax": _arg(ARGMAX, lowest), "argmin": _arg(ARGMIN, highest)}
IMPLS.update(reduction_stats.IMPLS)
