"""numpy impls of layer norm and RMS norm, forward and backward.  Rows are the leading dims
collapsed, columns the normalized dims.  Half types compute in float32 and round once; the
variance is two-pass (mean, then centred squares) and biased, like PyTorch.  Every numpy op is
a pass over memory: the impls compute in place in the output, and take row sums and row dot
products at copy bandwidth (`_rowsum`)."""
import numpy as np

from ._rowsum import dot_last, sum_last
from .pointwise_unary import compute_dtype, _up


def _rows(x, ns):
    """``x`` as (R, n) rows of the normalized shape ``ns`` in the compute dtype (explicit R: numpy
    cannot infer -1 when n is 0)."""
    n = int(np.prod(ns)) if ns else 1
    rows = int(np.prod(x.shape[:x.ndim - len(ns)]))
    return _up(x).astype(compute_dtype(x.dtype), copy=False).reshape(rows, n)


def _colsum(a):
    """(R, n) -> (n,) column sums (the weight / bias gradients)."""
    return np.ones(a.shape[0], a.dtype) @ a


def _work(out, ct, shape):
    """``out`` as rows of ``shape`` (R, n) when it can hold the compute dtype in place, else a
    scratch buffer."""
    if out.dtype == ct and out.flags.c_contiguous:
        return out.reshape(shape)
    return np.empty(shape, ct)


def _store(out, r):
    if not np.may_share_memory(out, r):
        np.copyto(out, r.reshape(out.shape), casting="unsafe")


def _affine(r, weight, bias, ct):
    if weight is not None:
        r *= _up(weight).astype(ct, copy=False).reshape(-1)
    if bias is not None:
        r += _up(bias).astype(ct, copy=False).reshape(-1)


def layer_norm(out, x, normalized_shape, weight, bias, eps):
    y, mean, rstd = out
    xx = _rows(x, normalized_shape)
    ct, n = xx.dtype, xx.shape[1]
    r = _work(y, ct, xx.shape)
    with np.errstate(all="ignore"):
        if n:
            mu = sum_last(xx, keepdims=True) / ct.type(n)
            np.subtract(xx, mu, out=r)
            var = dot_last(r, r, keepdims=True) / ct.type(n)
        else:
            mu = var = np.full((xx.shape[0], 1), np.nan, ct)
        rs = (ct.type(1) / np.sqrt(var + ct.type(eps))).astype(ct)
        r *= rs
        _affine(r, weight, bias, ct)
    _store(y, r)
    np.copyto(mean, mu.reshape(mean.shape), casting="unsafe")
    np.copyto(rstd, rs.reshape(rstd.shape), casting="unsafe")


def _finish(dx, r, g, rs, c1, c2):
    """dx = (gw - xhat * c1 - c2) * rs, computed in ``r`` (which holds xhat)."""
    r *= c1
    if c2 is not None:
        r += c2
    np.subtract(g, r, out=r)
    r *= rs
    _store(dx, r)


def layer_norm_backward(out, grad_out, x, mean, rstd, weight, normalized_shape):
    dx, dw, db = out
    xx = _rows(x, normalized_shape)
    ct, n = xx.dtype, xx.shape[1]
    g = _rows(grad_out, normalized_shape)
    mu = mean.astype(ct).reshape(-1, 1)
    rs = rstd.astype(ct).reshape(-1, 1)
    r = _work(dx, ct, xx.shape)
    with np.errstate(all="ignore"):
        np.subtract(xx, mu, out=r)
        r *= rs
        np.copyto(dw, _colsum(g * r).reshape(dw.shape), casting="unsafe")
        np.copyto(db, _colsum(g).reshape(db.shape), casting="unsafe")
        gw = g * _up(weight).astype(ct).reshape(-1) if weight is not None else g
        inv_n = ct.type(1) / ct.type(max(n, 1))
        c1 = dot_last(gw, r, keepdims=True) * inv_n if n else 0
        c2 = sum_last(gw, keepdims=True) * inv_n if n else 0
        _finish(dx, r, gw, rs, c1, c2)


def rms_norm(out, x, normalized_shape, weight, eps):
    y, rstd = out
    xx = _rows(x, normalized_shape)
    ct, n = xx.dtype, xx.shape[1]
    with np.errstate(all="ignore"):
        ms = dot_last(xx, xx, keepdims=True) / ct.type(n) if n else np.full((xx.shape[0], 1), np.nan, ct)
        rs = (ct.type(1) / np.sqrt(ms + ct.type(eps))).astype(ct)
        r = _work(y, ct, xx.shape)
        np.multiply(xx, rs, out=r)
        _affine(r, weight, None, ct)
    _store(y, r)
    np.copyto(rstd, rs.reshape(rstd.shape), casting="unsafe")


def rms_norm_backward(out, grad_out, x, rstd, weight, normalized_shape):
    dx, dw = out
    xx = _rows(x, normalized_shape)
    ct, n = xx.dtype, xx.shape[1]
    g = _rows(grad_out, normalized_shape)
    rs = rstd.astype(ct).reshape(-1, 1)
    r = _work(dx, ct, xx.shape)
    with np.errstate(all="ignore"):
        np.multiply(xx, rs, out=r)
        np.copyto(dw, _colsum(g * r).reshape(dw.shape), casting="unsafe")
        gw = g * _up(weight).astype(ct).reshape(-1) if weight is not None else g
        c1 = dot_last(gw, r, keepdims=True) / ct.type(max(n, 1)) if n else 0
        _finish(dx, r, gw, rs, c1, None)


IMPLS = {"layer_norm": layer_norm, "layer_norm_backward": layer_norm_backward,
         "rms_norm": rms_norm, "rms_norm_backward": rms_norm_backward}
