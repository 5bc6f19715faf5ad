"""Device memory of the cuda device: cuda.core's stream-ordered pool, or host memory in
interpreter mode.  Allocation statistics follow PyTorch's ``memory_allocated`` family.

A `Block` is one allocation; arrays are (block, shape, strides, offset) views over it.  Blocks
return their memory when the last array referencing them is garbage-collected.
"""
import numpy as np

from . import _runtime

__all__ = ["Block", "allocate", "copy_from_host", "copy_to_host", "memory_allocated", "max_memory_allocated",
           "reset_peak_memory_stats", "empty_cache", "memory_stats"]

# Interpreter blocks are aligned like the CUDA allocator's (256 bytes) so kernels see the same
# pointer divisibility they would on a GPU.
_ALIGN = 256
_stats = {"allocated": 0, "peak": 0, "count": 0}
_pools = {}


class Block:
    """One allocation: ``ptr`` (device address, or host address in interpreter mode) and ``nbytes``."""

    __slots__ = ("ptr", "nbytes", "device_index", "_host", "_buffer", "__weakref__")

    def __init__(self, nbytes, device_index=0):
        self.nbytes = nbytes
        self.device_index = device_index
        self._host = None
        self._buffer = None
        if _runtime.interpreted():
            raw = np.empty(nbytes + _ALIGN, np.uint8)
            start = (-raw.ctypes.data) % _ALIGN
            self._host = raw[start:start + nbytes]
            self.ptr = raw.ctypes.data + start
        else:
            mr = _pool(device_index)
            self._buffer = mr.allocate(max(nbytes, 1), stream=_runtime.stream(device_index))
            self.ptr = int(self._buffer.handle)
        s = _stats
        s["allocated"] += nbytes
        s["count"] += 1
        if s["allocated"] > s["peak"]:
            s["peak"] = s["allocated"]

    def __del__(self):
        s = _stats
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
            from cuda.bindings import driver
            driver.cuMemPoolTrimTo(mr.handle, 0)
        except (ImportError, AttributeError, TypeError):
            pass
