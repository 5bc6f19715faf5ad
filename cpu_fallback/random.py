"""numpy impls of the random ops: counter-based Philox streams.

Every op gets ``seed`` and ``offset`` attrs from a tritorch Generator.  The stream of one
call is numpy's Philox-4x64 with ``key=seed`` and the 256-bit counter starting at
``offset << 128``: the offset selects a subsequence of 2**128 blocks, so calls at different
offsets never share random bits however many raw draws a sampler consumes (ziggurat and
rejection samplers use a data-dependent number).  A draw therefore depends only on
(seed, offset), never on how the generator got there.  Values are drawn in float64 and
rounded once into ``out`` (half types included).
"""
import numpy as np

from ._chunks import CHUNK, chunks
from .pointwise import _up


def _rng(seed, offset):
    return np.random.Generator(np.random.Philox(key=seed, counter=offset << 128))


def _store(out, v):
    # Heavy tails (cauchy, log_normal) may exceed a half type's range: inf is the result, as in PyTorch.
    with np.errstate(over="ignore"):
        out[...] = np.asarray(v).reshape(out.shape).astype(out.dtype, copy=False)


def _chunked(out, draw, finish=None):
    """``out[...] = finish(draw(out.size))``, one chunk at a time in row-major order (``finish``
    transforms a float64/int64 chunk, in place where it can).  numpy's generators are sequential,
    so chunked draws equal one draw of the whole size."""
    if out.size <= CHUNK:
        v = draw(out.size)
        _store(out, finish(v) if finish else v)
        return
    flat = out.reshape(-1)
    if not np.shares_memory(flat, out):  # not row-major contiguous: a copy, written back once
        tmp = np.empty(out.size, out.dtype)
        _chunked(tmp, draw, finish)
        out[...] = tmp.reshape(out.shape)
        return
    for dst, _, n in chunks(flat):
        v = draw(n)
        v = finish(v) if finish else v
        with np.errstate(over="ignore"):
            dst[...] = v.astype(out.dtype, copy=False)


def uniform(out, shape, dtype, *, low=0.0, high=1.0, seed, offset):
    rng = _rng(seed, offset)

    def finish(u):
        u *= high - low
        u += low
        v = u.astype(out.dtype, copy=False)
        # Rounding (half types, or low + u * range in float64) can reach ``high``: keep [low, high).
        if high > low:
            v[v >= high] = low
        return v
    _chunked(out, rng.random, finish)


def normal(out, mean, std, shape, dtype, *, seed, offset):
    m, s = _up(mean), _up(std)
    if isinstance(s, np.ndarray) and s.size and np.any(s < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    rng = _rng(seed, offset)
    if isinstance(m, np.ndarray) or isinstance(s, np.ndarray):
        z = rng.standard_normal(out.size).reshape(out.shape)
        _store(out, m + s * z)
        return

    def finish(z):
        z *= s
        z += m
        return z
    _chunked(out, rng.standard_normal, finish)


def random(out, shape, dtype, *, low, high, seed, offset):
    rng = _rng(seed, offset)
    _chunked(out, lambda n: rng.integers(low, high - 1, size=n, dtype=np.int64, endpoint=True))


def randperm(out, n, dtype, *, seed, offset):
    _store(out, _rng(seed, offset).permutation(n))


def bernoulli(out, p, shape, dtype, *, seed, offset):
    pp = _up(p)
    if isinstance(pp, np.ndarray) and pp.size and not np.all((pp >= 0) & (pp <= 1)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    u = _rng(seed, offset).random(out.size).reshape(out.shape)
    _store(out, u < pp)


def _search_rows(cdf, target):
    """First index j with cdf[r, j] > target[r, s] (vectorised binary search over rows)."""
    rows, n = cdf.shape
    lo = np.zeros(target.shape, np.int64)
    hi = np.full(target.shape, n, np.int64)
    rix = np.arange(rows)[:, None]
    for _ in range(int(n).bit_length() + 1):
        mid = (lo + hi) // 2
        go = (lo < hi) & (cdf[rix, np.minimum(mid, n - 1)] <= target)
        stay = (lo < hi) & ~go
        lo = np.where(go, mid + 1, lo)
        hi = np.where(stay, mid, hi)
    return lo


def multinomial(out, probs, num_samples, replacement, *, seed, offset):
    p = _up(probs).astype(np.float64).reshape(-1, probs.shape[-1])
    if p.size == 0:
        return
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    tot = p.sum(1)
    if np.any(tot <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rows, n = p.shape
    rng = _rng(seed, offset)
    if replacement:
        target = rng.random((rows, num_samples)) * tot[:, None]
        idx = _search_rows(np.cumsum(p, 1), target)
        # u * total can round up to the total: never go past the last category with mass.
        last = n - 1 - np.argmax(p[:, ::-1] > 0, axis=1)
        idx = np.minimum(idx, last[:, None])
    else:
        # Exponential race (Gumbel-top-k): the k smallest E_j / p_j are a draw without replacement, in
        # order.  Zero-probability categories come last (PyTorch also returns them once the rest is used up).
        e = rng.standard_exponential((rows, n))
        with np.errstate(divide="ignore", invalid="ignore"):
            keys = np.where(p > 0, e / p, np.inf)
        idx = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    _store(out, idx)


def exponential(out, shape, dtype, *, lambd, seed, offset):
    _store(out, _rng(seed, offset).standard_exponential(out.size) / lambd)


def geometric(out, shape, dtype, *, p, seed, offset):
    _store(out, _rng(seed, offset).geometric(p, out.size))


def cauchy(out, shape, dtype, *, median, sigma, seed, offset):
    u = _rng(seed, offset).random(out.size)
    _store(out, median + sigma * np.tan(np.pi * (u - 0.5)))


def log_normal(out, shape, dtype, *, mean, std, seed, offset):
    _store(out, np.exp(mean + std * _rng(seed, offset).standard_normal(out.size)))


def poisson(out, rates, *, seed, offset):
    r = _up(rates).astype(np.float64)
    if r.size and not np.all(r >= 0):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    _store(out, _rng(seed, offset).poisson(r))


IMPLS = {"uniform": uniform, "normal": normal, "random": random, "randperm": randperm, "bernoulli": bernoulli,
         "multinomial": multinomial, "exponential": exponential, "geometric": geometric, "cauchy": cauchy,
         "log_normal": log_normal, "poisson": poisson}
