"""The writing side of `tritorch.save`: `_TorchPickler` pickles tritorch objects under torch's
global names with storages as persistent ids, and `_write_record` writes one zip member whose data
starts 64-byte aligned, as torch's writer does."""
import collections
import os
import pickle
import struct
import zipfile

import numpy as np

from .. import _dtype, _registry
from .._device import device as _device_cls
from .._size import Size
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from .format import _ALIGN, _LOCAL_HEADER, _STORAGE_NAMES


class _Global:
    """A global written into the pickle by name (``torch._utils._rebuild_tensor_v2``, ...)."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def __call__(self, *args):
        # pickle's save_reduce insists on a callable; this one exists only by name, in torch.
        raise TypeError(f"{self.module}.{self.name} is a name written into pickles, not a function")


_G_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_G_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_G_REBUILD_PARAMETER_STATE = _Global("torch._utils", "_rebuild_parameter_with_state")
_G_SIZE = _Global("torch", "Size")
_G_DEVICE = _Global("torch", "device")
_G_STORAGE = {d: _Global("torch", n) for d, n in _STORAGE_NAMES.items()}
_G_DTYPE = {d: _Global("torch", d.name) for d in _dtype.ALL_DTYPES}


class _StorageRecord:
    """One storage to write: its persistent id and how to get its bytes on the host."""

    __slots__ = ("pid", "buf", "device", "nbytes", "dtype")

    def __init__(self, pid, buf, device, nbytes, dtype):
        self.pid = pid
        self.buf = buf
        self.device = device
        self.nbytes = nbytes
        self.dtype = dtype

    def host_bytes(self):
        """The storage's bytes as a flat host uint8 array (one device-to-host copy on cuda)."""
        api = _registry.array_api(self.device.type)
        flat = api.view(self.buf, (self.nbytes,), (1,), 0, _dtype.uint8)
        return np.ascontiguousarray(api.to_numpy(flat)).reshape(-1)


def _location(dev):
    if dev.type == "cuda":
        if dev.index is not None:
            return f"cuda:{dev.index}"
        from .. import cuda
        return f"cuda:{cuda.current_device()}"
    return str(dev)


class _TorchPickler(pickle._Pickler):
    """Pickles tritorch objects as torch's pickler does (torch globals, storages as persistent ids).

    The pure-Python pickler is used because only it lets `save_global` write a global by name
    without importing its module (the C pickler imports ``torch`` to check the name)."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.records = {}  # storage identity -> _StorageRecord, in first-use order (keys "0", "1", ...)

    def persistent_id(self, obj):
        return obj.pid if type(obj) is _StorageRecord else None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if type(obj) is Size:
            return _G_SIZE, (tuple(obj),)
        if type(obj) is _device_cls:
            return _G_DEVICE, (str(obj),)
        return NotImplemented

    def _save_torch_global(self, obj):
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + obj.module.encode() + b"\n" + obj.name.encode() + b"\n")
        self.memoize(obj)

    def _save_dtype(self, obj):
        self._save_torch_global(_G_DTYPE[obj])

    dispatch[_Global] = _save_torch_global
    dispatch[_dtype.dtype] = _save_dtype

    def _reduce_tensor(self, t):
        from ..nn.parameter import Parameter
        if isinstance(t, Parameter):
            data = Tensor._make(t._data, t._storage)
            data._offset = t._offset
            state = t.__dict__
            if state:
                return _G_REBUILD_PARAMETER_STATE, (data, t._requires_grad, collections.OrderedDict(), dict(state))
            return _G_REBUILD_PARAMETER, (data, t._requires_grad, collections.OrderedDict())
        rec, offset, stride = self._storage(t)
        return _G_REBUILD_TENSOR, (rec, offset, tuple(t._data.shape), stride, t._requires_grad,
                                   collections.OrderedDict())

    def _storage(self, t):
        """(record, storage offset, strides) of ``t``: its whole storage, shared with every other
        tensor over the same memory; a private contiguous copy when the memory is not one buffer."""
        dt = t.dtype
        dev = t._storage.device
        geom = _storage_geometry(t)
        if geom is None:  # not one flat buffer: save the values alone (torch has no such tensors)
            with no_grad():
                t = t.detach().contiguous().clone()
            geom = _storage_geometry(t)
        buf, nbytes, offset, stride = geom
        api = _registry.array_api(dev.type)
        key = (str(dev), api.address(buf) if nbytes else id(t._storage))
        rec = self.records.get(key)
        if rec is None:
            pid = ("storage", _G_STORAGE[dt], str(len(self.records)), _location(dev), nbytes // dt.itemsize)
            rec = self.records[key] = _StorageRecord(pid, buf, dev, nbytes, dt)
        elif rec.dtype is not dt:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data as different types")
        return rec, offset, stride


def _storage_geometry(t):
    """(buffer, nbytes, offset, strides) of the whole memory under ``t``, or None when it has no
    single flat buffer holding a whole number of elements at non-negative strides."""
    isz = t.dtype.itemsize
    try:
        buf = t._storage.buf
    except RuntimeError:
        return None
    nbytes = buf.nbytes
    api = _registry.array_api(t._storage.device.type)
    delta = api.address(t._data) - api.address(buf) if nbytes else 0
    stride = t.stride()
    if nbytes % isz or delta % isz or delta < 0 or any(s < 0 for s in stride):
        return None
    return buf, nbytes, delta // isz, stride


def _padding_extra(offset, name_len, zip64):
    """torch's alignment padding: an extra field ('FB', size, 'Z'*size) that moves the record's
    data to a multiple of 64 bytes (the zip64 extra, when present, follows it)."""
    end = offset + _LOCAL_HEADER + name_len + 4 + (20 if zip64 else 0)
    n = (-end) % _ALIGN
    return b"FB" + struct.pack("<H", n) + b"Z" * n


def _write_record(zf, start, name, data):
    """Write one stored member whose data starts 64-byte aligned (relative to the archive start)."""
    data = memoryview(data).cast("B")
    zinfo = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    zinfo.compress_type = zipfile.ZIP_STORED
    zinfo.file_size = len(data)
    zip64 = len(data) * 1.05 > zipfile.ZIP64_LIMIT  # zipfile's own rule for open("w")
    zinfo.extra = _padding_extra(zf.fp.tell() - start, len(name.encode()), zip64)
    with zf.open(zinfo, "w", force_zip64=zip64) as w:
        w.write(data)


def _archive_name(f):
    if isinstance(f, (str, os.PathLike)):
        stem = os.path.splitext(os.path.basename(os.fspath(f)))[0]
        if stem and stem.isascii() and stem.isprintable():
            return stem
    return "archive"


def _fsync_dir(folder):
    """Make the rename durable (POSIX); directories cannot be opened for fsync on Windows."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
