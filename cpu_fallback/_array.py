"""Raw-array API of the cpu device: numpy ndarrays over a flat root buffer.

A tensor's storage root is a contiguous ndarray; views are rebuilt from
(shape, strides, offset) in elements over a uint8 view of that root, so the same
view arithmetic serves every device.
"""
import numpy as np


class Array:
    """Namespace of the raw-array operations the registry and Tensor need on cpu."""

    @staticmethod
    def empty(shape, dtype):
        return np.empty(shape, dtype.np)

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
    def copy_into(dst, src):
        dst[...] = src

    @staticmethod
    def scalar(raw):
        return raw.item()

    @staticmethod
    def tolist(raw):
        return raw.tolist()


ARRAY = Array
