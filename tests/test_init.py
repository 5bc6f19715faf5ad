"""tritorch.nn.init against torch.nn.init: gains, fans and error messages exactly; samplers by
their bounds and moments (tritorch's random streams differ from PyTorch's); eye_/dirac_ values
exactly; orthogonality, sparsity counts, seeded determinism, dtypes, both devices."""
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.init as TI

import tritorch as tt
import tritorch.nn.init as init

FANS_SHAPES = [(3, 5), (4, 3, 2), (6, 3, 3, 3), (2, 4, 1, 2, 3), (7, 1)]


def _np(t):
    return t.detach().to(tt.float64).cpu().numpy()


def _raises_like(fn_tt, fn_torch, exc=ValueError):
    with pytest.raises(exc) as ours:
        fn_tt()
    with pytest.raises(exc) as theirs:
        fn_torch()
    assert str(ours.value) == str(theirs.value)


# ---- gains and fans ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"])
def test_calculate_gain(name):
    assert init.calculate_gain(name) == TI.calculate_gain(name)


@pytest.mark.parametrize("param", [None, 0.2, 1, 0, -0.5])
def test_calculate_gain_leaky_relu_param(param):
    assert init.calculate_gain("leaky_relu", param) == TI.calculate_gain("leaky_relu", param)


@pytest.mark.parametrize("args", [("leaky_relu", True), ("leaky_relu", "0.2"), ("leaky_relu", [0.1]),
                                  ("softplus",), ("Relu",)])
def test_calculate_gain_errors(args):
    _raises_like(lambda: init.calculate_gain(*args), lambda: TI.calculate_gain(*args))


@pytest.mark.parametrize("shape", FANS_SHAPES)
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(tt.empty(shape)) == TI._calculate_fan_in_and_fan_out(
        torch.empty(shape))
    for mode in ("fan_in", "fan_out", "FAN_OUT"):
        assert init._calculate_correct_fan(tt.empty(shape), mode) == TI._calculate_correct_fan(
            torch.empty(shape), mode)


def test_fan_errors():
    for shape in [(5,), ()]:
        _raises_like(lambda: init._calculate_fan_in_and_fan_out(tt.empty(shape)),
                     lambda: TI._calculate_fan_in_and_fan_out(torch.empty(shape)))
        _raises_like(lambda: init.xavier_uniform_(tt.empty(shape)), lambda: TI.xavier_uniform_(torch.empty(shape)))
        _raises_like(lambda: init.kaiming_normal_(tt.empty(shape)), lambda: TI.kaiming_normal_(torch.empty(shape)))
    _raises_like(lambda: init._calculate_correct_fan(tt.empty(3, 4), "fan_avg"),
                 lambda: TI._calculate_correct_fan(torch.empty(3, 4), "fan_avg"))
    _raises_like(lambda: init.kaiming_uniform_(tt.empty(3, 4), nonlinearity="gelu"),
                 lambda: TI.kaiming_uniform_(torch.empty(3, 4), nonlinearity="gelu"))


# ---- samplers: bounds and moments -----------------------------------------------------------------
def _check_uniform(w, bound):
    a = _np(w)
    assert a.min() >= -bound and a.max() <= bound
    # U(-b, b): mean 0, std b / sqrt(3); 4096 samples -> a few percent
    assert abs(a.mean()) < 0.06 * bound
    assert abs(a.std() / (bound / math.sqrt(3)) - 1) < 0.05


def _check_normal(w, std, mean=0.0):
    a = _np(w)
    assert abs(a.mean() - mean) < 0.06 * std
    assert abs(a.std() / std - 1) < 0.05


def test_uniform_normal(device):
    g = tt.Generator(device).manual_seed(0)
    w = tt.empty(64, 64, device=device)
    assert init.uniform_(w, -0.5, 1.5, generator=g) is w
    a = _np(w)
    assert a.min() >= -0.5 and a.max() < 1.5 and abs(a.mean() - 0.5) < 0.03
    assert init.normal_(w, 2.0, 0.5, generator=g) is w
    _check_normal(w, 0.5, 2.0)


@pytest.mark.parametrize("shape", [(64, 64), (32, 8, 4, 4)])
def test_xavier(device, shape):
    fan_in, fan_out = TI._calculate_fan_in_and_fan_out(torch.empty(shape))
    w = tt.empty(shape, device=device)
    init.xavier_uniform_(w, gain=2.0, generator=tt.Generator(device).manual_seed(1))
    _check_uniform(w, 2.0 * math.sqrt(6.0 / (fan_in + fan_out)))
    init.xavier_normal_(w, gain=0.5)
    _check_normal(w, 0.5 * math.sqrt(2.0 / (fan_in + fan_out)))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming(device, mode):
    shape = (32, 8, 4, 4)
    fan = TI._calculate_correct_fan(torch.empty(shape), mode)
    w = tt.empty(shape, device=device)
    init.kaiming_uniform_(w, a=math.sqrt(5), mode=mode)  # nn.Linear / Conv's default initialisation
    _check_uniform(w, TI.calculate_gain("leaky_relu", math.sqrt(5)) * math.sqrt(3.0 / fan))
    init.kaiming_normal_(w, mode=mode, nonlinearity="relu")
    _check_normal(w, math.sqrt(2.0) / math.sqrt(fan))


def test_kaiming_zero_element_warns(device):
    w = tt.empty(0, 3, device=device)
    for fn, tfn in ((init.kaiming_uniform_, TI.kaiming_uniform_), (init.kaiming_normal_, TI.kaiming_normal_)):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            assert fn(w) is w
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            tfn(torch.empty(0, 3))


def _truncnorm_moments(mean, std, a, b):
    al, be = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(be) - cdf(al)
    m = mean + std * (pdf(al) - pdf(be)) / z
    var = std ** 2 * (1 + (al * pdf(al) - be * pdf(be)) / z - ((pdf(al) - pdf(be)) / z) ** 2)
    return m, math.sqrt(var)


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.5, 0.2, 0.0, 0.6), (0.0, 1.0, 1.5, 3.0)])
def test_trunc_normal(device, mean, std, a, b):
    # (1.5, 3.0) holds < 30% of the mass: the uniform-proposal branch; the others the normal branch.
    w = tt.empty(64, 64, device=device)
    assert init.trunc_normal_(w, mean, std, a, b, generator=tt.Generator(device).manual_seed(3)) is w
    arr = _np(w)
    assert arr.min() >= a and arr.max() <= b
    m, s = _truncnorm_moments(mean, std, a, b)
    assert abs(arr.mean() - m) < 0.05 * s
    assert abs(arr.std() / s - 1) < 0.05


def test_trunc_normal_half_and_warning(device):
    w = tt.empty(32, 32, device=device, dtype=tt.float16)
    init.trunc_normal_(w, std=0.02, a=-0.04, b=0.04)
    arr = _np(w)
    assert arr.min() >= -0.04 and arr.max() <= 0.04
    msg = "mean is more than 2 std from \\[a, b\\] in nn.init.trunc_normal_"
    with pytest.warns(UserWarning, match=msg):
        init.trunc_normal_(tt.empty(4, device=device), mean=10.0, std=1.0, a=-2.0, b=2.0)
    with pytest.warns(UserWarning, match=msg):
        TI.trunc_normal_(torch.empty(4), mean=10.0, std=1.0, a=-2.0, b=2.0)


def test_seeded_generator_is_deterministic(device):
    def draw(seed):
        w = tt.empty(8, 6, device=device)
        g = tt.Generator(device).manual_seed(seed)
        outs = []
        for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_, init.trunc_normal_,
                   init.orthogonal_, lambda t, generator: init.sparse_(t, 0.5, generator=generator)):
            outs.append(_np(fn(w, generator=g)).copy())
        return outs
    for x, y in zip(draw(7), draw(7)):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(draw(7)[0], draw(8)[0])


def test_generator_device_mismatch(device):
    other = "cuda" if device == "cpu" else "cpu"
    with pytest.raises(RuntimeError, match=f"Expected a '{device}' device type for generator but found '{other}'"):
        init.uniform_(tt.empty(3, device=device), generator=tt.Generator(other))


# ---- deterministic fills ----------------------------------------------------------------------------
def test_constant_ones_zeros(device):
    w = tt.empty(2, 3, device=device, dtype=tt.float16)
    assert init.constant_(w, 0.25) is w and _np(w).tolist() == [[0.25] * 3] * 2
    assert init.ones_(w) is w and _np(w).tolist() == [[1.0] * 3] * 2
    assert init.zeros_(w) is w and _np(w).tolist() == [[0.0] * 3] * 2


def test_in_place_on_leaf_parameter(device):
    # Runs under no_grad: a leaf requiring grad is filled without an in-place error and stays a leaf.
    w = tt.empty(4, 3, device=device, requires_grad=True)
    for fn in (init.uniform_, init.normal_, init.xavier_normal_, init.kaiming_uniform_, init.trunc_normal_,
               init.orthogonal_, init.ones_, init.eye_):
        assert fn(w) is w
        assert w.requires_grad and w.grad_fn is None


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_eye(device, shape):
    w = tt.full(shape, 7.0, device=device)
    assert init.eye_(w) is w
    np.testing.assert_array_equal(_np(w), TI.eye_(torch.full(shape, 7.0)).numpy())


def test_eye_errors():
    for shape in [(2, 3, 4), (3,)]:
        _raises_like(lambda: init.eye_(tt.empty(shape)), lambda: TI.eye_(torch.empty(shape)))


@pytest.mark.parametrize("shape,groups", [((4, 3, 3), 1), ((6, 2, 3, 3), 2), ((2, 4, 3, 2), 1),
                                          ((3, 5, 2), 3), ((4, 2, 3, 3, 3), 2)])
def test_dirac(device, shape, groups):
    w = tt.full(shape, 3.0, device=device)
    assert init.dirac_(w, groups) is w
    np.testing.assert_array_equal(_np(w), TI.dirac_(torch.full(shape, 3.0), groups).numpy())


def test_dirac_errors():
    for shape, groups in [((3, 3), 1), ((1, 1, 1, 1, 1, 1), 1), ((5, 2, 3), 2)]:
        _raises_like(lambda: init.dirac_(tt.empty(shape), groups), lambda: TI.dirac_(torch.empty(shape), groups))


# ---- orthogonal and sparse ----------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(6, 10), (10, 6), (5, 5), (4, 2, 3)])
@pytest.mark.parametrize("dtype", [tt.float32, tt.float64])
def test_orthogonal(device, shape, dtype):
    w = tt.empty(shape, device=device, dtype=dtype)
    gain = 1.5
    assert init.orthogonal_(w, gain=gain) is w
    m = _np(w).reshape(shape[0], -1)
    small = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    tol = 1e-5 if dtype is tt.float32 else 1e-12
    np.testing.assert_allclose(small, gain ** 2 * np.eye(small.shape[0]), atol=tol)


def test_orthogonal_half_and_errors(device):
    w = tt.empty(8, 8, device=device, dtype=tt.bfloat16)
    init.orthogonal_(w)
    m = _np(w)
    np.testing.assert_allclose(m @ m.T, np.eye(8), atol=0.05)
    e = tt.empty(0, 3, device=device)
    assert init.orthogonal_(e) is e
    _raises_like(lambda: init.orthogonal_(tt.empty(4)), lambda: TI.orthogonal_(torch.empty(4)))


@pytest.mark.parametrize("rows,cols,sparsity", [(10, 6, 0.3), (7, 4, 0.0), (5, 3, 1.0), (8, 5, 0.5)])
def test_sparse(device, rows, cols, sparsity):
    w = tt.empty(rows, cols, device=device)
    assert init.sparse_(w, sparsity, std=0.5) is w
    a = _np(w)
    # Every column has exactly ceil(sparsity * rows) zeros (the normal samples are never exactly 0).
    expect = (TI.sparse_(torch.empty(rows, cols), sparsity).numpy() == 0).sum(0)
    np.testing.assert_array_equal((a == 0).sum(0), expect)
    assert (expect == math.ceil(sparsity * rows)).all()


def test_sparse_errors():
    for shape in [(3,), (2, 3, 4)]:
        _raises_like(lambda: init.sparse_(tt.empty(shape), 0.1), lambda: TI.sparse_(torch.empty(shape), 0.1))


# ---- dtypes and deprecated aliases ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [tt.float16, tt.bfloat16, tt.float64])
def test_other_float_dtypes(device, dtype):
    w = tt.empty(32, 32, device=device, dtype=dtype)
    init.xavier_uniform_(w)
    bound = math.sqrt(6.0 / 64)
    a = _np(w)
    assert w.dtype is dtype and a.min() >= -bound * 1.01 and a.max() <= bound * 1.01 and a.std() > 0.5 * bound / 2
    init.kaiming_normal_(w)
    assert abs(_np(w).std() / math.sqrt(2.0 / 32) - 1) < 0.1


@pytest.mark.parametrize("old", ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform",
                                 "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"])
def test_deprecated_aliases(old):
    shape = (4, 2, 3) if old == "dirac" else (4, 6)
    extra = (0.5,) if old in ("constant", "sparse") else ()
    with pytest.warns(FutureWarning) as ours:
        w = getattr(init, old)(tt.empty(shape), *extra)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        getattr(TI, old)(torch.empty(shape), *extra)
    assert str(ours[0].message) == str(theirs[0].message)
    assert ours[0].filename == __file__  # stacklevel points at the caller
    assert tuple(w.shape) == shape and getattr(init, old).__name__ == old
