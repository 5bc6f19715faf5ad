"""Helpers shared by the op declarations: broadcasting, dim handling, Tensor methods.

Everything here is shape/dtype logic (the registry's side of the contract); no array
math happens here.
"""
from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .. import _dtype as _dtype_mod
from .._dtype import result_type_from, scalar_dtype, _FROM_NP, _default as _DEFAULT
from .._tensor import Tensor, _wrap_dim
from .._registry import def_op, OPS, allocate
from ..autograd.graph import Node, record, needs_grad
from ..autograd.grad_mode import STATE

if TYPE_CHECKING:
    from .._dtype import dtype
    from .._registry import OpDef

__all__ = ["Tensor", "def_op", "OPS", "Node", "record", "needs_grad", "STATE", "broadcast_shapes",
           "wrap_dim", "reduce_dims", "method", "promote", "is_scalar", "check_tensor", "check_keepdim",
           "check_optional_tensor", "check_unique_dims", "shape_str", "normalize_shape", "int_arg", "int_list",
           "apply", "attach", "FLOATS", "write_out", "check_expand", "Scalar", "Shape"]

# Annotation aliases for the op files: a Python number argument (PyTorch's Scalar) and a shape.
Scalar = int | float | bool | complex
Shape = tuple[int, ...]
_T = TypeVar("_T")

# The floating dtypes the fused GEMM and the float-only families accept.
FLOATS = (_dtype_mod.float16, _dtype_mod.bfloat16, _dtype_mod.float32, _dtype_mod.float64)

wrap_dim = _wrap_dim
_bcast_cache = {}


def attach(node_cls: type[Node], inputs: Sequence[Tensor | None], outputs: Tensor | tuple[Tensor | None, ...],
           /, save: Sequence[Tensor | None] = (), differentiable: int | None = None, **fields: Any) -> Node | None:
    """Record the backward node of an op that has run: when grad mode is on and any of
    ``inputs`` (Tensors or None) requires grad, build ``node_cls()``, set ``fields`` on it, save
    ``save`` for backward and make it the grad_fn of ``outputs`` (a Tensor or a tuple).  Only the
    first ``differentiable`` outputs get the node (integer outputs such as indices do not);
    None means all.  Returns the node, or None when nothing was recorded."""
    if not STATE.enabled:
        return None
    for t in inputs:
        if t is not None and t._requires_grad:
            return _attach(node_cls, inputs, outputs, save, differentiable, fields)
    return None


def _attach(node_cls, inputs, outputs, save, differentiable, fields):
    node = node_cls()
    for k, v in fields.items():
        setattr(node, k, v)
    if save:
        node.save_for_backward(*save)
    outs = outputs if type(outputs) is tuple else (outputs,)
    if differentiable is not None:
        outs = outs[:differentiable] + (None,) * (len(outs) - differentiable)
    record(node, inputs, outs)
    return node


def apply(op: OpDef, args: tuple[Any, ...], attrs: dict[str, Any], node_cls: type[Node],
          inputs: Sequence[Tensor | None], /, save: Sequence[Tensor | None] = (), save_output: bool = False,
          differentiable: int | None = None, **fields: Any) -> Tensor | tuple[Tensor, ...]:
    """The eager op sequence in one call: run registry ``op`` on ``args``/``attrs``, then `attach`
    ``node_cls`` to its result(s) with ``inputs`` as the node's edges.  ``save`` are the tensors
    saved for backward; ``save_output`` appends the result(s) after them.  Returns what
    ``op.run`` returned.  (The leading arguments are positional-only, so a node field may be
    named like one of them.)"""
    out = op.run(args, attrs)
    if STATE.enabled:
        for t in inputs:
            if t is not None and t._requires_grad:
                if save_output:
                    save = tuple(save) + (out if type(out) is tuple else (out,))
                _attach(node_cls, inputs, out, save, differentiable, fields)
                break
    return out


def write_out(r: Tensor, out: Tensor | None, op: str) -> Tensor:
    """Copy a composite result into ``out`` (resized like PyTorch's out= does); returns ``out``,
    or ``r`` when ``out`` is None."""
    if out is None:
        return r
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if out.dtype is not r.dtype and not _dtype_mod.can_cast(r.dtype, out.dtype):
        raise RuntimeError(f"{op}: result type {r.dtype.name} can't be cast to the desired output type "
                           f"{out.dtype.name}")
    prev = STATE.enabled
    STATE.enabled = False
    try:
        if out._data.shape != r._data.shape:
            out._set_raw(allocate(out.device.type, r._data.shape, out.dtype))
        out.copy_(r)
    finally:
        STATE.enabled = prev
    return out


def check_expand(shape: Sequence[int], target: Sequence[int]) -> None:
    """An operand of shape ``shape`` must expand to ``target`` (PyTorch's expand messages)."""
    if len(shape) <= len(target):
        for i in range(1, len(shape) + 1):
            if shape[-i] != target[-i] and shape[-i] != 1:
                raise RuntimeError(
                    f"The expanded size of the tensor ({target[-i]}) must match the existing size ({shape[-i]}) at "
                    f"non-singleton dimension {len(target) - i}.  Target sizes: {shape_str(target)}.  "
                    f"Tensor sizes: {shape_str(shape)}")
        return
    raise RuntimeError(f"The number of sizes provided ({len(target)}) must be greater or equal to the number of "
                       f"dimensions in the tensor ({len(shape)})")


def shape_str(s: Sequence[int]) -> str:
    return "[" + ", ".join(str(x) for x in s) + "]"


def broadcast_shapes(*shapes: Sequence[int], op: str = "broadcast_shapes") -> Shape:
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


def is_scalar(x: object) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, Tensor)


def check_tensor(x: object, op: str, arg: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' must be Tensor, not {type(x).__name__}")
    return x


def check_keepdim(keepdim: object, op: str) -> None:
    """PyTorch's TypeError for a ``keepdim`` that is not a bool (``keepdim=1`` included)."""
    if keepdim.__class__ is not bool and not isinstance(keepdim, np.bool_):
        raise TypeError(f"{op}(): argument 'keepdim' must be bool, not {type(keepdim).__name__}")


def int_arg(v: object, op: str, name: str, pos: int | None = None) -> int:
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


def int_list(v: object, op: str, name: str, pos: int | None = None) -> list[int]:
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


def check_optional_tensor(x: object, op: str, arg: str) -> Tensor | None:
    """``x`` when it is None or a Tensor; PyTorch's TypeError naming ``arg`` otherwise."""
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' must be Tensor, not {type(x).__name__}")
    return x


def promote(*operands: Tensor | Scalar | None) -> dtype:
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


def check_unique_dims(dims: Sequence[int]) -> Sequence[int]:
    """``dims`` (wrapped) when no dim repeats; PyTorch's error naming the first repeat otherwise."""
    if len(set(dims)) != len(dims):
        first = next(d for i, d in enumerate(dims) if d in dims[:i])
        raise RuntimeError(f"dim {first} appears multiple times in the list of dims")
    return dims


def reduce_dims(dim: int | Sequence[int] | None, ndim: int, op: str) -> tuple[int, ...]:
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


def normalize_shape(args: Sequence[Any], op: str = "view") -> Shape:
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


def method(*names: str) -> Callable[[_T], _T]:
    """Decorator: also expose the function as Tensor method(s) ``names`` (default: its name)."""
    def deco(fn: _T) -> _T:
        for n in names or (fn.__name__,):
            setattr(Tensor, n, fn)
        return fn
    return deco
