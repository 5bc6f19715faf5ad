"""Activations vs PyTorch CPU (identical inputs; outputs and input gradients) on both devices:
every functional with its params, edge points (0, clamp boundaries, large |x|, NaN, softplus'
threshold), in-place variants (plain and under autograd), half types, integer inputs, glu,
double backward, and bad-input errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tritorch as tt
import tritorch.nn.functional as F

_EDGE = [np.nan, 0.0, -0.0, 1.0, -1.0, 6.0, -0.5, 2.0, 1.5, 25.0, -25.0, 100.0, -100.0, 30.0, 1e-3, -1e-3,
         0.3, -2.7, 10.0, -10.0]
_X = np.array(_EDGE + list(np.random.default_rng(5).uniform(-4, 4, 12)), dtype=np.float32)

CASES = [
    ("relu", {}), ("relu6", {}), ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("leaky_relu", {"negative_slope": -0.3}),
    ("elu", {}), ("elu", {"alpha": 0.5}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}),
    ("mish", {}), ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}),
    ("softplus", {"beta": 0.5, "threshold": 1.0}), ("sigmoid", {}), ("tanh", {}), ("softsign", {}),
]
_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]


def _np(t):
    return t.detach().cpu().float().numpy() if t.dtype in (tt.bfloat16, tt.float16) else t.detach().cpu().numpy()


def _torch_np(t):
    return t.detach().float().numpy()


def _pair(a, device, dtype=tt.float32, tdtype=torch.float32):
    x = tt.tensor(a, device=device).to(dtype).requires_grad_(True)
    xt = torch.tensor(a).to(tdtype).requires_grad_(True)
    return x, xt


@pytest.mark.parametrize("name,kw", CASES, ids=_IDS)
def test_matches_torch(device, name, kw):
    x, xt = _pair(_X, device)
    g = np.random.default_rng(2).uniform(0.5, 1.5, _X.shape).astype(np.float32)
    y = getattr(F, name)(x, **kw)
    yt = getattr(TF, name)(xt, **kw)
    np.testing.assert_allclose(_np(y), _torch_np(yt), rtol=2e-6, atol=1e-6, equal_nan=True)
    (gx,) = tt.autograd.grad(y, x, tt.tensor(g, device=device))
    (gxt,) = torch.autograd.grad(yt, xt, torch.tensor(g))
    # PyTorch's cpu gradient at NaN depends on its code path (the vectorised and scalar kernels of
    # hardtanh / elu disagree); it is pinned down in test_edge_gradients instead.
    fin = ~np.isnan(_X)
    np.testing.assert_allclose(_np(gx)[fin], _torch_np(gxt)[fin], rtol=2e-6, atol=1e-6, equal_nan=True)


def test_edge_gradients(device):
    """The branch each kink takes, spelled out (relu/hardtanh: 0 at 0 and at the bounds, NaN passes the
    gradient, as PyTorch's cuda and scalar cpu kernels; leaky_relu: the slope at 0; softplus: the
    identity above the threshold)."""
    x = tt.tensor([0.0, -1.0, 1.0, float("nan"), 6.0], device=device, requires_grad=True)
    assert tt.autograd.grad(F.relu(x).sum(), x)[0].cpu().tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert tt.autograd.grad(F.hardtanh(x).sum(), x)[0].cpu().tolist() == [1.0, 0.0, 0.0, 1.0, 0.0]
    assert tt.autograd.grad(F.relu6(x).sum(), x)[0].cpu().tolist() == [0.0, 0.0, 1.0, 1.0, 0.0]
    got = tt.autograd.grad(F.leaky_relu(x, 0.25).sum(), x)[0].cpu().tolist()
    assert got == [0.25, 0.25, 1.0, 0.25, 1.0]
    z = tt.tensor([2.5, 1.5], device=device, requires_grad=True)
    sp = F.softplus(z, threshold=2.0)
    assert sp.cpu().tolist()[0] == 2.5 and abs(sp.cpu().tolist()[1] - 1.7014132) < 1e-6
    gz = tt.autograd.grad(sp.sum(), z)[0].cpu().tolist()
    assert gz[0] == 1.0 and abs(gz[1] - 0.8175745) < 1e-6
    e = tt.tensor([float("nan"), 0.0], device=device, requires_grad=True)
    assert tt.autograd.grad(F.elu(e).sum(), e)[0].cpu().tolist() == [1.0, 1.0]


@pytest.mark.parametrize("dtype,tdtype", [(tt.bfloat16, torch.bfloat16), (tt.float16, torch.float16)],
                         ids=["bf16", "f16"])
def test_half_types(device, dtype, tdtype):
    a = np.random.default_rng(3).uniform(-5, 5, 24).astype(np.float32)
    g = np.random.default_rng(4).uniform(-1, 1, 24).astype(np.float32)
    for name, kw in [("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}), ("elu", {}),
                     ("softplus", {}), ("leaky_relu", {}), ("relu6", {}), ("softsign", {})]:
        x, xt = _pair(a, device, dtype, tdtype)
        y = getattr(F, name)(x, **kw)
        yt = getattr(TF, name)(xt, **kw)
        assert y.dtype is dtype
        np.testing.assert_allclose(_np(y), _torch_np(yt), rtol=1e-2, atol=1e-2, err_msg=name)
        (gx,) = tt.autograd.grad(y, x, tt.tensor(g, device=device).to(dtype))
        (gxt,) = torch.autograd.grad(yt, xt, torch.tensor(g).to(tdtype))
        assert gx.dtype is dtype
        np.testing.assert_allclose(_np(gx), _torch_np(gxt), rtol=2e-2, atol=2e-2, err_msg=name)


INPLACE = [("relu_", {}, "relu"), ("leaky_relu_", {"negative_slope": 0.1}, "leaky_relu"),
           ("elu_", {"alpha": 0.7}, "elu"), ("hardtanh_", {"min_val": -0.5, "max_val": 0.5}, "hardtanh")]


@pytest.mark.parametrize("name,kw,base", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_variants(device, name, kw, base):
    a = np.random.default_rng(6).uniform(-2, 2, (3, 4)).astype(np.float32)
    # Plain in place on a strided view: only the view's elements change, the result is the input.
    big = tt.tensor(a, device=device)
    view = big[:, ::2]
    r = getattr(F, name)(view, **kw)
    assert r is view
    expect = a.copy()
    expect[:, ::2] = getattr(TF, base)(torch.tensor(a[:, ::2]), **kw).numpy()
    np.testing.assert_allclose(big.cpu().numpy(), expect, rtol=1e-6, atol=1e-7)
    # inplace=True on the functional, under autograd on a non-leaf: gradients match PyTorch's.
    x, xt = _pair(a, device)
    h = x * 1.5
    ht = xt * 1.5
    y = getattr(F, base)(h, **kw, inplace=True)
    yt = getattr(TF, base)(ht, **kw, inplace=True)
    assert y is h
    np.testing.assert_allclose(_np(y), _torch_np(yt), rtol=1e-6, atol=1e-7)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(_np(x.grad), _torch_np(xt.grad), rtol=1e-6, atol=1e-7)


def test_inplace_more(device):
    a = np.array([-1.0, 0.5, 7.0, -3.0], dtype=np.float32)
    for fn, kw in [(F.relu6, {}), (F.silu, {}), (F.mish, {})]:
        x = tt.tensor(a, device=device)
        r = fn(x, inplace=True, **kw)
        assert r is x
        np.testing.assert_allclose(x.cpu().numpy(), getattr(TF, fn.__name__)(torch.tensor(a)).numpy(), rtol=1e-6)
    x = tt.tensor(a, device=device)
    assert tt.relu_(x) is x and x.cpu().tolist() == [0.0, 0.5, 7.0, 0.0]
    x = tt.tensor(a, device=device)
    assert x.relu_() is x and x.cpu().tolist() == [0.0, 0.5, 7.0, 0.0]
    assert tt.tensor(a, device=device).relu().cpu().tolist() == [0.0, 0.5, 7.0, 0.0]
    assert tt.relu(tt.tensor(a, device=device)).cpu().tolist() == [0.0, 0.5, 7.0, 0.0]
    leaf = tt.tensor(a, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.relu(leaf, inplace=True)


@pytest.mark.parametrize("fn,kw,label", [(F.leaky_relu_, {"negative_slope": -0.5}, "leakyReLu"),
                                          (F.elu_, {"alpha": -1.0}, "elu")], ids=["leaky_relu_", "elu_"])
def test_inplace_negative_slope_backward_error(device, fn, kw, label):
    x = tt.tensor([1.0, -1.0], device=device, requires_grad=True)
    y = fn(x * 1, **kw)
    with pytest.raises(RuntimeError, match=f"In-place {label} backward calculation is triggered with a negative"):
        y.sum().backward()


def test_integer_inputs(device):
    a = np.array([-3, 0, 2, 9], dtype=np.int64)
    x = tt.tensor(a, device=device)
    assert F.relu(x).dtype is tt.int64 and F.relu(x).cpu().tolist() == [0, 0, 2, 9]
    assert F.relu6(x).cpu().tolist() == TF.relu6(torch.tensor(a)).tolist()
    assert F.hardtanh(x, -1.5, 1.5).cpu().tolist() == TF.hardtanh(torch.tensor(a), -1.5, 1.5).tolist()
    u = tt.tensor(np.array([0, 3, 200], dtype=np.uint8), device=device)
    assert F.relu6(u).cpu().tolist() == [0, 3, 6]
    big = tt.tensor(np.array([2**62 + 1, -5]), device=device)
    assert F.relu(big).cpu().tolist() == [2**62 + 1, 0]
    s = F.softsign(x)
    assert s.dtype is tt.float32
    np.testing.assert_allclose(s.cpu().numpy(), TF.softsign(torch.tensor(a)).numpy(), rtol=1e-6)


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_glu(device, dim):
    a = np.random.default_rng(7).uniform(-3, 3, (4, 6, 2)).astype(np.float32)
    x, xt = _pair(a, device)
    y, yt = F.glu(x, dim), TF.glu(xt, dim)
    np.testing.assert_allclose(_np(y), _torch_np(yt), rtol=1e-6, atol=1e-7)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(_np(x.grad), _torch_np(xt.grad), rtol=1e-6, atol=1e-7)


def test_sigmoid_tanh_are_pointwise_ops():
    assert F.sigmoid is tt.sigmoid and F.tanh is tt.tanh


def test_errors(device):
    x = tt.tensor([1.0, -1.0, 2.0], device=device)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        F.gelu(x, approximate="fast")
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 3"):
        F.glu(tt.zeros(2, 3, device=device), 1)
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 0 is size 3"):
        F.glu(x)
    with pytest.raises(RuntimeError, match="glu does not support scalars"):
        F.glu(tt.tensor(1.0, device=device))
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(x, 2.0, 1.0)
    ints = tt.tensor([1, -2], device=device)
    for fn, kernel in [(F.leaky_relu, "leaky_relu_cpu"), (F.elu, "elu_cpu"), (F.gelu, "GeluKernelImpl"),
                       (F.silu, "silu_cpu"), (F.mish, "mish_cpu"), (F.softplus, "softplus_cpu"),
                       (F.glu, "glu_cpu")]:
        with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Long\''):
            fn(ints)
    b = tt.tensor([True, False], device=device)
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        F.relu(b)
    with pytest.raises(RuntimeError, match="Bool inputs not supported for hardtanh"):
        F.relu6(b)
    with pytest.raises(TypeError, match="must be Tensor"):
        F.silu([1.0, 2.0])


@pytest.mark.parametrize("name,kw", [("elu", {"alpha": 0.7}), ("gelu", {}), ("gelu", {"approximate": "tanh"}),
                                     ("silu", {}), ("mish", {}), ("softplus", {"beta": 1.5, "threshold": 2.0}),
                                     ("softsign", {}), ("leaky_relu", {"negative_slope": 0.3}), ("hardtanh", {})],
                         ids=["elu", "gelu", "gelu_tanh", "silu", "mish", "softplus", "softsign", "leaky_relu",
                              "hardtanh"])
def test_gradgradcheck(name, kw):
    a = np.random.default_rng(8).uniform(-2.5, 2.5, (2, 5))
    a = a[np.abs(np.abs(a) - 1.0) > 1e-3].reshape(-1)  # away from the kinks
    x = tt.tensor(a, dtype=tt.float64, requires_grad=True)
    fn = getattr(F, name)
    assert tt.autograd.gradcheck(lambda t: fn(t, **kw), (x,))
    assert tt.autograd.gradgradcheck(lambda t: fn(t, **kw), (x,))


def test_double_backward_matches_torch(device):
    a = np.random.default_rng(9).uniform(-3, 3, 10)
    for name, kw in [("gelu", {}), ("mish", {}), ("silu", {}), ("gelu", {"approximate": "tanh"})]:
        x = tt.tensor(a, device=device, requires_grad=True)
        xt = torch.tensor(a, requires_grad=True)
        (g,) = tt.autograd.grad(getattr(F, name)(x, **kw).sum(), x, create_graph=True)
        (gt,) = torch.autograd.grad(getattr(TF, name)(xt, **kw).sum(), xt, create_graph=True)
        (gg,) = tt.autograd.grad(g.sum(), x)
        (ggt,) = torch.autograd.grad(gt.sum(), xt)
        np.testing.assert_allclose(gg.cpu().numpy(), ggt.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


# ---- selu, celu, hardsigmoid, hardswish, logsigmoid, shrinks, threshold, softmin, rrelu, prelu -----
_EDGE2 = np.array(_EDGE + [3.0, -3.0, 0.5, -0.5, 0.25, -0.25, 0.7, -0.7, 90.0, -90.0], dtype=np.float32)
NEW_CASES = [
    ("selu", {}), ("celu", {}), ("celu", {"alpha": 0.5}), ("celu", {"alpha": -1.5}), ("hardsigmoid", {}),
    ("hardswish", {}), ("logsigmoid", {}), ("tanhshrink", {}), ("softshrink", {}), ("softshrink", {"lambd": 1.0}),
    ("softshrink", {"lambd": 0.0}), ("hardshrink", {}), ("hardshrink", {"lambd": 2.0}), ("hardshrink", {"lambd": -1.0}),
    ("threshold", {"threshold": 0.5, "value": -2.0}), ("threshold", {"threshold": -1.0, "value": 7.0}),
    ("softmin", {"dim": 0}), ("rrelu", {}), ("rrelu", {"lower": 0.1, "upper": 0.3}),
]


@pytest.mark.parametrize("name,kw", NEW_CASES, ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"
                                                   for n, kw in NEW_CASES])
def test_new_activations_match_torch(device, name, kw):
    x, xt = _pair(_EDGE2, device)
    g = np.random.default_rng(12).uniform(0.5, 1.5, _EDGE2.shape).astype(np.float32)
    y = getattr(F, name)(x, **kw)
    yt = getattr(TF, name)(xt, **kw)
    np.testing.assert_allclose(_np(y), _torch_np(yt), rtol=2e-6, atol=1e-6, equal_nan=True)
    (gx,) = tt.autograd.grad(y, x, tt.tensor(g, device=device))
    (gxt,) = torch.autograd.grad(yt, xt, torch.tensor(g))
    fin = ~np.isnan(_EDGE2)  # PyTorch's cpu gradient at NaN depends on its code path (see test_matches_torch)
    np.testing.assert_allclose(_np(gx)[fin], _torch_np(gxt)[fin], rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("name,kw", [("selu", {}), ("celu", {"alpha": 0.7}), ("hardsigmoid", {}), ("hardswish", {}),
                                     ("logsigmoid", {}), ("tanhshrink", {}), ("softshrink", {}),
                                     ("hardshrink", {}), ("threshold", {"threshold": 0.1, "value": 3.0})],
                         ids=["selu", "celu", "hardsigmoid", "hardswish", "logsigmoid", "tanhshrink", "softshrink",
                              "hardshrink", "threshold"])
def test_new_activations_float64_and_double_backward(device, name, kw):
    a = np.random.default_rng(13).uniform(-4, 4, 12)
    a = a[np.min(np.abs(np.abs(a)[:, None] - np.array([3.0, 0.5, 0.1])), axis=1) > 1e-2]  # off the kinks
    x = tt.tensor(a, device=device, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    y, yt = getattr(F, name)(x, **kw), getattr(TF, name)(xt, **kw)
    np.testing.assert_allclose(y.detach().cpu().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    (g,) = tt.autograd.grad(y.sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(yt.sum(), xt, create_graph=True)
    # celu: PyTorch's backward rounds 1 / alpha through float32 (derivatives.yaml: 1.0 / alpha.toFloat())
    # hardsigmoid: PyTorch's 1/6 is a float32 literal (1.0f / 6.0f) even for float64
    rtol = 1e-6 if name in ("celu", "hardsigmoid") else 1e-12
    np.testing.assert_allclose(g.detach().cpu().numpy(), gt.detach().numpy(), rtol=rtol, atol=1e-14)
    if name == "hardsigmoid":  # PyTorch has no derivative for hardsigmoid_backward; it is 0 a.e.
        assert not tt.autograd.grad((g * g).sum(), x)[0].cpu().numpy().any()
    elif gt.requires_grad:
        (gg,) = tt.autograd.grad((g * g).sum(), x)
        (ggt,) = torch.autograd.grad((gt * gt).sum(), xt)
        np.testing.assert_allclose(gg.cpu().numpy(), ggt.numpy(), rtol=rtol, atol=1e-12)


def test_new_activations_gradgradcheck():
    a = np.array([-2.2, -0.9, -0.2, 0.35, 1.1, 2.6, 3.4, -3.7])
    for fn, kw in [(F.selu, {}), (F.celu, {"alpha": 0.6}), (F.hardswish, {}), (F.logsigmoid, {}),
                   (F.tanhshrink, {}), (F.softshrink, {"lambd": 0.3})]:
        x = tt.tensor(a, dtype=tt.float64, requires_grad=True)
        assert tt.autograd.gradcheck(lambda t: fn(t, **kw), (x,))
        assert tt.autograd.gradgradcheck(lambda t: fn(t, **kw), (x,))


def test_new_activations_half_types(device):
    a = np.random.default_rng(14).uniform(-5, 5, 24).astype(np.float32)
    for name, kw in [("selu", {}), ("celu", {}), ("hardsigmoid", {}), ("hardswish", {}), ("logsigmoid", {}),
                     ("tanhshrink", {}), ("softshrink", {}), ("hardshrink", {}), ("threshold", {"threshold": 0.2,
                                                                                                "value": 1.0})]:
        for dtype, tdtype in [(tt.bfloat16, torch.bfloat16), (tt.float16, torch.float16)]:
            x, xt = _pair(a, device, dtype, tdtype)
            y, yt = getattr(F, name)(x, **kw), getattr(TF, name)(xt, **kw)
            assert y.dtype is dtype
            np.testing.assert_allclose(_np(y), _torch_np(yt), rtol=1e-2, atol=1e-2, err_msg=name)
            (gx,) = tt.autograd.grad(y.sum(), x)
            (gxt,) = torch.autograd.grad(yt.sum(), xt)
            np.testing.assert_allclose(_np(gx), _torch_np(gxt), rtol=2e-2, atol=2e-2, err_msg=name)


NEW_INPLACE = [("selu_", {}, "selu"), ("celu_", {"alpha": 0.7}, "celu"),
               ("threshold_", {"threshold": 0.3, "value": -1.0}, "threshold"), ("rrelu_", {}, "rrelu")]


@pytest.mark.parametrize("name,kw,base", NEW_INPLACE, ids=[c[0] for c in NEW_INPLACE])
def test_new_inplace_variants(device, name, kw, base):
    test_inplace_variants(device, name, kw, base)


def test_inplace_hard_activations(device):
    a = np.array([-4.0, -3.0, -1.0, 0.5, 2.0, 3.0, 7.0], dtype=np.float32)
    for fn in (F.hardsigmoid, F.hardswish, F.selu, F.celu):
        x = tt.tensor(a, device=device)
        assert fn(x, inplace=True) is x
        np.testing.assert_allclose(x.cpu().numpy(), getattr(TF, fn.__name__)(torch.tensor(a)).numpy(), rtol=1e-6)
        x, xt = _pair(a, device)
        h, ht = x * 2.0, xt * 2.0
        assert fn(h, inplace=True) is h
        getattr(TF, fn.__name__)(ht, inplace=True)
        h.sum().backward()
        ht.sum().backward()
        np.testing.assert_allclose(_np(x.grad), _torch_np(xt.grad), rtol=1e-6, atol=1e-7)
    x = tt.tensor(a, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="In-place elu backward calculation is triggered with a negative"):
        F.celu_(x * 1, alpha=-1.0).sum().backward()


def test_threshold_integer(device):
    a = np.array([-3, 0, 1, 2, 9], dtype=np.int64)
    x = tt.tensor(a, device=device)
    y = F.threshold(x, 1.5, 7.9)
    assert y.dtype is tt.int64
    assert y.cpu().tolist() == TF.threshold(torch.tensor(a), 1.5, 7.9).tolist() == [7, 7, 7, 2, 9]
    t = F.tanhshrink(x)
    assert t.dtype is tt.float32
    np.testing.assert_allclose(t.cpu().numpy(), TF.tanhshrink(torch.tensor(a)).numpy(), rtol=1e-6)


def test_softmin(device):
    a = np.random.default_rng(15).uniform(-3, 3, (2, 3, 4)).astype(np.float32)
    x, xt = _pair(a, device)
    for dim in (0, 1, -1):
        y, yt = F.softmin(x, dim), TF.softmin(xt, dim)
        np.testing.assert_allclose(_np(y), _torch_np(yt), rtol=1e-6, atol=1e-7)
        g = np.random.default_rng(dim + 3).uniform(-1, 1, a.shape).astype(np.float32)
        (gx,) = tt.autograd.grad(y, x, tt.tensor(g, device=device))
        (gxt,) = torch.autograd.grad(yt, xt, torch.tensor(g))
        np.testing.assert_allclose(_np(gx), _torch_np(gxt), rtol=1e-5, atol=1e-6)
    y = F.softmin(x, 1, dtype=tt.float64)
    assert y.dtype is tt.float64
    np.testing.assert_allclose(y.detach().cpu().numpy(), TF.softmin(xt.double(), 1).detach().numpy(), rtol=1e-6)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin has been deprecated"):
        y = F.softmin(x)
    np.testing.assert_allclose(_np(y), _torch_np(TF.softmin(xt, 0)), rtol=1e-6, atol=1e-7)  # 3-d: dim 0


def test_rrelu_training_is_random_within_bounds(device):
    rng = np.random.default_rng(16)
    a = np.concatenate([rng.uniform(-3, -0.1, 4000), rng.uniform(0.1, 3, 1000)]).astype(np.float32)
    lo, hi = 0.1, 0.4
    x = tt.tensor(a, device=device, requires_grad=True)
    y = F.rrelu(x, lo, hi, training=True)
    out = y.detach().cpu().numpy()
    neg = a < 0
    np.testing.assert_array_equal(out[~neg], a[~neg])
    slope = out[neg] / a[neg]
    assert slope.min() >= lo - 1e-6 and slope.max() <= hi + 1e-6
    # U(0.1, 0.4): mean 0.25, sd 0.0866; 4000 draws put the sample mean within 0.01 with overwhelming probability
    assert abs(slope.mean() - 0.25) < 0.01 and abs(slope.std() - 0.3 / np.sqrt(12)) < 0.01
    assert len(np.unique(np.round(slope, 6))) > 3000
    (gx,) = tt.autograd.grad(y.sum(), x)
    g = gx.cpu().numpy()
    np.testing.assert_array_equal(g[~neg], 1.0)
    np.testing.assert_allclose(g[neg], slope, rtol=1e-5)
    # a second draw differs; eval mode is deterministic: the mean slope
    assert not np.array_equal(F.rrelu(x, lo, hi, training=True).detach().cpu().numpy(), out)
    np.testing.assert_allclose(F.rrelu(x, lo, hi).detach().cpu().numpy(), np.where(neg, a * 0.25, a), rtol=1e-6)
    z = tt.tensor(a.copy(), device=device)
    assert F.rrelu_(z, lo, hi, training=True) is z
    zs = z.cpu().numpy()[neg] / a[neg]
    assert zs.min() >= lo - 1e-6 and zs.max() <= hi + 1e-6 and zs.std() > 0.05


@pytest.mark.parametrize("shape,wshape", [((2, 3, 4), (3,)), ((2, 3, 4), (1,)), ((5,), (1,)), ((4, 3), (3,)),
                                          ((2, 3, 2, 2), (3,)), ((), (1,)), ((2, 3), ())],
                         ids=["3d-channel", "3d-shared", "1d", "2d-channel", "4d", "0d", "0d-weight"])
def test_prelu(device, shape, wshape):
    rng = np.random.default_rng(17)
    a = rng.uniform(-2, 2, shape)
    a.flat[:1] = 0.0
    w = rng.uniform(-0.5, 0.8, wshape)
    g = rng.uniform(-1, 1, shape)
    x = tt.tensor(a, device=device, requires_grad=True)
    wt_ = tt.tensor(w, device=device, requires_grad=True)
    xt, wt = torch.tensor(a, requires_grad=True), torch.tensor(w, requires_grad=True)
    y, yt = F.prelu(x, wt_), TF.prelu(xt, wt)
    np.testing.assert_allclose(y.detach().cpu().numpy(), yt.detach().numpy(), rtol=1e-12)
    gx, gw = tt.autograd.grad(y, (x, wt_), tt.tensor(g, device=device), create_graph=True)
    gxt, gwt = torch.autograd.grad(yt, (xt, wt), torch.tensor(g), create_graph=True)
    np.testing.assert_allclose(gx.detach().cpu().numpy(), gxt.detach().numpy(), rtol=1e-12)
    assert tuple(gw.shape) == tuple(gwt.shape)
    np.testing.assert_allclose(gw.detach().cpu().numpy(), gwt.detach().numpy(), rtol=1e-12, atol=1e-14)
    # double backward through both gradients (PyTorch's _prelu_kernel_backward derivatives)
    d, dt_ = tt.autograd.grad((gx * gx).sum() + (gw * gw).sum(), (x, wt_))
    d_t, dt_t = torch.autograd.grad((gxt * gxt).sum() + (gwt * gwt).sum(), (xt, wt))
    np.testing.assert_allclose(d.cpu().numpy(), d_t.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dt_.cpu().numpy(), dt_t.numpy(), rtol=1e-12, atol=1e-14)


def test_prelu_float32_and_gradcheck(device):
    a = np.random.default_rng(18).uniform(-2, 2, (2, 4, 3)).astype(np.float32)
    w = np.array([0.25, -0.1, 0.5, 1.5], np.float32)
    y = F.prelu(tt.tensor(a, device=device), tt.tensor(w, device=device))
    assert y.dtype is tt.float32
    np.testing.assert_allclose(y.cpu().numpy(), TF.prelu(torch.tensor(a), torch.tensor(w)).numpy(), rtol=1e-6)
    x = tt.tensor(a.astype(np.float64), requires_grad=True)
    wt = tt.tensor(w.astype(np.float64), requires_grad=True)
    assert tt.autograd.gradcheck(F.prelu, (x, wt))
    assert tt.autograd.gradgradcheck(F.prelu, (x, wt))


def test_new_activation_errors(device):
    x = tt.tensor([1.0, -1.0, 2.0], device=device)
    ints = tt.tensor([1, -2], device=device)
    bools = tt.tensor([True, False], device=device)
    for fn, kernel in [(F.selu, "elu_cpu"), (F.celu, "elu_cpu"), (F.hardsigmoid, "hardsigmoid_cpu"),
                       (F.hardswish, "hardswish_cpu"), (F.logsigmoid, "log_sigmoid_cpu"),
                       (F.softshrink, "softshrink_check"), (F.hardshrink, "hardshrink_cpu"),
                       (F.rrelu, "leaky_relu_cpu")]:
        with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Long\''):
            fn(ints)
        with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Bool\''):
            fn(bools)
    with pytest.raises(NotImplementedError, match="\"threshold_cpu\" not implemented for 'Bool'"):
        F.threshold(bools, 0.5, 1.0)
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor is not supported"):
        F.tanhshrink(bools)
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor is not supported"):
        F.softmin(bools, 0)
    with pytest.raises(RuntimeError, match=r"lambda must be in range \[0, 3.40282e\+38\] for input dtype Float, "
                                           r"but found -1"):
        F.softshrink(x, -1.0)
    with pytest.raises(RuntimeError, match=r"lambda must be in range \[0, 65504\] for input dtype Half, but found -0.5"):
        F.softshrink(x.half(), -0.5)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: alpha cannot be 0 for CELU"):
        F.celu(x, 0.0)
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
        F.rrelu(x, 0.5, 0.2)
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
        F.rrelu(x, 0.5, 0.2, training=True)
    x3 = tt.zeros(2, 3, 4, device=device)
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size. Found parameter "
                                           "numbers = 2 and channel size = 3."):
        F.prelu(x3, tt.ones(2, device=device))
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size. Found parameter "
                                           "numbers = 3 and channel size = 1."):
        F.prelu(tt.zeros(3, device=device), tt.ones(3, device=device))
    with pytest.raises(RuntimeError, match="prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2"):
        F.prelu(x3, tt.ones(1, 3, device=device))
    with pytest.raises(RuntimeError, match="prelu: Type promoting not supported. Got Float and Double"):
        F.prelu(x3, tt.ones(3, dtype=tt.float64, device=device))
    with pytest.raises(RuntimeError, match="Not allow zero-dim input tensor."):
        F.prelu(tt.tensor(1.0, device=device), tt.ones(3, device=device))
    with pytest.raises(NotImplementedError, match="\"prelu_cpu\" not implemented for 'Long'"):
        F.prelu(ints, tt.tensor([1], device=device))
    with pytest.raises(TypeError, match="must be Tensor"):
        F.prelu(x, 0.25)
