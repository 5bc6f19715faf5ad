"""Creation ops: `tensor`, `zeros`/`ones`/`empty`/`full` (+ `_like`, `new_*`), `arange`,
`linspace`, `logspace`, `eye`, and the legacy constructors (`Tensor(...)`, `FloatTensor`)."""
from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _dtype
from .._device import as_device, CPU
from .._registry import array_api, allocate
from .._tensor import _wrap
from ._common import Tensor, def_op, OPS, method, normalize_shape, shape_str, int_arg, Scalar

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._device import device
    from .._dtype import dtype

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


_I64_MAX = (1 << 63) - 1


def check_size(shape: Sequence[int], itemsize: int, op: str | None = None,
               strides: Sequence[int] | None = None) -> Sequence[int]:
    """Validate the sizes of a new tensor as PyTorch's allocator does, for every creation and random
    op on every device (metas and `empty`).  In order: a size beyond int64 (TypeError, as PyTorch's
    argument parser), a negative size (torch 2.13's ``zeros`` alone says "zeros: Dimension size must
    be non-negative."; tests/test_creation.py pins the common text for zeros too), a storage of
    more than 2**63 - 1 bytes (products computed as PyTorch does, so ``[2**62, 2**62, 0]``
    overflows while ``[2**62, 0]`` does not), a stride beyond int64 (``[0, 2**62, 2**62]``).
    Returns ``shape``."""
    for i, s in enumerate(shape):
        if not -_I64_MAX - 1 <= s <= _I64_MAX:
            raise TypeError(f"{op or 'empty'}(): argument 'size' failed to unpack the object at pos {i + 1} with "
                            f"error \"Overflow when unpacking long long\"")
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {shape_str(shape)}")
    if strides is None:
        prod, over = 1, False
        for s in shape:
            prod *= s
            over |= prod >= 1 << 64
            prod &= (1 << 64) - 1
        if over or prod * itemsize > _I64_MAX:
            raise RuntimeError(f"Storage size calculation overflowed with sizes={shape_str(shape)}")
        st = 1
        for s in reversed(shape[1:]):
            st *= max(s, 1)
            if st > _I64_MAX:
                raise RuntimeError("Stride calculation overflowed")
    else:
        n = 1 + sum((s - 1) * st for s, st in zip(shape, strides)) if all(shape) else 0
        if n * itemsize > _I64_MAX:
            raise RuntimeError(f"Storage size calculation overflowed with sizes={shape_str(shape)} and "
                               f"strides={shape_str(strides)}")
    return shape


def _meta_fill(shape, dtype, value=0):
    """fill: a new tensor of ``shape`` with every element ``value``.  Output: (shape), dtype."""
    check_size(shape, dtype.itemsize, "fill")
    if not isinstance(value, numbers.Number) or isinstance(value, complex):
        raise TypeError(f"fill(): argument 'fill_value' must be Number, not {type(value).__name__}")
    _dtype.check_scalar(value, dtype)
    return shape, dtype


_FILL = def_op("fill", _meta_fill)


def full(size: int | Sequence[int], fill_value: Scalar | Tensor, *, dtype: dtype | None = None,
         device: device | str | int | None = None, requires_grad: bool = False, out: Tensor | None = None) -> Tensor:
    """Tensor of shape ``size`` filled with ``fill_value`` (dtype inferred from the value)."""
    size = normalize_shape((size,) if not isinstance(size, (tuple, list)) else (tuple(size),), "full")
    if isinstance(fill_value, Tensor):
        # PyTorch takes a 0-d tensor without grad as the number it holds.
        if fill_value._data.ndim or fill_value.requires_grad:
            raise TypeError("full(): argument 'fill_value' (position 2) must be Number, not Tensor")
        fill_value = fill_value.item()
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value)
    dt, dev = _resolve(dtype, device)
    check_size(size, dt.itemsize, "full")  # PyTorch names the op in some messages
    if out is not None:
        return _FILL.run_out((size, dt), {"value": fill_value}, out)
    return _finish(_FILL.run((size, dt), {"value": fill_value}, dev), requires_grad)


def zeros(*size: int | Sequence[int], dtype: dtype | None = None, device: device | str | int | None = None,
          requires_grad: bool = False, out: Tensor | None = None) -> Tensor:
    """Tensor of zeros. Shape: ``size`` (ints or one sequence)."""
    size = normalize_shape(size, "zeros")
    dt, dev = _resolve(dtype, device)
    check_size(size, dt.itemsize, "zeros")  # PyTorch names the op in some messages
    if out is not None:
        return _FILL.run_out((size, dt), {"value": 0}, out)
    return _finish(_FILL.run((size, dt), {"value": 0}, dev), requires_grad)


def ones(*size: int | Sequence[int], dtype: dtype | None = None, device: device | str | int | None = None,
         requires_grad: bool = False, out: Tensor | None = None) -> Tensor:
    """Tensor of ones. Shape: ``size``."""
    size = normalize_shape(size, "ones")
    dt, dev = _resolve(dtype, device)
    check_size(size, dt.itemsize, "ones")  # PyTorch names the op in some messages
    if out is not None:
        return _FILL.run_out((size, dt), {"value": 1}, out)
    return _finish(_FILL.run((size, dt), {"value": 1}, dev), requires_grad)


def empty(*size: int | Sequence[int], dtype: dtype | None = None, device: device | str | int | None = None,
          requires_grad: bool = False, out: Tensor | None = None, memory_format: object = None,
          pin_memory: bool = False) -> Tensor:
    """Uninitialised tensor. Shape: ``size``."""
    size = normalize_shape(size, "empty")
    dt, dev = _resolve(dtype, device)
    check_size(size, dt.itemsize, "empty")
    return _finish(_wrap(allocate(dev.type, size, dt), dev), requires_grad)


def empty_strided(size: Sequence[int], stride: Sequence[int], *, dtype: dtype | None = None,
                  device: device | str | int | None = None, requires_grad: bool = False) -> Tensor:
    """Uninitialised tensor with the given strides (over a large enough storage)."""
    size = normalize_shape((tuple(size),), "empty_strided")
    check_size(size, 1, "empty_strided")
    check_size(size, (dtype or _dtype.get_default_dtype()).itemsize, "empty_strided", strides=tuple(stride))
    n = 1 + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else 0
    base = empty(n, dtype=dtype, device=device)
    return _finish(base.as_strided(size, tuple(stride)), requires_grad)


def _like(t, dtype, device):
    return (dtype if dtype is not None else t.dtype), (device if device is not None else t.device)


def zeros_like(input: Tensor, *, dtype: dtype | None = None, device: device | str | int | None = None,
               requires_grad: bool = False, memory_format: object = None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return zeros(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: dtype | None = None, device: device | str | int | None = None,
              requires_grad: bool = False, memory_format: object = None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return ones(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype: dtype | None = None, device: device | str | int | None = None,
               requires_grad: bool = False, memory_format: object = None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return empty(input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Scalar | Tensor, *, dtype: dtype | None = None,
              device: device | str | int | None = None, requires_grad: bool = False,
              memory_format: object = None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


def scalar_tensor(s: Scalar, *, dtype: dtype | None = None, device: device | str | int | None = None,
                  requires_grad: bool = False) -> Tensor:
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


def _to_numpy(data, np_dtype=None, big_ints=False, dtype=None):
    if isinstance(data, (list, tuple)):
        data = _flatten_tensors(data)
    try:
        arr = np.array(data, dtype=np_dtype)
    except OverflowError:
        arr = np.array(data, dtype=object)  # a Python int below -2**63: `_wide_ints` decides
    except (ValueError, TypeError) as e:
        _check_leaves(data, dtype)
        raise ValueError(f"tensor(): could not convert data of type {type(data).__name__} to a tensor: {e}") from None
    if arr.dtype == object and not big_ints:
        raise ValueError("tensor(): nested sequences have inconsistent lengths or contain non-numbers")
    return arr


def _leaves(data):
    if isinstance(data, (list, tuple)):
        for x in data:
            yield from _leaves(x)
    else:
        yield data


def _check_leaves(data, dtype):
    """PyTorch's error for a leaf of ``data`` that is no number (None, an object): it cannot infer a
    dtype from it (RuntimeError) or, with ``dtype`` given, convert it (TypeError)."""
    for x in _leaves(data):
        if not isinstance(x, (numbers.Number, np.ndarray, np.generic, str, bytes)):
            if dtype is None:
                raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
            raise TypeError(f"must be real number, not {type(x).__name__}")


def _wide_ints(data, dtype):
    """Python data holding ints outside int64 (numpy made it uint64, float64 or object): as PyTorch,
    an integer result is an error ("Overflow when unpacking long long") and a float or bool one
    converts them.  Returns (array, dtype)."""
    leaves = list(_leaves(_flatten_tensors(data) if isinstance(data, (list, tuple)) else data))
    _check_leaves(leaves, dtype)
    if not all(isinstance(x, (numbers.Number, np.ndarray)) and not isinstance(x, complex) for x in leaves):
        raise ValueError("tensor(): nested sequences have inconsistent lengths or contain non-numbers")
    has_float = any(isinstance(x, (float, np.floating)) or (isinstance(x, np.ndarray) and x.dtype.kind == "f")
                    for x in leaves)
    dt = dtype if dtype is not None else (_dtype.get_default_dtype() if has_float else _dtype.int64)
    if dt is not _dtype.bool and not dt.is_floating_point:
        if any(isinstance(x, int) and not -_I64_MAX - 1 <= x <= _I64_MAX for x in leaves):
            raise ValueError("Overflow when unpacking long long")
        return _to_numpy(data, np.float64 if has_float else np.int64), dt
    return _to_numpy(data, np.bool_ if dt is _dtype.bool else np.float64), dt


def _check_int_range(arr, dt):
    """tensor()'s check of Python numbers stored into an integer dtype (PyTorch prints 'int64')."""
    if not arr.size or arr.dtype.kind == "b":
        return
    lo, hi = arr.min(), arr.max()
    if _dtype.scalar_overflows(lo.item(), dt) or _dtype.scalar_overflows(hi.item(), dt):
        raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")


def tensor(data: Any, *, dtype: dtype | None = None, device: device | str | int | None = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor copying ``data`` (nested lists, numbers, numpy arrays or tensors)."""
    if isinstance(data, Tensor):
        r = data.detach().to(device=device if device is not None else data.device,
                             dtype=dtype or data.dtype, copy=True)
        return _finish(r, requires_grad)
    arr = _to_numpy(data, big_ints=True, dtype=dtype)
    if arr.dtype.kind in "US":
        raise TypeError("new(): invalid data type 'str'")
    python_data = not isinstance(data, (np.ndarray, np.generic))
    if python_data and (arr.dtype == object or arr.dtype.kind == "u" or
                        (arr.dtype.kind == "f" and arr.size and np.abs(arr).max() >= 2.0 ** 63)):
        arr, dtype = _wide_ints(data, dtype)
    dt = dtype if dtype is not None else _infer_dtype(arr, data)
    if arr.dtype != dt.np:
        if python_data and dt is not _dtype.bool and not dt.is_floating_point:
            _check_int_range(arr, dt)
        with np.errstate(over="ignore", invalid="ignore"):  # in-range negatives wrap into unsigned types
            arr = arr.astype(dt.np)
    else:
        arr = np.array(arr, copy=True)
    dev = as_device(device)
    return _finish(_from_host(arr if arr.flags.c_contiguous else np.ascontiguousarray(arr), dev), requires_grad)


def _from_host(arr, dev):
    return _wrap(array_api(dev.type).from_numpy(arr), dev)


def as_tensor(data: Any, dtype: dtype | None = None, device: device | str | int | None = None) -> Tensor:
    """Like `tensor`, but shares memory with a numpy array / tensor when no conversion is needed."""
    if isinstance(data, Tensor):
        return data.to(device=device or data.device, dtype=dtype or data.dtype)
    if isinstance(data, np.ndarray) and (device is None or as_device(device).type == "cpu"):
        t = from_numpy(data)
        return t if dtype is None else t.to(dtype)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
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
    return _wrap(ndarray, CPU)


# ---- ranges ---------------------------------------------------------------------------------
def _number_arg(v, op, name):
    """A ``Number`` argument (a Python/numpy number or a 0-d tensor) as a Python number; PyTorch's
    TypeError otherwise (None, a string)."""
    if isinstance(v, Tensor):
        return v.item()
    if isinstance(v, numbers.Number) and not isinstance(v, complex):
        return v
    raise TypeError(f"{op}(): argument '{name}' must be Number, not {type(v).__name__}")


def _cnum(v):
    """A number as PyTorch's C++ messages print a double (0, 2.5, 1e+30, nan)."""
    return f"{float(v):g}"


# arange's accumulation type per dtype (at::acc_type on cpu): int64 for integers, float for half types.
def _acc(dt):
    if not dt.is_floating_point:
        return _dtype.int64
    return _dtype.float32 if dt.itemsize == 2 else _dtype.float64


class _StepError(RuntimeError, ValueError):
    """arange's int64 step that truncates to 0 (PyTorch: ValueError)."""


def _meta_arange(start, end, step, dtype):
    """arange: values start, start+step, ... < end.  Output: (ceil((end-start)/step),).

    PyTorch's rules: bounds checked as doubles; for integer dtypes start/end/step are converted
    (checked) to int64 and the impls compute ``int(start) + i * int(step)``, but the length still
    comes from the double bounds except for int64 (``arange(1, 2.5, dtype=int32)`` is [1, 2],
    with int64 it is [1])."""
    for v in (start, end, step):
        _dtype.check_wrapped_int(v)
    ds, de, dst = float(start), float(end), float(step)
    if not (dst > 0 or dst < 0):
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(ds) and math.isfinite(de)):
        raise RuntimeError(f"unsupported range: {_cnum(start)} -> {_cnum(end)}")
    if not ((dst > 0 and de >= ds) or (dst < 0 and de <= ds)):
        # torch 2.13 says "upper bound and lower bound ..."; tests/test_creation.py pins the older text.
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign (start={start}, end={end}, "
                           f"step={step})")
    if dtype is _dtype.bool:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    acc = _acc(dtype)
    for v in (start, end, step):
        _dtype.check_scalar(v, acc)
    if dtype is _dtype.int64:
        s, e, st = int(start), int(end), int(step)
        if st == 0:
            # PyTorch raises ValueError here (RuntimeError elsewhere); tests/test_creation.py
            # catches RuntimeError: this is both.
            raise _StepError("step must be nonzero")
        sgn = (st > 0) - (st < 0)
        q = e - s + st - sgn
        n = abs(q) // abs(st) * (1 if (q >= 0) == (st > 0) else -1)  # C++ division truncates
    else:
        n = math.ceil((de - ds) / dst)
        if not 0 <= n <= _I64_MAX:
            raise RuntimeError("invalid size, possible overflow?")
    n = max(int(n), 0)
    check_size((n,), dtype.itemsize, "arange")
    return (n,), dtype


_ARANGE = def_op("arange", _meta_arange)


_NO_END: Any = object()  # arange(5) and arange(1, None) differ: the second is PyTorch's TypeError


def arange(start: Scalar | Tensor = 0, end: Scalar | Tensor = _NO_END, step: Scalar | Tensor = 1, *,
           dtype: dtype | None = None, device: device | str | int | None = None, requires_grad: bool = False,
           out: Tensor | None = None) -> Tensor:
    """1-D tensor of values in [start, end) with spacing ``step``; int64 unless a float is given.
    For integer dtypes the bounds and step are truncated to integers (so a step of 0.5 is 0), as
    in PyTorch."""
    if end is _NO_END:
        start, end = 0, start
        vals = [0, _number_arg(end, "arange", "end"), _number_arg(step, "arange", "step")]
    else:
        vals = [_number_arg(v, "arange", n) for v, n in ((start, "start"), (end, "end"), (step, "step"))]
    if dtype is None:
        dtype = _dtype.get_default_dtype() if any(isinstance(v, float) for v in vals) else _dtype.int64
    dt, dev = _resolve(dtype, device)
    args = (vals[0], vals[1], vals[2], dt)
    if out is not None:
        return _ARANGE.run_out(args, {}, out)
    return _finish(_ARANGE.run(args, {}, dev), requires_grad)


def _range_args(op, start, end, steps):
    """linspace/logspace's argument types, checked (as PyTorch's parser does) before any value:
    start/end numbers or 0-d tensors, ``steps`` an int.  Returns them as Python numbers."""
    start, end = _number_arg(start, op, "start"), _number_arg(end, op, "end")
    return start, end, int_arg(steps, op, "steps", 3)


def _meta_linspace(start, end, steps, dtype):
    """linspace: ``steps`` evenly spaced values from start to end inclusive.  Output: (steps,).
    start/end must convert to ``dtype`` (PyTorch's checked conversion); the values are still
    computed from the given (untruncated) ends, as PyTorch does."""
    start, end, steps = _range_args("linspace", start, end, steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if dtype is _dtype.bool and steps > 1:  # 0 or 1 steps never reach PyTorch's kernel
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    for v in (start, end)[:min(int(steps), 2)]:
        _dtype.check_wrapped_int(v)
        _dtype.check_scalar(v, dtype)
    check_size((int(steps),), dtype.itemsize, "linspace")
    return (int(steps),), dtype


_LINSPACE = def_op("linspace", _meta_linspace)


def linspace(start: Scalar | Tensor, end: Scalar | Tensor, steps: int, *, dtype: dtype | None = None,
             device: device | str | int | None = None, requires_grad: bool = False,
             out: Tensor | None = None) -> Tensor:
    start, end, steps = _range_args("linspace", start, end, steps)
    dt, dev = _resolve(dtype, device)
    if out is not None:
        return _LINSPACE.run_out((start, end, steps, dt), {}, out)
    return _finish(_LINSPACE.run((start, end, steps, dt), {}, dev), requires_grad)


def logspace(start: Scalar | Tensor, end: Scalar | Tensor, steps: int, base: float = 10.0, *,
             dtype: dtype | None = None, device: device | str | int | None = None,
             requires_grad: bool = False) -> Tensor:
    """``base ** v`` for ``steps`` values ``v`` from start to end, computed as PyTorch's cpu kernel:
    start/end are first converted (checked) to ``dtype`` (integer dtypes truncate, and wrap, them:
    ``logspace(0, 2.5, 5, dtype=int64)`` is ``[1, 3, 10, 31, 100]``), their difference is taken in
    that dtype, and ``v = start + step * i`` (first half) or ``end - step * (steps - 1 - i)`` is
    computed in double with each operation rounded (no fused multiply-add, unlike ``linspace``);
    ``base ** v`` in double is then converted to ``dtype``."""
    start, end, steps = _range_args("logspace", start, end, steps)
    if not isinstance(base, numbers.Real):
        raise TypeError(f"logspace(): argument 'base' must be float, not {type(base).__name__}")
    dt, dev = _resolve(dtype, device)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    f64 = _dtype.float64
    if steps <= 1:  # PyTorch fills ``base ** start`` (a double; checked when stored into dtype)
        with np.errstate(all="ignore"):
            value = float(np.power(np.float64(base), np.float64(start)))
        if dt.is_floating_point:  # a cast (inf beyond a half type's range), not a checked store
            return _finish(full((steps,), value, dtype=f64, device=dev).to(dt), requires_grad)
        return _finish(full((steps,), value if steps else 0, dtype=dt, device=dev), requires_grad)
    for v in (start, end):
        _dtype.check_wrapped_int(v)
        _dtype.check_scalar(v, dt)
    if dt is _dtype.bool:
        raise NotImplementedError("\"logspace_cpu\" not implemented for 'Bool'")
    if dt.is_floating_point:
        s, e = (np.array(v, dtype=np.float64).astype(dt.np) for v in (start, end))
    else:
        s, e = (np.array(int(v)).astype(dt.np) for v in (start, end))
    step = float(np.subtract(e, s, dtype=None if dt.is_floating_point else np.int64)) / (steps - 1)
    s, e = float(s), float(e)
    idx = arange(steps, dtype=f64, device=dev)
    v = idx.mul(step).add(s).where(idx < steps // 2, idx.rsub(steps - 1).mul(step).rsub(e))
    return _finish(full((), base, dtype=f64, device=dev).pow(v).to(dt), requires_grad)


def _meta_eye(n, m, dtype):
    """eye: ones on the main diagonal.  Output: (n, m)."""
    n, m = int_arg(n, "eye", "n", 1), int_arg(m, "eye", "m", 2)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    if n * m > _I64_MAX:
        raise RuntimeError("numel: integer multiplication overflow")
    check_size((n, m), dtype.itemsize, "eye")
    return (n, m), dtype


_EYE = def_op("eye", _meta_eye)


_NO_M: Any = object()  # eye(2) is square; eye(2, None) is PyTorch's TypeError


def eye(n: int, m: int = _NO_M, *, dtype: dtype | None = None, device: device | str | int | None = None,
        requires_grad: bool = False, out: Tensor | None = None) -> Tensor:
    """2-D tensor with ones on the diagonal. Output: (n, m or n)."""
    n = int_arg(n, "eye", "n", 1)
    m = n if m is _NO_M else int_arg(m, "eye", "m", 2)
    dt, dev = _resolve(dtype, device)
    if out is not None:
        return _EYE.run_out((n, m, dt), {}, out)
    return _finish(_EYE.run((n, m, dt), {}, dev), requires_grad)


# ---- new_* methods ---------------------------------------------------------------------------
@method()
def new_zeros(self: Tensor, *size: int | Sequence[int], dtype: dtype | None = None,
              device: device | str | int | None = None, requires_grad: bool = False) -> Tensor:
    return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


@method()
def new_ones(self: Tensor, *size: int | Sequence[int], dtype: dtype | None = None,
             device: device | str | int | None = None, requires_grad: bool = False) -> Tensor:
    return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


@method()
def new_empty(self: Tensor, *size: int | Sequence[int], dtype: dtype | None = None,
              device: device | str | int | None = None, requires_grad: bool = False) -> Tensor:
    return empty(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


@method()
def new_full(self: Tensor, size: int | Sequence[int], fill_value: Scalar | Tensor, *, dtype: dtype | None = None,
             device: device | str | int | None = None, requires_grad: bool = False) -> Tensor:
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


@method()
def new_tensor(self: Tensor, data: Any, *, dtype: dtype | None = None, device: device | str | int | None = None,
               requires_grad: bool = False) -> Tensor:
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


@method("__new__")
def _tensor_new(cls: type[Tensor], *args: Any, device: device | str | int | None = None) -> Tensor:
    """``Tensor(data)`` / ``Tensor(*sizes)`` (the legacy constructor; see `_legacy_new`)."""
    return _legacy_new(cls, args, device)


def _legacy_type(name, dt):
    class _Meta(type):
        def __instancecheck__(cls, obj):
            return isinstance(obj, Tensor) and obj.dtype is dt

    def __new__(cls: type, *args: Any, device: device | str | int | None = None) -> Tensor:
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
