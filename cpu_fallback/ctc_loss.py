"""numpy impls of the CTC loss: the log-space alpha (forward) and beta (backward) recursions of Graves et
al. (2006), vectorised over the batch and the extended label positions; one Python step per time step.

Shapes: log_probs (T, N, C); targets int64, padded (N, S) or concatenated (sum(target_lengths),);
``input_lengths`` / ``target_lengths`` host tuples of N ints.  The extended label sequence of sample b is
l' = (blank, y_1, blank, y_2, ..., y_L, blank), 2 L + 1 positions; positions past 2 L_b + 1 are padding
(-inf).  The compute dtype is the log_probs dtype (float32 or float64, as PyTorch's CPU kernel).

``ctc_loss(...) -> (nll (N,), log_alpha (N, T, 2 L_max + 1))``:
alpha[0] = lp[0, l'(s)] for s < 2; alpha[t, s] = lse(alpha[t-1, s], alpha[t-1, s-1], alpha[t-1, s-2] if
l'(s) != l'(s-2)) + lp[t, l'(s)]; nll = -lse(alpha[T_b - 1, 2 L], alpha[T_b - 1, 2 L - 1]); T_b = 0 gives 0
for an empty target and inf otherwise; rows t >= T_b are -inf.
``ctc_loss_backward(grad, ...) -> (T, N, C)``: beta mirrors alpha from t = T_b - 1 down; with
occ(t, s) = exp(alpha + beta + nll - lp[t, l'(s)]) (the posterior of position s at t),
dlp[t, b, c] = g_b (exp(lp[t, b, c]) - sum_{s: l'(s) = c} occ(t, s)) for t < T_b, 0 after -- PyTorch's
formula, which is the gradient w.r.t. the logits under a log_softmax (see tritorch/_ops/ctc_loss.py).
Impossible alignments (nll = inf) give nan gradients for t < T_b, or zeros with ``zero_infinity``.
"""
import numpy as np

_NEG = -np.inf


def extended_labels(targets, target_lengths, blank):
    """(N, 2 L_max + 1) int64 extended labels l'(s), blank at even and padding positions."""
    t = np.asarray(targets).astype(np.int64, copy=False)
    tl = np.asarray(target_lengths, np.int64).reshape(-1)
    L = int(tl.max(initial=0))
    if t.ndim == 1:
        start = np.concatenate([[0], np.cumsum(tl)[:-1]]).astype(np.int64)
        idx = start[:, None] + np.arange(L)
        lab = t[np.clip(idx, 0, max(t.size - 1, 0))] if t.size else np.zeros(idx.shape, np.int64)
    else:
        lab = t[:, :L]
    lab = np.where(np.arange(L) < tl[:, None], lab, blank)
    ext = np.full((len(tl), 2 * L + 1), blank, np.int64)
    ext[:, 1::2] = lab
    return ext


def _gather_lp(log_probs, ext, ct):
    """lp[b, t, s] = log_probs[t, b, l'_b(s)] as (N, T, S) in ``ct``."""
    lp = np.moveaxis(np.asarray(log_probs), 1, 0).astype(ct, copy=False)      # (N, T, C)
    C = lp.shape[2]
    return np.take_along_axis(lp, np.clip(ext, 0, C - 1)[:, None, :], axis=2)


def _lse3(a, b, c):
    m = np.maximum(np.maximum(a, b), c)
    ms = np.where(m == _NEG, 0, m)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.exp(a - ms) + np.exp(b - ms) + np.exp(c - ms)) + ms


def _shift(a, k, fill=_NEG):
    """a[..., s - k] (k > 0) or a[..., s + |k|] (k < 0) along the last axis, padded with ``fill``."""
    r = np.full_like(a, fill)
    if k > 0:
        r[..., k:] = a[..., :-k]
    else:
        r[..., :k] = a[..., -k:]
    return r


def _skips(ext):
    """(may enter s from s - 2, may leave s to s + 2): labels that differ from the one two positions off."""
    prev = _shift(ext, 2, -1)
    nxt = _shift(ext, -2, -1)
    odd = (np.arange(ext.shape[1]) % 2 == 1)
    return odd & (ext != prev) & (prev >= 0), odd & (ext != nxt) & (nxt >= 0)


def ctc_loss(out, log_probs, targets, input_lengths, target_lengths, blank):
    nll, alpha = out
    T, N, _ = np.shape(log_probs)
    ct = alpha.dtype
    ext = extended_labels(targets, target_lengths, blank)
    il = np.asarray(input_lengths, np.int64)
    tl = np.asarray(target_lengths, np.int64)
    S = ext.shape[1]
    s = np.arange(S)
    valid = s < (2 * tl + 1)[:, None]
    skip_in, _ = _skips(ext)
    lpe = _gather_lp(log_probs, ext, ct)
    a = np.where((s < 2) & valid, lpe[:, 0], _NEG)
    alpha[:, 0] = np.where(il[:, None] > 0, a, _NEG)
    for t in range(1, T):
        a = _lse3(a, _shift(a, 1), np.where(skip_in, _shift(a, 2), _NEG)) + lpe[:, t]
        a = np.where(valid, a, _NEG)
        alpha[:, t] = np.where(il[:, None] > t, a, _NEG)
    last = alpha[np.arange(N), np.maximum(il - 1, 0)]                      # (N, S)
    end = (s == 2 * tl[:, None]) | ((s == 2 * tl[:, None] - 1) & (tl[:, None] > 0))
    e = np.where(end, last, _NEG)
    m = e.max(axis=1)
    ms = np.where(m == _NEG, 0, m)
    with np.errstate(divide="ignore"):
        ll = np.log(np.exp(e - ms[:, None]).sum(axis=1)) + ms
    nll[...] = np.where(il > 0, -ll, np.where(tl == 0, 0, np.inf))


def ctc_loss_backward(out, grad, log_probs, targets, nll, log_alpha, input_lengths, target_lengths, blank,
                      zero_infinity):
    T, N, C = out.shape
    ct = out.dtype
    ext = extended_labels(targets, target_lengths, blank)
    il = np.asarray(input_lengths, np.int64)
    tl = np.asarray(target_lengths, np.int64)
    S = ext.shape[1]
    s = np.arange(S)
    valid = s < (2 * tl + 1)[:, None]
    _, skip_out = _skips(ext)
    lpe = _gather_lp(log_probs, ext, ct)
    alpha = np.asarray(log_alpha).astype(ct, copy=False)
    nl = np.asarray(nll).astype(ct, copy=False)
    g = np.broadcast_to(np.asarray(grad).astype(ct, copy=False), (N,))
    occ = np.zeros((N, T, S), ct)
    b = np.full((N, S), _NEG, ct)
    end = (s == 2 * tl[:, None]) | ((s == 2 * tl[:, None] - 1) & (tl[:, None] > 0))
    with np.errstate(invalid="ignore", over="ignore"):
        for t in range(T - 1, -1, -1):
            rec = _lse3(b, _shift(b, -1), np.where(skip_out, _shift(b, -2), _NEG)) + lpe[:, t]
            init = np.where(end, lpe[:, t], _NEG)
            b = np.where((il == t + 1)[:, None], init, np.where((il > t + 1)[:, None], np.where(valid, rec, _NEG),
                                                                  _NEG))
            occ[:, t] = np.exp(alpha[:, t] + b + nl[:, None] - lpe[:, t])
        onehot = (ext[:, :, None] == np.arange(C)).astype(ct)                # (N, S, C)
        lp = np.moveaxis(np.asarray(log_probs), 1, 0).astype(ct, copy=False)  # (N, T, C)
        r = (np.exp(lp) - occ @ onehot) * g[:, None, None]
    live = np.arange(T)[None, :, None] < il[:, None, None]
    inf = (nl == np.inf)[:, None, None]
    r = np.where(inf, 0 if zero_infinity else np.nan, r)
    out[...] = np.moveaxis(np.where(live, r, 0), 0, 1)


IMPLS = {"ctc_loss": ctc_loss, "ctc_loss_backward": ctc_loss_backward}
