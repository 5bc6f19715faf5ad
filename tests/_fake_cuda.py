"""A stand-in for the libcuda boundary, to test tritorch's real-GPU path on a machine without one.

Replaced (and only these): the ctypes probe of ``libcuda.so.1``, cuda.core (devices, streams,
the memory pool), ``cuda.bindings.driver`` (total/free memory), and Triton's ``CudaUtils`` and
``CudaLauncher`` (the C modules Triton builds against libcuda).  Everything above them runs for
real: tritorch's runtime, its Triton driver, Triton's JIT (specialisation, compilation to a
cubin for the fake card's architecture, the launch call) and tritorch's launchers.

The fakes keep CUDA's per-thread rules: cuda.core ``Device`` objects are thread-local
singletons, ``set_current`` makes a context current in the calling thread only, and the pool,
buffers and launches fail with ``CUDA_ERROR_INVALID_CONTEXT`` in a thread where the device's
context is not current.
"""
import itertools
import threading

__all__ = ["FakeGPU", "install"]


class CUDAError(RuntimeError):
    pass


class FakeGPU:
    """``n`` fake GPUs of compute capability ``cc``; records what tritorch and Triton ask of them."""

    def __init__(self, n=2, cc=(9, 0), driver_version=12080, total=80 * 2**30, fail_alloc=None):
        self.n, self.cc, self.driver_version, self.total = n, cc, driver_version, total
        self.fail_alloc = fail_alloc  # None, or an exception message raised by every pool allocation
        self.tls = threading.local()
        self.set_current_calls = []   # (thread ident, device index)
        self.allocations = []         # (thread ident, device index, nbytes)
        self.frees = []               # (thread ident, device index)
        self.launches = []            # dicts: kernel name, grid, stream, device, args
        self.loaded = []              # kernel names loaded as cubins
        self.alloc_attempts = 0
        self._addresses = itertools.count(0x7F00_0000_0000, 1 << 20)
        self.core = self._make_core()

    # -- CUDA's per-thread current context ---------------------------------------------------
    def current(self):
        return getattr(self.tls, "current", None)

    def require_current(self, index):
        if self.current() != index:
            raise CUDAError(f"CUDA_ERROR_INVALID_CONTEXT: device {index}'s context is not current in "
                            f"thread {threading.get_ident()} (current: {self.current()})")

    def stream_handle(self, index):
        return 0x5000 + index

    def _make_core(self):
        gpu = self

        class Stream:
            def __init__(self, index):
                self.index = index
                self.handle = gpu.stream_handle(index)

            def sync(self):
                gpu.require_current(self.index)

        class Buffer:
            def __init__(self, index, nbytes):
                self.index, self.nbytes, self.handle = index, nbytes, next(gpu._addresses)

            def close(self, stream):
                gpu.require_current(stream.index)
                gpu.frees.append((threading.get_ident(), stream.index))

        class DeviceMemoryResource:
            def __init__(self, index):
                self.index = index
                self.handle = 0x9000 + index

            def allocate(self, nbytes, stream):
                gpu.require_current(stream.index)
                gpu.alloc_attempts += 1
                if gpu.fail_alloc is not None:
                    raise CUDAError(gpu.fail_alloc)
                gpu.allocations.append((threading.get_ident(), stream.index, nbytes))
                return Buffer(stream.index, nbytes)

        class Properties:
            multiprocessor_count = 132

        class Device:
            def __new__(cls, index=0):
                devices = gpu.tls.__dict__.setdefault("devices", {})
                d = devices.get(index)
                if d is None:
                    d = devices[index] = object.__new__(cls)
                    d.index = index
                return d

            @classmethod
            def get_all_devices(cls):
                return tuple(cls(i) for i in range(gpu.n))

            def set_current(self):
                gpu.tls.current = self.index
                gpu.set_current_calls.append((threading.get_ident(), self.index))

            @property
            def default_stream(self):
                return Stream(self.index)

            @property
            def compute_capability(self):
                return gpu.cc

            @property
            def name(self):
                return "Fake H100"

            @property
            def properties(self):
                return Properties()

            def sync(self):
                gpu.require_current(self.index)

        class EventOptions:
            def __init__(self, timing_enabled=False):
                self.timing_enabled = timing_enabled

        class Core:
            pass

        core = Core()
        core.Device, core.DeviceMemoryResource, core.EventOptions = Device, DeviceMemoryResource, EventOptions
        return core

    # -- cuda.bindings.driver ------------------------------------------------------------------
    def driver_api(self):
        gpu = self

        class Driver:
            @staticmethod
            def cuDeviceGet(index):
                return 0, index

            @staticmethod
            def cuDeviceTotalMem(dev):
                return 0, gpu.total

            @staticmethod
            def cuMemGetInfo():
                return 0, gpu.total // 4, gpu.total

            @staticmethod
            def cuMemPoolTrimTo(pool, keep):
                return (0,)

        return Driver

    # -- Triton's C modules --------------------------------------------------------------------
    def triton_utils(self):
        gpu = self

        class CudaUtils:
            def load_binary(self, name, kernel, shared, device):
                gpu.require_current(device)
                gpu.loaded.append(name)
                return 1, 2, 32, 0, 1024  # module, function, registers, spills, max threads

            def unload_module(self, module):
                pass

            def get_device_properties(self, device):
                return {"max_shared_mem": 232448, "multiprocessor_count": 132, "sm_clock_rate": 1980000,
                        "mem_clock_rate": 2619000, "mem_bus_width": 5120, "max_num_regs": 65536,
                        "warpSize": 32}

        return CudaUtils

    def triton_launcher(self):
        gpu = self

        class CudaLauncher:
            def __init__(self, src, metadata):
                self.name = src.fn.__name__ if hasattr(src, "fn") else str(src)

            def __call__(self, grid_x, grid_y, grid_z, stream, function, *rest):
                device = next(i for i in range(gpu.n) if gpu.stream_handle(i) == stream)
                gpu.require_current(device)
                gpu.launches.append({"kernel": self.name, "grid": (grid_x, grid_y, grid_z), "stream": stream,
                                     "device": device, "thread": threading.get_ident()})

        return CudaLauncher


def install(gpu, setattr_):
    """Put ``gpu`` behind tritorch's runtime (``setattr_`` is ``setattr`` or pytest's
    ``monkeypatch.setattr``).  The runtime's state must be fresh (``_runtime._state`` cleared)."""
    from triton.backends.nvidia import driver as nvidia

    from tritorch.cuda import _runtime, memory
    setattr_(_runtime, "_libcuda", lambda: (0, gpu.n, gpu.driver_version))
    setattr_(_runtime, "core_module", lambda: gpu.core)
    setattr_(_runtime, "driver_api", gpu.driver_api)
    setattr_(_runtime, "_tls", _runtime._Thread())
    setattr_(_runtime, "_capabilities", {})
    setattr_(memory, "_pools", {})
    setattr_(nvidia, "CudaUtils", gpu.triton_utils())
    setattr_(nvidia, "CudaLauncher", gpu.triton_launcher())


def _session(torch_mode):
    """What a fresh process with ``gpu`` behind it sees: run by tests/test_triton_driver.py as
    ``python -m tests._fake_cuda {no-torch|torch}``; prints one JSON object."""
    import importlib.abc
    import json
    import os
    import sys

    class _NoTorch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ImportError("torch is not installed (blocked by the test)")

    torch_cuda = None
    if torch_mode == "no-torch":
        sys.meta_path.insert(0, _NoTorch())
    else:
        import torch
        torch_cuda = torch.cuda.is_available()
    os.environ.pop("TRITON_INTERPRET", None)
    import triton
    from triton.backends.nvidia.driver import CudaDriver
    from triton.runtime import driver

    gpu = FakeGPU()
    install(gpu, setattr)
    out = {"triton": triton.__version__, "stock_driver_active": CudaDriver.is_active(), "torch_cuda": torch_cuda}
    import tritorch as tt
    out["available"] = tt.cuda.is_available()
    out["driver"] = type(driver.active).__name__
    target = driver.active.get_current_target()
    out["target"] = [target.backend, target.arch]
    x = tt.ones(4, device="cuda")
    y = x * 2 + 1
    out["launches_device0"] = [(r["kernel"], r["device"], r["stream"]) for r in gpu.launches]
    tt.cuda.set_device(1)
    before = len(gpu.launches)
    z = tt.full((8,), 3.0, device="cuda")
    out["device1"] = {"current_device": driver.active.get_current_device(),
                      "launches": [(r["device"], r["stream"]) for r in gpu.launches[before:]],
                      "tensor_device": str(z.device)}
    del z
    errors = []

    def work():
        try:
            a = tt.zeros(16, device="cuda")
            b = a + 1
            del a, b
        except Exception as e:  # reported to the test, not swallowed
            errors.append(f"{type(e).__name__}: {e}")

    t = threading.Thread(target=work)
    t.start()
    t.join()
    out["thread"] = {"errors": errors,
                     "set_current": [i for tid, i in gpu.set_current_calls if tid == t.ident],
                     "launches": [r["device"] for r in gpu.launches if r["thread"] == t.ident],
                     "frees": [i for tid, i in gpu.frees if tid == t.ident]}
    out["torch_imported"] = "torch" in sys.modules
    del x, y
    print(json.dumps(out))


if __name__ == "__main__":
    import sys
    _session(sys.argv[1])
