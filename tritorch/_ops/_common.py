"""Helpers shared by the op declarations: broadcasting, dim handling, Tensor methods.

Everything here is shape/dtype logic (the registry's side of the contract); no array
math happens here.
"""
import numbers

import numpy as np

from .._dtype import result_type_from, scalar_dtype, dtype as _dtype_cls, _FROM_NP, _default as _DEFAULT
from .._tensor import Tensor, _wrap_dim
from .._registry import def_op, OPS
from ..autograd.graph import Node, record, needs_grad
from ..autograd.grad_mode import STATE

__all__ = ["Tensor", "def_op", "OPS", "Node", "record", "needs_grad", "STATE", "broadcast_shapes",
           "wrap_dim", "reduce_dims", "method", "promote", "is_scalar", "check_tensor", "check_keepdim",
           "check_optional_tensor", "check_unique_dims", "shape_str", "normalize_shape", "int_arg", "int_list"]

wrap_dim = _wrap_dim
_bcast_cache = {}


def shape_str(s):
    return "[" + ", ".join(str(x) for x in s) + "]"


def broadcast_shapes(*shapes, op="broadcast_shapes"):
    """PyTorch/numpy broadcasting of shapes (tuples); RuntimeError naming both shapes."""
    if len(shapes) == 2:
        key = shapes
        r = _bcast_cache.get(key)
        if r is not None:
            return r
    out = ()
    for s in shapes:
        out = _bcast2(out, tuple(s), op)
    if len(shapes) == 2 and len(_bcast_cache) < 4096:
        _bcast_cache[key] = out
    return out


def _bcast2(a, b, op):
    if a == b:
        return a
    la, lb = len(a), len(b)
    n = max(la, lb)
    res = []
    for i in range(n):
        x = a[i - n + la] if i - n + la >= 0 else 1
        y = b[i - n + lb] if i - n + lb >= 0 else 1
        if x == y or y == 1:
            res.append(x)
        elif x == 1:
            res.append(y)
        else:
            raise RuntimeError(
                f"{op}: the size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                f"dimension {i}: shapes {shape_str(a)} and {shape_str(b)} are not broadcastable")
    return tuple(res)


def is_scalar(x):
    return isinstance(x, numbers.Number) and not isinstance(x, Tensor)


def check_tensor(x, op, arg="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' must be Tensor, not {type(x).__name__}")
    return x


def check_keepdim(keepdim, op):
    """PyTorch's TypeError for a ``keepdim`` that is not a bool (``keepdim=1`` included)."""
    if keepdim.__class__ is not bool and not isinstance(keepdim, np.bool_):
        raise TypeError(f"{op}(): argument 'keepdim' must be bool, not {type(keepdim).__name__}")


def int_arg(v, op, name, pos=None):
    """An ``int`` argument as PyTorch's argument parser takes it (a Python or numpy integer, or an
    integer 0-d tensor; no bool, no float), as a Python int; its TypeError otherwise."""
    if v.__class__ is int:
        return v
    if isinstance(v, Tensor) and v._data.ndim == 0 and not v.dtype.is_floating_point and v.dtype.name != "bool":
        v = v.item()
    if isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)):
        return int(v)
    at = f" (position {pos})" if pos is not None else ""
    raise TypeError(f"{op}(): argument '{name}'{at} must be int, not {type(v).__name__}")


def int_list(v, op, name, pos=None):
    """An ``int[]`` argument (an int, or a sequence of ints) as a list of ints; PyTorch's TypeError
    for a float (or any non-int) there, instead of failing while iterating it."""
    at = f" (position {pos})" if pos is not None else ""
    if isinstance(v, (tuple, list)):
        for i, x in enumerate(v):
            if not isinstance(x, numbers.Integral) or isinstance(x, (bool, np.bool_)):
                raise TypeError(f"{op}(): argument '{name}'{at} must be tuple of ints, but found element of type "
                                f"{type(x).__name__} at pos {i}")
        return [int(x) for x in v]
    if isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)):
        return [int(v)]
    raise TypeError(f"{op}(): argument '{name}'{at} must be tuple of ints, not {type(v).__name__}")


def check_optional_tensor(x, op, arg):
    """``x`` when it is None or a Tensor; PyTorch's TypeError naming ``arg`` otherwise."""
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' must be Tensor, not {type(x).__name__}")
    return x


def promote(*operands):
    """PyTorch result type of tensors and Python scalars."""
    if len(operands) == 2:
        a, b = operands
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            da = a._data.dtype
            if da is b._data.dtype:  # the common case: same dtype, nothing to promote
                return _FROM_NP[da]
        elif isinstance(a, Tensor) or isinstance(b, Tensor):
            t, s = (a, b) if isinstance(a, Tensor) else (b, a)
            key = (t._data.dtype, t._data.ndim == 0, s.__class__, _DEFAULT[0])
            r = _SCALAR_CACHE.get(key)
            if r is None:
                r = _SCALAR_CACHE[key] = _promote(operands)
            return r
    return _promote(operands)


_SCALAR_CACHE = {}


def _promote(operands):
    dims, zeros, scalars = [], [], []
    for x in operands:
        if isinstance(x, Tensor):
            (dims if x._data.ndim else zeros).append(x.dtype)
        elif x is not None:
            scalars.append(scalar_dtype(x))
    return result_type_from(tuple(dims), tuple(zeros), tuple(scalars))


def check_unique_dims(dims):
    """``dims`` (wrapped) when no dim repeats; PyTorch's error naming the first repeat otherwise."""
    if len(set(dims)) != len(dims):
        first = next(d for i, d in enumerate(dims) if d in dims[:i])
        raise RuntimeError(f"dim {first} appears multiple times in the list of dims")
    return dims


def reduce_dims(dim, ndim, op):
    """Normalise ``dim`` (None, int, or tuple/list) to a sorted tuple of dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        return tuple(sorted(check_unique_dims([_wrap_dim(d, ndim, op) for d in dim])))
    return (_wrap_dim(dim, ndim, op),)


# Functions whose size argument PyTorch requires (``zeros()`` is its TypeError): the parameter its
# parser names, or None for one with overloads, whose parser reports "invalid combination".
# (PyTorch also rejects reshape()/permute()/expand()/repeat() with no sizes; those still accept it.)
_SIZE_REQUIRED = {"zeros": "size", "ones": "size", "empty": "size", "view": None, "rand": None, "randn": None}


def normalize_shape(args, op="view"):
    """Accept f(2, 3) and f((2, 3)) / f([2, 3]) / f(Size) spellings; for the creation functions
    and view, f() is PyTorch's TypeError (a 0-d shape is spelled f(()))."""
    if not args and op in _SIZE_REQUIRED:
        param = _SIZE_REQUIRED[op]
        if param is None:
            raise TypeError(f"{op}() received an invalid combination of arguments - got (), but expected one of:\n"
                            f" * (tuple of ints size)")
        raise TypeError(f'{op}() missing 1 required positional arguments: "{param}"')
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    for a in args:
        if a.__class__ is not int:
            break
    else:
        return tuple(args)
    out = []
    for a in args:
        if isinstance(a, Tensor):
            a = a.item()
        if not isinstance(a, numbers.Integral) or isinstance(a, bool):
            raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but found element of type {type(a).__name__}")
        out.append(int(a))
    return tuple(out)


def method(*names):
    """Decorator: also expose the function as Tensor method(s) ``names`` (default: its name)."""
    def deco(fn):
        for n in names or (fn.__name__,):
            setattr(Tensor, n, fn)
        return fn
    return deco


def is_dtype(x):
    return isinstance(x, _dtype_cls)
