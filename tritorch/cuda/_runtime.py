"""Which cuda device tritorch runs on: a real GPU through cuda.core, Triton's interpreter, or none.

The mode is decided once, on first use:
  * ``TRITON_INTERPRET=1`` -> ``"interpreter"``: device memory is host memory and every Triton
    kernel runs in Triton's interpreter (no GPU, no torch needed).  Chosen even when a GPU is
    present, because Triton reads the same variable when kernels are defined.
  * otherwise a GPU visible to cuda.core -> ``"gpu"``.
  * otherwise ``None``, with the reason kept for error messages.
"""
import os

__all__ = ["mode", "interpreted", "device_count", "unavailable_reason", "core_module", "device_handle", "stream"]

_state = {}


def _probe():
    if os.environ.get("TRITON_INTERPRET", "0") not in ("", "0"):
        _state["mode"] = "interpreter"
        return
    try:
        core = core_module()
        n = _count_devices(core)
    except Exception as e:  # no cuda.core, no driver, no GPU: all mean "no cuda device"
        _state["mode"] = None
        _state["reason"] = f"no usable CUDA driver or GPU ({type(e).__name__}: {e})"
        return
    if n == 0:
        _state["mode"] = None
        _state["reason"] = "no CUDA GPU is visible"
        return
    _state["mode"] = "gpu"
    _state["count"] = n


def core_module():
    """cuda.core's namespace (top level from 0.4 on, ``cuda.core.experimental`` before)."""
    try:
        import cuda.core as core
        core.Device
    except (ImportError, AttributeError):
        import cuda.core.experimental as core
    return core


def _count_devices(core):
    get_all = getattr(core.Device, "get_all_devices", None)
    if get_all is not None:
        return len(get_all())
    from cuda.bindings import driver
    err, = driver.cuInit(0)[:1]
    err, n = driver.cuDeviceGetCount()
    return int(n) if int(err) == 0 else 0


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
    mode()
    return _state.get("reason", "")


_devices = {}


def device_handle(index):
    """The cuda.core ``Device`` for ``index``, made current on first use (gpu mode only)."""
    d = _devices.get(index)
    if d is None:
        d = core_module().Device(index)
        d.set_current()
        _devices[index] = d
    return d


def stream(index):
    """The stream every tritorch allocation, copy and kernel on device ``index`` is ordered on:
    the device's default stream, which is also the one Triton launches on when torch is absent."""
    return device_handle(index).default_stream
