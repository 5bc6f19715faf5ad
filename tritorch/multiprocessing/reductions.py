"""Tensors crossing processes by handle: shared-memory storages and their pickling reductions.

`Storage.share_memory_` (tritorch._tensor) moves a cpu storage into shared memory in place (a
memfd, or a /dev/shm file under the 'file_system' strategy) and repoints every tensor on that
storage, so all views keep working.  `reduce_tensor`, registered on `multiprocessing.reduction.ForkingPickler`, sends a
tensor as (fd or file name, byte offset, shape, byte strides, dtype): the receiver maps the same
memory, so writes on either side are seen by the other.  The fd travels by
`multiprocessing.reduction.DupFd` (SCM_RIGHTS through the resource sharer, or the spawn/forkserver
fd list while a child is being started); nothing has a name, so nothing can leak once the last
process holding the memory exits.
"""
import os
import weakref
from multiprocessing.reduction import ForkingPickler, DupFd

import numpy as np

from ..cpu_fallback import _array
from .._device import CPU
from .._tensor import Tensor, Storage
from ..nn.parameter import Parameter

__all__ = ["reduce_tensor", "init_reductions", "shared_empty"]

# Receiver cache: memory already mapped here, keyed by the memfd's / file's inode, so the same
# storage received twice (e.g. two views) lands on one mapping.
_mapped = weakref.WeakValueDictionary()


def _handle(shm):
    """What a receiver needs to map ``shm``: a DupFd (or the /dev/shm name) and its inode key."""
    st = os.fstat(shm.fd)
    key = (st.st_dev, st.st_ino)
    if shm.name is not None:
        return (None, shm.name, key)
    return (DupFd(shm.fd), None, key)


def reduce_tensor(t):
    """ForkingPickler reduction: a cpu tensor travels as a handle to its (shared) memory."""
    if t.device.type != "cpu":
        raise RuntimeError(
            f"tritorch.multiprocessing: cannot send a {t.device.type} tensor to another process: sharing device "
            "memory needs cuda.core IPC memory pools, which tritorch does not implement yet. Move it to the cpu "
            "first (tensor.cpu()).")
    if t.requires_grad and not t.is_leaf:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does not support "
            "crossing process boundaries.  If you just want to transfer the data, call detach() on the tensor "
            "before serializing (e.g., putting it on the queue).")
    storage = t._storage
    storage.share_memory_()
    buf = storage.buf
    shm = _array.shared_map_of(buf)
    raw = t._data
    off = _array.Array.address(raw) - _array.Array.address(buf)
    return (_rebuild_tensor, (type(t), _handle(shm), buf.nbytes, raw.shape, raw.strides, off, raw.dtype, t.requires_grad,
                              raw.flags.writeable))


def _rebuild_tensor(cls, handle, nbytes, shape, strides, offset, np_dtype, requires_grad, writeable):
    dup, name, key = handle
    try:
        fd = dup.detach() if dup is not None else None
    except (FileNotFoundError, ConnectionError) as e:
        raise RuntimeError(
            "tritorch.multiprocessing: the process that sent this tensor exited before it was received; the "
            "sender must stay alive until every receiver got it (as in PyTorch)") from e
    shm = _mapped.get(key)
    if shm is not None:
        if fd is not None:
            os.close(fd)
        buf = np.frombuffer(shm, np.uint8, nbytes)
    else:
        buf = _array.open_shared(fd, nbytes, name)
        _mapped[key] = _array.shared_map_of(buf)
    raw = np.ndarray(shape, np_dtype, buffer=buf, offset=offset, strides=strides)
    if not writeable:
        raw.flags.writeable = False
    storage = Storage(buf, CPU)
    storage._buf = buf
    t = Tensor._make(raw, storage)
    if cls is not Tensor:
        if getattr(cls, "_accepts_requires_grad", False):
            return cls(t, requires_grad=requires_grad)
        t = Tensor._make(raw, storage, cls)
    if requires_grad:
        t.requires_grad_(True)
    return t


def init_reductions():
    """Register the reductions for Tensor and nn.Parameter on ForkingPickler (what Queue, Pipe,
    Pool and spawn-time arguments pickle with)."""
    for cls in (Tensor, Parameter):
        ForkingPickler.register(cls, reduce_tensor)


def _set_strategy(name):
    Storage.sharing_strategy = name


def _get_strategy():
    return Storage.sharing_strategy


def shared_empty(shape, dtype):
    """An uninitialised contiguous cpu tensor allocated straight in shared memory (what DataLoader
    workers collate batches into, so they cross to the main process by handle with no move)."""
    n = dtype.itemsize
    for s in shape:
        n *= s
    buf = _array.shared_empty(n, file_system=Storage.sharing_strategy == "file_system")
    raw = np.ndarray(tuple(shape), dtype.np, buffer=buf)
    storage = Storage(buf, CPU)
    storage._buf = buf
    return Tensor._make(raw, storage)
