"""Sorting and selection along one dim: sort, argsort, msort, topk, kthvalue, median.

Order is PyTorch's: NaN compares larger than every number (last ascending, first
descending); ``stable=True`` keeps equal elements in input order (the cpu impl is always
stable).  Values' gradients flow back through the returned indices
(``sort_index.scatter_along_dim``); full ``median()`` shares its gradient between ties.
"""
from __future__ import annotations

from .. import _dtype
from ._common import Tensor, def_op, Node, attach, method, wrap_dim, check_tensor, check_keepdim, int_arg
from .sort_index import return_type, index_backward, evenly_distribute, values_indices as _select

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median"]
_E = {}


def _size(x, dim):
    s = x._data.shape
    return s[dim] if s else 1


def _check_input(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")


def _meta_sort(x, dim, descending, stable):
    """sort: (values, int64 indices), both of x's shape; sorted along dim."""
    _check_input(x, "sort")
    s = x._data.shape
    return (s, x.dtype), (s, _dtype.int64)


def _meta_topk(x, k, dim, largest, sorted):
    """topk: the k largest (smallest) along dim -> (values, int64 indices) with size k there."""
    _check_input(x, "topk")
    if k < 0 or k > _size(x, dim):
        raise RuntimeError("selected index k out of range")
    if x.dtype is _dtype.bool:  # after the range checks, as PyTorch (whose CUDA build does sort bools)
        raise RuntimeError("topk does not support bool dtypes on CPU")
    s = list(x._data.shape)
    if s:
        s[dim] = k
    return (tuple(s), x.dtype), (tuple(s), _dtype.int64)


def _reduced(x, dim, keepdim):
    s = x._data.shape
    if not s:
        return ()
    return tuple(1 if i == dim else n for i, n in enumerate(s)) if keepdim else s[:dim] + s[dim + 1:]


def _no_bool(x, kernel):
    """PyTorch has no bool kernel for the selection ops (its NotImplementedError names it)."""
    if x.dtype is _dtype.bool:
        raise NotImplementedError(f'"{kernel.format(dev=x._storage.device.type)}" not implemented for \'Bool\'')


def _meta_kthvalue(x, k, dim, keepdim):
    """kthvalue: k-th smallest (1-based) along dim -> (values, int64 indices)."""
    _check_input(x, "kthvalue")
    check_keepdim(keepdim, "kthvalue")
    _no_bool(x, "kthvalue_{dev}")
    if x._data.ndim and x._data.shape[dim] == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {dim} to have non-zero size.")
    if k < 1 or k > _size(x, dim):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    shape = _reduced(x, dim, keepdim)
    return (shape, x.dtype), (shape, _dtype.int64)


def _meta_median_dim(x, dim, keepdim):
    """median_dim: lower median along dim (NaN if the slice has one) -> (values, int64 indices)."""
    _check_input(x, "median")
    check_keepdim(keepdim, "median")
    _no_bool(x, "median_out")
    if _size(x, dim) == 0:
        raise IndexError(f"median(): Expected reduction dim {dim} to have non-zero size.")
    shape = _reduced(x, dim, keepdim)
    return (shape, x.dtype), (shape, _dtype.int64)


def _meta_median(x):
    """median: lower median of all elements as a 0-d tensor (NaN if any is NaN or x is empty)."""
    _check_input(x, "median")
    _no_bool(x, "median_{dev}")
    return (), x.dtype


_SORT = def_op("sort", _meta_sort, nout=2)
_TOPK = def_op("topk", _meta_topk, nout=2)
_KTHVALUE = def_op("kthvalue", _meta_kthvalue, nout=2)
_MEDIAN_DIM = def_op("median_dim", _meta_median_dim, nout=2)
_MEDIAN = def_op("median", _meta_median)

_SORT_RT = return_type("sort", ("values", "indices"))
_TOPK_RT = return_type("topk", ("values", "indices"))
_KTH_RT = return_type("kthvalue", ("values", "indices"))
_MEDIAN_RT = return_type("median", ("values", "indices"))


class SortBackward0(Node):
    """Values were picked by ``indices`` along ``dim``: put the gradient back there."""

    def backward(self, g, g_idx=None):
        idx, = self.saved_tensors
        return (index_backward(g, idx, self.dim, self.keepdim, self.in_shape),)


TopkBackward0 = type("TopkBackward0", (SortBackward0,), {})
KthvalueBackward0 = type("KthvalueBackward0", (SortBackward0,), {})
MedianBackward1 = type("MedianBackward1", (SortBackward0,), {})


class MedianBackward0(Node):
    def backward(self, g):
        x, out = self.saved_tensors
        return (evenly_distribute(g, x, out),)


@method()
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False, *,
         out: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
    """Sort along ``dim`` -> (values, indices).  NaN is largest; equal elements keep input order
    (``stable=False`` is allowed to reorder them in PyTorch; the cpu impl never does)."""
    check_tensor(input, "sort")
    d = wrap_dim(dim, input._data.ndim, "sort")
    return _select(_SORT, SortBackward0, _SORT_RT, input, (d, bool(descending), bool(stable)), d, True, out)


@method()
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """Indices (int64) that sort ``input`` along ``dim``."""
    return sort(input, dim, descending, stable).indices


@method()
def msort(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``sort(input, dim=0).values``."""
    if out is not None:
        check_tensor(input, "msort")
        _SORT.run_out((input, 0, False, True), _E, (out, out.new_empty(out.shape, dtype=_dtype.int64)))
        return out
    return sort(input, 0).values


@method()
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *,
         out: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` -> (values, indices);
    always returned in sorted order; k > size is a RuntimeError."""
    check_tensor(input, "topk")
    k = int_arg(k, "topk", "k", 1)
    d = wrap_dim(dim, input._data.ndim, "topk")
    return _select(_TOPK, TopkBackward0, _TOPK_RT, input, (k, d, bool(largest), bool(sorted)), d, True, out)


@method()
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False, *,
             out: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
    """The ``k``-th smallest element (1-based) along ``dim`` -> (values, indices)."""
    check_tensor(input, "kthvalue")
    k = int_arg(k, "kthvalue", "k", 1)
    check_keepdim(keepdim, "kthvalue")
    d = wrap_dim(dim, input._data.ndim, "kthvalue")
    return _select(_KTHVALUE, KthvalueBackward0, _KTH_RT, input, (k, d, keepdim), d, keepdim, out)


@method()
def median(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           out: Tensor | tuple[Tensor, Tensor] | None = None) -> Tensor | tuple[Tensor, Tensor]:
    """``median(input)``: lower median of all elements (0-d; NaN if any element is NaN; gradient
    shared between ties); ``median(input, dim, keepdim)`` -> (values, indices) along ``dim``."""
    check_tensor(input, "median")
    if dim is None:
        if out is not None:
            return _MEDIAN.run_out((input,), _E, out)
        r = _MEDIAN.run((input,), _E)
        if r.dtype.is_floating_point:
            attach(MedianBackward0, (input,), r, (input, r))
        return r
    check_keepdim(keepdim, "median")
    d = wrap_dim(dim, input._data.ndim, "median")
    return _select(_MEDIAN_DIM, MedianBackward1, _MEDIAN_RT, input, (d, keepdim), d, keepdim, out)
