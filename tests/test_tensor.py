"""Tensor core API vs PyTorch: repr, conversions, sizes, legacy API, pickling/deepcopy."""
import copy
import pickle

import pytest
import torch

import tritorch as tt

REPR_CASES = [
    lambda m: m.tensor([1.5, 2.25]),
    lambda m: m.tensor([1.0, 2.0]),
    lambda m: m.tensor([1, 2, 3]),
    lambda m: m.tensor([-5, 100, 7]),
    lambda m: m.tensor([True, False]),
    lambda m: m.tensor([[True, False], [False, True]]),
    lambda m: m.tensor(3.5),
    lambda m: m.tensor(3),
    lambda m: m.tensor(True),
    lambda m: m.tensor(-0.0),
    lambda m: m.tensor(1e-10),
    lambda m: m.tensor(2.5, dtype=m.float64),
    lambda m: m.tensor([1.5, 2.0], dtype=m.float16),
    lambda m: m.tensor([1.5, 2.0], dtype=m.bfloat16),
    lambda m: m.tensor([65504.0], dtype=m.float16),
    lambda m: m.tensor([1.5, 2.0], dtype=m.float64),
    lambda m: m.tensor([1, 2], dtype=m.int32),
    lambda m: m.tensor([1, 2], dtype=m.uint8),
    lambda m: m.tensor([1, 2], dtype=m.int8),
    lambda m: m.zeros(0),
    lambda m: m.zeros(0, 3),
    lambda m: m.zeros(0, dtype=m.int32),
    lambda m: m.zeros(0, dtype=m.int64),
    lambda m: m.zeros(0, dtype=m.bool),
    lambda m: m.zeros(2, 0, dtype=m.float64),
    lambda m: m.zeros(1, 1, 1),
    lambda m: m.arange(24.0).view(2, 3, 4),
    lambda m: m.arange(2000.0),
    lambda m: m.arange(2000),
    lambda m: m.arange(3000.0).view(30, 100),
    lambda m: m.arange(1200).view(2, 600) % 7,
    lambda m: m.arange(100.0) * 1.5,
    lambda m: m.arange(40.0).view(2, 20) / 3,
    lambda m: m.tensor([1e-5, 1.0]),
    lambda m: m.tensor([1e10, 1.0]),
    lambda m: m.tensor([100000.0, 1.0]),
    lambda m: m.tensor([0.1, 1000.5]),
    lambda m: m.tensor([1.0, float("nan"), float("inf"), -float("inf")]),
    lambda m: m.tensor([-1.5, 2.0]),
    lambda m: m.tensor([[1.123456, -2.5], [3.0, 4.0]]),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True) + 1,
    lambda m: (m.tensor([1.0, 2.0], requires_grad=True) * 2).sum(),
    lambda m: m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True),
    lambda m: m.tensor([1.0, 2.0], dtype=m.float16, requires_grad=True) * 3,
    lambda m: m.arange(30.0, requires_grad=True).view(3, 10) * 1.5,
]


@pytest.mark.parametrize("i", range(len(REPR_CASES)))
def test_repr_matches_torch(i):
    expected = repr(REPR_CASES[i](torch)).replace("torch.", "tritorch.")
    got = repr(REPR_CASES[i](tt))
    assert got == expected
    assert str(REPR_CASES[i](tt)) == expected


def test_repr_respects_printoptions():
    try:
        tt.set_printoptions(precision=2)
        torch.set_printoptions(precision=2)
        assert repr(tt.tensor([1.23456])) == repr(torch.tensor([1.23456]))
        tt.set_printoptions(sci_mode=True)
        torch.set_printoptions(sci_mode=True)
        assert repr(tt.tensor([1.5])) == repr(torch.tensor([1.5]))
    finally:
        tt.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_size_type():
    s = tt.zeros(2, 3).shape
    assert isinstance(s, tt.Size) and isinstance(s, tuple)
    assert s == (2, 3) and s.numel() == 6 and repr(s) == "tritorch.Size([2, 3])"
    assert isinstance(s[1:], tt.Size) and tt.zeros(2, 3).size() == s and tt.zeros(2, 3).size(-1) == 3
    assert tt.Size([2]) + (3,) == tt.Size([2, 3])
    assert pickle.loads(pickle.dumps(s)) == s


def test_basic_properties():
    x = tt.zeros(2, 3, 4)
    assert x.dim() == x.ndim == 3 and x.numel() == 24 and len(x) == 2
    assert x.element_size() == 4 and x.nbytes == 96 and x.is_floating_point()
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(tt.tensor(1.0))


def test_item_and_scalar_conversions():
    assert tt.tensor(2.5).item() == 2.5 and isinstance(tt.tensor(2.5).item(), float)
    assert tt.tensor(3).item() == 3 and isinstance(tt.tensor(3).item(), int)
    assert tt.tensor(True).item() is True
    assert tt.tensor(1.5, dtype=tt.bfloat16).item() == 1.5
    assert float(tt.tensor([2.0])) == 2.0 and int(tt.tensor(7)) == 7
    assert [1, 2, 3][tt.tensor(1)] == 2
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        tt.ones(2).item()
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(tt.ones(2))


@pytest.mark.parametrize("data", [[[1.5, 2.0], [3.0, 4.0]], [1, 2, 3], [True, False], 2.5, [[]]])
def test_tolist_matches_torch(data):
    assert tt.tensor(data).tolist() == torch.tensor(data).tolist()


def test_tolist_half_and_views():
    assert tt.tensor([1.5, 2.0], dtype=tt.bfloat16).tolist() == [1.5, 2.0]
    assert tt.arange(6).view(2, 3).t().tolist() == [[0, 3], [1, 4], [2, 5]]


def test_iteration_yields_views():
    x = tt.arange(6.0).view(3, 2)
    rows = list(x)
    assert len(rows) == 3 and rows[1].tolist() == [2.0, 3.0]
    rows[1].fill_(0)
    assert x.tolist()[1] == [0.0, 0.0]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(tt.tensor(1.0))


def test_numpy_shares_memory():
    x = tt.zeros(3)
    a = x.numpy()
    a[1] = 5
    assert x.tolist() == [0, 5, 0]
    x.add_(1)
    assert a.tolist() == [1, 6, 1]
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        tt.ones(2, requires_grad=True).numpy()


def test_to_and_type_conversions():
    x = tt.tensor([1.7, -2.2])
    assert x.to(tt.int32).dtype is tt.int32 and x.to(tt.int32).tolist() == [1, -2]
    assert x.to("cpu") is x and x.to(tt.float32) is x and x.to(tt.float32, copy=True) is not x
    assert x.to(tt.zeros(1, dtype=tt.float64)).dtype is tt.float64
    assert x.to(dtype=tt.float16, device="cpu").dtype is tt.float16
    assert x.type() == "tritorch.FloatTensor" and x.long().type() == "tritorch.LongTensor"
    assert x.type(tt.float64).dtype is tt.float64
    assert x.type("torch.DoubleTensor").dtype is tt.float64
    assert x.double().dtype is tt.float64 and x.half().dtype is tt.float16 and x.bool().dtype is tt.bool
    assert x.int().dtype is tt.int32 and x.byte().dtype is tt.uint8 and x.bfloat16().dtype is tt.bfloat16
    assert x.type_as(tt.zeros(1, dtype=tt.int16)).dtype is tt.int16


def test_legacy_constructors():
    a = tt.Tensor([1, 2])
    assert a.dtype is tt.float32 and a.tolist() == [1.0, 2.0]
    assert tuple(tt.Tensor(2, 3).shape) == (2, 3)
    assert tt.FloatTensor([1]).dtype is tt.float32 and tt.LongTensor([1]).dtype is tt.int64
    assert isinstance(tt.zeros(1, dtype=tt.int64), tt.LongTensor)


def test_requires_grad_flags():
    x = tt.zeros(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad


def test_pickle_roundtrip_keeps_values_dtype_and_requires_grad():
    for t in (tt.tensor([[1.5, 2.0]], requires_grad=True), tt.arange(5, dtype=tt.int16),
              tt.tensor([1.5], dtype=tt.bfloat16), tt.arange(6.0).view(2, 3).t(), tt.tensor(3.0)):
        r = pickle.loads(pickle.dumps(t))
        assert r.dtype is t.dtype and tuple(r.shape) == tuple(t.shape)
        assert r.requires_grad == t.requires_grad and r.tolist() == t.tolist()


def test_deepcopy_leaf_copies_data_and_grad():
    x = tt.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    y = copy.deepcopy(x)
    assert y.requires_grad and y.grad.tolist() == [2.0, 2.0]
    y.data.add_(1)
    assert x.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)


def test_stride_storage_offset_data_ptr():
    x = tt.zeros(3, 4)
    v = x.narrow(1, 1, 2)
    assert v.stride() == (4, 1) and v.stride(0) == 4 and v.storage_offset() == 1
    assert v.data_ptr() == x.data_ptr() + 4
    assert not v.is_contiguous() and x.is_contiguous()
