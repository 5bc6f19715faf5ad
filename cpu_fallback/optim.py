"""numpy implementations of the fused optimizer updates (see tritorch/_ops/optim.py for the ops).

Every update is a sequence of in-place ufuncs (``out=``) in PyTorch's single-tensor operation
order, so float32/float64 trajectories match PyTorch's to the last bit or so (PyTorch's CPU
kernels contract some ``a + alpha * b`` into FMAs; numpy does not).  Temporaries come from a
few scratch buffers sized once per call to the group's largest tensor, not one set per
parameter.  float16/bfloat16 tensors are updated in float32 and rounded once when stored.
"""
import ml_dtypes
import numpy as np

__all__ = ["IMPLS"]

_HALF = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16))


class _Group:
    """Iterates over the tensors of one group: per index, the compute-dtype arrays of each list
    (None for an empty list), scratch arrays of that shape, and the write-back of half types."""

    def __init__(self, params, lists, n_scratch):
        self.params = params
        self.lists = lists
        self.half = params[0].dtype in _HALF
        self.dtype = np.dtype(np.float32) if self.half else params[0].dtype
        width = max(p.size for p in params)
        self.scratch = np.empty((n_scratch, width), self.dtype)

    def __iter__(self):
        views = {}  # scratch views by shape: models repeat a few shapes many times
        for i, p in enumerate(self.params):
            arrays = [lst[i] if lst else None for lst in self.lists]
            if self.half:
                arrays = [None if a is None else a.astype(np.float32) for a in arrays]
            temps = views.get(p.shape)
            if temps is None:
                temps = views[p.shape] = [row[:p.size].reshape(p.shape) for row in self.scratch]
            yield i, arrays, temps
            if self.half:
                for lst, a in zip(self.lists[1:], arrays[1:]):
                    if a is not None and lst is not self.lists[1]:
                        lst[i][...] = a
                self.params[i][...] = arrays[0]

    def scalar(self, x):
        """A Python number as the compute dtype (PyTorch casts scalars to the tensor's opmath type)."""
        return self.dtype.type(x)


def _grad(grad, p, weight_decay, maximize, G, T):
    """``-grad`` when maximizing, plus ``weight_decay * p`` (``grad.add(p, alpha=wd)``); the grad
    itself when neither applies (it is never written)."""
    g = grad
    if maximize:
        g = np.negative(grad, out=G)
    if weight_decay != 0:
        np.multiply(p, weight_decay, out=T)
        g = np.add(g, T, out=G)
    return g


def _lerp_(s, end, w, T, grp):
    """``s.lerp_(end, w)`` with PyTorch's two formulas (|w| < 0.5 from ``s``, else from ``end``)."""
    w = grp.scalar(w)
    np.subtract(end, s, out=T)
    if abs(w) < 0.5:
        np.multiply(T, w, out=T)
        np.add(s, T, out=s)
    else:
        np.multiply(T, grp.scalar(1) - w, out=T)
        np.subtract(end, T, out=s)


def _ema_sq_(v, g, beta, T):
    """``v.mul_(beta).addcmul_(g, g, value=1 - beta)``."""
    np.multiply(v, beta, out=v)
    np.multiply(g, 1 - beta, out=T)
    np.multiply(T, g, out=T)
    np.add(v, T, out=v)


def _addcdiv_(p, a, b, value, T):
    """``p.addcdiv_(a, b, value=value)`` = p + value * (a / b)."""
    np.divide(a, b, out=T)
    np.multiply(T, value, out=T)
    np.add(p, T, out=p)


def foreach_add(out, tensors, scalar):
    for t in tensors:
        np.add(t, scalar, out=t)


def fused_sgd(out, params, grads, momentum_buffers, *, lr, momentum, dampening, weight_decay, nesterov, maximize,
              is_first):
    grp = _Group(params, [params, grads, momentum_buffers], 2)
    for i, (p, grad, buf), (G, T) in grp:
        g = _grad(grad, p, weight_decay, maximize, G, T)
        if momentum != 0:
            if is_first[i]:
                np.copyto(buf, g)
            else:
                np.multiply(buf, momentum, out=buf)
                if dampening != 0:  # alpha 1 - 0 scales by one: skip the exact no-op pass
                    g_scaled = np.multiply(g, 1 - dampening, out=T)
                else:
                    g_scaled = g
                np.add(buf, g_scaled, out=buf)
            if nesterov:
                np.multiply(buf, momentum, out=T)
                g = np.add(g, T, out=G)
            else:
                g = buf
        np.multiply(g, -lr, out=T)
        np.add(p, T, out=p)


def fused_adam(out, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, *, lr, beta1, beta2, weight_decay, eps,
               amsgrad, maximize, decoupled_weight_decay, step_size, bias_correction2_sqrt):
    grp = _Group(params, [params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs], 2)
    for i, (p, grad, m, v, vmax), (G, T) in grp:
        if weight_decay != 0 and decoupled_weight_decay:
            np.multiply(p, 1 - lr * weight_decay, out=p)
            g = _grad(grad, p, 0, maximize, G, T)
        else:
            g = _grad(grad, p, weight_decay, maximize, G, T)
        _lerp_(m, g, 1 - beta1, T, grp)
        _ema_sq_(v, g, beta2, T)
        if amsgrad:
            np.maximum(vmax, v, out=vmax)
            v = vmax
        np.sqrt(v, out=T)
        np.divide(T, bias_correction2_sqrt[i], out=T)
        np.add(T, eps, out=T)
        _addcdiv_(p, m, T, -step_size[i], T)


def fused_adamax(out, params, grads, exp_avgs, exp_infs, *, beta1, beta2, eps, weight_decay, maximize, clr):
    grp = _Group(params, [params, grads, exp_avgs, exp_infs], 2)
    for i, (p, grad, m, u), (G, T) in grp:
        g = _grad(grad, p, weight_decay, maximize, G, T)
        _lerp_(m, g, 1 - beta1, T, grp)
        np.multiply(u, beta2, out=u)
        np.abs(g, out=T)
        np.add(T, eps, out=T)
        np.maximum(u, T, out=u)
        _addcdiv_(p, m, u, -clr[i], T)


def fused_nadam(out, params, grads, exp_avgs, exp_avg_sqs, *, lr, beta1, beta2, eps, weight_decay,
                decoupled_weight_decay, maximize, bias_correction2, grad_coef, exp_avg_coef):
    grp = _Group(params, [params, grads, exp_avgs, exp_avg_sqs], 3)
    for i, (p, grad, m, v), (G, T, D) in grp:
        if weight_decay != 0 and decoupled_weight_decay:
            np.multiply(p, 1 - lr * weight_decay, out=p)
            g = _grad(grad, p, 0, maximize, G, T)
        else:
            g = _grad(grad, p, weight_decay, maximize, G, T)
        _lerp_(m, g, 1 - beta1, T, grp)
        _ema_sq_(v, g, beta2, T)
        np.divide(v, bias_correction2[i], out=D)
        np.sqrt(D, out=D)
        np.add(D, eps, out=D)
        _addcdiv_(p, g, D, grad_coef[i], T)
        _addcdiv_(p, m, D, exp_avg_coef[i], T)


def fused_radam(out, params, grads, exp_avgs, exp_avg_sqs, *, lr, beta1, beta2, eps, weight_decay,
                decoupled_weight_decay, maximize, bias_correction1, bias_correction2_sqrt, rect):
    grp = _Group(params, [params, grads, exp_avgs, exp_avg_sqs], 3)
    for i, (p, grad, m, v), (G, T, A) in grp:
        if weight_decay != 0 and decoupled_weight_decay:
            np.multiply(p, 1 - lr * weight_decay, out=p)
            g = _grad(grad, p, 0, maximize, G, T)
        else:
            g = _grad(grad, p, weight_decay, maximize, G, T)
        _lerp_(m, g, 1 - beta1, T, grp)
        _ema_sq_(v, g, beta2, T)
        np.divide(m, bias_correction1[i], out=T)
        np.multiply(T, lr, out=T)
        if rect[i] > 0:  # rho_t > 5: bias_corrected_exp_avg * lr * adaptive_lr * rect
            np.sqrt(v, out=A)
            np.add(A, eps, out=A)
            np.divide(grp.scalar(bias_correction2_sqrt[i]), A, out=A)
            np.multiply(T, A, out=T)
            np.multiply(T, rect[i], out=T)
        np.subtract(p, T, out=p)


def fused_rmsprop(out, params, grads, square_avgs, grad_avgs, momentum_buffers, *, lr, alpha, eps, weight_decay,
                  momentum, centered, maximize):
    grp = _Group(params, [params, grads, square_avgs, grad_avgs, momentum_buffers], 3)
    for i, (p, grad, sq, ga, buf), (G, T, A) in grp:
        g = _grad(grad, p, weight_decay, maximize, G, T)
        _ema_sq_(sq, g, alpha, T)
        if centered:
            _lerp_(ga, g, 1 - alpha, T, grp)
            np.multiply(ga, -1, out=A)  # square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            np.multiply(A, ga, out=A)
            np.add(sq, A, out=A)
            np.sqrt(A, out=A)
        else:
            np.sqrt(sq, out=A)
        np.add(A, eps, out=A)
        if momentum > 0:
            np.multiply(buf, momentum, out=buf)
            np.divide(g, A, out=T)
            np.add(buf, T, out=buf)
            np.multiply(buf, -lr, out=T)
            np.add(p, T, out=p)
        else:
            _addcdiv_(p, g, A, -lr, T)


def fused_adagrad(out, params, grads, state_sums, *, eps, weight_decay, maximize, clr):
    grp = _Group(params, [params, grads, state_sums], 2)
    for i, (p, grad, s), (G, T) in grp:
        g = _grad(grad, p, weight_decay, maximize, G, T)
        np.multiply(g, g, out=T)
        np.add(s, T, out=s)
        np.sqrt(s, out=T)
        np.add(T, eps, out=T)
        _addcdiv_(p, g, T, -clr[i], T)


def fused_adadelta(out, params, grads, square_avgs, acc_deltas, *, lr, rho, eps, weight_decay, maximize):
    grp = _Group(params, [params, grads, square_avgs, acc_deltas], 3)
    for i, (p, grad, sq, acc), (G, T, D) in grp:
        g = _grad(grad, p, weight_decay, maximize, G, T)
        _ema_sq_(sq, g, rho, T)
        np.add(sq, eps, out=T)  # std
        np.sqrt(T, out=T)
        np.add(acc, eps, out=D)  # delta
        np.sqrt(D, out=D)
        np.divide(D, T, out=D)
        np.multiply(D, g, out=D)
        _ema_sq_(acc, D, rho, T)
        np.multiply(D, -lr, out=D)
        np.add(p, D, out=p)


IMPLS = {"_foreach_add_": foreach_add, "_fused_sgd_": fused_sgd, "_fused_adam_": fused_adam,
         "_fused_adamax_": fused_adamax, "_fused_nadam_": fused_nadam, "_fused_radam_": fused_radam,
         "_fused_rmsprop_": fused_rmsprop, "_fused_adagrad_": fused_adagrad, "_fused_adadelta_": fused_adadelta}
