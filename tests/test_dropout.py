"""F.dropout on both devices: PyTorch's edges (p range, training=False / p=0 identity, p=1 zeros),
mask statistics, the backward regenerating the forward's mask (gradient = g * mask / (1 - p)),
reproducibility under tt.manual_seed, layout independence, in-place, half types, and gradcheck."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tritorch as tt
import tritorch.nn.functional as F


def _x(shape, device, dtype=tt.float32, seed=0):
    # Strictly positive values: a kept element is never 0.
    a = np.random.default_rng(seed).uniform(0.5, 2.0, shape)
    return tt.tensor(a, device=device).to(dtype)


def test_p_out_of_range(device):
    x = _x((4,), device)
    for p in (1.5, -0.1):
        with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {p}"):
            F.dropout(x, p)
        with pytest.raises(ValueError):
            TF.dropout(torch.ones(4), p)  # the same class as PyTorch


def test_identity_cases(device):
    x = _x((3, 4), device)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    e = tt.zeros(0, 3, device=device)
    assert F.dropout(e, 0.5) is e


def test_p_one_gives_zeros(device):
    x = tt.tensor([1.0, float("nan"), float("inf"), -2.0], device=device, requires_grad=True)
    y = F.dropout(x, 1.0)
    got = y.detach().cpu().numpy()
    expect = TF.dropout(torch.tensor([1.0, float("nan"), float("inf"), -2.0]), 1.0).numpy()
    np.testing.assert_array_equal(got, expect)
    y.sum().backward()
    assert x.grad.cpu().tolist() == [0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_mask_statistics_and_backward(device, p):
    n = 4096
    x = _x((64, 64), device).requires_grad_(True)
    y = F.dropout(x, p)
    assert y.grad_fn.name() == "NativeDropoutBackward0"
    ya, xa = y.detach().cpu().numpy(), x.detach().cpu().numpy()
    kept = ya != 0
    frac = kept.mean()
    assert abs(frac - (1 - p)) < 4 * np.sqrt(p * (1 - p) / n), frac
    np.testing.assert_allclose(ya[kept], xa[kept] / (1 - p), rtol=1e-6)
    g = np.random.default_rng(1).uniform(-1, 1, (64, 64)).astype(np.float32)
    y.backward(tt.tensor(g, device=device))
    gx = x.grad.cpu().numpy()
    # The backward regenerates the forward's mask: zeros align, kept gradients are scaled.
    np.testing.assert_array_equal(gx != 0, kept)
    np.testing.assert_allclose(gx, g * kept / (1 - p), rtol=1e-6, atol=0)


def test_reproducible_under_manual_seed(device):
    x = _x((8, 16), device)
    tt.manual_seed(123)
    a = F.dropout(x, 0.5).cpu().numpy()
    b = F.dropout(x, 0.5).cpu().numpy()
    tt.manual_seed(123)
    c = F.dropout(x, 0.5).cpu().numpy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a != 0, b != 0)  # the offset advances per call


def test_mask_independent_of_layout(device):
    base = _x((6, 10), device)
    nc = base.t()  # non-contiguous (10, 6)
    tt.manual_seed(7)
    a = F.dropout(nc, 0.3).cpu().numpy()
    tt.manual_seed(7)
    b = F.dropout(nc.contiguous(), 0.3).cpu().numpy()
    np.testing.assert_array_equal(a, b)
    # A gradient with other strides than the input still meets the forward's mask.
    x = nc.detach().requires_grad_(True)
    tt.manual_seed(8)
    y = F.dropout(x, 0.3)
    g = tt.ones(6, 10, device=device).t()
    y.backward(g)
    np.testing.assert_array_equal(x.grad.cpu().numpy() != 0, y.detach().cpu().numpy() != 0)


def test_inplace(device):
    x = _x((5, 7), device)
    orig = x.cpu().numpy().copy()
    tt.manual_seed(3)
    r = F.dropout(x, 0.4, inplace=True)
    assert r is x
    tt.manual_seed(3)
    ref = F.dropout(tt.tensor(orig, device=device), 0.4).cpu().numpy()
    np.testing.assert_array_equal(x.cpu().numpy(), ref)
    # Under autograd on a non-leaf: the gradient is the mask / (1 - p).
    leaf = _x((5, 7), device).requires_grad_(True)
    h = leaf * 1.0
    y = F.dropout(h, 0.4, inplace=True)
    assert y is h
    y.sum().backward()
    kept = y.detach().cpu().numpy() != 0
    np.testing.assert_allclose(leaf.grad.cpu().numpy(), kept / 0.6, rtol=1e-6)


@pytest.mark.parametrize("dtype", [tt.bfloat16, tt.float16, tt.float64], ids=["bf16", "f16", "f64"])
def test_dtypes(device, dtype):
    x = _x((16, 16), device, dtype)
    y = F.dropout(x, 0.25)
    assert y.dtype is dtype
    ya, xa = y.cpu().double().numpy(), x.cpu().double().numpy()
    kept = ya != 0
    assert 0.5 < kept.mean() < 0.95
    tol = 1e-12 if dtype is tt.float64 else 1e-2
    np.testing.assert_allclose(ya[kept], xa[kept] / 0.75, rtol=tol)


def test_integer_input_error(device):
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        F.dropout(tt.tensor([1, 2], device=device), 0.5)


def test_nan_propagates(device):
    x = tt.tensor([float("nan")] * 64, device=device)
    assert np.isnan(F.dropout(x, 0.5).cpu().numpy()).all()


def test_gradcheck_cpu():
    x = tt.tensor(np.random.default_rng(2).uniform(-1, 1, (4, 5)), dtype=tt.float64, requires_grad=True)

    def fn(t):
        tt.manual_seed(11)  # the same mask for every evaluation
        return F.dropout(t, 0.3)

    assert tt.autograd.gradcheck(fn, (x,))
    assert tt.autograd.gradgradcheck(fn, (x,))


# ---- channel-wise and alpha dropout --------------------------------------------------------------
@pytest.mark.parametrize("fn,shape,k", [(F.dropout1d, (4, 6, 5), 2), (F.dropout1d, (6, 5), 1),
                                        (F.dropout2d, (4, 6, 3, 2), 2), (F.dropout3d, (3, 6, 2, 2, 2), 2),
                                        (F.dropout3d, (6, 2, 2, 2), 1)],
                         ids=["1d", "1d-unbatched", "2d", "3d", "3d-unbatched"])
def test_channel_dropout(device, fn, shape, k):
    x = _x(shape, device).requires_grad_(True)
    y = fn(x, 0.5)
    ya, xa = y.detach().cpu().numpy(), x.detach().cpu().numpy()
    chans = ya.reshape(shape[:k] + (-1,))
    kept = (chans != 0).all(-1)
    assert np.all(kept | (chans == 0).all(-1)), "a channel is dropped entirely or kept entirely"
    assert kept.any() and not kept.all()
    np.testing.assert_allclose(ya, xa * kept.reshape(shape[:k] + (1,) * (len(shape) - k)) * 2.0, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), (ya != 0) * 2.0, rtol=1e-6)


def test_channel_dropout_errors_and_warnings(device):
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(tt.ones(2, 3, 4, 5, device=device))
    with pytest.warns(UserWarning, match="Received a 5-D input to dropout2d"):
        F.dropout2d(tt.ones(2, 3, 4, 5, 2, device=device))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(tt.ones(2, 3, 4, device=device))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 2$"):
        F.dropout2d(tt.ones(2, 3, 4, 4, device=device), 2)
    x = tt.ones(2, 3, 4, 4, device=device)
    assert F.dropout2d(x, 0.5, training=False) is x


def test_alpha_dropout(device):
    p = 0.3
    a_np = np.random.default_rng(4).standard_normal(4096).astype(np.float32)
    x = tt.tensor(a_np, device=device)
    assert F.alpha_dropout(x, p) is x  # training defaults to False, as PyTorch
    y = F.alpha_dropout(x, p, training=True).cpu().numpy()
    alpha = 1.7580993408473766
    a = 1 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    dropped_value = a * alpha * (p - 1)
    kept = ~np.isclose(y, dropped_value, rtol=0, atol=1e-6) | np.isclose(a_np * a + alpha * a * p, dropped_value)
    np.testing.assert_allclose(y[kept], a_np[kept] * a + alpha * a * p, rtol=1e-5, atol=1e-6)
    assert abs(kept.mean() - (1 - p)) < 0.04
    assert abs(y.mean()) < 0.1 and abs(y.std() - 1) < 0.1  # self-normalising
    f = F.feature_alpha_dropout(tt.tensor(a_np.reshape(8, 16, 32), device=device), p, training=True).cpu().numpy()
    per_channel = np.isclose(f, dropped_value, atol=1e-6).reshape(8, 16, -1)
    assert np.all(per_channel.all(-1) | ~per_channel.any(-1) | (per_channel.sum(-1) <= 1))


def test_p_one_keeps_integer_dtype(device):
    x = tt.tensor([3, -2], device=device)
    y = F.dropout(x, 1.0)
    assert y.dtype is tt.int64 and y.cpu().tolist() == [0, 0]
    assert TF.dropout(torch.tensor([3, -2]), 1.0).dtype == torch.int64
