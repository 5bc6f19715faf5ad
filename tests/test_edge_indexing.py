"""Issue 12 regressions in indexing and joining: float index sequences, several ellipses, and
empty tensor lists behave as in PyTorch (items 10, 12)."""
import numpy as np
import pytest
import torch

import tritorch as tt


def _pair(device):
    a = np.arange(6.0).reshape(2, 3)
    return tt.tensor(a, device=device), torch.tensor(a)


@pytest.mark.parametrize("key", [[0.7, 1.2], (np.array([0.0, 1.9]),), ([0.0, 1.0], [1.0, 2.0]), [-1.5]],
                         ids=["list", "ndarray", "two-lists", "negative"])
def test_item12_float_sequences_index_as_truncated_int64(device, key):
    x, xt = _pair(device)
    np.testing.assert_array_equal(x[key].cpu().numpy(), xt[key].numpy())
    y, yt = x.clone(), xt.clone()
    y[key] = 9.0
    yt[key] = 9.0
    np.testing.assert_array_equal(y.cpu().numpy(), yt.numpy())


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 1e30])
def test_item12_float_index_that_does_not_fit_int64(device, bad):
    x, _ = _pair(device)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int64 without overflow"):
        x[[0, bad]]


def test_float_tensor_index_still_rejected(device):
    x, _ = _pair(device)
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        x[tt.tensor([0.0], device=device)]


@pytest.mark.parametrize("key", [(Ellipsis, Ellipsis), (Ellipsis, 1, Ellipsis), (1, Ellipsis, Ellipsis),
                                 (Ellipsis, None, Ellipsis), (Ellipsis, slice(1, None), Ellipsis)],
                         ids=["e-e", "e-1-e", "1-e-e", "e-None-e", "e-slice-e"])
def test_item12_several_ellipses_follow_pytorch(device, key):
    x, xt = _pair(device)
    np.testing.assert_array_equal(x[key].cpu().numpy(), xt[key].numpy())


def test_item12_several_ellipses_too_many_indices(device):
    x, xt = _pair(device)
    with pytest.raises(IndexError):
        xt[..., ..., 1]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[..., ..., 1]


@pytest.mark.parametrize("name", ["hstack", "vstack", "row_stack", "dstack", "column_stack"])
def test_item10_stacking_nothing_names_the_function(name):
    expected = "vstack" if name == "row_stack" else name
    with pytest.raises(RuntimeError, match=f"^{expected} expects a non-empty TensorList$"):
        getattr(tt, name)([])
    with pytest.raises(RuntimeError, match=f"^{expected} expects a non-empty TensorList$"):
        getattr(torch, name)([])


# ---- out-of-range indices: PyTorch's error class and message per op (item 10) --------------------------
def _index_case(m, device, op, idx):
    kw = {} if m is torch else {"device": device}
    x = m.tensor([1.0, 2.0, 3.0], **kw)
    i = m.tensor(idx, **kw)
    src = m.tensor([7.0], **kw) if i.ndim else m.tensor(7.0, **kw)
    return {"gather": lambda: m.gather(x, 0, i.reshape(-1)),
            "gather_0d": lambda: m.gather(m.tensor(1.0, **kw), 0, i),
            "scatter": lambda: m.scatter(x, 0, i, src),
            "scatter_value": lambda: m.scatter(x, 0, i, 5.0),
            "scatter_0d": lambda: m.scatter(m.tensor(1.0, **kw), 0, i, 5.0),
            "scatter_add": lambda: m.scatter_add(x, 0, i, src),
            "scatter_add_": lambda: x.clone().scatter_add_(0, i, src),
            "index_add": lambda: m.index_add(x, 0, i, m.tensor([7.0], **kw)),
            "index_select": lambda: m.index_select(x, 0, i),
            "index_fill": lambda: m.index_fill(x, 0, i, 7.0)}[op]()


@pytest.mark.parametrize("idx", [[3], [-1], [-4], 5, -1], ids=["pos", "neg", "neg-oob", "0d", "0d-neg"])
@pytest.mark.parametrize("op", ["gather", "gather_0d", "scatter", "scatter_value", "scatter_0d", "scatter_add",
                                "scatter_add_", "index_add", "index_select", "index_fill"])
def test_item10_index_out_of_range_error_like_torch(device, op, idx):
    try:
        want = _index_case(torch, device, op, idx).tolist()
    except Exception as e:  # noqa: BLE001 -- PyTorch's error is the oracle
        with pytest.raises(type(e)) as got:
            _index_case(tt, device, op, idx)
        assert str(got.value) == str(e)
        return
    assert _index_case(tt, device, op, idx).tolist() == want


_INDEX_2D = {
    "index_select_d0": lambda m, x, i: x.index_select(0, i),
    "index_select_d1": lambda m, x, i: x.index_select(1, i),
    "index_select_3d_d1": lambda m, x, i: x.reshape(1, 3, 5).index_select(1, i),
    "index_select_3d_d2": lambda m, x, i: x.reshape(1, 3, 5).index_select(2, i),
    "index_add_d1": lambda m, x, i: x.index_add(1, i, m.ones(3, 1, dtype=x.dtype, device=x.device)),
    "index_add_d1_alpha": lambda m, x, i: x.index_add(1, i, m.ones(3, 1, dtype=x.dtype, device=x.device), alpha=2),
    "index_add_3d": lambda m, x, i: x.reshape(3, 5, 1).index_add(1, i, m.ones(3, 1, 1, dtype=x.dtype,
                                                                                  device=x.device)),
    "gather_d1": lambda m, x, i: x.gather(1, i.reshape(1, 1)),
    "scatter_add_d0": lambda m, x, i: x.scatter_add(0, i.reshape(1, 1), m.ones(1, 1, dtype=x.dtype, device=x.device)),
    "index_fill_d1": lambda m, x, i: x.index_fill(1, i, 1.0),
}


@pytest.mark.parametrize("idx", [9, -9], ids=["pos", "neg"])
@pytest.mark.parametrize("case", list(_INDEX_2D))
def test_item10_index_errors_depend_on_rank_dim_and_alpha_like_torch(device, case, idx):
    """PyTorch's CPU kernels differ: index_select along dim 1 of a >= 2-d tensor and index_add on a 2-d
    tensor with alpha 1 raise RuntimeError; the other paths IndexError."""
    f = _INDEX_2D[case]
    with pytest.raises(Exception) as t:
        f(torch, torch.zeros(3, 5), torch.tensor([idx]))
    with pytest.raises(type(t.value)) as o:
        f(tt, tt.zeros(3, 5, device=device), tt.tensor([idx], device=device))
    assert str(o.value) == str(t.value)


def test_item10_gather_scatter_raise_runtime_error_index_select_index_error(device):
    x = tt.zeros(2, 3, device=device)
    with pytest.raises(RuntimeError, match="^index 3 is out of bounds for dimension 1 with size 3$") as e:
        x.gather(1, tt.tensor([[3]], device=device))
    assert not isinstance(e.value, IndexError)
    with pytest.raises(IndexError, match="^index out of range in self$"):
        x.index_select(0, tt.tensor([-1], device=device))


def test_item10_scatter_out_of_range_leaves_self_untouched(device):
    x = tt.zeros(3, device=device)
    with pytest.raises(RuntimeError, match="index -1 is out of bounds"):
        x.scatter_(0, tt.tensor([0, -1], device=device), 1.0)
    assert x.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("idx", [[[-1], [0]], [[2], [-3]], [[5], [-100]], [[1], [0]]],
                         ids=["neg", "wrap", "far", "in-range"])
def test_item10_take_along_dim_wraps_indices_like_torch(device, idx):
    a = [[1.0, 2.0], [3.0, 4.0]]
    want = torch.take_along_dim(torch.tensor(a), torch.tensor(idx), 1)
    got = tt.take_along_dim(tt.tensor(a, device=device), tt.tensor(idx, device=device), 1)
    assert got.tolist() == want.tolist()


def test_item10_take_along_dim_without_dim_does_not_wrap(device):
    with pytest.raises(RuntimeError) as t:
        torch.take_along_dim(torch.ones(2, 2), torch.tensor([-1]))
    with pytest.raises(RuntimeError) as o:
        tt.take_along_dim(tt.ones(2, 2, device=device), tt.tensor([-1], device=device))
    assert str(o.value) == str(t.value) == "index -1 is out of bounds for dimension 0 with size 4"
    with pytest.raises(RuntimeError, match="dtype of indices should be Long but got Int"):
        tt.take_along_dim(tt.ones(2, device=device), tt.tensor([0], dtype=tt.int32, device=device), 0)
