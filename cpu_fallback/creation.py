"""numpy impls of the creation ops: fill, arange, linspace, eye."""
import numpy as np

from .pointwise_unary import compute_dtype


def fill(out, shape, dtype, value=0):
    # Through int64 for integers so that e.g. -1 wraps into uint8 as in PyTorch.
    v = np.array(int(value) if out.dtype.kind in "iu" and not isinstance(value, bool) else value)
    out[...] = v.astype(out.dtype)


def arange(out, start, end, step, dtype):
    n = out.shape[0]
    if out.dtype.kind in "iu" and all(isinstance(v, int) for v in (start, step)):
        np.add(start, step * np.arange(n, dtype=np.int64), out=out, casting="unsafe")
    else:
        # PyTorch computes start + i * step in double, then converts.
        np.add(start, step * np.arange(n, dtype=np.float64), out=out, casting="unsafe")


def linspace(out, start, end, steps, dtype):
    if steps == 0:
        return
    if steps == 1:
        out[...] = start
        return
    ct = compute_dtype(out.dtype) if out.dtype.kind == "f" or out.dtype.kind == "V" else np.dtype(np.float64)
    ct = np.dtype(np.float32) if ct.kind not in "f" else ct
    idx = np.arange(steps, dtype=ct)
    step = (ct.type(end) - ct.type(start)) / ct.type(steps - 1)
    # PyTorch's symmetric formulation: exact at both ends.
    half = steps // 2
    r = np.where(idx < half, ct.type(start) + step * idx, ct.type(end) - step * (ct.type(steps - 1) - idx))
    np.copyto(out, r, casting="unsafe")


def eye(out, n, m, dtype):
    out.fill(0)
    k = min(n, m)
    out[np.arange(k), np.arange(k)] = 1


IMPLS = {"fill": fill, "arange": arange, "linspace": linspace, "eye": eye}
