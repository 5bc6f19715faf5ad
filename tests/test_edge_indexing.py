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
