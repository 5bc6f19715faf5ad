"""Creation ops vs torch (values and dtypes), from_numpy memory sharing, legacy
constructors, and errors."""
import numpy as np
import pytest
import torch

import tritorch as tt


def _same(x, t):
    assert str(x.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (x.dtype, t.dtype)
    assert tuple(x.shape) == tuple(t.shape)
    np.testing.assert_array_equal(np.asarray(x.tolist(), dtype=np.float64), t.to(torch.float64).numpy())


@pytest.mark.parametrize("data", [
    [1, 2, 3], [1.5, 2], [1, 2.5], [[1, 2], [3, 4]], [True, False], 3, 2.5, True, [], [[]],
    [[1.0, 2.0], [3.0, 4.0]], [True, 2], np.int32(4), np.float64(1.5),
])
def test_tensor_infers_dtype_like_torch(data):
    _same(tt.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("np_dtype", [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
                                      np.uint8, np.bool_])
def test_tensor_from_numpy_keeps_dtype_and_copies(np_dtype):
    a = np.arange(6).reshape(2, 3).astype(np_dtype)
    x = tt.tensor(a)
    _same(x, torch.tensor(a))
    a.reshape(-1)[0] = 1
    assert x.tolist()[0][0] == 0, "tensor() must copy"


def test_tensor_dtype_and_requires_grad():
    x = tt.tensor([1, 2], dtype=tt.float64, requires_grad=True)
    assert x.dtype is tt.float64 and x.requires_grad and x.is_leaf
    _same(tt.tensor([1.7, -1.7], dtype=tt.int32), torch.tensor([1.7, -1.7], dtype=torch.int32))
    _same(tt.tensor([0.1, 1e-3], dtype=tt.bfloat16), torch.tensor([0.1, 1e-3], dtype=torch.bfloat16))
    with pytest.raises(RuntimeError, match="floating point"):
        tt.tensor([1, 2], requires_grad=True)


def test_tensor_of_tensors_and_0d():
    t = tt.tensor(3.5)
    assert t.shape == () and t.ndim == 0 and t.item() == 3.5
    x = tt.tensor([tt.tensor(1.0), tt.tensor(2.0)])
    assert x.tolist() == [1.0, 2.0] and x.dtype is tt.float32
    y = tt.tensor(x)
    y.add_(1)
    assert x.tolist() == [1.0, 2.0]


def test_tensor_errors():
    with pytest.raises(ValueError):
        tt.tensor([[1, 2], [3]])
    with pytest.raises(TypeError):
        tt.tensor("abc")
    with pytest.raises(TypeError):
        tt.tensor(np.zeros(2, dtype=np.complex64))


def test_from_numpy_shares_memory_both_ways():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = tt.from_numpy(a)
    assert x.dtype is tt.float32 and x.shape == (2, 3)
    a[0, 0] = 10
    assert x.tolist()[0][0] == 10
    x.add_(1)
    assert a[1, 2] == 6
    assert x.numpy() is a or np.shares_memory(x.numpy(), a)


def test_from_numpy_non_contiguous_view_shares_memory():
    a = np.arange(12, dtype=np.int64).reshape(3, 4)
    x = tt.from_numpy(a[:, ::2])
    assert x.tolist() == [[0, 2], [4, 6], [8, 10]]
    assert x.stride() == (4, 2)
    x.mul_(-1)
    assert a[2, 2] == -10 and a[2, 3] == 11


def test_from_numpy_errors():
    with pytest.raises(ValueError, match="negative"):
        tt.from_numpy(np.arange(4)[::-1])
    with pytest.raises(TypeError, match="can't convert np.ndarray of type"):
        tt.from_numpy(np.zeros(2, dtype=np.uint16))
    with pytest.raises(TypeError):
        tt.from_numpy([1, 2])


def test_as_tensor_shares_only_without_conversion():
    a = np.ones(3, dtype=np.float32)
    x = tt.as_tensor(a)
    a[0] = 5
    assert x.tolist()[0] == 5
    y = tt.as_tensor(a, dtype=tt.float64)
    a[1] = 7
    assert y.tolist()[1] == 1
    t = tt.tensor([1.0])
    assert tt.as_tensor(t) is t
    assert tt.as_tensor([1, 2]).dtype is tt.int64


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
def test_zeros_ones_empty_shapes_and_dtypes(fn):
    for args in [(2, 3), ((2, 3),), ([4],), ((),)]:
        x = getattr(tt, fn)(*args)
        t = getattr(torch, fn)(*args)
        assert tuple(x.shape) == tuple(t.shape) and x.dtype is tt.float32
    assert getattr(tt, fn)(2, dtype=tt.int8).dtype is tt.int8
    x = getattr(tt, fn)(2, 2, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        getattr(tt, fn)(2, -1)


@pytest.mark.parametrize("value", [2, 2.5, True, -1])
def test_full_infers_dtype(value):
    _same(tt.full((2, 2), value), torch.full((2, 2), value))
    _same(tt.full((3,), value, dtype=tt.int16), torch.full((3,), value, dtype=torch.int16))


def test_full_overflow_and_wrap_like_torch():
    _same(tt.full((2,), -1, dtype=tt.uint8), torch.full((2,), -1, dtype=torch.uint8))
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without overflow"):
        tt.full((2,), 300, dtype=tt.uint8)
    with pytest.raises(RuntimeError, match="without overflow"):
        tt.zeros(2, dtype=tt.int8).fill_(200)
    with pytest.raises(RuntimeError, match="c10::Half"):
        tt.full((1,), 1e6, dtype=tt.float16)
    assert tt.full((1,), float("inf"), dtype=tt.float16).tolist() == [float("inf")]


def test_like_and_new_keep_dtype_and_device():
    x = tt.tensor([[1, 2], [3, 4]], dtype=tt.int16)
    for r in (tt.zeros_like(x), tt.ones_like(x), tt.empty_like(x), tt.full_like(x, 7)):
        assert r.dtype is tt.int16 and r.shape == (2, 2)
    assert tt.full_like(x, 7).tolist() == [[7, 7], [7, 7]]
    assert tt.ones_like(x, dtype=tt.float64).dtype is tt.float64
    assert x.new_zeros(3).dtype is tt.int16 and x.new_ones((1, 2)).tolist() == [[1, 1]]
    assert x.new_full((2,), 5).tolist() == [5, 5]
    assert x.new_tensor([1.7]).dtype is tt.int16
    assert x.new_empty(0, 2).shape == (0, 2)


@pytest.mark.parametrize("args,kwargs", [
    ((5,), {}), ((2, 9, 3), {}), ((0, 1, 0.1), {}), ((1.0, -1.0, -0.3), {}), ((10,), {"dtype": torch.float64}),
    ((-2.5, 2.5, 0.5), {}), ((0, 5, 2), {"dtype": torch.float32}), ((0.5, 4), {}), ((0, 5.5), {"dtype": torch.int64}),
    ((3, 3), {}), ((0, 1, 0.3), {"dtype": torch.float16}),
])
def test_arange_like_torch(args, kwargs):
    t = torch.arange(*args, **kwargs)
    kw = {k: getattr(tt, str(v).split(".")[-1]) for k, v in kwargs.items()}
    x = tt.arange(*args, **kw)
    assert str(x.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(x.shape) == tuple(t.shape)
    np.testing.assert_allclose(np.asarray(x.tolist(), np.float64), t.to(torch.float64).numpy(), rtol=1e-6)


def test_arange_errors():
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        tt.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        tt.arange(0, 1, 0.5, dtype=tt.int64)
    with pytest.raises(RuntimeError, match="upper bound and larger bound inconsistent with step sign"):
        tt.arange(0, 5, -1)


@pytest.mark.parametrize("dt", ["float32", "float64", "int64"])
def test_linspace_logspace_like_torch(dt):
    for args in [(0, 1, 7), (-3.3, 5.1, 11), (5, -5, 4), (1, 1, 1), (0, 1, 0)]:
        t = torch.linspace(*args, dtype=getattr(torch, dt))
        x = tt.linspace(*args, dtype=getattr(tt, dt))
        np.testing.assert_allclose(np.asarray(x.tolist(), np.float64), t.to(torch.float64).numpy(), rtol=1e-6,
                                   atol=1e-6)
        assert str(x.dtype).split(".")[-1] == dt
    t = torch.logspace(0, 2, 5, base=2.0)
    np.testing.assert_allclose(tt.logspace(0, 2, 5, base=2.0).tolist(), t.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="non-negative"):
        tt.linspace(0, 1, -1)


def test_eye():
    _same(tt.eye(3), torch.eye(3))
    _same(tt.eye(2, 4, dtype=tt.int64), torch.eye(2, 4, dtype=torch.int64))
    _same(tt.eye(3, dtype=tt.bool), torch.eye(3, dtype=torch.bool))
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0, got -1"):
        tt.eye(-1)


def test_out_argument_resizes():
    out = tt.empty(0)
    r = tt.zeros(2, 3, out=out)
    assert r is out and out.shape == (2, 3) and out.tolist() == [[0.0] * 3] * 2
    out = tt.empty(1, dtype=tt.int64)
    tt.arange(4, out=out)
    assert out.tolist() == [0, 1, 2, 3]


def test_legacy_constructors():
    x = tt.Tensor([1, 2])
    assert x.dtype is tt.float32 and x.tolist() == [1.0, 2.0]
    assert tt.Tensor(2, 3).shape == (2, 3) and tt.Tensor(2, 3).dtype is tt.float32
    assert tt.Tensor().shape == (0,)
    assert tt.Tensor(np.array([1, 2])).dtype is tt.float32
    with pytest.raises(TypeError, match="must be a sequence"):
        tt.Tensor(2.5)
    lt = tt.LongTensor([1, 2])
    assert lt.dtype is tt.int64 and isinstance(lt, tt.LongTensor) and isinstance(lt, tt.Tensor)
    assert not isinstance(lt, tt.FloatTensor)
    assert isinstance(tt.zeros(2), tt.FloatTensor)
    assert tt.ByteTensor(2).dtype is tt.uint8 and tt.BoolTensor([True]).dtype is tt.bool
    assert tt.DoubleTensor([1]).type() == "tritorch.DoubleTensor"
    names = {tt.float32: "FloatTensor", tt.float64: "DoubleTensor", tt.float16: "HalfTensor",
             tt.bfloat16: "BFloat16Tensor", tt.int64: "LongTensor", tt.int32: "IntTensor", tt.int16: "ShortTensor",
             tt.int8: "CharTensor", tt.uint8: "ByteTensor", tt.bool: "BoolTensor"}
    for dt, name in names.items():
        assert tt.zeros(1, dtype=dt).type() == "tritorch." + name
        assert isinstance(tt.zeros(1, dtype=dt), getattr(tt, name))


def test_scalar_tensor_and_empty_strided():
    s = tt.scalar_tensor(3)
    assert s.shape == () and s.dtype is tt.float32 and s.item() == 3.0
    e = tt.empty_strided((2, 3), (1, 2))
    assert e.shape == (2, 3) and e.stride() == (1, 2)
