"""`tritorch.utils.safetensors`: the safetensors format, mirroring ``safetensors.torch``.

``save_file(tensors, filename, metadata=None)``, ``load_file(filename, device='cpu')``,
``save(tensors, metadata=None) -> bytes`` and ``load(data) -> dict``.  Built on the
``safetensors`` package's numpy side (``safetensors.numpy``; bfloat16 travels as ml_dtypes
bfloat16 arrays, which its serializer accepts).  As in ``safetensors.torch``, tensors must be
contiguous and must not share memory (views of one buffer would be written twice and come back
as separate tensors): both raise.
"""
import collections

import numpy as np
import safetensors
import safetensors.numpy

from .. import _dtype
from .._device import device as _device_cls
from .._tensor import Tensor
from .._ops.creation import from_numpy

__all__ = ["save_file", "load_file", "save", "load"]

# safetensors' dtype codes -> tritorch dtypes (codes without a tritorch dtype are refused on load).
_DTYPES = {"F64": _dtype.float64, "F32": _dtype.float32, "F16": _dtype.float16, "BF16": _dtype.bfloat16,
           "I64": _dtype.int64, "I32": _dtype.int32, "I16": _dtype.int16, "I8": _dtype.int8,
           "U8": _dtype.uint8, "BOOL": _dtype.bool}


def _storage_span(t):
    """(storage key, first byte, end byte) of ``t``'s memory, as safetensors.torch compares them."""
    buf = t._storage.buf
    start = t.data_ptr()
    end = start + t.nbytes
    return (str(t.device), id(buf) if buf.nbytes == 0 else t._storage.buf_address), start, end


def _check_shared(tensors):
    groups = collections.defaultdict(list)
    for k, v in tensors.items():
        if v.numel():
            key, start, end = _storage_span(v)
            groups[key].append((start, end, k))
    failing = []
    for areas in groups.values():
        areas.sort()
        overlap = [{areas[0][2]}]
        last_stop = areas[0][1]
        for start, stop, name in areas[1:]:
            if start >= last_stop:
                overlap.append({name})
            else:
                overlap[-1].add(name)
            last_stop = max(last_stop, stop)
        failing += [names for names in overlap if len(names) > 1]
    if failing:
        raise RuntimeError(
            f"\n            Some tensors share memory, this will lead to duplicate memory on disk and potential "
            f"differences when loading them again: {failing}.\n            A potential way to correctly save your "
            "model is to use `save_model`.\n            More information at "
            "https://huggingface.co/docs/safetensors/torch_shared_tensors\n            ")


def _to_numpy(tensors):
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, tritorch.Tensor] but received {type(tensors)}")
    for k, v in tensors.items():
        if not isinstance(v, Tensor):
            raise ValueError(f"Key `{k}` is invalid, expected tritorch.Tensor but received {type(v)}")
    _check_shared(tensors)
    out = {}
    for k, v in tensors.items():
        if not v.is_contiguous():
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{k}` which is not allowed. It either means you "
                "are trying to save tensors which are reference of each other in which case it's recommended to "
                "save only the full tensors, and reslice at load time, or simply call `.contiguous()` on your "
                "tensor to pack it before saving.")
        # A C-ordered array (size-1 dims may carry any stride in a contiguous tensor).
        out[k] = np.ascontiguousarray(v.detach().numpy(force=True))
    return out


def save(tensors, metadata=None):
    """The safetensors bytes of ``tensors`` (dict name -> contiguous tensor, any device)."""
    return safetensors.numpy.save(_to_numpy(tensors), metadata=metadata)


def save_file(tensors, filename, metadata=None):
    """Write ``tensors`` (dict name -> contiguous tensor, any device) to ``filename``."""
    safetensors.numpy.save_file(_to_numpy(tensors), filename, metadata=metadata)


def _device(device):
    return _device_cls("cuda", device) if isinstance(device, int) else _device_cls(device)


def _wrap(arr, dev):
    if not arr.flags.writeable:  # tensors are writable; the file's mapped bytes are not
        arr = arr.copy()
    t = from_numpy(arr)
    return t if dev.type == "cpu" else t.to(dev)


def load_file(filename, device="cpu"):
    """dict name -> tensor on ``device`` (str, `tritorch.device` or cuda index), read from ``filename``."""
    dev = _device(device)
    out = {}
    with safetensors.safe_open(filename, framework="np") as f:
        for k in f.keys():
            code = f.get_slice(k).get_dtype()
            if code not in _DTYPES:
                raise TypeError(f"tritorch has no dtype for the safetensors dtype {code} of tensor `{k}`")
            out[k] = _wrap(f.get_tensor(k), dev)
    return out


def load(data):
    """dict name -> cpu tensor, from safetensors bytes."""
    out = {}
    for k, v in safetensors.deserialize(data):
        dt = _DTYPES.get(v["dtype"])
        if dt is None:
            raise TypeError(f"tritorch has no dtype for the safetensors dtype {v['dtype']} of tensor `{k}`")
        arr = np.frombuffer(v["data"], dtype=dt.np).reshape(v["shape"])
        out[k] = _wrap(arr, _device_cls("cpu"))
    return out
