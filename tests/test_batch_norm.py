"""batch_norm / group_norm / instance_norm against torch CPU on both devices: outputs, input /
weight / bias gradients, running-stat values after the call, 2-D..5-D inputs, train and eval,
with and without affine / running stats, groups=1 and groups=C, half dtypes, strided inputs,
errors, double backward."""
import numpy as np
import pytest
import torch

import tritorch as tt
import tritorch.nn.functional as F

TT2TORCH = {tt.float16: torch.float16, tt.bfloat16: torch.bfloat16, tt.float32: torch.float32,
            tt.float64: torch.float64}
TOL = {tt.float16: 2e-2, tt.bfloat16: 6e-2, tt.float32: 1e-4, tt.float64: 1e-10}


def _np(t):
    return (t.detach().float() if isinstance(t, torch.Tensor) else t.detach().cpu().float()).numpy()


def _close(a, b, dtype):
    a, b = _np(a), _np(b)
    np.testing.assert_allclose(a, b, rtol=TOL[dtype], atol=TOL[dtype] * max(1.0, np.abs(b).max(initial=0)))


def _bn_both(lib, device, x, w, b, rm, rv, g, dtype, pdtype, training, momentum, transpose=False):
    if lib is torch:
        mk = lambda a, d: torch.tensor(a, dtype=TT2TORCH[d])  # noqa: E731
        f = torch.nn.functional
    else:
        mk = lambda a, d: tt.tensor(a, dtype=d, device=device)  # noqa: E731
        f = F
    xt = mk(x, dtype)
    if transpose:
        xt = xt.transpose(0, -1)
    xt.requires_grad_(True)
    wt = mk(w, pdtype).requires_grad_(True) if w is not None else None
    bt = mk(b, pdtype).requires_grad_(True) if b is not None else None
    rmt = mk(rm, pdtype) if rm is not None else None
    rvt = mk(rv, pdtype) if rv is not None else None
    y = f.batch_norm(xt, rmt, rvt, wt, bt, training=training, momentum=momentum, eps=1e-5)
    ins = [t for t in (xt, wt, bt) if t is not None]
    gs = lib.autograd.grad(y, ins, mk(g, dtype))
    return [y, *gs] + [t for t in (rmt, rvt) if t is not None]


BN_CASES = [  # (shape, affine, running, training)
    ((6, 3), True, True, True),
    ((4, 3, 5), True, True, True),
    ((2, 4, 3, 3), False, True, True),
    ((2, 3, 2, 2, 3), True, False, True),
    ((3, 4, 5), True, True, False),
    ((2, 3, 2, 2), False, True, False),
]


@pytest.mark.parametrize("case", BN_CASES, ids=lambda c: f"{len(c[0])}d-{'aff' if c[1] else 'noaff'}-"
                         f"{'run' if c[2] else 'norun'}-{'train' if c[3] else 'eval'}")
def test_batch_norm_matches_torch(case, device):
    shape, affine, running, training = case
    rng = np.random.default_rng(len(shape))
    c = shape[1]
    x = rng.uniform(-3, 3, shape) + 2.0
    w, b = (rng.uniform(-2, 2, c), rng.uniform(-2, 2, c)) if affine else (None, None)
    rm, rv = (rng.uniform(-1, 1, c), rng.uniform(0.5, 2, c)) if running else (None, None)
    g = rng.standard_normal(shape)
    for dt in ((tt.float32,) if training else (tt.float64,)):
        ours = _bn_both(tt, device, x, w, b, rm, rv, g, dt, dt, training, 0.3)
        ref = _bn_both(torch, device, x, w, b, rm, rv, g, dt, dt, training, 0.3)
        assert len(ours) == len(ref)
        for o, r in zip(ours, ref):
            _close(o, r, dt)


@pytest.mark.parametrize("dtype", [tt.float16, tt.bfloat16], ids=lambda d: d.name)
@pytest.mark.parametrize("pfloat", [False, True], ids=["same-params", "fp32-params"])
def test_batch_norm_half(dtype, pfloat, device):
    rng = np.random.default_rng(2)
    x, g = rng.uniform(-2, 2, (4, 3, 5)), rng.standard_normal((4, 3, 5))
    w, b, rm, rv = rng.uniform(-2, 2, 3), rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3), rng.uniform(0.5, 2, 3)
    pd = tt.float32 if pfloat else dtype
    ours = _bn_both(tt, device, x, w, b, rm, rv, g, dtype, pd, True, 0.1)
    ref = _bn_both(torch, device, x, w, b, rm, rv, g, dtype, pd, True, 0.1)
    for o, r in zip(ours, ref):
        assert o.dtype is (dtype if o.dtype.is_floating_point and o.dtype is not tt.float32 else o.dtype)
        _close(o, r, dtype)


def test_batch_norm_strided_input(device):
    rng = np.random.default_rng(3)
    x, g = rng.standard_normal((5, 3, 4)), rng.standard_normal((4, 3, 5))
    w, b, rm, rv = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3), rng.uniform(1, 2, 3)
    ours = _bn_both(tt, device, x, w, b, rm, rv, g, tt.float32, tt.float32, True, 0.1, transpose=True)
    ref = _bn_both(torch, device, x, w, b, rm, rv, g, tt.float32, tt.float32, True, 0.1, transpose=True)
    for o, r in zip(ours, ref):
        _close(o, r, tt.float32)


def test_batch_norm_large_mean_and_running_stat_views(device):
    """Shifted sums keep the variance exact for a large mean; running stats may be strided views."""
    x = np.array([[1e4 + 1, 1e4 + 2], [1e4 + 3, 1e4 + 4]], np.float32)
    buf = tt.zeros(4, device=device)
    rm, rv = buf[0::2], tt.ones(4, device=device)[1::2]
    y = F.batch_norm(tt.tensor(x, device=device), rm, rv, training=True, momentum=0.5)
    # exact: per channel values {1, 3} around 1e4 + 2 (torch's fp32 kernel is off by 3e-4 here)
    exp = np.array([[-1, -1], [1, 1]]) / np.sqrt(1 + 1e-5)
    np.testing.assert_allclose(y.cpu().numpy(), exp, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(rm.cpu().numpy(), [0.5 * (1e4 + 2), 0.5 * (1e4 + 3)], rtol=1e-6)
    np.testing.assert_allclose(rv.cpu().numpy(), [0.5 + 0.5 * 2, 0.5 + 0.5 * 2], rtol=1e-6)
    np.testing.assert_array_equal(buf.cpu().numpy()[1::2], [0, 0])


def _gn_both(lib, device, x, groups, w, b, g, dtype):
    if lib is torch:
        mk = lambda a: torch.tensor(a, dtype=TT2TORCH[dtype])  # noqa: E731
        f = torch.nn.functional
    else:
        mk = lambda a: tt.tensor(a, dtype=dtype, device=device)  # noqa: E731
        f = F
    xt = mk(x).requires_grad_(True)
    wt = mk(w).requires_grad_(True) if w is not None else None
    bt = mk(b).requires_grad_(True) if b is not None else None
    y = f.group_norm(xt, groups, wt, bt, eps=1e-5)
    ins = [t for t in (xt, wt, bt) if t is not None]
    return [y, *lib.autograd.grad(y, ins, mk(g))]


GN_CASES = [((2, 6, 5), 3, True), ((3, 4), 1, True), ((2, 4, 3, 2), 4, False), ((1, 6, 2, 2, 2), 2, True)]


@pytest.mark.parametrize("dtype", [tt.float32, tt.bfloat16], ids=lambda d: d.name)
@pytest.mark.parametrize("case", GN_CASES, ids=lambda c: f"{len(c[0])}d-g{c[1]}")
def test_group_norm_matches_torch(case, dtype, device):
    shape, groups, affine = case
    rng = np.random.default_rng(shape[1])
    x, g = rng.uniform(-3, 3, shape) + 1.0, rng.standard_normal(shape)
    c = shape[1]
    w, b = (rng.uniform(-2, 2, c), rng.uniform(-2, 2, c)) if affine else (None, None)
    ours = _gn_both(tt, device, x, groups, w, b, g, dtype)
    for o, r in zip(ours, _gn_both(torch, device, x, groups, w, b, g, dtype)):
        _close(o, r, dtype)


def test_instance_norm(device):
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal(3), rng.standard_normal(3)
    y = F.instance_norm(tt.tensor(x, device=device), weight=tt.tensor(w, device=device),
                        bias=tt.tensor(b, device=device))
    ty = torch.nn.functional.instance_norm(torch.tensor(x), weight=torch.tensor(w), bias=torch.tensor(b))
    _close(y, ty, tt.float64)
    rm, rv = tt.zeros(3, dtype=tt.float64, device=device), tt.ones(3, dtype=tt.float64, device=device)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    y = F.instance_norm(tt.tensor(x, device=device), rm, rv, momentum=0.2)
    ty = torch.nn.functional.instance_norm(torch.tensor(x), trm, trv, momentum=0.2)
    for o, r in ((y, ty), (rm, trm), (rv, trv)):
        _close(o, r, tt.float64)


def test_exports_and_nodes():
    x = tt.ones(2, 3, requires_grad=True)
    assert F.batch_norm(x, None, None, training=True).grad_fn.name() == "NativeBatchNormBackward0"
    assert F.group_norm(x, 3).grad_fn.name() == "NativeGroupNormBackward0"


def test_errors(device):
    x = tt.zeros(4, 3, device=device)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size"):
        F.batch_norm(tt.zeros(1, 3, device=device), None, None, training=True)
    with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
        F.batch_norm(x, None, None)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(x, tt.zeros(4, device=device), tt.ones(4, device=device))
    with pytest.raises(RuntimeError, match="weight should contain 3 elements not 2"):
        F.batch_norm(x, None, None, tt.ones(2, device=device), training=True)
    with pytest.raises(TypeError, match="momentum"):
        F.batch_norm(x, None, None, training=True, momentum=None)
    with pytest.raises(RuntimeError, match=r"Expected number of channels in input to be divisible by num_groups, "
                                           r"but got input of shape \[4, 3\] and num_groups=2"):
        F.group_norm(x, 2)
    with pytest.raises(RuntimeError, match=r"Expected weight to be a vector of size equal to the number of channels"):
        F.group_norm(x, 3, tt.ones(4, device=device))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        F.group_norm(tt.zeros(4, device=device), 2)
    with pytest.raises(RuntimeError, match="floating point"):
        F.batch_norm(tt.zeros(4, 3, dtype=tt.int64, device=device), None, None, training=True)


def test_gradgradcheck():
    rng = np.random.default_rng(5)
    x = tt.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    w = tt.tensor(rng.standard_normal(2), requires_grad=True)
    b = tt.tensor(rng.standard_normal(2), requires_grad=True)
    rm, rv = tt.tensor(rng.standard_normal(2)), tt.tensor(rng.uniform(1, 2, 2))
    assert tt.autograd.gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    assert tt.autograd.gradgradcheck(lambda x, w: F.batch_norm(x, rm, rv, w, training=False), (x, w))
    x4 = tt.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
    w4 = tt.tensor(rng.standard_normal(4), requires_grad=True)
    assert tt.autograd.gradgradcheck(lambda x, w: F.group_norm(x, 2, w), (x4, w4))


def test_double_backward_cuda_matches_cpu(device):
    rng = np.random.default_rng(9)
    xs, ws = rng.standard_normal((3, 2, 4)), rng.standard_normal(2)
    res = []
    for dev in ("cpu", device):
        x = tt.tensor(xs, device=dev, requires_grad=True)
        w = tt.tensor(ws, device=dev, requires_grad=True)
        y = F.batch_norm(x, None, None, w, training=True) + F.group_norm(x, 2, w)
        gx, = tt.autograd.grad(y.pow(2).sum(), [x], create_graph=True)
        res.append([t.detach().cpu().numpy() for t in tt.autograd.grad(gx.sum(), [x, w])])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


def test_noncollapsible_spatial_dims(device):
    """Transposed spatial dims don't collapse to one strided run: the kernels read a contiguous copy."""
    rng = np.random.default_rng(6)
    a, w = rng.standard_normal((2, 4, 3, 5)), rng.standard_normal(4)
    for lib in (tt, torch):
        x = (tt.tensor(a, device=device) if lib is tt else torch.tensor(a)).transpose(2, 3).requires_grad_(True)
        wt = tt.tensor(w, device=device) if lib is tt else torch.tensor(w)
        f = F if lib is tt else torch.nn.functional
        y = f.batch_norm(x, None, None, wt, training=True) * 2 + f.group_norm(x, 2, wt)
        gx, = lib.autograd.grad(y.pow(2).sum(), [x])
        if lib is tt:
            ours = (y.detach().cpu().numpy(), gx.cpu().numpy())
        else:
            for o, r in zip(ours, (y.detach().numpy(), gx.numpy())):
                np.testing.assert_allclose(o, r, rtol=1e-10, atol=1e-10)
