"""Op-table entries of the ctc_loss family: F.ctc_loss over log_softmax(logits) (the registry forward and
backward ops; PyTorch's gradient is the logits' gradient, so gradcheck goes through log_softmax), padded and
concatenated targets, repeated labels, a non-zero blank, impossible alignments, every reduction."""
import numpy as np

import tritorch as tt
import tritorch.nn.functional as F
from tritorch._ops.ctc_loss import _CTC, ctc_loss_backward
from .core import OpInfo, Sample, make

_rng = np.random.default_rng(31)


def _log_softmax(x, axis):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def ctc_reference(lp, targets, input_lengths, target_lengths, blank=0):
    """Per-sample -log p(target | input) by the textbook alpha recursion (float64, plain loops)."""
    targets = np.asarray(targets)
    out, off = [], 0
    for b, (T, L) in enumerate(zip(input_lengths, target_lengths)):
        y = targets[b, :L] if targets.ndim == 2 else targets[off:off + L]
        off += L
        ext = [blank]
        for c in y:
            ext += [int(c), blank]
        S = len(ext)
        if T == 0:
            out.append(0.0 if L == 0 else np.inf)
            continue
        a = np.full(S, -np.inf)
        a[0] = lp[0, b, blank]
        if S > 1:
            a[1] = lp[0, b, ext[1]]
        for t in range(1, T):
            n = np.full(S, -np.inf)
            for s in range(S):
                terms = [a[s]] + ([a[s - 1]] if s >= 1 else []) + \
                    ([a[s - 2]] if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2] else [])
                n[s] = np.logaddexp.reduce(terms) + lp[t, b, ext[s]]
            a = n
        out.append(-np.logaddexp(a[-1], a[-2] if S > 1 else -np.inf))
    return np.array(out)


def _ctc(x, targets, input_lengths, target_lengths, **kw):
    return F.ctc_loss(x.log_softmax(2), targets, input_lengths, target_lengths, **kw)


def _ctc_ref(x, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    r = ctc_reference(_log_softmax(x, 2), targets, input_lengths, target_lengths, blank)
    if zero_infinity:
        r = np.where(r == np.inf, 0, r)
    if reduction == "mean":
        return (r / np.maximum(np.asarray(target_lengths), 1)).mean()
    return r.sum() if reduction == "sum" else r


def _samples(dtype, device):
    def t(a):
        return tt.tensor(np.asarray(a), dtype=tt.int64, device=device)
    x = make((6, 3, 5), dtype, device)
    return [Sample((x, t([[1, 2, 2], [3, 1, 0], [4, 4, 4]]), (6, 5, 6), (3, 2, 3)), {}, "padded-mean"),
            Sample((make((5, 2, 4), dtype, device), t([1, 1, 3, 2]), (5, 4), (2, 2)), {"reduction": "none"},
                   "concat-repeat-none"),
            Sample((make((4, 2, 4), dtype, device), t([[0, 1], [2, 0]]), (4, 4), (2, 2)),
                   {"blank": 3, "reduction": "sum"}, "blank3-sum"),
            Sample((make((4, 3, 4), dtype, device), t([[1, 1, 1], [2, 0, 0], [0, 0, 0]]), (4, 3, 2), (3, 1, 0)),
                   {"reduction": "none", "zero_infinity": True}, "impossible-zero-inf"),
            Sample((make((5, 4, 6), dtype, device).transpose(1, 0).contiguous().transpose(1, 0),
                    t([[1, 2], [3, 4], [5, 5], [2, 1]])[:, ::1], (5, 3, 5, 0), (2, 1, 2, 0)), {}, "strided-empty")]


def _bwd_samples(dtype, device):
    """The backward op called directly (forward results from the cpu op): padded targets with a repeat and an
    impossible alignment (zero_infinity), concatenated targets with a broadcast gradient."""
    out = []
    for shape, tg, il, tl, zi, gshape, name in (((4, 3, 4), [[1, 1, 1], [2, 3, 0], [3, 3, 0]], (4, 3, 4), (3, 2, 2),
                                                True, (3,), "padded-zero-inf"),
                                               ((5, 2, 3), [1, 2, 2], (5, 3), (2, 1), False, (), "concat")):
        lp = tt.tensor(_log_softmax(_rng.standard_normal(shape), 2), dtype=dtype)
        t = tt.tensor(np.asarray(tg), dtype=tt.int64)
        nll, alpha = _CTC.run((lp, t, il, tl, 0), {})
        g = make(gshape, dtype, device, low=0.5, high=1.5)
        out.append(Sample((g, lp.to(device), t.to(device), nll.to(device), alpha.to(device), il, tl, 0, zi), {},
                          name))
    return out


def _bwd_ref(g, lp, targets, nll, log_alpha, input_lengths, target_lengths, blank, zero_infinity):
    """PyTorch's formula g (exp(lp) - posterior), the posterior d log p / d lp by central differences of the
    textbook forward (float64)."""
    T, N, C = lp.shape
    g = np.broadcast_to(g, (N,))
    base = ctc_reference(lp, targets, input_lengths, target_lengths, blank)
    post = np.zeros(lp.shape)
    h = 1e-6
    for idx in np.ndindex(*lp.shape):
        up, dn = lp.copy(), lp.copy()
        up[idx] += h
        dn[idx] -= h
        b = idx[1]
        post[idx] = -(ctc_reference(up, targets, input_lengths, target_lengths, blank)[b] -
                      ctc_reference(dn, targets, input_lengths, target_lengths, blank)[b]) / (2 * h)
    live = np.arange(T)[:, None, None] < np.asarray(input_lengths)[None, :, None]
    r = np.where(live, (np.exp(lp) - post) * g[None, :, None], 0)
    inf = (base == np.inf)[None, :, None]
    return np.where(inf & live, 0 if zero_infinity else np.nan, r)


OPS = [OpInfo("ctc_loss", _ctc, _ctc_ref, _samples, dtypes=(tt.float32, tt.float64), grad_args=(0,),
              covers=("ctc_loss", "ctc_loss_backward")),
       OpInfo("ctc_loss_backward", ctc_loss_backward, _bwd_ref, _bwd_samples, dtypes=(tt.float32, tt.float64),
              grad=False, tol={tt.float32: (1e-4, 1e-4), tt.float64: (1e-7, 1e-7)})]
