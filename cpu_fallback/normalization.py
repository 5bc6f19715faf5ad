"""numpy impls of layer norm and RMS norm, forward and backward.  Rows are the leading dims
collapsed, columns the normalized dims.  Half types compute in float32 and round once; the
variance is two-pass (mean, then centred squares) and biased, like PyTorch."""
import numpy as np

from .pointwise_unary import compute_dtype, _up


def _rows(x, ns):
    n = int(np.prod(ns)) if ns else 1
    return _up(x).astype(compute_dtype(x.dtype), copy=False).reshape(-1, n)


def layer_norm(out, x, normalized_shape, weight, bias, eps):
    y, mean, rstd = out
    xx = _rows(x, normalized_shape)
    ct = xx.dtype
    with np.errstate(all="ignore"):
        mu = xx.mean(axis=1, keepdims=True) if xx.shape[1] else np.full((xx.shape[0], 1), np.nan, ct)
        xc = xx - mu
        var = (xc * xc).mean(axis=1, keepdims=True) if xx.shape[1] else mu
        rs = (ct.type(1) / np.sqrt(var + ct.type(eps))).astype(ct)
        r = xc * rs
        if weight is not None:
            r = r * _up(weight).astype(ct).reshape(-1)
        if bias is not None:
            r = r + _up(bias).astype(ct).reshape(-1)
    np.copyto(y, r.reshape(y.shape), casting="unsafe")
    np.copyto(mean, mu.reshape(mean.shape), casting="unsafe")
    np.copyto(rstd, rs.reshape(rstd.shape), casting="unsafe")


def layer_norm_backward(out, grad_out, x, mean, rstd, weight, normalized_shape):
    dx, dw, db = out
    xx = _rows(x, normalized_shape)
    ct = xx.dtype
    g = _rows(grad_out, normalized_shape)
    mu = mean.astype(ct).reshape(-1, 1)
    rs = rstd.astype(ct).reshape(-1, 1)
    with np.errstate(all="ignore"):
        xhat = (xx - mu) * rs
        gw = g * _up(weight).astype(ct).reshape(-1) if weight is not None else g
        n = ct.type(max(xx.shape[1], 1))
        c1 = (gw * xhat).sum(axis=1, keepdims=True) / n
        c2 = gw.sum(axis=1, keepdims=True) / n
        r = (gw - xhat * c1 - c2) * rs
    np.copyto(dx, r.reshape(dx.shape), casting="unsafe")
    np.copyto(dw, (g * xhat).sum(axis=0).reshape(dw.shape), casting="unsafe")
    np.copyto(db, g.sum(axis=0).reshape(db.shape), casting="unsafe")


def rms_norm(out, x, normalized_shape, weight, eps):
    y, rstd = out
    xx = _rows(x, normalized_shape)
    ct = xx.dtype
    with np.errstate(all="ignore"):
        ms = (xx * xx).mean(axis=1, keepdims=True) if xx.shape[1] else np.full((xx.shape[0], 1), np.nan, ct)
        rs = (ct.type(1) / np.sqrt(ms + ct.type(eps))).astype(ct)
        r = xx * rs
        if weight is not None:
            r = r * _up(weight).astype(ct).reshape(-1)
    np.copyto(y, r.reshape(y.shape), casting="unsafe")
    np.copyto(rstd, rs.reshape(rstd.shape), casting="unsafe")


def rms_norm_backward(out, grad_out, x, rstd, weight, normalized_shape):
    dx, dw = out
    xx = _rows(x, normalized_shape)
    ct = xx.dtype
    g = _rows(grad_out, normalized_shape)
    rs = rstd.astype(ct).reshape(-1, 1)
    with np.errstate(all="ignore"):
        xhat = xx * rs
        gw = g * _up(weight).astype(ct).reshape(-1) if weight is not None else g
        c1 = (gw * xhat).sum(axis=1, keepdims=True) / ct.type(max(xx.shape[1], 1))
        r = (gw - xhat * c1) * rs
    np.copyto(dx, r.reshape(dx.shape), casting="unsafe")
    np.copyto(dw, (g * xhat).sum(axis=0).reshape(dw.shape), casting="unsafe")


IMPLS = {"layer_norm": layer_norm, "layer_norm_backward": layer_norm_backward,
         "rms_norm": rms_norm, "rms_norm_backward": rms_norm_backward}
