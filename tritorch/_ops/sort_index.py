"""Index plumbing shared by the value-selecting ops (max/min with ``dim``, sort, topk,
kthvalue, median): PyTorch-style named result tuples and the two registry ops that move
values along one dim by an index tensor.

``gather_along_dim`` / ``scatter_along_dim`` are the sort and reduction families' own
helpers (the general ``gather``/``scatter`` belong to the indexing family): they assume
the indices along ``dim`` are unique within each slice -- true for the permutations and
selections these ops produce -- so scatter and scatter-add coincide and each op is the
other's gradient, which keeps double backward exact.
"""
from __future__ import annotations

import collections
from typing import Sequence

from ._common import Tensor, def_op, Node, attach, shape_str

__all__ = []


def return_type(name, fields):
    """A named tuple class printed like ``torch.return_types.<name>`` (``.values``, ``.indices`` ...)."""
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "tritorch.return_types"

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"tritorch.return_types.{name}(\n{body})"
    cls.__repr__ = __repr__
    return cls


def _check_index(x, dim, index, op):
    if not isinstance(index, Tensor) or index.dtype.name != "int64":
        raise RuntimeError(f"{op}: expected an int64 index tensor")
    if index._data.ndim != x._data.ndim:
        raise RuntimeError(f"{op}: index {shape_str(index._data.shape)} must have the same number of dims as "
                           f"the values {shape_str(x._data.shape)}")


def _meta_gather(x, dim, index):
    """gather_along_dim: out[i][j] = x[i][index[i][j]] along ``dim``; out has index's shape."""
    _check_index(x, dim, index, "gather_along_dim")
    return index._data.shape, x.dtype


def _meta_scatter(src, dim, index, shape):
    """scatter_along_dim: zeros of ``shape`` with out[i][index[i][j]] = src[i][j] along ``dim``."""
    _check_index(src, dim, index, "scatter_along_dim")
    if index._data.shape != src._data.shape:
        raise RuntimeError(f"scatter_along_dim: index {shape_str(index._data.shape)} and src "
                           f"{shape_str(src._data.shape)} must have the same shape")
    return tuple(shape), src.dtype


_GATHER = def_op("gather_along_dim", _meta_gather)
_SCATTER = def_op("scatter_along_dim", _meta_scatter)
_E = {}


class GatherAlongDimBackward0(Node):
    def backward(self, g):
        index, = self.saved_tensors
        return (scatter_along_dim(g, self.dim, index, self.in_shape),)


class ScatterAlongDimBackward0(Node):
    def backward(self, g):
        index, = self.saved_tensors
        return (gather_along_dim(g, self.dim, index),)


def gather_along_dim(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """Values of ``x`` at ``index`` along ``dim``.  x: (*, n, *); index: (*, k, *) int64 -> (*, k, *)."""
    r = _GATHER.run((x, dim, index), _E)
    if r.dtype.is_floating_point:
        attach(GatherAlongDimBackward0, (x,), r, (index,), dim=dim, in_shape=x._data.shape)
    return r


def scatter_along_dim(src: Tensor, dim: int, index: Tensor, shape: Sequence[int]) -> Tensor:
    """Zeros of ``shape`` with ``src`` placed at ``index`` along ``dim`` (indices unique per slice)."""
    r = _SCATTER.run((src, dim, index, tuple(shape)), _E)
    if r.dtype.is_floating_point:
        attach(ScatterAlongDimBackward0, (src,), r, (index,), dim=dim)
    return r


def index_backward(g, indices, dim, keepdim, in_shape):
    """Gradient of a value-selecting op: ``g`` put back at ``indices`` along ``dim``, zeros elsewhere.

    ``keepdim=False`` means ``g``/``indices`` lack ``dim`` (reductions); sort/topk pass True.
    """
    if len(in_shape) == 0:
        return g.reshape(())
    if not keepdim:
        g, indices = g.unsqueeze(dim), indices.unsqueeze(dim)
    return scatter_along_dim(g, dim, indices, in_shape)


def evenly_distribute(g, x, value):
    """Gradient of a full max/min/median: ``g`` shared equally by the elements equal to ``value``
    (NaN elements when ``value`` is NaN), as PyTorch's ``evenly_distribute_backward``."""
    mask = (x == value).logical_or(x.isnan().logical_and(value.isnan())).to(g.dtype)
    return mask * (g / mask.sum())


def values_indices(op, node_cls, rt, input, args, dim, keepdim, out):
    """Run a (values, indices) op and record the index-scatter gradient for values."""
    if out is not None:
        op.run_out((input,) + args, _E, tuple(out))
        return rt(*out)
    v, i = op.run((input,) + args, _E)
    if v.dtype.is_floating_point:
        attach(node_cls, (input,), (v, i), (i,), differentiable=1, dim=dim, keepdim=keepdim,
               in_shape=input._data.shape)
    return rt(v, i)
