"""numpy impls of the creation ops: fill, arange, linspace, eye."""
import numpy as np


def fill(out, shape, dtype, value=0):
    out.fill(value)


def arange(out, start, end, step, dtype):
    n = out.shape[0]
    if out.dtype.kind in "iu":
        out[...] = start + step * np.arange(n, dtype=np.int64)
    else:
        out[...] = start + step * np.arange(n, dtype=np.float64)


def linspace(out, start, end, steps, dtype):
    if out.dtype.kind in "iu":
        out[...] = np.trunc(np.linspace(start, end, steps, dtype=np.float64))
    else:
        out[...] = np.linspace(start, end, steps, dtype=np.float64)


def eye(out, n, m, dtype):
    out.fill(0)
    k = min(n, m)
    out[np.arange(k), np.arange(k)] = 1


IMPLS = {"fill": fill, "arange": arange, "linspace": linspace, "eye": eye}
