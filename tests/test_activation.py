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
