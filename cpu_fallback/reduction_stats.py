"""numpy impls of var/std, the vector norm, cumsum/cumprod and isclose.  Half types compute
in float32 and round once into ``out``.

``dtype`` (norm, cumsum, cumprod): passed positionally by the registry (the op's args tuple
carries it), so the impls keep the parameter; the dtype it asks for is already ``out``'s, which
is all they read.
"""
import numpy as np

from .pointwise import compute_dtype, _up


def _ax(x, dims):
    return dims if x.ndim else ()


def _var(out, x, dims, keepdim, correction):
    ct = compute_dtype(out.dtype)
    ax = _ax(x, dims)
    xx = _up(x).astype(ct, copy=False)
    n = 1
    for d in ax:
        n *= x.shape[d]
    with np.errstate(invalid="ignore", divide="ignore"):
        if n == 0:
            return np.full(out.shape, np.nan, dtype=ct)
        c = xx - np.mean(xx, axis=ax, keepdims=True)
        ss = np.sum(c * c, axis=ax, keepdims=keepdim)
        return ss / ct.type(max(n - correction, 0))


def var(out, x, dims, keepdim, correction):
    np.copyto(out, _var(out, x, dims, keepdim, correction), casting="unsafe")


def std(out, x, dims, keepdim, correction):
    np.copyto(out, np.sqrt(_var(out, x, dims, keepdim, correction)), casting="unsafe")


def norm(out, x, p, dims, keepdim, dtype=None):
    ct = compute_dtype(out.dtype)
    ax = _ax(x, dims)
    a = np.abs(_up(x).astype(ct, copy=False))
    kw = {"axis": ax, "keepdims": keepdim}
    if p == 2:
        r = np.sqrt(np.sum(a * a, **kw))
    elif p == 1:
        r = np.sum(a, **kw)
    elif p == np.inf:
        r = np.amax(a, **kw) if a.size else np.zeros(out.shape, ct)
    elif p == -np.inf:
        r = np.amin(a, **kw) if a.size else np.zeros(out.shape, ct)
    elif p == 0:
        r = np.sum(a != 0, dtype=ct, **kw)
    else:
        with np.errstate(divide="ignore"):
            r = np.sum(a ** ct.type(p), **kw) ** ct.type(1.0 / p)
    np.copyto(out, r, casting="unsafe")


def _scan(fn):
    def impl(out, x, dim, dtype=None, reverse=False):
        ct = compute_dtype(out.dtype)
        xx = _up(x)
        if x.ndim == 0:
            np.copyto(out, xx, casting="unsafe")
            return
        if reverse:
            r = np.flip(fn(np.flip(xx, dim), axis=dim, dtype=ct), dim)
        else:
            r = fn(xx, axis=dim, dtype=ct)
        np.copyto(out, r, casting="unsafe")
    return impl


def isclose(out, a, b, rtol, atol, equal_nan):
    if a.dtype == np.bool_:
        np.equal(a, b, out=out)
        return
    ct = compute_dtype(a.dtype) if a.dtype.kind == "f" or a.dtype.kind == "V" else np.dtype(np.float64)
    a = np.asarray(_up(a), dtype=ct)
    b = np.asarray(_up(b), dtype=ct)
    with np.errstate(invalid="ignore", over="ignore"):
        close = a == b
        if equal_nan:
            close |= np.isnan(a) & np.isnan(b)
        diff = np.abs(a - b)
        close |= np.isfinite(diff) & (diff <= atol + rtol * np.abs(b))
    np.copyto(out, close)


IMPLS = {"var": var, "std": std, "norm": norm, "cumsum": _scan(np.cumsum), "cumprod": _scan(np.cumprod),
         "isclose": isclose}
