"""Random sampling: reproducibility (manual_seed, Generator, state round trips), stream
independence, moments at n = 10**5, supports and ranges, permutations, multinomial and
bernoulli frequencies, in-place semantics with autograd, and error messages (compared with
PyTorch's where both raise)."""
import math

import numpy as np
import pytest
import torch

import tritorch as tt

N = 100_000


def _np(t):
    return t.detach().double().numpy() if t.dtype.is_floating_point else t.numpy()


# ---- reproducibility ---------------------------------------------------------------------------
def test_manual_seed_reproduces_every_sampler():
    def draw():
        return [tt.rand(5), tt.randn(2, 3), tt.randint(0, 10, (4,)), tt.randperm(6), tt.normal(1.0, 2.0, (3,)),
                tt.bernoulli(tt.full((6,), 0.5)), tt.multinomial(tt.ones(5), 3), tt.zeros(4).exponential_(),
                tt.poisson(tt.full((3,), 2.0))]
    g = tt.manual_seed(42)
    assert g is tt.default_generator and tt.initial_seed() == 42
    first = draw()
    tt.manual_seed(42)
    second = draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(_np(a), _np(b))
    third = draw()  # the stream moved on
    assert not np.array_equal(_np(first[0]), _np(third[0]))


def test_generator_reproducible_and_isolated_from_default():
    g1 = tt.Generator().manual_seed(7)
    g2 = tt.Generator(device="cpu").manual_seed(7)
    a = tt.randn(100, generator=g1)
    tt.randn(50)  # the default generator does not disturb g2
    b = tt.randn(100, generator=g2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert g1.device == tt.device("cpu") and g1.initial_seed() == 7


def test_two_generators_are_independent_of_interleaving():
    ga, gb = tt.Generator().manual_seed(1), tt.Generator().manual_seed(2)
    inter = [(tt.rand(10, generator=ga), tt.rand(10, generator=gb)) for _ in range(3)]
    ga, gb = tt.Generator().manual_seed(1), tt.Generator().manual_seed(2)
    only_a = [tt.rand(10, generator=ga) for _ in range(3)]
    only_b = [tt.rand(10, generator=gb) for _ in range(3)]
    for (x, y), a, b in zip(inter, only_a, only_b):
        np.testing.assert_array_equal(x.numpy(), a.numpy())
        np.testing.assert_array_equal(y.numpy(), b.numpy())
    # Different seeds, and consecutive draws of one generator, are uncorrelated.
    x = tt.randn(N, generator=tt.Generator().manual_seed(1)).double().numpy()
    y = tt.randn(N, generator=tt.Generator().manual_seed(2)).double().numpy()
    g = tt.Generator().manual_seed(1)
    z1, z2 = tt.randn(N, generator=g).double().numpy(), tt.randn(N, generator=g).double().numpy()
    assert abs(np.corrcoef(x, y)[0, 1]) < 5 / math.sqrt(N)
    assert abs(np.corrcoef(z1, z2)[0, 1]) < 5 / math.sqrt(N)


def test_draw_depends_only_on_seed_and_offset():
    g = tt.Generator().manual_seed(3)
    tt.rand(3, generator=g)
    tt.randn(4, generator=g)
    assert g.get_offset() == 7  # the offset advanced by the number of values drawn
    after = tt.rand(5, generator=g)
    h = tt.Generator().manual_seed(3).set_offset(7)
    np.testing.assert_array_equal(after.numpy(), tt.rand(5, generator=h).numpy())


def test_state_round_trips():
    g = tt.Generator().manual_seed(11)
    tt.rand(4, generator=g)
    state = g.get_state()
    assert state.dtype is tt.uint8 and tuple(state.shape) == (16,)
    a = tt.rand(6, generator=g)
    g.set_state(state)
    np.testing.assert_array_equal(tt.rand(6, generator=g).numpy(), a.numpy())
    s = tt.get_rng_state()
    b = tt.randn(5)
    tt.set_rng_state(s)
    np.testing.assert_array_equal(tt.randn(5).numpy(), b.numpy())
    with pytest.raises(RuntimeError, match="Expected a generator state of 16 bytes"):
        g.set_state(tt.zeros(3, dtype=tt.uint8))


def test_seed_functions():
    s = tt.seed()
    assert isinstance(s, int) and tt.initial_seed() == s
    g = tt.Generator()
    assert g.initial_seed() == 67280421310721
    s2 = g.seed()
    assert g.initial_seed() == s2
    assert tt.Generator().manual_seed(-1).initial_seed() == 2 ** 64 - 1
    assert torch.Generator().manual_seed(-1).initial_seed() == 2 ** 64 - 1
    with pytest.raises(RuntimeError, match="Overflow when unpacking long"):
        g.manual_seed(2 ** 64)
    with pytest.raises(TypeError):
        g.manual_seed("x")


def test_generator_device_mismatch():
    g = tt.Generator(device="cuda")
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator but found 'cuda'"):
        tt.rand(3, generator=g)
    with pytest.raises(TypeError, match="must be tritorch.Generator"):
        tt.rand(3, generator=3)


# ---- creation API ---------------------------------------------------------------------------------
def test_size_spellings_dtypes_and_flags():
    for t in (tt.randn(2, 3), tt.randn((2, 3)), tt.randn([2, 3]), tt.rand(size=(2, 3)), tt.randn(tt.Size([2, 3]))):
        assert tuple(t.shape) == (2, 3) and t.dtype is tt.float32
    assert tuple(tt.rand(()).shape) == () and tuple(tt.rand(0, 3).shape) == (0, 3)
    assert tt.randn(3, dtype=tt.float64).dtype is tt.float64
    assert tt.randint(5, (3,)).dtype is tt.int64 and tt.randint(0, 5, (3,), dtype=tt.int16).dtype is tt.int16
    assert tt.randperm(4).dtype is tt.int64
    r = tt.rand(3, requires_grad=True)
    assert r.requires_grad and r.is_leaf
    out = tt.empty(0)
    assert tt.randn(4, out=out) is out and tuple(out.shape) == (4,)
    assert tt.rand_like(tt.zeros(2, 2, dtype=tt.float64)).dtype is tt.float64
    assert tt.randn_like(tt.zeros(3)).shape == (3,)
    ri = tt.randint_like(tt.zeros(1000), 3, 6)
    assert ri.dtype is tt.float32 and set(np.unique(ri.numpy()).tolist()) == {3.0, 4.0, 5.0}
    assert set(np.unique(tt.randint_like(tt.zeros(1000, dtype=tt.int32), 2).numpy()).tolist()) == {0, 1}


@pytest.mark.parametrize("dtype", [tt.float16, tt.bfloat16, tt.float32, tt.float64])
def test_rand_range_and_moments(dtype):
    v = _np(tt.rand(N, dtype=dtype))
    assert v.min() >= 0.0 and v.max() < 1.0
    assert abs(v.mean() - 0.5) < 0.005 and abs(v.std() - 1 / math.sqrt(12)) < 0.005


@pytest.mark.parametrize("dtype", [tt.float16, tt.bfloat16, tt.float32, tt.float64])
def test_randn_moments(dtype):
    v = _np(tt.randn(N, dtype=dtype))
    assert abs(v.mean()) < 0.015 and abs(v.std() - 1.0) < 0.015
    # Tails like a normal: P(|z| > 2) = 0.0455.
    assert abs(np.mean(np.abs(v) > 2) - 0.0455) < 0.004


def test_normal_forms_match_torch_shapes_and_moments():
    m = tt.full((N,), 3.0)
    s = tt.full((N,), 2.0)
    for r in (tt.normal(m, s), tt.normal(m, 2.0), tt.normal(3.0, s), tt.normal(3.0, 2.0, (N,)),
              tt.normal(mean=3.0, std=2.0, size=(N,))):
        v = r.numpy()
        assert r.shape == (N,) and abs(v.mean() - 3.0) < 0.03 and abs(v.std() - 2.0) < 0.03
    assert tt.normal(tt.zeros(2, 1), tt.ones(3)).shape == torch.normal(torch.zeros(2, 1), torch.ones(3)).shape
    assert tt.normal(tt.zeros(3, dtype=tt.float64), tt.ones(3)).dtype is tt.float64
    # std = 0 is exact.
    np.testing.assert_array_equal(tt.normal(tt.arange(4.0), 0.0).numpy(), np.arange(4.0))


def test_randint_range():
    v = tt.randint(-3, 4, (N,)).numpy()
    assert v.min() == -3 and v.max() == 3
    counts = np.bincount(v + 3, minlength=7) / N
    np.testing.assert_allclose(counts, 1 / 7, atol=0.006)
    u8 = tt.randint(0, 256, (N,), dtype=tt.uint8).numpy()
    assert u8.min() == 0 and u8.max() == 255


def test_randperm_is_permutation():
    for n in (0, 1, 2, 10, 1000):
        p = tt.randperm(n).numpy()
        np.testing.assert_array_equal(np.sort(p), np.arange(n))
    # Every position is uniform: the mean of p[0] over many perms is (n - 1) / 2.
    g = tt.Generator().manual_seed(0)
    firsts = np.array([tt.randperm(5, generator=g)[0].item() for _ in range(2000)])
    np.testing.assert_allclose(np.bincount(firsts, minlength=5) / 2000, 0.2, atol=0.04)


def test_bernoulli_frequencies_and_exact_probabilities():
    p = tt.tensor([0.0, 0.25, 1.0]).reshape(3, 1).expand(3, N // 10)
    r = tt.bernoulli(p).numpy()
    assert r[0].sum() == 0 and r[2].sum() == N // 10
    assert abs(r[1].mean() - 0.25) < 0.02
    x = tt.zeros(N)
    assert abs(x.bernoulli_(0.7).numpy().mean() - 0.7) < 0.01
    y = tt.zeros(4, N // 4, dtype=tt.int64).bernoulli_(tt.tensor([0.0, 0.5, 0.9, 1.0]).reshape(4, 1))
    m = y.double().mean(1).numpy()
    assert m[0] == 0 and m[3] == 1 and abs(m[1] - 0.5) < 0.03 and abs(m[2] - 0.9) < 0.02
    assert tt.bernoulli(tt.full((3,), 0.5), 0.0).sum().item() == 0


def test_multinomial_frequencies():
    w = tt.tensor([1.0, 0.0, 3.0, 6.0])
    r = tt.multinomial(w, N, replacement=True).numpy()
    freq = np.bincount(r, minlength=4) / N
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.3, 0.6], atol=0.01)
    assert freq[1] == 0
    rows = tt.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 2.0]])
    r2 = tt.multinomial(rows, 4)
    assert r2.shape == (2, 4) and r2.dtype is tt.int64
    assert sorted(r2[0].tolist()) == [0, 1, 2, 3] and r2[1, 0].item() == 3
    # Without replacement, the first draw follows the weights: P(first = 3) = 0.6.
    g = tt.Generator().manual_seed(1)
    firsts = tt.multinomial(w.unsqueeze(0).expand(20000, 4), 2, generator=g)[:, 0].numpy()
    np.testing.assert_allclose(np.bincount(firsts, minlength=4) / 20000, [0.1, 0.0, 0.3, 0.6], atol=0.015)


def test_other_distributions_moments():
    v = tt.zeros(N).exponential_(2.0).numpy()
    assert v.min() >= 0 and abs(v.mean() - 0.5) < 0.01
    gm = tt.zeros(N).geometric_(0.25).numpy()
    assert gm.min() >= 1 and np.all(gm == np.round(gm)) and abs(gm.mean() - 4.0) < 0.1
    c = tt.zeros(N).cauchy_(1.0, 0.5).numpy()
    np.testing.assert_allclose(np.quantile(c, [0.25, 0.5, 0.75]), [0.5, 1.0, 1.5], atol=0.03)
    ln = tt.zeros(N, dtype=tt.float64).log_normal_(0.5, 0.25).numpy()
    assert ln.min() > 0 and abs(np.log(ln).mean() - 0.5) < 0.01 and abs(np.log(ln).std() - 0.25) < 0.01
    ps = tt.poisson(tt.full((N,), 4.0)).numpy()
    assert np.all(ps == np.round(ps)) and abs(ps.mean() - 4.0) < 0.05 and abs(ps.var() - 4.0) < 0.15
    rd = tt.zeros(N).random_(2, 5).numpy()
    assert set(np.unique(rd).tolist()) == {2.0, 3.0, 4.0}
    assert set(np.unique(tt.zeros(1000).random_(3).numpy()).tolist()) == {0.0, 1.0, 2.0}
    full = tt.zeros(N, dtype=tt.int8).random_().numpy()
    assert full.min() >= 0 and full.max() == 127
    f16 = tt.zeros(N, dtype=tt.float16).random_().float().numpy()
    assert f16.min() >= 0 and f16.max() <= 2 ** 11 and f16.max() > 1800
    b = tt.zeros(1000, dtype=tt.bool).random_().numpy()
    assert b.any() and not b.all()


# ---- in-place semantics ------------------------------------------------------------------------------
def test_inplace_samplers_bump_version_and_fill_only_the_view():
    base = tt.zeros(4, 6)
    v = base[:, ::2]
    ver = base._version
    v.uniform_(1.0, 2.0)
    assert base._version > ver
    b = base.numpy()
    assert np.all(b[:, 1::2] == 0) and np.all((b[:, ::2] >= 1) & (b[:, ::2] < 2))
    for fn in (lambda t: t.normal_(), lambda t: t.bernoulli_(), lambda t: t.random_(0, 3), lambda t: t.exponential_(),
               lambda t: t.geometric_(0.5), lambda t: t.cauchy_(), lambda t: t.log_normal_()):
        t = tt.zeros(3)
        before = t._version
        assert fn(t) is t and t._version == before + 1


def test_inplace_on_leaf_requiring_grad():
    w = tt.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        w.uniform_()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        w.normal_()
    with tt.no_grad():  # how nn.init works
        w.uniform_(-1, 1)
        w[0:1].normal_()
    assert w.requires_grad and w.grad_fn is None and not np.all(w.detach().numpy() == 0)
    tw = torch.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        tw.uniform_()


def test_inplace_on_nonleaf_cuts_history_and_sampler_grads_are_zero():
    m = tt.ones(3, requires_grad=True)
    y = (m * 2).normal_()
    assert type(y.grad_fn).__name__ == "NormalBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(m.grad.numpy(), np.zeros(3))
    m2 = tt.ones(3, requires_grad=True)
    s2 = tt.ones(3, requires_grad=True)
    z = tt.normal(m2 * 1, s2 * 1)
    assert type(z.grad_fn).__name__ == "NormalBackward3"
    (z * 3).sum().backward()
    np.testing.assert_array_equal(m2.grad.numpy(), np.zeros(3))
    np.testing.assert_array_equal(s2.grad.numpy(), np.zeros(3))
    p = tt.full((3,), 0.5, requires_grad=True)
    tt.bernoulli(p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), np.zeros(3))
    assert tt.multinomial(p, 2).grad_fn is None


# ---- errors ------------------------------------------------------------------------------------------
_FROM_TO = "random_ expects 'from' to be less than 'to', but got from={} >= to={}"
ERRORS = [
    (lambda L: L.randint(5, 5, (3,)), RuntimeError, _FROM_TO.format(5, 5)),
    (lambda L: L.randint(5, 3, (3,)), RuntimeError, _FROM_TO.format(5, 3)),
    (lambda L: L.randint(0, 300, (3,), dtype=L.uint8), RuntimeError, "to - 1 is out of bounds for unsigned char"),
    (lambda L: L.randint(-1, 3, (3,), dtype=L.uint8), RuntimeError, "from is out of bounds for unsigned char"),
    (lambda L: L.rand(2, dtype=L.int64), NotImplementedError, "\"check_uniform_bounds\" not implemented for 'Long'"),
    (lambda L: L.randn(2, dtype=L.int64), NotImplementedError, "\"normal_kernel_cpu\" not implemented for 'Long'"),
    (lambda L: L.randn(-1), RuntimeError, r"Trying to create tensor with negative dimension -1: \[-1\]"),
    (lambda L: L.randperm(-1), RuntimeError, r"Trying to create tensor with negative dimension -1: \[-1\]"),
    (lambda L: L.normal(0.0, -1.0, (3,)), RuntimeError, "normal expects std >= 0.0, but found std -1"),
    (lambda L: L.normal(L.zeros(3), -1.0), RuntimeError, "normal expects std >= 0.0, but found std -1"),
    (lambda L: L.normal(L.zeros(3), -L.ones(3)), RuntimeError, "normal expects all elements of std >= 0.0"),
    (lambda L: L.normal(L.zeros(3), L.ones(4)), RuntimeError, r"size of tensor a \(3\) must match the size of tensor b "
                                                              r"\(4\) at non-singleton dimension 0"),
    (lambda L: L.bernoulli(L.tensor([1.5])), RuntimeError, "Expected p_in >= 0 && p_in <= 1 to be true, but got false"),
    (lambda L: L.zeros(3).bernoulli_(1.5), RuntimeError, r"bernoulli_ expects p to be in \[0, 1\], but got p=1.5"),
    (lambda L: L.multinomial(L.tensor([-1.0, 1.0]), 1), RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    (lambda L: L.multinomial(L.tensor([float("nan"), 1.0]), 1), RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    (lambda L: L.multinomial(L.tensor([0.0, 0.0]), 1), RuntimeError,
     r"invalid multinomial distribution \(sum of probabilities <= 0\)"),
    (lambda L: L.multinomial(L.tensor([1.0, 1.0]), 3), RuntimeError,
     r"cannot sample n_sample > prob_dist.size\(-1\) samples without replacement"),
    (lambda L: L.multinomial(L.tensor([1.0, 1.0]), 0), RuntimeError, "cannot sample n_sample <= 0 samples"),
    (lambda L: L.multinomial(L.ones(2, 2, 2), 1), RuntimeError, "prob_dist must be 1 or 2 dim"),
    (lambda L: L.multinomial(L.ones(2, dtype=L.int64), 1), RuntimeError,
     "multinomial only supports floating-point dtypes for input, got: Long"),
    (lambda L: L.zeros(3).uniform_(2, 1), RuntimeError,
     r"uniform_ expects to return a \[from, to\) range, but found from=2 > to=1"),
    (lambda L: L.zeros(3).normal_(0, -1), RuntimeError, "normal expects std >= 0.0, but found std -1"),
    (lambda L: L.zeros(3).exponential_(0), RuntimeError, "exponential_ expects lambda > 0.0, but found lambda=0"),
    (lambda L: L.zeros(3, dtype=L.int64).exponential_(1), RuntimeError,
     "Exponential distribution is a continuous probability distribution. dtype must be a floating point but you "
     "specified Long"),
    (lambda L: L.zeros(3).geometric_(1.5), RuntimeError, r"geometric_ expects p to be in \(0, 1\), but got p=1.5"),
    (lambda L: L.zeros(3).cauchy_(0, -1), RuntimeError, "cauchy_ expects sigma > 0.0, but found sigma=-1"),
    (lambda L: L.zeros(3, dtype=L.int64).cauchy_(), RuntimeError,
     "Cauchy distribution is a continuous probability distribution. dtype must be a floating point but you "
     "specified long int"),
    (lambda L: L.zeros(3).log_normal_(0, 0), RuntimeError, "log_normal_ expects std > 0.0, but found std=0"),
    (lambda L: L.zeros(3).random_(5, 5), RuntimeError, _FROM_TO.format(5, 5)),
    (lambda L: L.zeros(3, dtype=L.uint8).random_(0, 500), RuntimeError, "to - 1 is out of bounds for unsigned char"),
    (lambda L: L.poisson(L.tensor([-1.0])), RuntimeError, "invalid Poisson rate, expected rate to be non-negative"),
    (lambda L: L.randint(0, 3, (3,), requires_grad=True), RuntimeError,
     "nly Tensors of floating point and complex dtype can require gradients"),
]


@pytest.mark.parametrize("fn,exc,msg", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors_match_torch(fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn(tt)
    with pytest.raises(exc, match=msg):
        fn(torch)


def test_failed_call_does_not_advance_generator():
    g = tt.Generator().manual_seed(5)
    with pytest.raises(RuntimeError):
        tt.randint(3, 3, (4,), generator=g)
    assert g.get_offset() == 0
