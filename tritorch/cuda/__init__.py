"""`tritorch.cuda`: the cuda device (PyTorch's `torch.cuda` queries and memory statistics).

Two ways to run it:
  * a real NVIDIA GPU: memory from cuda.core's stream-ordered pool (`DeviceMemoryResource`),
    Triton kernels compiled for the card;
  * interpreter mode (``TRITON_INTERPRET=1``, no GPU needed): memory in host buffers and every
    Triton kernel run by Triton's interpreter.  `is_interpreted()` tells the two apart.

tritorch drives one GPU per process: the current device (`set_device`).  Tensors on another
index raise instead of silently running on the wrong card.
"""
from .. import _device
from . import _runtime, memory
from .memory import (OutOfMemoryError, memory_allocated, max_memory_allocated, reset_peak_memory_stats,
                     empty_cache, memory_stats, mem_get_info)

__all__ = ["is_available", "unavailable_reason", "is_interpreted", "device_count", "current_device", "set_device",
           "synchronize", "get_device_name", "get_device_capability", "get_device_properties", "memory_allocated",
           "max_memory_allocated", "reset_peak_memory_stats", "empty_cache", "memory_stats", "mem_get_info",
           "OutOfMemoryError", "is_bf16_supported", "manual_seed", "manual_seed_all", "device"]


def is_available():
    """True when cuda tensors can be made: a GPU through cuda.core, or Triton's interpreter."""
    return _runtime.mode() is not None


def unavailable_reason():
    """Why `is_available()` is False ("" when it is True): no driver, no GPU, or a GPU that
    tritorch cannot drive yet (cuda.core or Triton missing; a warning with the fix was issued)."""
    return _runtime.unavailable_reason()


def is_interpreted():
    """True when the cuda device is Triton's interpreter on host memory (``TRITON_INTERPRET=1``)."""
    return _runtime.interpreted()


def device_count():
    return _runtime.device_count()


def _require():
    if _runtime.mode() is None:
        raise RuntimeError("tritorch.cuda: no cuda device is available: " + _runtime.unavailable_reason() +
                           ". Set TRITON_INTERPRET=1 to run the cuda device in Triton's interpreter.")


def _index(d):
    if d is None:
        return _device.cuda_index()
    if isinstance(d, int):
        return d
    d = _device.device(d) if not isinstance(d, _device.device) else d
    return _device.cuda_index() if d.index is None else d.index


def current_device():
    _require()
    return _device.cuda_index()


def set_device(device):
    """Make ``device`` (int, "cuda:N" or a device) the one tritorch allocates on and launches to."""
    _require()
    i = _index(device)
    if not 0 <= i < device_count():
        raise RuntimeError(f"set_device: invalid device ordinal {i} (found {device_count()} cuda device(s))")
    _device.set_cuda_index(i)
    if _runtime.mode() == "gpu":
        _runtime.device_handle(i)


def synchronize(device=None):
    """Wait for every kernel and copy queued on the device (immediate in interpreter mode)."""
    _require()
    if _runtime.mode() == "gpu":
        _runtime.device_handle(_index(device)).sync()


def get_device_name(device=None):
    _require()
    if _runtime.interpreted():
        return "Triton interpreter (host memory)"
    return _runtime.device_handle(_index(device)).name


def get_device_capability(device=None):
    """(major, minor).  The interpreter reports (8, 0): sm_80 is the oldest target the kernels
    are compiled for, and it supports every dtype tritorch has."""
    _require()
    if _runtime.interpreted():
        return (8, 0)
    return _runtime.capability(_index(device))


class _Properties:
    __slots__ = ("name", "major", "minor", "total_memory", "multi_processor_count")

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // 2**20}MB, multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None):
    _require()
    p = _Properties()
    p.name = get_device_name(device)
    p.major, p.minor = get_device_capability(device)
    p.total_memory = memory.total_memory(_index(device))
    if _runtime.interpreted():
        p.multi_processor_count = 1
    else:
        p.multi_processor_count = int(_runtime.device_handle(_index(device)).properties.multiprocessor_count)
    return p


def is_bf16_supported(including_emulation=True):
    return is_available() and get_device_capability()[0] >= 8


def manual_seed(seed):
    """Seed the random streams (tritorch has one default generator for every device)."""
    from .. import manual_seed as _seed
    _seed(seed)


manual_seed_all = manual_seed


def device(d):
    """Context manager form is not supported; returns the `tritorch.device` for ``d``."""
    return _device.as_device(d if not isinstance(d, int) else f"cuda:{d}")
