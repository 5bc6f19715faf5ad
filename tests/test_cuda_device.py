"""The cuda device itself: memory, host copies, views, device queries, default device, errors.

Runs on a real GPU when present, else in Triton's interpreter (see conftest)."""
import gc
import os
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest

import tritorch as tt

pytestmark = pytest.mark.skipif(not tt.cuda.is_available(), reason="no cuda device (GPU or interpreter)")

ALL_DTYPES = [tt.float16, tt.bfloat16, tt.float32, tt.float64, tt.int8, tt.int16, tt.int32, tt.int64,
              tt.uint8, tt.bool]


def test_queries():
    assert tt.cuda.is_available()
    assert tt.cuda.device_count() >= 1
    assert tt.cuda.current_device() == 0
    assert isinstance(tt.cuda.get_device_name(), str) and tt.cuda.get_device_name()
    major, minor = tt.cuda.get_device_capability()
    assert major >= 8 and minor >= 0
    assert tt.cuda.is_bf16_supported()
    tt.cuda.synchronize()
    assert tt.accelerator.is_available() and tt.accelerator.current_accelerator() == tt.device("cuda")
    if tt.cuda.is_interpreted():
        assert "interpreter" in tt.cuda.get_device_name().lower()


def test_device_strings_resolve_to_index():
    x = tt.zeros(2, device="cuda")
    assert x.device == tt.device("cuda:0") and str(x.device) == "cuda:0"
    assert x.device is tt.zeros(1, device=tt.device("cuda", 0)).device
    assert x.is_cuda and not tt.zeros(1).is_cuda
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        tt.zeros(2, device=f"cuda:{tt.cuda.device_count()}")
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        tt.cuda.set_device(tt.cuda.device_count())


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: d.name)
def test_round_trip_every_dtype(dtype):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((3, 5)) * 50).astype(dtype.np) if dtype.is_floating_point else \
        rng.integers(0, 2 if dtype is tt.bool else 100, (3, 5)).astype(dtype.np)
    x = tt.tensor(a, device="cuda")
    assert x.dtype is dtype and x.shape == (3, 5) and x.stride() == (5, 1)
    back = x.cpu()
    assert back.device == tt.device("cpu")
    np.testing.assert_array_equal(back.numpy().view(np.uint8), a.view(np.uint8))
    np.testing.assert_array_equal(np.asarray(x.to("cpu")).view(np.uint8), a.view(np.uint8))
    assert x.tolist() == tt.tensor(a).tolist()


def test_views_share_device_memory():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = tt.tensor(a, device="cuda")
    v = x.permute(2, 0, 1)[1:, :, 1]
    assert v.stride() == (1, 12) and v.storage_offset() == 5
    np.testing.assert_array_equal(v.cpu().numpy(), a.transpose(2, 0, 1)[1:, :, 1])
    assert v.data_ptr() == x.data_ptr() + 5 * 4
    x[1, 2, 3] = 100.0
    assert x.permute(2, 0, 1)[3, 1, 2].item() == 100.0
    assert x._version == v._version


def test_numpy_on_cuda_raises_like_torch():
    x = tt.ones(2, device="cuda")
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy|can't convert cuda"):
        x.numpy()
    np.testing.assert_array_equal(np.asarray(x), np.ones(2, np.float32))


def test_to_cuda_and_back_with_autograd():
    w = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (w.cuda() * 2).sum()
    assert y.device.type == "cuda"
    y.backward()
    assert w.grad.device == tt.device("cpu")
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])
    assert w.to("cuda").to("cuda:0").device == tt.device("cuda:0")
    z = w.detach().to("cuda", tt.float16)
    assert z.dtype is tt.float16 and z.device.type == "cuda"


def test_mixed_devices_raise_naming_both():
    with pytest.raises(RuntimeError, match=r"same device.*(cpu.*cuda:0|cuda:0.*cpu)"):
        tt.ones(2) + tt.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match=r"cpu.*cuda:0|cuda:0.*cpu"):
        tt.cat([tt.ones(2), tt.ones(2, device="cuda")])
    with pytest.raises(RuntimeError, match=r"cpu.*cuda:0|cuda:0.*cpu"):
        tt.ones(2, 2).matmul(tt.ones(2, 2, device="cuda"))


def test_memory_statistics():
    gc.collect()
    tt.cuda.synchronize()
    base = tt.cuda.memory_allocated()
    tt.cuda.reset_peak_memory_stats()
    x = tt.empty(1000, dtype=tt.float32, device="cuda")
    assert tt.cuda.memory_allocated() - base == 4000
    y = tt.empty(250, dtype=tt.float64, device="cuda")
    assert tt.cuda.max_memory_allocated() - base == 6000
    del x, y
    assert tt.cuda.memory_allocated() == base
    assert tt.cuda.max_memory_allocated() - base == 6000
    tt.cuda.reset_peak_memory_stats()
    assert tt.cuda.max_memory_allocated() == base
    tt.cuda.empty_cache()


def test_views_keep_memory_alive():
    gc.collect()
    base = tt.cuda.memory_allocated()
    v = tt.zeros(10, 10, device="cuda")[2]
    assert tt.cuda.memory_allocated() - base == 400
    np.testing.assert_array_equal(v.cpu().numpy(), np.zeros(10, np.float32))
    del v
    assert tt.cuda.memory_allocated() == base


def test_set_default_device():
    try:
        tt.set_default_device("cuda")
        x = tt.ones(3)
        assert x.device == tt.device("cuda:0")
        assert tt.tensor([1, 2]).device.type == "cuda"
        assert tt.arange(4).device.type == "cuda"
        assert tt.get_default_device() == tt.device("cuda:0")
    finally:
        tt.set_default_device("cpu")
    assert tt.ones(1).device == tt.device("cpu")


def test_repr_names_the_device():
    x = tt.tensor([1.0, 2.0], device="cuda")
    assert repr(x) == "tensor([1., 2.], device='cuda:0')"


def test_bfloat16_values_cross_devices_exactly():
    a = np.array([1.0, -2.5, 3.140625, 1e-40, 65504.0], dtype=ml_dtypes.bfloat16)
    x = tt.tensor(a, device="cuda")
    assert x.dtype is tt.bfloat16
    np.testing.assert_array_equal(x.cpu().numpy().view(np.uint16), a.view(np.uint16))
    np.testing.assert_array_equal(x.float().cpu().numpy(), a.astype(np.float32))


def test_unavailable_device_is_a_clear_error():
    """With the interpreter switched off and no GPU, cuda tensors fail with a message that says
    why and how to get the interpreter."""
    code = ("import tritorch as tt\n"
            "if tt.cuda.is_available(): print('GPU'); raise SystemExit\n"
            "try:\n    tt.zeros(2, device='cuda')\nexcept RuntimeError as e:\n    print(e)\n")
    env = dict(os.environ, TRITON_INTERPRET="0")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    if r.stdout.strip() == "GPU":
        pytest.skip("a GPU is visible")
    assert "no cuda device is available" in r.stdout and "TRITON_INTERPRET=1" in r.stdout
