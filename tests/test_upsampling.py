"""F.interpolate vs PyTorch (CPU) on both devices: nearest / nearest-exact / linear / bilinear /
trilinear / bicubic / area, sizes up and down, scale factors (1.5, 0.5, 2, per-dim, recompute_scale_factor),
align_corners both ways, non-contiguous inputs, dtypes, input gradients on identical inputs, node
names, double backward, and PyTorch's errors."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tritorch as tt
import tritorch.nn.functional as F

TT = {tt.float16: torch.float16, tt.bfloat16: torch.bfloat16, tt.float32: torch.float32, tt.float64: torch.float64,
      tt.uint8: torch.uint8}
TOL = {tt.float16: 2e-3, tt.bfloat16: 1.6e-2, tt.float32: 2e-6, tt.float64: 1e-12}

CASES = [  # (input shape, kwargs)
    ((2, 3, 5), {"scale_factor": 2}),
    ((1, 2, 7), {"scale_factor": 1.5}),
    ((1, 2, 7), {"scale_factor": 0.5, "mode": "nearest-exact"}),
    ((1, 2, 9), {"size": 4, "mode": "linear"}),
    ((1, 2, 5), {"scale_factor": 2.5, "mode": "linear", "align_corners": True}),
    ((1, 2, 4, 5), {"size": (3, 8)}),
    ((1, 2, 4, 5), {"scale_factor": (1.5, 0.5), "mode": "nearest-exact"}),
    ((2, 2, 4, 5), {"scale_factor": 2, "mode": "bilinear"}),
    ((1, 2, 5, 4), {"scale_factor": 1.5, "mode": "bilinear", "align_corners": True}),
    ((1, 2, 6, 5), {"scale_factor": 0.5, "mode": "bilinear"}),
    ((1, 2, 5, 6), {"scale_factor": (0.7, 1.3), "mode": "bilinear", "recompute_scale_factor": True}),
    ((1, 2, 4, 4), {"size": (4, 7), "mode": "bilinear"}),
    ((1, 2, 3, 4, 2), {"scale_factor": (2, 0.5, 1.5), "mode": "nearest"}),
    ((1, 1, 2, 3, 4), {"size": (3, 5, 2), "mode": "trilinear"}),
    ((1, 1, 3, 2, 3), {"scale_factor": 1.5, "mode": "trilinear", "align_corners": True}),
    ((1, 1, 3, 2, 3), {"size": (2, 4, 3), "mode": "nearest-exact"}),
    ((2, 2, 4, 5), {"scale_factor": 2, "mode": "bicubic"}),
    ((1, 2, 5, 4), {"scale_factor": 1.5, "mode": "bicubic", "align_corners": True}),
    ((1, 2, 7, 6), {"scale_factor": (0.6, 1.7), "mode": "bicubic"}),
    ((1, 2, 7, 6), {"scale_factor": (0.6, 1.7), "mode": "bicubic", "recompute_scale_factor": True}),
    ((1, 2, 3, 4), {"size": (3, 9), "mode": "bicubic"}),
    ((1, 2, 4, 4), {"size": (1, 1), "mode": "bicubic", "align_corners": True}),
    ((1, 2, 9), {"size": 4, "mode": "area"}),
    ((1, 2, 7, 6), {"scale_factor": 0.5, "mode": "area"}),
    ((1, 2, 3, 5), {"size": (5, 2), "mode": "area"}),
    ((1, 1, 4, 3, 5), {"scale_factor": (0.5, 1.5, 0.6), "mode": "area"}),
]


def _np(t):
    return t.detach().cpu().to(tt.float64).numpy() if isinstance(t, tt.Tensor) else t.detach().double().numpy()


def _check(x, device, dtype=tt.float64, view=None, grad=True, **kw):
    a = tt.tensor(x, dtype=dtype, device=device)
    b = torch.tensor(x, dtype=TT[dtype])
    if view is not None:
        a, b = view(a), view(b)
    if grad:
        a.requires_grad_(True)
        b.requires_grad_(True)
    y = F.interpolate(a, **kw)
    yt = TF.interpolate(b, **kw)
    assert tuple(y.shape) == tuple(yt.shape) and y.dtype is dtype and y.device.type == device
    tol = TOL.get(dtype, 0)
    np.testing.assert_allclose(_np(y), _np(yt), rtol=tol, atol=tol)
    if grad:
        g = np.random.default_rng(1).standard_normal(tuple(yt.shape))
        y.backward(tt.tensor(g, dtype=dtype, device=device))
        yt.backward(torch.tensor(g, dtype=TT[dtype]))
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=tol, atol=tol * 8)
    return y


@pytest.mark.parametrize("shape,kw", CASES, ids=[f"{len(c[0]) - 2}d-{i}" for i, c in enumerate(CASES)])
def test_matches_torch(shape, kw, device):
    x = np.random.default_rng(0).standard_normal(shape)
    _check(x, device, **kw)


def test_noncontiguous_input(device):
    x = np.random.default_rng(2).standard_normal((2, 3, 5, 6))
    _check(x, device, view=lambda t: t.transpose(2, 3), scale_factor=1.5, mode="bilinear")
    _check(x, device, view=lambda t: t.transpose(2, 3)[:, ::2], scale_factor=1.7, mode="bicubic")
    _check(x, device, view=lambda t: t[:, 1:, ::2], size=(7, 2), mode="nearest")


@pytest.mark.parametrize("dtype", [tt.float32, tt.float16, tt.bfloat16], ids=str)
def test_float_dtypes(dtype, device):
    x = np.random.default_rng(3).standard_normal((1, 2, 3, 4))
    _check(x, device, dtype, scale_factor=2, mode="bilinear")
    _check(x, device, dtype, scale_factor=1.5, mode="nearest", grad=False)
    _check(x, device, dtype, scale_factor=1.5, mode="bicubic", grad=dtype is tt.float32)
    _check(x, device, dtype, size=(2, 3), mode="area")


def test_uint8_nearest_and_empty_batch(device):
    x = np.random.default_rng(4).integers(0, 255, (1, 2, 3, 4))
    _check(x, device, tt.uint8, grad=False, scale_factor=1.7)
    _check(np.zeros((0, 2, 3)), device, size=5, mode="linear")


def test_nearest_scale_factor_rule():
    """The legacy nearest rule uses the given scale factor (not in/out) when not recomputed."""
    x = np.arange(10.0).reshape(1, 1, 10)
    for sf, rec in ((0.35, None), (0.35, True), (1.7, False)):
        _check(x, "cpu", grad=False, scale_factor=sf, recompute_scale_factor=rec)


@pytest.mark.parametrize("mode,shape,name", [("nearest", (1, 2, 3), "UpsampleNearest1DBackward0"),
                                             ("nearest-exact", (1, 1, 2, 3), "UpsampleNearestExact2DBackward0"),
                                             ("linear", (1, 2, 3), "UpsampleLinear1DBackward0"),
                                             ("bilinear", (1, 1, 2, 3), "UpsampleBilinear2DBackward0"),
                                             ("trilinear", (1, 1, 2, 2, 3), "UpsampleTrilinear3DBackward0"),
                                             ("bicubic", (1, 2, 3, 3), "UpsampleBicubic2DBackward0")])
def test_node_names_and_double_backward(mode, shape, name):
    x = tt.tensor(np.random.default_rng(5).standard_normal(shape), requires_grad=True)

    def f(t):
        return F.interpolate(t, scale_factor=1.5, mode=mode)
    y = f(x)
    assert y.grad_fn.name() == name
    assert tt.autograd.gradcheck(f, (x,))
    assert tt.autograd.gradgradcheck(f, (x,))
    (g,) = tt.autograd.grad(y, x, tt.ones_like(y).requires_grad_(True), create_graph=True)
    assert g.grad_fn.name() == name.replace("Backward0", "BackwardBackward0")


@pytest.mark.parametrize("shape,kw", [
    ((1, 2, 5), {"size": 3, "scale_factor": 2}),
    ((1, 2, 5), {}),
    ((1, 2, 5), {"scale_factor": 2, "align_corners": True}),
    ((1, 2, 5), {"scale_factor": 2, "mode": "nearest-exact", "align_corners": False}),
    ((1, 2, 5, 6), {"scale_factor": 2, "mode": "linear"}),
    ((1, 2, 5), {"scale_factor": 2, "mode": "bilinear"}),
    ((1, 2, 5, 6), {"scale_factor": 2, "mode": "trilinear"}),
    ((1, 2, 5), {"scale_factor": 2, "mode": "linear", "antialias": True}),
    ((1, 2, 5, 6), {"scale_factor": (2, 3, 4), "mode": "bilinear"}),
    ((1, 2, 5, 6), {"size": (2, 3, 4), "mode": "bilinear"}),
    ((1, 2, 5, 6), {"size": (2, 0), "mode": "bilinear"}),
    ((1, 2, 5, 6), {"size": [3, 4.5], "mode": "bilinear"}),
    ((1, 2, 5, 6), {"size": 3, "recompute_scale_factor": True}),
    ((2, 3), {"size": 3}),
    ((1, 2, 5), {"scale_factor": 2, "mode": "foo"}),
    ((1, 2, 3), {"size": 0}),
    ((1, 0, 3), {"size": 5}),
    ((1, 2, 5), {"scale_factor": 2, "mode": "bicubic"}),
    ((1, 2, 3, 4, 5), {"scale_factor": 2, "mode": "bicubic"}),
    ((1, 2, 3, 4), {"size": (0, 2), "mode": "bicubic"}),
    ((1, 0, 3, 4), {"size": (2, 2), "mode": "bicubic"}),
    ((1, 2, 3, 4), {"scale_factor": 2, "mode": "area", "align_corners": False}),
    ((1, 2, 3, 4), {"size": (2, 2), "mode": "area", "recompute_scale_factor": True}),
])
def test_errors_match_torch(shape, kw, device):
    x = np.zeros(shape)
    with pytest.raises(Exception) as et:
        TF.interpolate(torch.tensor(x), **kw)
    with pytest.raises(type(et.value)) as e:
        F.interpolate(tt.tensor(x, device=device), **kw)
    assert str(et.value) in str(e.value), (str(et.value), str(e.value))  # PyTorch's message, maybe prefixed


@pytest.mark.parametrize("kw", [{"mode": "bilinear", "antialias": True}, {"mode": "bicubic", "antialias": True}])
def test_unsupported_modes_raise(kw):
    with pytest.raises(NotImplementedError, match="not implemented in tritorch"):
        F.interpolate(tt.zeros((1, 1, 4, 4)), scale_factor=2, **kw)


def test_bicubic_overshoots_and_matches_cubic_convolution():
    """A step edge overshoots (A = -0.75), and 2x upsampling's taps are the closed-form weights."""
    x = np.zeros((1, 1, 1, 4))
    x[..., 2:] = 1
    y = F.interpolate(tt.tensor(x), size=(1, 8), mode="bicubic").numpy()[0, 0, 0]
    assert y.min() < 0 and y.max() > 1
    a = -0.75

    def near(d):
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    # output 3 sits at src 0.5 * 3.5 - 0.5 = 1.25: taps 0..3 at distances 1.25, 0.25, 0.75, 1.75
    np.testing.assert_allclose(y[3], near(0.75) + far(1.75), rtol=1e-12)
    np.testing.assert_allclose(far(1.25) + near(0.25) + near(0.75) + far(1.75), 1, rtol=1e-12)

def test_area_is_adaptive_avg_pool(device):
    x = tt.tensor(np.arange(24.0).reshape(1, 1, 4, 6), device=device)
    np.testing.assert_allclose(F.interpolate(x, size=(2, 3), mode="area").cpu().numpy(),
                               F.adaptive_avg_pool2d(x, (2, 3)).cpu().numpy())
    assert F.interpolate(x.requires_grad_(True), size=(2, 3), mode="area").grad_fn.name() == \
        "AdaptiveAvgPool2DBackward0"


def test_integer_input_error():
    with pytest.raises(NotImplementedError, match="\"compute_indices_weights_linear\" not implemented for 'Byte'"):
        F.interpolate(tt.zeros((1, 1, 4), dtype=tt.uint8), size=3, mode="linear")
    with pytest.raises(NotImplementedError, match="\"compute_indices_weights_nearest\" not implemented for 'Long'"):
        F.interpolate(tt.zeros((1, 1, 4), dtype=tt.int64), size=3)
    with pytest.raises(NotImplementedError, match="bicubic interpolation of 'Byte' input is not implemented"):
        F.interpolate(tt.zeros((1, 1, 4, 4), dtype=tt.uint8), size=3, mode="bicubic")
    with pytest.raises(NotImplementedError, match="\"adaptive_avg_pool2d\" not implemented for 'Byte'"):
        F.interpolate(tt.zeros((1, 1, 4, 4), dtype=tt.uint8), size=3, mode="area")


def test_deprecated_aliases_warn_and_match():
    x = np.random.default_rng(6).standard_normal((1, 1, 3, 4))
    a, b = tt.tensor(x), torch.tensor(x)
    for name, kw in (("upsample", {"mode": "bilinear"}), ("upsample_nearest", {}), ("upsample_bilinear", {})):
        with pytest.warns(UserWarning, match=f"`nn.functional.{name}` is deprecated"):
            y = getattr(F, name)(a, scale_factor=2, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yt = getattr(TF, name)(b, scale_factor=2, **kw)
        np.testing.assert_allclose(_np(y), _np(yt), rtol=1e-12, atol=1e-12)
