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


# PyTorch's out-of-range messages: most ops name index, dim and size; index_select / index_add's slice
# loops say "out of range in self"; index_select's dim-1 path (ndim > 1) has its own text.
BOUNDS_MESSAGES = {"bounds": "{op}index {bad} is out of bounds for dimension {dim} with size {n}",
                   "self": "index out of range in self",
                   "data": "INDICES element is out of DATA bounds, id={bad} axis_dim={n}"}


def bounds_error(lo, hi, n, dim, op="", allow_negative=True, exc=IndexError, style="bounds"):
    """The error for index values spanning [lo, hi] against size ``n`` (None when all are in range):
    ``exc`` (PyTorch raises RuntimeError for gather / scatter, IndexError for most others) with the
    ``style`` message of ``BOUNDS_MESSAGES``.  Shared by the cpu and cuda bounds checks."""
    if hi >= n or lo < (-n if allow_negative else 0):
        bad = int(hi) if hi >= n else int(lo)
        return exc(BOUNDS_MESSAGES[style].format(op=op, bad=bad, dim=dim, n=n))
    return None


def check_bounds(idx, n, dim, op="", allow_negative=True, exc=IndexError, style="bounds"):
    """Raise `bounds_error` unless every value of ``idx`` lies in [-n, n) (or [0, n))."""
    if idx.size == 0:
        return
    err = bounds_error(idx.min(), idx.max(), n, dim, op, allow_negative, exc, style)
    if err is not None:
        raise err


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
    check_bounds(ix, xs.shape[dim], dim, allow_negative=False, exc=RuntimeError)
    xs = xs[tuple(_FULL if d == dim else slice(0, s) for d, s in enumerate(ix.shape))]
    out[...] = np.take_along_axis(xs, ix, axis=dim).reshape(out.shape)


def _scatter(out, x, dim, index, src, reduce):
    if out is not x:
        out[...] = x
    if index.size == 0:
        return
    o, ix = _nd1(out), _nd1(index)
    check_bounds(ix, o.shape[dim], dim, allow_negative=False, exc=RuntimeError)
    key = _coords(ix, dim)
    vals = _nd1(src)[tuple(slice(0, s) for s in ix.shape)] if isinstance(src, np.ndarray) else src
    if reduce is None:
        o[key] = vals
    else:
        ufunc_at(np.multiply if reduce == "multiply" else
                 (np.logical_or if o.dtype == np.bool_ else np.add), o, key, vals)


def scatter(out, x, dim, index, src, reduce=None):
    _scatter(out, x, dim, index, src, reduce)


def scatter_add(out, x, dim, index, src):
    _scatter(out, x, dim, index, src, "add")


def index_select(out, x, dim, index):
    if x.ndim == 0:
        check_bounds(index, 1, 0, allow_negative=False, style="self")
        out[...] = x
        return
    dim1 = x.ndim > 1 and dim == 1  # PyTorch's dim-1 kernel: RuntimeError with its own text
    check_bounds(index, x.shape[dim], dim, allow_negative=False, exc=RuntimeError if dim1 else IndexError,
                 style="data" if dim1 else "self")
    out[...] = np.take(x, index.reshape(-1), axis=dim)


def index_add(out, x, dim, index, source, alpha=1):
    if out is not x:
        out[...] = x
    o, src = _nd1(out), _nd1(source)
    # PyTorch's CPU index_add takes its scatter_add path (RuntimeError) for 2-d self with alpha 1 and
    # int64 indices, its slice loop ("index out of range in self") otherwise.
    scatter_path = o.ndim == 2 and alpha == 1 and index.dtype == np.int64
    check_bounds(index, o.shape[dim], dim, allow_negative=False, exc=RuntimeError if scatter_path else IndexError,
                 style="bounds" if scatter_path else "self")
    if alpha != 1:
        src = np.multiply(_up(src), alpha, dtype=compute_dtype(out.dtype), casting="unsafe")
    uf = np.logical_or if o.dtype == np.bool_ else np.add
    ufunc_at(uf, np.moveaxis(o, dim, 0), index.reshape(-1), np.moveaxis(src, dim, 0))


def index_fill(out, x, dim, index, value):
    if out is not x:
        out[...] = x
    o = _nd1(out)
    check_bounds(index, o.shape[dim], dim)
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
