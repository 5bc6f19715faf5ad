"""View ops vs PyTorch (CPU oracle): geometry (shape, strides, storage offset, contiguity),
values, storage sharing (writes through the view reach the base), the shared version
counter, and gradients of every view op."""
import numpy as np
import pytest
import torch

import tritorch as tt


def _pair(shape, dtype=np.float64, start=0):
    a = (np.arange(int(np.prod(shape))) + start).astype(dtype).reshape(shape)
    return tt.tensor(a), torch.tensor(a)


def _check_same(got, exp):
    """Same geometry and values as torch's result (tensors or tuples of tensors)."""
    if isinstance(exp, (tuple, list)):
        assert isinstance(got, tuple) and len(got) == len(exp)
        for g, e in zip(got, exp):
            _check_same(g, e)
        return
    assert tuple(got.shape) == tuple(exp.shape)
    assert got.stride() == exp.stride(), (got.stride(), exp.stride())
    assert got.storage_offset() == exp.storage_offset()
    assert got.is_contiguous() == exp.is_contiguous()
    np.testing.assert_array_equal(got.numpy(), exp.numpy())


# (name, base shape, fn(tensor) -> view); fn uses names shared by torch and tritorch.
VIEW_CASES = [
    ("view", (2, 3, 4), lambda x: x.view(4, 6)),
    ("view_infer", (2, 3, 4), lambda x: x.view(-1, 4)),
    ("view_tuple", (2, 3, 4), lambda x: x.view((3, 8))),
    ("view_0d", (1,), lambda x: x.view(())),
    ("view_of_transpose", (2, 3, 4), lambda x: x.transpose(0, 1).view(3, 2, 2, 2)),
    ("view_size1_dims", (2, 3), lambda x: x.t().view(3, 1, 2, 1)),
    ("reshape_view", (2, 3, 4), lambda x: x.reshape(6, 4)),
    ("reshape_copy", (2, 3, 4), lambda x: x.transpose(0, 2).reshape(-1)),
    ("permute", (2, 3, 4), lambda x: x.permute(2, 0, 1)),
    ("permute_neg", (2, 3, 4), lambda x: x.permute(-1, 0, -2)),
    ("transpose", (2, 3, 4), lambda x: x.transpose(0, 2)),
    ("swapaxes", (2, 3, 4), lambda x: x.swapaxes(1, 2)),
    ("t", (3, 5), lambda x: x.t()),
    ("t_1d", (4,), lambda x: x.t()),
    ("T", (3, 5), lambda x: x.T),
    ("mT", (2, 3, 5), lambda x: x.mT),
    ("squeeze_all", (1, 3, 1, 2), lambda x: x.squeeze()),
    ("squeeze_int", (1, 3, 1, 2), lambda x: x.squeeze(2)),
    ("squeeze_noop", (1, 3, 1, 2), lambda x: x.squeeze(1)),
    ("squeeze_tuple", (1, 3, 1, 2), lambda x: x.squeeze((0, 2))),
    ("squeeze_0d", (1,), lambda x: x.view(()).squeeze()),
    ("unsqueeze", (2, 3), lambda x: x.unsqueeze(1)),
    ("unsqueeze_end", (2, 3), lambda x: x.unsqueeze(-1)),
    ("unsqueeze_noncontig", (2, 3), lambda x: x.t().unsqueeze(0)),
    ("expand", (3, 1), lambda x: x.expand(2, 3, 4)),
    ("expand_keep", (3, 1), lambda x: x.expand(-1, 5)),
    ("expand_as", (1, 4), lambda x: x.expand_as(torch.empty(3, 4) if isinstance(x, torch.Tensor)
                                                else tt.empty(3, 4))),
    ("broadcast_to", (3, 1), lambda x: x.broadcast_to((2, 3, 2))),
    ("flatten", (2, 3, 4), lambda x: x.flatten()),
    ("flatten_range", (2, 3, 4), lambda x: x.flatten(1, 2)),
    ("flatten_copy", (2, 3, 4), lambda x: x.transpose(1, 2).flatten(1)),
    ("flatten_0d", (1,), lambda x: x.view(()).flatten()),
    ("unflatten", (2, 12), lambda x: x.unflatten(1, (3, -1))),
    ("unflatten_noncontig", (4, 6), lambda x: x.t().unflatten(0, (2, 3))),
    ("narrow", (5, 4), lambda x: x.narrow(0, 1, 3)),
    ("narrow_neg", (5, 4), lambda x: x.narrow(-1, -3, 2)),
    ("select", (3, 4, 5), lambda x: x.select(1, 2)),
    ("select_neg", (3, 4, 5), lambda x: x.select(-1, -1)),
    ("select_to_0d", (4,), lambda x: x.select(0, 3)),
    ("as_strided", (12,), lambda x: x.as_strided((3, 3), (3, 1), 1)),
    ("as_strided_overlap", (12,), lambda x: x.as_strided((4, 3), (2, 1))),
    ("as_strided_of_view", (4, 5), lambda x: x[1:] if False else x.narrow(0, 1, 3).as_strided((2, 2), (5, 1))),
    ("contiguous_noop", (2, 3), lambda x: x.contiguous()),
    ("contiguous_copy", (2, 3), lambda x: x.t().contiguous()),
    ("view_as", (2, 6), lambda x: x.view_as(torch.empty(3, 4) if isinstance(x, torch.Tensor) else tt.empty(3, 4))),
    ("movedim", (2, 3, 4), lambda x: x.movedim(0, -1)),
    ("movedim_multi", (2, 3, 4, 5), lambda x: x.movedim((0, 1), (3, 0))),
    ("moveaxis", (2, 3, 4), lambda x: x.moveaxis(2, 0)),
    ("diagonal", (4, 4), lambda x: x.diagonal()),
    ("diagonal_offset", (3, 5), lambda x: x.diagonal(2)),
    ("diagonal_neg_offset", (5, 3), lambda x: x.diagonal(-1)),
    ("diagonal_dims", (2, 3, 4), lambda x: x.diagonal(1, 0, 2)),
    ("diagonal_out_of_range", (3, 3), lambda x: x.diagonal(5)),
    ("chunk", (7, 2), lambda x: x.chunk(3)),
    ("chunk_dim", (2, 6), lambda x: x.chunk(4, 1)),
    ("chunk_empty", (0, 3), lambda x: x.chunk(2)),
    ("split", (7, 2), lambda x: x.split(3)),
    ("split_sizes", (7, 2), lambda x: x.split([1, 4, 2])),
    ("split_dim", (2, 5), lambda x: x.split(2, dim=-1)),
    ("split_empty", (0, 3), lambda x: x.split(2)),
    ("unbind", (3, 2), lambda x: x.unbind()),
    ("unbind_dim", (3, 2), lambda x: x.unbind(1)),
    ("tensor_split", (7, 2), lambda x: x.tensor_split(3)),
    ("tensor_split_idx", (7, 2), lambda x: x.tensor_split([1, 5])),
    ("empty_view", (0, 4), lambda x: x.view(2, 0, 2)),
    ("empty_permute", (0, 4), lambda x: x.t()),
    ("view_of_view_of_view", (4, 6), lambda x: x.t().narrow(0, 1, 4).select(1, 2)),
]


@pytest.mark.parametrize("name,shape,fn", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_view_geometry_matches_torch(name, shape, fn):
    a, b = _pair(shape)
    _check_same(fn(a), fn(b))


@pytest.mark.parametrize("name,shape,fn", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_view_shares_storage_with_base(name, shape, fn):
    """Writing through a view changes the base exactly where torch's does."""
    a, b = _pair(shape)
    va, vb = fn(a), fn(b)
    va = va if isinstance(va, tuple) else (va,)
    vb = vb if isinstance(vb, tuple) else (vb,)
    for x, y in zip(va, vb):
        if x.numel():
            x.fill_(-7.0)
            y.fill_(-7.0)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("name,shape,fn", [c for c in VIEW_CASES if c[0] not in ("as_strided_overlap",)],
                         ids=[c[0] for c in VIEW_CASES if c[0] not in ("as_strided_overlap",)])
def test_view_gradient_matches_torch(name, shape, fn):
    a, b = _pair(shape)
    a.requires_grad_(True)
    b.requires_grad_(True)
    ra, rb = fn(a), fn(b)
    ra = ra if isinstance(ra, tuple) else (ra,)
    rb = rb if isinstance(rb, tuple) else (rb,)
    if not ra:
        return
    w = [np.linspace(-1, 1, r.numel()).reshape(tuple(r.shape)) for r in rb]
    la = sum((r * tt.tensor(x)).sum() for r, x in zip(ra, w))
    lb = sum((r * torch.tensor(x)).sum() for r, x in zip(rb, w))
    la.backward()
    lb.backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_as_strided_overlapping_gradient_sums_contributions():
    a, b = _pair((12,))
    a.requires_grad_(True)
    b.requires_grad_(True)
    w = np.arange(12.0).reshape(4, 3)
    (a.as_strided((4, 3), (2, 1)) * tt.tensor(w)).sum().backward()
    (b.as_strided((4, 3), (2, 1)) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy())


def test_as_strided_gradient_of_offset_noncontiguous_input():
    base, tbase = _pair((4, 6))
    base.requires_grad_(True)
    tbase.requires_grad_(True)
    for x, mod in ((base, tt), (tbase, torch)):
        v = x.t().narrow(0, 1, 4)  # non-contiguous, offset 1
        y = v.as_strided((3, 2), (6, 2), 2)
        (y * mod.arange(6.0, dtype=mod.float64).view(3, 2)).sum().backward()
    np.testing.assert_allclose(base.grad.numpy(), tbase.grad.numpy())


def test_as_strided_gradgradcheck():
    x = tt.tensor(np.linspace(-1, 1, 10), requires_grad=True)
    assert tt.autograd.gradgradcheck(lambda t: (t.as_strided((4, 3), (2, 1)) ** 2), (x,))


@pytest.mark.parametrize("fn", [
    lambda x: x.view(3, 4), lambda x: x.permute(1, 0), lambda x: x.expand(2, 4, 3),
    lambda x: x.select(0, 1), lambda x: x.narrow(1, 1, 2), lambda x: x.diagonal(),
    lambda x: x.unsqueeze(0), lambda x: x.as_strided((2, 2), (1, 4), 1), lambda x: x.t().squeeze(),
])
def test_view_gradcheck_and_gradgradcheck(fn):
    x = tt.tensor(np.random.default_rng(0).normal(size=(4, 3)), requires_grad=True)
    assert tt.autograd.gradcheck(fn, (x,))
    assert tt.autograd.gradgradcheck(lambda t: fn(t) * fn(t), (x,))


def test_version_counter_shared_by_views():
    x = tt.zeros(3, 4)
    v = x.view(12)
    w = x.t().select(0, 1)
    d = x.detach()
    v0 = x._version
    v.add_(1)
    assert x._version == v._version == w._version == d._version == v0 + 1
    w.mul_(2)
    assert x._version == v0 + 2
    assert x.data._version != x._version or x.data._storage is not x._storage


def test_views_know_their_base_and_chain_to_root():
    x = tt.zeros(3, 4)
    v = x.t()
    vv = v.select(0, 1)
    assert v._base is x and vv._base is x
    assert x._base is None
    assert x.reshape(12)._base is x
    assert x.t().reshape(12)._base is None  # copy, not a view


def test_reshape_copies_only_when_needed():
    x = tt.arange(6.0).view(2, 3)
    y = x.t().reshape(6)
    y.fill_(0)
    assert x.sum().item() == 15
    z = x.reshape(3, 2)
    z.fill_(1)
    assert x.sum().item() == 6


def test_contiguous_returns_self_when_contiguous():
    x = tt.zeros(2, 3)
    assert x.contiguous() is x
    y = x.t().contiguous()
    assert y is not x and y.is_contiguous() and y.stride() == (2, 1)


def test_numpy_shares_memory_through_views():
    x = tt.zeros(2, 3)
    x.t().numpy()[0, 1] = 5
    assert x.numpy()[1, 0] == 5


def test_in_place_squeeze_unsqueeze():
    for mod in (tt, torch):
        x = mod.zeros(1, 3, 1)
        x.squeeze_()
        assert tuple(x.shape) == (3,)
        x.unsqueeze_(0)
        assert tuple(x.shape) == (1, 3)


def test_broadcast_tensors_and_shapes():
    a, b = tt.zeros(3, 1), tt.zeros(1, 4)
    x, y = tt.broadcast_tensors(a, b)
    assert tuple(x.shape) == tuple(y.shape) == (3, 4)
    assert x.stride() == (1, 0) and y.stride() == (0, 1)
    assert tt.broadcast_shapes((2, 1), (3, 1, 4)) == tt.Size([3, 2, 4])


def test_atleast_nd():
    s = tt.tensor(1.0)
    assert tuple(tt.atleast_1d(s).shape) == (1,)
    assert tuple(tt.atleast_2d(tt.zeros(3)).shape) == (1, 3)


@pytest.mark.parametrize("dtype", [tt.float16, tt.bfloat16, tt.int8, tt.uint8, tt.int32, tt.bool])
def test_views_on_other_dtypes(dtype):
    x = tt.zeros(2, 3, 4, dtype=dtype)
    v = x.permute(2, 0, 1).narrow(0, 1, 2).select(2, 0)
    assert v.dtype is dtype and v.stride() == (1, 12) and v.storage_offset() == 1
    v.fill_(1)
    assert int(x.to(tt.int64).sum().item()) == 4


def test_rebase_view_history_matches_torch_inplace_on_view():
    """CopySlices: an in-place op on a view updates the base's history (here emulated the way
    an `_inplace` helper does it: out of place on the view, copy back, rebase)."""
    from tritorch._ops.shape_grad import rebase_view_history
    w = np.arange(1.0, 6.0)
    w2 = np.array([10.0, 20.0])
    x, tx = tt.tensor(np.linspace(-1, 1, 5), requires_grad=True), torch.tensor(np.linspace(-1, 1, 5),
                                                                              requires_grad=True)
    b, tb = x * x, tx * tx
    v, tv = b.narrow(0, 1, 2), tb.narrow(0, 1, 2)
    src = v.clone()  # as `_inplace` does: the op runs on a copy, so nothing it saves is overwritten
    r = src * src.exp()
    with tt.no_grad():
        v.copy_(r)
    rebase_view_history(v, r)
    tv.mul_(tv.exp())
    assert b.grad_fn.name() == "CopySlices"
    ((b * tt.tensor(w)).sum() + (v * tt.tensor(w2)).sum()).backward()
    ((tb * torch.tensor(w)).sum() + (tv * torch.tensor(w2)).sum()).backward()
    np.testing.assert_allclose(b.detach().numpy(), tb.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_rebase_view_history_rejects_view_of_leaf():
    from tritorch._ops.shape_grad import rebase_view_history
    x = tt.zeros(3, requires_grad=True)
    v = x.narrow(0, 0, 2)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        rebase_view_history(v, v * 2)
