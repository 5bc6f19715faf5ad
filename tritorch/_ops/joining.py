"""Joining, tiling and reordering: cat / concat / concatenate, stack (+ hstack, vstack,
dstack, column_stack, row_stack), repeat, tile, repeat_interleave, flip (+ fliplr,
flipud), roll, tril / triu (+ in-place).

All produce new tensors (PyTorch has no negative strides, so ``flip`` copies too).
Shapes: ``cat`` sums sizes along ``dim`` (legacy rule: 1-d empty tensors are skipped),
``stack`` inserts a new ``dim``; both promote dtypes across the inputs.  Gradients split,
fold or reorder the incoming gradient back (CatBackward0 narrows, RepeatBackward0 sums
the tiles, FlipBackward0 / RollBackward0 reorder, TrilBackward0 masks).
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

from .. import _dtype
from ._common import (Tensor, def_op, Node, record, apply, STATE, method, shape_str, wrap_dim, promote, check_tensor,
                      normalize_shape, check_unique_dims, int_list)
from .pointwise import _inplace
from .creation import full
from .shape import atleast_1d, atleast_2d, atleast_3d
from .gather_scatter import index_select

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack", "column_stack",
           "tile", "repeat_interleave", "flip", "fliplr", "flipud", "roll", "tril", "triu"]
_E = {}


# ---- cat / stack ----------------------------------------------------------------------------------
def _skipped(t):
    s = t._data.shape
    return len(s) == 1 and s[0] == 0


def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' must be tuple of Tensors, not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return tensors


def _cat_ref(tensors):
    """The tensor whose shape the others must match (the first one not skipped)."""
    for t in tensors:
        if not _skipped(t):
            return t
    return tensors[0]


def _meta_cat(tensors, dim):
    """cat: join along existing ``dim``.  Output: sizes summed along dim; promoted dtype."""
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    ref = _cat_ref(tensors)
    shape = list(ref._data.shape)
    nd = len(shape)
    total = 0
    for i, t in enumerate(tensors):
        s = t._data.shape
        if _skipped(t):
            continue
        if len(s) != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {len(s)}")
        for j in range(nd):
            if j != dim and s[j] != shape[j]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected size "
                                   f"{shape[j]} but got size {s[j]} for tensor number {i} in the list.")
        total += s[dim]
    shape[dim] = total
    return tuple(shape), promote(*tensors)


def _meta_stack(tensors, dim):
    """stack: join equal-shaped tensors along a new ``dim``.  Output: shape with len(tensors) at dim."""
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {shape_str(s0)} at entry 0 and "
                               f"{shape_str(t._data.shape)} at entry {i}")
    return s0[:dim] + (len(tensors),) + s0[dim:], promote(*tensors)


_CAT = def_op("cat", _meta_cat)
_STACK = def_op("stack", _meta_stack)


class CatBackward0(Node):
    def backward(self, g):
        grads, off = [], 0
        for (size, dt, skipped), need in zip(self.parts, self.needs_input_grad):
            if skipped:
                grads.append(g.new_zeros((0,), dtype=dt) if need else None)
                continue
            if need:
                gi = g.narrow(self.dim, off, size)
                grads.append(gi if gi.dtype is dt else gi.to(dt))
            else:
                grads.append(None)
            off += size
        return tuple(grads)


class StackBackward0(Node):
    def backward(self, g):
        return tuple((gi if gi.dtype is dt else gi.to(dt)) if need else None
                     for gi, dt, need in zip(g.unbind(self.dim), self.dtypes, self.needs_input_grad))


def _record_join(node, tensors, r):
    if STATE.enabled and r.dtype.is_floating_point and any(t._requires_grad for t in tensors):
        record(node, tuple(t if t._requires_grad else None for t in tensors), (r,))


def cat(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Concatenate along existing ``dim``; sizes must match elsewhere.  1-d empty tensors are
    skipped (PyTorch's legacy rule); dtypes are promoted."""
    tensors = _tensor_list(tensors, "cat")
    d = wrap_dim(dim, _cat_ref(tensors)._data.ndim, "cat") if tensors else dim
    if out is not None:
        return _CAT.run_out((tensors, d), _E, out)
    r = _CAT.run((tensors, d), _E)
    if STATE.enabled and r.dtype.is_floating_point:
        n = CatBackward0()
        n.dim = d
        n.parts = tuple((0 if _skipped(t) else t._data.shape[d], t.dtype, _skipped(t)) for t in tensors)
        _record_join(n, tensors, r)
    return r


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Join equal-shaped tensors along a new ``dim`` (in [-ndim-1, ndim])."""
    tensors = _tensor_list(tensors, "stack")
    d = wrap_dim(dim, tensors[0]._data.ndim + 1, "stack") if tensors else dim
    if out is not None:
        return _STACK.run_out((tensors, d), _E, out)
    r = _STACK.run((tensors, d), _E)
    if STATE.enabled and r.dtype.is_floating_point:
        n = StackBackward0()
        n.dim, n.dtypes = d, tuple(t.dtype for t in tensors)
        _record_join(n, tensors, r)
    return r


def _as_list(tensors, op):
    ts = list(_tensor_list(tensors, op))
    if not ts:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return ts


def hstack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """cat along dim 1 (dim 0 for 1-d inputs), after `atleast_1d`."""
    ts = [atleast_1d(t) for t in _as_list(tensors, "hstack")]
    return cat(ts, 0 if ts and ts[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """cat along dim 0 after `atleast_2d` ((N,) -> (1, N))."""
    return cat([atleast_2d(t) for t in _as_list(tensors, "vstack")], 0, out=out)


row_stack = vstack


def dstack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """cat along dim 2 after `atleast_3d` ((N,) -> (1, N, 1), (M, N) -> (M, N, 1))."""
    return cat([atleast_3d(t) for t in _as_list(tensors, "dstack")], 2, out=out)


def column_stack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """hstack where 0-d / 1-d inputs become columns (N, 1)."""
    ts = [t.reshape(t.numel(), 1) if t._data.ndim <= 1 else t for t in _as_list(tensors, "column_stack")]
    return hstack(ts, out=out)


# ---- repeat / tile / repeat_interleave ------------------------------------------------------------------
def _meta_repeat(x, repeats):
    """repeat: tile x ``repeats`` times per dim (new leading dims when len(repeats) > ndim)."""
    nd = x._data.ndim
    if len(repeats) < nd:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           f"tensor (got {len(repeats)} repeat dims for a {nd}-d tensor)")
    for r in repeats:
        if r < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {r}: {shape_str(repeats)}")
    shape = (1,) * (len(repeats) - nd) + x._data.shape
    return tuple(s * r for s, r in zip(shape, repeats)), x.dtype


_REPEAT = def_op("repeat", _meta_repeat)


class RepeatBackward0(Node):
    """Sum the gradient over the tiles: view it as (r0, s0, r1, s1, ...) and reduce the r's."""

    def backward(self, g):
        inter = tuple(v for r, s in zip(self.repeats, self.padded) for v in (r, s))
        if not inter:
            return (g,)
        gr = g.reshape(inter).sum(tuple(range(0, len(inter), 2)))
        return (gr.reshape(self.in_shape),)


@method()
def repeat(input: Tensor, *sizes: int | Sequence[int]) -> Tensor:
    """``input`` tiled ``sizes`` times along each dim.  Output: padded shape * sizes."""
    reps = normalize_shape(sizes, "repeat")
    shape = input._data.shape
    return apply(_REPEAT, (input, reps), _E, RepeatBackward0, (input,), repeats=reps, in_shape=shape,
                 padded=(1,) * (len(reps) - len(shape)) + shape)


@method()
def tile(input: Tensor, dims: int | Sequence[int]) -> Tensor:
    """Like `repeat`, but ``dims`` shorter than ndim is padded with leading 1s."""
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    nd = input._data.ndim
    if len(dims) < nd:
        dims = (1,) * (nd - len(dims)) + dims
    return repeat(input, dims)


def _meta_repeat_interleave(repeats):
    """repeat_interleave (dynamic): index i repeated repeats[i] times, int64."""
    check_tensor(repeats, "repeat_interleave", "repeats")
    if repeats._data.ndim != 1:
        raise RuntimeError(f"repeat_interleave only accept 1D vector as repeat, got {repeats._data.ndim}-d")
    if repeats.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError(f"repeats has to be Long or Int tensor, got {repeats.dtype.name}")


_REPEAT_INTERLEAVE = def_op("repeat_interleave", _meta_repeat_interleave, dynamic=True)


@method()
def repeat_interleave(input: Tensor, repeats: Tensor | int | None = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element (slice along ``dim``; flattened when None) ``repeats`` times
    (int, or a tensor with one count per element).  ``repeat_interleave(counts)`` alone
    returns the indices ``[0]*counts[0] + [1]*counts[1] + ...``."""
    if repeats is None:
        return _REPEAT_INTERLEAVE.run((input,), _E)
    if dim is None:
        input, d = input.reshape(-1), 0
    else:
        d = wrap_dim(dim, input._data.ndim, "repeat_interleave")
    n = input._data.shape[d] if input._data.ndim else 1
    if isinstance(repeats, Tensor) and repeats._data.ndim == 1 and repeats._data.size != 1:
        if repeats._data.shape[0] != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{repeats._data.shape[0]} and input.size({d}) = {n}")
        rep = repeats
    else:
        k = int(repeats.item()) if isinstance(repeats, Tensor) else int(repeats)
        if k < 0:
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        rep = full((n,), k, dtype=_dtype.int64, device=input.device)
    idx = _REPEAT_INTERLEAVE.run((rep,), _E)
    if output_size is not None and idx._data.shape[0] != output_size:
        raise RuntimeError(f"repeat_interleave: allocated size does not match required size "
                           f"({output_size} vs {idx._data.shape[0]})")
    return index_select(input, d, idx)


# ---- flip / roll ----------------------------------------------------------------------------------------
def _dims_tuple(dims, nd, op):
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    return check_unique_dims(tuple(wrap_dim(d, nd, op) for d in dims))


def _meta_flip(x, dims):
    """flip: reverse the order along ``dims`` (a copy).  Output: x.shape."""
    check_tensor(x, "flip")
    return x._data.shape, x.dtype


def _meta_roll(x, shifts, dims):
    """roll: shift elements circularly along ``dims`` (flattened when dims is None).  Output: x.shape."""
    check_tensor(x, "roll")
    return x._data.shape, x.dtype


_FLIP = def_op("flip", _meta_flip)
_ROLL = def_op("roll", _meta_roll)


class FlipBackward0(Node):
    def backward(self, g):
        return (flip(g, self.dims),)


class RollBackward0(Node):
    def backward(self, g):
        if self.dims is None:
            return (roll(g, -self.shifts),)
        return (roll(g, tuple(-s for s in self.shifts), self.dims),)


@method()
def flip(input: Tensor, *dims: int | Sequence[int]) -> Tensor:
    """Reverse ``input`` along ``dims`` (a copy: PyTorch has no negative strides)."""
    if len(dims) == 1 and not isinstance(dims[0], numbers.Integral):
        dims = dims[0]
    d = _dims_tuple(dims, input._data.ndim, "flip")
    if input._data.ndim == 0:
        d = ()  # dims -1/0 of a scalar: nothing to reverse (PyTorch returns a copy)
    return apply(_FLIP, (input, d), _E, FlipBackward0, (input,), dims=d)


@method()
def fliplr(input: Tensor) -> Tensor:
    """Flip dim 1 (left/right); input must be >= 2-d."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


@method()
def flipud(input: Tensor) -> Tensor:
    """Flip dim 0 (up/down); input must be >= 1-d."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


@method()
def roll(input: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:
    """Circular shift by ``shifts`` along ``dims`` (int or tuples of equal length); with
    ``dims=None`` the flattened tensor is rolled and reshaped back."""
    sh = tuple(int_list(shifts, "roll", "shifts"))
    if dims is None:
        if len(sh) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:0")
        args, d = (input, int(sh[0]), None), None
    else:
        d = tuple(int_list(dims, "roll", "dims"))
        if len(sh) != len(d):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:{len(d)}")
        d = tuple(wrap_dim(x, input._data.ndim, "roll", wrap_scalar=False) for x in d)
        args = (input, sh, d)
    return apply(_ROLL, args, _E, RollBackward0, (input,), shifts=args[1], dims=d)


# ---- tril / triu --------------------------------------------------------------------------------------
def _meta_tri(op):
    def meta(x, diagonal=0):
        check_tensor(x, op)
        if x._data.ndim < 2:
            raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")
        return x._data.shape, x.dtype
    meta.__doc__ = f"{op}: zero the elements {'above' if op == 'tril' else 'below'} the ``diagonal``-th " \
                   "diagonal of the last two dims.  Output: x.shape."
    return meta


_TRIL = def_op("tril", _meta_tri("tril"))
_TRIU = def_op("triu", _meta_tri("triu"))


class TrilBackward0(Node):
    def backward(self, g):
        return (tril(g, self.diagonal),)


class TriuBackward0(Node):
    def backward(self, g):
        return (triu(g, self.diagonal),)


def _tri(op, node_cls, input, diagonal, out):
    attrs = {"diagonal": diagonal} if diagonal else _E
    if out is not None:
        return op.run_out((input,), attrs, out)
    return apply(op, (input,), attrs, node_cls, (input,), diagonal=diagonal)


@method()
def tril(input: Tensor, diagonal: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Lower triangle of the last two dims (batched): zero where col - row > diagonal."""
    return _tri(_TRIL, TrilBackward0, input, diagonal, out)


@method()
def triu(input: Tensor, diagonal: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Upper triangle of the last two dims (batched): zero where col - row < diagonal."""
    return _tri(_TRIU, TriuBackward0, input, diagonal, out)


@method()
def tril_(self: Tensor, diagonal: int = 0) -> Tensor:
    r = _inplace(self, tril, diagonal)
    return r if r is not None else _TRIL.run_inplace(self, (self,), {"diagonal": diagonal} if diagonal else _E)


@method()
def triu_(self: Tensor, diagonal: int = 0) -> Tensor:
    r = _inplace(self, triu, diagonal)
    return r if r is not None else _TRIU.run_inplace(self, (self,), {"diagonal": diagonal} if diagonal else _E)

