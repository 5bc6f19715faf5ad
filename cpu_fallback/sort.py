"""numpy impls of sort, topk, kthvalue, median and the index helpers gather/scatter_along_dim.

Every order comes from one stable argsort: numpy already puts NaN last ascending, which is
PyTorch's "NaN is largest"; descending sorts the reversed slice and maps the indices back, so
NaN comes first and ties keep input order.  Half types are compared in float32 (exact).
"""
import numpy as np

from .pointwise import _up


def _argsort(x, axis, descending):
    xx = _up(x)
    if not descending:
        return np.argsort(xx, axis=axis, kind="stable")
    n = x.shape[axis]
    idx = np.argsort(np.flip(xx, axis), axis=axis, kind="stable")
    return (n - 1) - np.flip(idx, axis)


def _fill_scalar(outs, x):
    values, indices = outs
    np.copyto(values, x.reshape(values.shape))
    indices.fill(0)


def sort(outs, x, dim, descending, stable):
    """Always stable (ties keep input order): that honours ``stable=True`` and is a valid result for
    ``stable=False``, so ``stable`` (always passed by the registry) is not read."""
    if x.ndim == 0:
        return _fill_scalar(outs, x)
    idx = _argsort(x, dim, descending)
    np.copyto(outs[0], np.take_along_axis(x, idx, axis=dim))
    np.copyto(outs[1], idx)


def topk(outs, x, k, dim, largest, sorted):
    if x.ndim == 0:
        # The output is 0-d (one element) for k = 0 as for k = 1: PyTorch copies the value.
        return _fill_scalar(outs, x)
    idx = np.take(_argsort(x, dim, largest), np.arange(k), axis=dim)
    np.copyto(outs[0], np.take_along_axis(x, idx, axis=dim))
    np.copyto(outs[1], idx)


def _pick(outs, x, dim, pos):
    """Values/indices at sorted position ``pos`` (an array broadcastable along the slice) of ``dim``."""
    idx = np.take_along_axis(_argsort(x, dim, False), pos, axis=dim)
    values, indices = outs
    np.copyto(values, np.take_along_axis(x, idx, axis=dim).reshape(values.shape))
    np.copyto(indices, idx.reshape(indices.shape))


def _slice_shape(x, dim):
    return tuple(1 if i == dim else s for i, s in enumerate(x.shape))


def kthvalue(outs, x, k, dim, keepdim):
    if x.ndim == 0:
        return _fill_scalar(outs, x)
    _pick(outs, x, dim, np.full(_slice_shape(x, dim), k - 1, dtype=np.int64))


def median_dim(outs, x, dim, keepdim):
    if x.ndim == 0:
        return _fill_scalar(outs, x)
    n = x.shape[dim]
    pos = np.full(_slice_shape(x, dim), (n - 1) // 2, dtype=np.int64)
    if x.dtype.kind in "fV":
        # A slice with NaN has median NaN: the first NaN sits at sorted position n - count(NaN).
        nans = np.sum(np.isnan(_up(x)), axis=dim, keepdims=True)
        pos = np.where(nans > 0, n - nans, pos)
    _pick(outs, x, dim, pos)


def median(out, x):
    flat = _up(x).reshape(-1)
    if flat.size == 0:
        out.fill(np.nan)
        return
    s = np.sort(flat, kind="stable")
    v = s[(flat.size - 1) // 2]
    if s.dtype.kind == "f" and np.isnan(s[-1]):
        v = s[-1]
    np.copyto(out, v, casting="unsafe")


def gather_along_dim(out, x, dim, index):
    if x.ndim == 0:
        np.copyto(out, x)
        return
    np.copyto(out, np.take_along_axis(x, index, axis=dim))


def scatter_along_dim(out, src, dim, index, shape):
    out.fill(0)
    if out.ndim == 0:
        np.copyto(out, src)
        return
    np.put_along_axis(out, index, src, axis=dim)


IMPLS = {"sort": sort, "topk": topk, "kthvalue": kthvalue, "median_dim": median_dim, "median": median,
         "gather_along_dim": gather_along_dim, "scatter_along_dim": scatter_along_dim}
