"""Issue 12 regressions in nn.functional and statistics: cpu and cuda agree with PyTorch on NaN
arguments, empty shapes, inf inputs and wrongly typed arguments (items 6, 9, 10, 12)."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tritorch as tt
import tritorch.nn.functional as F


def _same(ours, theirs):
    np.testing.assert_array_equal(ours.detach().cpu().numpy(), theirs.detach().numpy())


def test_item6_dropout_nan_probability_raises(device):
    x = tt.ones(3, device=device)
    with pytest.raises(RuntimeError, match="dropout probability has to be between 0 and 1, but got nan"):
        F.dropout(x, p=float("nan"))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 2"):
        F.dropout(x, p=2)


def test_item6_embedding_without_columns_still_checks_indices(device):
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(tt.tensor([7], device=device), tt.ones(3, 0, device=device))
    assert F.embedding(tt.tensor([[2, 0]], device=device), tt.ones(3, 0, device=device)).shape == (1, 2, 0)


def test_item10_embedding_of_empty_weight(device):
    with pytest.raises(RuntimeError, match=r"index_select\(\): self indexing axis dim should be positive"):
        F.embedding(tt.tensor([0], device=device), tt.ones(0, 3, device=device))
    assert F.embedding(tt.zeros(0, dtype=tt.int64, device=device), tt.ones(0, 3, device=device)).shape == (0, 3)


@pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning")
@pytest.mark.parametrize("correction", [-1, 0, 1, 2])
def test_item6_var_std_of_empty_are_nan(device, correction):
    x, xt = tt.zeros(2, 0, device=device), torch.zeros(2, 0)
    for name in ("var", "std"):
        _same(getattr(x, name)(correction=correction), getattr(xt, name)(correction=correction))
        _same(getattr(x, name)(dim=1, correction=correction), getattr(xt, name)(dim=1, correction=correction))


@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_item6_batch_norm_with_inf_input_gives_nan(device, shape):
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    a[(1, 1) + (0,) * (len(shape) - 2)] = np.inf
    rm, rv, trm, trv = tt.zeros(3, device=device), tt.ones(3, device=device), torch.zeros(3), torch.ones(3)
    y = F.batch_norm(tt.tensor(a, device=device), rm, rv, training=True)
    ty = TF.batch_norm(torch.tensor(a), trm, trv, training=True)
    np.testing.assert_allclose(y.cpu().numpy(), ty.numpy(), rtol=1e-5, atol=1e-5)
    assert np.isnan(y.cpu().numpy()[:, 1]).all()
    np.testing.assert_allclose(rv.cpu().numpy(), trv.numpy(), rtol=1e-5)
    assert math.isnan(rv[1].item())
    g = F.group_norm(tt.tensor(a, device=device), 1).cpu().numpy()
    np.testing.assert_allclose(g, TF.group_norm(torch.tensor(a), 1).numpy(), rtol=1e-5, atol=1e-5)


def test_item12_batch_norm_eps_must_be_positive_in_training(device):
    x = tt.ones(2, 3, device=device)
    for eps in (-1, 0, -1e-3):
        with pytest.raises(ValueError, match=f"batch_norm eps must be positive during training, but got {eps}"):
            F.batch_norm(x, None, None, training=True, eps=eps)
    y = F.batch_norm(x, tt.zeros(3, device=device), tt.ones(3, device=device), training=False, eps=0.0)
    _same(y, torch.ones(2, 3))
    x3 = tt.ones(2, 3, 4, device=device)
    assert np.isnan(F.instance_norm(x3, eps=-1.0).cpu().numpy()).all()  # PyTorch: NaN, no error


@pytest.mark.parametrize("call", [
    lambda L, F_, x, t: F_.nll_loss(x, t, weight=True),
    lambda L, F_, x, t: F_.cross_entropy(x, t, weight=1),
    lambda L, F_, x, t: F_.binary_cross_entropy(x.sigmoid(), x * 0, weight="a"),
    lambda L, F_, x, t: F_.binary_cross_entropy_with_logits(x, x * 0, pos_weight=2.0),
    lambda L, F_, x, t: F_.mse_loss(x, x, weight=[1.0]),
], ids=["nll_loss", "cross_entropy", "binary_cross_entropy", "bce_with_logits", "mse_loss"])
def test_item9_loss_weight_of_wrong_type_is_a_type_error(device, call):
    x, t = tt.zeros(2, 3, device=device), tt.tensor([0, 1], device=device)
    with pytest.raises(TypeError, match=r"argument '(pos_)?weight' must be Tensor, not (bool|int|str|float|list)"):
        call(tt, F, x, t)


def test_item12_kl_div_and_cosine_similarity_reject_integers(device):
    i = tt.ones(2, 3, dtype=tt.int64, device=device)
    with pytest.raises(RuntimeError, match="kl_div: Integral inputs not supported."):
        F.kl_div(i, i.float())
    with pytest.raises(RuntimeError, match="kl_div: Integral inputs not supported."):
        F.kl_div(i.float(), i)
    with pytest.raises(RuntimeError, match="expected common dtype to be floating point, yet common dtype is Long"):
        F.cosine_similarity(i, i)
    with pytest.raises(RuntimeError, match="yet common dtype is Bool"):
        F.cosine_similarity(i.bool(), i.bool())
    mixed = F.cosine_similarity(i, i.float())
    _same(mixed, TF.cosine_similarity(torch.ones(2, 3, dtype=torch.long), torch.ones(2, 3)))


@pytest.mark.parametrize("scale", [float("nan"), float("inf"), 1e300])
def test_item9_interpolate_non_finite_scale(device, scale):
    with pytest.raises(RuntimeError, match="value cannot be converted to type int64_t without overflow"):
        F.interpolate(tt.ones(1, 1, 4, device=device), scale_factor=scale)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int64_t without overflow"):
        TF.interpolate(torch.ones(1, 1, 4), scale_factor=scale)


def test_item9_norms_of_empty_rows(device):
    x = tt.ones(3, 0, device=device, requires_grad=True)
    y = F.layer_norm(x, [0])
    assert y.shape == (3, 0)
    y.sum().backward()
    assert x.grad.shape == (3, 0)
    assert F.rms_norm(tt.ones(3, 0, device=device), [0]).shape == (3, 0)
    assert F.layer_norm(tt.ones(0, 4, device=device), [4]).shape == (0, 4)


@pytest.mark.parametrize("bounds", [(float("nan"), 1.0), (-1.0, float("nan"))])
def test_item12_hardtanh_nan_bound_gives_nan(device, bounds):
    x = tt.tensor([-2.0, 0.5, 3.0], device=device)
    _same(F.hardtanh(x, *bounds), TF.hardtanh(torch.tensor([-2.0, 0.5, 3.0]), *bounds))
    y = x.clone()
    F.hardtanh(y, *bounds, inplace=True)
    assert np.isnan(y.cpu().numpy()).all()


@pytest.mark.parametrize("shape, perm, ns", [((1, 3, 3, 0), (0, 1, 3, 2), [3]), ((2, 0, 3), (1, 0, 2), [3]),
                                             ((2, 0, 3), (1, 0, 2), [2, 3])])
def test_norms_of_empty_strided_views(device, shape, perm, ns):
    """Found by the fuzz harness: a non-collapsible empty view crashed the cuda launcher."""
    x = tt.zeros(*shape, device=device).permute(*perm).requires_grad_()
    y = F.layer_norm(x, ns, eps=0.0)
    y.sum().backward()
    assert y.shape == x.shape == x.grad.shape
    assert F.rms_norm(x.detach(), ns).shape == x.shape
