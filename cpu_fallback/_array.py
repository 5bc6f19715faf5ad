"""Raw-array API of the cpu device: numpy ndarrays over a flat root buffer.

A tensor's storage root is a contiguous ndarray; views are rebuilt from
(shape, strides, offset) in elements over a uint8 view of that root, so the same
view arithmetic serves every device.
"""
import numpy as np


def out_of_memory(shape, itemsize):
    """The error of a failed host allocation: a MemoryError with PyTorch's cpu allocator text,
    naming the size (the registry re-raises it as tritorch.OutOfMemoryError, a RuntimeError),
    never numpy's "Unable to allocate" / "array is too big"."""
    n = itemsize
    for s in shape:
        n *= s
    return MemoryError(f"DefaultCPUAllocator: can't allocate memory: you tried to allocate {n} bytes. "
                       f"Error code 12 (Cannot allocate memory)")


class Array:
    """Namespace of the raw-array operations the registry and Tensor need on cpu."""

    @staticmethod
    def empty(shape, dtype):
        try:
            return np.empty(shape, dtype.np)
        except (MemoryError, ValueError) as e:  # numpy's "Unable to allocate" / "array is too big"
            raise out_of_memory(shape, dtype.itemsize) from e

    @staticmethod
    def from_numpy(arr):
        return arr

    @staticmethod
    def to_numpy(raw):
        return raw

    @staticmethod
    def root_of(arr):
        """The flat uint8 buffer an array's memory belongs to (for views and offsets)."""
        base = arr
        while isinstance(base, np.ndarray) and base.base is not None:
            base = base.base
        if isinstance(base, np.ndarray):
            if base.flags.c_contiguous or base.flags.f_contiguous:
                return base.reshape(-1, order="A").view(np.uint8)
            return None
        try:
            return np.frombuffer(base, np.uint8)
        except (TypeError, ValueError):
            return None

    @staticmethod
    def address(arr):
        return arr.__array_interface__["data"][0]

    @staticmethod
    def strides(raw):
        isz = raw.itemsize
        return tuple(s // isz for s in raw.strides)

    @staticmethod
    def view(buf, shape, strides, offset, dtype):
        isz = dtype.itemsize
        return np.ndarray(shape, dtype.np, buffer=buf, offset=offset * isz,
                          strides=tuple(s * isz for s in strides))

    @staticmethod
    def permute(raw, dims):
        return raw.transpose(dims)

    @staticmethod
    def copy_into(dst, src):
        dst[...] = src

    @staticmethod
    def scalar(raw):
        return raw.item()

    @staticmethod
    def tolist(raw):
        return raw.tolist()


ARRAY = Array
