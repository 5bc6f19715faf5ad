"""Raw-array API of the cuda device (what the registry and Tensor need): `CudaArray`s over
cuda.core memory blocks, host copies, and views rebuilt from (shape, strides, offset)."""
import numpy as np

from tritorch.cuda import memory
from tritorch.cuda.array import CudaArray
from tritorch._device import cuda_index
from ._elementwise import assign

__all__ = ["ARRAY"]


def _host_span(raw):
    """A host numpy view of exactly the elements ``raw`` covers (copying only that span)."""
    isz = raw.dtype.itemsize
    if raw.size == 0:
        return np.empty(raw.shape, raw.dtype)
    span = sum((n - 1) * s for n, s in zip(raw.shape, raw.strides)) + 1
    host = np.empty(span, raw.dtype)
    memory.copy_to_host(host, raw.block, raw.offset * isz)
    return np.lib.stride_tricks.as_strided(host, raw.shape, tuple(s * isz for s in raw.strides))


class Array:
    """Namespace of the raw-array operations on cuda (mirrors `tritorch.cpu_fallback._array`)."""

    @staticmethod
    def empty(shape, dtype):
        return CudaArray.empty(shape, dtype.np, cuda_index())

    @staticmethod
    def from_numpy(arr):
        arr = np.ascontiguousarray(arr).reshape(np.shape(arr))  # ascontiguousarray makes 0-d arrays 1-d
        out = CudaArray.empty(arr.shape, arr.dtype, cuda_index())
        memory.copy_from_host(out.block, 0, arr)
        return out

    @staticmethod
    def to_numpy(raw):
        """A fresh host copy (one synchronous device-to-host transfer)."""
        return np.array(_host_span(raw), copy=True)

    @staticmethod
    def root_of(arr):
        return arr.block

    @staticmethod
    def address(x):
        return x.data_ptr()

    @staticmethod
    def strides(raw):
        return raw.strides

    @staticmethod
    def view(block, shape, strides, offset, dtype):
        return CudaArray(block, shape, strides, offset, dtype.np)

    @staticmethod
    def permute(raw, dims):
        shape, strides = raw.shape, raw.strides
        return CudaArray(raw.block, tuple(shape[d] for d in dims), tuple(strides[d] for d in dims), raw.offset,
                         raw.dtype)

    @staticmethod
    def copy_into(dst, src):
        assign(dst, src)

    @staticmethod
    def scalar(raw):
        return _host_span(raw).reshape(()).item() if raw.ndim else _host_span(raw).item()

    @staticmethod
    def tolist(raw):
        return _host_span(raw).tolist()


ARRAY = Array
