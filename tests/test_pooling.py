"""Pooling vs PyTorch (CPU) on both devices: values, indices and input gradients on identical inputs
for max / avg / adaptive pools in 1-3 dims (ceil_mode, padding, dilation, stride != kernel,
overlapping windows, odd sizes, unbatched and non-contiguous inputs, half types), NaN / -inf
windows, bad-input errors, double backward."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tritorch as tt
import tritorch.nn.functional as F

TT = {tt.float16: torch.float16, tt.bfloat16: torch.bfloat16, tt.float32: torch.float32, tt.float64: torch.float64}
TOL = {tt.float16: 2e-3, tt.bfloat16: 1.6e-2, tt.float32: 1e-6, tt.float64: 1e-12}


def _np(t):
    return t.detach().cpu().to(tt.float64).numpy() if isinstance(t, tt.Tensor) else t.detach().double().numpy()


def _check(name, x, device, *args, dtype=tt.float32, view=None, **kw):
    """``F.name`` on tritorch (``device``) and torch with identical inputs: outputs (and indices) and
    input gradients for a random upstream gradient."""
    x = np.asarray(x, dtype=np.float64)
    a = tt.tensor(x, dtype=dtype, device=device)
    b = torch.tensor(x, dtype=TT[dtype])
    if view is not None:
        a, b = view(a), view(b)
    a.requires_grad_(True)
    b.requires_grad_(True)
    r = getattr(F, name)(a, *args, **kw)
    rt = getattr(TF, name)(b, *args, **kw)
    if isinstance(rt, tuple):
        (r, ri), (rt, rti) = r, rt
        assert ri.dtype is tt.int64 and ri.device.type == device
        np.testing.assert_array_equal(ri.cpu().numpy(), rti.numpy())
    assert tuple(r.shape) == tuple(rt.shape) and r.dtype is dtype and r.device.type == device
    tol = TOL[dtype]
    np.testing.assert_allclose(_np(r), _np(rt), rtol=tol, atol=tol, equal_nan=True)
    g = np.random.default_rng(1).standard_normal(tuple(rt.shape))
    (r * tt.tensor(g, dtype=dtype, device=device)).sum().backward()
    (rt * torch.tensor(g, dtype=TT[dtype])).sum().backward()
    assert a.grad.dtype is dtype
    np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=tol, atol=tol * 4)
    return r


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


MAX_CASES = [
    ("max_pool2d", (2, 2, 9, 8), (3,), {"stride": 2, "padding": 1}),                      # overlapping, ResNet stem
    ("max_pool2d", (1, 2, 7, 9), ((2, 3),), {"stride": (1, 2), "padding": (1, 1), "dilation": (2, 1),
                                            "ceil_mode": True}),
    ("max_pool2d", (2, 5, 5), (2,), {"ceil_mode": True}),                                 # unbatched, odd
    ("max_pool1d", (2, 3, 11), (4,), {"stride": 3, "padding": 2, "ceil_mode": True}),
    ("max_pool1d", (3, 10), (3,), {"stride": 1, "dilation": 3}),                          # unbatched
    ("max_pool3d", (1, 2, 5, 6, 5), (2,), {"stride": 1, "padding": 1, "dilation": 2, "ceil_mode": True}),
    ("max_pool3d", (1, 1, 4, 5, 7), ((1, 2, 3),), {"stride": (2, 1, 2)}),
]


@pytest.mark.parametrize("name,shape,args,kw", MAX_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(MAX_CASES)])
def test_max_pool_matches_torch(name, shape, args, kw, device):
    _check(name, _x(shape), device, *args, return_indices=True, **kw)


AVG_CASES = [
    ("avg_pool2d", (2, 2, 9, 8), (3,), {"stride": 2, "padding": 1}),
    ("avg_pool2d", (1, 2, 7, 8), (3,), {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}),
    ("avg_pool2d", (1, 2, 7, 8), ((3, 2),), {"stride": (2, 3), "padding": (1, 1), "ceil_mode": True}),
    ("avg_pool2d", (2, 6, 5), (3,), {"stride": 1, "padding": 1, "divisor_override": 7}),  # unbatched
    ("avg_pool1d", (2, 3, 11), (4,), {"stride": 3, "padding": 2, "ceil_mode": True, "count_include_pad": False}),
    ("avg_pool1d", (3, 10), (3,), {}),
    ("avg_pool3d", (1, 2, 5, 6, 5), (3,), {"stride": 2, "padding": 1, "ceil_mode": True}),
    ("avg_pool3d", (1, 1, 4, 5, 7), ((1, 2, 3),), {"stride": (2, 1, 2), "divisor_override": 2}),
]


@pytest.mark.parametrize("name,shape,args,kw", AVG_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(AVG_CASES)])
def test_avg_pool_matches_torch(name, shape, args, kw, device):
    _check(name, _x(shape), device, *args, **kw)


ADAPTIVE_CASES = [
    ("2d", (2, 2, 9, 7), (4, 3)), ("2d", (1, 2, 3, 5), (7, 4)), ("2d", (2, 5, 6), (None, 4)),
    ("2d", (1, 3, 7, 7), 1), ("1d", (2, 3, 10), 4), ("1d", (3, 5), (8,)), ("3d", (1, 2, 5, 4, 6), (2, 3, None)),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("D,shape,size", ADAPTIVE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ADAPTIVE_CASES)])
def test_adaptive_matches_torch(kind, D, shape, size, device):
    kw = {"return_indices": True} if kind == "max" else {}
    _check(f"adaptive_{kind}_pool{D}", _x(shape), device, size, **kw)


def test_nan_and_inf_windows(device):
    """NaN propagates (torch's CPU rule: the last NaN of a window gives the index); windows of all
    -inf return -inf and the first tap's index; -inf next to finite values loses."""
    x = _x((1, 2, 6, 7))
    x[0, 0, 1, 1] = x[0, 0, 1, 2] = x[0, 0, 4, 4] = np.nan
    x[0, 1, :3, :3] = -np.inf
    x[0, 1, 4, :] = np.inf
    for kw in ({"stride": 2, "padding": 1}, {"stride": 1, "dilation": 2, "ceil_mode": True}):
        _check("max_pool2d", x, device, 3, return_indices=True, **kw)
    a, b = tt.tensor(x, device=device), torch.tensor(x)
    for size in ((3, 3), (2, 5)):
        v, i = F.adaptive_max_pool2d(a, size, return_indices=True)
        vt, it = TF.adaptive_max_pool2d(b, size, return_indices=True)
        np.testing.assert_array_equal(i.cpu().numpy(), it.numpy())
        np.testing.assert_allclose(_np(v), vt.numpy(), equal_nan=True)
    y = F.avg_pool2d(a, 2)
    np.testing.assert_allclose(_np(y), TF.avg_pool2d(b, 2).numpy(), equal_nan=True)


@pytest.mark.parametrize("D", [1, 2, 3])
def test_max_pool_ties_take_the_first_tap(device, D):
    """Integer-valued inputs tie often: the index is the window's first maximal tap, as in torch."""
    x = np.random.default_rng(3).integers(0, 3, (2, 3) + (7,) * D).astype(np.float64)
    _check(f"max_pool{D}d", x, device, 3, stride=2, padding=1, return_indices=True)
    _check(f"max_pool{D}d", x, device, 2, return_indices=True)


def test_noncontiguous_inputs(device):
    x = _x((2, 3, 8, 10))
    perm = lambda t: t.permute(0, 1, 3, 2)  # noqa: E731  (transposed spatial dims)
    sl = lambda t: t[:, ::2, 1::2, 1:]  # noqa: E731  (sliced: strided, offset)
    cl = lambda t: t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)  # noqa: E731  (channels last)
    _check("max_pool2d", x, device, 3, stride=2, padding=1, return_indices=True, view=perm)
    _check("max_pool2d", x, device, 3, stride=2, padding=1, return_indices=True, view=cl)
    _check("avg_pool2d", x, device, 3, stride=2, padding=1, view=sl)
    _check("adaptive_max_pool2d", x, device, (3, 2), return_indices=True, view=sl)


@pytest.mark.parametrize("dtype", [tt.float16, tt.bfloat16], ids=str)
def test_dtypes(dtype, device):
    x = _x((1, 2, 7, 6))
    _check("max_pool2d", x, device, 3, stride=2, padding=1, return_indices=True, dtype=dtype)
    _check("avg_pool2d", x, device, 3, stride=2, padding=1, ceil_mode=True, dtype=dtype)
    _check("adaptive_avg_pool2d", x, device, (4, 3), dtype=dtype)
    _check("adaptive_max_pool2d", x, device, (4, 3), return_indices=True, dtype=dtype)


def test_empty_and_api(device):
    a = tt.zeros((0, 2, 4, 4), device=device, requires_grad=True)
    y, i = F.max_pool2d(a, 2, return_indices=True)
    assert tuple(y.shape) == (0, 2, 2, 2) and tuple(i.shape) == (0, 2, 2, 2)
    y.sum().backward()
    assert tuple(a.grad.shape) == (0, 2, 4, 4)
    b = tt.ones((1, 2, 4, 4), device=device, requires_grad=True)
    z = F.adaptive_avg_pool2d(b, (0, 3))
    assert tuple(z.shape) == (1, 2, 0, 3)
    z.sum().backward()
    assert float(b.grad.abs().sum()) == 0.0
    x = _x((2, 3, 9))
    t = tt.tensor(x, device=device)
    v, i = F.max_pool1d_with_indices(t, 3)
    vt, it = TF.max_pool1d_with_indices(torch.tensor(x), 3)
    np.testing.assert_array_equal(i.cpu().numpy(), it.numpy())
    np.testing.assert_allclose(_np(tt.max_pool1d(t, 3)), vt.numpy())
    np.testing.assert_allclose(_np(tt.max_pool2d(t, 2, [])), torch.max_pool2d(torch.tensor(x), 2, []).numpy())
    np.testing.assert_allclose(_np(tt.avg_pool1d(t, 2)), torch.avg_pool1d(torch.tensor(x), 2).numpy())
    np.testing.assert_allclose(_np(tt.adaptive_avg_pool1d(t, 4)), torch.adaptive_avg_pool1d(torch.tensor(x), 4).numpy())
    v, i = tt.adaptive_max_pool1d(t, 4)   # torch's top-level version always returns the indices
    np.testing.assert_array_equal(i.cpu().numpy(), torch.adaptive_max_pool1d(torch.tensor(x), 4)[1].numpy())
    assert isinstance(F.adaptive_max_pool1d(t, 4), tt.Tensor)
    assert F.max_pool2d(tt.ones((1, 1, 4, 4), device=device, requires_grad=True), 2).grad_fn.name() == \
        "MaxPool2DWithIndicesBackward0"
    assert F.avg_pool3d(tt.ones((1, 1, 2, 2, 2), device=device, requires_grad=True), 2).grad_fn.name() == \
        "AvgPool3DBackward0"


ERRORS = [
    (lambda x: F.max_pool2d(x, 3, padding=2), RuntimeError, "pad should be at most half of effective kernel size, "
     "but got pad=2, kernel_size=3 and dilation=1"),
    (lambda x: F.avg_pool2d(x, 2, padding=2), RuntimeError, "pad should be at most half"),
    (lambda x: F.max_pool2d(x, 2, padding=-1), RuntimeError, "pad must be non-negative, but got pad: -1"),
    (lambda x: F.max_pool2d(x, 7), RuntimeError, r"Given input size: \(3x5x6\). Calculated output size: \(3x0x0\). "
     "Output size is too small"),
    (lambda x: F.avg_pool2d(x, 7), RuntimeError, "Output size is too small"),
    (lambda x: F.max_pool2d(x, 0, 1), RuntimeError, "kernel size should be greater than zero, but got kH: 0 kW: 0"),
    (lambda x: F.max_pool2d(x, 2, 0), RuntimeError, "stride should not be zero"),
    (lambda x: F.max_pool2d(x, 2, dilation=0), RuntimeError, "dilation should be greater than zero"),
    (lambda x: F.max_pool2d(x, (2, 2, 2)), RuntimeError, "kernel_size must either be a single int, or a tuple of two"),
    (lambda x: F.max_pool2d(x, 2, stride=(1, 2, 3)), RuntimeError, "stride must either be omitted"),
    (lambda x: F.max_pool2d(x, 2.5), TypeError, "kernel_size.*must be tuple of ints"),
    (lambda x: F.max_pool3d(x[0, 0], 2), RuntimeError, "non-empty 4D or 5D"),
    (lambda x: F.max_pool1d(x[0, 0, 0], 2), RuntimeError, "2D or 3D"),
    (lambda x: F.max_pool2d(x[:, :0], 2), RuntimeError, "optional 0 dim batch size"),
    (lambda x: F.max_pool2d(x.to(tt.int64), 2), NotImplementedError, "max_pool2d.*Long"),
    (lambda x: F.avg_pool2d(x, 2, divisor_override=0), RuntimeError, "divisor must be not zero"),
    (lambda x: F.adaptive_avg_pool2d(x, (3,) * 3), RuntimeError, "adaptive_avg_pool2d: output_size must be 2"),
    (lambda x: F.adaptive_avg_pool2d(x[0, 0], 2), RuntimeError, r"Expected 3D or 4D tensor, but got \[5, 6\]"),
    (lambda x: F.adaptive_max_pool2d(x[:, :, :0], 2), RuntimeError, "non-zero size for non-batch dimensions"),
    (lambda x: F.adaptive_avg_pool2d(x, (-1, 2)), RuntimeError, "greater than or equal to 0"),
    (lambda x: F.max_pool2d([1.0], 2), TypeError, "must be Tensor"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i, device):
    fn, cls, msg = ERRORS[i]
    x = tt.ones((2, 3, 5, 6), device=device)
    with pytest.raises(cls, match=msg):
        fn(x)


@pytest.mark.parametrize("fn", [
    lambda x: F.max_pool2d(x, 3, stride=2, padding=1),
    lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    lambda x: F.adaptive_max_pool2d(x, (2, 3)),
    lambda x: F.adaptive_avg_pool1d(x.flatten(2), 4),
], ids=["max", "avg", "adaptive_max", "adaptive_avg"])
def test_double_backward(fn):
    """The fused backward ops are differentiable: gradgradcheck in float64 on cpu."""
    x = tt.tensor(_x((1, 2, 5, 4)), requires_grad=True)
    assert tt.autograd.gradgradcheck(fn, (x,))


def test_double_backward_matches_torch(device):
    """The gradient of <grad_x, v> w.r.t. the upstream gradient (max: gather at the indices; avg: the
    pool itself) equals torch's."""
    fns = [lambda F, t: F.max_pool2d(t, 3, 2, 1), lambda F, t: F.avg_pool2d(t, 3, 2, 1, True),
           lambda F, t: F.adaptive_max_pool2d(t, (4, 2)), lambda F, t: F.adaptive_avg_pool2d(t, (4, 2))]
    x, v = _x((1, 2, 6, 5)), _x((1, 2, 6, 5), 3)
    for fn in fns:
        res = []
        for lib, mod, kw in ((tt, F, {"device": device}), (torch, TF, {})):
            a = lib.tensor(x, **kw).requires_grad_(True)
            y = fn(mod, a)
            g = lib.ones(tuple(y.shape), dtype=lib.float64, **kw).requires_grad_(True)
            gx, = lib.autograd.grad(y, a, g, create_graph=True)
            gg, = lib.autograd.grad((gx * lib.tensor(v, **kw)).sum(), g)
            res.append(_np(gg))
        np.testing.assert_allclose(res[0], res[1], rtol=1e-12, atol=1e-12)
