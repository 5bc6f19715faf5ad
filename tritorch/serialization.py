"""`tritorch.save` / `tritorch.load`: checkpoints in PyTorch's own zip format.

A file written by `tritorch.save` loads with ``torch.load(f, weights_only=True)`` and a file written
by ``torch.save`` (PyTorch >= 1.6, the zip format) loads with `tritorch.load`.  The layout is
torch's: an uncompressed zip whose members sit under one folder, ``<archive>/``::

    data.pkl                   the object, pickled (protocol 2 by default); each tensor is
                               torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
                               requires_grad, OrderedDict()) and each storage the persistent id
                               ('storage', torch.<Type>Storage, key, location, numel)
    .format_version, .storage_alignment ("64"), byteorder ("little"), version ("3\\n")
    data/<key>                 one raw storage: every element of it, little-endian, the member's
                               bytes starting at a 64-byte aligned file offset (so they can be mapped)
    .data/serialization_id     a random 40-digit id, as torch writes

Tensors that share memory share one storage record and come back as views of one storage
(writes through one show in the other), with their offsets and strides.  The pickle names torch's
globals (tritorch never imports torch); loading maps them to tritorch's equivalents.

Loading never runs code from the file: the unpickler resolves only an allow-list of globals
(the ones torch's ``weights_only`` format uses) to tritorch objects, lets only those be called
(REDUCE/NEWOBJ) and lets BUILD fill only OrderedDict/Counter; any other global raises
`pickle.UnpicklingError` naming it.  ``weights_only=False`` widens the list to tritorch's own
pickles (`pickle.dump` of tritorch tensors, dtypes, devices, sizes) and numpy arrays, and still
refuses every other global: tritorch.load never imports or calls arbitrary names, so checkpoints
holding arbitrary Python objects (torch's ``weights_only=False`` use) are refused, not run.
"""
import collections
import io
import os
import pickle
import secrets
import struct
import sys
import warnings
import zipfile
import zlib
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING

import numpy as np

from . import _dtype, _registry
from ._device import device as _device_cls, CPU
from ._size import Size
from ._tensor import Tensor, _wrap
from .autograd.grad_mode import no_grad

__all__ = ["save", "load"]

_ALIGN = 64  # torch's storage_alignment: data records start at multiples of 64 bytes
_LOCAL_HEADER = 30  # fixed part of a zip local file header
_STORAGE_NAMES = {
    _dtype.float32: "FloatStorage", _dtype.float64: "DoubleStorage", _dtype.float16: "HalfStorage",
    _dtype.bfloat16: "BFloat16Storage", _dtype.int64: "LongStorage", _dtype.int32: "IntStorage",
    _dtype.int16: "ShortStorage", _dtype.int8: "CharStorage", _dtype.uint8: "ByteStorage", _dtype.bool: "BoolStorage",
}
_STORAGE_DTYPES = {v: k for k, v in _STORAGE_NAMES.items()}
_CORRUPT = ("This can happen if the checkpoint was not saved properly, was transferred incorrectly, "
            "or the file was modified after saving.")


# ---- save -------------------------------------------------------------------------------------
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
        from . import cuda
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
        from .nn.parameter import Parameter
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


def _write_archive(obj, fileobj, archive, pickle_protocol):
    buf = io.BytesIO()
    pickler = _TorchPickler(buf, pickle_protocol)
    pickler.dump(obj)
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED) as zf:
        start = zf.fp.tell()  # the archive's start (zipfile counts from 0 on unseekable streams)
        p = archive + "/"
        _write_record(zf, start, p + "data.pkl", buf.getbuffer())
        _write_record(zf, start, p + ".format_version", b"1")
        _write_record(zf, start, p + ".storage_alignment", str(_ALIGN).encode())
        _write_record(zf, start, p + "byteorder", sys.byteorder.encode())
        for rec in pickler.records.values():
            _write_record(zf, start, p + "data/" + rec.pid[2], rec.host_bytes())
        _write_record(zf, start, p + "version", b"3\n")
        _write_record(zf, start, p + ".data/serialization_id", f"{secrets.randbits(128):040d}".encode())


def save(obj, f, pickle_module=None, pickle_protocol=2):
    """Save ``obj`` to ``f`` in PyTorch's zip checkpoint format (loadable by ``torch.load``).

    ``f``: a path (str / os.PathLike) or a writable binary file object.  Saving to a path is
    atomic: the archive is written to a temporary file in the same folder, flushed and fsynced,
    then renamed over ``f``; a save that fails midway leaves any earlier file untouched.
    cuda tensors are copied to the host and tagged with their device ('cuda:N').
    ``pickle_module`` must be None or `pickle` (tritorch writes torch's globals by name)."""
    if pickle_module not in (None, pickle):
        raise ValueError("tritorch.save: pickle_module must be None or the pickle module")
    if not isinstance(f, (str, os.PathLike)):
        _write_archive(obj, f, _archive_name(f), pickle_protocol)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_archive(obj, fh, _archive_name(path), pickle_protocol)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


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


# ---- load -------------------------------------------------------------------------------------
class _StorageType:
    """What ``torch.<Type>Storage`` resolves to: only its dtype is used (in persistent ids)."""

    __slots__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype


_STORAGE_TYPES = {n: _StorageType(d) for n, d in _STORAGE_DTYPES.items()}
_STORAGE_TYPES["UntypedStorage"] = _StorageType(_dtype.uint8)
_TENSOR_TYPE = object()  # torch.Tensor, as _rebuild_from_type_v2's type argument


def _encode(obj, encoding="latin1"):
    """``_codecs.encode`` as pickles of bytes use it: a str, latin-1 encoded."""
    if type(obj) is not str or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode is only allowed for latin1-encoded bytes")
    return obj.encode("latin1")


def _bytes(*args):
    if args and not (len(args) == 1 and isinstance(args[0], (bytes, bytearray))):
        raise pickle.UnpicklingError("builtins.bytes is only allowed with no argument or bytes")
    return bytes(*args)


def _bytearray(*args):
    if args and not (len(args) == 1 and isinstance(args[0], (bytes, bytearray))):
        raise pickle.UnpicklingError("builtins.bytearray is only allowed with no argument or bytes")
    return bytearray(*args)


def _checked_ints(name, v, n=None):
    if not isinstance(v, (tuple, list)) or not all(type(x) is int for x in v) or (n is not None and len(v) != n):
        raise pickle.UnpicklingError(f"tritorch.load: malformed tensor record: {name} {v!r}")
    return tuple(v)


class _Unpickler(pickle._Unpickler):
    """The allow-list unpickler: `find_class` maps the globals of torch's weights-only format to
    tritorch objects and refuses the rest; only allowed callables run (REDUCE, NEWOBJ) and BUILD
    only fills OrderedDict/Counter, so nothing a file names beyond the list is ever called.
    (The pure-Python unpickler is used because only its opcodes can be restricted.)"""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, load_storage, weights_only):
        super().__init__(file, encoding="utf-8")
        self._load_storage = load_storage
        self._storages = {}  # key -> flat storage tensor
        self._storage_ids = set()
        self._weights_only = weights_only
        self._globals = self._allowed_globals(weights_only)
        self._callables = {id(v) for v in self._globals.values() if callable(v)}

    def _allowed_globals(self, weights_only):
        from .nn.parameter import Parameter
        from . import _tensor
        g = {
            "collections.OrderedDict": collections.OrderedDict,
            "collections.Counter": collections.Counter,
            "torch._utils._rebuild_tensor": self._rebuild_tensor,
            "torch._utils._rebuild_tensor_v2": self._rebuild_tensor_v2,
            "torch._utils._rebuild_parameter": self._rebuild_parameter,
            "torch._utils._rebuild_parameter_with_state": self._rebuild_parameter_with_state,
            "torch._tensor._rebuild_from_type_v2": self._rebuild_from_type_v2,
            "torch.nn.parameter.Parameter": self._new_parameter,
            "torch.Tensor": _TENSOR_TYPE,
            "torch.Size": Size,
            "torch.device": _device_cls,
            "_codecs.encode": _encode,
            "builtins.bytes": _bytes,
            "builtins.bytearray": _bytearray,
            "builtins.set": set,
            "builtins.frozenset": frozenset,
            "builtins.complex": complex,
        }
        for d in _dtype.ALL_DTYPES:
            g["torch." + d.name] = d
        for n, st in _STORAGE_TYPES.items():
            g["torch." + n] = st
        g["torch.storage.UntypedStorage"] = _STORAGE_TYPES["UntypedStorage"]
        if not weights_only:
            mu = (getattr(np, "_core", None) or np.core).multiarray  # numpy 2 / numpy 1.26
            g.update({"tritorch._tensor._rebuild": _tensor._rebuild, "tritorch._tensor.Tensor": Tensor,
                      "tritorch.nn.parameter.Parameter": Parameter, "tritorch._size.Size": Size,
                      "tritorch._device.device": _device_cls,
                      "numpy.ndarray": np.ndarray, "numpy.dtype": np.dtype,
                      "numpy.core.multiarray._reconstruct": mu._reconstruct,
                      "numpy._core.multiarray._reconstruct": mu._reconstruct,
                      "numpy.core.multiarray.scalar": mu.scalar,
                      "numpy._core.multiarray.scalar": mu.scalar})
            for d in _dtype.ALL_DTYPES:
                g["tritorch._dtype." + d.name] = d
        return g

    def find_class(self, module, name):
        if self.proto < 3:  # protocol-2 pickles name Python 2 modules (__builtin__, copy_reg)
            if (module, name) in NAME_MAPPING:
                module, name = NAME_MAPPING[(module, name)]
            elif module in IMPORT_MAPPING:
                module = IMPORT_MAPPING[module]
        full = f"{module}.{name}"
        try:
            return self._globals[full]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Unsupported global: GLOBAL {full} was not an allowed global: tritorch.load resolves only the "
                "globals of tensor checkpoints (torch's weights_only format) and never imports or calls "
                "other names from a file") from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and type(pid[1]) is _StorageType and type(pid[2]) is str and type(pid[3]) is str
                and type(pid[4]) is int and pid[4] >= 0):
            raise pickle.UnpicklingError(f"tritorch.load: unsupported persistent id {pid!r}")
        _, stype, key, location, numel = pid
        st = self._storages.get(key)
        if st is None:
            st = self._storages[key] = self._load_storage(key, stype.dtype, numel, location)
            self._storage_ids.add(id(st))
        return st

    # -- rebuild functions (what torch._utils' names resolve to) --
    def _rebuild_tensor(self, storage, storage_offset, size, stride):
        if type(storage) is not Tensor or id(storage) not in self._storage_ids:
            raise pickle.UnpicklingError("tritorch.load: a tensor record must name a storage of the archive")
        if type(storage_offset) is not int:
            raise pickle.UnpicklingError(f"tritorch.load: malformed tensor record: storage offset {storage_offset!r}")
        size = _checked_ints("size", size)
        stride = _checked_ints("stride", stride, len(size))
        with no_grad():
            # as_strided checks the geometry against the storage (offsets are absolute there).
            v = storage.as_strided(size, stride, storage.storage_offset() + storage_offset)
        t = Tensor._make(v._data, v._storage)  # a leaf over the storage, as torch's set_() makes
        t._offset = v._offset
        return t

    def _rebuild_tensor_v2(self, storage, storage_offset, size, stride, requires_grad, backward_hooks,
                           metadata=None):
        t = self._rebuild_tensor(storage, storage_offset, size, stride)
        if metadata and metadata.get("neg"):
            with no_grad():
                t = t.neg()
        if metadata and metadata.get("conj"):
            raise pickle.UnpicklingError("tritorch.load: conjugated (complex) tensors are not supported")
        if requires_grad:
            t.requires_grad_(True)
        return t

    def _new_parameter(self, data=None, requires_grad=True):
        from .nn.parameter import Parameter
        if not isinstance(data, Tensor) and data is not None:
            raise pickle.UnpicklingError("tritorch.load: Parameter data must be a tensor")
        return Parameter(data, bool(requires_grad))

    def _rebuild_parameter(self, data, requires_grad, backward_hooks):
        return self._new_parameter(data, requires_grad)

    def _rebuild_parameter_with_state(self, data, requires_grad, backward_hooks, state):
        p = self._new_parameter(data, requires_grad)
        if isinstance(state, tuple) and len(state) == 2:  # (dict state, slot state), Python's layout
            state = {**(state[0] or {}), **(state[1] or {})}
        if state:
            if not isinstance(state, dict) or not all(type(k) is str for k in state):
                raise pickle.UnpicklingError("tritorch.load: malformed Parameter state")
            p.__dict__.update(state)  # plain attributes only: the type's slots and properties win
        return p

    def _rebuild_from_type_v2(self, func, new_type, args, state):
        if func not in (self._rebuild_tensor, self._rebuild_tensor_v2, self._rebuild_parameter,
                        self._rebuild_parameter_with_state) or not isinstance(args, tuple):
            raise pickle.UnpicklingError("tritorch.load: _rebuild_from_type_v2 must rebuild a tensor")
        t = func(*args)
        if new_type == self._new_parameter and type(t) is Tensor:
            t = self._new_parameter(t, t.requires_grad)
        elif new_type is not _TENSOR_TYPE and new_type != self._new_parameter:
            raise pickle.UnpicklingError("tritorch.load: only Tensor and Parameter types can be rebuilt")
        if state:
            if hasattr(t, "__dict__") and isinstance(state, dict):
                t.__dict__.update({k: v for k, v in state.items() if type(k) is str})
            else:
                warnings.warn("tritorch.load: dropped the Python attributes of a saved tensor "
                              "(tritorch tensors have no __dict__)", stacklevel=3)
        return t

    # -- restricted opcodes --
    def load_reduce(self):
        stack = self.stack
        args = stack.pop()
        func = stack[-1]
        if id(func) not in self._callables:
            raise pickle.UnpicklingError(f"tritorch.load: refusing to call {func!r}: not an allowed global")
        if not isinstance(args, tuple):
            raise pickle.UnpicklingError("tritorch.load: malformed REDUCE arguments")
        stack[-1] = func(*args)

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, {}))

    def load_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, kwargs))

    def _new(self, cls, args, kwargs):
        if cls == self._new_parameter:
            return self._new_parameter(*args, **kwargs)
        if not isinstance(cls, type) or id(cls) not in self._callables:
            raise pickle.UnpicklingError(f"tritorch.load: refusing to create {cls!r}: not an allowed class")
        return cls.__new__(cls, *args, **kwargs)

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) in (collections.OrderedDict, collections.Counter) and isinstance(state, dict):
            inst.__dict__.update(state)
        elif isinstance(inst, (np.ndarray, np.dtype)) and not self._weights_only:
            inst.__setstate__(state)
        else:
            raise pickle.UnpicklingError(f"tritorch.load: refusing to set the state of a {type(inst).__name__}")

    def load_inst(self):
        raise pickle.UnpicklingError("tritorch.load: the INST opcode (protocol 0 instances) is not allowed")

    def load_obj(self):
        raise pickle.UnpicklingError("tritorch.load: the OBJ opcode (protocol 1 instances) is not allowed")

    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex
    dispatch[pickle.BUILD[0]] = load_build
    dispatch[pickle.INST[0]] = load_inst
    dispatch[pickle.OBJ[0]] = load_obj


def _reader_error(what):
    return RuntimeError(f"PytorchStreamReader failed reading {what}. There is a high likelihood that your "
                        f"checkpoint file is corrupted. {_CORRUPT}")


class _Archive:
    """The zip side of loading: members under one folder, storage bytes read or mapped."""

    def __init__(self, fileobj, path, mmap):
        self.fp = fileobj
        self.path = path
        self.mmap = mmap
        try:
            self.zf = zipfile.ZipFile(fileobj)
            names = self.zf.namelist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, struct.error) as e:
            raise _reader_error(f"zip archive: failed finding central directory ({e})") from None
        if not names or "/" not in names[0]:
            raise _reader_error("zip archive: file in archive is not in a subdirectory")
        self.prefix = names[0].split("/", 1)[0] + "/"
        self.size = fileobj.seek(0, os.SEEK_END)

    def has(self, name):
        try:
            self.zf.getinfo(self.prefix + name)
            return True
        except KeyError:
            return False

    def read(self, name):
        try:
            return self.zf.read(self.prefix + name)
        except KeyError:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not found") from None
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, struct.error) as e:
            raise _reader_error(f"file {name} ({e})") from None

    def _data_offset(self, zinfo, name):
        self.fp.seek(zinfo.header_offset)
        head = self.fp.read(_LOCAL_HEADER)
        if len(head) != _LOCAL_HEADER or head[:4] != b"PK\x03\x04":
            raise _reader_error(f"file {name}: invalid header or archive is corrupted")
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        return zinfo.header_offset + _LOCAL_HEADER + name_len + extra_len

    def storage_bytes(self, key, nbytes, itemsize):
        """The record data/<key> as a flat writable uint8 array of ``nbytes`` (mapped copy-on-write
        with ``mmap``).  As in torch, its CRC-32 is not checked: that would double the load time,
        and a damaged byte only changes a value (sizes and offsets come from the pickle, which is checked)."""
        name = f"data/{key}"
        try:
            zinfo = self.zf.getinfo(self.prefix + name)
        except KeyError:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not found") from None
        if zinfo.file_size != nbytes:
            raise _reader_error(f"file {name}: the record holds {zinfo.file_size} bytes but its storage "
                                f"needs {nbytes}")
        if zinfo.compress_type != zipfile.ZIP_STORED:  # re-zipped by another tool: decompress it
            return np.frombuffer(bytearray(self.read(name)), np.uint8)
        off = self._data_offset(zinfo, name)
        if off + nbytes > self.size:
            raise _reader_error(f"file {name}: the archive is truncated")
        if nbytes == 0:
            return np.empty(0, np.uint8)
        if self.mmap and off % itemsize == 0:
            return np.memmap(self.path, np.uint8, mode="c", offset=off, shape=(nbytes,))
        out = np.empty(nbytes, np.uint8)
        self.fp.seek(off)
        if self.fp.readinto(memoryview(out)) != nbytes:
            raise _reader_error(f"file {name}: the archive is truncated")
        return out


def _restore_device(location):
    """The device a storage tagged ``location`` is restored on (PyTorch's default_restore_location)."""
    if location == "cpu":
        return CPU
    if location == "cuda" or location.startswith("cuda:"):
        from . import cuda
        try:
            dev = _device_cls(location)
        except (RuntimeError, ValueError):
            raise RuntimeError(f"don't know how to restore data location of a storage (tagged with {location})") \
                from None
        if not cuda.is_available():
            raise RuntimeError("Attempting to deserialize object on a CUDA device but tritorch.cuda.is_available() "
                               "is False. If you are running on a CPU-only machine, please use tritorch.load with "
                               "map_location=tritorch.device('cpu') to map your storages to the CPU.")
        n = cuda.device_count()
        if (dev.index or 0) >= n:
            raise RuntimeError(f"Attempting to deserialize object on CUDA device {dev.index} but "
                               f"tritorch.cuda.device_count() is {n}. Please use tritorch.load with map_location to "
                               "map your storages to an existing device.")
        return dev
    raise RuntimeError(f"don't know how to restore data location of a storage (tagged with {location})")


def _restore(map_location):
    """callable(storage tensor, location) -> storage tensor on its device, from ``map_location``."""
    def default(st, location):
        dev = _restore_device(location)
        return st if dev.type == "cpu" else st.to(dev)

    if map_location is None:
        return default
    if isinstance(map_location, dict):
        return lambda st, loc: default(st, str(map_location.get(loc, loc)))
    if isinstance(map_location, (str, _device_cls)):
        target = str(map_location)
        return lambda st, loc: default(st, target)
    if callable(map_location):
        def call(st, loc):
            r = map_location(st, loc)
            if r is None:
                return default(st, loc)
            if not isinstance(r, Tensor) or r.dtype is not st.dtype or tuple(r.shape) != tuple(st.shape):
                raise RuntimeError("tritorch.load: map_location must return the storage it was given (a flat "
                                   "tensor of the same dtype and size), moved to some device, or None")
            return r if r.is_contiguous() else r.contiguous()
        return call
    raise TypeError(f"tritorch.load: map_location must be None, a str, a tritorch.device, a dict or a callable, "
                    f"not {type(map_location).__name__}")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=False):
    """Load an object saved by `tritorch.save` or ``torch.save`` (the zip format of PyTorch >= 1.6).

    ``f``: a path or a readable binary file object.  ``map_location`` as in PyTorch: None (each
    storage back on its saved device), a str or `tritorch.device` (all storages there), a dict
    ``{'cuda:0': 'cpu'}`` remapping saved locations, or ``callable(storage, location)`` returning
    the storage moved (or None for the default); tritorch has no Storage class, so the storage is
    handed over as a flat 1-D cpu tensor of its dtype.  ``mmap=True`` maps each storage from the
    file (copy-on-write: writes to the tensors never reach the file) instead of reading it; ``f``
    must then be a path.  A truncated or damaged archive raises RuntimeError ("PytorchStreamReader
    failed ..."); data.pkl and the small records are checked against their CRC-32, storage bytes are
    not (as in torch: a flipped byte there loads as stored).

    Only the globals of torch's weights-only format resolve (to tritorch objects); any other
    global raises `pickle.UnpicklingError` naming it and no code from the file ever runs.
    ``weights_only=False`` also admits tritorch's own pickled objects and numpy arrays, still
    refusing everything else (unlike torch, tritorch never unpickles arbitrary objects).
    ``pickle_module``: None (or `pickle` with ``weights_only=False``)."""
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if pickle_module not in (None, pickle):
        raise ValueError("tritorch.load: pickle_module must be None or the pickle module (tritorch always uses its "
                         "allow-list unpickler)")
    is_path = isinstance(f, (str, os.PathLike))
    if mmap and not is_path:
        raise ValueError("f must be a file path in order to use the mmap argument")
    restore = _restore(map_location)
    if is_path:
        with open(f, "rb") as fh:
            return _load(fh, os.fspath(f), restore, weights_only, mmap)
    if not (hasattr(f, "read") and hasattr(f, "seek")):
        raise TypeError(f"tritorch.load: expected a path or a seekable binary file object, got {type(f).__name__}")
    return _load(f, None, restore, weights_only, mmap)


def _load(fh, path, restore, weights_only, mmap):
    start = fh.tell()
    magic = fh.read(4)
    fh.seek(start)
    if magic != b"PK\x03\x04":
        if not magic:
            raise RuntimeError("tritorch.load: the file is empty")
        raise RuntimeError("tritorch.load: not a zip checkpoint. Files from torch.save before PyTorch 1.6 (or with "
                           "_use_new_zipfile_serialization=False) use the legacy format, which tritorch does not "
                           "read: re-save them with a current torch.save")
    arc = _Archive(fh, path, mmap)
    if not arc.has("data.pkl"):
        if arc.has("constants.pkl"):
            raise RuntimeError("tritorch.load: this is a TorchScript archive (torch.jit.save), not a checkpoint")
        raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
    order = arc.read("byteorder").decode("ascii", "replace") if arc.has("byteorder") else sys.byteorder
    if order not in ("little", "big"):
        raise ValueError("Unknown endianness type: " + order)

    def load_storage(key, dt, numel, location):
        raw = arc.storage_bytes(key, numel * dt.itemsize, dt.itemsize)
        typed = raw.view(dt.np)
        if order != sys.byteorder and dt.itemsize > 1:
            typed.byteswap(inplace=True)
        return restore(_wrap(typed, CPU), location)

    unpickler = _Unpickler(io.BytesIO(arc.read("data.pkl")), load_storage, weights_only)
    try:
        return unpickler.load()
    except (pickle.UnpicklingError, RuntimeError, MemoryError):
        raise
    except (EOFError, IndexError, KeyError, TypeError, ValueError, AttributeError, struct.error,
            UnicodeDecodeError, OverflowError) as e:
        raise pickle.UnpicklingError(f"tritorch.load: the checkpoint's data.pkl is malformed "
                                     f"({type(e).__name__}: {e})") from None
