"""Shared fixtures: the ``device`` fixture runs device tests on ``cpu`` and ``cuda``.

``cuda`` is a real GPU when one is visible; otherwise the suite switches on Triton's
interpreter (``TRITON_INTERPRET=1``, before any kernel module is imported) so the same
kernels run on host memory.  ``TRITON_INTERPRET=0`` in the environment keeps a GPU-less run
cpu-only; any other run without a cuda device (or with a ``tritorch.kernels`` that fails to
import) is an error at collection, not a silently cpu-only pass.

``kernels`` and ``cpu_fallback`` are importable only as ``tritorch.kernels`` /
``tritorch.cpu_fallback``: the repository root is on ``sys.path`` under pytest, and importing the
directories as top-level packages would load a second copy of each module (patching it changes
nothing the library runs), so that import raises ImportError here.
"""
import importlib.abc
import os
import signal
import sys
import threading
import zlib

import numpy as np
import pytest

from tritorch.cuda import _runtime

if "TRITON_INTERPRET" not in os.environ and _runtime.mode() is None:
    os.environ["TRITON_INTERPRET"] = "1"
    _runtime._state.clear()

import tritorch as tt  # noqa: E402


class _NoTopLevelCopies(importlib.abc.MetaPathFinder):
    """Refuses ``import kernels`` / ``import cpu_fallback`` (second copies of tritorch's modules)."""
    NAMES = ("kernels", "cpu_fallback")

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.NAMES:
            raise ImportError(f"import tritorch.{fullname}, not {fullname}: the top-level '{fullname}' is a second "
                              f"copy of the module tritorch uses (tests/conftest.py)", name=fullname)
        return None


if not any(isinstance(f, _NoTopLevelCopies) for f in sys.meta_path):
    sys.meta_path.insert(0, _NoTopLevelCopies())
for _name in _NoTopLevelCopies.NAMES:
    if _name in sys.modules:
        raise ImportError(f"import tritorch.{_name}, not {_name}: '{_name}' was imported as a top-level package "
                          f"before tests/conftest.py ({sys.modules[_name]!r})", name=_name)


def _devices():
    """["cpu", "cuda"]; cpu only when ``TRITON_INTERPRET=0`` says so.  An ImportError from
    ``tritorch.kernels`` propagates (it used to drop cuda silently)."""
    import tritorch.kernels as kernels
    if kernels.ARRAY is not None:
        return ["cpu", "cuda"]
    if os.environ.get("TRITON_INTERPRET") == "0":
        return ["cpu"]
    raise RuntimeError(f"tests: no cuda device ({kernels.UNAVAILABLE}); set TRITON_INTERPRET=0 to run the suite "
                       f"cpu-only on purpose")


DEVICES = _devices()


def pytest_addoption(parser):
    parser.addoption("--shard", default=None, metavar="K/N",
                     help="run only shard K (0-based) of N, split by a hash of each test id (scripts/gpu_check.py)")
    parser.addoption("--per-test-timeout", type=float, default=0.0, metavar="SECONDS",
                     help="fail a test whose call runs longer than this (SIGALRM; 0: no limit)")


# Cuda variants too slow in Triton's interpreter for the default suite: there they join the `slow`
# run (their cpu variants stay, and the op table's cuda cases still cover the kernels they reach);
# on a real GPU they are fast and stay in (scripts/gpu_check.py runs `-m "not slow" -k cuda`).
_SLOW_ON_CUDA = (
    "tests/test_init.py::test_trunc_normal",
    "tests/test_attention.py::test_small_blocks_cuda",
    "tests/test_vision.py::test_resnet18_forward",
    "tests/test_loss.py::test_pointwise_losses_match_torch[cuda-kl_div",
    "tests/test_loss.py::test_pointwise_losses_match_torch[cuda-binary_cross_entropy_with_logits-weight-pos_weight]",
    "tests/test_loss.py::test_pointwise_broadcast_warning_and_half[cuda]",
    # The optimizers' cuda trajectories (~25 s interpreted; the op table runs every fused update
    # kernel on cuda) and the cosine-distance triplet variants (the same kernels as the others).
    "tests/test_optim.py::test_trajectory_float64[cuda-",
    "tests/test_nn_loss.py::test_loss_matches_torch[cuda-TripletDistance-cos-swap-",
)


def pytest_collection_modifyitems(config, items):
    # Runs before the `-m` selection (conftest hooks come first), so the mark deselects.
    if _runtime.interpreted():
        for it in items:
            if "[cuda" in it.nodeid and it.nodeid.startswith(_SLOW_ON_CUDA):
                it.add_marker(pytest.mark.slow)
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
