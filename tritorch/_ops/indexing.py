"""Indexing: `Tensor.__getitem__` / `__setitem__`, advanced indexing (`index`, `index_put`),
`nonzero` / `argwhere`.  gather / scatter / index_* / masked_* live in `gather_scatter.py`,
which sits above this module (it builds on ``index_put`` and ``nonzero``).

Semantics are PyTorch's (which differ from numpy's in one place): ints, slices, None and
Ellipsis are applied first, as ONE strided view of the input (registry view op
``basic_index``), then integer / boolean tensor indices index that view with the
registry op ``index`` (a copy).  So ``x[0, :, [0, 1]]`` has shape ``(x.size(1), 2)``
as in PyTorch (numpy would put the advanced dim first).  Within ``index``, the broadcast
index dims replace the indexed dims in place when those are adjacent, else go first.
Boolean masks become integer indices through ``nonzero`` (data-dependent output size:
on cuda one host synchronisation).
"""
from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np

from .. import _dtype
from ._common import Tensor, def_op, Node, record, STATE, apply, broadcast_shapes, method, shape_str
from .shape_grad import SliceBackward0, SelectBackward0, _ViewScatterBackward
from .pointwise_copy import sum_to, _inplace, _COPY, _take_history
from .creation import full, zeros, tensor as _new_tensor

__all__ = ["index_put", "nonzero", "argwhere"]
_E = {}
_FULL = slice(None)
_LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_LEAF_MSG = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def copy_out(out, r):
    """Copy a computed result into a user's ``out=`` tensor (of the result's dtype), resizing it as
    PyTorch does."""
    if out.dtype is not r.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {r.dtype.name}, but got {out.dtype.name} instead")
    if out._data.shape != r._data.shape:
        out._set_raw(r._data if r.is_contiguous() else r.clone()._data)
    else:
        _COPY.run_inplace(out, (out, r), _E)
    return out


# ---- key parsing ----------------------------------------------------------------------------------
def _is_mask(t):
    d = t.dtype
    return d is _dtype.bool or d is _dtype.uint8


def _seq_index(k, device):
    """A list / tuple / ndarray used as one index -> an int64 (or bool) tensor."""
    if not isinstance(k, np.ndarray) and len(k) == 0:
        return zeros(0, dtype=_dtype.int64, device=device)
    if not any(isinstance(v, Tensor) for v in (k if isinstance(k, (list, tuple)) else ())):
        a = np.asarray(k)
        if a.dtype.kind == "f":  # PyTorch converts a float sequence to int64 indices, truncating
            if not (np.isfinite(a).all() and (np.abs(a) < 2.0**63).all()):
                raise RuntimeError("value cannot be converted to type int64 without overflow")
            k = a.astype(np.int64)
    t = _new_tensor(k, device=device)
    if t.dtype.is_floating_point:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return t


def _as_tuple(key):
    """numpy's legacy rule (kept by PyTorch): a short list holding slices / None / Ellipsis /
    sequences / tensors is a tuple of indices; any other list is one integer index."""
    if key.__class__ is tuple:
        return key
    if key.__class__ is list and len(key) < 32:
        for k in key:
            if k is None or k is Ellipsis or isinstance(k, (slice, Tensor, list, tuple)):
                return tuple(key)
    return (key,)


def _expand_ellipses(items, nd, consumed):
    """PyTorch's rule for several ellipses: each one skips the dims the others leave unindexed
    (nd - consumed); full slices that then run past the last dim index nothing and are dropped."""
    each = max(nd - consumed, 0)
    out = []
    for k in items:
        if k is Ellipsis:
            out.extend([_FULL] * each)
            consumed += each
        else:
            out.append(k)
    while consumed > nd and out and out[-1] is _FULL:
        out.pop()
        consumed -= 1
    return out, consumed


def _parse(x, key):
    """Split ``key`` into ``entries`` for the ``basic_index`` view (int / slice / None per
    consumed dim) and ``adv``: (dim in that view, tensor or Python bool) advanced indices."""
    key = _as_tuple(key)
    nd = x._data.ndim
    items = []
    consumed = 0
    has_int = ell = extra_ell = False
    for k in key:
        c = k.__class__
        if c is int:
            consumed += 1
            has_int = True
        elif c is slice:
            consumed += 1
        elif k is None or c is bool:
            pass
        elif k is Ellipsis:
            extra_ell = ell
            ell = True
        elif isinstance(k, Tensor):
            if _is_mask(k):
                consumed += k._data.ndim
            elif k.dtype.is_floating_point:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            else:
                consumed += 1
        elif isinstance(k, numbers.Integral) and not isinstance(k, (bool, np.bool_)):
            k = int(k)
            consumed += 1
            has_int = True
        elif isinstance(k, np.bool_):
            k = bool(k)
        elif isinstance(k, (list, tuple, np.ndarray)):
            k = _seq_index(k, x.device)
            consumed += k._data.ndim if _is_mask(k) else 1
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             f"valid indices (got {type(k).__name__})")
        items.append(k)
    if extra_ell:
        items, consumed = _expand_ellipses(items, nd, consumed)
    if consumed > nd:
        if nd == 0 and has_int:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                             "in C++ to convert a 0-dim tensor to a number")
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    entries, adv = [], None
    vd = 0  # dim of the basic view an advanced index applies to
    for k in items:
        c = k.__class__
        if c is int:
            entries.append(k)
        elif c is slice:
            entries.append(k)
            vd += 1
        elif k is None:
            entries.append(None)
            vd += 1
        elif k is Ellipsis:
            entries.extend([_FULL] * (nd - consumed))
            vd += nd - consumed
        else:
            if adv is None:
                adv = []
            adv.append((vd, k))
            if c is bool or (_is_mask(k) and k._data.ndim == 0):
                entries.append(None)  # a 0-d mask adds a dim of size 1 (True) or 0 (False)
                vd += 1
            else:
                n = k._data.ndim if _is_mask(k) else 1
                entries.extend([_FULL] * n)
                vd += n
    while entries and entries[-1] is _FULL:
        entries.pop()
    return tuple(entries), adv


# ---- basic indexing: one strided view ---------------------------------------------------------------
def _meta_basic_index(t, entries):
    """basic_index: ints / slices (step > 0) / None applied in order to the leading dims;
    the remaining dims are kept.  Returns the view's (shape, strides, offset)."""
    shape, st = t._data.shape, t.stride()
    off0 = off = t.storage_offset()
    oshape, ost = [], []
    d = 0
    for k in entries:
        if k is None:
            oshape.append(1)
            ost.append(st[d] * shape[d] if d < len(shape) else 1)
        elif k.__class__ is slice:
            step = 1 if k.step is None else k.step.__index__()
            if step <= 0:
                raise ValueError("step must be greater than zero")
            n = shape[d]
            start, stop, _ = slice(k.start, k.stop, step).indices(n) if k is not _FULL else (0, n, 1)
            length = max(0, (stop - start + step - 1) // step)
            oshape.append(length)
            ost.append(st[d] * step)
            if length:
                off += start * st[d]
            d += 1
        else:
            n = shape[d]
            if k < -n or k >= n:
                raise IndexError(f"index {k} is out of bounds for dimension {d} with size {n}")
            off += (k + n if k < 0 else k) * st[d]
            d += 1
    oshape.extend(shape[d:])
    ost.extend(st[d:])
    if 0 in oshape:
        off = off0  # an empty view must not point past the end of its storage
    return tuple(oshape), tuple(ost), off


_BASIC = def_op("basic_index", _meta_basic_index, view=True)

# Named as PyTorch names them; all scatter the gradient back through the same view.
_UnsqueezeViewBackward = type("UnsqueezeBackward0", (_ViewScatterBackward,), {})
AliasBackward0 = type("AliasBackward0", (_ViewScatterBackward,), {})


def _basic(x, entries):
    """``x[entries]`` as a view, recording the gradient (scatter into zeros) when needed."""
    v = _BASIC.run_view(x, (entries,), _E)
    if STATE.enabled and x._requires_grad:
        last = entries[-1] if entries else Ellipsis
        cls = (AliasBackward0 if last is Ellipsis else _UnsqueezeViewBackward if last is None else
               SliceBackward0 if last.__class__ is slice else SelectBackward0)
        n = cls()
        n.in_shape = x._data.shape
        n.replay = lambda z: _basic(z, entries)
        record(n, (x,), (v,))
    return v


# ---- advanced indexing: the index op ----------------------------------------------------------------
def _index_shape(x, indices, op):
    """Result shape of ``x[indices]`` (one int tensor or None per leading dim)."""
    nd = x._data.ndim
    if len(indices) > nd:
        raise IndexError(f"{op}: too many indices for tensor of dimension {nd} (got {len(indices)})")
    shapes, pos = [], []
    for i, t in enumerate(indices):
        if t is None:
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): indices must be Tensors or None, got {type(t).__name__}")
        if t.dtype.is_floating_point or _is_mask(t):
            raise IndexError(f"{op}: tensors used as indices must be long or int tensors (masks are converted "
                             f"with nonzero first), got {t.dtype.name}")
        shapes.append(t._data.shape)
        pos.append(i)
    shape = x._data.shape
    if not pos:
        return shape
    try:
        b = broadcast_shapes(*shapes, op=op)
    except RuntimeError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(shape_str(s) for s in shapes)) from None
    if pos[-1] - pos[0] + 1 == len(pos):
        return shape[:pos[0]] + b + shape[pos[-1] + 1:]
    return b + tuple(s for i, s in enumerate(shape) if i not in pos)


def _meta_index(x, indices):
    """index: ``x[indices]`` with integer index tensors (None = whole dim); a copy.
    Output: broadcast(index shapes) in place of the indexed dims if adjacent, else first."""
    return _index_shape(x, indices, "index"), x.dtype


def _meta_index_put(x, indices, values, accumulate=False):
    """index_put: ``x`` with ``x[indices] = values`` (``+=`` when accumulate); values broadcast."""
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' must be Tensor, not {type(values).__name__}")
    if values.dtype is not x.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {x.dtype.name} for "
                           f"the destination and {values.dtype.name} for the source.")
    target = _index_shape(x, indices, "index_put")
    vs = values._data.shape
    if not broadcast_shapes_ok(target, vs):
        raise RuntimeError(f"shape mismatch: value tensor of shape {shape_str(vs)} cannot be broadcast to "
                           f"indexing result of shape {shape_str(target)}")
    return x._data.shape, x.dtype


def broadcast_shapes_ok(target, vs):
    """True when ``vs`` broadcasts to ``target`` (without growing it)."""
    for a, b in zip(reversed(target), reversed(vs)):
        if b != 1 and a != b:
            return False
    return len(vs) <= len(target)


_INDEX = def_op("index", _meta_index)
_INDEX_PUT = def_op("index_put", _meta_index_put)


class IndexBackward0(Node):
    def backward(self, g):
        z = zeros(self.in_shape, dtype=g.dtype, device=g.device)
        return (_index_put(z, self.indices, g, True),)


def index(input: Tensor, indices: Sequence[Tensor | None]) -> Tensor:
    """``input[indices]``: ``indices`` is a list with one int64/int32 tensor or None per leading dim."""
    return apply(_INDEX, (input, indices), _E, IndexBackward0, (input,), in_shape=input._data.shape, indices=indices)


class IndexPutBackward0(Node):
    def backward(self, g):
        need = self.needs_input_grad
        gi = gv = None
        if need[0]:
            gi = g if self.accumulate else _index_put(g, self.indices, g.new_zeros(()), False)
        if need[1]:
            gv = sum_to(index(g, self.indices), self.vshape)
        return gi, gv


def _index_put(input, indices, values, accumulate):
    r = _INDEX_PUT.run((input, indices, values), {"accumulate": accumulate})
    if STATE.enabled and (input._requires_grad or values._requires_grad):
        n = IndexPutBackward0()
        n.indices, n.accumulate, n.vshape = indices, accumulate, values._data.shape
        record(n, (input if input._requires_grad else None, values if values._requires_grad else None), (r,))
    return r


def _norm_indices(x, indices):
    """A user's indices tuple (tensors, masks, None) -> the ``index`` op's list (masks -> nonzero)."""
    if isinstance(indices, Tensor) or not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    out = []
    for t in indices:
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"index_put(): indices must be Tensors or None, got {type(t).__name__}")
        if t is not None and _is_mask(t):
            _check_mask(x, t, len(out))
            out.extend(nonzero(t, as_tuple=True))
        else:
            out.append(t)
    return out


@method()
def index_put(input: Tensor, indices: Sequence[Tensor | None], values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``input[indices] = values`` (``+=`` with ``accumulate``).

    ``indices``: tuple of int64 / bool tensors (or None), one per leading dim.
    """
    return _index_put(input, _norm_indices(input, indices), values, accumulate)


@method()
def index_put_(self: Tensor, indices: Sequence[Tensor | None], values: Tensor, accumulate: bool = False) -> Tensor:
    """In-place `index_put`; returns self."""
    idx = _norm_indices(self, indices)
    r = _inplace(self, _index_put, idx, values, accumulate)
    return r if r is not None else _INDEX_PUT.run_inplace(self, (self, idx, values), {"accumulate": accumulate})


# ---- nonzero ------------------------------------------------------------------------------------
def _meta_nonzero(x):
    """nonzero (dynamic): (n, ndim) int64 coordinates of the nonzero elements."""
    if not isinstance(x, Tensor):
        raise TypeError(f"nonzero(): argument 'input' must be Tensor, not {type(x).__name__}")


_NONZERO = def_op("nonzero", _meta_nonzero, dynamic=True)


@method()
def nonzero(input: Tensor, *, out: Tensor | None = None, as_tuple: bool = False) -> Tensor | tuple[Tensor, ...]:
    """Coordinates of the nonzero elements: (n, ndim) int64, or a tuple of ndim (n,) tensors.

    A 0-d input counts as 1-d under ``as_tuple`` (as in PyTorch)."""
    if as_tuple:
        src = input.reshape(1) if input._data.ndim == 0 else input
        r = _NONZERO.run((src,), _E)
        return tuple(r.select(1, i).contiguous() for i in range(src._data.ndim))
    r = _NONZERO.run((input,), _E)
    return copy_out(out, r) if out is not None else r


@method()
def argwhere(input: Tensor) -> Tensor:
    """Same as ``nonzero(input)``: (n, ndim) int64."""
    return _NONZERO.run((input,), _E)


# ---- __getitem__ / __setitem__ ----------------------------------------------------------------------
def _check_mask(x, m, vd):
    shape, ms = x._data.shape, m._data.shape
    for i, s in enumerate(ms):
        if vd + i >= len(shape) or shape[vd + i] != s:
            raise IndexError(f"The shape of the mask {shape_str(ms)} at index {i} does not match the shape of "
                             f"the indexed tensor {shape_str(shape)} at index {vd + i}")


def _adv_indices(r, adv):
    """The ``index`` op's list for view ``r`` from the parsed advanced entries."""
    indices = [None] * r._data.ndim
    for vd, k in adv:
        if k.__class__ is bool or _is_mask(k):
            if k.__class__ is bool or k._data.ndim == 0:
                indices[vd] = (zeros(1, dtype=_dtype.int64, device=r.device) if bool(k) else
                               zeros(0, dtype=_dtype.int64, device=r.device))
            else:
                if k.device is not r.device:
                    raise RuntimeError(f"indices should be either on cpu or on the same device as the indexed "
                                       f"tensor ({r.device})")
                _check_mask(r, k, vd)
                nz = nonzero(k if k.dtype is _dtype.bool else k.bool(), as_tuple=True)
                indices[vd:vd + len(nz)] = nz
        else:
            indices[vd] = k
    while indices and indices[-1] is None:
        indices.pop()
    return indices


def getitem(self: Tensor, key: object) -> Tensor:
    """``self[key]``: basic indices give a view sharing storage; tensor indices a copy."""
    entries, adv = _parse(self, key)
    r = _basic(self, entries) if (entries or adv is None) else self
    if adv is not None:
        r = index(r, _adv_indices(r, adv))
    return r


class CopySlices(Node):
    """Backward of ``self[key] = value``: self's old value gets g with the slots zeroed,
    value gets g[key] summed back to its shape."""

    def backward(self, g):
        need = self.needs_input_grad
        gs = gv = None
        if need[0]:
            gs = g.clone()
            gs[self.key] = 0
        if need[1]:
            gv = sum_to(g[self.key], self.stripped).reshape(self.vshape)
        return gs, gv


def _strip_ones(shape):
    i = 0
    while i < len(shape) and shape[i] == 1:
        i += 1
    return shape[i:]


def _number_value(value, self):
    """A Python number assigned into ``self`` as a 0-d tensor of self's dtype, with PyTorch's
    checks: ints beyond int64 fail while unpacking (ValueError); integer and float32/64 targets
    must hold the value; half types take it rounded (inf when out of range), as PyTorch copies it."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(1 << 63) <= value < (1 << 63):
        raise ValueError("Overflow when unpacking long long")
    dt = self.dtype
    if dt.is_floating_point and dt.itemsize == 2:
        return full((), value, dtype=_dtype.float64, device=self.device).to(dt)
    return full((), value, dtype=dt, device=self.device)


def setitem(self: Tensor, key: object, value: Tensor | float) -> None:
    """``self[key] = value``: value (Tensor or number) broadcast into the indexed slots, cast to
    self's dtype; bumps the version counter.  With autograd the history is rebased (CopySlices)."""
    if isinstance(value, Tensor):
        if value.device is not self.device:
            value = value.to(self.device)
        if value.dtype is not self.dtype:
            value = value.to(self.dtype)
    elif isinstance(value, (numbers.Number, np.bool_)):
        value = _number_value(value, self)
    else:
        raise TypeError(f"can't assign a {type(value).__name__} to a {self.type()}")
    grad = STATE.enabled and (self._requires_grad or value._requires_grad)
    if grad:
        if self._requires_grad and self.grad_fn is None:
            raise RuntimeError(_LEAF_MSG)
        base = self._base
        if base is not None and base._requires_grad and base.grad_fn is None:
            raise RuntimeError(_VIEW_LEAF_MSG)
    entries, adv = _parse(self, key)
    stripped = _strip_ones(value._data.shape)
    prev = STATE.enabled
    STATE.enabled = False
    try:
        v = _BASIC.run_view(self, (entries,), _E) if entries else self
        val = value if stripped == value._data.shape else value.view(stripped)
        if adv is None:
            if not broadcast_shapes_ok(v._data.shape, stripped):
                raise RuntimeError(f"shape mismatch: value tensor of shape {shape_str(value._data.shape)} cannot be "
                                   f"broadcast to indexing result of shape {shape_str(v._data.shape)}")
            _COPY.run_inplace(v, (v, val), _E)
        else:
            _INDEX_PUT.run_inplace(v, (v, _adv_indices(v, adv), val), {"accumulate": False})
    finally:
        STATE.enabled = prev
    if grad:
        n = CopySlices()
        n.key, n.vshape, n.stripped = key, value._data.shape, stripped
        inputs = (self if self._requires_grad else None, value if value._requires_grad else None)
        if self._base is None:
            record(n, inputs, (self,))
        else:
            # self is a view: its base must see the write too (x[0][1] = v).
            r = self.detach()
            record(n, inputs, (r,))
            _take_history(self, r)


method("__getitem__")(getitem)
method("__setitem__")(setitem)
