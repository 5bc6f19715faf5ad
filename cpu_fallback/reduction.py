"""numpy impls of the reductions.  Half types accumulate in float32."""
import numpy as np

from .pointwise import compute_dtype, _up


def sum(out, x, dims, keepdim, dtype=None):
    r = np.sum(_up(x), axis=dims, keepdims=keepdim, dtype=compute_dtype(out.dtype))
    np.copyto(out, r, casting="unsafe")


def mean(out, x, dims, keepdim, dtype=None):
    xx = _up(x)
    if xx.size == 0 or any(x.shape[d] == 0 for d in dims):
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.mean(xx, axis=dims, keepdims=keepdim, dtype=compute_dtype(out.dtype)) if xx.size else \
                np.full(out.shape, np.nan)
    else:
        r = np.mean(xx, axis=dims, keepdims=keepdim, dtype=compute_dtype(out.dtype))
    np.copyto(out, r, casting="unsafe")


IMPLS = {"sum": sum, "mean": mean}
