"""Op table: indexing (getitem / setitem / index_put / nonzero) and the gather-scatter family.

numpy references use numpy indexing, which agrees with PyTorch on every key used here
(no Python int mixed with index arrays across a slice: see tests/test_indexing.py for those).
"""
import numpy as np

import tritorch as tt
from tests.opinfo.core import OpInfo, Sample, make, ALL, FLOATS, INTS

NUMERIC = FLOATS + INTS


def _i(a, device):
    return tt.tensor(np.asarray(a, dtype=np.int64), device=device)


def _b(a, device):
    return tt.tensor(np.asarray(a, dtype=bool), device=device)


def _val(dtype):
    return True if dtype is tt.bool else 2


# ---- getitem -----------------------------------------------------------------------------------------
def _basic_samples(dt, dev):
    return [
        Sample((make((3, 4, 5), dt, dev), (1, slice(None, None, 2))), name="int+step"),
        Sample((make((3, 4, 5), dt, dev), (Ellipsis, None, slice(-3, None))), name="ellipsis+none"),
        Sample((make((4, 6), dt, dev, noncontig=True), (slice(1, None), None, -1)), name="noncontig"),
        Sample((make((), dt, dev), (None, Ellipsis)), name="0-d"),
        Sample((make((0, 3), dt, dev), (slice(None), 1)), name="empty"),
        Sample((make((5,), dt, dev), slice(7, 2)), name="empty-slice"),
    ]


def _adv_samples(dt, dev):
    mask = np.array([[True, False, True, True], [False, False, True, False], [True, True, True, False]])
    return [
        Sample((make((3, 4, 5), dt, dev), (_i([2, 0, 2, -1], dev),)), name="int-tensor+dup+neg"),
        Sample((make((3, 4, 5), dt, dev), (_i([[0], [2]], dev), slice(1, 3), _i([1, 4, 0], dev))),
               name="separated-broadcast"),
        Sample((make((3, 4, 5), dt, dev), (slice(None), _i([3, 0], dev), _i([[1], [4]], dev))), name="adjacent"),
        Sample((make((3, 4, 5), dt, dev), (_b(mask, dev),)), name="mask-2d"),
        Sample((make((3, 4), dt, dev, noncontig=True), (Ellipsis, _b([True, False, False, True], dev))),
               name="noncontig-mask"),
        Sample((make((3, 4), dt, dev), (_i(np.zeros((0,)), dev),)), name="empty-index"),
        Sample((make((0, 4), dt, dev), (slice(None), _i([1, 3], dev))), name="empty-input"),
        Sample((make((), dt, dev), (_b(True, dev),)), name="0-d-mask"),
    ]


def _setitem(x, key, v):
    y = x.clone()
    y[key] = v
    return y


def _setitem_ref(x, key, v):
    y = x.copy()
    y[key] = v
    return y


def _setitem_samples(dt, dev):
    return [
        Sample((make((3, 4), dt, dev), (slice(None), 1), make((3,), dt, dev)), name="basic"),
        Sample((make((3, 4), dt, dev, noncontig=True), (slice(1, None),), make((4,), dt, dev)), name="broadcast-row"),
        Sample((make((3, 4, 2), dt, dev), (_i([2, 0], dev), slice(None), 1), make((2, 1), dt, dev)),
               name="advanced-broadcast"),
        Sample((make((3, 4), dt, dev), (_b([[True, False, True, False]] * 3, dev),), make((), dt, dev)),
               name="mask-0d-value"),
        Sample((make((), dt, dev), (Ellipsis,), make((), dt, dev)), name="0-d"),
    ]


def _index_put(x, idx, v, accumulate=False):
    return tt.index_put(x, idx, v, accumulate=accumulate)


def _index_put_ref(x, idx, v, accumulate=False):
    y = x.copy()
    if accumulate:
        np.add.at(y, idx, v)
    else:
        y[idx] = v
    return y


def _index_put_samples(dt, dev):
    s = [Sample((make((4, 3), dt, dev), (_i([0, 3], dev), _i([2, 0], dev)), make((2,), dt, dev)), name="pairs"),
         Sample((make((4, 3), dt, dev, noncontig=True), (_i([1, 2], dev),), make((3,), dt, dev)), name="rows"),
         Sample((make((4, 3), dt, dev), (_b([True, False, True, False], dev),), make((2, 3), dt, dev)), name="mask"),
         Sample((make((0, 3), dt, dev), (_i(np.zeros(0), dev),), make((3,), dt, dev)), name="empty")]
    if dt is not tt.bool:
        s.append(Sample((make((4, 3), dt, dev), (_i([1, 1, 3], dev),), make((3, 3), dt, dev)), {"accumulate": True},
                        name="accumulate-dup"))
    return s


# ---- gather / scatter ------------------------------------------------------------------------------------
def _gather_ref(x, dim, index):
    if x.ndim == 0:
        return x.copy()
    xs = x[tuple(slice(None) if d == dim % x.ndim else slice(0, s) for d, s in enumerate(index.shape))]
    return np.take_along_axis(xs, index, axis=dim)


def _gather_samples(dt, dev):
    return [Sample((make((3, 5), dt, dev), 1, _i([[0, 4, 4], [1, 0, 2]], dev)), name="small-index"),
            Sample((make((3, 5), dt, dev, noncontig=True), -2, _i([[2, 0, 1, 1, 0]], dev)), name="noncontig"),
            Sample((make((2, 3, 4), dt, dev), 2, _i(np.zeros((2, 3, 0)), dev)), name="empty"),
            Sample((make((), dt, dev), 0, _i(0, dev)), name="0-d")]


def _coords(index, dim):
    return tuple(index if d == dim else np.arange(s).reshape((s,) + (1,) * (index.ndim - 1 - d))
                 for d, s in enumerate(index.shape))


def _scatter_ref(x, dim, index, src, reduce=None):
    y = x.copy()
    dim = dim % max(x.ndim, 1)
    key = _coords(index, dim)
    vals = src[tuple(slice(0, s) for s in index.shape)] if isinstance(src, np.ndarray) else src
    if reduce is None:
        y[key] = vals
    else:
        (np.add if reduce == "add" else np.multiply).at(y, key, vals)
    return y


def _scatter_samples(dt, dev):
    return [Sample((make((3, 5), dt, dev), 1, _i([[0, 4], [3, 1], [2, 0]], dev), make((3, 3), dt, dev)),
                   name="src-larger"),
            Sample((make((3, 5), dt, dev, noncontig=True), 0, _i([[2, 0, 1, 0, 1]], dev), make((1, 5), dt, dev)),
                   name="noncontig"),
            Sample((make((3, 5), dt, dev), -1, _i([[1], [0], [4]], dev), _val(dt)), name="scalar"),
            Sample((make((), dt, dev), 0, _i(0, dev), make((), dt, dev)), name="0-d"),
            Sample((make((2, 3), dt, dev), 1, _i(np.zeros((2, 0)), dev), make((2, 0), dt, dev)), name="empty")]


def _scatter_reduce_samples(dt, dev):
    return [Sample((make((3, 4), dt, dev, low=1, high=3), 0, _i([[0, 0, 2, 1], [0, 1, 2, 1]], dev),
                    make((2, 4), dt, dev, low=1, high=3)), {"reduce": r}, name=r) for r in ("add", "multiply")]


def _scatter_add_ref(x, dim, index, src):
    return _scatter_ref(x, dim, index, src, "add")


def _scatter_add_samples(dt, dev):
    return [Sample((make((3, 5), dt, dev), 1, _i([[0, 0, 4], [3, 3, 3], [2, 0, 1]], dev), make((3, 4), dt, dev)),
                   name="dup"),
            Sample((make((3, 5), dt, dev, noncontig=True), 0, _i([[2, 0, 2, 0, 1]], dev),
                    make((2, 5), dt, dev, noncontig=True)), name="noncontig"),
            Sample((make((), dt, dev), 0, _i(0, dev), make((), dt, dev)), name="0-d")]


def _index_select_ref(x, dim, index):
    return x.copy() if x.ndim == 0 else np.take(x, index.reshape(-1), axis=dim)


def _index_select_samples(dt, dev):
    return [Sample((make((3, 4, 2), dt, dev), 1, _i([3, 0, 3], dev)), name="dup"),
            Sample((make((3, 4), dt, dev, noncontig=True), -1, _i([1], dev).int()), name="int32+noncontig"),
            Sample((make((3, 4), dt, dev), 0, _i(np.zeros(0), dev)), name="empty-index"),
            Sample((make((5,), dt, dev), 0, _i(2, dev)), name="0-d-index"),
            Sample((make((), dt, dev), 0, _i([0], dev)), name="0-d")]


def _index_add_ref(x, dim, index, source, alpha=1):
    y = x.copy()
    if y.ndim == 0:
        return y + alpha * source.reshape(())
    np.add.at(np.moveaxis(y, dim, 0), index, np.moveaxis(source * alpha, dim, 0))
    return y


def _index_add_samples(dt, dev):
    a = {} if not dt.is_floating_point else {"alpha": 0.5}
    return [Sample((make((4, 3), dt, dev), 0, _i([3, 0, 3], dev), make((3, 3), dt, dev)), a, name="dup"),
            Sample((make((4, 3), dt, dev, noncontig=True), 1, _i([2], dev), make((4, 1), dt, dev)), name="noncontig"),
            Sample((make((4, 3), dt, dev), 1, _i(np.zeros(0), dev), make((4, 0), dt, dev)), name="empty")]


def _index_fill_ref(x, dim, index, value):
    y = x.copy()
    np.moveaxis(y, dim, 0)[index] = value
    return y


def _index_fill_samples(dt, dev):
    return [Sample((make((4, 3), dt, dev), 0, _i([3, 0, -1], dev), _val(dt)), name="scalar"),
            Sample((make((4, 3), dt, dev, noncontig=True), 1, _i([2], dev), make((), dt, dev)), name="0-d-value"),
            Sample((make((4, 3), dt, dev), 1, _i(np.zeros(0), dev), _val(dt)), name="empty")]


def _masked_fill_ref(x, mask, value):
    xb, mb = np.broadcast_arrays(x, mask)
    return np.where(mb, value, xb)


def _masked_fill_samples(dt, dev):
    return [Sample((make((3, 4), dt, dev), make((3, 4), tt.bool, dev), _val(dt)), name="same-shape"),
            Sample((make((3, 4), dt, dev, noncontig=True), make((4,), tt.bool, dev), make((), dt, dev)),
                   name="broadcast-mask+0-d-value"),
            Sample((make((4,), dt, dev), make((2, 4), tt.bool, dev), _val(dt)), name="broadcast-input"),
            Sample((make((), dt, dev), make((), tt.bool, dev), _val(dt)), name="0-d"),
            Sample((make((0, 4), dt, dev), make((0, 4), tt.bool, dev), _val(dt)), name="empty")]


def _masked_select_ref(x, mask):
    xb, mb = np.broadcast_arrays(x, mask)
    return xb[mb]


def _masked_select_samples(dt, dev):
    return [Sample((make((3, 4), dt, dev), make((3, 4), tt.bool, dev)), name="same-shape"),
            Sample((make((3, 4), dt, dev, noncontig=True), make((4,), tt.bool, dev)), name="broadcast"),
            Sample((make((), dt, dev), make((2,), tt.bool, dev)), name="0-d-input"),
            Sample((make((0, 4), dt, dev), make((0, 4), tt.bool, dev)), name="empty")]


def _nonzero_samples(dt, dev):
    z = make((3, 4), dt, dev, low=-1, high=2)
    return [Sample((z,), name="2d"), Sample((make((2, 3, 2), dt, dev, low=-1, high=2, noncontig=True),), name="nc"),
            Sample((make((), dt, dev),), name="0-d"), Sample((make((0, 3), dt, dev),), name="empty")]


def _take_along_dim_ref(x, idx, dim=None):
    if dim is None:
        return np.take_along_axis(x.reshape(-1), idx.reshape(-1), 0)
    return np.take_along_axis(x, idx, dim)


def _take_along_dim_samples(dt, dev):
    return [Sample((make((3, 4), dt, dev), _i([[0], [3], [1]], dev), 1), name="dim"),
            Sample((make((3, 4), dt, dev, noncontig=True), _i([[2, 0]], dev), -1), name="broadcast"),
            Sample((make((3, 4), dt, dev), _i([11, 0, 5], dev)), name="flat")]


def _take_samples(dt, dev):
    return [Sample((make((3, 4), dt, dev), _i([[11, 0], [-1, 5]], dev)), name="2d-index"),
            Sample((make((3, 4), dt, dev, noncontig=True), _i(3, dev)), name="0-d-index"),
            Sample((make((3, 4), dt, dev), _i(np.zeros(0), dev)), name="empty")]


OPS = [
    OpInfo("getitem_basic", lambda x, key: x[key], lambda x, key: x[key], _basic_samples, ALL,
           covers=("basic_index",)),
    OpInfo("getitem_advanced", lambda x, key: x[key], lambda x, key: x[key], _adv_samples, ALL,
           covers=("index", "nonzero")),
    OpInfo("setitem", _setitem, _setitem_ref, _setitem_samples, ALL, covers=("__composite__", "index_put")),
    OpInfo("index_put", _index_put, _index_put_ref, _index_put_samples, ALL),
    OpInfo("nonzero", lambda x: tt.nonzero(x), lambda x: np.argwhere(x), _nonzero_samples, ALL, grad=False),
    OpInfo("gather", lambda x, d, i: tt.gather(x, d, i), _gather_ref, _gather_samples, ALL),
    OpInfo("scatter", lambda x, d, i, s, **kw: tt.scatter(x, d, i, s, **kw), _scatter_ref, _scatter_samples, ALL),
    OpInfo("scatter_reduce_arg", lambda x, d, i, s, **kw: tt.scatter(x, d, i, s, **kw), _scatter_ref,
           _scatter_reduce_samples, NUMERIC, covers=("scatter",), grad=False),
    OpInfo("scatter_add", lambda x, d, i, s: tt.scatter_add(x, d, i, s), _scatter_add_ref, _scatter_add_samples,
           NUMERIC),
    OpInfo("index_select", lambda x, d, i: tt.index_select(x, d, i), _index_select_ref, _index_select_samples, ALL),
    OpInfo("index_add", lambda x, d, i, s, **kw: tt.index_add(x, d, i, s, **kw), _index_add_ref, _index_add_samples,
           NUMERIC),
    OpInfo("index_fill", lambda x, d, i, v: tt.index_fill(x, d, i, v), _index_fill_ref, _index_fill_samples, ALL),
    OpInfo("masked_fill", lambda x, m, v: tt.masked_fill(x, m, v), _masked_fill_ref, _masked_fill_samples, ALL),
    OpInfo("masked_select", lambda x, m: tt.masked_select(x, m), _masked_select_ref, _masked_select_samples, ALL),
    OpInfo("take_along_dim", lambda x, i, *d: tt.take_along_dim(x, i, *d), _take_along_dim_ref,
           _take_along_dim_samples, ALL, covers=("__composite__", "gather")),
    OpInfo("take", lambda x, i: tt.take(x, i), lambda x, i: x.reshape(-1)[i], _take_samples, ALL,
           covers=("__composite__", "index")),
]
