"""softmax / log_softmax vs PyTorch (CPU) on both devices: outputs and input gradients on identical
inputs, the long-row (two-pass) kernels, edge cases, dtype=, F's implicit dim, errors, double backward."""
import warnings

import numpy as np
import pytest
import torch

import tritorch as tt
import tritorch.nn.functional as F
import tritorch.kernels.softmax as K

OPS = ("softmax", "log_softmax")
TT = {tt.float16: torch.float16, tt.bfloat16: torch.bfloat16, tt.float32: torch.float32, tt.float64: torch.float64}
TOL = {tt.float16: 2e-3, tt.bfloat16: 1.6e-2, tt.float32: 2e-6, tt.float64: 1e-12}


def _np(t):
    return t.detach().cpu().to(tt.float64).numpy() if isinstance(t, tt.Tensor) else t.detach().double().numpy()


def _check(op, x, dim, device, xdt=tt.float32, transpose=False, g=None, tol=None, **kw):
    """Run ``op`` on tritorch (``device``) and torch with identical inputs; compare y and dx."""
    x = np.asarray(x, dtype=np.float64)
    g = np.random.default_rng(1).standard_normal(x.shape) if g is None else g
    a = tt.tensor(x, dtype=xdt, device=device)
    b = torch.tensor(x, dtype=TT[xdt])
    if transpose:
        a, b = a.transpose(0, -1), b.transpose(0, -1)
        g = g.transpose(*range(g.ndim)[::-1]) if g.ndim == 2 else np.swapaxes(g, 0, -1)
    a.requires_grad_(True)
    b.requires_grad_(True)
    y = getattr(tt, op)(a, dim, **kw)
    yt = getattr(torch, op)(b, dim, **{k: TT[v] for k, v in kw.items()})
    assert y.dtype is {v: k for k, v in TT.items()}[yt.dtype]
    assert y.device.type == device
    gt = torch.tensor(np.ascontiguousarray(g), dtype=yt.dtype)
    (y * tt.tensor(np.ascontiguousarray(g), dtype=y.dtype, device=device)).sum().backward()
    (yt * gt).sum().backward()
    tol = TOL[y.dtype] if tol is None else tol
    np.testing.assert_allclose(_np(y), _np(yt), rtol=tol, atol=tol, equal_nan=True)
    assert a.grad.dtype is xdt
    tol = max(tol, TOL[xdt])
    np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=tol, atol=tol * 10, equal_nan=True)
    return y, a.grad


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", [tt.float32, tt.float64, tt.float16, tt.bfloat16], ids=str)
def test_matches_torch_dims(op, dtype, device):
    x = np.random.default_rng(0).uniform(-4, 4, (3, 5, 7))
    for dim in (0, 1, -1):
        _check(op, x, dim, device, dtype)
    _check(op, x, 0, device, dtype, transpose=True)   # reduced dim strided, rows non-contiguous
    _check(op, x, -1, device, dtype, transpose=True)


@pytest.mark.parametrize("op", OPS)
def test_noncontiguous_slices_and_odd_sizes(op, device):
    x = np.random.default_rng(2).standard_normal((6, 13, 9))
    a = tt.tensor(x, device=device)[::2, 1::3, ::2]
    b = torch.tensor(x)[::2, 1::3, ::2]
    for dim in (0, 1, 2):
        np.testing.assert_allclose(_np(getattr(tt, op)(a, dim)), _np(getattr(torch, op)(b, dim)), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dim", [0, -1])
def test_two_pass_kernels(op, dim, device, monkeypatch):
    """Rows longer than ONE_PASS_MAX take the online two-pass forward and the two-pass backward;
    leading -inf tiles must not poison the running sum, all -inf rows give nan."""
    monkeypatch.setattr(K, "ONE_PASS_MAX", 4)
    x = np.random.default_rng(3).uniform(-5, 5, (5, 19))
    x[1, :9] = -np.inf
    x[2] = -np.inf
    x[3, 4] = 1e4
    x = x if dim == -1 else x.T.copy()
    _check(op, x, dim, device, tt.float32)
    _check(op, x, dim, device, tt.float64)
    _check(op, x, dim, device, tt.bfloat16)


@pytest.mark.parametrize("op", OPS)
def test_row_longer_than_on_chip_limit(op, device):
    n = K.ONE_PASS_MAX + 9
    x = np.random.default_rng(4).uniform(-3, 3, (2, n))
    _check(op, x, -1, device, tt.float32, tol=1e-6)


@pytest.mark.parametrize("op", OPS)
def test_large_logits_stable(op, device):
    x = np.array([[1e4, 0.0, -1e4, 1e4 - 1.0], [-1e4, -1e4 + 2.0, -1e4 - 3.0, -1e4], [1e30, 1e30, -1e30, 0.0]])
    for dt in (tt.float32, tt.float64):
        y, _ = _check(op, x, -1, device, dt)
        assert np.isfinite(_np(y)).all()
        y, _ = _check(op, x.T.copy(), 0, device, dt)


@pytest.mark.parametrize("op", OPS)
def test_all_neg_inf_rows_nan(op, device):
    x = np.array([[-np.inf, -np.inf, -np.inf], [0.0, -np.inf, 1.0], [np.nan, 0.0, 1.0]])
    y = getattr(tt, op)(tt.tensor(x, device=device), 1)
    yt = getattr(torch, op)(torch.tensor(x), 1)
    r = _np(y)
    assert np.isnan(r[0]).all() and np.isnan(r[2]).all()
    np.testing.assert_allclose(r, yt.numpy(), rtol=1e-12, atol=0, equal_nan=True)
    if op == "softmax":
        assert r[1, 1] == 0.0
    else:
        assert r[1, 1] == -np.inf


@pytest.mark.parametrize("op", OPS)
def test_dtype_argument(op, device):
    x = np.random.default_rng(5).standard_normal((4, 6))
    _check(op, x, 1, device, tt.float32, dtype=tt.float64)
    _check(op, x, 0, device, tt.float16, dtype=tt.float32)
    _check(op, x, 1, device, tt.float64, dtype=tt.bfloat16)
    a = tt.tensor(np.arange(6).reshape(2, 3), device=device)
    y = getattr(tt, op)(a, 1, dtype=tt.float32)
    yt = getattr(torch, op)(torch.arange(6).reshape(2, 3), 1, dtype=torch.float32)
    assert y.dtype is tt.float32
    np.testing.assert_allclose(_np(y), yt.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("op", OPS)
def test_int_input_raises(op, device):
    a = tt.tensor([[1, 2], [3, 4]], device=device)
    with pytest.raises(RuntimeError) as ours:
        getattr(tt, op)(a, -1)
    with pytest.raises(RuntimeError) as theirs:
        getattr(torch, op)(torch.tensor([[1, 2], [3, 4]]), -1)
    assert "not implemented for 'Long'" in str(theirs.value)
    assert op in str(ours.value) and "not implemented for 'Long'" in str(ours.value)
    assert "softmax_lastdim_kernel_impl" in str(ours.value)
    with pytest.raises(RuntimeError, match="not implemented for 'Int'"):
        getattr(tt, op)(a.to(tt.int32), 0)
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        getattr(tt, op)(tt.tensor([1.0], device=device), 0, dtype=tt.int64)


def test_bad_dim_and_args(device):
    a = tt.tensor(np.ones((2, 3)), device=device)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        tt.softmax(a, 2)
    with pytest.raises(TypeError, match="softmax.*must be Tensor"):
        tt.softmax([1.0, 2.0], 0)
    with pytest.raises(RuntimeError, match="softmax_backward: grad_output of shape \\[3, 2\\] must match"):
        tt._ops.softmax.softmax_backward(a.t().contiguous(), a, 1)


@pytest.mark.parametrize("op", OPS)
def test_methods_functional_0d_empty(op, device):
    x = np.random.default_rng(6).standard_normal((3, 4))
    a = tt.tensor(x, device=device)
    ref = getattr(torch, op)(torch.tensor(x), 1).numpy()
    np.testing.assert_allclose(_np(getattr(a, op)(1)), ref, rtol=1e-6)
    np.testing.assert_allclose(_np(getattr(a, op)(dim=1, dtype=tt.float64)), ref, rtol=1e-12)
    np.testing.assert_allclose(_np(getattr(F, op)(a, dim=1)), ref, rtol=1e-6)
    np.testing.assert_allclose(_np(getattr(F, op)(a, 1, 3, tt.float64)), ref, rtol=1e-12)
    z = getattr(tt, op)(tt.tensor(2.5, device=device, requires_grad=True), 0)
    assert z.shape == () and z.item() == (1.0 if op == "softmax" else 0.0)
    z.backward()
    e = getattr(tt, op)(tt.zeros(0, 3, device=device, requires_grad=True), 1)
    assert e.shape == (0, 3)
    e2 = getattr(tt, op)(tt.zeros(2, 0, device=device), 1)
    assert e2.shape == (2, 0)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("ndim", [0, 1, 2, 3, 4])
def test_functional_implicit_dim_warns(op, ndim, device):
    shape = (2, 3, 4, 5)[:ndim]
    x = np.random.default_rng(7).standard_normal(shape)
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {op} has been deprecated"):
        y = getattr(F, op)(tt.tensor(x, device=device))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yt = getattr(torch.nn.functional, op)(torch.tensor(x))
    np.testing.assert_allclose(_np(y), yt.numpy(), rtol=1e-12, atol=1e-12)


def test_grad_fn_names_and_fused_backward(device):
    a = tt.tensor(np.random.default_rng(8).standard_normal((2, 3)), device=device, requires_grad=True)
    assert type(tt.softmax(a, 1).grad_fn).__name__ == "SoftmaxBackward0"
    assert type(tt.log_softmax(a, 1).grad_fn).__name__ == "LogSoftmaxBackward0"


@pytest.mark.parametrize("op", OPS)
def test_gradgradcheck_cpu(op):
    fn = getattr(tt, op)
    x = tt.tensor(np.random.default_rng(9).standard_normal((3, 4)), dtype=tt.float64, requires_grad=True)
    for dim in (0, 1):
        assert tt.autograd.gradcheck(lambda t: fn(t, dim), (x,))
        assert tt.autograd.gradgradcheck(lambda t: fn(t, dim), (x,))
    x3 = tt.tensor(np.random.default_rng(10).standard_normal((2, 3, 2)), dtype=tt.float64, requires_grad=True)
    assert tt.autograd.gradgradcheck(lambda t: fn(t, 1), (x3,))


@pytest.mark.parametrize("op", OPS)
def test_double_backward_matches_torch(op, device):
    x = np.random.default_rng(11).standard_normal((3, 5))
    a = tt.tensor(x, device=device, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ga, = tt.autograd.grad((getattr(tt, op)(a, 1) ** 2).sum(), (a,), create_graph=True)
    gb, = torch.autograd.grad((getattr(torch, op)(b, 1) ** 2).sum(), (b,), create_graph=True)
    (ga * ga).sum().backward()
    (gb * gb).sum().backward()
    np.testing.assert_allclose(_np(ga), gb.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(a.grad), b.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op", OPS)
def test_many_unmergeable_dims(op, device):
    """Five strided row dims (more than the kernel unravels) and a strided reduced dim."""
    x = np.random.default_rng(12).standard_normal((4, 4, 4, 4, 4, 6))
    a = tt.tensor(x, device=device, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    sl = (slice(None, None, 2),) * 6
    y, yt = getattr(tt, op)(a[sl], 5), getattr(torch, op)(b[sl], 5)
    np.testing.assert_allclose(_np(y), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    y2, yt2 = getattr(tt, op)(a[sl], 2), getattr(torch, op)(b[sl], 2)
    np.testing.assert_allclose(_np(y2), yt2.detach().numpy(), rtol=1e-12, atol=1e-12)
    (y2 * y2).sum().backward()
    (yt2 * yt2).sum().backward()
    np.testing.assert_allclose(_np(a.grad), b.grad.numpy(), rtol=1e-10, atol=1e-12)
