"""tritorch.utils.safetensors against safetensors.torch (the format PyTorch users exchange)."""
import numpy as np
import pytest
import safetensors.torch as st
import torch

import tritorch as tt
from tritorch.utils import safetensors as tst

DTYPES = ["float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def _pair(name):
    a = (np.arange(6).reshape(2, 3) - 2) * 3
    t = torch.tensor(a).to(getattr(torch, name))
    return tt.tensor(t.float().numpy()).to(getattr(tt, name)), t


@pytest.mark.parametrize("name", DTYPES)
def test_save_file_then_torch_load(tmp_path, name):
    x, ref = _pair(name)
    tst.save_file({"x": x}, tmp_path / "m.safetensors", metadata={"format": "pt"})
    got = st.load_file(tmp_path / "m.safetensors")["x"]
    assert got.dtype == ref.dtype and torch.equal(got, ref)


@pytest.mark.parametrize("name", DTYPES)
def test_torch_save_then_load_file_and_bytes(tmp_path, name):
    x, ref = _pair(name)
    st.save_file({"x": ref}, tmp_path / "m.safetensors")
    for got in (tst.load_file(tmp_path / "m.safetensors")["x"], tst.load(st.save({"x": ref}))["x"]):
        assert got.dtype is getattr(tt, name) and got.shape == x.shape
        np.testing.assert_array_equal(got.float().numpy(), ref.float().numpy())
        got[0, 0] = 1  # writable, not the file's read-only bytes


def test_bytes_roundtrip_and_metadata():
    data = tst.save({"a": tt.arange(4.0).to(tt.bfloat16), "b": tt.ones(2, 2, dtype=tt.int64)}, metadata={"k": "v"})
    assert isinstance(data, bytes)
    t = st.load(data)
    assert t["a"].dtype == torch.bfloat16 and t["a"].tolist() == [0.0, 1.0, 2.0, 3.0]
    back = tst.load(data)
    assert back["b"].tolist() == [[1, 1], [1, 1]] and back["a"].dtype is tt.bfloat16


def test_device(tmp_path, device):
    tst.save_file({"x": tt.arange(3.0, device=device)}, tmp_path / "d.safetensors")
    got = tst.load_file(tmp_path / "d.safetensors", device=device)["x"]
    assert got.device.type == device and got.tolist() == [0.0, 1.0, 2.0]


def test_shared_and_noncontiguous_are_refused(tmp_path):
    x = tt.arange(6.0)
    with pytest.raises(RuntimeError, match=r"Some tensors share memory.*\[\{'a', 'b'\}\]|Some tensors share memory"):
        tst.save({"a": x, "b": x.view(2, 3)})
    # disjoint slices of one buffer are not "shared", as in safetensors.torch
    data = tst.save({"a": x[:3], "b": x[3:]})
    assert tst.load(data)["b"].tolist() == [3.0, 4.0, 5.0]
    with pytest.raises(ValueError, match="You are trying to save a non contiguous tensor: `t`"):
        tst.save({"t": x.view(2, 3).t()})
    with pytest.raises(ValueError, match="Key `a` is invalid, expected tritorch.Tensor"):
        tst.save({"a": [1, 2]})


def test_unsupported_dtype_is_refused(tmp_path):
    data = st.save({"u": torch.zeros(3, dtype=torch.uint32)})
    with pytest.raises(TypeError, match="no dtype for the safetensors dtype U32"):
        tst.load(data)
