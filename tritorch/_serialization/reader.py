"""The reading side of `tritorch.load`: `_Archive` (the zip members, storage bytes read or mapped)
and `_restore` (``map_location`` as a function from a storage and its saved location to its device)."""
import os
import struct
import zipfile
import zlib

import numpy as np

from .._device import device as _device_cls, CPU
from .._tensor import Tensor
from .format import _CORRUPT, _LOCAL_HEADER


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
        from .. import cuda
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
