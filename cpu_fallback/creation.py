"""numpy impls of the creation ops: fill, arange, linspace, eye."""
import numpy as np

from ._chunks import chunks
from .pointwise_unary import compute_dtype


def fill(out, shape, dtype, value=0):
    # Through int64 for integers so that e.g. -1 wraps into uint8 as in PyTorch.
    v = np.array(int(value) if out.dtype.kind in "iu" and not isinstance(value, bool) else value)
    out[...] = v.astype(out.dtype)


def arange(out, start, end, step, dtype):
    if out.dtype.kind in "iu":
        # PyTorch converts the bounds and step to int64 first (a step of 0.5 is 0), then
        # computes start + i * step in int64 (wrapping) and converts.
        start, step, ct = int(start), int(step), np.int64
    else:
        # PyTorch computes start + i * step in double, then converts.
        ct = np.float64
    for dst, i, n in chunks(out.reshape(-1)):
        v = np.arange(i, i + n, dtype=ct)
        v *= step
        v += start
        np.copyto(dst, v, casting="unsafe")


def linspace(out, start, end, steps, dtype):
    if steps == 0:
        return
    if steps == 1:
        out[...] = start
        return
    ct = compute_dtype(out.dtype) if out.dtype.kind == "f" or out.dtype.kind == "V" else np.dtype(np.float64)
    ct = np.dtype(np.float32) if ct.kind not in "f" else ct
    step = (ct.type(end) - ct.type(start)) / ct.type(steps - 1)
    s0, e0, last = ct.type(start), ct.type(end), ct.type(steps - 1)
    # PyTorch's symmetric formulation: exact at both ends (start + step*i in the first half,
    # end - step*(steps-1-i) in the second), each product rounded in the compute dtype.
    half = steps // 2
    for dst, i, n in chunks(out.reshape(-1)):
        idx = np.arange(i, i + n, dtype=ct)
        lo = idx * step
        lo += s0
        np.subtract(last, idx, out=idx)
        idx *= step
        np.subtract(e0, idx, out=idx)
        k = max(0, min(n, half - i))  # the first k of this chunk are in the first half
        lo[k:] = idx[k:]
        np.copyto(dst, lo, casting="unsafe")


def eye(out, n, m, dtype):
    out.fill(0)
    k = min(n, m)
    out[np.arange(k), np.arange(k)] = 1


IMPLS = {"fill": fill, "arange": arange, "linspace": linspace, "eye": eye}
