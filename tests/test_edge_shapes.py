"""Edge shapes (0-d and empty tensors) and edge arguments vs PyTorch, on cpu and cuda: regression
tests for issue 12 items 1, 8 and parts of 4, 9 and 10 (named ``test_item<N>_...``).

Each case runs on tritorch and on PyTorch CPU and must agree: same result (shape, dtype, values)
or the same exception type with PyTorch's message (its first lines, without the C++ trace)."""
import numpy as np
import pytest
import torch

import tritorch as tt


def _msg(e):
    return str(e).split("\nException raised from")[0].rstrip("\n")


def _run(f, lib, device):
    try:
        return f(lib, device), None
    except Exception as e:  # noqa: BLE001 -- compared below
        return None, e


def _to_np(t):
    return np.asarray(t.cpu().tolist()).reshape(tuple(t.shape))


def _check_value(got, exp):
    if isinstance(exp, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(exp), (got, exp)
        for g, e in zip(got, exp):
            _check_value(g, e)
        return
    if isinstance(exp, (int, float)):
        assert got == exp
        return
    assert isinstance(got, tt.Tensor), type(got)
    assert tuple(got.shape) == tuple(exp.shape), (tuple(got.shape), tuple(exp.shape))
    assert got.dtype.name == str(exp.dtype).replace("torch.", ""), (got.dtype, exp.dtype)
    np.testing.assert_array_equal(_to_np(got), exp.numpy())


def same_as_torch(f, device):
    """``f(lib, device)`` on tritorch (``device``) and on torch (cpu): same result or same error."""
    got, gerr = _run(f, tt, device)
    exp, eerr = _run(f, torch, "cpu")
    if eerr is not None:
        assert gerr is not None, f"torch raised {type(eerr).__name__}: {_msg(eerr)}; tritorch returned {got}"
        assert type(gerr) is type(eerr), (type(gerr), gerr, type(eerr), eerr)
        assert _msg(gerr) == _msg(eerr)
        return
    if gerr is not None:
        raise AssertionError(f"torch succeeded, tritorch raised {type(gerr).__name__}: {gerr}") from gerr
    _check_value(got, exp)


def _scalar(lib, device, v=3.0, dtype="float64"):
    return lib.tensor(v, dtype=getattr(lib, dtype), device=device)


# ---- item 1: topk(0) on a 0-d tensor and the other sort-family ops on 0-d / empty inputs -------------
def test_item1_topk0_on_0d(device):
    x = tt.tensor(0., dtype=tt.float64, device=device)
    for _ in range(3):  # garbage showed up as whatever the allocator handed back
        v, i = x.topk(0)
        assert v.shape == () and i.shape == () and i.dtype == tt.int64
        assert v.item() == 0.0 and i.item() == 0
    v, i = tt.tensor(5., device=device).topk(0, largest=False)
    assert (v.item(), i.item()) == (5.0, 0)
    v, i = tt.tensor(7, device=device).topk(0, 0)
    assert (v.item(), i.item()) == (7, 0) and v.dtype == tt.int64


SORT_0D = {
    "topk0": lambda L, d: _scalar(L, d).topk(0),
    "topk0_nan": lambda L, d: _scalar(L, d, float("nan")).topk(0),
    "topk0_int": lambda L, d: _scalar(L, d, 4, "int32").topk(0, largest=False),
    "topk1": lambda L, d: _scalar(L, d).topk(1),
    "topk2": lambda L, d: _scalar(L, d).topk(2),
    "topk_dim1": lambda L, d: _scalar(L, d).topk(1, dim=1),
    "kthvalue0": lambda L, d: _scalar(L, d).kthvalue(0),
    "kthvalue1": lambda L, d: _scalar(L, d).kthvalue(1, 0, True),
    "kthvalue2": lambda L, d: _scalar(L, d).kthvalue(2),
    "sort": lambda L, d: _scalar(L, d).sort(),
    "sort_desc": lambda L, d: _scalar(L, d).sort(0, descending=True),
    "argsort": lambda L, d: _scalar(L, d).argsort(),
    "msort": lambda L, d: L.msort(_scalar(L, d)),
    "median": lambda L, d: _scalar(L, d).median(),
    "median_dim": lambda L, d: _scalar(L, d).median(-1, True),
    "max_dim": lambda L, d: _scalar(L, d).max(0),
    "min_dim": lambda L, d: _scalar(L, d).min(-1, keepdim=True),
    "argmax": lambda L, d: _scalar(L, d).argmax(0),
    "aminmax": lambda L, d: _scalar(L, d).aminmax(dim=0),
}


@pytest.mark.parametrize("case", sorted(SORT_0D))
def test_item1_sort_family_on_0d(case, device):
    same_as_torch(SORT_0D[case], device)


SORT_EMPTY = {}
for _shape in ((0,), (2, 0), (0, 3)):
    for _name, _f in {
        "sort": lambda x: x.sort(), "sort0": lambda x: x.sort(0), "argsort": lambda x: x.argsort(),
        "topk0": lambda x: x.topk(0), "topk0_d0": lambda x: x.topk(0, dim=0), "topk1": lambda x: x.topk(1),
        "topk1_d0": lambda x: x.topk(1, dim=0), "kthvalue1": lambda x: x.kthvalue(1),
        "kthvalue1_d0": lambda x: x.kthvalue(1, 0), "kthvalue0": lambda x: x.kthvalue(0),
        "kthvalue5": lambda x: x.kthvalue(5, 0), "median": lambda x: x.median(),
        "median_last": lambda x: x.median(-1), "median0": lambda x: x.median(0), "max_last": lambda x: x.max(-1),
        "max0": lambda x: x.max(0), "min0": lambda x: x.min(0), "min_last": lambda x: x.min(-1),
        "argmax0": lambda x: x.argmax(0), "argmin_last": lambda x: x.argmin(-1),
    }.items():
        SORT_EMPTY[f"{_name}_{'x'.join(map(str, _shape))}"] = (lambda s, f: (
            lambda L, d: f(L.ones(s, dtype=L.float32, device=d))))(_shape, _f)


@pytest.mark.parametrize("case", sorted(SORT_EMPTY))
def test_item1_sort_family_on_empty(case, device):
    same_as_torch(SORT_EMPTY[case], device)


def test_item1_kthvalue_empty_dim_message(device):
    with pytest.raises(IndexError, match=r"^kthvalue\(\): Expected reduction dim 1 to have non-zero size\.$"):
        tt.ones(2, 0, device=device).kthvalue(1)


# ---- item 8: 0-d tensors in split/chunk/tensor_split/unbind/unflatten/size/stride/take_along_dim/flip ---
ZERO_D = {
    "size-1": lambda L, d: _scalar(L, d).size(-1),
    "size0": lambda L, d: _scalar(L, d).size(0),
    "size1": lambda L, d: _scalar(L, d).size(1),
    "stride-1": lambda L, d: _scalar(L, d).stride(-1),
    "stride0": lambda L, d: _scalar(L, d).stride(0),
    "split": lambda L, d: _scalar(L, d).split(1),
    "split_dim5": lambda L, d: _scalar(L, d).split(1, 5),
    "split_list": lambda L, d: L.split(_scalar(L, d), [1]),
    "chunk": lambda L, d: _scalar(L, d).chunk(2),
    "chunk0": lambda L, d: _scalar(L, d).chunk(0),
    "tensor_split": lambda L, d: _scalar(L, d).tensor_split(2),
    "tensor_split_idx": lambda L, d: _scalar(L, d).tensor_split([1]),
    "tensor_split0": lambda L, d: _scalar(L, d).tensor_split(0),
    "unbind": lambda L, d: _scalar(L, d).unbind(),
    "unbind-1": lambda L, d: _scalar(L, d).unbind(-1),
    "unbind-2": lambda L, d: _scalar(L, d).unbind(-2),
    "unflatten": lambda L, d: _scalar(L, d).unflatten(0, (1,)),
    "unflatten-1": lambda L, d: _scalar(L, d).unflatten(-1, (1,)),
    "unflatten1": lambda L, d: _scalar(L, d).unflatten(1, (1,)),
    "unflatten_empty_sizes": lambda L, d: _scalar(L, d).unflatten(5, ()),
    "take_along_dim-1": lambda L, d: L.take_along_dim(_scalar(L, d), L.tensor(0, device=d), -1),
    "take_along_dim0": lambda L, d: L.take_along_dim(_scalar(L, d), L.tensor(0, device=d), 0),
    "take_along_dim1": lambda L, d: L.take_along_dim(_scalar(L, d), L.tensor(0, device=d), 1),
    "take_along_dim_none": lambda L, d: L.take_along_dim(_scalar(L, d), L.tensor(0, device=d)),
    "flip-1": lambda L, d: _scalar(L, d).flip([-1]),
    "flip0": lambda L, d: _scalar(L, d).flip(0),
    "flip_empty": lambda L, d: _scalar(L, d).flip([]),
    "flip1": lambda L, d: _scalar(L, d).flip([1]),
    "flip_repeated": lambda L, d: _scalar(L, d).flip([0, -1]),
    "movedim": lambda L, d: _scalar(L, d).movedim(0, -1),
    "movedim_lists": lambda L, d: _scalar(L, d).movedim([-1], [0]),
    "movedim1": lambda L, d: _scalar(L, d).movedim(1, 0),
    "movedim_repeated": lambda L, d: _scalar(L, d).movedim((0, -1), (0, -1)),
    "narrow": lambda L, d: _scalar(L, d).narrow(0, 0, 1),
    "transpose": lambda L, d: _scalar(L, d).transpose(0, -1),
    "transpose1": lambda L, d: _scalar(L, d).transpose(0, 1),
    "flatten1": lambda L, d: _scalar(L, d).flatten(0, 1),
    "flatten": lambda L, d: _scalar(L, d).flatten(-1, 0),
    "squeeze_repeated": lambda L, d: _scalar(L, d).squeeze((0, -1)),
    "squeeze": lambda L, d: _scalar(L, d).squeeze(-1),
}


@pytest.mark.parametrize("case", sorted(ZERO_D))
def test_item8_zero_dim(case, device):
    same_as_torch(ZERO_D[case], device)


def test_item8_zero_dim_messages(device):
    x = tt.tensor(1., device=device)
    with pytest.raises(IndexError, match="^Dimension specified as -1 but tensor has no dimensions$"):
        x.size(-1)
    with pytest.raises(IndexError, match="^Dimension specified as -1 but tensor has no dimensions$"):
        x.stride(-1)
    with pytest.raises(RuntimeError, match="^split expects at least a 1-dimensional tensor$"):
        x.split(1)
    with pytest.raises(RuntimeError, match="^chunk expects at least a 1-dimensional tensor$"):
        x.chunk(2)
    with pytest.raises(RuntimeError, match="^tensor_split expected at least a 1-dimensional tensor, but got a "
                                           "tensor with 0 dims$"):
        x.tensor_split(2)
    with pytest.raises(IndexError, match="^Dimension specified as 0 but tensor has no dimensions$"):
        x.unbind(-1)
    with pytest.raises(RuntimeError, match="Dimension specified as 0 but tensor has no dimensions"):
        x.unflatten(0, (1,))
    with pytest.raises(IndexError, match="^Dimension specified as 0 but tensor has no dimensions$"):
        tt.take_along_dim(x, tt.tensor(0, device=device), -1)
    assert x.flip([-1]).item() == 1.0 and x.movedim(0, -1).item() == 1.0
    assert tt.ones(3, device=device).size(-1) == 3 and tt.ones(2, 3, device=device).stride(-2) == 3


def test_item8_flip_and_movedim_on_0d_grad(device):
    x = tt.tensor(2., device=device, requires_grad=True)
    (x.flip(-1) * 3 + x.movedim(0, -1)).backward()
    assert x.grad.item() == 4.0


# ---- item 4 (part): tensor_split wraps negative indices; any/all over dim=() --------------------------
TENSOR_SPLIT = {
    "neg": lambda L, d: L.tensor_split(L.arange(4, device=d), [-3, 5, 9]),
    "neg2": lambda L, d: L.tensor_split(L.arange(4, device=d), [-9, -1, 2]),
    "big": lambda L, d: L.arange(5, device=d).tensor_split([-100, 100]),
    "tuple": lambda L, d: L.arange(5, device=d).tensor_split((1, 3)),
    "empty_list": lambda L, d: L.arange(5, device=d).tensor_split([]),
    "sections7": lambda L, d: L.arange(5, device=d).tensor_split(7),
    "dim1_neg": lambda L, d: L.arange(12, device=d).reshape(3, 4).tensor_split([-1], dim=-1),
    "tensor_0d": lambda L, d: L.arange(5, device=d).tensor_split(L.tensor(2)),
    "tensor_1d": lambda L, d: L.arange(5, device=d).tensor_split(L.tensor([1, -2])),
    "tensor_float": lambda L, d: L.arange(5, device=d).tensor_split(L.tensor([1.])),
    "tensor_2d": lambda L, d: L.arange(5, device=d).tensor_split(L.tensor([[1]])),
    "tensor_0d_zero": lambda L, d: L.arange(5, device=d).tensor_split(L.tensor(0)),
    "dim_oor": lambda L, d: L.arange(3, device=d).tensor_split(2, 1),
}


@pytest.mark.parametrize("case", sorted(TENSOR_SPLIT))
def test_item4_tensor_split(case, device):
    same_as_torch(TENSOR_SPLIT[case], device)


def test_item4_tensor_split_negative_values(device):
    a, b, c, e = tt.tensor_split(tt.arange(4, device=device), [-3, 5, 9])
    assert (a.tolist(), b.tolist(), c.tolist(), e.tolist()) == ([0], [1, 2, 3], [], [])


ANY_ALL = {
    "any": lambda L, d: L.ones(2, 3, device=d).any(dim=()),
    "all": lambda L, d: L.ones(2, 3, device=d).all(dim=()),
    "any_list_kd": lambda L, d: L.tensor([[0., 2, -1]], device=d).any(dim=[], keepdim=True),
    "all_values": lambda L, d: L.all(L.tensor([[0, 2], [3, 0]], device=d), ()),
    "any_uint8": lambda L, d: L.tensor([0, 3], dtype=L.uint8, device=d).any(dim=()),
    "all_empty": lambda L, d: L.ones(2, 0, device=d).all(dim=()),
    "any_0d": lambda L, d: L.tensor(2., device=d).any(dim=()),
    "all_none": lambda L, d: L.ones(2, 3, device=d).all(dim=None),
    "any_dims": lambda L, d: L.tensor([[0., 2, 0]], device=d).any(dim=(0, 1)),
}


@pytest.mark.parametrize("case", sorted(ANY_ALL))
def test_item4_any_all_empty_dim_list(case, device):
    same_as_torch(ANY_ALL[case], device)


def test_item4_any_all_empty_dim_out(device):
    x = tt.tensor([[0., 2.], [1., 0.]], device=device)
    out = tt.empty(2, 2, dtype=tt.bool, device=device)
    assert tt.any(x, (), out=out) is out
    assert out.tolist() == [[False, True], [True, False]]


# ---- item 10 (part): aminmax over an empty dim ----------------------------------------------------------
AMINMAX = {
    "empty_dim1": lambda L, d: L.ones(2, 0, device=d).aminmax(dim=1),
    "empty_dim-1": lambda L, d: L.ones(2, 0, device=d).aminmax(dim=-1, keepdim=True),
    "empty_dim0": lambda L, d: L.ones(2, 0, device=d).aminmax(dim=0),
    "empty_all": lambda L, d: L.ones(2, 0, device=d).aminmax(),
    "empty_1d": lambda L, d: L.ones(0, device=d).aminmax(dim=0),
    "dim_oor": lambda L, d: L.ones(2, 0, device=d).aminmax(dim=5),
    "dim_tuple": lambda L, d: L.ones(2, 3, device=d).aminmax(dim=()),
    "scalar": lambda L, d: L.tensor(3., device=d).aminmax(dim=0),
    "values": lambda L, d: L.tensor([[1., 5.], [-2., 0.]], device=d).aminmax(dim=1),
}


@pytest.mark.parametrize("case", sorted(AMINMAX))
def test_item10_aminmax(case, device):
    same_as_torch(AMINMAX[case], device)


def test_item10_aminmax_empty_dim_is_index_error(device):
    with pytest.raises(IndexError, match=r"^aminmax: Expected reduction dim 1 to have non-zero size\.$"):
        tt.aminmax(tt.ones(2, 0, device=device), dim=1)


# ---- item 9 (part): tensor_split(0), tensordot(dims=[1, 2]) ----------------------------------------------
def test_item9_tensor_split_zero_sections(device):
    with pytest.raises(RuntimeError, match="^number of sections must be larger than 0, got 0$"):
        tt.arange(4, device=device).tensor_split(0)
    with pytest.raises(RuntimeError, match="^number of sections must be larger than 0, got -1$"):
        tt.arange(4, device=device).tensor_split(-1)


def test_item9_tensordot_int_pair(device):
    a, b = tt.ones(2, 3, device=device), tt.ones(3, 2, device=device)
    with pytest.raises(TypeError, match=r"^tensordot\(\): argument 'dims_self' \(position 3\) must be tuple of "
                                        r"ints, not int$"):
        tt.tensordot(a, b, dims=[1, 2])


def _ones(L, d, *s):
    return L.ones(*s, device=d)


TENSORDOT = {
    "int_pair": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims=[1, 2]),
    "int_pair_tuple": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims=(1, 0)),
    "one_list": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims=[1]),
    "three_lists": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims=[[1], [0], [0]]),
    "float_elem": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims=[[1.0], [0]]),
    "second_int": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims=[[1], 0]),
    "str": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims="ab"),
    "float": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims=1.0),
    "dim_oor": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims=[[5], [0]]),
    "dim_oor_b": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims=[[1], [-3]]),
    "repeated": lambda L, d: L.tensordot(_ones(L, d, 3, 3), _ones(L, d, 3, 3), dims=[[1, -1], [0, 1]]),
    "lengths": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims=[[1], [0, 1]]),
    "mismatch": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims=[[0], [0]]),
    "tensor_dims": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims=L.tensor([[1], [0]])),
    "tensor_0d": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims=L.tensor(1)),
    "tensor_pair": lambda L, d: L.tensordot(_ones(L, d, 2, 3), _ones(L, d, 3, 2), dims=L.tensor([1, 0])),
    "zero_d": lambda L, d: L.tensordot(L.tensor(2., device=d), L.tensor(3., device=d), dims=0),
    "zero_d_dim": lambda L, d: L.tensordot(L.tensor(2., device=d), L.ones(1, device=d), dims=[[-1], [0]]),
    "broadcast_a": lambda L, d: L.tensordot(_ones(L, d, 2, 1), L.arange(6., device=d).reshape(3, 2),
                                            dims=[[1], [0]]),
    "broadcast_b": lambda L, d: L.tensordot(L.arange(6., device=d).reshape(2, 3), _ones(L, d, 1, 2),
                                            dims=[[1], [0]]),
    "broadcast_int": lambda L, d: L.tensordot(L.arange(6, device=d).reshape(2, 3),
                                              L.ones(1, 2, dtype=L.int64, device=d), dims=([1], [0])),
    "dtype": lambda L, d: L.tensordot(_ones(L, d, 2, 3), L.ones(3, 2, dtype=L.float64, device=d),
                                      dims=[[1], [0]]),
    "ok_lists": lambda L, d: L.tensordot(L.arange(6., device=d).reshape(2, 3), L.arange(6., device=d).reshape(3, 2),
                                         dims=([1], [0])),
    "ok_neg": lambda L, d: L.tensordot(L.arange(24., device=d).reshape(2, 3, 4),
                                       L.arange(12., device=d).reshape(4, 3), dims=([-1, 1], [0, -1])),
}


@pytest.mark.parametrize("case", sorted(TENSORDOT))
def test_item9_tensordot_dims(case, device):
    same_as_torch(TENSORDOT[case], device)


def test_expand_beyond_numpy_limit_is_a_clear_error(device):
    """Deliberate difference: PyTorch's ``zeros(1).expand(2**62)`` is a valid stride-0 view, but
    numpy (behind every tritorch array) cannot describe 2**63 bytes or more; tritorch raises a
    RuntimeError naming that limit instead of numpy's ValueError.  Smaller huge views work."""
    assert torch.zeros(1).expand(2 ** 62).shape == (2 ** 62,)
    with pytest.raises(RuntimeError, match=r"expand: .*limit of 2\*\*63 - 1 bytes"):
        tt.zeros(1, device=device).expand(2 ** 62)
    assert tt.zeros(1, dtype=tt.uint8, device=device).expand(2 ** 62).shape == (2 ** 62,)
    assert tt.zeros(1, device=device).expand(2 ** 40).stride() == (0,)


def test_flatten_dim_types_checked_before_range(device):
    with pytest.raises(TypeError):
        torch.flatten(torch.zeros(2, 2), start_dim=-5, end_dim=1.5)
    with pytest.raises(TypeError, match="end_dim"):
        tt.flatten(tt.zeros(2, 2, device=device), start_dim=-5, end_dim=1.5)
