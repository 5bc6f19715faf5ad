"""F.grid_sample and F.affine_grid vs PyTorch (CPU) on both devices: every mode x padding mode x
align_corners, values and gradients for input, grid and theta on identical inputs, dtypes,
non-contiguous and empty tensors, node names, the align_corners=None warning and PyTorch's errors."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tritorch as tt
import tritorch.nn.functional as F

TT = {tt.float16: torch.float16, tt.bfloat16: torch.bfloat16, tt.float32: torch.float32, tt.float64: torch.float64}
TOL = {tt.float16: 4e-3, tt.bfloat16: 3e-2, tt.float32: 1e-5, tt.float64: 1e-12}
MODES = ("bilinear", "nearest", "bicubic")
PADS = ("zeros", "border", "reflection")


def _np(t):
    return t.detach().cpu().to(tt.float64).numpy() if isinstance(t, tt.Tensor) else t.detach().double().numpy()


def _pair(a, device, dtype=tt.float64, grad=True):
    """The same values in tritorch and torch.  Half types: torch's CPU kernel computes coordinates in
    half precision, tritorch in float32 (rounding once), so torch gets the rounded values in float32."""
    x = tt.tensor(a, dtype=dtype, device=device, requires_grad=grad)
    if dtype in (tt.float16, tt.bfloat16):
        return x, torch.tensor(_np(x), dtype=torch.float32)
    y = torch.tensor(a, dtype=TT[dtype], requires_grad=grad)
    return x, y


def _check(x, g, device, dtype=tt.float64, view=None, grad=True, **kw):
    """grid_sample on (x, g) in tritorch and torch: outputs, then input and grid gradients."""
    a, b = _pair(x, device, dtype, grad)
    ga, gb = _pair(g, device, dtype, grad)
    va, vb, wa, wb = a, b, ga, gb
    if view is not None:
        va, vb = view(a), view(b)
    y = F.grid_sample(va, wa, **kw)
    yt = TF.grid_sample(vb, wb, **kw)
    assert tuple(y.shape) == tuple(yt.shape) and y.dtype is dtype and y.device.type == device
    yt = yt.to(TT[dtype])
    tol = TOL[dtype]
    np.testing.assert_allclose(_np(y), _np(yt), rtol=tol, atol=tol)
    if grad:
        go = np.random.default_rng(1).standard_normal(tuple(yt.shape))
        y.backward(tt.tensor(go, dtype=dtype, device=device))
        yt.backward(torch.tensor(go, dtype=TT[dtype]))
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=tol, atol=tol * 8)
        np.testing.assert_allclose(_np(ga.grad), _np(gb.grad), rtol=tol, atol=tol * 8)


def _grid(shape, seed=0, lim=1.25):
    return np.random.default_rng(seed).uniform(-lim, lim, shape)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("pad", PADS)
@pytest.mark.parametrize("mode", MODES)
def test_matches_torch(mode, pad, align, device):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    _check(x, _grid((2, 3, 4, 2)), device, mode=mode, padding_mode=pad, align_corners=align)


def test_far_outside_and_exact_pixel_centres(device):
    """Points far outside (several reflections) and exactly on pixel centres / the nearest ties."""
    x = np.random.default_rng(2).standard_normal((1, 2, 3, 4))
    g = _grid((1, 3, 3, 2), seed=3, lim=4.0)
    for pad in PADS:
        _check(x, g, device, mode="bilinear", padding_mode=pad, align_corners=False)
        _check(x, g, device, mode="bicubic", padding_mode=pad, align_corners=True)
    # align_corners=True: x = -1 + 2k/3 hits column k; nearest rounds the half-way points to even
    cols = np.array([-1, -1 / 3, 1 / 3, 1, -2 / 3, 0])
    g = np.stack(np.meshgrid(cols, np.array([-1.0, 0.0, 1.0])), -1)[None]
    _check(x, g, device, grad=False, mode="nearest", padding_mode="zeros", align_corners=True)
    _check(x, g, device, grad=False, mode="bilinear", padding_mode="zeros", align_corners=True)


def test_identity_grid_reproduces_input(device):
    x = np.random.default_rng(4).standard_normal((2, 3, 4, 5))
    theta = tt.tensor(np.tile(np.eye(2, 3), (2, 1, 1)), device=device)
    grid = F.affine_grid(theta, (2, 3, 4, 5), align_corners=False)
    for mode in MODES:
        y = F.grid_sample(tt.tensor(x, device=device), grid, mode=mode, align_corners=False)
        np.testing.assert_allclose(y.cpu().numpy(), x, rtol=1e-12, atol=1e-12)


def test_noncontiguous_and_empty(device):
    x = np.random.default_rng(5).standard_normal((2, 3, 5, 4))
    g = _grid((2, 4, 3, 2))
    _check(x, g, device, view=lambda t: t.transpose(2, 3), mode="bilinear", padding_mode="border",
           align_corners=False)
    _check(x, g, device, view=lambda t: t[:, ::2], mode="bicubic", padding_mode="zeros", align_corners=False)
    for xs, gs in (((0, 2, 3, 4), (0, 2, 2, 2)), ((1, 0, 3, 4), (1, 2, 2, 2)), ((1, 2, 3, 4), (1, 0, 2, 2))):
        _check(np.ones(xs), np.zeros(gs), device, align_corners=False)


@pytest.mark.parametrize("dtype", [tt.float32, tt.float16, tt.bfloat16], ids=str)
def test_float_dtypes(dtype, device):
    x = np.random.default_rng(6).standard_normal((1, 2, 3, 4))
    g = _grid((1, 3, 2, 2), seed=7)
    _check(x, g, device, dtype, grad=dtype is tt.float32, mode="bilinear", padding_mode="reflection",
           align_corners=False)
    _check(x, g, device, dtype, grad=False, mode="bicubic", padding_mode="border", align_corners=True)


@pytest.mark.parametrize("mode", MODES)
def test_gradcheck_and_node_name(mode):
    x = tt.tensor(np.random.default_rng(8).standard_normal((1, 2, 3, 4)), requires_grad=True)
    g = tt.tensor(_grid((1, 2, 3, 2), seed=9), requires_grad=True)

    def f(a, b):
        return F.grid_sample(a, b, mode=mode, padding_mode="reflection", align_corners=True)
    assert f(x, g).grad_fn.name() == "GridSampler2DBackward0"
    assert tt.autograd.gradcheck(f, (x, g))
    (gi,) = tt.autograd.grad(f(x, g).sum(), x, create_graph=True)
    assert gi.grad_fn.name() == "GridSampler2DBackwardBackward0"
    with pytest.raises(NotImplementedError, match="double backward of grid_sample"):
        gi.sum().backward()


def test_grad_only_for_grid(device):
    x = tt.tensor(np.random.default_rng(10).standard_normal((1, 2, 3, 4)), device=device)
    g = tt.tensor(_grid((1, 2, 2, 2)), device=device, requires_grad=True)
    F.grid_sample(x, g, align_corners=False).sum().backward()
    xt = torch.tensor(x.cpu().numpy())
    gt = torch.tensor(g.detach().cpu().numpy(), requires_grad=True)
    TF.grid_sample(xt, gt, align_corners=False).sum().backward()
    np.testing.assert_allclose(g.grad.cpu().numpy(), gt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_align_corners_none_warns_and_means_false():
    x = tt.tensor(np.random.default_rng(11).standard_normal((1, 1, 3, 4)))
    g = tt.tensor(_grid((1, 2, 2, 2)))
    theta = tt.tensor(np.random.default_rng(12).standard_normal((1, 2, 3)))
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
        y = F.grid_sample(x, g)
    np.testing.assert_array_equal(y.numpy(), F.grid_sample(x, g, align_corners=False).numpy())
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
        a = F.affine_grid(theta, (1, 1, 3, 4))
    np.testing.assert_array_equal(a.numpy(), F.affine_grid(theta, (1, 1, 3, 4), align_corners=False).numpy())
    with pytest.warns(UserWarning, match="affine_grid behavior has changed for unit-size grids"):
        F.affine_grid(theta, (1, 1, 1, 4), align_corners=True)


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 1, 2, 3, 4), (1, 2, 1, 3, 2)])
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_matches_torch(size, align, device):
    k = len(size) - 2
    th = np.random.default_rng(13).standard_normal((size[0], k, k + 1))
    a, b = _pair(th, device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unit-size grids with align_corners=True warn (tested above)
        y = F.affine_grid(a, size, align_corners=align)
        yt = TF.affine_grid(b, size, align_corners=align)
    assert tuple(y.shape) == tuple(yt.shape)
    np.testing.assert_allclose(_np(y), _np(yt), rtol=1e-12, atol=1e-12)
    go = np.random.default_rng(14).standard_normal(tuple(yt.shape))
    y.backward(tt.tensor(go, device=device))
    yt.backward(torch.tensor(go))
    np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=1e-12, atol=1e-12)


def test_spatial_transformer_gradient(device):
    """affine_grid + grid_sample: the gradient w.r.t. theta flows through both."""
    x = np.random.default_rng(15).standard_normal((2, 3, 5, 6))
    th = np.array([[[0.9, 0.2, 0.1], [-0.1, 1.1, -0.2]], [[0.7, -0.3, 0.05], [0.25, 0.8, 0.1]]])
    a, b = _pair(th, device)
    xa, xb = _pair(x, device, grad=False)
    y = F.grid_sample(xa, F.affine_grid(a, (2, 3, 4, 4), align_corners=False), padding_mode="border",
                      align_corners=False)
    yt = TF.grid_sample(xb, TF.affine_grid(b, (2, 3, 4, 4), align_corners=False), padding_mode="border",
                        align_corners=False)
    np.testing.assert_allclose(_np(y), _np(yt), rtol=1e-12, atol=1e-12)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("xs,gs,kw", [
    ((1, 1, 3, 4), (2, 2, 2, 2), {}),
    ((1, 1, 3, 4), (1, 2, 2, 3), {}),
    ((1, 1, 0, 4), (1, 2, 2, 2), {}),
    ((1, 1, 3, 4), (1, 2, 2, 2, 3), {}),
    ((1, 1, 3, 4), (1, 2, 2), {}),
    ((1, 1, 3, 4), (1, 2, 2, 2, 2), {}),
    ((1, 3, 4), (1, 2, 1), {}),
    ((1, 1, 2, 3, 4), (1, 2, 2, 3), {}),
    ((1, 1, 2, 3, 4), (1, 2, 2, 2, 3), {"mode": "bicubic"}),
    ((1, 1, 3, 4), (1, 2, 2, 2), {"mode": "foo"}),
    ((1, 1, 3, 4), (1, 2, 2, 2), {"padding_mode": "foo"}),
])
def test_errors_match_torch(xs, gs, kw, device):
    kw = {"align_corners": False, **kw}
    with pytest.raises(Exception) as et:
        TF.grid_sample(torch.zeros(xs), torch.zeros(gs), **kw)
    with pytest.raises(type(et.value)) as e:
        F.grid_sample(tt.zeros(xs, device=device), tt.zeros(gs, device=device), **kw)
    assert str(et.value) in str(e.value), (str(et.value), str(e.value))


def test_dtype_errors_match_torch():
    for xd, gd in ((torch.float32, torch.float64), (torch.int64, torch.int64)):
        with pytest.raises(Exception) as et:
            TF.grid_sample(torch.zeros((1, 1, 3, 4), dtype=xd), torch.zeros((1, 2, 2, 2), dtype=gd),
                           align_corners=False)
        t = {torch.float32: tt.float32, torch.float64: tt.float64, torch.int64: tt.int64}
        with pytest.raises(type(et.value)) as e:
            F.grid_sample(tt.zeros((1, 1, 3, 4), dtype=t[xd]), tt.zeros((1, 2, 2, 2), dtype=t[gd]),
                          align_corners=False)
        assert str(et.value) in str(e.value), (str(et.value), str(e.value))


def test_mixed_devices_and_types(device):
    other = "cpu" if device != "cpu" else None
    if other is not None:
        with pytest.raises(RuntimeError, match="expected input and grid to be on same device, but input is on cuda"):
            F.grid_sample(tt.zeros((1, 1, 3, 4), device=device), tt.zeros((1, 2, 2, 2)), align_corners=False)
    with pytest.raises(TypeError, match="argument 'grid' must be Tensor, not list"):
        F.grid_sample(tt.zeros((1, 1, 3, 4), device=device), [0.0], align_corners=False)


def test_volumetric_input_not_implemented():
    with pytest.raises(NotImplementedError, match="5-D \\(volumetric\\) input is not implemented in tritorch"):
        F.grid_sample(tt.zeros((1, 1, 2, 3, 4)), tt.zeros((1, 2, 2, 2, 3)), align_corners=False)


@pytest.mark.parametrize("theta,size", [
    ((1, 2, 3), (1, 1, 3, 4, 5)),
    ((1, 3, 3), (1, 1, 3, 4)),
    ((1, 2, 3), (1, 1, 3)),
    ((1, 2, 3), (1, 1, 0, 3)),
    ((1, 3, 4), [1, 1, 2, 0, 3]),
])
def test_affine_grid_errors_match_torch(theta, size):
    with pytest.raises(Exception) as et:
        TF.affine_grid(torch.zeros(theta), size, align_corners=False)
    with pytest.raises(type(et.value)) as e:
        F.affine_grid(tt.zeros(theta), size, align_corners=False)
    assert str(et.value) == str(e.value)
    with pytest.raises(ValueError, match="Expected theta to have floating point type, but got torch.int64"):
        F.affine_grid(tt.zeros((1, 2, 3), dtype=tt.int64), (1, 1, 3, 4), align_corners=False)
