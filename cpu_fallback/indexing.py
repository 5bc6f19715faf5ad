"""numpy impls of the indexing ops: advanced indexing (``index``, ``index_put``) and the
data-dependent ``nonzero``.  gather/scatter/masked ops live in ``gather_scatter.py``; their
impls are merged into ``IMPLS`` here.

Indices arrive as lists with one entry per indexed dim: an integer array, or None for a
dim taken whole.  numpy's advanced indexing places the broadcast index dims exactly as
PyTorch's ``index`` does (in place when the indexed dims are adjacent, else in front).
Out-of-range values can only be seen here, so the bounds checks (IndexError naming the
bad index, the dim and its size) live in the impls.
"""
import numpy as np

from . import gather_scatter
from .gather_scatter import check_bounds, ufunc_at

_FULL = slice(None)


def adv_key(shape, indices, op=""):
    """The numpy index tuple for an ``indices`` list (None = whole dim), bounds-checked."""
    key = []
    for d, ix in enumerate(indices):
        if ix is None:
            key.append(_FULL)
        else:
            check_bounds(ix, shape[d], d, op)
            key.append(ix)
    return tuple(key)


def index(out, x, indices):
    out[...] = x[adv_key(x.shape, indices)]


def index_put(out, x, indices, values, accumulate=False):
    if out is not x:
        out[...] = x
    key = adv_key(out.shape, indices, "index_put(): ")
    if accumulate:
        ufunc_at(np.logical_or if out.dtype == np.bool_ else np.add, out, key, values)
    else:
        out[key] = values


def nonzero(x):
    """Dynamic: (n, ndim) int64 coordinates of the nonzero elements, row-major order."""
    return np.ascontiguousarray(np.argwhere(x != 0), dtype=np.int64)


IMPLS = {"index": index, "index_put": index_put, "nonzero": nonzero}
IMPLS.update(gather_scatter.IMPLS)
