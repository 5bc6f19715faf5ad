"""The cuda runtime's start-up and bookkeeping: how it decides whether a GPU can be used (and
says why not), device memory totals, out-of-memory errors, and threads.

GPU-side behaviour is tested against `tests._fake_cuda` (the libcuda boundary replaced);
interpreter-mode tests use real (host) device memory and real kernels.
"""
import gc
import pathlib
import re
import threading
import warnings

import numpy as np
import pytest
from triton.backends.nvidia import driver as nvidia

import tritorch as tt
from tritorch.cuda import memory

from ._fake_cuda import FakeGPU, install

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _probe_quietly(runtime):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return runtime.mode()


# --- start-up: which mode, and why not -------------------------------------------------------

def test_no_driver_is_off_without_warning(fresh_runtime, monkeypatch):
    monkeypatch.setattr(fresh_runtime, "_libcuda", lambda: None)
    assert _probe_quietly(fresh_runtime) is None
    assert not tt.cuda.is_available()
    assert "no NVIDIA driver" in tt.cuda.unavailable_reason()
    with pytest.raises(RuntimeError, match="no cuda device is available: no NVIDIA driver"):
        tt.zeros(1, device="cuda")


def test_driver_without_gpu_is_off_without_warning(fresh_runtime, monkeypatch):
    monkeypatch.setattr(fresh_runtime, "_libcuda", lambda: (100, 0, 12080))  # CUDA_ERROR_NO_DEVICE
    assert _probe_quietly(fresh_runtime) is None
    assert "sees no GPU" in tt.cuda.unavailable_reason()


@pytest.mark.parametrize("version, extra", [(12080, "cuda12"), (13000, "cuda13"), (13020, "cuda13")])
def test_gpu_without_cuda_core_warns_with_install_command(fresh_runtime, monkeypatch, version, extra):
    monkeypatch.setattr(fresh_runtime, "_libcuda", lambda: (0, 1, version))

    def missing():
        raise ImportError("No module named 'cuda.core'")

    monkeypatch.setattr(fresh_runtime, "core_module", missing)
    with pytest.warns(UserWarning, match=rf'cuda device is off: .*cuda\.core.*pip install -e "\.\[{extra}\]"'):
        assert not tt.cuda.is_available()
    reason = tt.cuda.unavailable_reason()
    assert "cuda.core cannot be imported" in reason and f'pip install -e ".[{extra}]"' in reason
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not tt.cuda.is_available()  # decided once: the warning is not repeated


def test_gpu_that_triton_cannot_drive_warns(fresh_runtime, monkeypatch):
    gpu = FakeGPU(n=1)
    install(gpu, monkeypatch.setattr)

    class NoCompiler:
        def __init__(self):
            raise RuntimeError("Failed to find C compiler. Please specify via CC environment variable.")

    monkeypatch.setattr(nvidia, "CudaUtils", NoCompiler)
    with pytest.warns(UserWarning, match="Triton cannot launch kernels on the GPU.*C compiler"):
        assert not tt.cuda.is_available()
    assert "Triton cannot launch" in tt.cuda.unavailable_reason()


def test_old_driver_warns(fresh_runtime, monkeypatch):
    monkeypatch.setattr(fresh_runtime, "_libcuda", lambda: (0, 1, 11080))
    with pytest.warns(UserWarning, match=r"supports CUDA 11\.8; tritorch needs a driver for CUDA 12"):
        assert not tt.cuda.is_available()


def test_interpreter_reports_no_reason():
    assert tt.cuda.is_available() and tt.cuda.unavailable_reason() == ""


# --- device memory: totals and out-of-memory ---------------------------------------------------

def test_total_memory_from_driver(fake_gpu):
    props = tt.cuda.get_device_properties(0)
    assert props.total_memory == fake_gpu.total == 80 * 2**30
    assert (props.major, props.minor, props.multi_processor_count) == (9, 0, 132)
    assert "total_memory=81920MB" in repr(props)
    assert tt.cuda.mem_get_info() == (fake_gpu.total // 4, fake_gpu.total)


@pytest.mark.skipif(not tt.cuda.is_interpreted(), reason="interpreter mode only")
def test_total_memory_in_interpreter_is_host_memory():
    import os
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert tt.cuda.get_device_properties().total_memory == total
    free, tot = tt.cuda.mem_get_info()
    assert tot == total and 0 < free <= total


def test_out_of_memory_on_gpu(fake_gpu):
    base = tt.cuda.memory_allocated()
    kept = memory.allocate(3 << 20, 0)
    fake_gpu.fail_alloc = "CUDA_ERROR_OUT_OF_MEMORY: out of memory"
    fake_gpu.alloc_attempts = 0
    with pytest.raises(tt.cuda.OutOfMemoryError) as info:
        memory.allocate(5 << 30, 0)
    assert isinstance(info.value, RuntimeError) and tt.OutOfMemoryError is tt.cuda.OutOfMemoryError
    assert str(info.value) == ("CUDA out of memory. Tried to allocate 5.00 GiB. GPU 0 has a total capacity of "
                               "80.00 GiB of which 20.00 GiB is free. Of the allocated memory 3.00 MiB is "
                               "allocated by tritorch in 1 block(s).")
    assert fake_gpu.alloc_attempts == 2  # retried once after collecting garbage
    assert tt.cuda.memory_allocated() - base == 3 << 20
    assert tt.cuda.memory_stats()["allocation.all.current"] >= 1
    del kept
    assert tt.cuda.memory_allocated() == base


def test_other_allocation_errors_propagate(fake_gpu):
    base = tt.cuda.memory_allocated()
    fake_gpu.fail_alloc = "CUDA_ERROR_INVALID_VALUE: invalid argument"
    with pytest.raises(RuntimeError, match="CUDA_ERROR_INVALID_VALUE") as info:
        memory.allocate(16, 0)
    assert not isinstance(info.value, tt.cuda.OutOfMemoryError)
    assert fake_gpu.alloc_attempts == 1
    assert tt.cuda.memory_allocated() == base


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_failed_allocation_leaves_statistics_alone():
    gc.collect()
    base, peak = tt.cuda.memory_allocated(), tt.cuda.max_memory_allocated()
    with pytest.raises(tt.OutOfMemoryError, match=r"Tried to allocate 1048576\.00 GiB\. (The interpreter's host "
                       r"memory|GPU 0) has a total capacity of"):
        tt.empty(2**50, dtype=tt.uint8, device="cuda")
    gc.collect()
    assert tt.cuda.memory_allocated() == base and tt.cuda.max_memory_allocated() == peak
    x = tt.ones(10, device="cuda")
    assert tt.cuda.memory_allocated() - base == 40
    del x
    assert tt.cuda.memory_allocated() == base


# --- threads -----------------------------------------------------------------------------------

def test_threads_allocate_launch_and_free():
    """Several threads make tensors, run kernels and drop them at once: every result is right
    and the statistics return exactly to where they were."""
    gc.collect()
    base = tt.cuda.memory_allocated()
    errors, results = [], {}

    def work(k):
        try:
            for i in range(30):
                x = tt.full((64,), float(k), device="cuda")
                y = (x * 2 + i).sum()
                results.setdefault(k, []).append(y.item())
                del x, y
        except Exception as e:  # reported below, not swallowed
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for k in range(4):
        np.testing.assert_array_equal(results[k], [64 * (2 * k + i) for i in range(30)])
    gc.collect()
    assert tt.cuda.memory_allocated() == base


def test_block_freed_in_another_thread_uses_that_threads_context(fake_gpu):
    block = memory.allocate(1024, 0)
    main = threading.get_ident()
    assert fake_gpu.allocations[-1][:2] == (main, 0)

    def drop():
        nonlocal block
        del block  # the last reference: freed here, as a garbage-collection pass in a thread would

    t = threading.Thread(target=drop)
    t.start()
    t.join()
    assert fake_gpu.frees == [(t.ident, 0)]
    assert (t.ident, 0) in fake_gpu.set_current_calls


# --- one import point for cuda.core and its bindings -------------------------------------------

def test_cuda_core_is_imported_only_by_the_runtime():
    offenders = []
    for path in [*ROOT.glob("tritorch/**/*.py"), *ROOT.glob("kernels/*.py"), *ROOT.glob("perf/**/*.py"),
                 *ROOT.glob("scripts/*.py")]:
        if path.name != "_runtime.py" and re.search(r"^\s*(from|import)\s+cuda\b", path.read_text(), re.M):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
