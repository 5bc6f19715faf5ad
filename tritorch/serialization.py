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
import io
import os
import pickle
import secrets
import struct
import sys
import zipfile

from ._device import CPU
from ._tensor import _wrap
from ._serialization.format import _ALIGN
from ._serialization.reader import _Archive, _restore
from ._serialization.unpickler import _Unpickler
from ._serialization.writer import _TorchPickler, _archive_name, _fsync_dir, _write_record

__all__ = ["save", "load"]


# ---- save: the archive's members, in torch's order ------------------------------------------------
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


# ---- load -------------------------------------------------------------------------------------
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
