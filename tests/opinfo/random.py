"""Op-table entries of the random ops (uniform, normal, random, randperm, bernoulli,
multinomial, exponential, geometric, cauchy, log_normal, poisson).

Samples have no numpy reference value, so every entry runs its sampler twice from the same
seeded `Generator` and ``compare`` checks: identical draws (determinism), shape and dtype,
the support (range / integrality), and for large samples the first two moments within
5 standard errors (plus a rounding allowance for half types).  Samples include 0-d,
empty and non-contiguous (in-place on strided views) tensors.
"""
import math

import numpy as np

import tritorch as tt
from tests.opinfo.core import OpInfo, Sample, FLOATS, INTS, make

N = 100000
SHAPES = [(N,), (3, 4), (), (0, 3)]


def _target(shape, dtype, device, noncontig=False):
    if noncontig and len(shape) >= 2:
        return make(shape[::-1], dtype, device, low=0, high=2).t()
    return make(shape, dtype, device, low=0, high=2)


def _samples(params, dtypes_ok=None, shapes=SHAPES):
    """Samples (target tensor, **params); the (3, 4) target is a transposed (strided) view."""
    def gen(dtype, device):
        return [Sample((_target(s, dtype, device, noncontig=(s == (3, 4))),), dict(p))
                for s in shapes for p in params]
    return gen


def _twice(call):
    """fn(x, **kw) running ``call(x, generator, **kw)`` twice with one seed (on copies of x for in-place)."""
    def fn(x, **kw):
        outs = []
        for _ in range(2):
            y = x.clone() if x.ndim < 2 else x.t().clone().t()  # keep the strided layout
            outs.append(call(y, tt.Generator(device=x.device).manual_seed(2024), **kw))
        return tuple(outs)
    return fn


def _spec(x, **kw):
    return {"shape": tuple(x.shape), **kw}


def _host(t):
    t = t.detach().cpu()
    return np.asarray(t.float().numpy() if t.dtype in (tt.float16, tt.bfloat16) else t.numpy(), dtype=np.float64)


def _check_moments(v, mean, std, dtype, rel=0.0):
    if v.size < 1000:
        return
    half = dtype in (tt.float16, tt.bfloat16)
    slack = (0.006 if half else 0.0) * max(abs(mean), std, 1.0) + rel
    se = std / math.sqrt(v.size)
    assert abs(v.mean() - mean) <= 5 * se + slack, f"mean {v.mean()} vs expected {mean}"
    # The variance's standard error from the sample's own fourth moment (fits every distribution here).
    d = v - v.mean()
    var = float(np.mean(d * d))
    se_var = math.sqrt(max(float(np.mean(d ** 4)) - var * var, 0.0) / v.size)
    assert abs(var - std * std) <= 5 * se_var + 2 * slack * max(std, 1.0), f"var {var} vs expected {std * std}"


def _compare(check, out_dtype=None):
    """compare(out, spec, dtype): determinism, shape, dtype, then ``check(values, spec, dtype)``."""
    def compare(out, spec, dtype):
        a, b = out
        assert tuple(a.shape) == spec["shape"], (tuple(a.shape), spec["shape"])
        want = out_dtype or dtype
        assert a.dtype is want, (a.dtype, want)
        va, vb = _host(a), _host(b)
        np.testing.assert_array_equal(va, vb)
        check(va, spec, dtype)
    return compare


def _uniform_check(v, spec, dtype):
    lo, hi = spec.get("low", 0.0), spec.get("high", 1.0)
    assert np.all((v >= lo) & (v < hi)), (v.min(), v.max())
    _check_moments(v, (lo + hi) / 2, (hi - lo) / math.sqrt(12), dtype)


def _normal_check(v, spec, dtype):
    _check_moments(v, spec.get("mean", 0.0), spec.get("std", 1.0), dtype)


def _random_check(v, spec, dtype):
    lo, hi = spec["low"], spec["high"]
    assert np.all((v >= lo) & (v < hi) & (v == np.round(v))), (v.min(), v.max())
    if v.size >= 1000:
        assert set(np.unique(v).tolist()) == set(range(lo, hi)), "not every value in [low, high) was drawn"
    _check_moments(v, (lo + hi - 1) / 2, math.sqrt(((hi - lo) ** 2 - 1) / 12), dtype)


def _bernoulli_check(v, spec, dtype):
    assert np.all((v == 0) | (v == 1))
    p = spec["p"]
    _check_moments(v, p, math.sqrt(p * (1 - p)), dtype)


def _exponential_check(v, spec, dtype):
    assert np.all(v >= 0)
    lam = spec["lambd"]
    _check_moments(v, 1 / lam, 1 / lam, dtype)


def _geometric_check(v, spec, dtype):
    assert np.all((v >= 1) & (v == np.round(v)))
    p = spec["p"]
    _check_moments(v, 1 / p, math.sqrt(1 - p) / p, dtype)


def _cauchy_check(v, spec, dtype):
    if v.size >= 1000:  # no moments: check the median and the quartiles (median +- sigma)
        m, s = spec["median"], spec["sigma"]
        q = np.quantile(v, [0.25, 0.5, 0.75])
        tol = 0.05 * s + (0.05 * max(abs(m), s) if dtype in (tt.float16, tt.bfloat16) else 0)
        np.testing.assert_allclose(q, [m - s, m, m + s], atol=tol)


def _log_normal_check(v, spec, dtype):
    assert np.all(v > 0)
    if v.size >= 1000:
        _check_moments(np.log(v), spec["mean"], spec["std"], tt.float64,
                       rel=0.01 if dtype in (tt.float16, tt.bfloat16) else 0.0)


def _poisson_check(v, spec, dtype):
    assert np.all((v >= 0) & (v == np.round(v)))
    rate = spec["rate"]
    _check_moments(v, rate, math.sqrt(rate), dtype)


def _randperm_check(v, spec, dtype):
    np.testing.assert_array_equal(np.sort(v), np.arange(spec["shape"][0]))
    if v.size > 10:
        assert not np.array_equal(v, np.arange(v.size)), "identity permutation"


def _randperm_samples(dtype, device):
    big = [3000] if dtype in (tt.int64, tt.int32, tt.float32) else []
    return [Sample((n, dtype, device)) for n in [0, 1, 7, 100] + big]


def _multinomial_samples(dtype, device):
    p = tt.tensor([0.1, 0.0, 0.3, 0.6], dtype=dtype, device=device)
    rows = tt.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 5.0]], dtype=dtype, device=device)
    strided = tt.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 5.0]], dtype=dtype, device=device).t()
    return [Sample((p, N), {"replacement": True}), Sample((p, 3)), Sample((rows, 2)),
            Sample((strided, 7), {"replacement": True}),
            Sample((tt.ones(0, 3, dtype=dtype, device=device), 2))]


def _multinomial_check(v, spec, dtype):
    p = np.asarray(spec["p"], dtype=np.float64)
    if v.size == 0:
        return
    p2 = p.reshape(-1, p.shape[-1])
    v2 = v.reshape(p2.shape[0], -1)
    assert np.all((v2 >= 0) & (v2 < p.shape[-1]))
    if not spec["replacement"]:
        for row in v2:  # a category at most once per row (rows are few: a loop over a dim)
            assert len(set(row.tolist())) == row.size
        pos = (p2 > 0).sum(1)
        for r in range(p2.shape[0]):  # positive-probability categories come first
            assert np.all(p2[r, v2[r, :min(pos[r], v2.shape[1])].astype(int)] > 0)
    else:
        assert np.all(p2[np.arange(p2.shape[0])[:, None], v2.astype(int)] > 0), "drew a zero-probability category"
        if v2.shape[1] >= 1000:
            freq = np.bincount(v2[0].astype(int), minlength=p.shape[-1]) / v2.shape[1]
            np.testing.assert_allclose(freq, p2[0] / p2[0].sum(), atol=5 * math.sqrt(0.25 / v2.shape[1]))


def _normal_tensor_samples(dtype, device):
    mean = tt.full((N,), 3.0, dtype=dtype, device=device)
    std = tt.full((N,), 2.0, dtype=dtype, device=device)
    return [Sample((mean, std)), Sample((mean, 2.0)), Sample((3.0, std)),
            Sample((tt.full((2, 1), 3.0, dtype=dtype, device=device), tt.full((3,), 2.0, dtype=dtype, device=device))),
            Sample((tt.zeros((), dtype=dtype, device=device), 1.0)),
            Sample((tt.zeros((0,), dtype=dtype, device=device), 1.0))]


def _seeded(seed, *tensors):
    dev = next(t.device for t in tensors if isinstance(t, tt.Tensor))
    return tt.Generator(device=dev).manual_seed(seed)


def _normal_tensor_fn(mean, std):
    return tuple(tt.normal(mean, std, generator=_seeded(5, mean, std)) for _ in range(2))


def _normal_tensor_ref(mean, std):
    m = np.asarray(mean)
    s = np.asarray(std)
    return {"shape": np.broadcast_shapes(m.shape, s.shape), "mean": float(m.reshape(-1)[0]) if m.size else 0.0,
            "std": float(s.reshape(-1)[0]) if s.size else 1.0}


def _bernoulli_tensor_samples(dtype, device):
    return [Sample((tt.full((N,), 0.3, dtype=dtype, device=device),)),
            Sample((tt.full((4, 3), 0.5, dtype=dtype, device=device).t(),)),
            Sample((tt.full((), 1.0, dtype=dtype, device=device),)), Sample((tt.zeros(0, dtype=dtype, device=device),))]


def _poisson_samples(dtype, device):
    return [Sample((tt.full((N,), 4.0, dtype=dtype, device=device),)),
            Sample((tt.full((4, 3), 2.0, dtype=dtype, device=device).t(),)),
            Sample((tt.zeros((), dtype=dtype, device=device),))]


OPS = [
    OpInfo("rand", _twice(lambda x, g: tt.rand(x.shape, dtype=x.dtype, device=x.device, generator=g)), _spec,
           _samples([{}]),
           covers=("uniform",), grad=False, compare=_compare(_uniform_check)),
    OpInfo("uniform_", _twice(lambda x, g, low, high: x.uniform_(low, high, generator=g)), _spec,
           _samples([{"low": -2.0, "high": 5.0}, {"low": 1.0, "high": 1.0 + 1e-3}]), covers=("uniform",), grad=False,
           compare=_compare(_uniform_check)),
    OpInfo("randn", _twice(lambda x, g: tt.randn(x.shape, dtype=x.dtype, device=x.device, generator=g)), _spec,
           _samples([{}]),
           covers=("normal",), grad=False, compare=_compare(_normal_check)),
    OpInfo("normal_", _twice(lambda x, g, mean, std: x.normal_(mean, std, generator=g)), _spec,
           _samples([{"mean": -3.0, "std": 0.5}]), covers=("normal",), grad=False, compare=_compare(_normal_check)),
    OpInfo("normal", _normal_tensor_fn, _normal_tensor_ref, _normal_tensor_samples, covers=("normal",), grad=False,
           compare=_compare(_normal_check)),
    OpInfo("randint", _twice(lambda x, g, low, high: tt.randint(low, high, tuple(x.shape), dtype=x.dtype,
                                                                   device=x.device, generator=g)),
           _spec, _samples([{"low": -3, "high": 4}, {"low": 0, "high": 2}]), dtypes=FLOATS + INTS[1:],
           covers=("random",), grad=False, compare=_compare(_random_check)),
    OpInfo("random_", _twice(lambda x, g, low, high: x.random_(low, high, generator=g)), _spec,
           _samples([{"low": 0, "high": 5}]), dtypes=FLOATS + INTS, covers=("random",), grad=False,
           compare=_compare(_random_check)),
    OpInfo("randperm", lambda n, dt, dev: tuple(
        tt.randperm(n, dtype=dt, device=dev, generator=tt.Generator(device=dev).manual_seed(3)) for _ in range(2)),
           lambda n, dt, dev: {"shape": (n,)}, _randperm_samples, dtypes=(tt.int64, tt.int32, tt.int16, tt.float32,
                                                                      tt.float64),
           covers=("randperm",), grad=False, compare=_compare(_randperm_check)),
    OpInfo("bernoulli", lambda p: tuple(tt.bernoulli(p, generator=_seeded(9, p)) for _ in range(2)),
           lambda p: {"shape": p.shape, "p": float(p.reshape(-1)[0]) if p.size else 0.5}, _bernoulli_tensor_samples,
           covers=("bernoulli",), grad=False, compare=_compare(_bernoulli_check)),
    OpInfo("bernoulli_", _twice(lambda x, g, p: x.bernoulli_(p, generator=g)), _spec,
           _samples([{"p": 0.2}, {"p": 1.0}]), dtypes=FLOATS + INTS, covers=("bernoulli",), grad=False,
           compare=_compare(_bernoulli_check)),
    OpInfo("multinomial", lambda p, n, replacement=False: tuple(
        tt.multinomial(p, n, replacement, generator=_seeded(4, p)) for _ in range(2)),
        lambda p, n, replacement=False: {"shape": p.shape[:-1] + (n,), "p": p, "replacement": replacement},
        _multinomial_samples, covers=("multinomial",), grad=False,
        compare=_compare(_multinomial_check, out_dtype=tt.int64)),
    OpInfo("exponential_", _twice(lambda x, g, lambd: x.exponential_(lambd, generator=g)), _spec,
           _samples([{"lambd": 2.0}]), covers=("exponential",), grad=False, compare=_compare(_exponential_check)),
    OpInfo("geometric_", _twice(lambda x, g, p: x.geometric_(p, generator=g)), _spec, _samples([{"p": 0.3}]),
           dtypes=FLOATS + (tt.int64, tt.int32), covers=("geometric",), grad=False,
           compare=_compare(_geometric_check)),
    OpInfo("cauchy_", _twice(lambda x, g, median, sigma: x.cauchy_(median, sigma, generator=g)), _spec,
           _samples([{"median": 1.0, "sigma": 2.0}]), covers=("cauchy",), grad=False, compare=_compare(_cauchy_check)),
    OpInfo("log_normal_", _twice(lambda x, g, mean, std: x.log_normal_(mean, std, generator=g)), _spec,
           _samples([{"mean": 0.5, "std": 0.25}]), covers=("log_normal",), grad=False,
           compare=_compare(_log_normal_check)),
    OpInfo("poisson", lambda r: tuple(tt.poisson(r, generator=_seeded(8, r)) for _ in range(2)),
           lambda r: {"shape": r.shape, "rate": float(r.reshape(-1)[0]) if r.size else 0.0}, _poisson_samples,
           covers=("poisson",), grad=False, compare=_compare(_poisson_check)),
]
