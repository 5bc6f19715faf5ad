"""Kernel launches: the one place that knows interpreter mode from a real GPU.

Launchers call ``launch(kernel, grid, *args, **meta)`` instead of ``kernel[grid](...)``.  On a
GPU the `CudaArray` arguments go straight to Triton (they have ``data_ptr()`` and ``dtype``).
In interpreter mode each is replaced by a `HostArg`, the torch-like storage protocol Triton's
interpreter needs; nothing is copied.
"""
import triton

from tritorch.cuda import _runtime
from tritorch.cuda.array import CudaArray, HostArg

__all__ = ["launch", "INTERPRETED", "cdiv", "block_for"]

INTERPRETED = _runtime.interpreted()


def cdiv(a, b):
    return -(-a // b)


def block_for(n, gpu_block, cap=1 << 16):
    """Elements per program.  The interpreter pays per program, not per element, so there a
    block covers as much of ``n`` as fits in ``cap`` (a power of two, as Triton requires)."""
    if not INTERPRETED:
        return gpu_block
    return max(gpu_block, min(cap, triton.next_power_of_2(max(n, 1))))


def _host(a):
    if a.__class__ is CudaArray:
        return HostArg(a.data_ptr(), a.dtype, a.block)
    return a


def _launch_interpreted(kernel, grid, *args, **meta):
    kernel[grid](*[_host(a) for a in args], **{k: _host(v) for k, v in meta.items()})


def _launch_gpu(kernel, grid, *args, **meta):
    kernel[grid](*args, **meta)


launch = _launch_interpreted if INTERPRETED else _launch_gpu
