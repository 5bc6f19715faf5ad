"""Tensors crossing processes by handle: shared-memory storages and their pickling reductions.

`share_storage_` moves a cpu storage into shared memory in place (a memfd, or a /dev/shm file
under the 'file_system' strategy) and repoints every tensor on that storage, so all views keep
working.  `reduce_tensor`, registered on `multiprocessing.reduction.ForkingPickler`, sends a
tensor as (fd or file name, byte offset, shape, byte strides, dtype): the receiver maps the same
memory, so writes on either side are seen by the other.  The fd travels by
`multiprocessing.reduction.DupFd` (SCM_RIGHTS through the resource sharer, or the spawn/forkserver
fd list while a child is being started); nothing has a name, so nothing can leak once the last
process holding the memory exits.
"""
import gc
import os
import weakref
from multiprocessing.reduction import ForkingPickler, DupFd

import numpy as np

from ..cpu_fallback import _array
from .._tensor import Tensor, Storage

__all__ = ["share_storage_", "is_shared", "reduce_tensor", "init_reductions", "shared_empty"]

_strategy = "file_descriptor"
# Receiver cache: memory already mapped here, keyed by the memfd's / file's inode, so the same
# storage received twice (e.g. two views) lands on one mapping.
_mapped = weakref.WeakValueDictionary()


def is_shared(storage):
    """True when the storage's memory is a shared mapping."""
    if storage.device.type != "cpu":
        return False
    return _array.shared_map_of(storage.buf) is not None


def _tensors_on(storages):
    """Every live tensor whose storage is one of ``storages`` (found through the garbage
    collector's referrer lists: moving memory is rare, tracking views on every op is not)."""
    ids = {id(s) for s in storages}
    return [o for o in gc.get_referrers(*storages) if isinstance(o, Tensor) and id(o._storage) in ids]


def share_storage_(storage):
    """Move a cpu storage into shared memory in place (no-op when already shared)."""
    if storage.device.type != "cpu" or is_shared(storage):
        return
    old = storage.buf
    new = _array.shared_empty(old.nbytes, file_system=_strategy == "file_system")
    new[...] = old
    # Storages made by `Tensor.data` share the root object: they move too.
    storages = [o for o in gc.get_referrers(storage.root) if isinstance(o, Storage) and o.root is storage.root
                and o.device.type == "cpu"]
    if storage not in storages:
        storages.append(storage)
    old_address = _array.Array.address(old)
    for t in _tensors_on(storages):
        raw = t._data
        off = _array.Array.address(raw) - old_address
        r = np.ndarray(raw.shape, raw.dtype, buffer=new, offset=off, strides=raw.strides)
        if not raw.flags.writeable:
            r.flags.writeable = False
        t._data = r
    for s in storages:
        s.root = new
        s._buf = new
        s._buf_address = None


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
    share_storage_(storage)
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
    from .._device import CPU
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
    from ..nn.parameter import Parameter
    for cls in (Tensor, Parameter):
        ForkingPickler.register(cls, reduce_tensor)


def _set_strategy(name):
    global _strategy
    _strategy = name


def _get_strategy():
    return _strategy


def shared_empty(shape, dtype):
    """An uninitialised contiguous cpu tensor allocated straight in shared memory (what DataLoader
    workers collate batches into, so they cross to the main process by handle with no move)."""
    from .._device import CPU
    n = dtype.itemsize
    for s in shape:
        n *= s
    buf = _array.shared_empty(n, file_system=_strategy == "file_system")
    raw = np.ndarray(tuple(shape), dtype.np, buffer=buf)
    storage = Storage(buf, CPU)
    storage._buf = buf
    return Tensor._make(raw, storage)
