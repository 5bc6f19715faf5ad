"""Op-table entries of the reduction family: sum/nansum/mean/prod, amax/amin, max/min,
argmax/argmin, all/any, count_nonzero, logsumexp, var/std, norm, cumsum/cumprod, isclose."""
import math
import warnings

import numpy as np

import tritorch as tt
from .core import OpInfo, Sample, make, FLOATS, INTS, ALL

NUMERIC = FLOATS + INTS


def nc(shape, dtype, device, **kw):
    """A non-contiguous tensor of ``shape`` (a transposed contiguous one), ndim >= 2."""
    s = (shape[-1],) + tuple(shape[1:-1]) + (shape[0],)
    t = make(s, dtype, device, **kw).transpose(0, len(shape) - 1)
    assert not t.is_contiguous()
    return t


def axis(x, dim):
    """tritorch ``dim`` -> numpy ``axis`` (None for all dims, or for a 0-d input)."""
    if dim is None or x.ndim == 0 or (isinstance(dim, (tuple, list)) and not dim):
        return None
    dims = (dim,) if isinstance(dim, int) else dim
    return tuple(d % x.ndim for d in dims)


def reduce_samples(dtype, device, empty_full=True, empty_dim=True, **kw):
    """Shapes and dims every reduction supports: full, int/negative/tuple dims, keepdim both ways,
    non-contiguous, 0-d; empty inputs (reducing a size-0 dim only when ``empty_dim``)."""
    s = [Sample((make((3, 4), dtype, device, **kw),), {}, "full"),
         Sample((make((3, 4), dtype, device, **kw),), {"dim": 1}, "dim1"),
         Sample((make((3, 4), dtype, device, **kw),), {"dim": -1, "keepdim": True}, "dim-1-keep"),
         Sample((make((2, 3, 4), dtype, device, **kw),), {"dim": (0, 2)}, "tuple"),
         Sample((make((2, 3, 4), dtype, device, **kw),), {"dim": [-1, 0], "keepdim": True}, "tuple-keep"),
         Sample((make((2, 3, 4), dtype, device, **kw),), {"dim": None, "keepdim": True}, "none-keep"),
         Sample((nc((4, 3, 2), dtype, device, **kw),), {"dim": 1}, "noncontig"),
         Sample((nc((4, 5), dtype, device, **kw),), {}, "noncontig-full"),
         Sample((make((), dtype, device, **kw),), {}, "0d"),
         Sample((make((), dtype, device, **kw),), {"dim": 0, "keepdim": True}, "0d-dim"),
         Sample((make((0, 3), dtype, device, **kw),), {"dim": 1}, "empty-other-dim")]
    if empty_dim:
        s.append(Sample((make((0, 3), dtype, device, **kw),), {"dim": 0}, "empty-dim"))
    if empty_full:
        s.append(Sample((make((2, 0), dtype, device, **kw),), {}, "empty-full"))
    return s


def nref(fn):
    """numpy reference ``fn(x, axis, keepdims)`` called with tritorch's dim/keepdim keywords."""
    def ref(x, dim=None, keepdim=False, **kw):
        with np.errstate(all="ignore"):
            return fn(x, axis=axis(x, dim), keepdims=keepdim)
    return ref


def _nan_samples(dtype, device):
    s = reduce_samples(dtype, device)
    if dtype.is_floating_point:
        a = np.array([[1.0, np.nan, 2.0], [np.nan, -3.0, np.nan]])
        s += [Sample((tt.tensor(a, dtype=dtype, device=device),), {"dim": 1}, "nan"),
              Sample((tt.tensor(a, dtype=dtype, device=device),), {}, "nan-full")]
    return s


def _sum_samples(dtype, device):
    s = reduce_samples(dtype, device)
    s.append(Sample((make((3, 4), dtype, device),), {"dim": 0, "dtype": tt.float64}, "dtype"))
    return s


def _prod_samples(dtype, device):
    s = reduce_samples(dtype, device, low=-2.0, high=2.0)
    if dtype.is_floating_point:
        one = tt.tensor([[1.5, 0.0, -2.0, 0.5], [0.0, 3.0, 0.0, 1.0], [1.2, -0.7, 0.9, 2.0]],
                        dtype=dtype, device=device)
        s += [Sample((one,), {"dim": 1}, "zeros"), Sample((one,), {"dim": (0, 1)}, "zeros-full"),
              Sample((one.t(),), {"dim": 0, "keepdim": True}, "zeros-t")]
    return s


def _logsumexp_samples(dtype, device):
    s = [x for x in reduce_samples(dtype, device) if "dim" in x.kwargs]
    if dtype.is_floating_point:
        big = tt.tensor([[1000.0, 1000.0, -5.0], [-1e4, 0.5, -1.0]], dtype=dtype, device=device)
        s.append(Sample((big,), {"dim": 1}, "stable"))
    return s


def _logsumexp_ref(x, dim, keepdim=False):
    ax = axis(x, dim)
    x = x.astype(np.float64)
    out_shape = np.sum(x, axis=ax, keepdims=keepdim).shape
    with np.errstate(all="ignore"):
        if x.size == 0:
            return np.full(out_shape, -np.inf)
        m = np.amax(x, axis=ax, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        return (np.log(np.sum(np.exp(x - m), axis=ax, keepdims=True)) + m).reshape(out_shape)


def _dim_samples(dtype, device):
    """One int dim (max/min/argmax with dim, cumsum ...)."""
    return [Sample((make((3, 4), dtype, device),), {"dim": 1}, "dim1"),
            Sample((make((3, 4), dtype, device),), {"dim": -2, "keepdim": True}, "dim-2-keep"),
            Sample((make((2, 3, 4), dtype, device),), {"dim": 1}, "3d"),
            Sample((nc((4, 3, 2), dtype, device),), {"dim": 0}, "noncontig"),
            Sample((make((), dtype, device),), {"dim": 0}, "0d"),
            Sample((make((), dtype, device),), {"dim": -1, "keepdim": True}, "0d-keep"),
            Sample((make((0, 3), dtype, device),), {"dim": 1}, "empty-other-dim")]


def _max_dim_ref(npfn, argfn):
    def ref(x, dim, keepdim=False):
        if x.ndim == 0:
            return x.copy(), np.array(0)
        idx = argfn(x, axis=dim, keepdims=True)
        v = np.take_along_axis(x, idx, axis=dim)
        if not keepdim:
            v, idx = np.squeeze(v, dim), np.squeeze(idx, dim)
        return v, idx
    return ref


def _arg_samples(dtype, device):
    return [Sample((make((3, 4), dtype, device),), {}, "flat"),
            Sample((make((3, 4), dtype, device),), {"keepdim": True}, "flat-keep"),
            Sample((nc((4, 3), dtype, device),), {}, "flat-noncontig")] + _dim_samples(dtype, device)


def _arg_ref(fn):
    def ref(x, dim=None, keepdim=False):
        if dim is None or x.ndim == 0:
            r = np.array(fn(x.reshape(-1)))
            return r.reshape((1,) * x.ndim) if keepdim else r
        return fn(x, axis=dim, keepdims=keepdim)
    return ref


def _var_samples(dtype, device):
    # A 0-d (one-element) variance is nan unless correction=0: keep that variant only.
    s = [x for x in reduce_samples(dtype, device) if not x.name.startswith("0d")]
    s.append(Sample((make((), dtype, device),), {"correction": 0}, "0d"))
    x = make((3, 5), dtype, device)
    s += [Sample((x,), {"dim": 1, "correction": 0}, "corr0"),
          Sample((x,), {"dim": 0, "correction": 2, "keepdim": True}, "corr2"),
          Sample((x,), {"dim": (0, 1), "unbiased": False}, "unbiased-false"),
          Sample((nc((3, 4), dtype, device),), {"dim": 0, "correction": 0.5}, "corr-frac")]
    return s


def _var_ref(fn):
    def ref(x, dim=None, keepdim=False, correction=None, unbiased=None):
        c = correction if correction is not None else (0 if unbiased is False else 1)
        ax = axis(x, dim)
        n = x.size if ax is None else int(np.prod([x.shape[a] for a in ax]))
        with np.errstate(all="ignore"):
            m = np.mean(x, axis=ax, keepdims=True) if n else np.float64(np.nan)
            v = np.sum((x - m) ** 2, axis=ax, keepdims=keepdim) / max(n - c, 0)
            return fn(v)
    return ref


def _var_mean_ref(x, dim=None, keepdim=False, correction=None, unbiased=None):
    with np.errstate(all="ignore"):
        return (_var_ref(lambda v: v)(x, dim, keepdim, correction, unbiased),
                np.mean(x, axis=axis(x, dim), keepdims=keepdim))


def _std_mean_ref(x, dim=None, keepdim=False, correction=None, unbiased=None):
    v, m = _var_mean_ref(x, dim, keepdim, correction, unbiased)
    return np.sqrt(v), m


def _norm_samples(dtype, device):
    s = []
    for p in (2, 1, math.inf, -math.inf, 0, 3, 0.5, 1.5, "fro"):
        s.append(Sample((make((3, 4), dtype, device),), {"p": p}, f"p{p}"))
        s.append(Sample((make((2, 3, 4), dtype, device),), {"p": p, "dim": (0, -1), "keepdim": True}, f"p{p}-dims"))
    s += [Sample((nc((4, 3), dtype, device),), {"p": 2, "dim": 1}, "noncontig"),
          Sample((make((), dtype, device),), {"p": 1}, "0d"),
          Sample((make((0, 3), dtype, device),), {"p": 2}, "empty"),
          Sample((make((0, 3), dtype, device),), {"p": math.inf, "dim": 1}, "empty-other-dim"),
          Sample((tt.tensor([[0.0, 0.0], [3.0, -4.0]], dtype=dtype, device=device),), {"p": 2, "dim": 1}, "zero-row")]
    return s


def _norm_ref(x, p="fro", dim=None, keepdim=False, dtype=None):
    p = 2.0 if p == "fro" else p
    ax = axis(x, dim)
    a = np.abs(x.astype(np.float64))
    kw = {"axis": ax, "keepdims": keepdim}
    if p == math.inf:
        return np.amax(a, **kw)
    if p == -math.inf:
        return np.amin(a, **kw)
    if p == 0:
        return np.sum(a != 0, **kw).astype(np.float64)
    return np.sum(a ** p, **kw) ** (1.0 / p)


def _scan_samples(dtype, device):
    s = [x for x in _dim_samples(dtype, device) if "keepdim" not in x.kwargs]
    s += [Sample((make((0, 3), dtype, device),), {"dim": 0}, "empty-dim"),
          Sample((make((3, 4), dtype, device),), {"dim": 0, "dtype": tt.float64}, "dtype")]
    return s


def _cumprod_samples(dtype, device):
    s = _scan_samples(dtype, device)
    if dtype.is_floating_point:
        z = tt.tensor([[1.5, 0.0, -2.0, 0.5, 1.1], [0.7, 3.0, 0.0, 1.3, 0.0], [1.2, -0.7, 0.9, 2.0, 0.0]],
                      dtype=dtype, device=device)
        s += [Sample((z,), {"dim": 1}, "zeros"), Sample((z.t(),), {"dim": 0}, "zeros-t")]
    return s


def _scan_ref(fn):
    def ref(x, dim, dtype=None):
        if x.ndim == 0:
            return x.copy()
        return fn(x, axis=dim, dtype=np.float64 if x.dtype.kind == "f" else np.int64)
    return ref


def _isclose_samples(dtype, device):
    a = make((3, 4), dtype, device)
    b = make((3, 4), dtype, device)
    s = [Sample((a, a), {}, "same"), Sample((a, b), {}, "random"),
         Sample((a, b), {"rtol": 0.5, "atol": 1.0}, "loose"),
         Sample((a, make((4,), dtype, device)), {}, "broadcast"),
         Sample((nc((4, 3), dtype, device), make((3,), dtype, device)), {"atol": 2}, "noncontig"),
         Sample((make((), dtype, device), make((2, 2), dtype, device)), {"atol": 1}, "0d"),
         Sample((make((0, 3), dtype, device), make((3,), dtype, device)), {}, "empty")]
    if dtype.is_floating_point:
        v = tt.tensor([1.0, math.nan, math.inf, -math.inf, 1.0, 2.0], dtype=dtype, device=device)
        w = tt.tensor([1.0, math.nan, math.inf, math.inf, 1.0 + 1e-6, 2.1], dtype=dtype, device=device)
        s += [Sample((v, w), {}, "special"), Sample((v, w), {"equal_nan": True}, "equal_nan")]
    return s


def _isclose_ref(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    if a.dtype == np.bool_:
        return a == b
    return np.isclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol, equal_nan=equal_nan)


def _bool_compare(out, expected, dtype):
    assert out is expected or out == expected, (out, expected)


def _allclose_samples(dtype, device):
    a = make((3, 4), dtype, device)
    return [Sample((a, a), {}, "same"), Sample((a, a + 1), {}, "off"), Sample((a, a + 1), {"atol": 1.5}, "loose")]


def _equal_samples(dtype, device):
    a = make((3, 4), dtype, device)
    return [Sample((a, a.clone()), {}, "same"), Sample((a, make((3, 4), dtype, device)), {}, "diff"),
            Sample((a, make((4, 3), dtype, device)), {}, "shape"), Sample((nc((3, 4), dtype, device), a), {}, "nc")]


def _nanmean_ref(x, dim=None, keepdim=False):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # all-NaN slices: numpy warns, the answer is nan
        return np.nanmean(x, axis=axis(x, dim), keepdims=keepdim)


def _aminmax_samples(dtype, device):
    return [Sample((make((3, 4), dtype, device),), {}, "full"),
            Sample((make((3, 4), dtype, device),), {"dim": 1, "keepdim": True}, "dim"),
            Sample((nc((4, 3), dtype, device),), {"dim": 0}, "noncontig")]


OPS = [
    OpInfo("sum", tt.sum, nref(np.sum), _sum_samples, dtypes=ALL),
    OpInfo("nansum", tt.nansum, nref(np.nansum), _nan_samples, dtypes=ALL),
    OpInfo("mean", tt.mean, nref(np.mean), reduce_samples, dtypes=FLOATS),
    OpInfo("nanmean", tt.nanmean, _nanmean_ref, _nan_samples, covers=("__composite__", "nansum", "sum")),
    OpInfo("prod", tt.prod, nref(np.prod), _prod_samples, dtypes=ALL),
    OpInfo("amax", tt.amax, nref(np.amax), lambda d, dev: reduce_samples(d, dev, False, False), dtypes=ALL),
    OpInfo("amin", tt.amin, nref(np.amin), lambda d, dev: reduce_samples(d, dev, False, False), dtypes=ALL),
    OpInfo("max_full", lambda x: tt.max(x), lambda x: np.amax(x),
           lambda d, dev: [Sample((make((3, 4), d, dev),)), Sample((nc((4, 3), d, dev),)),
                           Sample((make((), d, dev),))], dtypes=ALL, covers=("amax",)),
    OpInfo("min_full", lambda x: x.min(), lambda x: np.amin(x),
           lambda d, dev: [Sample((make((3, 4), d, dev),)), Sample((make((), d, dev),))], dtypes=ALL,
           covers=("amin",)),
    OpInfo("max_dim", tt.max, _max_dim_ref(np.amax, np.argmax), _dim_samples, dtypes=ALL),
    OpInfo("min_dim", tt.min, _max_dim_ref(np.amin, np.argmin), _dim_samples, dtypes=ALL),
    # bool inputs are PyTorch's RuntimeError (tests/test_edge_arguments.py)
    OpInfo("argmax", tt.argmax, _arg_ref(np.argmax), _arg_samples, dtypes=NUMERIC, grad=False),
    OpInfo("argmin", tt.argmin, _arg_ref(np.argmin), _arg_samples, dtypes=NUMERIC, grad=False),
    OpInfo("aminmax", tt.aminmax, lambda x, dim=None, keepdim=False: (
        np.amin(x, axis=axis(x, dim), keepdims=keepdim), np.amax(x, axis=axis(x, dim), keepdims=keepdim)),
        _aminmax_samples, dtypes=ALL, covers=("__composite__", "amin", "amax")),
    OpInfo("all", tt.all, nref(np.all), reduce_samples, dtypes=ALL, grad=False),
    OpInfo("any", tt.any, nref(np.any), reduce_samples, dtypes=ALL, grad=False),
    OpInfo("count_nonzero", tt.count_nonzero,
           lambda x, dim=None: np.count_nonzero(x, axis=axis(x, dim)),
           lambda d, dev: [s for s in reduce_samples(d, dev) if not s.kwargs.get("keepdim")],
           dtypes=ALL, grad=False),
    OpInfo("logsumexp", tt.logsumexp, _logsumexp_ref, _logsumexp_samples, dtypes=NUMERIC),
    OpInfo("var", tt.var, _var_ref(lambda v: v), _var_samples),
    OpInfo("std", tt.std, _var_ref(np.sqrt), _var_samples),
    OpInfo("var_mean", tt.var_mean, _var_mean_ref, _var_samples, covers=("__composite__", "var", "mean")),
    OpInfo("std_mean", tt.std_mean, _std_mean_ref, _var_samples, covers=("__composite__", "std", "mean")),
    OpInfo("norm", tt.norm, _norm_ref, _norm_samples),
    OpInfo("cumsum", tt.cumsum, _scan_ref(np.cumsum), _scan_samples, dtypes=ALL),
    OpInfo("cumprod", tt.cumprod, _scan_ref(np.cumprod), _cumprod_samples, dtypes=ALL),
    OpInfo("isclose", tt.isclose, _isclose_ref, _isclose_samples, dtypes=ALL, grad=False),
    OpInfo("allclose", tt.allclose, lambda a, b, **kw: bool(np.all(_isclose_ref(a, b, **kw))), _allclose_samples,
           dtypes=NUMERIC, grad=False, covers=("__composite__", "isclose", "all"), compare=_bool_compare),
    OpInfo("equal", tt.equal, lambda a, b: a.shape == b.shape and bool(np.all(a == b)), _equal_samples,
           dtypes=ALL, grad=False, covers=("__composite__", "eq", "all"), compare=_bool_compare),
]
