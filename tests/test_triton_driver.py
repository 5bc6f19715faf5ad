"""tritorch's Triton driver: the device and stream of every launch come from tritorch, with or
without PyTorch in the process, on every supported Triton (CI runs this file under the newest
Triton and under 3.6).

No GPU is needed: `tests._fake_cuda` replaces the libcuda boundary (the driver probe, cuda.core,
Triton's C helper modules); Triton's JIT compiles each kernel for the fake card's sm_90 and hands
the launch to the fake launcher, which records the stream and checks the calling thread's context.
"""
import json
import os
import subprocess
import sys
import threading

import pytest
import triton
from triton.backends.nvidia.driver import CudaDriver
from triton.runtime import driver as triton_driver

import tritorch as tt
from tritorch.cuda import _triton_driver

from ._fake_cuda import FakeGPU

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRITON = tuple(int(p) for p in triton.__version__.split(".")[:2])


def test_stock_driver_cannot_serve_a_cpu_torch_process():
    """The premise: with a CPU-only PyTorch imported, Triton's own NVIDIA driver reports itself
    inactive on every supported version (so Triton alone finds "0 active drivers")."""
    import torch
    if torch.cuda.is_available():
        pytest.skip("PyTorch with CUDA: the stock driver serves this process")
    assert not CudaDriver.is_active()


def test_runtime_installs_tritorch_driver(fake_gpu):
    assert tt.cuda.is_available() and tt.cuda.device_count() == 2
    active = triton_driver.active
    assert isinstance(active, _triton_driver.TritorchCudaDriver)
    assert active is _triton_driver.install()  # once
    assert active.is_active()
    target = active.get_current_target()
    assert (target.backend, target.arch, target.warp_size) == ("cuda", 90, 32)
    assert active.get_current_device() == 0
    assert active.get_current_stream(0) == fake_gpu.stream_handle(0)


def test_set_device_moves_triton_launches(fake_gpu):
    active = triton_driver.active
    tt.cuda.set_device(1)
    assert tt.cuda.current_device() == 1 == active.get_current_device()
    assert active.get_current_stream(1) == fake_gpu.stream_handle(1)
    assert fake_gpu.current() == 1
    active.set_current_device(0)
    assert tt.cuda.current_device() == 0 and fake_gpu.current() == 0
    assert active.get_device_capability(1) == (9, 0)


def test_stream_query_makes_context_current_per_thread(fake_gpu):
    active = triton_driver.active
    assert active.get_current_stream(0) == fake_gpu.stream_handle(0)
    seen = {}

    def other():
        seen["stream"] = active.get_current_stream(0)
        seen["current"] = fake_gpu.current()

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen == {"stream": fake_gpu.stream_handle(0), "current": 0}
    assert (t.ident, 0) in fake_gpu.set_current_calls


@pytest.mark.parametrize("torch_mode", ["no-torch", "torch"])
def test_kernels_launch_on_tritorch_device_and_stream(torch_mode):
    """A fresh process (without torch, or with PyTorch imported first) compiles and
    launches real tritorch kernels through Triton's JIT on tritorch's device and stream, from the
    main thread and from a second thread."""
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    proc = subprocess.run([sys.executable, "-m", "tests._fake_cuda", torch_mode], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["triton"] == triton.__version__
    if (torch_mode == "no-torch" and TRITON < (3, 8)) or (torch_mode == "torch" and not out["torch_cuda"]):
        assert out["stock_driver_active"] is False  # what the tritorch driver works around
    assert out["available"] and out["driver"] == "TritorchCudaDriver"
    assert out["target"] == ["cuda", 90]
    s0, s1 = FakeGPU().stream_handle(0), FakeGPU().stream_handle(1)
    assert [(d, s) for _, d, s in out["launches_device0"]] == [(0, s0)] * 3  # fill, mul, add
    assert out["device1"] == {"current_device": 1, "launches": [[1, s1]], "tensor_device": "cuda:1"}
    assert out["thread"] == {"errors": [], "set_current": [1], "launches": [1, 1], "frees": [1, 1]}
    assert out["torch_imported"] is (torch_mode == "torch")
