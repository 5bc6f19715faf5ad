"""Raw-array API of the cpu device: numpy ndarrays over a flat root buffer.

A tensor's storage root is a contiguous ndarray; views are rebuilt from
(shape, strides, offset) in elements over a uint8 view of that root, so the same
view arithmetic serves every device.
"""
import mmap
import os
import secrets

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


# ---- shared memory (tritorch.multiprocessing) -------------------------------------------------
class SharedMap(mmap.mmap):
    """A MAP_SHARED mapping of a memfd (``name`` None) or of a /dev/shm file (``name`` its path).

    It owns ``fd`` (kept open so the memory can be handed to other processes by fd) and closes it
    when the mapping is freed, i.e. when the last ndarray over it dies.  A /dev/shm file is
    unlinked by its creator (``owner``) at that point; receivers only map it."""

    def __new__(cls, fd, nbytes, name=None, owner=False):
        self = super().__new__(cls, fd, max(nbytes, 1))
        self.fd, self.name, self.owner = fd, name, owner
        return self

    def __del__(self):
        os.close(self.fd)
        if self.owner and self.name is not None:
            try:
                os.unlink(self.name)
            except FileNotFoundError:
                pass


def shared_empty(nbytes, file_system=False):
    """A flat uint8 ndarray of ``nbytes`` in shared memory: an anonymous memfd (no name to leak),
    or with ``file_system`` a /dev/shm file that other processes open by name."""
    name = None
    if file_system:
        name = f"/dev/shm/tritorch_{os.getpid()}_{secrets.token_hex(8)}"
        fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    else:
        fd = os.memfd_create("tritorch", os.MFD_CLOEXEC)
    try:
        os.ftruncate(fd, max(nbytes, 1))
        m = SharedMap(fd, nbytes, name, owner=True)
    except BaseException:
        os.close(fd)
        if name is not None:
            os.unlink(name)
        raise
    return np.frombuffer(m, np.uint8, nbytes)


def open_shared(fd, nbytes, name=None):
    """Map shared memory received from another process (an fd this call takes over, or a
    /dev/shm name when ``fd`` is None) as a flat uint8 ndarray."""
    if fd is None:
        fd = os.open(name, os.O_RDWR)
    try:
        m = SharedMap(fd, nbytes, name)
    except BaseException:
        os.close(fd)
        raise
    return np.frombuffer(m, np.uint8, nbytes)


def shared_map_of(buf):
    """The SharedMap under a flat buffer, or None when its memory is private."""
    base = buf
    while isinstance(base, (np.ndarray, memoryview)):
        base = base.base if isinstance(base, np.ndarray) else base.obj
    return base if isinstance(base, SharedMap) else None
