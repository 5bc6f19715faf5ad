"""numpy impls of batch norm and group norm, forward and backward.  The input is viewed as
(N, C, S) (S = flattened spatial dims); half types compute in float32 and round once; variances
are two-pass (mean, then centred squares) and biased, like PyTorch.  batch_norm in training
updates the given running stats in place (unbiased variance)."""
import numpy as np

from ._rowsum import dot_last, sum_last
from .pointwise_unary import compute_dtype, _up


def _ncs(x):
    ct = compute_dtype(x.dtype)
    n, c = x.shape[0], x.shape[1]
    s = int(np.prod(x.shape[2:])) if x.ndim > 2 else 1
    return _up(x).astype(ct, copy=False).reshape(n, c, s), ct


def _vec(p, ct, c):
    return np.ones(c, ct) if p is None else _up(p).astype(ct).reshape(-1)


def _csum(a):
    """Per-channel sums of an (N, C, S) array: contiguous last-axis reduction first (fast)."""
    return sum_last(a).sum(axis=0)


def _into(y, r):
    np.copyto(y, r.reshape(y.shape), casting="unsafe")


def batch_norm(out, x, weight, bias, running_mean, running_var, training, momentum, eps):
    y, save_mean, save_invstd = out
    xx, ct = _ncs(x)
    c = xx.shape[1]
    cnt = xx.shape[0] * xx.shape[2]
    with np.errstate(all="ignore"):
        if training:
            if cnt == 0:
                mu = np.full(c, np.nan, ct)
                var = mu
                xc = xx
            else:
                mu = (_csum(xx) / ct.type(cnt)).astype(ct)
                xc = xx - mu[None, :, None]
                var = (dot_last(xc, xc).sum(axis=0) / ct.type(cnt)).astype(ct)
            if running_mean is not None and cnt:
                rm = _up(running_mean).astype(ct)
                rv = _up(running_var).astype(ct)
                m = ct.type(momentum)
                unb = var * ct.type(cnt) / ct.type(max(cnt - 1, 1)) if cnt > 1 else np.full(c, np.nan, ct)
                np.copyto(running_mean, (1 - m) * rm + m * mu, casting="unsafe")
                np.copyto(running_var, (1 - m) * rv + m * unb, casting="unsafe")
        else:
            mu = _up(running_mean).astype(ct)
            var = _up(running_var).astype(ct)
            xc = xx - mu[None, :, None]
        invstd = (ct.type(1) / np.sqrt(var + ct.type(eps))).astype(ct)
        r = np.multiply(xc, (invstd * _vec(weight, ct, c))[None, :, None], out=xc if xc is not xx else None)
        if bias is not None:
            np.add(r, _vec(bias, ct, c)[None, :, None], out=r)
    _into(y, r)
    np.copyto(save_mean, mu, casting="unsafe")
    np.copyto(save_invstd, invstd, casting="unsafe")


def batch_norm_backward(out, grad_out, x, weight, save_mean, save_invstd, training):
    dx, dw, db = out
    xx, ct = _ncs(x)
    g = _up(grad_out).astype(ct, copy=False).reshape(xx.shape)
    c = xx.shape[1]
    cnt = ct.type(max(xx.shape[0] * xx.shape[2], 1))
    mu = save_mean.astype(ct)
    inv = save_invstd.astype(ct)
    w = _vec(weight, ct, c)
    with np.errstate(all="ignore"):
        xc = xx - mu[None, :, None]
        sg = _csum(g)
        sgx = dot_last(g, xc).sum(axis=0) * inv
        if training:
            # dx = w inv (g - sg/cnt - xhat sgx/cnt), xhat = xc inv
            np.multiply(xc, (inv * sgx / cnt)[None, :, None], out=xc)
            r = np.subtract(g, xc, out=xc)
            np.subtract(r, (sg / cnt)[None, :, None], out=r)
            np.multiply(r, (w * inv)[None, :, None], out=r)
        else:
            r = g * (w * inv)[None, :, None]
    _into(dx, r)
    np.copyto(dw, sgx, casting="unsafe")
    np.copyto(db, sg, casting="unsafe")


def group_norm(out, x, weight, bias, num_groups, eps):
    """Centred in place in the output; the per-(n, c) scale rstd * weight is applied in one pass."""
    y, mean, rstd = out
    xx, ct = _ncs(x)
    n, c, sp = xx.shape
    gs = (n, num_groups, (c // num_groups) * sp)
    xg = xx.reshape(gs)
    r = y.reshape(gs) if y.dtype == ct and y.flags.c_contiguous else np.empty(gs, ct)
    with np.errstate(all="ignore"):
        if gs[2]:
            mu = sum_last(xg) / ct.type(gs[2])
            np.subtract(xg, mu[:, :, None], out=r)
            var = dot_last(r, r) / ct.type(gs[2])
        else:
            mu = np.full(gs[:2], np.nan, ct)
            var = mu
        rs = (ct.type(1) / np.sqrt(var + ct.type(eps))).astype(ct)
        scale = np.repeat(rs, c // num_groups, axis=1) * _vec(weight, ct, c)[None, :]
        r3 = r.reshape(xx.shape)
        np.multiply(r3, scale[:, :, None], out=r3)
        if bias is not None:
            np.add(r3, _vec(bias, ct, c)[None, :, None], out=r3)
    if not np.may_share_memory(y, r):
        _into(y, r)
    np.copyto(mean, mu.reshape(mean.shape), casting="unsafe")
    np.copyto(rstd, rs.reshape(rstd.shape), casting="unsafe")


def group_norm_backward(out, grad_out, x, mean, rstd, weight, num_groups):
    dx, dw, db = out
    xx, ct = _ncs(x)
    n, c, sp = xx.shape
    g = _up(grad_out).astype(ct, copy=False).reshape(xx.shape)
    gs = (n, num_groups, (c // num_groups) * sp)
    mu = mean.astype(ct).reshape(n, num_groups, 1)
    rs = rstd.astype(ct).reshape(n, num_groups, 1)
    w = _vec(weight, ct, c)
    with np.errstate(all="ignore"):
        xhat = xx.reshape(gs) - mu
        np.multiply(xhat, rs, out=xhat)
        xh = xhat.reshape(xx.shape)
        # per (n, c) sums, then per group through the channel weights
        ds = dot_last(g, xh)
        dbs = g.sum(axis=2)
        m = ct.type(max(gs[2], 1))
        cg = (n, num_groups, c // num_groups)
        wg = w.reshape(cg[1:])[None]
        c1 = (ds.reshape(cg) * wg).sum(axis=2, keepdims=True) / m
        c2 = (dbs.reshape(cg) * wg).sum(axis=2, keepdims=True) / m
        np.multiply(xhat, c1, out=xhat)
        np.add(xhat, c2, out=xhat)
        r = g * w[None, :, None]
        np.subtract(r.reshape(gs), xhat, out=r.reshape(gs))
        np.multiply(r.reshape(gs), rs, out=r.reshape(gs))
    _into(dx, r)
    np.copyto(dw, ds.sum(axis=0), casting="unsafe")
    np.copyto(db, dbs.sum(axis=0), casting="unsafe")


IMPLS = {"batch_norm": batch_norm, "batch_norm_backward": batch_norm_backward,
         "group_norm": group_norm, "group_norm_backward": group_norm_backward}
