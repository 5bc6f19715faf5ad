"""numpy impls of the loss family: fused cross-entropy from logits and nll_loss, forward and backward.

Layout (as PyTorch): the class dim is dim 1 of the input (dim 0 for a 1-d input); every other dim
is a row.  Class-index targets have the row shape (int64 or uint8); probability targets have the
input's shape.  Half types compute in float32 and round once.

``cross_entropy_loss(x, target, weight, ignore_index, label_smoothing) -> (loss, stats)``: per row,
with q the (smoothed) target distribution (class index t: ``q = (1 - ls) * onehot(t) + ls / C``;
probabilities p: ``q = (1 - ls) * p + ls / C``) and w the class weights,
``loss = sum_c w_c q_c (lse - x_c)``; ignored rows give 0.  ``stats[..., :]`` = (row max, log of the
shifted exp-sum, S = sum_c w_c q_c, mean-denominator weight: w_t for valid class-index rows, 0 for
ignored rows, 1 for probability targets), in the compute dtype.
``cross_entropy_loss_backward(g, x, target, weight, stats, ...)``: dx = g * (softmax(x) * S - w * q).
``nll_loss(x, target, weight, ignore_index) -> (loss, wt)``: loss = -w_t x_t, wt = w_t (0 if ignored).
``nll_loss_backward(g, target, weight, ignore_index, shape)``: dx[t] = -w_t g, zero elsewhere.
An out-of-range class index (other than ``ignore_index``) raises IndexError like PyTorch's CPU kernels.
"""
import numpy as np

from ._rowsum import sum_last
from .pointwise_unary import compute_dtype


def _cdim(ndim):
    return 1 if ndim >= 2 else 0


def _classes_last(a, ndim):
    """``a`` (input-shaped) with the class dim moved last."""
    return np.moveaxis(a, _cdim(ndim), -1) if ndim >= 2 else a


def _is_prob(target):
    """Probability targets are floating (any float dtype, ml_dtypes' bfloat16 included)."""
    return np.asarray(target).dtype not in (np.int64, np.uint8)


def _index_target(t, C, ignore_index):
    """(valid mask, target clamped to a safe index); IndexError for out-of-range targets."""
    t = np.asarray(t).astype(np.int64)
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= C))
    if bad.any():
        raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")
    return valid, np.where(valid, t, 0)


def _weights(weight, C, ct):
    return np.ones(C, ct) if weight is None else np.asarray(weight).astype(ct)


def _take(w, idx):
    """w[idx]; with no classes every row is ignored (the index is a placeholder) and reads 0."""
    return w[idx] if w.size else np.zeros(np.shape(idx), w.dtype)


def _logits(x, ct, keep_z):
    """(class-last compute-dtype logits a, row max m, log of the shifted exp-sum, z = a - m if ``keep_z``)."""
    a = _classes_last(np.asarray(x), np.ndim(x))
    if a.dtype != ct:
        a = a.astype(ct)
    with np.errstate(all="ignore"):
        m = a.max(axis=-1) if a.shape[-1] else np.full(a.shape[:-1], -np.inf, ct)
        z = a - m[..., None]
        e = np.exp(z) if keep_z else np.exp(z, out=z)
        # no classes: an empty sum, loss 0 as in PyTorch (log of the empty exp-sum would give nan)
        lsum = np.log(sum_last(e)) if a.shape[-1] else np.zeros(m.shape, ct)
    return a, m, lsum, z if keep_z else None


def _dot_w(a, w):
    """sum_c a[..., c] * w[c] (a matrix-vector product; a plain sum without weights)."""
    return sum_last(a) if w is None else a @ w


def cross_entropy_loss(out, x, target, weight, ignore_index, label_smoothing):
    loss, stats = out
    ct = compute_dtype(loss.dtype)
    nd = np.ndim(x)
    C = np.shape(x)[_cdim(nd)]
    prob = _is_prob(target)
    if not prob:
        valid, tc = _index_target(target, C, ignore_index)
    if stats.size == 0:
        return
    ls = max(label_smoothing, 0.0)
    lsc = ls / C if C else 0.0
    a, m, lsum, z = _logits(x, ct, prob or ls > 0)
    w = None if weight is None else np.asarray(weight).astype(ct)
    wsum = C if w is None else w.sum()
    with np.errstate(all="ignore"):
        if prob:
            # sum_c w q (lse - x) with q = (1 - ls) t + ls / C and lse = m + lsum, x taken relative to m
            # (exact for large logits).
            q = _classes_last(np.asarray(target).astype(ct), nd)
            if ls > 0:
                q = q * (1 - ls) + lsc
            S = _dot_w(q, w)
            A = _dot_w(q * z, w)   # -inf logits with q > 0 give inf (not 0 * -inf = nan from a split sum)
            r = S * lsum - A
            wt = np.ones(m.shape, ct)
        else:
            xt = np.take_along_axis(a, tc[..., None], axis=-1)[..., 0] if C else np.zeros(tc.shape, ct)
            wt = np.where(valid, 1 if w is None else _take(w, tc), 0).astype(ct)
            r = (1 - ls) * wt * ((m - xt) + lsum)
            S = (1 - ls) * wt
            if ls > 0:
                Ss = np.where(valid, lsc * wsum, 0)
                r = r + Ss * lsum - lsc * _dot_w(z, w)
                S = S + Ss
            r = np.where(valid, r, 0)
    np.copyto(loss, r, casting="unsafe")
    np.copyto(stats, np.stack([m, lsum, S, wt], axis=-1), casting="unsafe")


def cross_entropy_loss_backward(out, grad, x, target, weight, stats, ignore_index, label_smoothing):
    if out.size == 0:
        return
    ct = compute_dtype(out.dtype)
    nd = np.ndim(x)
    C = np.shape(x)[_cdim(nd)]
    prob = _is_prob(target)
    if not prob:
        valid, tc = _index_target(target, C, ignore_index)
    ls = max(label_smoothing, 0.0)
    st = np.asarray(stats).astype(ct)
    g = np.broadcast_to(np.asarray(grad).astype(ct), st.shape[:-1])
    w = None if weight is None else np.asarray(weight).astype(ct)
    r = _classes_last(np.asarray(x), nd).astype(ct)   # a private copy, updated in place
    with np.errstate(all="ignore"):
        r -= (st[..., 0] + st[..., 1])[..., None]
        np.exp(r, out=r)
        r *= (g * st[..., 2])[..., None]
        if prob:
            q = _classes_last(np.asarray(target).astype(ct), nd) * (1 - ls) + ls / C
            r -= g[..., None] * (q if w is None else q * w)
        else:
            gt = np.where(valid, (1 - ls) * g * st[..., 3], 0)
            np.put_along_axis(r, tc[..., None], np.take_along_axis(r, tc[..., None], axis=-1) - gt[..., None],
                              axis=-1)
            if ls > 0:
                r -= (ls / C * g)[..., None] * (1 if w is None else w)
            r[~valid] = 0   # ignored rows: exact zeros, even for a nan g
    np.copyto(out, np.moveaxis(r, -1, _cdim(nd)) if nd >= 2 else r, casting="unsafe")


def nll_loss(out, x, target, weight, ignore_index):
    loss, wout = out
    ct = compute_dtype(loss.dtype)
    C = np.shape(x)[_cdim(np.ndim(x))]
    valid, tc = _index_target(target, C, ignore_index)
    if loss.size == 0:
        return
    a = _classes_last(np.asarray(x).astype(ct), np.ndim(x))
    wt = np.where(valid, _take(_weights(weight, C, ct), tc), 0).astype(ct)
    xt = np.take_along_axis(a, tc[..., None], axis=-1)[..., 0] if C else np.zeros(tc.shape, ct)
    np.copyto(loss, np.where(valid, -wt * xt, 0), casting="unsafe")
    np.copyto(wout, wt, casting="unsafe")


def nll_loss_backward(out, grad, target, weight, ignore_index, shape):
    if out.size == 0:
        return
    ct = compute_dtype(out.dtype)
    nd = len(shape)
    C = shape[_cdim(nd)]
    valid, tc = _index_target(target, C, ignore_index)
    wt = np.where(valid, _take(_weights(weight, C, ct), tc), 0).astype(ct)
    g = np.broadcast_to(np.asarray(grad).astype(ct), wt.shape)
    r = np.where((np.arange(C) == tc[..., None]) & valid[..., None], (-wt * g)[..., None], 0).astype(ct)
    np.copyto(out, np.moveaxis(r, -1, _cdim(nd)) if nd >= 2 else r, casting="unsafe")


IMPLS = {"cross_entropy_loss": cross_entropy_loss, "cross_entropy_loss_backward": cross_entropy_loss_backward,
         "nll_loss": nll_loss, "nll_loss_backward": nll_loss_backward}
