"""Issue 12 regressions: wrongly typed arguments get PyTorch's TypeError naming the argument, and
what PyTorch rejects (keepdim=1, bool inputs to selections, squeeze(None)) is rejected here too
(items 9, 10, 12)."""
import math
import warnings

import numpy as np
import pytest
import torch

import tritorch as tt


def _raises_like_torch(ours, theirs, match=None):
    with pytest.raises(Exception) as t:
        theirs()
    with pytest.raises(type(t.value), match=match) as o:
        ours()
    return str(o.value), str(t.value)


@pytest.mark.parametrize("name, bad", [("sum", None), ("all", True), ("mean", [1.0]), ("amax", "x"),
                                       ("logsumexp", 3), ("broadcast_to", None)])
def test_item9_non_tensor_input_is_a_type_error(name, bad):
    args = ((2,),) if name == "broadcast_to" else ((0,),) if name == "logsumexp" else ()
    with pytest.raises(TypeError):
        getattr(torch, name)(bad, *args)
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'input'( \(position 1\))? must be Tensor, not "):
        getattr(tt, name)(bad, *args)


@pytest.mark.parametrize("call", [
    lambda x: x.sum(0, keepdim=1), lambda x: x.mean(0, keepdim=1), lambda x: x.argmax(0, keepdim=1),
    lambda x: x.max(0, keepdim=1), lambda x: x.median(0, keepdim=1), lambda x: x.logsumexp(0, keepdim=1),
    lambda x: x.kthvalue(1, 0, keepdim=1), lambda x: x.amax(0, keepdim=1), lambda x: x.var(0, keepdim=1),
    lambda x: x.aminmax(dim=0, keepdim=1),
], ids=["sum", "mean", "argmax", "max", "median", "logsumexp", "kthvalue", "amax", "var", "aminmax"])
def test_item12_keepdim_must_be_bool(device, call):
    with pytest.raises(TypeError):
        call(torch.ones(2, 3))
    with pytest.raises(TypeError, match="argument 'keepdim' must be bool, not int"):
        call(tt.ones(2, 3, device=device))


def test_item12_keepdim_bool_still_works(device):
    x = tt.ones(2, 3, device=device)
    assert x.sum(0, keepdim=True).shape == (1, 3) and x.argmax(1, keepdim=False).shape == (2,)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_item12_argmax_rejects_bool(device, op):
    ours, theirs = _raises_like_torch(lambda: getattr(tt.tensor([True, False], device=device), op)(),
                                      lambda: getattr(torch.tensor([True, False]), op)())
    assert ours == theirs


def test_item12_selections_reject_bool(device):
    b = tt.tensor([True, False], device=device)
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        b.kthvalue(1)
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        b.median()
    with pytest.raises(NotImplementedError, match="\"median_out\" not implemented for 'Bool'"):
        b.median(0)
    with pytest.raises(NotImplementedError):
        torch.tensor([True, False]).kthvalue(1)


def test_item12_squeeze_none_is_a_type_error(device):
    x = tt.ones(2, 1, device=device)
    with pytest.raises(TypeError):
        torch.ones(2, 1).squeeze(None)
    with pytest.raises(TypeError, match="squeeze\\(\\): argument 'dim' must be int or tuple of ints, not NoneType"):
        x.squeeze(None)
    with pytest.raises(TypeError):
        tt.squeeze(x, None)
    assert x.squeeze().shape == (2,) and x.squeeze(1).shape == (2,) and x.clone().squeeze_().shape == (2,)


def test_item12_mT_of_0d_is_the_identity_with_a_warning(device):
    x = tt.tensor(3.0, device=device)
    with pytest.warns(UserWarning, match="Tensor.mT is deprecated on 0-D tensors"):
        assert x.mT is x
    with pytest.warns(UserWarning, match="Tensor.mH is deprecated on 0-D tensors"):
        assert x.mH is x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert torch.tensor(3.0).mT.item() == 3.0
    with pytest.raises(RuntimeError, match="Got 1-D tensor"):
        tt.ones(2, device=device).mT


def test_roll_of_0d_names_the_dim(device):
    ours, theirs = _raises_like_torch(lambda: tt.tensor(1.0, device=device).roll(1, 0),
                                      lambda: torch.tensor(1.0).roll(1, 0))
    assert ours == theirs == "Dimension specified as 0 but tensor has no dimensions"


def test_repeated_reduction_dims_message(device):
    ours, theirs = _raises_like_torch(lambda: tt.ones(2, 3, device=device).mean((0, -2)),
                                      lambda: torch.ones(2, 3).mean((0, -2)))
    assert ours == theirs == "dim 0 appears multiple times in the list of dims"


# ---- issue 12 (fuzz follow-up): type checks before value checks --------------------------------
@pytest.mark.parametrize("name", ["sum", "mean", "nanmean", "amax", "amin", "max", "min", "argmax", "argmin", "std",
                                  "var", "norm", "all", "any", "logsumexp", "prod", "nansum", "kthvalue", "median"])
def test_keepdim_int_is_rejected_before_the_dim_range(name, device):
    def call(L, d):
        x = L.tensor([1.0, 2.0], device=d)
        if name == "norm":
            return x.norm(2, 5, keepdim=1)
        if name == "kthvalue":
            return x.kthvalue(1, 5, keepdim=1)
        return getattr(x, name)(5, keepdim=1)
    with pytest.raises(TypeError):
        call(torch, "cpu")
    with pytest.raises(TypeError, match="keepdim"):
        call(tt, device)


@pytest.mark.parametrize("call", [
    lambda L, x: x.topk(1.0), lambda L, x: x.topk(True), lambda L, x: x.kthvalue(1.5), lambda L, x: x.chunk(1.0),
    lambda L, x: x.chunk(2.0, 5), lambda L, x: L.movedim(x, 0.0, 0), lambda L, x: L.movedim(x, 0, 1.5),
    lambda L, x: L.split(x, 1.5), lambda L, x: L.split(x, [1.0, 2]), lambda L, x: x.view(),
])
def test_float_int_arguments_are_type_errors(call, device):
    with pytest.raises(TypeError):
        call(torch, torch.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="must be|invalid combination"):
        call(tt, tt.tensor([1.0, 2.0, 3.0], device=device))


def test_topk_on_bool_is_rejected_after_the_k_range(device):
    for k, exc in ((1, "does not support bool"), (5, "out of range")):
        with pytest.raises(RuntimeError, match=exc):
            torch.tensor([True, False]).topk(k)
        with pytest.raises(RuntimeError, match=exc):
            tt.tensor([True, False], device=device).topk(k)


def test_where_accepts_a_uint8_condition_with_torch_warning(device):
    c = [1, 0, 2]
    want = torch.where(torch.tensor(c, dtype=torch.uint8), torch.tensor([1., 2, 3]), torch.tensor([4., 5, 6]))
    with pytest.warns(UserWarning, match="uint8 condition"):
        got = tt.where(tt.tensor(c, dtype=tt.uint8, device=device), tt.tensor([1., 2, 3], device=device),
                       tt.tensor([4., 5, 6], device=device))
    assert got.tolist() == want.tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = tt.tensor([1., 2, 3], device=device)
        assert x.where(tt.tensor(c, dtype=tt.uint8, device=device), 0.0).tolist() == [1.0, 0.0, 3.0]
    with pytest.raises(RuntimeError, match="boolean"):  # other integer conditions stay errors, as in torch
        tt.where(tt.tensor(c, device=device), 1.0, 0.0)


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_full_reduction_of_empty_is_torch_runtime_error(name, device):
    for kw in ({}, {"dim": ()}) if name.startswith("a") else ({},):
        with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
            getattr(torch, name)(torch.zeros(0, 3), **kw)
        with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
            getattr(tt, name)(tt.zeros(0, 3, device=device), **kw)
    if name.startswith("a"):  # naming the empty dim is still torch's IndexError
        with pytest.raises(IndexError):
            getattr(tt, name)(tt.zeros(0, 3, device=device), dim=(0, 1))


# ---- roll: float shifts / dims are PyTorch's TypeError ------------------------------------------------
@pytest.mark.parametrize("args, kwargs", [((1.5,), {}), ((1,), {"dims": 0.5}), (([1, 2.0],), {"dims": [0, 1]}),
                                          ((1,), {"dims": [0.0]}), ((True,), {})],
                         ids=["float-shift", "float-dim", "float-in-shifts", "float-in-dims", "bool-shift"])
def test_roll_float_shift_or_dim_is_a_type_error(device, args, kwargs):
    with pytest.raises(TypeError, match="roll\\(\\): argument '(shifts|dims)'"):
        torch.arange(6.0).reshape(2, 3).roll(*args, **kwargs)
    with pytest.raises(TypeError, match="roll\\(\\): argument '(shifts|dims)' must be tuple of ints"):
        tt.arange(6.0, device=device).reshape(2, 3).roll(*args, **kwargs)


def test_roll_int_forms_still_work(device):
    x, xt = tt.arange(6.0, device=device).reshape(2, 3), torch.arange(6.0).reshape(2, 3)
    for args, kwargs in [((1,), {}), ((-1,), {"dims": 1}), (((1, 2),), {"dims": (0, 1)}), (([1],), {"dims": [0]})]:
        assert x.roll(*args, **kwargs).tolist() == xt.roll(*args, **kwargs).tolist()


# ---- std / var of non-finite values: NaN on every device (inf - mean is inf - inf) --------------------
@pytest.mark.parametrize("values", [[1.0, math.inf], [math.inf], [math.inf, -math.inf], [1.0, 2.0, -math.inf, 3.0],
                                    [1.0, math.nan], math.inf, math.nan, 2.5],
                         ids=["one-inf", "only-inf", "both-infs", "neg-inf", "nan", "0d-inf", "0d-nan", "0d-finite"])
@pytest.mark.parametrize("correction", [1, 0, -1, 2])
@pytest.mark.parametrize("fn", ["var", "std"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_std_var_of_infinite_values_is_nan_like_torch(device, fn, values, correction, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "degrees of freedom is <= 0"
        want = getattr(torch, fn)(torch.tensor(values, dtype=getattr(torch, dtype)), correction=correction)
        got = getattr(tt, fn)(tt.tensor(values, dtype=getattr(tt, dtype), device=device), correction=correction)
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("fn", ["var", "std"])
def test_std_var_rows_with_inf_along_a_dim(device, fn):
    a = [[1.0, math.inf, 3.0], [1.0, 2.0, 3.0], [-math.inf, 0.5, 2.0]]
    for dim in (0, 1):
        want = getattr(torch, fn)(torch.tensor(a), dim)
        got = getattr(tt, fn)(tt.tensor(a, device=device), dim)
        np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-6, equal_nan=True)
