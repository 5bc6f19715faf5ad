"""numpy impls of gather / scatter / index_select / index_add / index_fill / masked_fill /
masked_select, plus the bounds-check and unbuffered-accumulate helpers the indexing impls
share.

Accumulating scatters use ``ufunc.at`` (unbuffered: repeated indices all contribute);
half types accumulate in float32 and round once.  Index tensors smaller than the input
(allowed by gather/scatter outside ``dim``) address the leading corner, as in PyTorch.
"""
import numpy as np

from .pointwise_unary import compute_dtype, _up

_FULL = slice(None)


def check_bounds(idx, n, dim, op="", allow_negative=True):
    """IndexError unless every value of ``idx`` lies in [-n, n) (or [0, n))."""
    if idx.size == 0:
        return
    lo, hi = idx.min(), idx.max()
    if hi >= n or lo < (-n if allow_negative else 0):
        bad = int(hi) if hi >= n else int(lo)
        raise IndexError(f"{op}index {bad} is out of bounds for dimension {dim} with size {n}")


def ufunc_at(uf, out, key, vals):
    """``uf.at(out, key, vals)`` (repeated indices all apply); half types in float32."""
    ct = compute_dtype(out.dtype)
    if ct != out.dtype:
        tmp = out.astype(ct)
        uf.at(tmp, key, _up(vals))
        out[...] = tmp
    else:
        uf.at(out, key, vals)


def _nd1(a):
    """0-d arrays as 1-element 1-d views (gather/scatter treat 0-d like 1-d, as PyTorch)."""
    return a.reshape(1) if a.ndim == 0 else a


def _coords(index, dim):
    """Full coordinate arrays addressing ``out[..., index, ...]`` along ``dim`` (broadcastable)."""
    nd = index.ndim
    return tuple(index if d == dim else np.arange(s).reshape((s,) + (1,) * (nd - 1 - d))
                 for d, s in enumerate(index.shape))


def gather(out, x, dim, index):
    xs, ix = _nd1(x), _nd1(index)
    check_bounds(ix, xs.shape[dim], dim, "gather(): ", allow_negative=False)
    xs = xs[tuple(_FULL if d == dim else slice(0, s) for d, s in enumerate(ix.shape))]
    out[...] = np.take_along_axis(xs, ix, axis=dim).reshape(out.shape)


def _scatter(op, out, x, dim, index, src, reduce):
    if out is not x:
        out[...] = x
    if index.size == 0:
        return
    o, ix = _nd1(out), _nd1(index)
    check_bounds(ix, o.shape[dim], dim, op, allow_negative=False)
    key = _coords(ix, dim)
    vals = _nd1(src)[tuple(slice(0, s) for s in ix.shape)] if isinstance(src, np.ndarray) else src
    if reduce is None:
        o[key] = vals
    else:
        ufunc_at(np.multiply if reduce == "multiply" else
                 (np.logical_or if o.dtype == np.bool_ else np.add), o, key, vals)


def scatter(out, x, dim, index, src, reduce=None):
    _scatter("scatter(): ", out, x, dim, index, src, reduce)


def scatter_add(out, x, dim, index, src):
    _scatter("scatter_add(): ", out, x, dim, index, src, "add")


def index_select(out, x, dim, index):
    if x.ndim == 0:
        check_bounds(index, 1, 0, "index_select(): ", allow_negative=False)
        out[...] = x
        return
    check_bounds(index, x.shape[dim], dim, "index_select(): ", allow_negative=False)
    out[...] = np.take(x, index.reshape(-1), axis=dim)


def index_add(out, x, dim, index, source, alpha=1):
    if out is not x:
        out[...] = x
    o, src = _nd1(out), _nd1(source)
    check_bounds(index, o.shape[dim], dim, "index_add(): ", allow_negative=False)
    if alpha != 1:
        src = np.multiply(_up(src), alpha, dtype=compute_dtype(out.dtype), casting="unsafe")
    uf = np.logical_or if o.dtype == np.bool_ else np.add
    ufunc_at(uf, np.moveaxis(o, dim, 0), index.reshape(-1), np.moveaxis(src, dim, 0))


def index_fill(out, x, dim, index, value):
    if out is not x:
        out[...] = x
    o = _nd1(out)
    check_bounds(index, o.shape[dim], dim, "index_fill(): ")
    np.moveaxis(o, dim, 0)[index.reshape(-1)] = value


def masked_fill(out, x, mask, value):
    if out is not x:
        np.copyto(out, x)
    if out.dtype.kind == "u" and isinstance(value, int) and value < 0:
        value += 1 << (8 * out.dtype.itemsize)  # PyTorch wraps negatives into unsigned types
    np.copyto(out, value, casting="unsafe", where=mask)


def masked_select(x, mask):
    """Dynamic: the elements of broadcast(x, mask) where mask holds, as a 1-d array."""
    xb, mb = np.broadcast_arrays(x, mask)
    return np.ascontiguousarray(xb[mb])


IMPLS = {"gather": gather, "scatter": scatter, "scatter_add": scatter_add, "index_select": index_select,
         "index_add": index_add, "index_fill": index_fill, "masked_fill": masked_fill,
         "masked_select": masked_select}
