"""numpy impls of the reductions.  Half types accumulate in float32 and round once into ``out``.

``dims`` arrive as a normalised tuple; a 0-d input reduces over nothing (numpy has no axis 0
there), which is what PyTorch does for dim 0 / -1 of a scalar.

``dtype``: the registry passes every reduction's args tuple ``(x, dims, keepdim, dtype)``
positionally (None for amax/amin/all/any), so the impls keep the parameter; the result dtype it
asks for is already ``out``'s dtype (meta allocated ``out`` with it), which is all they read.
"""
import numpy as np

from .pointwise import compute_dtype, _up
from . import reduction_stats


def _ax(x, dims):
    return dims if x.ndim else ()


def _acc(out):
    # The dtype a reduction accumulates in: float32 for half outputs, else out's dtype.
    return compute_dtype(out.dtype)


def sum(out, x, dims, keepdim, dtype=None):
    r = np.sum(_up(x), axis=_ax(x, dims), keepdims=keepdim, dtype=_acc(out))
    np.copyto(out, r, casting="unsafe")


def nansum(out, x, dims, keepdim, dtype=None):
    r = np.nansum(_up(x), axis=_ax(x, dims), keepdims=keepdim, dtype=_acc(out))
    np.copyto(out, r, casting="unsafe")


def mean(out, x, dims, keepdim, dtype=None):
    with np.errstate(invalid="ignore", divide="ignore"):
        xx = _up(x)
        if xx.size == 0 and not xx.ndim == 0:
            r = np.full(out.shape, np.nan)
        else:
            r = np.mean(xx, axis=_ax(x, dims), keepdims=keepdim, dtype=_acc(out))
    np.copyto(out, r, casting="unsafe")


def prod(out, x, dims, keepdim, dtype=None):
    r = np.prod(_up(x), axis=_ax(x, dims), keepdims=keepdim, dtype=_acc(out))
    np.copyto(out, r, casting="unsafe")


def amax(out, x, dims, keepdim, dtype=None):
    np.copyto(out, np.amax(_up(x), axis=_ax(x, dims), keepdims=keepdim), casting="unsafe")


def amin(out, x, dims, keepdim, dtype=None):
    np.copyto(out, np.amin(_up(x), axis=_ax(x, dims), keepdims=keepdim), casting="unsafe")


def all(out, x, dims, keepdim, dtype=None):
    np.copyto(out, np.all(_up(x), axis=_ax(x, dims), keepdims=keepdim), casting="unsafe")


def any(out, x, dims, keepdim, dtype=None):
    np.copyto(out, np.any(_up(x), axis=_ax(x, dims), keepdims=keepdim), casting="unsafe")


def count_nonzero(out, x, dims):
    r = np.count_nonzero(_up(x), axis=_ax(x, dims) or None) if x.ndim and dims else np.count_nonzero(_up(x))
    np.copyto(out, r, casting="unsafe")


def logsumexp(out, x, dims, keepdim, dtype=None):
    ax = _ax(x, dims)
    xx = _up(x).astype(_acc(out), copy=False)
    if xx.size == 0:
        out.fill(-np.inf)
        return
    m = np.amax(xx, axis=ax, keepdims=True)
    # An infinite max would give inf - inf = nan: shift by 0 there (the result is that inf).
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore", over="ignore"):
        r = np.log(np.sum(np.exp(xx - m), axis=ax, keepdims=True)) + m
    np.copyto(out, r if keepdim or not ax else np.squeeze(r, axis=ax), casting="unsafe")


def _arg_dim(fn):
    def impl(outs, x, dim, keepdim):
        values, indices = outs
        if x.ndim == 0:
            np.copyto(values, x)
            indices.fill(0)
            return
        xx = _up(x)
        idx = fn(xx, axis=dim, keepdims=True)
        np.copyto(values, np.take_along_axis(x, idx, axis=dim).reshape(values.shape))
        np.copyto(indices, idx.reshape(indices.shape))
    return impl


def _arg(fn):
    def impl(out, x, dim, keepdim):
        xx = _up(x)
        if dim is None or x.ndim == 0:
            out.fill(fn(xx.reshape(-1)))
            return
        np.copyto(out, fn(xx, axis=dim, keepdims=keepdim))
    return impl


IMPLS = {"sum": sum, "nansum": nansum, "mean": mean, "prod": prod, "amax": amax, "amin": amin, "all": all,
         "any": any, "count_nonzero": count_nonzero, "logsumexp": logsumexp,
         "max_dim": _arg_dim(np.argmax), "min_dim": _arg_dim(np.argmin),
         "argmax": _arg(np.argmax), "argmin": _arg(np.argmin)}
IMPLS.update(reduction_stats.IMPLS)
