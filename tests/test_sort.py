"""Sort family vs PyTorch (CPU oracle): stable order with ties, NaN placement, topk/kthvalue
errors, median with NaN, return types and gradients through the returned indices."""
import math

import numpy as np
import pytest
import torch

import tritorch as tt
from tests.test_reduction import pair, close, grads

NAN = float("nan")


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int32", "int64", "float16", "bfloat16", "float32",
                                   "float64"])
@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_matches_torch_with_ties(dtype, descending):
    a = np.random.default_rng(5).integers(0, 2 if dtype == "bool" else 4, size=(3, 9))
    x, t = pair(a, dtype)
    for dim in (1, 0, -1):
        r, rt = tt.sort(x, dim, descending, stable=True), torch.sort(t, dim=dim, descending=descending, stable=True)
        close(r.values, rt.values)
        close(r.indices, rt.indices)
        close(tt.argsort(x, dim, descending, stable=True), torch.argsort(t, dim=dim, descending=descending,
                                                                         stable=True))


@pytest.mark.parametrize("descending", [False, True])
def test_nan_is_largest(descending):
    a = [[3.0, NAN, -1.0, NAN, math.inf, 0.0, -math.inf], [NAN, 1.0, 1.0, 2.0, NAN, NAN, -0.5]]
    x, t = pair(a)
    r, rt = tt.sort(x, descending=descending, stable=True), torch.sort(t, descending=descending, stable=True)
    close(r.values, rt.values)
    close(r.indices, rt.indices)
    for largest in (True, False):
        r, rt = tt.topk(x, 3, largest=largest), torch.topk(t, 3, largest=largest)
        close(r.values, rt.values)
    close(tt.msort(x), torch.msort(t))


def test_sort_return_type_and_out():
    x = tt.tensor([[3.0, 1.0, 2.0]])
    r = x.sort()
    assert type(r).__name__ == "sort" and r.values.tolist() == [[1.0, 2.0, 3.0]] and r.indices.tolist() == [[1, 2, 0]]
    assert "return_types.sort" in repr(r)
    v, i = r
    assert v is r.values and i is r.indices
    ov, oi = tt.zeros(0), tt.zeros(0, dtype=tt.int64)
    tt.sort(x, descending=True, out=(ov, oi))
    assert ov.tolist() == [[3.0, 2.0, 1.0]] and oi.tolist() == [[0, 2, 1]]
    s0 = tt.sort(tt.tensor(4.0))
    assert s0.values.shape == () and s0.indices.item() == 0


def test_topk_values_indices_and_errors():
    a = np.random.default_rng(6).normal(size=(4, 6))
    x, t = pair(a)
    for k, dim, largest in ((3, -1, True), (2, 0, False), (6, 1, True), (0, 1, True)):
        r, rt = tt.topk(x, k, dim, largest), torch.topk(t, k, dim, largest)
        close(r.values, rt.values)
        close(r.indices, rt.indices)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        tt.topk(x, 7)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(-1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        tt.topk(x, 1, dim=2)
    assert tt.topk(tt.tensor(2.0), 1).values.item() == 2.0


def test_kthvalue_and_median_match_torch():
    a = np.random.default_rng(8).integers(-5, 5, size=(5, 4)).astype(np.float64)
    x, t = pair(a)
    for k, dim in ((1, 0), (3, 0), (4, -1)):
        r, rt = tt.kthvalue(x, k, dim), torch.kthvalue(t, k, dim)
        close(r.values, rt.values)
        np.testing.assert_array_equal(np.take_along_axis(a, np.expand_dims(r.indices.numpy(), dim), dim).squeeze(dim),
                                      r.values.numpy())
    close(tt.kthvalue(x, 2, 1, keepdim=True).values, torch.kthvalue(t, 2, 1, keepdim=True).values)
    with pytest.raises(RuntimeError, match=r"kthvalue\(\): selected number k out of range for dimension 1"):
        tt.kthvalue(x, 5, 1)
    close(tt.median(x), torch.median(t))
    for dim in (0, 1):
        r, rt = tt.median(x, dim), torch.median(t, dim)
        close(r.values, rt.values)
    close(tt.median(tt.tensor([4, 1, 3, 2])), torch.median(torch.tensor([4, 1, 3, 2])))


def test_median_nan_and_empty():
    a = [[1.0, NAN, 3.0, NAN], [4.0, 2.0, 3.0, 1.0]]
    x, t = pair(a)
    close(tt.median(x), torch.median(t))
    r, rt = tt.median(x, 1), torch.median(t, 1)
    close(r.values, rt.values)
    close(r.indices, rt.indices)
    assert math.isnan(tt.median(tt.zeros(0)).item())
    with pytest.raises(IndexError, match=r"median\(\): Expected reduction dim 0 to have non-zero size."):
        tt.median(tt.zeros(0, 3), 0)


def test_gradients_flow_through_indices():
    a = np.random.default_rng(9).normal(size=(3, 5))
    grads(lambda x: tt.sort(x, 1).values, lambda t: torch.sort(t, 1).values, a)
    grads(lambda x: tt.sort(x, 0, descending=True)[0], lambda t: torch.sort(t, 0, descending=True)[0], a)
    grads(lambda x: tt.topk(x, 2).values, lambda t: torch.topk(t, 2).values, a)
    grads(lambda x: tt.topk(x, 2, 0, largest=False).values, lambda t: torch.topk(t, 2, 0, largest=False).values, a)
    grads(lambda x: tt.kthvalue(x, 3, 1).values, lambda t: torch.kthvalue(t, 3, 1).values, a)
    grads(lambda x: tt.median(x, 0, keepdim=True).values, lambda t: torch.median(t, 0, keepdim=True).values, a)
    grads(lambda x: tt.median(x).reshape(1), lambda t: torch.median(t).reshape(1), a)
    grads(lambda x: tt.msort(x), lambda t: torch.msort(t), a)
    # ties in a full median share the gradient, as torch's evenly_distribute_backward
    grads(lambda x: tt.median(x).reshape(1), lambda t: torch.median(t).reshape(1), [[1.0, 2.0, 2.0], [2.0, 5.0, 0.0]])


def test_sort_double_backward():
    a = np.random.default_rng(10).normal(size=(2, 4))
    x, t = pair(a, requires_grad=True)
    w = np.arange(8.0).reshape(2, 4)
    gx, = tt.autograd.grad([(tt.sort(x, 1).values ** 3 * tt.tensor(w)).sum()], [x], create_graph=True)
    gt, = torch.autograd.grad([(torch.sort(t, 1).values ** 3 * torch.tensor(w)).sum()], [t], create_graph=True)
    close(gx, gt)
    close(tt.autograd.grad([gx.sum()], [x])[0], torch.autograd.grad([gt.sum()], [t])[0])


def test_grad_fn_names_and_indices_without_grad():
    x = tt.ones(2, 3, requires_grad=True)
    r = tt.sort(x)
    assert r.values.grad_fn.name() == "SortBackward0" and not r.indices.requires_grad
    assert tt.topk(x, 1).values.grad_fn.name() == "TopkBackward0"
    assert tt.kthvalue(x, 1).values.grad_fn.name() == "KthvalueBackward0"
    assert tt.median(x, 1).values.grad_fn.name() == "MedianBackward1"
    assert tt.median(x).grad_fn.name() == "MedianBackward0"
