"""Op-table entries of the creation family: `fill` (full/zeros/ones/*_like/new_*), `arange`,
`linspace` (and `logspace`), `eye`.  References are numpy in float64 (values are then
compared at the output dtype's tolerance)."""
import numpy as np

import tritorch as tt
from tests.opinfo.core import OpInfo, Sample, make, FLOATS, INTS, ALL


def _np(dtype):
    return np.float64 if dtype.is_floating_point else dtype.np


def _fill_samples(dtype, device):
    v = True if dtype is tt.bool else (2 if not dtype.is_floating_point else 2.5)
    return [Sample(((2, 3), v), {"dtype": dtype, "device": device}, name="2-d"),
            Sample(((), v), {"dtype": dtype, "device": device}, name="0-d"),
            Sample(((0, 4), v), {"dtype": dtype, "device": device}, name="empty"),
            Sample(((4,), 0), {"dtype": dtype, "device": device}, name="zero")]


def _full_ref(size, value, dtype, device):
    return np.full(size, value, dtype=_np(dtype))


def _like_samples(dtype, device):
    x = make((4, 3), dtype, device).t()
    return [Sample((x,), {"kind": k}, name=k) for k in ("zeros_like", "ones_like", "full_like", "new_zeros",
                                                         "new_ones", "new_full")]


def _like_fn(x, kind):
    if kind == "full_like":
        return tt.full_like(x, 1)
    if kind == "new_full":
        return x.new_full((2, 2), 1)
    if kind.startswith("new_"):
        return getattr(x, kind)(2, 2)
    return getattr(tt, kind)(x)


def _like_ref(x, kind):
    shape = (2, 2) if kind.startswith("new_") else x.shape
    return np.zeros(shape, x.dtype) if "zeros" in kind else np.ones(shape, x.dtype)


def _arange_samples(dtype, device):
    kw = {"dtype": dtype, "device": device}
    out = [Sample((5,), kw, name="end only"), Sample((2, 9, 3), kw, name="start, end, step"),
           Sample((9, -2, -3), kw, name="negative step"), Sample((3, 3), kw, name="empty")]
    if dtype.is_floating_point:
        out += [Sample((0.0, 1.0, 0.1), kw, name="float step"), Sample((-1.5, 2.0, 0.25), kw, name="exact step"),
                Sample((1.0, -1.0, -0.3), kw, name="negative float step")]
    return out


def _arange_ref(*args, dtype, device):
    start, end, step = (0, args[0], 1) if len(args) == 1 else (args + (1,))[:3]
    n = max(int(np.ceil((end - start) / step)), 0)
    return (start + step * np.arange(n, dtype=np.float64)).astype(_np(dtype))


def _linspace_samples(dtype, device):
    kw = {"dtype": dtype, "device": device}
    return [Sample((0, 10, 5), kw, name="ints"), Sample((-2.0, 3.0, 11), kw, name="floats"),
            Sample((5, -5, 7), kw, name="decreasing"), Sample((1.0, 2.0, 1), kw, name="one step"),
            Sample((0.0, 1.0, 0), kw, name="no steps")]


def _linspace_ref(start, end, steps, dtype, device):
    return np.linspace(start, end, steps).astype(_np(dtype))


def _logspace_ref(start, end, steps, dtype, device):
    return np.logspace(start, end, steps).astype(_np(dtype))


def _eye_samples(dtype, device):
    kw = {"dtype": dtype, "device": device}
    return [Sample((3,), kw, name="square"), Sample((2, 4), kw, name="wide"), Sample((4, 2), kw, name="tall"),
            Sample((0,), kw, name="empty")]


def _eye_ref(n, m=None, dtype=None, device=None):
    return np.eye(n, m).astype(_np(dtype))


OPS = [
    OpInfo("full", tt.full, _full_ref, _fill_samples, dtypes=ALL, grad=False, covers=("fill",)),
    OpInfo("zeros", lambda size, v, **kw: tt.zeros(size, **kw), lambda size, v, **kw: np.zeros(size),
           _fill_samples, dtypes=ALL, grad=False, covers=("fill",)),
    # varargs sizes, except for 0-d: ``ones()`` with no size is PyTorch's TypeError
    OpInfo("ones", lambda size, v, **kw: tt.ones(*size, **kw) if size else tt.ones(size, **kw), lambda size, v, **kw: np.ones(size),
           _fill_samples, dtypes=ALL, grad=False, covers=("fill",)),
    OpInfo("like_and_new", _like_fn, _like_ref, _like_samples, dtypes=ALL, grad=False, covers=("fill",)),
    OpInfo("arange", tt.arange, _arange_ref, _arange_samples, dtypes=FLOATS + INTS, grad=False),
    OpInfo("linspace", tt.linspace, _linspace_ref, _linspace_samples, dtypes=(tt.float32, tt.float64, tt.float16,
                                                                               tt.int64, tt.int32), grad=False),
    OpInfo("logspace", tt.logspace, _logspace_ref, _linspace_samples, dtypes=(tt.float32, tt.float64), grad=False,
           covers=("__composite__", "linspace", "pow", "to_copy")),
    OpInfo("eye", tt.eye, _eye_ref, _eye_samples, dtypes=ALL, grad=False),
]
