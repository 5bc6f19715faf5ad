"""cuda random kernels: reproducibility under manual_seed / Generator, stream independence,
layout independence (in-place on strided views), distributions at moderate sample sizes (5
standard errors), integer ranges up to the full int64 span, bernoulli with a tensor p,
poisson across both algorithms, multinomial with and without replacement (multi-row, the
multi-launch merge sort), randperm, and error parity with the cpu device.

Sample sizes stay moderate and each check is one or two big launches (the interpreter pays
per program, not per element)."""
import math

import numpy as np
import pytest

import tritorch as tt
import tritorch.kernels.random as kr
from tests.conftest import DEVICES

pytestmark = pytest.mark.skipif("cuda" not in DEVICES, reason="no cuda device")

N = 4096


def _np(t):
    t = t.detach().cpu()
    return t.double().numpy() if t.dtype.is_floating_point else t.numpy()


def _gen(seed):
    return tt.Generator(device="cuda").manual_seed(seed)


def _moments(v, mean, var):
    v = np.asarray(v, np.float64)
    d = v - v.mean()
    m2 = float(np.mean(d * d))
    se_var = math.sqrt(max(float(np.mean(d ** 4)) - m2 * m2, 0.0) / v.size)
    assert abs(v.mean() - mean) <= 5 * math.sqrt(var / v.size) + 1e-12, (v.mean(), mean)
    assert abs(m2 - var) <= 5 * se_var + 1e-12, (m2, var)


# ---- reproducibility -------------------------------------------------------------------------------------
def test_manual_seed_reproduces_and_streams_advance():
    def draw():
        return [tt.rand(5, device="cuda"), tt.randn(2, 3, device="cuda"), tt.randint(0, 10, (4,), device="cuda"),
                tt.randperm(6, device="cuda"), tt.bernoulli(tt.full((6,), 0.5, device="cuda")),
                tt.multinomial(tt.ones(5, device="cuda"), 3), tt.poisson(tt.full((3,), 20.0, device="cuda")),
                tt.zeros(4, device="cuda").exponential_()]
    tt.manual_seed(42)
    first = draw()
    tt.manual_seed(42)
    second = draw()
    for a, b in zip(first, second):
        assert a.device.type == "cuda"
        np.testing.assert_array_equal(_np(a), _np(b))
    third = draw()
    assert not np.array_equal(_np(first[0]), _np(third[0]))
    g = _gen(3)
    a, b = tt.rand(N, generator=g, device="cuda"), tt.rand(N, generator=g, device="cuda")
    assert g.get_offset() == 2 * N
    assert abs(np.corrcoef(_np(a), _np(b))[0, 1]) < 5 / math.sqrt(N)
    h = _gen(3).set_offset(N)  # a draw depends only on (seed, offset)
    np.testing.assert_array_equal(_np(tt.rand(N, generator=h, device="cuda")), _np(b))


def test_draw_is_independent_of_out_layout():
    x = tt.empty(5, 4, device="cuda").t()  # (4, 5) transposed view
    x.normal_(generator=_gen(9))
    y = tt.empty(4, 5, device="cuda").normal_(generator=_gen(9))
    np.testing.assert_array_equal(_np(x), _np(y))
    base = tt.zeros(4, 11, dtype=tt.int32, device="cuda")
    base[:, 1::2].random_(0, 100, generator=_gen(1))
    assert (_np(base)[:, 0::2] == 0).all()
    np.testing.assert_array_equal(_np(base[:, 1::2]), _np(tt.randint(0, 100, (4, 5), dtype=tt.int32, device="cuda",
                                                                      generator=_gen(1))))


def test_many_dims_launch_split_keeps_stream():
    # Seven dims that do not merge: one launch per leading index, same numbers as a contiguous draw.
    x = tt.empty(2, 2, 2, 2, 2, 2, 6, device="cuda")[..., ::2]
    x.uniform_(generator=_gen(5))
    y = tt.empty(2, 2, 2, 2, 2, 2, 3, device="cuda").uniform_(generator=_gen(5))
    np.testing.assert_array_equal(_np(x), _np(y))


# ---- distributions -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [tt.float32, tt.float64, tt.bfloat16])
def test_continuous_distributions(dtype):
    g = _gen(11)
    u = _np(tt.empty(N, dtype=dtype, device="cuda").uniform_(-1.0, 3.0, generator=g))
    assert u.min() >= -1.0 and u.max() < 3.0
    _moments(u, 1.0, 16 / 12 + (0.01 if dtype is tt.bfloat16 else 0))
    z = _np(tt.randn(N, dtype=dtype, device="cuda", generator=g))
    _moments(z, 0.0, 1.0 + (0.02 if dtype is tt.bfloat16 else 0))
    e = _np(tt.empty(N, dtype=dtype, device="cuda").exponential_(4.0, generator=g))
    assert e.min() >= 0
    _moments(e, 0.25, 0.0625 + (0.001 if dtype is tt.bfloat16 else 0))
    c = _np(tt.empty(N, dtype=dtype, device="cuda").cauchy_(1.0, 0.5, generator=g))
    np.testing.assert_allclose(np.quantile(c, [0.25, 0.5, 0.75]), [0.5, 1.0, 1.5], atol=0.05)
    ln = _np(tt.empty(N, dtype=tt.float64, device="cuda").log_normal_(0.5, 0.25, generator=g))
    _moments(np.log(ln), 0.5, 0.0625)


def test_normal_tensor_parameters_broadcast():
    mean = tt.tensor([[-10.0], [0.0], [10.0]], device="cuda")
    std = tt.full((N,), 2.0, dtype=tt.float16, device="cuda")
    z = _np(tt.normal(mean, std, generator=_gen(2)))
    assert z.shape == (3, N)
    for row, m in zip(z, (-10.0, 0.0, 10.0)):
        _moments(row, m, 4.0)


@pytest.mark.parametrize("dtype", [tt.float64, tt.int64, tt.int32, tt.float32])
def test_geometric(dtype):
    v = _np(tt.empty(N, dtype=dtype, device="cuda").geometric_(0.2, generator=_gen(4)))
    assert v.min() >= 1 and np.all(v == np.round(v))
    _moments(v, 5.0, 0.8 / 0.04)


@pytest.mark.parametrize("dtype,low,high", [
    (tt.int8, -128, 128), (tt.uint8, 0, 256), (tt.int64, -5, 6), (tt.bool, 0, 2), (tt.float16, -3, 1000),
    (tt.int32, -2**31, 2**31)])
def test_random_integer_ranges(dtype, low, high):
    v = _np(tt.randint(low, high, (N,), dtype=dtype, device="cuda", generator=_gen(8))).astype(np.float64)
    assert v.min() >= low and v.max() <= high - 1 and np.all(v == np.round(v))
    if high - low <= 256:
        assert len(np.unique(v)) == high - low  # every value of the range is drawn
    _moments(v, (low + high - 1) / 2, ((high - low) ** 2 - 1) / 12)


def test_random_full_int64_span_and_defaults():
    v = _np(tt.empty(N, dtype=tt.int64, device="cuda").random_(-2**63, 2**63, generator=_gen(6)))
    assert (v < 0).mean() == pytest.approx(0.5, abs=5 * 0.5 / math.sqrt(N))
    assert v.max() > 2**62 and v.min() < -2**62
    f = v.astype(np.float64) / 2**63
    _moments(f, 0.0, 1 / 3)
    # A range just above 2**63: rejection keeps it uniform (plain x % range would favour the lower third).
    w = _np(tt.empty(N, dtype=tt.int64, device="cuda").random_(-2**62, 2**63 - 1, generator=_gen(6)))
    _moments(w.astype(np.float64) / 2**62, 0.5, 9 / 12)
    d = _np(tt.empty(N, dtype=tt.uint8, device="cuda").random_(generator=_gen(6)))
    assert d.min() == 0 and d.max() == 255
    h = _np(tt.empty(N, dtype=tt.float16, device="cuda").random_(generator=_gen(6)))
    assert h.min() >= 0 and h.max() <= 2**11 and np.all(h == np.round(h))


def test_bernoulli_tensor_p_and_scalar():
    p = tt.linspace(0.0, 1.0, 5, dtype=tt.float64, device="cuda")
    b = _np(tt.bernoulli(p.expand(N, 5).contiguous(), generator=_gen(1)))
    for j, pj in enumerate(np.linspace(0, 1, 5)):
        col = b[:, j]
        assert set(np.unique(col)) <= {0.0, 1.0}
        assert abs(col.mean() - pj) <= 5 * math.sqrt(pj * (1 - pj) / N) + 1e-12
    x = tt.empty(N, 5, dtype=tt.int16, device="cuda").bernoulli_(p, generator=_gen(2))
    assert abs(_np(x)[:, 1].mean() - 0.25) <= 5 * math.sqrt(0.25 * 0.75 / N)
    s = _np(tt.empty(N, dtype=tt.bool, device="cuda").bernoulli_(0.3, generator=_gen(3)))
    assert abs(s.mean() - 0.3) <= 5 * math.sqrt(0.21 / N)


def test_poisson_small_and_large_rates():
    rates = [0.0, 0.3, 4.0, 9.9, 10.0, 37.5, 2500.0]
    r = tt.tensor(rates, dtype=tt.float64, device="cuda").reshape(-1, 1).expand(len(rates), N).contiguous()
    v = _np(tt.poisson(r, generator=_gen(12)))
    assert v.min() >= 0 and np.all(v == np.round(v))
    for row, lam in zip(v, rates):
        if lam == 0:
            assert (row == 0).all()
        else:
            _moments(row, lam, lam)
    f = _np(tt.poisson(tt.full((N,), 50.0, dtype=tt.bfloat16, device="cuda").t(), generator=_gen(1)))
    _moments(f, 50.0, 50.0 + 1.0)


# ---- multinomial / randperm -------------------------------------------------------------------------------
def test_multinomial_with_replacement_frequencies():
    p = tt.tensor([[0.1, 0.0, 0.3, 0.6], [5.0, 5.0, 0.0, 0.0]], dtype=tt.float32, device="cuda")
    s = _np(tt.multinomial(p, N, replacement=True, generator=_gen(3)))
    assert s.shape == (2, N)
    for row, probs in zip(s, ([0.1, 0.0, 0.3, 0.6], [0.5, 0.5, 0, 0])):
        freq = np.bincount(row, minlength=4) / N
        assert np.all(freq[np.array(probs) == 0] == 0)
        np.testing.assert_allclose(freq, probs, atol=5 * math.sqrt(0.25 / N))


def test_multinomial_without_replacement_rows_are_uniform_permutations():
    rows, n = 2000, 4
    s = _np(tt.multinomial(tt.ones(rows, n, dtype=tt.float16, device="cuda"), n, generator=_gen(5)))
    np.testing.assert_array_equal(np.sort(s, 1), np.broadcast_to(np.arange(n), (rows, n)))
    for pos in range(n):  # each category equally likely at each position
        freq = np.bincount(s[:, pos], minlength=n) / rows
        np.testing.assert_allclose(freq, 1 / n, atol=5 * math.sqrt(0.25 / rows))
    w = tt.tensor([1.0, 0.0, 3.0, 0.0, 6.0], device="cuda").expand(rows, 5)  # stride-0 rows
    first = _np(tt.multinomial(w, 3, generator=_gen(7)))
    assert np.all(np.sort(first, 1) == [0, 2, 4])  # positive categories first, none repeated
    np.testing.assert_allclose(np.bincount(first[:, 0], minlength=5) / rows, [0.1, 0, 0.3, 0, 0.6],
                               atol=5 * math.sqrt(0.25 / rows))


def test_randperm_permutations_dtypes_and_strided_out():
    for n, dtype in [(1, tt.int64), (2, tt.int32), (1000, tt.int16), (3000, tt.float32)]:
        v = _np(tt.randperm(n, dtype=dtype, device="cuda", generator=_gen(n)))
        np.testing.assert_array_equal(np.sort(v), np.arange(n))
    v = _np(tt.randperm(4096, device="cuda", generator=_gen(1)))
    assert abs(np.corrcoef(v, np.arange(4096))[0, 1]) < 5 / math.sqrt(4096)
    out = tt.zeros(20, dtype=tt.int64, device="cuda")
    tt.randperm(10, out=out[::2], generator=_gen(4))
    np.testing.assert_array_equal(np.sort(_np(out)[::2]), np.arange(10))
    assert (_np(out)[1::2] == 0).all()


def test_multi_launch_merge_sort_matches_single_launch(monkeypatch):
    """Rows longer than one program's block take one launch per merge pass: same result."""
    probs = tt.rand(3, 300, device="cuda", generator=_gen(1)) * (tt.rand(3, 300, device="cuda") > 0.3)
    one = [_np(tt.randperm(1000, device="cuda", generator=_gen(2))),
           _np(tt.multinomial(probs, 250, generator=_gen(3)))]
    monkeypatch.setattr(kr, "block_for", lambda n, gpu_block: 128)
    many = [_np(tt.randperm(1000, device="cuda", generator=_gen(2))),
            _np(tt.multinomial(probs, 250, generator=_gen(3)))]
    for a, b in zip(one, many):
        np.testing.assert_array_equal(a, b)


# ---- errors ----------------------------------------------------------------------------------------------
def test_errors_match_cpu():
    cases = [
        lambda d: tt.normal(tt.zeros(3, device=d), tt.tensor([1.0, -1.0, 1.0], device=d)),
        lambda d: tt.bernoulli(tt.tensor([0.5, 1.5], device=d)),
        lambda d: tt.bernoulli(tt.tensor([0.5, float("nan")], device=d)),
        lambda d: tt.zeros(2, device=d).bernoulli_(tt.tensor([-0.1, 0.2], device=d)),
        lambda d: tt.poisson(tt.tensor([1.0, -2.0], device=d)),
        lambda d: tt.poisson(tt.tensor([float("nan")], device=d)),
        lambda d: tt.multinomial(tt.tensor([0.5, float("inf")], device=d), 1),
        lambda d: tt.multinomial(tt.tensor([[1.0, 1.0], [0.0, 0.0]], device=d), 1),
        lambda d: tt.multinomial(tt.tensor([1.0, -1.0], device=d), 1, replacement=True),
        lambda d: tt.multinomial(tt.tensor([1.0, 1.0], device=d), 3),
        lambda d: tt.zeros(3, device=d).uniform_(2.0, 1.0),
        lambda d: tt.randint(3, 3, (2,), device=d),
    ]
    for fn in cases:
        with pytest.raises(RuntimeError) as cpu_err:
            fn("cpu")
        with pytest.raises(RuntimeError) as cuda_err:
            fn("cuda")
        assert str(cpu_err.value) == str(cuda_err.value)
    for bounds in [(0, 2**63 + 5), (-2**63 - 1, 5)]:  # float outputs: the int64 draw bounds
        with pytest.raises(ValueError) as cpu_err:
            tt.zeros(3, dtype=tt.float64).random_(*bounds)
        with pytest.raises(ValueError) as cuda_err:
            tt.zeros(3, dtype=tt.float64, device="cuda").random_(*bounds)
        assert str(cpu_err.value) == str(cuda_err.value)
    x = tt.ones(3, device="cuda")
    with pytest.raises(RuntimeError):
        x.bernoulli_(tt.tensor([2.0, 0.0, 0.0], device="cuda"))
    np.testing.assert_array_equal(_np(x), [1.0, 1.0, 1.0])  # checked before sampling: out untouched
