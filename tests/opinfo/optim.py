"""Op-table entries of the fused optimizer ops (tritorch/_ops/optim.py).

The ops update lists in place, so each entry's ``fn`` runs the op on clones of the sample's
lists and returns every updated tensor (params first, then the state lists); ``ref`` applies the
algorithm's textbook formulas to float64 numpy copies.  Samples mix a matrix, a non-contiguous
vector, a 0-d tensor and an empty tensor in one group; per-tensor scalars differ per tensor.
"""
import numpy as np

from tritorch._ops import optim as O
from .core import OpInfo, Sample, make

_SHAPES = ((3, 4), (5,), (), (0,))


def _list(dtype, device, low=-2.0, high=2.0):
    return [make(s, dtype, device, low=low, high=high, noncontig=(i == 1)) for i, s in enumerate(_SHAPES)]


def _clone(lst):
    return [t.clone() for t in lst]


def _inplace(op):
    """fn(params, grads, *states, **kw): run ``op`` on clones; return params + states, flattened."""
    def fn(params, grads, *states, **kw):
        params = _clone(params)
        states = [_clone(s) for s in states]
        op(params, grads, *states, **kw)
        return tuple(params) + tuple(t for s in states for t in s)
    return fn


def _grad(g, p, wd, maximize):
    g = -g if maximize else g
    return g + wd * p if wd else g


def _lerp(s, e, w):
    return s + w * (e - s)


# --- numpy float64 references: (params, grads, *states) lists -> flattened updated lists ----------

def _ref_sgd(params, grads, bufs, *, lr, momentum, dampening, weight_decay, nesterov, maximize, is_first):
    ps, bs = [], []
    for i, (p, g) in enumerate(zip(params, grads)):
        g = _grad(g, p, weight_decay, maximize)
        if momentum:
            b = g.copy() if is_first[i] else bufs[i] * momentum + (1 - dampening) * g
            bs.append(b)
            g = g + momentum * b if nesterov else b
        ps.append(p - lr * g)
    return tuple(ps) + tuple(bs)


def _ref_adam(params, grads, ms, vs, vmaxs, *, lr, beta1, beta2, weight_decay, eps, amsgrad, maximize,
              decoupled_weight_decay, step_size, bias_correction2_sqrt):
    out = [[], [], [], []]
    for i, (p, g, m, v) in enumerate(zip(params, grads, ms, vs)):
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
            g = _grad(g, p, 0, maximize)
        else:
            g = _grad(g, p, weight_decay, maximize)
        m = _lerp(m, g, 1 - beta1)
        v = beta2 * v + (1 - beta2) * g * g
        den_v = v
        if amsgrad:
            den_v = np.maximum(vmaxs[i], v)
            out[3].append(den_v)
        p = p - step_size[i] * m / (np.sqrt(den_v) / bias_correction2_sqrt[i] + eps)
        for k, x in enumerate((p, m, v)):
            out[k].append(x)
    return tuple(x for lst in out for x in lst)


def _ref_adamax(params, grads, ms, us, *, beta1, beta2, eps, weight_decay, maximize, clr):
    ps, mo, uo = [], [], []
    for i, (p, g, m, u) in enumerate(zip(params, grads, ms, us)):
        g = _grad(g, p, weight_decay, maximize)
        m = _lerp(m, g, 1 - beta1)
        u = np.maximum(u * beta2, np.abs(g) + eps)
        ps.append(p - clr[i] * m / u)
        mo.append(m)
        uo.append(u)
    return tuple(ps + mo + uo)


def _ref_nadam(params, grads, ms, vs, *, lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize,
               bias_correction2, grad_coef, exp_avg_coef):
    ps, mo, vo = [], [], []
    for i, (p, g, m, v) in enumerate(zip(params, grads, ms, vs)):
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
            g = _grad(g, p, 0, maximize)
        else:
            g = _grad(g, p, weight_decay, maximize)
        m = _lerp(m, g, 1 - beta1)
        v = beta2 * v + (1 - beta2) * g * g
        den = np.sqrt(v / bias_correction2[i]) + eps
        ps.append(p + grad_coef[i] * g / den + exp_avg_coef[i] * m / den)
        mo.append(m)
        vo.append(v)
    return tuple(ps + mo + vo)


def _ref_radam(params, grads, ms, vs, *, lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize,
               bias_correction1, bias_correction2_sqrt, rect):
    ps, mo, vo = [], [], []
    for i, (p, g, m, v) in enumerate(zip(params, grads, ms, vs)):
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
            g = _grad(g, p, 0, maximize)
        else:
            g = _grad(g, p, weight_decay, maximize)
        m = _lerp(m, g, 1 - beta1)
        v = beta2 * v + (1 - beta2) * g * g
        upd = m / bias_correction1[i] * lr
        if rect[i] > 0:
            upd = upd * bias_correction2_sqrt[i] / (np.sqrt(v) + eps) * rect[i]
        ps.append(p - upd)
        mo.append(m)
        vo.append(v)
    return tuple(ps + mo + vo)


def _ref_rmsprop(params, grads, sqs, gas, bufs, *, lr, alpha, eps, weight_decay, momentum, centered, maximize):
    ps, so, go, bo = [], [], [], []
    for i, (p, g, sq) in enumerate(zip(params, grads, sqs)):
        g = _grad(g, p, weight_decay, maximize)
        sq = alpha * sq + (1 - alpha) * g * g
        so.append(sq)
        if centered:
            ga = _lerp(gas[i], g, 1 - alpha)
            go.append(ga)
            avg = np.sqrt(sq - ga * ga) + eps
        else:
            avg = np.sqrt(sq) + eps
        if momentum > 0:
            b = bufs[i] * momentum + g / avg
            bo.append(b)
            ps.append(p - lr * b)
        else:
            ps.append(p - lr * g / avg)
    return tuple(ps + so + go + bo)


def _ref_adagrad(params, grads, sums, *, eps, weight_decay, maximize, clr):
    ps, so = [], []
    for i, (p, g, s) in enumerate(zip(params, grads, sums)):
        g = _grad(g, p, weight_decay, maximize)
        s = s + g * g
        ps.append(p - clr[i] * g / (np.sqrt(s) + eps))
        so.append(s)
    return tuple(ps + so)


def _ref_adadelta(params, grads, sqs, accs, *, lr, rho, eps, weight_decay, maximize):
    ps, so, ao = [], [], []
    for p, g, sq, acc in zip(params, grads, sqs, accs):
        g = _grad(g, p, weight_decay, maximize)
        sq = rho * sq + (1 - rho) * g * g
        delta = np.sqrt(acc + eps) / np.sqrt(sq + eps) * g
        ao.append(rho * acc + (1 - rho) * delta * delta)
        so.append(sq)
        ps.append(p - lr * delta)
    return tuple(ps + so + ao)


def _ref_foreach_add(tensors, scalar):
    return tuple(t + scalar for t in tensors)


# --- samples ---------------------------------------------------------------------------------------

_PER = [0.9, 1.1, 0.7, 1.3]  # per-tensor scalars differ per tensor


def _per(scale):
    return [scale * x for x in _PER]


_RANGES = {"s": (-2.0, 2.0), "p": (0.1, 2.0), "L": (5.0, 8.0)}


def _samples(kinds, variants):
    """Samples with params, grads and one state list per letter of ``kinds`` (s: signed values,
    p: positive, L: large positive); a state list is empty where a variant's options leave it
    unused (``empty`` names its index in the arguments)."""
    def samples(dtype, device):
        out = []
        for name, kw, empty in variants:
            lists = [_list(dtype, device), _list(dtype, device)]
            lists += [_list(dtype, device, *_RANGES[k]) for k in kinds]
            for k in empty:
                lists[k] = []
            out.append(Sample(tuple(lists), dict(kw), name))
        return out
    return samples


def _foreach_samples(dtype, device):
    return [Sample(([make(s, dtype, device) for s in _SHAPES], 1.0), {}, "add-one")]


_SGD = dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01, nesterov=False, maximize=False,
            is_first=[True, False, False, True])
_ADAM = dict(lr=0.1, beta1=0.9, beta2=0.999, weight_decay=0.1, eps=1e-8, amsgrad=False, maximize=False,
             decoupled_weight_decay=False, step_size=_per(0.1), bias_correction2_sqrt=_per(0.5))
_NADAM = dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1, decoupled_weight_decay=False,
              maximize=False, bias_correction2=_per(0.5), grad_coef=_per(-0.05), exp_avg_coef=_per(-0.1))
_RADAM = dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1, decoupled_weight_decay=False,
              maximize=False, bias_correction1=_per(0.5), bias_correction2_sqrt=_per(0.3), rect=[0.8, 0.0, 0.9, 0.0])
_RMS = dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.1, momentum=0.5, centered=True, maximize=False)

OPS = [
    OpInfo("_foreach_add_", _inplace(O.foreach_add_),
           lambda ts, scalar: _ref_foreach_add(ts, scalar), _foreach_samples, grad=False),
    OpInfo("_fused_sgd_", _inplace(O.fused_sgd_), _ref_sgd, _samples("s", [
        ("momentum", _SGD, ()),
        ("nesterov-maximize", dict(_SGD, dampening=0, nesterov=True, maximize=True), ()),
        ("plain", dict(_SGD, momentum=0, weight_decay=0, is_first=[]), (2,))]), grad=False),
    OpInfo("_fused_adam_", _inplace(O.fused_adam_), _ref_adam, _samples("spp", [
        ("l2", _ADAM, (4,)),
        ("adamw-amsgrad-maximize", dict(_ADAM, decoupled_weight_decay=True, amsgrad=True, maximize=True), ()),
        ("low-beta1", dict(_ADAM, beta1=0.3, weight_decay=0), (4,))]), grad=False),
    OpInfo("_fused_adamax_", _inplace(O.fused_adamax_), _ref_adamax, _samples("sp", [
        ("wd", dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1, maximize=False, clr=_per(0.01)), ()),
        ("maximize", dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0, maximize=True, clr=_per(0.01)), ())]),
        grad=False),
    OpInfo("_fused_nadam_", _inplace(O.fused_nadam_), _ref_nadam, _samples("sp", [
        ("l2", _NADAM, ()), ("decoupled-maximize", dict(_NADAM, decoupled_weight_decay=True, maximize=True), ())]),
        grad=False),
    OpInfo("_fused_radam_", _inplace(O.fused_radam_), _ref_radam, _samples("sp", [
        ("l2", _RADAM, ()), ("decoupled-maximize", dict(_RADAM, decoupled_weight_decay=True, maximize=True), ())]),
        grad=False),
    OpInfo("_fused_rmsprop_", _inplace(O.fused_rmsprop_), _ref_rmsprop, _samples("Lss", [
        # square_avgs (L) stay above grad_avg ** 2, so the centered root is real
        ("centered-momentum", _RMS, ()),
        ("plain", dict(_RMS, momentum=0, centered=False, weight_decay=0), (3, 4))]), grad=False),
    OpInfo("_fused_adagrad_", _inplace(O.fused_adagrad_), _ref_adagrad, _samples("p", [
        ("wd", dict(eps=1e-10, weight_decay=0.1, maximize=False, clr=_per(0.1)), ()),
        ("maximize", dict(eps=1e-10, weight_decay=0, maximize=True, clr=_per(0.1)), ())]), grad=False),
    OpInfo("_fused_adadelta_", _inplace(O.fused_adadelta_), _ref_adadelta, _samples("pp", [
        ("wd", dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.1, maximize=False), ()),
        ("maximize", dict(lr=0.5, rho=0.9, eps=1e-6, weight_decay=0, maximize=True), ())]), grad=False),
]
