"""embedding / one_hot against torch CPU on both devices: outputs and weight gradients with
padding_idx, repeated indices (accumulation), 2-D index tensors, int32 indices,
scale_grad_by_freq, max_norm renorm (in place), half dtypes, errors, double backward."""
import numpy as np
import pytest
import torch

import tritorch as tt
import tritorch.nn.functional as F

TT2TORCH = {tt.float16: torch.float16, tt.bfloat16: torch.bfloat16, tt.float32: torch.float32,
            tt.float64: torch.float64}


def _emb_both(lib, device, w, idx, g, dtype, idt=np.int64, **kw):
    if lib is torch:
        wt = torch.tensor(w, dtype=TT2TORCH[dtype], requires_grad=True)
        it = torch.tensor(idx.astype(idt))
        gt = torch.tensor(g, dtype=TT2TORCH[dtype])
        y = torch.nn.functional.embedding(it, wt, **kw)
        return [y, torch.autograd.grad(y, [wt], gt)[0]]
    wt = tt.tensor(w, dtype=dtype, device=device, requires_grad=True)
    it = tt.tensor(idx.astype(idt), device=device)
    y = F.embedding(it, wt, **kw)
    return [y, tt.autograd.grad(y, [wt], tt.tensor(g, dtype=dtype, device=device))[0]]


CASES = [  # (index array, kwargs)
    (np.array([[1, 3, 1], [6, 0, 1]]), {}),
    (np.array([2, 2, 5, 2, 0]), {"padding_idx": 2}),
    (np.array([[4, 4], [1, 4]]), {"padding_idx": -3, "scale_grad_by_freq": True}),
    (np.array([[0, 1, 1], [1, 1, 6]]), {"scale_grad_by_freq": True}),
    (np.array(3), {}),
]


@pytest.mark.parametrize("dtype", [tt.float32, tt.float64, tt.bfloat16], ids=lambda d: d.name)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_embedding_matches_torch(case, dtype, device):
    idx, kw = CASES[case]
    rng = np.random.default_rng(case)
    w = rng.standard_normal((7, 5))
    g = rng.standard_normal(idx.shape + (5,))
    ours = _emb_both(tt, device, w, idx, g, dtype, np.int32 if case == 1 else np.int64, **kw)
    ref = _emb_both(torch, device, w, idx, g, dtype, np.int32 if case == 1 else np.int64, **kw)
    tol = 2e-2 if dtype is tt.bfloat16 else 1e-6
    for o, r in zip(ours, ref):
        assert o.dtype is dtype and tuple(o.shape) == tuple(r.shape)
        np.testing.assert_allclose(o.detach().cpu().float().numpy(), r.detach().float().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0])
def test_embedding_max_norm_renorms_in_place(norm_type, device):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((6, 4)) * 2
    idx = np.array([[0, 2, 2], [5, 0, 3]])
    wt = tt.tensor(w, device=device, requires_grad=True)
    v0 = wt._version
    y = F.embedding(tt.tensor(idx, device=device), wt, max_norm=1.5, norm_type=norm_type)
    tw = torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.embedding(torch.tensor(idx), tw, max_norm=1.5, norm_type=norm_type)
    np.testing.assert_allclose(y.detach().cpu().numpy(), ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(wt.detach().cpu().numpy(), tw.detach().numpy(), rtol=1e-6)
    assert wt._version > v0
    g, = tt.autograd.grad(y.sum(), [wt])
    tg, = torch.autograd.grad(ty.sum(), [tw])
    np.testing.assert_allclose(g.cpu().numpy(), tg.numpy())


def test_embedding_strided_weight_and_grad_accumulation(device):
    rng = np.random.default_rng(2)
    big = rng.standard_normal((5, 8))
    w = tt.tensor(big, device=device)[:, ::2].detach().requires_grad_(True)
    idx = tt.tensor(np.array([1, 1, 1, 4]), device=device)
    y = F.embedding(idx, w)
    np.testing.assert_array_equal(y.detach().cpu().numpy(), big[:, ::2][[1, 1, 1, 4]])
    y.sum().backward()
    exp = np.zeros((5, 4))
    exp[1], exp[4] = 3, 1
    np.testing.assert_array_equal(w.grad.cpu().numpy(), exp)


def test_embedding_errors(device):
    w = tt.zeros(3, 2, device=device)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(tt.tensor([0, 3], device=device), w)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(tt.tensor([[-1]], device=device), w)
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar types: Long, Int"):
        F.embedding(tt.tensor([1.0], device=device), w)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(tt.tensor([1], device=device), w, padding_idx=3)
    with pytest.raises(RuntimeError, match="'weight' must be 2-D"):
        F.embedding(tt.tensor([1], device=device), tt.zeros(3, device=device))
    with pytest.raises(NotImplementedError, match="sparse=True"):
        F.embedding(tt.tensor([1], device=device), w, sparse=True)


def test_embedding_double_backward():
    rng = np.random.default_rng(3)
    idx = tt.tensor(np.array([[1, 2], [2, 0]]))
    w = tt.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert tt.autograd.gradgradcheck(lambda w: F.embedding(idx, w, padding_idx=0).pow(2), (w,))
    for kw in ({"scale_grad_by_freq": True}, {"padding_idx": 2}):
        res = []
        for lib, wt in ((tt, w.detach().clone().requires_grad_(True)),
                        (torch, torch.tensor(w.detach().numpy(), requires_grad=True))):
            y = (F if lib is tt else torch.nn.functional).embedding(
                idx if lib is tt else torch.tensor(idx.numpy()), wt, **kw)
            g, = lib.autograd.grad((y.pow(2) * y).sum(), [wt], create_graph=True)
            res.append(lib.autograd.grad(g.pow(2).sum(), [wt])[0].detach().numpy())
        np.testing.assert_allclose(res[0], res[1], rtol=1e-12)


def test_one_hot_matches_torch(device):
    for a, k in ((np.array([[1, 0], [3, 2]]), -1), (np.array([0, 4, 2]), 7), (np.array(1), 2),
                 (np.zeros((0, 3), np.int64), 4)):
        ours = F.one_hot(tt.tensor(a, device=device), k)
        ref = torch.nn.functional.one_hot(torch.tensor(a), k)
        assert ours.dtype is tt.int64
        np.testing.assert_array_equal(ours.cpu().numpy(), ref.numpy())


def test_one_hot_errors(device):
    with pytest.raises(RuntimeError, match="Class values must be non-negative."):
        F.one_hot(tt.tensor([1, -1, 5], device=device), 3)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(tt.tensor([1, 3], device=device), 3)
    with pytest.raises(RuntimeError, match="Class values must be non-negative."):
        F.one_hot(tt.tensor([-2, 0], device=device))
    with pytest.raises(RuntimeError, match="only applicable to index tensor of type LongTensor"):
        F.one_hot(tt.tensor([1], dtype=tt.int32, device=device), 3)
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty tensor."):
        F.one_hot(tt.tensor(np.zeros(0, np.int64), device=device))
