"""Which cuda device tritorch runs on: a real GPU through cuda.core, Triton's interpreter, or none.

The mode is decided once, on first use:
  * ``TRITON_INTERPRET=1`` -> ``"interpreter"``: device memory is host memory and every Triton
    kernel runs in Triton's interpreter (no GPU, no torch needed).  Chosen even when a GPU is
    present, because Triton reads the same variable when kernels are defined.
  * otherwise ``"gpu"`` when the NVIDIA driver (``libcuda.so.1``) loads and sees a GPU,
    cuda.core imports, and tritorch's Triton driver (`_triton_driver`) is installed.
  * otherwise ``None``, with the reason kept for `unavailable_reason()` and error messages.  When
    a GPU is there but cuda.core or Triton cannot drive it, a warning says so once, with the
    install command for the driver's CUDA major version: a GPU machine never silently runs on cpu.

This module is the one import point of cuda.core (`core_module`) and of the CUDA driver API
bindings (`driver_api`).

Threads: cuda.core's ``Device`` objects are thread-local, and CUDA's current context is per
thread.  `device_handle`, `stream` and `stream_handle` therefore make the device's primary
context current in the calling thread (once per thread, and again when the thread switches
device), so allocations, frees and launches work from any thread: a DataLoader pin-memory
thread, a user's thread, or a garbage-collection pass that frees a block there.
"""
import ctypes
import os
import sys
import threading
import warnings

__all__ = ["mode", "interpreted", "device_count", "unavailable_reason", "core_module", "driver_api",
           "device_handle", "stream", "stream_handle", "capability", "event_options", "driver_version"]

_state = {}
_CUDA_ERROR_NO_DEVICE = 100


def _libcuda():
    """``(status, GPU count, driver CUDA version)`` from ``libcuda.so.1``, or None when the driver
    library cannot be loaded.  ``status`` is ``cuInit``'s result (0: success, 100: no device); the
    version is 1000*major + 10*minor.  Plain ctypes: this must work before (and without)
    cuda.core, to tell "no GPU here" from "a GPU that tritorch cannot use yet"."""
    try:
        lib = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return None
    version, count = ctypes.c_int(0), ctypes.c_int(0)
    lib.cuDriverGetVersion(ctypes.byref(version))
    status = lib.cuInit(0)
    if status == 0 and lib.cuDeviceGetCount(ctypes.byref(count)) != 0:
        count.value = 0
    return status, count.value, version.value


def install_command(cuda_version):
    """The command that installs cuda.core with bindings matching a driver of ``cuda_version``
    (1000*major + 10*minor, as ``cuDriverGetVersion`` reports)."""
    extra = "cuda13" if cuda_version >= 13000 else "cuda12"
    return f'pip install -e ".[{extra}]"  (outside a checkout: pip install "cuda-core[cu{extra[4:]}]")'


def _unusable(reason):
    """A GPU is present but tritorch cannot drive it: off, with the reason, and said once."""
    _state["mode"] = None
    _state["reason"] = reason
    warnings.warn(f"tritorch: the cuda device is off: {reason}", UserWarning, stacklevel=4)


def _probe():
    if os.environ.get("TRITON_INTERPRET", "0") not in ("", "0"):
        _state["mode"] = "interpreter"
        return
    found = _libcuda()
    if found is None:
        _state["mode"] = None
        _state["reason"] = "no NVIDIA driver (libcuda.so.1 cannot be loaded)"
        return
    status, n, version = found
    _state["driver_version"] = version
    if status not in (0, _CUDA_ERROR_NO_DEVICE):
        _unusable(f"the NVIDIA driver failed to initialise (cuInit returned CUDA error {status})")
        return
    if n == 0:
        _state["mode"] = None
        _state["reason"] = "the NVIDIA driver sees no GPU (check CUDA_VISIBLE_DEVICES)"
        return
    if version < 12000:
        _unusable(f"the NVIDIA driver supports CUDA {version // 1000}.{version % 1000 // 10}; "
                  "tritorch needs a driver for CUDA 12 or newer")
        return
    try:
        core = core_module()
    except Exception as e:  # noqa: BLE001 - missing or mismatched cuda.core/cuda.bindings
        _unusable(f"{n} GPU(s) found, but cuda.core cannot be imported ({type(e).__name__}: {e}); "
                  f"install it with: {install_command(version)}")
        return
    try:
        count = len(core.Device.get_all_devices())
    except Exception as e:  # noqa: BLE001 - cuda.core and the driver disagree
        _unusable(f"cuda.core cannot enumerate the GPUs ({type(e).__name__}: {e}); "
                  f"reinstall it for this driver with: {install_command(version)}")
        return
    try:
        # Imported here: Triton is loaded only once a GPU is found.
        from . import _triton_driver
        _triton_driver.install(sys.modules[__name__])
    except Exception as e:  # noqa: BLE001 - no Triton, no C compiler for its launcher, ...
        _unusable(f"Triton cannot launch kernels on the GPU ({type(e).__name__}: {e})")
        return
    _state["mode"] = "gpu"
    _state["count"] = count


def core_module():
    """cuda.core's namespace (top level from 0.4 on, ``cuda.core.experimental`` before)."""
    core = _state.get("core")
    if core is None:
        try:
            import cuda.core as core
            core.Device
        except (ImportError, AttributeError):
            import cuda.core.experimental as core
        _state["core"] = core
    return core


def driver_api():
    """``cuda.bindings.driver`` (the CUDA driver API), installed with cuda.core."""
    from cuda.bindings import driver
    return driver


def event_options(timing=True):
    """cuda.core ``EventOptions`` for events that record time."""
    return core_module().EventOptions(timing_enabled=timing)


def mode():
    """``"gpu"``, ``"interpreter"`` or None."""
    if "mode" not in _state:
        _probe()
    return _state["mode"]


def interpreted():
    return mode() == "interpreter"


def device_count():
    m = mode()
    if m == "gpu":
        return _state["count"]
    return 1 if m == "interpreter" else 0


def unavailable_reason():
    """Why the cuda device is off ("" when it is on)."""
    mode()
    return _state.get("reason", "")


def driver_version():
    """The NVIDIA driver's CUDA version (1000*major + 10*minor), or None without a driver."""
    mode()
    return _state.get("driver_version")


class _Thread(threading.local):
    """Per-thread cuda.core handles: ``Device`` objects are thread-local singletons, and the
    context made current by ``set_current`` is the calling thread's."""

    def __init__(self):
        self.current = -1
        self.handles = {}
        self.streams = {}
        self.stream_ints = {}


_tls = _Thread()


def device_handle(index):
    """The cuda.core ``Device`` for ``index``, with its primary context current in this thread
    (gpu mode only)."""
    t = _tls
    d = t.handles.get(index)
    if d is None:
        d = t.handles[index] = core_module().Device(index)
    if t.current != index:
        d.set_current()
        t.current = index
    return d


def stream(index):
    """The stream every tritorch allocation, copy and kernel on device ``index`` is ordered on:
    the device's default stream (cached per thread: called on every allocation and free)."""
    t = _tls
    if t.current != index:
        device_handle(index)
    s = t.streams.get(index)
    if s is None:
        s = t.streams[index] = device_handle(index).default_stream
    return s


def stream_handle(index):
    """`stream` as the integer ``CUstream`` Triton launches on (called on every launch)."""
    t = _tls
    if t.current != index:
        device_handle(index)
    h = t.stream_ints.get(index)
    if h is None:
        h = t.stream_ints[index] = int(stream(index).handle)
    return h


_capabilities = {}


def capability(index):
    """(major, minor) compute capability of device ``index``."""
    cc = _capabilities.get(index)
    if cc is None:
        c = device_handle(index).compute_capability
        cc = _capabilities[index] = (int(c[0]), int(c[1]))
    return cc
