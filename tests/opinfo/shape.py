"""Op-table entries of the view ops (registry ops view, permute, expand, as_strided, slice,
select, squeeze, unsqueeze, diagonal) and the composites built on them.

Views are dtype-agnostic, so every entry runs on every dtype; samples include views of
views (non-contiguous inputs), 0-d and empty tensors.  References are numpy.
"""
import numpy as np

import tritorch as tt
from tests.opinfo.core import OpInfo, Sample, ALL, make


def _nc(shape, dtype, device):
    """A non-contiguous tensor of ``shape``: a permuted (or strided, for 1-D) view."""
    if len(shape) >= 2:
        return make(tuple(reversed(shape)), dtype, device).permute(*reversed(range(len(shape))))
    base = make((shape[0] * 2,), dtype, device)
    return tt.slice_dim(base, 0, 0, shape[0] * 2, 2)


def _samples(cases):
    """cases: list of (shape or tensor-builder, args, kwargs); builders get (dtype, device)."""
    def gen(dtype, device):
        out = []
        for src, args, kw in cases:
            x = src(dtype, device) if callable(src) else make(src, dtype, device)
            out.append(Sample((x,) + tuple(args), dict(kw)))
        return out
    return gen


def _c(shape):
    return lambda dt, dev: make(shape, dt, dev)


def _n(shape):
    return lambda dt, dev: _nc(shape, dt, dev)


def _vv(dt, dev):
    """A view of a view of a view: (3, 4) non-contiguous with a storage offset."""
    return make((5, 4, 2), dt, dev).permute(1, 0, 2).narrow(1, 1, 3).select(2, 1).t()


def _ref_expand(x, *shape):
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple) else shape
    nd = len(shape) - x.ndim
    full = tuple(x.shape[i - nd] if s == -1 else s for i, s in enumerate(shape))
    return np.broadcast_to(x, full)


def _ref_as_strided(x, size, stride, offset=0):
    flat = np.ascontiguousarray(x).reshape(-1)
    return np.lib.stride_tricks.as_strided(flat[offset:], size, tuple(s * flat.itemsize for s in stride))


def _ref_slice(x, dim, start, end, step=1):
    idx = [slice(None)] * x.ndim
    idx[dim] = slice(start, end, step)
    return x[tuple(idx)]


def _ref_squeeze(x, dim=None):
    if dim is None:
        return np.squeeze(x)
    dims = (dim,) if isinstance(dim, int) else dim
    return np.squeeze(x, tuple(d % max(x.ndim, 1) for d in dims if x.ndim and x.shape[d] == 1)) if x.ndim else x


def _ref_split(x, s, dim=0):
    n = x.shape[dim]
    if isinstance(s, int):
        edges = list(range(s, n, s))
    else:
        edges = list(np.cumsum(s)[:-1])
    return tuple(np.split(x, edges, axis=dim))


def _ref_chunk(x, chunks, dim=0):
    n = x.shape[dim]
    return _ref_split(x, -(-n // chunks) if n else 1, dim)


def _ref_movedim(x, src, dst):
    return np.moveaxis(x, src, dst)


def _ref_unflatten(x, dim, sizes):
    d = dim % x.ndim
    return x.reshape(x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


def _ref_flatten(x, start=0, end=-1):
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start % x.ndim, end % x.ndim
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:]) if x.size else \
        x.reshape(x.shape[:s] + (int(np.prod(x.shape[s:e + 1])),) + x.shape[e + 1:])


OPS = [
    OpInfo("view", lambda x, *s: x.view(*s), lambda x, *s: x.reshape(*s), _samples([
        ((2, 3, 4), (4, 6), {}), ((2, 3, 4), (-1,), {}), ((2, 3, 4), (2, -1, 2), {}), ((1,), ((),), {}),
        ((), (1, 1), {}), ((0, 4), (2, 0, 2), {}), (_n((3, 4)), (3, 2, 2), {}),
        (lambda dt, dev: make((6, 4), dt, dev).narrow(0, 1, 3), (3, 2, 2), {}),
    ]), dtypes=ALL),
    OpInfo("permute", lambda x, *d: x.permute(*d), lambda x, *d: np.transpose(x, d), _samples([
        ((2, 3, 4), (2, 0, 1), {}), (_n((2, 3, 4)), (1, 2, 0), {}), ((), (), {}), ((0, 3), (1, 0), {}),
        (_vv, (1, 0), {}),
    ]), dtypes=ALL),
    OpInfo("expand", lambda x, *s: x.expand(*s), _ref_expand, _samples([
        ((3, 1), (3, 4), {}), ((3, 1), (2, 3, 5), {}), ((), (2, 3), {}), ((1, 4), (-1, 4), {}),
        ((1, 4), (0, 4), {}), (_n((1, 3)), (2, 2, 3), {}),
    ]), dtypes=ALL),
    OpInfo("as_strided", lambda x, *a: x.as_strided(*a), _ref_as_strided, _samples([
        ((12,), ((3, 3), (3, 1), 1), {}), ((12,), ((4, 3), (2, 1)), {}), ((3, 4), ((2, 2), (1, 4)), {}),
        ((3, 4), ((), (), 5), {}), ((3, 4), ((0, 2), (1, 1)), {}), ((6,), ((2, 3), (0, 2)), {}),
    ]), dtypes=ALL),
    OpInfo("slice", tt.slice_dim, _ref_slice, _samples([
        ((5, 4), (0, 1, 4), {}), ((5, 4), (1, 0, 4, 2), {}), ((5, 4), (-1, -3, None), {}),
        ((5, 4), (0, 7, 9), {}), (_vv, (0, 1, 3), {}), ((0, 3), (1, 1, 2), {}),
    ]), dtypes=ALL),
    OpInfo("select", lambda x, d, i: x.select(d, i), lambda x, d, i: np.take(x, i, axis=d), _samples([
        ((3, 4, 5), (1, 2), {}), ((3, 4, 5), (-1, -1), {}), ((4,), (0, 3), {}), (_vv, (1, 1), {}),
        ((2, 0), (0, 1), {}),
    ]), dtypes=ALL),
    OpInfo("squeeze", lambda x, *d: x.squeeze(*d), _ref_squeeze, _samples([
        ((1, 3, 1, 2), (), {}), ((1, 3, 1, 2), (2,), {}), ((1, 3, 1, 2), (1,), {}), ((1, 3, 1, 2), ((0, 2),), {}),
        ((), (), {}), ((), (0,), {}), ((1, 0), (), {}), (_n((1, 3)), (0,), {}),
    ]), dtypes=ALL),
    OpInfo("unsqueeze", lambda x, d: x.unsqueeze(d), np.expand_dims, _samples([
        ((2, 3), (0,), {}), ((2, 3), (-1,), {}), ((2, 3), (1,), {}), ((), (0,), {}), ((0,), (1,), {}),
        (_vv, (1,), {}),
    ]), dtypes=ALL),
    OpInfo("diagonal", lambda x, *a: x.diagonal(*a), lambda x, *a: np.diagonal(x, *a), _samples([
        ((4, 4), (), {}), ((3, 5), (2,), {}), ((5, 3), (-1,), {}), ((2, 3, 4), (1, 0, 2), {}),
        ((3, 3), (5,), {}), (_vv, (0,), {}), ((2, 3, 4), (0, -1, 1), {}),
    ]), dtypes=ALL),
    # ---- composites ----
    OpInfo("reshape", lambda x, *s: x.reshape(*s), lambda x, *s: np.reshape(x, s[0] if len(s) == 1 else s),
           _samples([((2, 3, 4), (6, 4), {}), (_n((3, 4)), (-1,), {}), ((), (1,), {}), ((0, 3), (3, 0), {}),
                     (_vv, (2, 6), {})]),
           dtypes=ALL, covers=("__composite__", "view")),
    OpInfo("transpose", lambda x, a, b: x.transpose(a, b),
           lambda x, a, b: x if x.ndim == 0 else np.swapaxes(x, a, b), _samples([
        ((2, 3, 4), (0, 2), {}), ((2, 3), (-1, -2), {}), ((), (0, -1), {}), (_vv, (0, 1), {}),
    ]), dtypes=ALL, covers=("__composite__", "permute")),
    OpInfo("t", lambda x: x.t(), lambda x: x.T, _samples([((3, 5), (), {}), ((4,), (), {}), ((), (), {}),
                                                          (_vv, (), {})]),
           dtypes=ALL, covers=("__composite__", "permute")),
    OpInfo("mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2),
           _samples([((2, 3, 5), (), {}), (_n((3, 2)), (), {})]), dtypes=ALL, covers=("__composite__",)),
    OpInfo("flatten", lambda x, *a: x.flatten(*a), _ref_flatten, _samples([
        ((2, 3, 4), (), {}), ((2, 3, 4), (1, 2), {}), (_n((2, 3, 4)), (0, 1), {}), ((), (), {}),
        ((2, 0, 3), (), {}),
    ]), dtypes=ALL, covers=("__composite__",)),
    OpInfo("unflatten", lambda x, d, s: x.unflatten(d, s), _ref_unflatten, _samples([
        ((2, 12), (1, (3, -1)), {}), (_n((6, 4)), (0, (2, 3)), {}), ((0, 6), (1, (2, 3)), {}),
    ]), dtypes=ALL, covers=("__composite__",)),
    OpInfo("narrow", lambda x, *a: x.narrow(*a),
           lambda x, d, s, n: _ref_slice(x, d, s % x.shape[d], s % x.shape[d] + n),
           _samples([((5, 4), (0, 1, 3), {}), ((5, 4), (-1, -3, 2), {}), (_vv, (1, 0, 2), {}),
                     ((5, 4), (0, 2, 0), {})]),
           dtypes=ALL, covers=("__composite__", "slice")),
    OpInfo("movedim", lambda x, s, d: x.movedim(s, d), _ref_movedim, _samples([
        ((2, 3, 4), (0, -1), {}), ((2, 3, 4, 5), ((0, 1), (3, 0)), {}), (_vv, (0, 1), {}),
    ]), dtypes=ALL, covers=("__composite__",)),
    OpInfo("split", lambda x, s, d=0: x.split(s, d), _ref_split, _samples([
        ((7, 2), (3,), {}), ((7, 2), ([1, 4, 2],), {}), (_n((2, 5)), (2, -1), {}), ((0, 3), (2,), {}),
    ]), dtypes=ALL, covers=("__composite__",)),
    OpInfo("chunk", lambda x, c, d=0: x.chunk(c, d), _ref_chunk, _samples([
        ((7, 2), (3,), {}), ((2, 6), (4, 1), {}), (_vv, (2,), {}),
    ]), dtypes=ALL, covers=("__composite__",)),
    OpInfo("unbind", lambda x, d=0: x.unbind(d), lambda x, d=0: tuple(np.moveaxis(x, d, 0)), _samples([
        ((3, 2), (), {}), ((3, 2), (1,), {}), (_vv, (0,), {}), ((2, 0), (0,), {}),
    ]), dtypes=ALL, covers=("__composite__", "select")),
    OpInfo("broadcast_to", lambda x, s: x.broadcast_to(s), _ref_expand, _samples([
        ((3, 1), ((2, 3, 4),), {}), ((), ((2,),), {}),
    ]), dtypes=ALL, covers=("__composite__", "expand")),
    OpInfo("contiguous", lambda x: x.contiguous(), lambda x: x, _samples([
        ((2, 3), (), {}), (_vv, (), {}), ((), (), {}), ((0, 2), (), {}),
    ]), dtypes=ALL, covers=("__composite__",)),
]
