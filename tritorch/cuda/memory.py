"""Device memory of the cuda device: cuda.core's stream-ordered pool, or host memory in
interpreter mode.  Allocation statistics follow PyTorch's ``memory_allocated`` family.

A `Block` is one allocation; arrays are (block, shape, strides, offset) views over it.  Blocks
return their memory when the last array referencing them is garbage-collected.
"""
import gc
import os
import threading

import numpy as np

from .._errors import OutOfMemoryError
from . import _runtime

__all__ = ["Block", "OutOfMemoryError", "allocate", "copy_from_host", "copy_to_host", "memory_allocated",
           "max_memory_allocated", "reset_peak_memory_stats", "empty_cache", "memory_stats", "mem_get_info",
           "total_memory"]

# Interpreter blocks are aligned like the CUDA allocator's (256 bytes) so kernels see the same
# pointer divisibility they would on a GPU.
_ALIGN = 256
# Blocks are made and freed from any thread (a garbage-collection pass included).
_lock = threading.Lock()
_stats = {"allocated": 0, "peak": 0, "count": 0}
_pools = {}


class Block:
    """One allocation: ``ptr`` (device address, or host address in interpreter mode) and ``nbytes``.

    ``nbytes`` is counted in the statistics only once the memory is really allocated: a failed
    allocation leaves them untouched (``__del__`` still runs on the half-made object)."""

    __slots__ = ("ptr", "nbytes", "device_index", "_host", "_buffer", "__weakref__")

    def __init__(self, nbytes, device_index=0):
        self.nbytes = 0
        self.device_index = device_index
        self._host = None
        self._buffer = None
        if _runtime.interpreted():
            try:
                raw = np.empty(nbytes + _ALIGN, np.uint8)
            except MemoryError:
                raise _out_of_memory(nbytes, device_index) from None
            start = (-raw.ctypes.data) % _ALIGN
            self._host = raw[start:start + nbytes]
            self.ptr = raw.ctypes.data + start
        else:
            self._buffer = _device_allocate(nbytes, device_index)
            self.ptr = int(self._buffer.handle)
        self.nbytes = nbytes
        s = _stats
        with _lock:
            s["allocated"] += nbytes
            s["count"] += 1
            if s["allocated"] > s["peak"]:
                s["peak"] = s["allocated"]

    def __del__(self):
        if self.nbytes or self._host is not None or self._buffer is not None:
            s = _stats
            with _lock:
                s["allocated"] -= self.nbytes
                s["count"] -= 1
        b = self._buffer
        if b is not None:
            self._buffer = None
            try:
                b.close(_runtime.stream(self.device_index))
            except Exception:  # interpreter shutdown: the driver may already be gone
                pass

    def data_ptr(self):
        return self.ptr

    def host_view(self):
        """The block as a uint8 numpy array (interpreter mode only)."""
        return self._host

    def __repr__(self):
        return f"<cuda block {self.nbytes} bytes at 0x{self.ptr:x}>"


def _is_out_of_memory(e):
    return isinstance(e, MemoryError) or "OUT_OF_MEMORY" in str(e)


def _device_allocate(nbytes, index):
    """A cuda.core buffer from the device's pool, on tritorch's stream.  When the pool is full,
    unreachable tensors held in reference cycles are collected and the allocation tried again,
    as PyTorch's allocator frees its cache before giving up."""
    mr = _pool(index)
    for attempt in range(2):
        try:
            return mr.allocate(max(nbytes, 1), stream=_runtime.stream(index))
        except Exception as e:  # noqa: BLE001 - cuda.core raises CUDAError; only OOM is ours to map
            if not _is_out_of_memory(e):
                raise
            if attempt:
                raise _out_of_memory(nbytes, index) from e
            gc.collect()


def _format_bytes(n):
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n} bytes"


def _out_of_memory(nbytes, index):
    free, total = mem_get_info(index)
    where = "The interpreter's host memory" if _runtime.interpreted() else f"GPU {index}"
    return OutOfMemoryError(
        f"CUDA out of memory. Tried to allocate {_format_bytes(nbytes)}. {where} has a total capacity of "
        f"{_format_bytes(total)} of which {_format_bytes(free)} is free. Of the allocated memory "
        f"{_format_bytes(_stats['allocated'])} is allocated by tritorch in {_stats['count']} block(s).")


def _host_memory():
    page = os.sysconf("SC_PAGE_SIZE")
    return os.sysconf("SC_AVPHYS_PAGES") * page, os.sysconf("SC_PHYS_PAGES") * page


def mem_get_info(device=None):
    """(free, total) bytes of the device (PyTorch's ``torch.cuda.mem_get_info``): the driver's
    ``cuMemGetInfo`` on a GPU, host memory in interpreter mode."""
    if _runtime.mode() != "gpu":
        return _host_memory()
    from tritorch import _device
    _runtime.device_handle(_device.cuda_index() if device is None else device)
    err, free, total = _runtime.driver_api().cuMemGetInfo()
    _check(err, "cuMemGetInfo")
    return int(free), int(total)


def total_memory(index):
    """Bytes of global memory on device ``index`` (``cuDeviceTotalMem``; host memory in
    interpreter mode): cuda.core's ``DeviceProperties`` has no total-memory field."""
    if _runtime.mode() != "gpu":
        return _host_memory()[1]
    drv = _runtime.driver_api()
    err, dev = drv.cuDeviceGet(index)
    _check(err, "cuDeviceGet")
    err, total = drv.cuDeviceTotalMem(dev)
    _check(err, "cuDeviceTotalMem")
    return int(total)


def _check(err, what):
    if int(err) != 0:
        raise RuntimeError(f"tritorch.cuda: {what} failed with CUDA error {int(err)} ({err!r})")


def _pool(index):
    mr = _pools.get(index)
    if mr is None:
        core = _runtime.core_module()
        _runtime.device_handle(index)
        mr = _pools[index] = core.DeviceMemoryResource(index)
    return mr


def allocate(nbytes, device_index=0):
    return Block(int(nbytes), device_index)


def copy_from_host(block, byte_offset, host):
    """Copy the contiguous numpy array ``host`` into ``block`` at ``byte_offset``; synchronous."""
    n = host.nbytes
    if n == 0:
        return
    if block._host is not None:
        block._host[byte_offset:byte_offset + n] = host.reshape(-1).view(np.uint8)
        return
    core = _runtime.core_module()
    st = _runtime.stream(block.device_index)
    dst = core.Buffer.from_handle(block.ptr + byte_offset, n)
    src = core.Buffer.from_handle(host.ctypes.data, n)
    dst.copy_from(src, stream=st)
    st.sync()


def copy_to_host(host, block, byte_offset):
    """Fill the contiguous numpy array ``host`` from ``block`` at ``byte_offset``; synchronous."""
    n = host.nbytes
    if n == 0:
        return
    if block._host is not None:
        host.reshape(-1).view(np.uint8)[...] = block._host[byte_offset:byte_offset + n]
        return
    core = _runtime.core_module()
    st = _runtime.stream(block.device_index)
    src = core.Buffer.from_handle(block.ptr + byte_offset, n)
    dst = core.Buffer.from_handle(host.ctypes.data, n)
    src.copy_to(dst, stream=st)
    st.sync()


def memory_allocated(device=None):
    """Bytes currently held by live tritorch tensors on the cuda device (requested sizes)."""
    return _stats["allocated"]


def max_memory_allocated(device=None):
    """Peak of `memory_allocated` since start or the last `reset_peak_memory_stats`."""
    return _stats["peak"]


def reset_peak_memory_stats(device=None):
    with _lock:
        _stats["peak"] = _stats["allocated"]


def memory_stats(device=None):
    return {"allocated_bytes.all.current": _stats["allocated"], "allocated_bytes.all.peak": _stats["peak"],
            "allocation.all.current": _stats["count"]}


def empty_cache():
    """Return the pool's unused memory to the driver (cuMemPoolTrimTo); no-op in interpreter mode."""
    if _runtime.mode() != "gpu":
        return
    for index, mr in _pools.items():
        _runtime.stream(index).sync()
        try:
            _runtime.driver_api().cuMemPoolTrimTo(mr.handle, 0)
        except (ImportError, AttributeError, TypeError):
            pass
