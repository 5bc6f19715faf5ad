"""dtypes and PyTorch's type-promotion rules.

A `dtype` is an interned object (compare with `is`), carrying its numpy twin for the
cpu backend (`bfloat16` comes from ml_dtypes).  Promotion follows PyTorch, not numpy:
int64 + float16 -> float16, float16 + bfloat16 -> float32, uint8 + int8 -> int16, and
Python scalars / 0-d tensors only raise the *category* (bool < integer < floating).
"""
import builtins as _b

import numpy as np
import ml_dtypes

__all__ = [
    "dtype", "float16", "half", "bfloat16", "float32", "float", "float64", "double",
    "int8", "int16", "int32", "int64", "long", "int", "short", "uint8", "bool",
    "get_default_dtype", "set_default_dtype", "promote_types", "result_type",
    "can_cast", "finfo", "iinfo",
]


class dtype:
    """A tensor element type (PyTorch's `torch.dtype`)."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_signed", "_rank")

    def __init__(self, name, np_dtype, is_float, is_signed, rank):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.is_floating_point = is_float
        self.is_signed = is_signed
        self._rank = rank

    @property
    def is_complex(self):
        return False

    def to_real(self):
        return self

    def __repr__(self):
        return "tritorch." + self.name

    def __reduce__(self):
        return self.name

    @property
    def _category(self):
        # 0 bool, 1 integer, 2 floating: what Python scalars and 0-d tensors may raise.
        return 2 if self.is_floating_point else (0 if self is bool else 1)


bool = dtype("bool", np.bool_, False, False, 0)
uint8 = dtype("uint8", np.uint8, False, False, 1)
int8 = dtype("int8", np.int8, False, True, 1)
int16 = dtype("int16", np.int16, False, True, 2)
int32 = dtype("int32", np.int32, False, True, 3)
int64 = dtype("int64", np.int64, False, True, 4)
float16 = dtype("float16", np.float16, True, True, 5)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, True, True, 5)
float32 = dtype("float32", np.float32, True, True, 6)
float64 = dtype("float64", np.float64, True, True, 7)
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
FLOATING = (float16, bfloat16, float32, float64)
INTEGRAL = (uint8, int8, int16, int32, int64)
_FROM_NP = {d.np: d for d in ALL_DTYPES}
# PyTorch's scalar-type names, as its error messages print them ("result type Float ...").
TORCH_NAMES = {
    bool: "Bool", uint8: "Byte", int8: "Char", int16: "Short", int32: "Int", int64: "Long",
    float16: "Half", bfloat16: "BFloat16", float32: "Float", float64: "Double",
}
# C++ type names, as other PyTorch messages print them ("expected m1 and m2 ... float != double").
C_NAMES = {
    bool: "bool", uint8: "unsigned char", int8: "signed char", int16: "short int", int32: "int",
    int64: "long int", float16: "c10::Half", bfloat16: "c10::BFloat16", float32: "float", float64: "double",
}
_BY_NAME = {d.name: d for d in ALL_DTYPES}


def from_numpy_dtype(np_dtype):
    """Return the tritorch dtype of a numpy dtype, or raise TypeError."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        d = _FROM_NP.get(np.dtype(np_dtype))
        if d is None:
            raise TypeError(
                f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
                "float64, float32, float16, bfloat16, int64, int32, int16, int8, uint8, and bool.") from None
        return d


_default = [float32]


def get_default_dtype():
    """The dtype of floating tensors created from Python floats (float32 unless set)."""
    return _default[0]


def set_default_dtype(d):
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the default type, got {d}")
    _default[0] = d
    _result_cache.clear()


def promote_types(a, b):
    """PyTorch's `promote_types` (the lattice differs from numpy's)."""
    if a is b:
        return a
    if a is bool:
        return b
    if b is bool:
        return a
    if a.is_floating_point or b.is_floating_point:
        if a.is_floating_point and b.is_floating_point:
            if a._rank == b._rank:  # float16 with bfloat16
                return float32
            return a if a._rank > b._rank else b
        return a if a.is_floating_point else b
    if a is uint8 or b is uint8:
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a._rank > b._rank else b


def _combine(higher, lower):
    # PyTorch's combine_categories: a lower-priority group only matters when it raises
    # the category (bool -> integer -> floating) of the higher one.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


_result_cache = {}
_pybool, _pyint, _pyfloat = _b.bool, _b.int, _b.float


def scalar_dtype(x):
    """dtype a Python scalar takes as a wrapped number (int64, default float, bool)."""
    if isinstance(x, (_pybool, np.bool_)):
        return bool
    if isinstance(x, (_pyint, np.integer)):
        return int64
    if isinstance(x, (_pyfloat, np.floating)):
        return _default[0]
    raise TypeError(f"expected a Tensor or a Python number, got {type(x).__name__}")


def result_type_from(dim_dtypes, zero_dtypes, scalar_dtypes):
    """Promotion over three priority groups: tensors with dims, 0-d tensors, scalars."""
    key = (dim_dtypes, zero_dtypes, scalar_dtypes)
    r = _result_cache.get(key)
    if r is None:
        groups = []
        for g in key:
            acc = None
            for d in g:
                acc = d if acc is None else promote_types(acc, d)
            groups.append(acc)
        r = _combine(groups[0], _combine(groups[1], groups[2]))
        _result_cache[key] = r
    return r


def result_type(*operands):
    """PyTorch's `result_type` over tensors and Python scalars."""
    dims, zeros, scalars = [], [], []
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            (dims if x.ndim else zeros).append(d)
        else:
            scalars.append(scalar_dtype(x))
    return result_type_from(tuple(dims), tuple(zeros), tuple(scalars))


def can_cast(from_, to):
    """PyTorch's `can_cast`: no float -> integral, no non-bool -> bool."""
    if from_.is_floating_point and not to.is_floating_point:
        return False
    if from_ is not bool and to is bool:
        return False
    return True


class finfo:
    """Machine limits of a floating dtype (PyTorch's `torch.finfo`)."""

    def __init__(self, type=None):
        type = type or _default[0]
        if not type.is_floating_point:
            raise TypeError(f"finfo: expected a floating dtype, got {type}")
        fi = ml_dtypes.finfo(type.np) if type is bfloat16 else np.finfo(type.np)
        self.dtype = type.name
        self.bits = type.itemsize * 8
        self.eps = _pyfloat(fi.eps)
        self.max = _pyfloat(fi.max)
        self.min = _pyfloat(fi.min)
        self.tiny = self.smallest_normal = _pyfloat(fi.tiny)
        self.resolution = _pyfloat(fi.resolution)


class iinfo:
    """Machine limits of an integer dtype (PyTorch's `torch.iinfo`)."""

    def __init__(self, type):
        if type.is_floating_point:
            raise TypeError(f"iinfo: expected an integer dtype, got {type}")
        ii = np.iinfo(type.np) if type is not bool else np.iinfo(np.uint8)
        self.dtype = type.name
        self.bits = type.itemsize * 8
        self.max = _pyint(ii.max) if type is not bool else 1
        self.min = _pyint(ii.min) if type is not bool else 0


# ---- scalar range checks (PyTorch's c10::checked_convert / c10::overflows) -------------------------
# Type names as c10::checked_convert prints them: "value cannot be converted to type int64_t without overflow".
CHECKED_NAMES = {
    bool: "bool", uint8: "uint8_t", int8: "int8_t", int16: "int16_t", int32: "int", int64: "int64_t",
    float16: "c10::Half", bfloat16: "c10::BFloat16", float32: "float", float64: "double",
}
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1


def scalar_overflows(value, dt):
    """PyTorch's ``c10::overflows<dt>(value)``: an integer must fit ``dt`` (unsigned types also take
    negatives down to -max, which wrap, as ``uint8_tensor - 1`` needs); a float converted to an
    integer type must be finite and within range (compared as doubles); a float type takes NaN and
    inf but no finite value beyond its max.  bool takes anything."""
    if dt is bool or isinstance(value, (_pybool, np.bool_)):
        return False
    if dt.is_floating_point:
        v = _pyfloat(value)
        return v == v and abs(v) != _pyfloat("inf") and abs(v) > finfo(dt).max
    info = iinfo(dt)
    if isinstance(value, (_pyint, np.integer)):
        value = _pyint(value)
        if not dt.is_signed and value < 0:
            return -value > info.max
        return value < info.min or value > info.max
    v = _pyfloat(value)
    if v != v:
        return True
    return v < _pyfloat(info.min) or v > _pyfloat(info.max)


def check_scalar(value, dt, name=None):
    """Raise PyTorch's RuntimeError when the Python scalar ``value`` cannot be converted to ``dt``
    (``name``: the type name to print; default the C++ spelling, ``int64_t``).  The one check every
    meta that stores a scalar into a typed result uses (tensor(), full/fill_, masked_fill, pad,
    clamp, linspace/logspace/arange endpoints)."""
    if scalar_overflows(value, dt):
        raise RuntimeError(f"value cannot be converted to type {name or CHECKED_NAMES[dt]} without overflow")
    return value


def check_wrapped_int(value):
    """A Python int operand of an arithmetic op must fit a 64-bit Scalar (int64, or uint64 for
    2**63 <= v < 2**64): PyTorch raises these OverflowErrors while unpacking it."""
    if isinstance(value, _pyint) and not isinstance(value, _pybool) and not _I64_MIN <= value < (1 << 64):
        if value < 0:
            raise OverflowError("can't convert negative int to unsigned")
        raise OverflowError("int too big to convert")
    return value


def check_number(value, dt):
    """A Python number argument that PyTorch unpacks as a Scalar and converts to ``dt``: the
    OverflowError of `check_wrapped_int`, then the RuntimeError of `check_scalar`.  The one call an
    op's meta makes for a scalar attribute (alpha, value, negative_slope, min/max limits ...)."""
    check_wrapped_int(value)
    return check_scalar(value, dt)


def opmath(dt):
    """The type PyTorch's kernels compute ``dt`` in (and convert scalar attributes to): float32
    for the half types, ``dt`` otherwise."""
    return float32 if dt is float16 or dt is bfloat16 else dt


def wrap_uint64(value, dt):
    """A Python int in [2**63, 2**64) operating with a ``dt`` tensor, as PyTorch sees it: a uint64
    Scalar, cast to the integer tensor's type (its bits: ``value - 2**64`` as int64, which a
    narrower type truncates the same way); a float tensor takes its value.  A bool tensor cannot
    promote with it (PyTorch's RuntimeError)."""
    if dt is bool:
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, attempted to promote Bool "
                           "and UInt64")
    return value if dt.is_floating_point else value - (1 << 64)
