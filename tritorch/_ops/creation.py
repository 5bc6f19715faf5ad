"""Creation ops: `tensor`, `zeros`/`ones`/`empty`/`full` (+ `_like`, `new_*`), `arange`,
`linspace`, `logspace`, `eye`, and the legacy constructors (`Tensor(...)`, `FloatTensor`)."""
import math
import numbers

import numpy as np

from .. import _dtype
from .._device import as_device
from .._registry import array_api
from ._common import Tensor, def_op, OPS, method, normalize_shape, shape_str

__all__ = ["tensor", "as_tensor", "from_numpy", "asarray", "zeros", "ones", "empty", "full", "zeros_like",
           "ones_like", "empty_like", "full_like", "arange", "linspace", "logspace", "eye", "scalar_tensor",
           "empty_strided"]


def _resolve(dtype, device, default=None):
    dt = dtype if dtype is not None else (default or _dtype.get_default_dtype())
    if not isinstance(dt, _dtype.dtype):
        raise TypeError(f"argument 'dtype' must be tritorch.dtype, not {type(dt).__name__}")
    return dt, as_device(device)


def _finish(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


def _check_size(shape, op):
    for s in shape:
        if s < 0:
            raise RuntimeError(f"{op}: Trying to create tensor with negative dimension {s}: {shape_str(shape)}")
    return shape


_C_TYPES = {
    _dtype.bool: "bool", _dtype.uint8: "uint8_t", _dtype.int8: "int8_t", _dtype.int16: "int16_t",
    _dtype.int32: "int32_t", _dtype.int64: "int64_t", _dtype.float16: "c10::Half", _dtype.bfloat16: "c10::BFloat16",
    _dtype.float32: "float", _dtype.float64: "double",
}


def _overflows(value, dt):
    """PyTorch's scalar overflow rule (c10::overflows): integers must fit (unsigned types also
    accept negatives down to -max, which wrap); floats must be NaN/inf or within range."""
    if dt is _dtype.bool or isinstance(value, bool):
        return False
    if dt.is_floating_point:
        v = float(value)
        return math.isfinite(v) and abs(v) > _dtype.finfo(dt).max
    if isinstance(value, float):
        if not math.isfinite(value):
            return True
        value = int(value)
    info = _dtype.iinfo(dt)
    if not dt.is_signed:
        return value > info.max or -value > info.max
    return value < info.min or value > info.max


def _meta_fill(shape, dtype, value=0):
    """fill: a new tensor of ``shape`` with every element ``value``.  Output: (shape), dtype."""
    _check_size(shape, "fill")
    if not isinstance(value, numbers.Number) or isinstance(value, complex):
        raise TypeError(f"fill(): argument 'fill_value' must be Number, not {type(value).__name__}")
    if _overflows(value, dtype):
        raise RuntimeError(f"value cannot be converted to type {_C_TYPES[dtype]} without overflow")
    return shape, dtype


_FILL = def_op("fill", _meta_fill)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None):
    """Tensor of shape ``size`` filled with ``fill_value`` (dtype inferred from the value)."""
    size = normalize_shape((size,) if not isinstance(size, (tuple, list)) else (tuple(size),), "full")
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value)
    dt, dev = _resolve(dtype, device)
    if out is not None:
        return _FILL.run_out((size, dt), {"value": fill_value}, out)
    return _finish(_FILL.run((size, dt), {"value": fill_value}, dev), requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    """Tensor of zeros. Shape: ``size`` (ints or one sequence)."""
    size = normalize_shape(size, "zeros")
    dt, dev = _resolve(dtype, device)
    if out is not None:
        return _FILL.run_out((size, dt), {"value": 0}, out)
    return _finish(_FILL.run((size, dt), {"value": 0}, dev), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None):
    """Tensor of ones. Shape: ``size``."""
    size = normalize_shape(size, "ones")
    dt, dev = _resolve(dtype, device)
    if out is not None:
        return _FILL.run_out((size, dt), {"value": 1}, out)
    return _finish(_FILL.run((size, dt), {"value": 1}, dev), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, memory_format=None, pin_memory=False):
    """Uninitialised tensor. Shape: ``size``."""
    size = _check_size(normalize_shape(size, "empty"), "empty")
    dt, dev = _resolve(dtype, device)
    from .._tensor import _wrap
    return _finish(_wrap(array_api(dev.type).empty(size, dt), dev), requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    """Uninitialised tensor with the given strides (over a large enough storage)."""
    size = normalize_shape((tuple(size),), "empty_strided")
    n = 1 + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else 0
    base = empty(n, dtype=dtype, device=device)
    return _finish(base.as_strided(size, tuple(stride)), requires_grad)


def _like(t, dtype, device):
    return (dtype if dtype is not None else t.dtype), (device if device is not None else t.device)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    dt, dev = _like(input, dtype, device)
    return zeros(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    dt, dev = _like(input, dtype, device)
    return ones(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    dt, dev = _like(input, dtype, device)
    return empty(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    dt, dev = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    return full((), s, dtype=dtype or _dtype.get_default_dtype(), device=device, requires_grad=requires_grad)


# ---- tensor() / from_numpy ----------------------------------------------------------------
def _infer_dtype(arr, data):
    k = arr.dtype.kind
    if k == "b":
        return _dtype.bool
    if k in "iu":
        if isinstance(data, np.ndarray) or isinstance(data, np.generic):
            return _dtype.from_numpy_dtype(arr.dtype)
        return _dtype.int64
    if k == "f" or arr.dtype == _dtype.bfloat16.np:
        if isinstance(data, np.ndarray) or isinstance(data, np.generic):
            return _dtype.from_numpy_dtype(arr.dtype)
        return _dtype.get_default_dtype()
    raise TypeError(f"tensor(): could not infer dtype of {type(data).__name__} (numpy kind '{k}')")


def _flatten_tensors(data):
    """Lists may hold (0-d or n-d) tensors: take their values."""
    if isinstance(data, Tensor):
        return data._host_numpy()
    if isinstance(data, (list, tuple)):
        return [_flatten_tensors(x) for x in data]
    return data


def _to_numpy(data, np_dtype=None):
    if isinstance(data, (list, tuple)):
        data = _flatten_tensors(data)
    try:
        arr = np.array(data, dtype=np_dtype)
    except (ValueError, TypeError) as e:
        raise ValueError(f"tensor(): could not convert data of type {type(data).__name__} to a tensor: {e}") from None
    if arr.dtype == object:
        raise ValueError("tensor(): nested sequences have inconsistent lengths or contain non-numbers")
    return arr


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor copying ``data`` (nested lists, numbers, numpy arrays or tensors)."""
    if isinstance(data, Tensor):
        r = data.detach().to(device=device if device is not None else data.device,
                             dtype=dtype or data.dtype, copy=True)
        return _finish(r, requires_grad)
    arr = _to_numpy(data)
    dt = dtype if dtype is not None else _infer_dtype(arr, data)
    if arr.dtype != dt.np:
        if arr.dtype.kind == "f" and dt.np.kind in "iub" and not np.all(np.isfinite(arr)):
            raise RuntimeError("tensor(): cannot convert non-finite float values to an integer dtype")
        with np.errstate(over="ignore"):  # out-of-range values wrap, as PyTorch's conversion does
            arr = arr.astype(dt.np)
    else:
        arr = np.array(arr, copy=True)
    dev = as_device(device)
    return _finish(_from_host(arr if arr.flags.c_contiguous else np.ascontiguousarray(arr), dev), requires_grad)


def _from_host(arr, dev):
    from .._tensor import _wrap
    return _wrap(array_api(dev.type).from_numpy(arr), dev)


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with a numpy array / tensor when no conversion is needed."""
    if isinstance(data, Tensor):
        return data.to(device=device or data.device, dtype=dtype or data.dtype)
    if isinstance(data, np.ndarray) and (device is None or as_device(device).type == "cpu"):
        t = from_numpy(data)
        return t if dtype is None else t.to(dtype)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    """A cpu tensor sharing memory with ``ndarray`` (writes through both ways)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy(): expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making a "
                         "copy of your array  with array.copy().) ")
    if any(s % ndarray.itemsize for s in ndarray.strides):
        raise ValueError("from_numpy(): strides are not a multiple of the element size")
    from .._tensor import _wrap
    from .._device import CPU
    return _wrap(ndarray, CPU)


# ---- ranges ---------------------------------------------------------------------------------
def _meta_arange(start, end, step, dtype):
    """arange: values start, start+step, ... < end.  Output: (ceil((end-start)/step),)."""
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end} with step {step}")
    if (end - start) / step < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    return (int(math.ceil((end - start) / step)),), dtype


_ARANGE = def_op("arange", _meta_arange)


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """1-D tensor of values in [start, end) with spacing ``step``; int64 unless a float is given."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        dtype = _dtype.get_default_dtype() if any(isinstance(v, float) for v in vals) else _dtype.int64
    dt, dev = _resolve(dtype, device)
    if not dt.is_floating_point:
        # PyTorch converts the bounds and step to the integer type first (so a step of 0.5 is 0).
        vals = [int(v) for v in vals]
    args = (vals[0], vals[1], vals[2], dt)
    if out is not None:
        return _ARANGE.run_out(args, {}, out)
    return _finish(_ARANGE.run(args, {}, dev), requires_grad)


def _meta_linspace(start, end, steps, dtype):
    """linspace: ``steps`` evenly spaced values from start to end inclusive.  Output: (steps,)."""
    if not isinstance(steps, numbers.Integral) or steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    return (int(steps),), dtype


_LINSPACE = def_op("linspace", _meta_linspace)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None):
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    dt, dev = _resolve(dtype, device)
    if out is not None:
        return _LINSPACE.run_out((start, end, steps, dt), {}, out)
    return _finish(_LINSPACE.run((start, end, steps, dt), {}, dev), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """``base ** linspace(start, end, steps)``."""
    dt, dev = _resolve(dtype, device)
    lin = linspace(start, end, steps, dtype=_dtype.float64, device=dev)
    return _finish(full((), base, dtype=_dtype.float64, device=dev).pow(lin).to(dt), requires_grad)


def _meta_eye(n, m, dtype):
    """eye: ones on the main diagonal.  Output: (n, m)."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return (n, m), dtype


_EYE = def_op("eye", _meta_eye)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None):
    """2-D tensor with ones on the diagonal. Output: (n, m or n)."""
    m = n if m is None else m
    dt, dev = _resolve(dtype, device)
    if out is not None:
        return _EYE.run_out((n, m, dt), {}, out)
    return _finish(_EYE.run((n, m, dt), {}, dev), requires_grad)


# ---- new_* methods ---------------------------------------------------------------------------
@method()
def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


@method()
def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


@method()
def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return empty(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


@method()
def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


@method()
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


# ---- legacy constructors ---------------------------------------------------------------------
def _legacy_new(cls, args, device, dtype=None):
    """`Tensor(data)` / `Tensor(*sizes)` / `Tensor()`: default-float tensor (legacy API)."""
    dt = dtype or _dtype.get_default_dtype()
    if len(args) == 1 and isinstance(args[0], Tensor):
        t = args[0].to(dt) if dtype is not None else args[0]
    elif len(args) == 1 and isinstance(args[0], numbers.Number) and not isinstance(args[0], numbers.Integral):
        raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
    elif len(args) == 1 and not isinstance(args[0], numbers.Integral):
        t = tensor(args[0], dtype=dt, device=device)
    elif all(isinstance(a, numbers.Integral) for a in args):
        t = zeros(*args, dtype=dt, device=device) if args else empty(0, dtype=dt, device=device)
    else:
        raise TypeError(f"Tensor(): new() received an invalid combination of arguments: {args!r}")
    if cls is not Tensor:
        r = Tensor._make(t._data, t._storage, cls)
        return r
    return t


def _legacy_type(name, dt):
    class _Meta(type):
        def __instancecheck__(cls, obj):
            return isinstance(obj, Tensor) and obj.dtype is dt

    def __new__(cls, *args, device=None):
        return _legacy_new(Tensor, args, device, dt)
    return _Meta(name, (), {"__new__": __new__, "_legacy_dtype": dt,
                            "__doc__": f"Legacy constructor: `{name}(data)` / `{name}(*sizes)` -> {dt} tensor."})


FloatTensor = _legacy_type("FloatTensor", _dtype.float32)
DoubleTensor = _legacy_type("DoubleTensor", _dtype.float64)
HalfTensor = _legacy_type("HalfTensor", _dtype.float16)
BFloat16Tensor = _legacy_type("BFloat16Tensor", _dtype.bfloat16)
LongTensor = _legacy_type("LongTensor", _dtype.int64)
IntTensor = _legacy_type("IntTensor", _dtype.int32)
ShortTensor = _legacy_type("ShortTensor", _dtype.int16)
CharTensor = _legacy_type("CharTensor", _dtype.int8)
ByteTensor = _legacy_type("ByteTensor", _dtype.uint8)
BoolTensor = _legacy_type("BoolTensor", _dtype.bool)
__all__ += ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor", "IntTensor",
            "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]
del OPS
