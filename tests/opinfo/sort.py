"""Op-table entries of the sort family: sort, argsort, msort, topk, kthvalue, median and the
index helpers gather_along_dim / scatter_along_dim.

Values are compared with numpy; indices are checked by taking the input at them (ties make
the exact index implementation-defined unless ``stable=True``, which test_sort.py checks
against torch)."""
import numpy as np

import tritorch as tt
from tritorch._ops.sort_index import gather_along_dim, scatter_along_dim
from .core import OpInfo, Sample, make, ALL, FLOATS, INTS, assert_close, to_ref
from .reduction import nc


def _samples(dtype, device):
    return [Sample((make((3, 5), dtype, device),), {}, "last"),
            Sample((make((3, 5), dtype, device),), {"dim": 0, "descending": True}, "dim0-desc"),
            Sample((make((2, 3, 4), dtype, device),), {"dim": -2, "stable": True}, "3d-stable"),
            Sample((make((2, 6), dtype, device, low=-1, high=2),), {"dim": 1, "descending": True, "stable": True},
                   "ties-desc"),
            Sample((nc((4, 3), dtype, device),), {"dim": 1}, "noncontig"),
            Sample((make((), dtype, device),), {}, "0d"),
            Sample((make((0, 3), dtype, device),), {"dim": 0}, "empty-dim"),
            Sample((make((0, 3), dtype, device),), {"dim": 1}, "empty-other")]


def _check_pairs(out, expected, dtype):
    """``expected`` = (values, x, dim, keepdim): values vs numpy, and x[indices] == values."""
    values, x, dim, keepdim = expected
    assert_close(out[0], values, dtype)
    idx = to_ref(out[1])
    assert out[1].dtype is tt.int64
    if x.ndim == 0:
        assert idx.shape == () and idx == 0
        return
    if not keepdim:
        idx = np.expand_dims(idx, dim)
    picked = np.take_along_axis(x, idx, axis=dim)
    got = to_ref(out[0])
    np.testing.assert_array_equal(picked.reshape(got.shape), got)


def _check_argsort(out, expected, dtype):
    x, dim = expected[1], expected[2]
    values = tt.tensor(np.take_along_axis(x, to_ref(out), axis=dim), dtype=dtype)
    _check_pairs((values, out), expected, dtype)


def _desc(sorted_vals, dim):
    return np.flip(sorted_vals, dim)


def _sort_ref(x, dim=-1, descending=False, stable=False):
    if x.ndim == 0:
        return x.copy(), x, 0, True
    v = np.sort(x, axis=dim, kind="stable")
    return (_desc(v, dim) if descending else v), x, dim % x.ndim, True


def _topk_samples(dtype, device):
    return [Sample((make((3, 5), dtype, device), 2), {}, "k2"),
            Sample((make((3, 5), dtype, device), 3), {"dim": 0, "largest": False}, "smallest"),
            Sample((make((2, 3, 4), dtype, device), 4), {"dim": -1}, "k=n"),
            Sample((nc((4, 3), dtype, device), 1), {"dim": 0}, "noncontig"),
            Sample((make((3, 5), dtype, device), 0), {}, "k0"),
            Sample((make((), dtype, device), 1), {}, "0d"),
            Sample((make((0, 3), dtype, device), 2), {"dim": 1}, "empty-other")]


def _topk_ref(x, k, dim=-1, largest=True, sorted=True):
    if x.ndim == 0:
        return x.copy(), x, 0, True
    v = np.sort(x, axis=dim, kind="stable")
    v = _desc(v, dim) if largest else v
    return np.take(v, np.arange(k), axis=dim), x, dim % x.ndim, True


def _kth_samples(dtype, device):
    return [Sample((make((3, 5), dtype, device), 2), {}, "k2"),
            Sample((make((3, 5), dtype, device), 3), {"dim": 0, "keepdim": True}, "keep"),
            Sample((nc((4, 3), dtype, device), 4), {"dim": 0}, "noncontig"),
            Sample((make((), dtype, device), 1), {}, "0d"),
            Sample((make((0, 3), dtype, device), 1), {"dim": 1}, "empty-other")]


def _kth_ref(x, k, dim=-1, keepdim=False):
    if x.ndim == 0:
        return x.copy(), x, 0, keepdim
    v = np.take(np.sort(x, axis=dim), [k - 1], axis=dim)
    return (v if keepdim else np.squeeze(v, dim)), x, dim % x.ndim, keepdim


def _median_dim_samples(dtype, device):
    s = [Sample((make((3, 5), dtype, device), 1), {}, "odd"),
         Sample((make((3, 4), dtype, device), 1), {"keepdim": True}, "even-keep"),
         Sample((nc((4, 3), dtype, device), 0), {}, "noncontig"),
         Sample((make((), dtype, device), 0), {}, "0d"),
         Sample((make((0, 3), dtype, device), 1), {}, "empty-other")]
    return s


def _median_dim_ref(x, dim, keepdim=False):
    if x.ndim == 0:
        return x.copy(), x, 0, keepdim
    n = x.shape[dim]
    v = np.take(np.sort(x, axis=dim), [(n - 1) // 2], axis=dim)
    if x.dtype.kind == "f":
        v = np.where(np.isnan(x).any(axis=dim, keepdims=True), np.nan, v)
    return (v if keepdim else np.squeeze(v, dim)), x, dim, keepdim


def _median_samples(dtype, device):
    s = [Sample((make((3, 5), dtype, device),), {}, "odd"), Sample((make((2, 4), dtype, device),), {}, "even"),
         Sample((nc((4, 3), dtype, device),), {}, "noncontig"), Sample((make((), dtype, device),), {}, "0d")]
    if dtype.is_floating_point:
        s.append(Sample((make((0, 3), dtype, device),), {}, "empty"))
    return s


def _median_ref(x):
    if x.size == 0:
        return np.array(np.nan)
    if x.dtype.kind == "f" and np.isnan(x).any():
        return np.array(np.nan)
    return np.sort(x.reshape(-1))[(x.size - 1) // 2]


def _perm(shape, dim, device, k=None):
    idx = np.argsort(np.random.default_rng(7).random(shape), axis=dim)
    if k is not None:
        idx = np.take(idx, np.arange(k), axis=dim)
    return tt.tensor(idx, dtype=tt.int64, device=device)


def _gather_samples(dtype, device):
    return [Sample((make((3, 5), dtype, device), 1, _perm((3, 5), 1, device)), {}, "perm"),
            Sample((nc((4, 3), dtype, device), 0, _perm((4, 3), 0, device, k=2)), {}, "select"),
            Sample((make((2, 3, 4), dtype, device), -1, _perm((2, 3, 4), -1, device, k=1)), {}, "one")]


def _gather_ref(x, dim, index):
    return np.take_along_axis(x, index, axis=dim)


def _scatter_samples(dtype, device):
    return [Sample((make((3, 5), dtype, device), 1, _perm((3, 5), 1, device), (3, 5)), {}, "perm"),
            Sample((make((4, 2), dtype, device), 1, _perm((4, 3), 1, device, k=2), (4, 3)), {}, "select"),
            Sample((nc((2, 4), dtype, device), 0, _perm((3, 4), 0, device, k=2), (3, 4)), {}, "noncontig")]


def _scatter_ref(src, dim, index, shape):
    out = np.zeros(shape, dtype=src.dtype)
    np.put_along_axis(out, index, src, axis=dim)
    return out


OPS = [
    OpInfo("sort", tt.sort, _sort_ref, _samples, dtypes=ALL, compare=_check_pairs),
    OpInfo("argsort", tt.argsort, _sort_ref, lambda d, dev: [s for s in _samples(d, dev) if s.name != "0d"],
           dtypes=ALL, grad=False, covers=("__composite__", "sort"), compare=_check_argsort),
    OpInfo("msort", tt.msort, lambda x: np.sort(x, axis=0),
           lambda d, dev: [Sample((make((4, 3), d, dev),)), Sample((nc((3, 4), d, dev),))], dtypes=ALL,
           covers=("__composite__", "sort")),
    # bool inputs are PyTorch's NotImplementedError (tests/test_edge_arguments.py)
    OpInfo("topk", tt.topk, _topk_ref, _topk_samples, dtypes=FLOATS + INTS, compare=_check_pairs),
    OpInfo("kthvalue", tt.kthvalue, _kth_ref, _kth_samples, dtypes=FLOATS + INTS, compare=_check_pairs),
    OpInfo("median_dim", tt.median, _median_dim_ref, _median_dim_samples, dtypes=FLOATS + INTS, compare=_check_pairs,
           grad_args=(0,)),
    OpInfo("median", tt.median, _median_ref, _median_samples, dtypes=FLOATS + INTS),
    OpInfo("gather_along_dim", gather_along_dim, _gather_ref, _gather_samples, dtypes=ALL, grad_args=(0,)),
    OpInfo("scatter_along_dim", scatter_along_dim, _scatter_ref, _scatter_samples, dtypes=ALL, grad_args=(0,)),
]
