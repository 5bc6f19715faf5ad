"""Op-table entries of the loss family: cross_entropy (class-index and probability targets, through the
fused forward and backward ops), nll_loss, the backward ops called directly (gradcheck of the backward
op = double backward), and the pointwise losses (compositions, ``__composite__``)."""
import warnings

import numpy as np

import tritorch as tt
import tritorch.nn.functional as F
from tritorch._ops.loss import cross_entropy_loss_backward, nll_loss_backward, _CE
from .core import OpInfo, Sample, make, to_ref

_rng = np.random.default_rng(77)


def _idx(shape, C, device, ignore=None):
    t = _rng.integers(0, C, size=shape)
    if ignore is not None and t.size:
        t.flat[0] = ignore
    return tt.tensor(t, dtype=tt.int64, device=device)


def _ce_samples(dtype, device):
    w = make((5,), dtype, device, low=0.5, high=2.0)
    return [Sample((make((4, 5), dtype, device), _idx((4,), 5, device)), {}, "plain"),
            Sample((make((4, 5), dtype, device), _idx((4,), 5, device, 2)),
                   {"weight": w, "ignore_index": 2, "label_smoothing": 0.2}, "weight-ignore-smooth"),
            Sample((make((2, 5, 3), dtype, device), _idx((2, 3), 5, device)), {"reduction": "none"}, "kdim-none"),
            Sample((make((5, 2, 3), dtype, device).transpose(0, 1), _idx((2, 3), 5, device)),
                   {"weight": w, "reduction": "sum", "label_smoothing": 0.1}, "kdim-strided-sum"),
            Sample((make((7,), dtype, device, low=-30, high=30), _idx((), 7, device)), {}, "1d"),
            Sample((make((0, 5), dtype, device), _idx((0,), 5, device)), {"reduction": "sum"}, "empty")]


def _prob(shape, dtype, device):
    p = _rng.uniform(0, 1, shape)
    return tt.tensor(p / p.sum(axis=1 if len(shape) > 1 else 0, keepdims=True), dtype=dtype, device=device)


def _ce_prob_samples(dtype, device):
    w = make((5,), dtype, device, low=0.5, high=2.0)
    return [Sample((make((3, 5), dtype, device), _prob((3, 5), dtype, device)), {}, "plain"),
            Sample((make((3, 5), dtype, device), _prob((3, 5), dtype, device)),
                   {"weight": w, "label_smoothing": 0.3, "reduction": "none"}, "weight-smooth"),
            Sample((make((2, 5, 2), dtype, device), _prob((2, 5, 2), dtype, device).transpose(0, 2)
                    .contiguous().transpose(0, 2)), {"reduction": "sum"}, "kdim-strided-target")]


def _log_softmax(x, cd):
    z = x - x.max(axis=cd, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=cd, keepdims=True))


def _wview(w, nd):
    s = [1] * nd
    s[1 if nd >= 2 else 0] = -1
    return w.reshape(s)


def _ce_ref(x, t, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """PyTorch's formulas (aten cross_entropy_loss_label_smoothing / _prob_target)."""
    nd = x.ndim
    cd = 1 if nd >= 2 else 0
    C = x.shape[cd]
    lp = _log_softmax(x, cd) if x.size else x
    w = np.ones(C) if weight is None else to_ref(weight)
    ls = label_smoothing
    if t.dtype.kind == "f":
        q = t * (1 - ls) + ls / C
        loss = -(lp * q * _wview(w, nd)).sum(axis=cd)
        return loss if reduction == "none" else (loss.sum() if reduction == "sum" else loss.sum() / (x.size / C))
    valid = t != ignore_index
    tc = np.where(valid, t, 0)
    lpt = np.take_along_axis(lp, np.expand_dims(tc, cd), axis=cd).squeeze(cd) if lp.size else np.zeros(t.shape)
    wt = np.where(valid, w[tc], 0)
    loss = -(1 - ls) * wt * lpt
    if ls > 0:
        loss = loss - ls / C * (lp * _wview(w, nd)).sum(axis=cd)
    loss = np.where(valid, loss, 0)
    return loss if reduction == "none" else (loss.sum() if reduction == "sum" else loss.sum() / wt.sum())


def _nll_samples(dtype, device):
    w = make((4,), dtype, device, low=0.5, high=2.0)
    return [Sample((make((3, 4), dtype, device), _idx((3,), 4, device)), {}, "plain"),
            Sample((make((3, 4), dtype, device), _idx((3,), 4, device, 1)), {"weight": w, "ignore_index": 1},
                   "weight-ignore"),
            Sample((make((2, 4, 3, 2), dtype, device), _idx((2, 3, 2), 4, device)), {"reduction": "none"}, "4d"),
            Sample((make((4, 3), dtype, device).t(), _idx((3,), 4, device)), {"weight": w, "reduction": "sum"},
                   "strided"),
            Sample((make((4,), dtype, device), _idx((), 4, device)), {}, "1d")]


def _nll_ref(x, t, weight=None, ignore_index=-100, reduction="mean"):
    cd = 1 if x.ndim >= 2 else 0
    w = np.ones(x.shape[cd]) if weight is None else to_ref(weight)
    valid = t != ignore_index
    tc = np.where(valid, t, 0)
    xt = np.take_along_axis(x, np.expand_dims(tc, cd), axis=cd).squeeze(cd)
    wt = np.where(valid, w[tc], 0)
    loss = -wt * xt
    return loss if reduction == "none" else (loss.sum() if reduction == "sum" else loss.sum() / wt.sum())


def _ce_bwd_samples(dtype, device):
    out = []
    for shape, tshape, kw, name in (((3, 5), (3,), {"weight": True, "ignore_index": 1, "label_smoothing": 0.2}, "idx"),
                                    ((2, 4, 3), (2, 3), {}, "kdim"),
                                    ((3, 5), (3, 5), {"weight": True, "label_smoothing": 0.1}, "prob")):
        x = make(shape, dtype)
        x64 = x.to(tt.float64)
        t = _prob(shape, tt.float64, "cpu") if tshape == shape else _idx(tshape, shape[1], "cpu", 1)
        w = make((shape[1],), tt.float64, low=0.5, high=2.0) if kw.get("weight") else None
        ii, ls = kw.get("ignore_index", -100), kw.get("label_smoothing", 0.0)
        _, stats = _CE.run((x64, t, w, ii, ls), {})
        sdt = tt.float32 if dtype.itemsize < 4 else dtype
        tt_ = t.to(dtype) if t.dtype.is_floating_point else t
        out.append(Sample((make(tshape if tshape != shape else shape[:1] + shape[2:], dtype, device), x.to(device),
                           tt_.to(device), None if w is None else w.to(dtype).to(device), stats.to(sdt).to(device),
                           ii, ls), {}, name))
    return out


def _ce_bwd_ref(g, x, t, weight, stats, ignore_index, label_smoothing):
    nd = x.ndim
    cd = 1 if nd >= 2 else 0
    C = x.shape[cd]
    p = np.exp(_log_softmax(x, cd))
    w = _wview(np.ones(C) if weight is None else weight, nd)
    ls = label_smoothing
    if t.dtype.kind == "f":
        wq = w * (t * (1 - ls) + ls / C)
    else:
        valid = np.expand_dims(t != ignore_index, cd)
        oh = np.arange(C).reshape(_wview(np.arange(C), nd).shape) == np.expand_dims(t, cd)
        wq = np.where(valid, w * ((1 - ls) * oh + ls / C), 0)
    return np.expand_dims(g, cd) * (p * wq.sum(axis=cd, keepdims=True) - wq)


def _nll_bwd_samples(dtype, device):
    w = make((4,), dtype, device, low=0.5, high=2.0)
    return [Sample((make((3,), dtype, device), _idx((3,), 4, device, 2), w, 2, (3, 4)), {}, "weight-ignore"),
            Sample((make((2, 3), dtype, device), _idx((2, 3), 4, device), None, -100, (2, 4, 3)), {}, "kdim")]


def _nll_bwd_ref(g, t, weight, ignore_index, shape):
    nd = len(shape)
    cd = 1 if nd >= 2 else 0
    C = shape[cd]
    w = np.ones(C) if weight is None else weight
    valid = t != ignore_index
    tc = np.where(valid, t, 0)
    wt = np.where(valid, w[tc], 0)
    oh = np.arange(C).reshape(_wview(np.arange(C), nd).shape) == np.expand_dims(tc, cd)
    return np.where(oh, np.expand_dims(-wt * g, cd), 0)


# --- pointwise losses (compositions) ----------------------------------------------------------

def _pw_samples(kind):
    def samples(dtype, device):
        lo, hi = (0.05, 0.95) if kind == "prob" else (-3, 3)
        x = lambda s: make(s, dtype, device, low=lo, high=hi)  # noqa: E731
        return [Sample((x((3, 4)), x((3, 4))), {}, "mean"),
                Sample((x((4, 2)).t(), x((2, 4))), {"reduction": "none"}, "strided-none")]
    return samples


def _pw_ref(elem):
    def ref(x, t, reduction="mean", **kw):
        L = elem(x, t, **{k: to_ref(v) for k, v in kw.items()})
        return L if reduction == "none" else (L.sum() if reduction == "sum" else L.mean())
    return ref


def _smooth_l1_e(x, t, beta=1.0):
    d = np.abs(x - t)
    return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)


def _huber_e(x, t, delta=1.0):
    d = np.abs(x - t)
    return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))


def _bce_e(x, t, weight=None):
    L = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log(1 - x), -100))
    return L if weight is None else L * weight


def _bcel_e(x, t, weight=None, pos_weight=None):
    sp = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)
    lw = 1 if pos_weight is None else (pos_weight - 1) * t + 1
    L = (1 - t) * x + lw * sp
    return L if weight is None else L * weight


def _kl_e(x, t, log_target=False):
    return np.exp(t) * (t - x) if log_target else np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0) - t * x


def _kl(*a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return F.kl_div(*a, **k)


def _kl_samples(dtype, device):
    s = _pw_samples("prob")(dtype, device)
    return s[:1] + [Sample((make((2, 3), dtype, device), make((2, 3), dtype, device, low=-2, high=0)),
                           {"log_target": True, "reduction": "sum"}, "log-target")]


def _kl_ref(x, t, reduction="mean", log_target=False):
    L = _kl_e(x, t, log_target)
    return L if reduction == "none" else (L.sum() if reduction == "sum" else L.mean())


def _bce_samples(dtype, device):
    s = _pw_samples("prob")(dtype, device)
    x, t = make((2, 3), dtype, device, low=0.05, high=0.95), make((2, 3), dtype, device, low=0, high=1)
    return s[:1] + [Sample((x, t), {"weight": make((3,), dtype, device, low=0.5, high=2)}, "weight")]


def _bcel_samples(dtype, device):
    s = _pw_samples("real")(dtype, device)
    return s[:1] + [Sample((make((2, 3), dtype, device), make((2, 3), dtype, device, low=0, high=1)),
                           {"weight": make((2, 1), dtype, device, low=0.5, high=2),
                            "pos_weight": make((3,), dtype, device, low=0.5, high=3)}, "weights")]


def _sign(shape, device):
    return tt.tensor(np.where(_rng.random(shape) > 0.5, 1.0, -1.0), dtype=tt.float64, device=device)


def _margin_samples(n_inputs):
    """(x[, x2], +-1 target) samples for the margin losses (compositions, float64)."""
    def samples(dtype, device):
        xs = lambda s: tuple(make(s, dtype, device) for _ in range(n_inputs))  # noqa: E731
        return [Sample(xs((3, 4)) + (_sign((3, 4), device),), {}, "mean"),
                Sample(xs((4, 2)) + (_sign((4, 2), device),), {"reduction": "none", "margin": 0.5}, "none-margin")]
    return samples


def _red_ref(elem):
    """A reduction over ``elem(*args, **kwargs)`` (any number of positional tensors)."""
    def ref(*args, reduction="mean", **kw):
        L = elem(*args, **kw)
        return L if reduction == "none" else (L.sum() if reduction == "sum" else L.mean())
    return ref


def _hinge_e(x, t, margin=1.0):
    return np.where(t != 1, np.maximum(margin - x, 0), 0) + np.where(t != -1, x, 0)


def _poisson_e(x, t, log_input=True):
    return np.exp(x) - t * x if log_input else x - t * np.log(x + 1e-8)


def _poisson_samples(dtype, device):
    return [Sample((make((3, 4), dtype, device), make((3, 4), dtype, device, low=0, high=3)), {}, "mean"),
            Sample((make((2, 3), dtype, device, low=0.5, high=2), make((2, 3), dtype, device, low=0, high=3)),
                   {"log_input": False, "reduction": "sum"}, "linear-sum")]


_C = ("__composite__",)
# The composites run in float64 only here (the registry ops they compose have their own entries);
# tests/test_loss.py compares them with PyTorch, half dtypes included.
_F64 = (tt.float64,)
OPS = [
    OpInfo("cross_entropy", F.cross_entropy, _ce_ref, _ce_samples, grad_args=(0,),
           covers=("cross_entropy_loss", "cross_entropy_loss_backward")),
    OpInfo("cross_entropy_prob", F.cross_entropy, _ce_ref, _ce_prob_samples, grad_args=(0, 1),
           covers=("cross_entropy_loss", "cross_entropy_loss_backward")),
    # The backward op's x-gradient differentiates through softmax(x) (``stats`` stand for x's own statistics, as in
    # double backward), so only grad is checked here; tests/test_loss.py gradgradchecks the composite.
    OpInfo("cross_entropy_loss_backward", cross_entropy_loss_backward, _ce_bwd_ref, _ce_bwd_samples, grad_args=(0,)),
    OpInfo("nll_loss", F.nll_loss, _nll_ref, _nll_samples, grad_args=(0,), covers=("nll_loss", "nll_loss_backward")),
    OpInfo("nll_loss_backward", nll_loss_backward, _nll_bwd_ref, _nll_bwd_samples, grad_args=(0,)),
    OpInfo("mse_loss", F.mse_loss, _pw_ref(lambda x, t: (x - t) ** 2), _pw_samples("real"), covers=_C, dtypes=_F64),
    OpInfo("l1_loss", F.l1_loss, _pw_ref(lambda x, t: np.abs(x - t)), _pw_samples("real"), covers=_C, dtypes=_F64),
    OpInfo("smooth_l1_loss", F.smooth_l1_loss, _pw_ref(_smooth_l1_e), _pw_samples("real"), covers=_C, dtypes=_F64),
    OpInfo("huber_loss", F.huber_loss, _pw_ref(_huber_e), _pw_samples("real"), covers=_C, dtypes=_F64),
    OpInfo("binary_cross_entropy", F.binary_cross_entropy, _pw_ref(_bce_e), _bce_samples, grad_args=(0, 1),
           covers=_C, dtypes=_F64),
    OpInfo("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits, _pw_ref(_bcel_e), _bcel_samples,
           grad_args=(0, 1), covers=_C, dtypes=_F64),
    OpInfo("kl_div", _kl, _kl_ref, _kl_samples, covers=_C, dtypes=_F64),
    OpInfo("poisson_nll_loss", F.poisson_nll_loss, _pw_ref(_poisson_e), _poisson_samples, grad_args=(0, 1),
           covers=_C, dtypes=_F64),
    OpInfo("margin_ranking_loss", F.margin_ranking_loss,
           _red_ref(lambda x1, x2, t, margin=0.0: np.maximum(-t * (x1 - x2) + margin, 0)), _margin_samples(2),
           grad_args=(0, 1), covers=_C, dtypes=_F64),
    OpInfo("hinge_embedding_loss", F.hinge_embedding_loss, _red_ref(_hinge_e), _margin_samples(1), grad_args=(0,),
           covers=_C, dtypes=_F64),
    OpInfo("soft_margin_loss", lambda x, t, margin=None, **k: F.soft_margin_loss(x, t, **k),
           _red_ref(lambda x, t, margin=None: np.log1p(np.exp(-t * x))), _margin_samples(1), grad_args=(0,),
           covers=_C, dtypes=_F64),
]
