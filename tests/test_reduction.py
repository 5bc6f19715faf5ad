"""Reduction family vs PyTorch (CPU oracle): result dtypes, values, indices, gradients (ties,
zeros), empty-tensor semantics, error messages, and hypothesis property tests vs numpy."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tritorch as tt

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::RuntimeWarning")]
DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64")


def pair(a, dtype="float64", requires_grad=False):
    """The same data as a tritorch and a torch tensor."""
    a = np.asarray(a, dtype=np.float64)
    t = torch.tensor(a).to(getattr(torch, dtype))
    x = tt.tensor(a, dtype=getattr(tt, dtype))
    if requires_grad:
        t.requires_grad_(True)
        x.requires_grad_(True)
    return x, t


def close(x, t, rtol=1e-7, atol=1e-7):
    assert tuple(x.shape) == tuple(t.shape), (x.shape, t.shape)
    assert x.dtype.name == str(t.dtype).replace("torch.", ""), (x.dtype, t.dtype)
    np.testing.assert_allclose(x.detach().to(tt.float64).numpy() if x.dtype.is_floating_point else x.numpy(),
                               t.detach().double().numpy() if t.dtype.is_floating_point else t.numpy(),
                               rtol=rtol, atol=atol, equal_nan=True)


def grads(fn_tt, fn_torch, a, seed_shape=None):
    x, t = pair(a, requires_grad=True)
    rx, rt = fn_tt(x), fn_torch(t)
    g = np.random.default_rng(0).random(tuple(rt.shape)) + 0.5
    rx.backward(tt.tensor(g))
    rt.backward(torch.tensor(g))
    close(x.grad, t.grad if t.grad is not None else torch.zeros_like(t))  # torch: p=0 norm has no grad
    return x.grad


@pytest.mark.parametrize("dtype", DTYPES)
def test_result_dtypes_match_torch(dtype):
    a = np.array([[1, 0, 2], [3, 1, 1]])
    x, t = pair(a, dtype)
    close(tt.sum(x), torch.sum(t))
    close(x.sum(1, keepdim=True), t.sum(1, keepdim=True))
    close(tt.prod(x, 1), torch.prod(t, 1))
    close(tt.cumsum(x, 1), torch.cumsum(t, 1))
    close(tt.cumprod(x, 0), torch.cumprod(t, 0))
    close(tt.all(x, 1), torch.all(t, 1))
    close(tt.any(x), torch.any(t))
    close(tt.count_nonzero(x, 0), torch.count_nonzero(t, 0))
    close(tt.amax(x, 0), torch.amax(t, 0))
    close(tt.max(x, 1).values, torch.max(t, 1).values)
    close(tt.max(x, 1).indices, torch.max(t, 1).indices)
    close(tt.nansum(x, 0), torch.nansum(t, 0))
    if dtype != "bool":
        close(tt.argmax(x), torch.argmax(t))
        close(tt.argmin(x, 0, keepdim=True), torch.argmin(t, 0, keepdim=True))
        close(tt.logsumexp(x, 1), torch.logsumexp(t, 1), rtol=1e-2, atol=1e-2)
    if dtype.startswith("float") or dtype == "bfloat16":
        tol = 1e-2 if "16" in dtype else 1e-6
        close(tt.mean(x, (0, 1)), torch.mean(t, (0, 1)), tol, tol)
        close(tt.var(x, 1), torch.var(t, 1), tol, tol)
        close(tt.std(x, 0, correction=0), torch.std(t, 0, correction=0), tol, tol)
        close(tt.norm(x, 3, 1), torch.norm(t, 3, 1), tol, tol)
    close(tt.sum(x, 0, dtype=tt.float32), torch.sum(t, 0, dtype=torch.float32))


def test_sum_and_prod_of_ints_promote_and_accumulate_in_int64():
    x = tt.tensor([100, 100, 100], dtype=tt.int8)
    assert tt.sum(x).item() == 300 and tt.sum(x).dtype is tt.int64
    assert tt.prod(tt.tensor([100, 100, 100], dtype=tt.int16)).item() == 1_000_000


def test_half_accumulates_in_float32():
    x = tt.ones(4096, dtype=tt.float16)
    assert tt.sum(x).item() == 4096.0  # float16 accumulation would stall at 2048
    assert tt.cumsum(x, 0)[-1].item() == 4096.0
    y = tt.full((3000,), 0.1, dtype=tt.bfloat16)
    assert abs(tt.mean(y).item() - 0.1) < 1e-3


def test_empty_semantics():
    e = tt.zeros(0, 3)
    assert tt.sum(e).item() == 0 and tt.prod(e).item() == 1
    assert math.isnan(tt.mean(e).item())
    assert tt.sum(e, 0).tolist() == [0.0, 0.0, 0.0]
    assert tt.prod(e, 0).tolist() == [1.0, 1.0, 1.0]
    assert tt.amax(e, 1).shape == (0,)
    assert tt.logsumexp(e, 0).tolist() == [-math.inf] * 3
    assert tt.all(e).item() is True and tt.any(e).item() is False
    assert tt.cumsum(e, 0).shape == (0, 3)
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified for input.numel\(\) "
                                           r"== 0. Specify the reduction dim with the 'dim' argument."):
        tt.max(e)
    with pytest.raises(RuntimeError, match=r"min\(\): Expected reduction dim to be specified"):
        e.min()
    with pytest.raises(IndexError, match=r"amax\(\): Expected reduction dim 0 to have non-zero size."):
        tt.amax(e, 0)
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 0 to have non-zero size."):
        tt.max(e, 0)
    with pytest.raises(IndexError, match=r"argmax\(\): Expected reduction dim to be specified for input.numel"):
        tt.argmax(e)
    with pytest.raises(RuntimeError, match=r"aminmax\(\): cannot compute aminmax over an empty dimension"):
        tt.aminmax(e)
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        tt.norm(e, math.inf)


def test_error_messages():
    x = tt.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype. Input dtype must be either a "
                                           r"floating point or complex dtype. Got: Long"):
        tt.mean(tt.ones(3, dtype=tt.int64))
    with pytest.raises(RuntimeError, match=r"nanmean\(\): expected input to have floating point .* got Int"):
        tt.nanmean(tt.ones(3, dtype=tt.int32))
    with pytest.raises(RuntimeError, match="std and var only support floating point and complex dtypes"):
        tt.var(tt.ones(3, dtype=tt.int64))
    with pytest.raises(RuntimeError, match="linalg.vector_norm: Expected a floating point or complex tensor as "
                                           "input. Got Long"):
        tt.norm(tt.ones(3, dtype=tt.int64))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        tt.sum(x, 2)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        tt.sum(x, (0, -2))
    with pytest.raises(RuntimeError, match="Long did not match Float"):
        tt.isclose(tt.ones(2, dtype=tt.int64), tt.ones(2))
    with pytest.raises(RuntimeError, match="rtol must be greater than or equal to zero, but got -1"):
        tt.isclose(x, x, rtol=-1)
    with pytest.raises(RuntimeError, match="must match the size"):
        tt.isclose(x, tt.ones(4))
    with pytest.raises(TypeError, match="argument 'dim' must be int"):
        tt.cumsum(x, None)


def test_empty_dim_tuple_reduces_everything_like_torch():
    a = np.arange(6.0).reshape(2, 3)
    x, t = pair(a)
    close(tt.sum(x, ()), torch.sum(t, ()))
    close(tt.amax(x, ()), torch.amax(t, ()))
    close(tt.mean(x, []), torch.mean(t, []))


def test_max_min_three_forms():
    a = np.array([[1.0, 5.0, 5.0], [7.0, -2.0, 7.0]])
    x, t = pair(a)
    close(tt.max(x), torch.max(t))
    r, rt = tt.max(x, 1), torch.max(t, 1)
    assert type(r).__name__ == "max" and r.values is r[0] and r.indices is r[1]
    close(r.values, rt.values)
    close(r.indices, rt.indices)
    r, rt = x.min(dim=0, keepdim=True), t.min(dim=0, keepdim=True)
    close(r.values, rt.values)
    close(r.indices, rt.indices)
    y, u = pair([[0.0, 9.0, -9.0]])
    close(tt.max(x, y), torch.max(t, u))
    close(tt.min(x, y), torch.min(t, u))
    mn, mx = tt.aminmax(x, dim=1)
    close(mn, torch.aminmax(t, dim=1).min)
    close(mx, torch.aminmax(t, dim=1).max)
    v, i = tt.zeros(0), tt.zeros(0, dtype=tt.int64)
    out = tt.max(x, 1, out=(v, i))
    assert out.values is v and v.tolist() == [5.0, 7.0] and i.tolist() == [1, 0]


def test_nan_propagates_in_max_and_argmax():
    a = np.array([[1.0, np.nan, 3.0], [2.0, 0.0, -1.0]])
    x, t = pair(a)
    close(tt.max(x, 1).values, torch.max(t, 1).values)
    close(tt.max(x, 1).indices, torch.max(t, 1).indices)
    close(tt.amin(x, 1), torch.amin(t, 1))
    close(tt.argmax(x, 1), torch.argmax(t, 1))
    close(tt.argmin(x), torch.argmin(t))
    close(tt.max(x), torch.max(t))
    close(tt.nansum(x, 1), torch.nansum(t, 1))
    close(tt.nanmean(x, 1), torch.nanmean(t, 1))
    close(tt.nanmean(pair([[np.nan, np.nan]])[0], 1), torch.nanmean(torch.tensor([[np.nan, np.nan]]), 1).double())


def test_gradients_with_ties_match_torch():
    a = [[1.0, 5.0, 5.0, 2.0], [7.0, 7.0, 7.0, 0.0]]
    g = grads(lambda x: tt.amax(x, 1), lambda t: torch.amax(t, 1), a)
    assert g.tolist()[1][:3] != [0.0, 0.0, 0.0]
    grads(lambda x: tt.amin(x, (0, 1), keepdim=True), lambda t: torch.amin(t, (0, 1), keepdim=True), a)
    grads(lambda x: tt.max(x).reshape(1), lambda t: torch.max(t).reshape(1), a)
    grads(lambda x: tt.min(x).reshape(1), lambda t: torch.min(t).reshape(1), [[3.0, 1.0], [1.0, 1.0]])
    grads(lambda x: tt.max(x, 1).values, lambda t: torch.max(t, 1).values, a)
    grads(lambda x: tt.min(x, 0, keepdim=True)[0], lambda t: torch.min(t, 0, keepdim=True)[0], a)


def test_max_dim_grad_fn_names():
    x = tt.ones(2, 3, requires_grad=True)
    assert tt.max(x, 1).values.grad_fn.name() == "MaxBackward0"
    assert tt.max(x, 1).indices.requires_grad is False
    assert tt.max(x).grad_fn.name() == "MaxBackward1"
    assert tt.amax(x, 1).grad_fn.name() == "AmaxBackward0"
    assert tt.sum(x, 1).grad_fn.name() == "SumBackward1"
    assert tt.prod(x, 1).grad_fn.name() == "ProdBackward1"
    assert tt.var(x, 1).grad_fn.name() == "VarBackward0"
    assert tt.logsumexp(x, 1).grad_fn.name() == "LogsumexpBackward0"
    assert tt.norm(x, dim=1).grad_fn.name() == "NormBackward1"
    assert tt.cumsum(x, 1).grad_fn.name() == "CumsumBackward0"


@pytest.mark.parametrize("a", [[[1.5, 0.0, -2.0, 0.5], [0.0, 3.0, 0.0, 1.0], [1.2, -0.7, 0.9, 2.0]],
                               [[0.0, 0.0, 0.0]], [[2.0, 3.0, 0.0]]])
def test_prod_and_cumprod_gradients_with_zeros(a):
    grads(lambda x: tt.prod(x, 1), lambda t: torch.prod(t, 1), a)
    grads(lambda x: tt.prod(x).reshape(1), lambda t: torch.prod(t).reshape(1), a)
    grads(lambda x: tt.cumprod(x, 1), lambda t: torch.cumprod(t, 1), a)
    grads(lambda x: tt.cumprod(x, 0), lambda t: torch.cumprod(t, 0), a)


def test_cumprod_double_backward_with_a_zero():
    a = np.array([1.5, 0.0, -2.0, 0.5])
    x, t = pair(a, requires_grad=True)
    gx, = tt.autograd.grad([tt.cumprod(x, 0).sum()], [x], create_graph=True)
    gt, = torch.autograd.grad([torch.cumprod(t, 0).sum()], [t], create_graph=True)
    close(gx, gt)
    hx, = tt.autograd.grad([(gx * gx).sum()], [x])
    ht, = torch.autograd.grad([(gt * gt).sum()], [t])
    close(hx, ht)


@pytest.mark.parametrize("kw", [{}, {"dim": 1}, {"dim": (0, 1), "correction": 0}, {"dim": 0, "unbiased": False},
                                {"dim": 1, "keepdim": True, "correction": 2}])
def test_var_std_values_and_gradients(kw):
    a = np.random.default_rng(1).normal(size=(3, 4))
    x, t = pair(a)
    close(tt.var(x, **kw), torch.var(t, **kw))
    close(tt.std(x, **kw), torch.std(t, **kw))
    grads(lambda x: tt.var(x, **kw).reshape(-1), lambda t: torch.var(t, **kw).reshape(-1), a)
    grads(lambda x: tt.std(x, **kw).reshape(-1), lambda t: torch.std(t, **kw).reshape(-1), a)
    v, m = tt.var_mean(x, **kw)
    vt, mt = torch.var_mean(t, **kw)
    close(v, vt)
    close(m, mt)
    s, m = tt.std_mean(x, **kw)
    close(s, torch.std_mean(t, **kw)[0])


def test_var_legacy_positional_forms_and_constant_std_gradient():
    a = np.arange(6.0).reshape(2, 3)
    x, t = pair(a)
    close(tt.var(x, False), torch.var(t, False))
    close(tt.var(x, 1, False, True), torch.var(t, 1, False, True))
    grads(lambda x: tt.std(x, 1), lambda t: torch.std(t, 1), [[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert math.isnan(tt.var(tt.ones(1)).item())


def test_var_double_backward_matches_torch():
    a = np.random.default_rng(2).normal(size=(2, 5))
    x, t = pair(a, requires_grad=True)
    gx, = tt.autograd.grad([tt.std(x, 1).sum()], [x], create_graph=True)
    gt, = torch.autograd.grad([torch.std(t, 1).sum()], [t], create_graph=True)
    hx, = tt.autograd.grad([(gx * gx).sum()], [x])
    ht, = torch.autograd.grad([(gt * gt).sum()], [t])
    close(hx, ht, 1e-6, 1e-6)


@pytest.mark.parametrize("p", [2, 1, math.inf, -math.inf, 0, 3, 0.5, 1.5, "fro"])
def test_norm_values_and_gradients(p):
    a = np.array([[3.0, -4.0, 0.5, 1.0], [0.25, 2.0, -1.5, -3.0]])
    x, t = pair(a)
    close(tt.norm(x, p), torch.norm(t, p))
    close(tt.norm(x, p, dim=1, keepdim=True), torch.norm(t, p, dim=1, keepdim=True))
    grads(lambda x: tt.norm(x, p, dim=1), lambda t: torch.norm(t, p, dim=1), a)
    grads(lambda x: tt.norm(x, p, dim=(0, 1)).reshape(1), lambda t: torch.norm(t, p, dim=(0, 1)).reshape(1), a)


def test_norm_gradient_at_zero_and_with_ties():
    grads(lambda x: tt.norm(x, dim=1), lambda t: torch.norm(t, dim=1), [[0.0, 0.0], [3.0, 4.0]])
    grads(lambda x: tt.norm(x, math.inf, dim=1), lambda t: torch.norm(t, math.inf, dim=1), [[-2.0, 2.0, 1.0]])
    with pytest.raises(RuntimeError, match="not supported"):
        tt.norm(tt.ones(2, 2), "nuc")


def test_logsumexp_is_stable_and_matches_torch():
    a = np.array([[1000.0, 1000.0, -5.0], [-np.inf, -np.inf, -np.inf], [np.inf, 0.0, 1.0]])
    x, t = pair(a)
    close(tt.logsumexp(x, 1), torch.logsumexp(t, 1))
    close(tt.logsumexp(x, (0, 1)), torch.logsumexp(t, (0, 1)))
    grads(lambda x: tt.logsumexp(x, 1), lambda t: torch.logsumexp(t, 1), [[1000.0, 1000.0, -5.0], [1.0, 2.0, 3.0]])
    close(tt.logsumexp(tt.tensor([[1, 2], [3, 4]]), 0), torch.logsumexp(torch.tensor([[1, 2], [3, 4]]), 0))


def test_cumsum_values_dtype_and_gradient():
    a = np.random.default_rng(3).normal(size=(3, 4))
    x, t = pair(a)
    close(tt.cumsum(x, -1), torch.cumsum(t, -1))
    close(tt.cumsum(x, 0, dtype=tt.float32), torch.cumsum(t, 0, dtype=torch.float32), 1e-6, 1e-6)
    grads(lambda x: tt.cumsum(x, 1), lambda t: torch.cumsum(t, 1), a)
    x, t = pair(a, requires_grad=True)
    gx, = tt.autograd.grad([(tt.cumsum(x, 0) ** 2).sum()], [x], create_graph=True)
    gt, = torch.autograd.grad([(torch.cumsum(t, 0) ** 2).sum()], [t], create_graph=True)
    close(tt.autograd.grad([gx.sum()], [x])[0], torch.autograd.grad([gt.sum()], [t])[0])


def test_isclose_allclose_equal():
    a = [1.0, np.nan, np.inf, -np.inf, 1.0, 2.0]
    b = [1.0, np.nan, np.inf, np.inf, 1.0 + 1e-6, 2.1]
    (x, t), (y, u) = pair(a), pair(b)
    close(tt.isclose(x, y), torch.isclose(t, u))
    close(tt.isclose(x, y, equal_nan=True), torch.isclose(t, u, equal_nan=True))
    close(tt.isclose(x, y, rtol=0.1, atol=0.0), torch.isclose(t, u, rtol=0.1, atol=0.0))
    xi, ti = pair([[1, 2, 3]], "int64")
    yi, ui = pair([2, 2, 5], "int64")
    close(tt.isclose(xi, yi, atol=1), torch.isclose(ti, ui, atol=1))
    assert tt.allclose(x[:1], tt.ones(1, dtype=tt.float64))
    assert not tt.allclose(x, y) and tt.allclose(x, x, equal_nan=True) and not tt.allclose(x, x)
    assert tt.equal(xi, xi.clone()) and not tt.equal(xi, yi) and not tt.equal(xi, xi.reshape(3, 1))
    assert tt.equal(xi, xi.to(tt.float32)) == torch.equal(ti, ti.float())


def test_out_arguments():
    x = tt.tensor([[1.0, 2.0], [3.0, 4.0]])
    o = tt.zeros(5)
    assert tt.sum(x, 1, out=o) is o and o.tolist() == [3.0, 7.0]
    o64 = tt.zeros(2, dtype=tt.float64)
    tt.mean(x, 0, out=o64)
    assert o64.tolist() == [2.0, 3.0]
    oi = tt.zeros(2, dtype=tt.int64)
    tt.argmax(x, 0, out=oi)
    assert oi.tolist() == [1, 1]


# ---- properties vs numpy on random shapes and dim subsets ---------------------------------------
@st.composite
def shape_and_dims(draw, min_size=0):
    shape = tuple(draw(st.lists(st.integers(min_size, 4), min_size=0, max_size=4)))
    nd = len(shape)
    dims = draw(st.lists(st.integers(0, nd - 1), unique=True, max_size=nd)) if nd else []
    neg = draw(st.booleans())
    dims = tuple(d - nd if neg else d for d in dims)
    return shape, dims, draw(st.booleans())


def _np_axis(shape, dims):
    return tuple(d % len(shape) for d in dims) if dims else None


@settings(max_examples=60, deadline=None)
@given(shape_and_dims(), st.integers(0, 2 ** 31 - 1))
def test_property_sum_mean_var_vs_numpy(sdk, seed):
    shape, dims, keepdim = sdk
    a = np.random.default_rng(seed).normal(size=shape)
    x = tt.tensor(a)
    ax = _np_axis(shape, dims)
    d = dims if dims else None
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(tt.sum(x, d, keepdim).numpy(), np.sum(a, axis=ax, keepdims=keepdim),
                                   rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(tt.mean(x, d, keepdim).numpy(), np.mean(a, axis=ax, keepdims=keepdim),
                                   rtol=1e-10, atol=1e-10, equal_nan=True)
        n = a.size if ax is None else int(np.prod([shape[i] for i in ax]))
        exp_var = np.var(a, axis=ax, keepdims=keepdim, ddof=1) if n > 1 else np.full(
            np.sum(a, axis=ax, keepdims=keepdim).shape, np.nan)
        np.testing.assert_allclose(tt.var(x, d, keepdim=keepdim).numpy(), exp_var, rtol=1e-9, atol=1e-10,
                                   equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(shape_and_dims(min_size=1), st.integers(0, 2 ** 31 - 1))
def test_property_amax_amin_vs_numpy(sdk, seed):
    shape, dims, keepdim = sdk
    a = np.random.default_rng(seed).integers(-3, 4, size=shape).astype(np.float32)
    x = tt.tensor(a)
    ax = _np_axis(shape, dims)
    np.testing.assert_array_equal(tt.amax(x, dims, keepdim).numpy(), np.amax(a, axis=ax, keepdims=keepdim))
    np.testing.assert_array_equal(tt.amin(x, dims, keepdim).numpy(), np.amin(a, axis=ax, keepdims=keepdim))
    if x.numel():
        xg = tt.tensor(a.astype(np.float64), requires_grad=True)
        tt.amax(xg, dims, keepdim).sum().backward()
        # ties share the gradient: each reduced slice's gradient sums to one
        np.testing.assert_allclose(np.sum(xg.grad.numpy(), axis=ax), np.ones(np.sum(a, axis=ax).shape))
