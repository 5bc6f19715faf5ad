"""`CudaArray`: the raw array of a cuda tensor — a strided view over one memory `Block`.

Shape, strides (in elements, as in PyTorch) and offset (in elements) over the block; ``dtype``
is a numpy dtype (ml_dtypes for bfloat16), so code that reads ``shape``/``size``/``dtype``
works on both devices.  ``data_ptr()`` and ``dtype`` are what a compiled Triton launch reads.
"""
import math

import numpy as np

from . import memory

__all__ = ["CudaArray", "contiguous_strides", "HostArg"]


def contiguous_strides(shape):
    strides = []
    acc = 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= n if n else 1
    return tuple(reversed(strides))


class CudaArray:
    __slots__ = ("block", "shape", "strides", "offset", "dtype", "size", "ndim")

    def __init__(self, block, shape, strides, offset, dtype):
        self.block = block
        self.shape = tuple(shape)
        self.strides = tuple(strides)
        self.offset = offset
        self.dtype = dtype
        self.size = math.prod(self.shape)
        self.ndim = len(self.shape)

    @classmethod
    def empty(cls, shape, dtype, device_index=0):
        shape = tuple(shape)
        dtype = np.dtype(dtype)
        return cls(memory.allocate(math.prod(shape) * dtype.itemsize, device_index), shape,
                   contiguous_strides(shape), 0, dtype)

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    def data_ptr(self):
        return self.block.ptr + self.offset * self.dtype.itemsize

    def is_contiguous(self):
        if self.size <= 1:
            return True
        expected = 1
        for n, s in zip(reversed(self.shape), reversed(self.strides)):
            if n != 1 and s != expected:
                return False
            expected *= n
        return True

    def view_as(self, shape, strides, offset=None, dtype=None):
        """Another view of the same block (``dtype`` reinterprets bits of equal item size)."""
        return CudaArray(self.block, shape, strides, self.offset if offset is None else offset,
                         self.dtype if dtype is None else np.dtype(dtype))

    def __repr__(self):
        return (f"CudaArray(shape={self.shape}, strides={self.strides}, offset={self.offset}, "
                f"dtype={self.dtype}, block={self.block!r})")


class _HostStorage:
    __slots__ = ("ptr",)

    def __init__(self, ptr):
        self.ptr = ptr

    def data_ptr(self):
        return self.ptr

    def cpu(self):
        return self

    def copy_(self, other):
        return self


class HostArg:
    """What Triton's interpreter is handed for a `CudaArray` argument.

    The interpreter copies each tensor argument to the host through a torch-like protocol
    (``untyped_storage``, ``new_empty``, ``set_``, ``size``/``stride``) and back afterwards.
    Interpreter-mode memory already is host memory, so the "copy" is the same memory and every
    step is an identity: kernels read and write the tensor's memory in place.  Nothing here
    references the memory block: the interpreter keeps its storages in reference cycles, which
    would otherwise delay freeing tensors until the garbage collector runs.
    """

    __slots__ = ("ptr", "dtype")

    def __init__(self, ptr, dtype):
        self.ptr = ptr
        self.dtype = dtype

    def data_ptr(self):
        return self.ptr

    def untyped_storage(self):
        return _HostStorage(self.ptr)

    def storage_offset(self):
        return 0

    def size(self):
        return ()

    def stride(self):
        return ()

    def new_empty(self, *args, **kwargs):
        return HostArg(self.ptr, self.dtype)

    def set_(self, *args):
        return self

    def copy_(self, other):
        return self
