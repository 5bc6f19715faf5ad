"""Shared fixtures: the ``device`` fixture runs device tests on ``cpu`` and ``cuda``.

``cuda`` is a real GPU when one is visible; otherwise the suite switches on Triton's
interpreter (``TRITON_INTERPRET=1``, before any kernel module is imported) so the same
kernels run on host memory.  ``TRITON_INTERPRET=0`` in the environment keeps a GPU-less run
cpu-only.
"""
import os
import signal
import threading
import zlib

import numpy as np
import pytest

from tritorch.cuda import _runtime

if "TRITON_INTERPRET" not in os.environ and _runtime.mode() is None:
    os.environ["TRITON_INTERPRET"] = "1"
    _runtime._state.clear()

import tritorch as tt  # noqa: E402


def _devices():
    devs = ["cpu"]
    try:
        from tritorch.kernels import ARRAY
        if ARRAY is not None:
            devs.append("cuda")
    except ImportError:
        pass
    return devs


DEVICES = _devices()


def pytest_addoption(parser):
    parser.addoption("--shard", default=None, metavar="K/N",
                     help="run only shard K (0-based) of N, split by a hash of each test id (scripts/gpu_check.py)")
    parser.addoption("--per-test-timeout", type=float, default=0.0, metavar="SECONDS",
                     help="fail a test whose call runs longer than this (SIGALRM; 0: no limit)")


def pytest_collection_modifyitems(config, items):
    shard = config.getoption("--shard")
    if not shard:
        return
    try:
        k, n = (int(v) for v in shard.split("/"))
    except ValueError:
        k, n = -1, 0
    if not 0 <= k < n:
        raise pytest.UsageError(f"--shard={shard}: expected K/N with 0 <= K < N")
    keep = [it for it in items if zlib.crc32(it.nodeid.encode()) % n == k]
    config.hook.pytest_deselected(items=[it for it in items if zlib.crc32(it.nodeid.encode()) % n != k])
    items[:] = keep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    limit = item.config.getoption("--per-test-timeout")
    if not limit or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        pytest.fail(f"test exceeded the per-test timeout of {limit:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(params=DEVICES)
def device(request):
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    tt.manual_seed(0) if hasattr(tt, "manual_seed") else None
    np.random.seed(0)
    yield


@pytest.fixture
def fresh_runtime(monkeypatch):
    """The cuda runtime un-probed and outside interpreter mode (for tests that replace the libcuda
    boundary); its state, Triton's active driver and the current device are restored afterwards."""
    from triton.runtime import driver as triton_driver

    from tritorch import _device
    saved_state, saved_active, saved_index = dict(_runtime._state), triton_driver._active, _device.cuda_index()
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    _runtime._state.clear()
    triton_driver._active = None
    _device.set_cuda_index(saved_index)  # forgets which devices were already checked
    yield _runtime
    _runtime._state.clear()
    _runtime._state.update(saved_state)
    triton_driver._active = saved_active
    _device.set_cuda_index(saved_index)


@pytest.fixture
def fake_gpu(fresh_runtime, monkeypatch):
    """Two fake sm_90 GPUs behind the runtime (see tests/_fake_cuda.py), probed: mode "gpu"."""
    from ._fake_cuda import FakeGPU, install
    gpu = FakeGPU(n=2)
    install(gpu, monkeypatch.setattr)
    assert fresh_runtime.mode() == "gpu"  # the probe installs tritorch's Triton driver
    return gpu
