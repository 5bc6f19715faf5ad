"""Index-driven reads and writes along one dim: gather / scatter / scatter_add,
index_select / index_add / index_fill, masked_fill / masked_select, take_along_dim, take.

Shapes (PyTorch's rules): ``gather(x, dim, index)`` -> index.shape, with
``index.size(d) <= x.size(d)`` for d != dim; ``scatter`` writes ``src[i..]`` at
``out[.., index[i..], ..]``; ``index_select(x, dim, index)`` -> x.shape with
``size(dim) = len(index)``.  Gradients are the dual ops (gather <-> scatter_add,
index_select <-> index_add), themselves differentiable.

This module sits above ``indexing`` (masked_select's gradient is an ``index_put``), which never
imports it.
"""
from __future__ import annotations

import numbers

from .. import _dtype
from ._common import (Tensor, def_op, Node, record, STATE, apply, attach, broadcast_shapes, method, shape_str,
                      wrap_dim, check_tensor)
from .shape_grad import view_scatter
from .pointwise_copy import sum_to, _inplace
from .pointwise_ternary import where
from .indexing import _index_put, nonzero, copy_out

__all__ = ["gather", "scatter", "scatter_add", "index_select", "index_add", "index_fill", "masked_fill",
           "masked_select", "take_along_dim", "take"]
_E = {}


def _nd1(n):
    return n if n else 1


def _check_index(op, index, int32_ok=False):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    dt = index.dtype
    if dt is not _dtype.int64 and not (int32_ok and dt is _dtype.int32):
        raise RuntimeError(f"{op}(): Expected dtype {'int32 or int64' if int32_ok else 'int64'} for index")


def _check_value(op, value):
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"{op} only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
    elif not isinstance(value, numbers.Number):
        raise TypeError(f"{op}(): argument 'value' must be Number or 0-d Tensor, not {type(value).__name__}")


# ---- metas ----------------------------------------------------------------------------------------
def _meta_gather(x, dim, index):
    """gather: out[i][j] = x[index[i][j]][j] (dim 0).  Output: index.shape, x.dtype."""
    check_tensor(x, "gather")
    _check_index("gather", index)
    xs, ixs = x._data.shape, index._data.shape
    if _nd1(len(ixs)) != _nd1(len(xs)):
        raise RuntimeError(f"gather(): Index tensor must have the same number of dimensions as input tensor "
                           f"(got {len(ixs)} and {len(xs)})")
    for i in range(len(xs)):
        if i != dim and ixs[i] > xs[i]:
            raise RuntimeError(f"gather(): Size does not match at dimension {i} expected index {shape_str(ixs)} to be "
                               f"no larger than self {shape_str(xs)} apart from dimension {dim}")
    return ixs, x.dtype


def _meta_scatter_factory(op):
    def meta(x, dim, index, src, reduce=None):
        check_tensor(x, op)
        _check_index(op, index)
        xs, ixs = x._data.shape, index._data.shape
        if _nd1(len(ixs)) != _nd1(len(xs)):
            raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as self tensor "
                               f"(got {len(ixs)} and {len(xs)})")
        if isinstance(src, Tensor):
            if src.dtype is not x.dtype:
                raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype (got {x.dtype.name} and "
                                   f"{src.dtype.name})")
            ss = src._data.shape
            if _nd1(len(ss)) != _nd1(len(xs)):
                raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as src tensor "
                                   f"(got {len(ixs)} and {len(ss)})")
            bad = any(ixs[i] > ss[i] for i in range(len(ixs)))
        elif isinstance(src, numbers.Number):
            ss, bad = None, False
        else:
            raise TypeError(f"{op}(): argument 'src' must be Tensor or Number, not {type(src).__name__}")
        if bad or any(i != dim and ixs[i] > xs[i] for i in range(min(len(xs), len(ixs)))):
            raise RuntimeError(f"{op}(): Expected index {shape_str(ixs)} to be smaller than self {shape_str(xs)} "
                               f"apart from dimension {dim}" +
                               (f" and to be smaller size than src {shape_str(ss)}" if ss is not None else ""))
        if reduce not in (None, "add", "multiply"):
            raise RuntimeError(f"{op}(): reduce argument must be either add or multiply, got '{reduce}'")
        return xs, x.dtype
    meta.__doc__ = f"{op}: a copy of x with src (or a scalar) written at index along dim. Output: x.shape."
    return meta


def _meta_index_select(x, dim, index):
    """index_select: the slices ``index`` (1-d) along dim.  Output: x.shape with size(dim) = len(index)."""
    check_tensor(x, "index_select")
    _check_index("index_select", index, int32_ok=True)
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    xs = x._data.shape
    if not xs:
        if index._data.size != 1:
            raise IndexError("index_select(): Index to select from a 0-dim tensor must have one element")
        return (), x.dtype
    return xs[:dim] + (index._data.size,) + xs[dim + 1:], x.dtype


def _meta_index_add(x, dim, index, source, alpha=1):
    """index_add: x with ``source`` slices added at ``index`` along dim (times alpha).  Output: x.shape."""
    check_tensor(x, "index_add")
    check_tensor(source, "index_add", "source")
    _check_index("index_add", index, int32_ok=True)
    if index._data.ndim > 1:
        raise IndexError("index_add(): Index is supposed to be a vector")
    if source.dtype is not x.dtype:
        raise RuntimeError(f"index_add(): self ({x.dtype.name}) and source ({source.dtype.name}) must have the same "
                           f"scalar type")
    xs = x._data.shape
    want = (xs[:dim] + (index._data.size,) + xs[dim + 1:]) if xs else (index._data.size,)
    ss = source._data.shape
    if (ss or (1,)) != want:
        raise RuntimeError(f"index_add(): source of shape {shape_str(ss)} does not match self of shape "
                           f"{shape_str(xs)} with dimension {dim} sized by the index ({index._data.size})")
    return xs, x.dtype


def _meta_index_fill(x, dim, index, value):
    """index_fill: x with the slices ``index`` along dim set to ``value``.  Output: x.shape."""
    check_tensor(x, "index_fill")
    _check_index("index_fill", index)
    if index._data.ndim > 1:
        raise IndexError("index_fill(): Index has to be a vector")
    _check_value("index_fill_", value)
    return x._data.shape, x.dtype


def _meta_masked_fill(x, mask, value):
    """masked_fill: x with ``value`` where mask (broadcast).  Output: broadcast(x, mask)."""
    check_tensor(x, "masked_fill")
    check_tensor(mask, "masked_fill", "mask")
    if mask.dtype is not _dtype.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype.name}")
    _check_value("masked_fill_", value)
    _dtype.check_scalar(value.item() if isinstance(value, Tensor) else _dtype.check_wrapped_int(value), x.dtype)
    return broadcast_shapes(x._data.shape, mask._data.shape, op="masked_fill"), x.dtype


def _meta_masked_select(x, mask):
    """masked_select (dynamic): the elements of broadcast(x, mask) where mask holds, 1-d."""
    check_tensor(x, "masked_select")
    check_tensor(mask, "masked_select", "mask")
    if mask.dtype is not _dtype.bool:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {mask.dtype.name}")
    broadcast_shapes(x._data.shape, mask._data.shape, op="masked_select")


_GATHER = def_op("gather", _meta_gather)
_SCATTER = def_op("scatter", _meta_scatter_factory("scatter"))
_SCATTER_ADD = def_op("scatter_add", _meta_scatter_factory("scatter_add"))
_INDEX_SELECT = def_op("index_select", _meta_index_select)
_INDEX_ADD = def_op("index_add", _meta_index_add)
_INDEX_FILL = def_op("index_fill", _meta_index_fill)
_MASKED_FILL = def_op("masked_fill", _meta_masked_fill)
_MASKED_SELECT = def_op("masked_select", _meta_masked_select, dynamic=True)


# ---- autograd -------------------------------------------------------------------------------------
def _pad_to(g, shape):
    """``g`` in the leading corner of zeros(shape) (differentiable); g itself when shapes agree."""
    if g._data.shape == tuple(shape):
        return g
    region = tuple(slice(0, s) for s in g._data.shape)
    return view_scatter(g, tuple(shape), lambda z: z[region])


class GatherBackward0(Node):
    def backward(self, g):
        z = g.new_zeros(self.in_shape)
        return (scatter_add(z, self.dim, self.index, g),)


class ScatterBackward0(Node):
    """src form: self gets g with the written slots zeroed; src gets g gathered back."""

    def backward(self, g):
        need = self.needs_input_grad
        gs = scatter(g, self.dim, self.index, 0) if need[0] else None
        gv = _pad_to(gather(g, self.dim, self.index), self.src_shape) if need[1] else None
        return gs, gv


class ScatterBackward1(Node):
    def backward(self, g):
        return (scatter(g, self.dim, self.index, 0),)


class ScatterAddBackward0(Node):
    def backward(self, g):
        need = self.needs_input_grad
        return (g if need[0] else None,
                _pad_to(gather(g, self.dim, self.index), self.src_shape) if need[1] else None)


class IndexSelectBackward0(Node):
    def backward(self, g):
        z = g.new_zeros(self.in_shape)
        if not self.in_shape:
            return (g.reshape(()),)
        return (index_add(z, self.dim, self.index, g),)


class IndexAddBackward0(Node):
    def backward(self, g):
        need = self.needs_input_grad
        gs = None
        if need[1]:
            gs = index_select(g.reshape(-1) if not g._data.ndim else g, self.dim, self.index)
            gs = (gs * self.alpha if self.alpha != 1 else gs).reshape(self.src_shape)
        return (g if need[0] else None), gs


class IndexFillBackward0(Node):
    def backward(self, g):
        need = self.needs_input_grad
        gx = index_fill(g, self.dim, self.index, 0) if need[0] else None
        gv = None
        if len(need) > 1 and need[1]:
            gv = index_select(g.reshape(-1) if not g._data.ndim else g, self.dim, self.index).sum()
        return gx, gv


IndexFillBackward1 = type("IndexFillBackward1", (IndexFillBackward0,), {})


class MaskedFillBackward0(Node):
    def backward(self, g):
        mask, = self.saved_tensors
        need = self.needs_input_grad
        z = g.new_zeros(())
        gx = sum_to(where(mask, z, g), self.in_shape) if need[0] else None
        gv = where(mask, g, z).sum() if len(need) > 1 and need[1] else None
        return gx, gv


MaskedFillBackward1 = type("MaskedFillBackward1", (MaskedFillBackward0,), {})


class MaskedSelectBackward0(Node):
    def backward(self, g):
        mask, = self.saved_tensors
        bshape = broadcast_shapes(self.in_shape, mask._data.shape)
        idx = list(nonzero(mask.expand(bshape), as_tuple=True))
        r = _index_put(g.new_zeros(bshape), idx, g, False)
        return (sum_to(r, self.in_shape),)


# ---- public API ------------------------------------------------------------------------------------
def _wrap(dim, x, op):
    """``dim`` wrapped for ``x``; PyTorch's TypeError first when ``x`` is not a Tensor."""
    return wrap_dim(dim, check_tensor(x, op)._data.ndim, op)


@method()
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False, out: Tensor | None = None) -> Tensor:
    """``out[i][j][k] = input[index[i][j][k]][j][k]`` (dim=0).  Output: index.shape.  int64 index."""
    return _select_by_index(_GATHER, GatherBackward0, input, _wrap(dim, input, "gather"), index, out)


def _select_by_index(op, node_cls, input, d, index, out):
    """gather / index_select: read ``input`` at ``index`` along ``d``; gradient scatters back."""
    if out is not None:
        return op.run_out((input, d, index), _E, out)
    return apply(op, (input, d, index), _E, node_cls, (input,), in_shape=input._data.shape, dim=d, index=index)


def _scatter_call(op, input, d, index, src, reduce, out):
    attrs = {"reduce": reduce} if reduce is not None else _E
    if out is not None:
        return op.run_out((input, d, index, src), attrs, out)
    r = op.run((input, d, index, src), attrs)
    st = isinstance(src, Tensor)
    if STATE.enabled and (input._requires_grad or (st and src._requires_grad)):
        if reduce == "multiply":
            raise RuntimeError("scatter(): the derivative for reduce='multiply' is not implemented")
        n = (ScatterAddBackward0() if (op is _SCATTER_ADD or reduce == "add") and st else
             ScatterBackward0() if st else ScatterBackward1())
        n.dim, n.index = d, index
        n.src_shape = src._data.shape if st else None
        record(n, (input if input._requires_grad else None,
                   src if st and src._requires_grad else None) if st else (input,), (r,))
    return r


def _src(src, value, op):
    if src is None and value is None:
        raise TypeError(f"{op}(): expected a 'src' Tensor or a 'value' number")
    return src if src is not None else value


@method()
def scatter(input: Tensor, dim: int, index: Tensor, src: Tensor | float | None = None,
            value: float | None = None, *, reduce: str | None = None, out: Tensor | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` (Tensor, or a number / ``value=``) written at ``index``
    along ``dim``; ``reduce='add'|'multiply'`` combines instead of overwriting."""
    return _scatter_call(_SCATTER, input, _wrap(dim, input, "scatter"), index, _src(src, value, "scatter"),
                         reduce, out)


@method()
def scatter_(self: Tensor, dim: int, index: Tensor, src: Tensor | float | None = None,
             value: float | None = None, *, reduce: str | None = None) -> Tensor:
    d = _wrap(dim, self, "scatter_")
    s = _src(src, value, "scatter_")
    r = _inplace(self, scatter, d, index, s, reduce=reduce)
    return r if r is not None else _SCATTER.run_inplace(self, (self, d, index, s),
                                                       {"reduce": reduce} if reduce is not None else _E)


@method()
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor, *, out: Tensor | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeated indices accumulate)."""
    return _scatter_call(_SCATTER_ADD, input, _wrap(dim, input, "scatter_add"), index, src, None, out)


@method()
def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    d = _wrap(dim, self, "scatter_add_")
    r = _inplace(self, scatter_add, d, index, src)
    return r if r is not None else _SCATTER_ADD.run_inplace(self, (self, d, index, src), _E)


@method()
def index_select(input: Tensor, dim: int, index: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The slices ``index`` (1-d int64/int32) along ``dim``.  Output: size(dim) = len(index)."""
    return _select_by_index(_INDEX_SELECT, IndexSelectBackward0, input, _wrap(dim, input, "index_select"), index,
                            out)


@method()
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: float = 1,
              out: Tensor | None = None) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` slices added at ``index`` along ``dim``."""
    d = _wrap(dim, input, "index_add")
    args = (input, d, index, source)
    attrs = {"alpha": alpha} if alpha != 1 else _E
    if out is not None:
        return _INDEX_ADD.run_out(args, attrs, out)
    r = _INDEX_ADD.run(args, attrs)
    if STATE.enabled and (input._requires_grad or source._requires_grad):
        n = IndexAddBackward0()
        n.dim, n.index, n.alpha, n.src_shape = d, index, alpha, source._data.shape
        record(n, (input if input._requires_grad else None, source if source._requires_grad else None), (r,))
    return r


@method()
def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: float = 1) -> Tensor:
    d = _wrap(dim, self, "index_add_")
    r = _inplace(self, index_add, d, index, source, alpha=alpha)
    return r if r is not None else _INDEX_ADD.run_inplace(self, (self, d, index, source),
                                                         {"alpha": alpha} if alpha != 1 else _E)


@method()
def index_fill(input: Tensor, dim: int, index: Tensor, value: Tensor | float) -> Tensor:
    """A copy of ``input`` with the slices ``index`` along ``dim`` set to ``value`` (number or 0-d)."""
    d = _wrap(dim, input, "index_fill")
    r = _INDEX_FILL.run((input, d, index, value), _E)
    vt = isinstance(value, Tensor) and value._requires_grad
    if STATE.enabled and (input._requires_grad or vt):
        n = IndexFillBackward1() if isinstance(value, Tensor) else IndexFillBackward0()
        n.dim, n.index = d, index
        record(n, (input if input._requires_grad else None, value if vt else None), (r,))
    return r


@method()
def index_fill_(self: Tensor, dim: int, index: Tensor, value: Tensor | float) -> Tensor:
    d = _wrap(dim, self, "index_fill_")
    r = _inplace(self, index_fill, d, index, value)
    return r if r is not None else _INDEX_FILL.run_inplace(self, (self, d, index, value), _E)


def _u64_value(x, value):
    """A Python int in [2**63, 2**64) (a uint64 Scalar, which only a bool tensor holds) as True for
    a bool ``x``; anything else unchanged (meta checks it)."""
    if value.__class__ is int and 1 << 63 <= value < 1 << 64 and isinstance(x, Tensor) and x.dtype is _dtype.bool:
        return True
    return value


@method()
def masked_fill(input: Tensor, mask: Tensor, value: Tensor | float) -> Tensor:
    """``input`` with ``value`` (number or 0-d tensor) where ``mask`` (bool, broadcast) holds."""
    value = _u64_value(input, value)
    r = _MASKED_FILL.run((input, mask, value), _E)
    vt = isinstance(value, Tensor) and value._requires_grad
    if STATE.enabled and (input._requires_grad or vt) and r.dtype.is_floating_point:
        n = MaskedFillBackward1() if isinstance(value, Tensor) else MaskedFillBackward0()
        n.save_for_backward(mask)
        n.in_shape = input._data.shape
        record(n, (input if input._requires_grad else None, value if vt else None), (r,))
    return r


@method()
def masked_fill_(self: Tensor, mask: Tensor, value: Tensor | float) -> Tensor:
    r = _inplace(self, masked_fill, mask, value)
    return r if r is not None else _MASKED_FILL.run_inplace(self, (self, mask, _u64_value(self, value)), _E)


@method()
def masked_select(input: Tensor, mask: Tensor, *, out: Tensor | None = None) -> Tensor:
    """1-d copy of the elements of broadcast(input, mask) where ``mask`` holds (data-dependent size)."""
    r = _MASKED_SELECT.run((input, mask), _E)
    if out is not None:
        return copy_out(out, r)
    attach(MaskedSelectBackward0, (input,), r, (mask,), in_shape=input._data.shape)
    return r


@method()
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None, *, out: Tensor | None = None) -> Tensor:
    """Values of ``input`` at ``indices`` along ``dim`` (both broadcast outside ``dim``); with
    ``dim=None`` over the flattened input."""
    check_tensor(indices, "take_along_dim", "indices")
    if indices.dtype is not _dtype.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_dtype.TORCH_NAMES[indices.dtype]}")
    if dim is None:
        r = gather(input.reshape(-1), 0, indices.reshape(-1))
    else:
        if input._data.ndim != indices._data.ndim:
            raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of "
                               f"dimensions, but got {input._data.ndim} dimensions for input, and "
                               f"{indices._data.ndim} dimensions for indices")
        d = _wrap(dim, input, "take_along_dim")
        if input._data.ndim == 0:
            raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
        xs, ixs = list(input._data.shape), list(indices._data.shape)
        xs[d] = ixs[d]
        b = list(broadcast_shapes(tuple(xs), tuple(ixs), op="take_along_dim"))
        ib = indices.expand(tuple(b))
        b[d] = input._data.shape[d]
        if b[d]:  # PyTorch 2.13 wraps indices along dim modulo its size (-1 is the last, 3 of 3 the first)
            ib = ib.remainder(b[d])
        r = gather(input.expand(tuple(b)), d, ib)
    return copy_out(out, r) if out is not None else r


@method()
def take(input: Tensor, index: Tensor) -> Tensor:
    """``input`` as 1-d, read at ``index`` (int64, any shape; negative counts from the end).
    Output: index.shape."""
    check_tensor(index, "take", "index")
    if index.dtype is not _dtype.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {index.dtype.name}")
    return input.reshape(-1)[index]
