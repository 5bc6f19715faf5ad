"""Loss functions (``torch.nn.functional.cross_entropy``, ``nll_loss``, ``mse_loss``, ...).

Registry ops (fused kernels on cuda, numpy twins on cpu):
  * ``cross_entropy_loss(x, target, weight, ignore_index, label_smoothing) -> (loss, stats)``: the
    unreduced loss per row straight from the logits (one pass: online logsumexp, the target logit, the
    label-smoothing / probability-target sums; no softmax is materialised) and per-row ``stats``
    (row max, log exp-sum, S = sum_c w_c q_c, mean-denominator weight) in the compute dtype.
  * ``cross_entropy_loss_backward(g, x, target, weight, stats, ignore_index, label_smoothing)``: one
    pass recomputing softmax from the logits and the saved stats: dx = g * (softmax(x) * S - w * q).
  * ``nll_loss(x, target, weight, ignore_index) -> (loss, wt)`` and
    ``nll_loss_backward(g, target, weight, ignore_index, shape)`` (a dense scatter of -w_t g).
Both backward ops record their own autograd node (written in differentiable tensor ops), so double
backward works.  The reductions (sum; mean = sum / sum of target weights, or / rows for probability
targets) compose registry ops over the per-row results.

Class-index targets are validated on the device: an out-of-range index other than ``ignore_index``
raises ``IndexError("Target 5 is out of bounds.")`` like PyTorch's CPU kernels; on cuda this costs
one host sync per forward (the kernel writes an offending target into a one-element buffer).

The pointwise losses (``mse_loss``, ``l1_loss``, ``smooth_l1_loss``, ``huber_loss``,
``binary_cross_entropy``, ``binary_cross_entropy_with_logits``, ``kl_div``) compose registry ops (an
elementwise chain plus one reduction; no dedicated kernel, as each is memory-bound and small next to
the layers that produce its input) and record one node named like PyTorch's (``MseLossBackward0``, ...)
whose backward is written in differentiable tensor ops.
"""
import warnings

from .._dtype import TORCH_NAMES
from ..autograd.grad_mode import no_grad
from ._common import (def_op, Node, record, STATE, check_tensor, check_optional_tensor, shape_str,
                      broadcast_shapes)
from .pointwise import sum_to
from .pointwise_ternary import where as _where

__all__ = []
_E = {}
_INT_TARGETS = ("int64", "uint8")


# --- argument checks --------------------------------------------------------------------------

def _cdim(ndim):
    return 1 if ndim >= 2 else 0


def _row_shape(shape):
    return tuple(shape[:1]) + tuple(shape[2:]) if len(shape) >= 2 else ()


def _check_index_target(op, x, target):
    if target.dtype.name not in _INT_TARGETS:
        raise RuntimeError(f"{op}: expected target dtype to be Long or Byte, but got {TORCH_NAMES[target.dtype]}")
    xs, ts = tuple(x._data.shape), tuple(target._data.shape)
    if len(xs) == 1:
        if ts != ():
            raise ValueError(f"{op}: for 1D input, the target must be 0-d (a class index), but got target size: "
                             f"{shape_str(ts)}")
    elif len(xs) >= 2:
        if not ts or ts[0] != xs[0]:
            raise ValueError(f"Expected input batch_size ({xs[0]}) to match target batch_size "
                             f"({ts[0] if ts else 0}).")
        if ts != _row_shape(xs):
            raise RuntimeError(f"{op}: Expected target size {shape_str(_row_shape(xs))}, got {shape_str(ts)}")


def _check_common(op, x, weight):
    check_tensor(x, op)
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f'{op}: "log_softmax_lastdim_kernel_impl" not implemented for '
                                  f"'{TORCH_NAMES[x.dtype]}'" if op.startswith("cross") else
                                  f"{op}: expected a floating input, got {TORCH_NAMES[x.dtype]}")
    if x._data.ndim == 0:
        raise RuntimeError(f"{op}: input must have at least 1 dimension (the class dim), got a 0-d tensor")
    C = x._data.shape[_cdim(x._data.ndim)]
    if weight is not None:
        check_tensor(weight, op, "weight")
        if tuple(weight._data.shape) != (C,):
            raise RuntimeError(f"{op}: weight tensor should be defined either for all {C} classes or no classes but "
                               f"got weight tensor of shape: {shape_str(weight._data.shape)}")
        if weight.dtype is not x.dtype:
            raise RuntimeError(f"{op}: expected scalar type {TORCH_NAMES[x.dtype]} but found "
                               f"{TORCH_NAMES[weight.dtype]} (weight)")
    return C


def _stats_dtype(dt):
    from .._dtype import float32
    return float32 if dt.itemsize < 4 else dt


def _meta_ce(x, target, weight, ignore_index, label_smoothing):
    op = "cross_entropy"
    _check_common(op, x, weight)
    check_tensor(target, op, "target")
    if target.dtype.is_floating_point and tuple(target._data.shape) == tuple(x._data.shape):
        if target.dtype is not x.dtype:
            raise RuntimeError(f"{op}: expected probability target of dtype {TORCH_NAMES[x.dtype]}, got "
                               f"{TORCH_NAMES[target.dtype]}")
        if ignore_index != -100:
            raise RuntimeError("ignore_index is not supported for floating point target")
    else:
        _check_index_target(op, x, target)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    rows = _row_shape(x._data.shape)
    return (rows, x.dtype), (rows + (4,), _stats_dtype(x.dtype))


_meta_ce.__doc__ = ("cross_entropy_loss: per-row loss from logits (class dim 1, or 0 for 1-d input) and per-row "
                    "stats (max, log exp-sum, S, mean weight); class-index (int64/uint8, row-shaped) or probability "
                    "(input-shaped float) targets.")


def _meta_ce_bwd(grad, x, target, weight, stats, ignore_index, label_smoothing):
    """cross_entropy_loss_backward: dlogits = g * (softmax * S - w * q); g broadcasts to the row shape."""
    op = "cross_entropy_loss_backward"
    _meta_ce(x, target, weight, ignore_index, label_smoothing)
    check_tensor(grad, op, "grad")
    rows = _row_shape(x._data.shape)
    if broadcast_shapes(tuple(grad._data.shape), rows, op=op) != rows or grad.dtype is not x.dtype:
        raise RuntimeError(f"{op}: grad of shape {shape_str(grad._data.shape)} and dtype {grad.dtype} must broadcast "
                           f"to {shape_str(rows)} with dtype {x.dtype}")
    if tuple(stats._data.shape) != rows + (4,):
        raise RuntimeError(f"{op}: stats must have shape {shape_str(rows + (4,))}")
    return x._data.shape, x.dtype


def _meta_nll(x, target, weight, ignore_index):
    """nll_loss: per-row -w_t * x_t (0 where ignored) and the target weight w_t (0 where ignored)."""
    op = "nll_loss"
    _check_common(op, x, weight)
    check_tensor(target, op, "target")
    _check_index_target(op, x, target)
    rows = _row_shape(x._data.shape)
    return (rows, x.dtype), (rows, _stats_dtype(x.dtype))


def _meta_nll_bwd(grad, target, weight, ignore_index, shape):
    """nll_loss_backward: dx of input shape ``shape`` with -w_t * g at each row's target, 0 elsewhere."""
    op = "nll_loss_backward"
    check_tensor(grad, op, "grad")
    shape = tuple(shape)
    if not grad.dtype.is_floating_point or not shape:
        raise RuntimeError(f"{op}: expected a floating grad and an input shape of >= 1 dims")
    rows = _row_shape(shape)
    if broadcast_shapes(tuple(grad._data.shape), rows, op=op) != rows:
        raise RuntimeError(f"{op}: grad of shape {shape_str(grad._data.shape)} must broadcast to {shape_str(rows)}")
    if tuple(target._data.shape) != rows or target.dtype.name not in _INT_TARGETS:
        raise RuntimeError(f"{op}: target must be an int64/uint8 tensor of shape {shape_str(rows)}")
    C = shape[_cdim(len(shape))]
    if weight is not None and (tuple(weight._data.shape) != (C,) or weight.dtype is not grad.dtype):
        raise RuntimeError(f"{op}: weight must have shape [{C}] and dtype {grad.dtype}")
    return shape, grad.dtype


_CE = def_op("cross_entropy_loss", _meta_ce, nout=2)
_CE_BWD = def_op("cross_entropy_loss_backward", _meta_ce_bwd)
_NLL = def_op("nll_loss", _meta_nll, nout=2)
_NLL_BWD = def_op("nll_loss_backward", _meta_nll_bwd)


# --- helpers --------------------------------------------------------------------------------

def _reduction(size_average, reduce, reduction):
    """PyTorch's legacy ``size_average``/``reduce`` handling (with its deprecation warning)."""
    if size_average is not None or reduce is not None:
        sa = True if size_average is None else size_average
        rd = True if reduce is None else reduce
        reduction = "mean" if sa and rd else ("sum" if rd else "none")
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                      "instead.", UserWarning, stacklevel=3)
    return reduction


def _check_reduction(reduction, allowed=("none", "mean", "sum")):
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _class_view(t, ndim):
    """A per-row tensor (row shape) unsqueezed at the class dim, to broadcast against the input."""
    return t.unsqueeze(_cdim(ndim))


def _weight_view(w, ndim):
    shape = [1] * ndim
    shape[_cdim(ndim)] = -1
    return w.reshape(shape)


def _row_grad(g, node):
    """The upstream gradient of the reduced loss as a per-row gradient (row shape)."""
    if node.reduction == "none":
        return g
    if node.reduction == "mean":
        g = g / node.denom
    return g.to(node.dtype).expand(node.rows)


def _reduce_rows(loss, denom_rows, reduction, n_rows=None):
    """Reduce per-row losses: sum, or mean = sum / sum(denominator weights) (or / n_rows)."""
    if reduction == "none":
        return loss, None
    total = loss.sum()
    if reduction == "sum":
        return total, None
    denom = denom_rows.sum() if n_rows is None else float(n_rows)
    return (total / denom).to(loss.dtype), denom


def _no_weight_grad(op, weight):
    check_optional_tensor(weight, op, "weight")
    if weight is not None and weight._requires_grad and STATE.enabled:
        raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument 'weight'. This input "
                           "cannot have requires_grad True.")


# --- cross entropy: autograd ----------------------------------------------------------------

class CrossEntropyLossBackward0(Node):
    """Backward of the fused cross entropy (PyTorch's graph shows NllLossBackward0 over
    LogSoftmaxBackward0, as it composes log_softmax + nll_loss; here one fused node).
    Gradients: the logits through the fused backward op; probability targets:
    dt = -g * (1 - ls) * w * log_softmax(x)."""

    def backward(self, g):
        x, target, weight, stats = self.saved_tensors
        gr = _row_grad(g, self)
        dx = dt = None
        if self.needs_input_grad[0]:
            dx = cross_entropy_loss_backward(gr, x, target, weight, stats, self.ignore_index, self.label_smoothing)
        if len(self.needs_input_grad) > 1 and self.needs_input_grad[1]:
            nd = x.ndim
            lp = x.log_softmax(_cdim(nd))
            if weight is not None:
                lp = lp * _weight_view(weight, nd)
            dt = -(_class_view(gr, nd) * lp) * (1.0 - max(self.label_smoothing, 0.0))
        return (dx, dt) if len(self.needs_input_grad) > 1 else (dx,)


class CrossEntropyLossBackwardBackward0(Node):
    """Gradients of dx = g * (p * S - w * q), p = softmax(x):
    w.r.t. g (per row): sum_c gg * (p * S - w * q) (= sum_c gg * D with D the backward at g = 1);
    w.r.t. x: g * S * p * (gg - sum_c gg * p);
    w.r.t. probability targets: g * (1 - ls) * w * (sum_c gg * p - gg)."""

    def backward(self, gg):
        g, x, target, weight, stats = self.saved_tensors
        nd = x.ndim
        cd = _cdim(nd)
        out = [None] * len(self.needs_input_grad)
        p = x.softmax(cd)
        gp = _class_view((gg * p).sum(cd), nd)
        if self.needs_input_grad[0]:
            ones = g.new_ones(()).expand(tuple(stats.shape[:-1]))
            D = cross_entropy_loss_backward(ones, x, target, weight, stats, self.ignore_index, self.label_smoothing)
            out[0] = sum_to((gg * D).sum(cd), tuple(g.shape))
        gb = _class_view(g.expand(tuple(stats.shape[:-1])), nd)
        if self.needs_input_grad[1]:
            S = _class_view(stats.select(-1, 2).to(x.dtype), nd)
            out[1] = gb * S * p * (gg - gp)
        if len(out) > 2 and self.needs_input_grad[2]:
            t = (gp - gg) * gb * (1.0 - max(self.label_smoothing, 0.0))
            out[2] = t * _weight_view(weight, nd) if weight is not None else t
        return tuple(out)


def cross_entropy_loss_backward(grad, input, target, weight, stats, ignore_index=-100, label_smoothing=0.0):
    """dlogits of the fused cross entropy for a per-row upstream gradient ``grad`` (fused op; differentiable).
    Its recorded gradient w.r.t. ``input`` differentiates through softmax(input): ``stats`` stand for the
    statistics of ``input`` itself (as in double backward), not for independent constants."""
    r = _CE_BWD.run((grad, input, target, weight, stats, ignore_index, label_smoothing), _E)
    prob = target.dtype.is_floating_point
    ins = (grad, input, target) if prob else (grad, input)
    if STATE.enabled and any(t._requires_grad for t in ins):
        n = CrossEntropyLossBackwardBackward0()
        n.ignore_index, n.label_smoothing = ignore_index, label_smoothing
        n.save_for_backward(grad, input, target, weight, stats)
        record(n, ins, (r,))
    return r


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """``torch.nn.functional.cross_entropy`` from logits in one fused kernel (no softmax buffer): class-index
    targets (row-shaped int64, class dim 1) or probability targets (input-shaped float), ``weight``,
    ``ignore_index`` (mean divides by the summed weights of non-ignored targets: all ignored gives nan),
    ``label_smoothing`` (PyTorch's formula: (1 - ls) * nll + ls / C * sum_c w_c * -log p_c, both over the same
    denominator), reductions none/mean/sum.  Saves only per-row statistics for the backward."""
    check_tensor(input, "cross_entropy")
    check_tensor(target, "cross_entropy", "target")
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _no_weight_grad("cross_entropy", weight)
    ls = float(label_smoothing) if label_smoothing > 0 else 0.0
    prob = target.dtype.is_floating_point and tuple(target.shape) == tuple(input.shape)
    if prob and target.dtype is not input.dtype and input.dtype.is_floating_point:
        target = target.to(input.dtype)
    with no_grad():
        loss, stats = _CE.run((input, target, weight, ignore_index, label_smoothing), _E)
        rows = tuple(loss.shape)
        n_rows = loss.numel() if prob else None
        out, denom = _reduce_rows(loss, stats.select(-1, 3), reduction, n_rows)
    ins = (input, target) if prob else (input,)
    if STATE.enabled and any(t._requires_grad for t in ins):
        n = CrossEntropyLossBackward0()
        n.ignore_index, n.label_smoothing, n.reduction, n.denom = ignore_index, ls, reduction, denom
        n.rows, n.dtype = rows, input.dtype
        n.save_for_backward(input, target, weight, stats)
        record(n, ins, (out,))
    return out


# --- nll loss ---------------------------------------------------------------------------------

class NllLossBackward0(Node):
    def backward(self, g):
        target, weight = self.saved_tensors
        return (nll_loss_backward(_row_grad(g, self), target, weight, self.ignore_index, self.shape),)


class NllLoss2DBackward0(NllLossBackward0):
    """PyTorch's name for 4-d inputs (its nll_loss2d)."""


class NllLossBackwardBackward0(Node):
    """nll_loss_backward is linear in g: its gradient w.r.t. g is the forward gather -w_t * gg[t]."""

    def backward(self, gg):
        target, weight = self.saved_tensors
        r, _ = _NLL.run((gg, target, weight, self.ignore_index), _E)
        return (sum_to(r, self.gshape),)


def nll_loss_backward(grad, target, weight, ignore_index, shape):
    """dx of nll_loss for a per-row gradient ``grad`` (fused op; differentiable w.r.t. ``grad``)."""
    r = _NLL_BWD.run((grad, target, weight, ignore_index, tuple(shape)), _E)
    if STATE.enabled and grad._requires_grad:
        n = NllLossBackwardBackward0()
        n.ignore_index, n.gshape = ignore_index, tuple(grad.shape)
        n.save_for_backward(target, weight)
        record(n, (grad,), (r,))
    return r


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """``torch.nn.functional.nll_loss`` (a gather kernel; backward a dense scatter kernel): class dim 1 (0 for a
    1-d input), ``weight``, ``ignore_index`` (mean divides by the summed weights of non-ignored targets)."""
    check_tensor(input, "nll_loss")
    check_tensor(target, "nll_loss", "target")
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _no_weight_grad("nll_loss_forward", weight)
    with no_grad():
        loss, wt = _NLL.run((input, target, weight, ignore_index), _E)
        out, denom = _reduce_rows(loss, wt, reduction)
    if STATE.enabled and input._requires_grad:
        n = (NllLoss2DBackward0 if input.ndim == 4 else NllLossBackward0)()
        n.ignore_index, n.reduction, n.denom, n.shape = ignore_index, reduction, denom, tuple(input.shape)
        n.rows, n.dtype = tuple(loss.shape), input.dtype
        n.save_for_backward(target, weight)
        record(n, (input,), (out,))
    return out


# --- pointwise losses (compositions) -----------------------------------------------------------

class _PointwiseLossNode(Node):
    """Backward of an elementwise loss L(x, t) followed by a reduction: ``self.grads(x, t, params)`` gives the
    elementwise dL/dx / ``scale`` and dL/dt (None: dL/dt = -dL/dx), in differentiable tensor ops; weights are
    constants.  The constant ``scale`` and the reduction's 1/n fold into the (0-d) upstream gradient."""

    scale = 1.0

    def backward(self, g):
        x, t, w = self.saved_tensors
        if self.reduction == "mean":
            g = g / self.denom
        if self.scale != 1.0:
            g = g * self.scale
        if w is not None:
            g = g * w
        dx, dt = self.grads(x, t, self.params)
        gx = g * dx
        gt = (-gx if dt is None else g * dt) if self.needs_input_grad[1] else None
        gx = sum_to(gx, tuple(x.shape)) if self.needs_input_grad[0] else None
        return gx, None if gt is None else sum_to(gt, tuple(t.shape))


def _node(name, grads, scale=1.0):
    return type(name, (_PointwiseLossNode,), {"grads": staticmethod(grads), "scale": scale,
                                              "__doc__": f"{name}: {grads.__doc__}"})


def _size_warning(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", UserWarning, stacklevel=3)


def _pointwise_loss(op, node_cls, input, target, reduction, elem, params=(), weight=None, weight_in_mean=False,
                    allowed=("none", "mean", "sum")):
    """Forward ``elem(x, t, params)`` (no grad), optional weight, reduction; records ``node_cls``."""
    check_tensor(input, op)
    check_tensor(target, op, "target")
    _check_reduction(reduction, allowed)
    with no_grad():
        L = elem(input, target, params)
        if weight is not None:
            L = L * weight
        denom = None
        if reduction in ("none",):
            out = L
        elif reduction == "sum" or reduction == "batchmean":
            out = L.sum()
            if reduction == "batchmean" and input.ndim != 0:
                denom = float(input.shape[0])
                out = out / denom
        elif weight_in_mean and weight is not None:
            denom = weight.sum()
            out = (L.sum() / denom).to(L.dtype)
        else:
            denom = float(L.numel())
            out = L.mean()
    if STATE.enabled and (input._requires_grad or target._requires_grad):
        n = node_cls()
        n.reduction = "mean" if reduction == "batchmean" else reduction
        n.denom = 1.0 if reduction == "batchmean" and denom is None else denom
        n.params = params
        n.save_for_backward(input, target, weight)
        record(n, (input, target), (out,))
    return out


def _mse(x, t, p):
    d = x - t
    return d * d


def _mse_grads(x, t, p):
    """dx = 2 (x - t) (the 2 is the node's scale), dt = -dx."""
    return x - t, None


def _l1(x, t, p):
    return (x - t).abs()


def _l1_grads(x, t, p):
    """dx = sign(x - t), dt = -dx."""
    return (x - t).sign(), None


def _smooth_l1(x, t, p):
    beta, = p
    d = x - t
    ad = d.abs()
    return _where(ad >= beta, ad - 0.5 * beta, d * d * (0.5 / beta))


def _smooth_l1_grads(x, t, p):
    """dx = d / beta inside |d| < beta, sign(d) outside; dt = -dx."""
    beta, = p
    d = x - t
    return _where(d.abs() >= beta, d.sign(), d * (1.0 / beta)), None


def _huber(x, t, p):
    delta, = p
    d = x - t
    ad = d.abs()
    return _where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)


def _huber_grads(x, t, p):
    """dx = clamp(x - t, -delta, delta), dt = -dx."""
    delta, = p
    return (x - t).clamp(-delta, delta), None


def _clamped_logs(x):
    return x.log().clamp(min=-100.0), (1.0 - x).log().clamp(min=-100.0)


def _bce(x, t, p):
    lx, l1x = _clamped_logs(x)
    return -(t * lx + (1.0 - t) * l1x)


def _bce_grads(x, t, p):
    """dx = (x - t) / max(x (1 - x), 1e-12) (PyTorch's formula), dt = log(1 - x) - log(x) (clamped at -100)."""
    lx, l1x = _clamped_logs(x)
    return (x - t) / (x * (1.0 - x)).clamp(min=1e-12), l1x - lx


def _softplus_neg(x):
    """log(1 + exp(-x)), stable: log1p(exp(-|x|)) + max(-x, 0)."""
    return (-x.abs()).exp().log1p() + (-x).clamp(min=0.0)


def _bce_logits(x, t, p):
    pw, = p
    sp = _softplus_neg(x)
    if pw is None:
        return (1.0 - t) * x + sp
    return (1.0 - t) * x + ((pw - 1.0) * t + 1.0) * sp


def _bce_logits_grads(x, t, p):
    """dx = (1 + (pw - 1) t) sigmoid(x) - pw t; dt = -x + (pw - 1) softplus(-x)."""
    pw, = p
    s = x.sigmoid()
    if pw is None:
        return s - t, -x
    return ((pw - 1.0) * t + 1.0) * s - pw * t, (pw - 1.0) * _softplus_neg(x) - x


def _kl(x, t, p):
    log_target, = p
    if log_target:
        return t.exp() * (t - x)
    return _where(t != 0, t * t.log(), t * 0.0) - t * x


def _kl_grads(x, t, p):
    """dx = -t (log_target: -exp(t)); dt = log t + 1 - x where t > 0, else 0 (log_target: exp(t) (t - x + 1))."""
    log_target, = p
    if log_target:
        e = t.exp()
        return -e, e * (t - x + 1.0)
    return -t, _where(t > 0, t.log() + 1.0 - x, t * 0.0)


MseLossBackward0 = _node("MseLossBackward0", _mse_grads, 2.0)
L1LossBackward0 = _node("L1LossBackward0", _l1_grads)
SmoothL1LossBackward0 = _node("SmoothL1LossBackward0", _smooth_l1_grads)
HuberLossBackward0 = _node("HuberLossBackward0", _huber_grads)
BinaryCrossEntropyBackward0 = _node("BinaryCrossEntropyBackward0", _bce_grads)
BinaryCrossEntropyWithLogitsBackward0 = _node("BinaryCrossEntropyWithLogitsBackward0", _bce_logits_grads)
KlDivBackward0 = _node("KlDivBackward0", _kl_grads)


def _check_weight(op, weight, input):
    check_optional_tensor(weight, op, "weight")
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """``F.mse_loss`` (composition: (x - t)^2, weight, reduction; node MseLossBackward0)."""
    _size_warning(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _check_weight("mse_loss", weight, input)
    return _pointwise_loss("mse_loss", MseLossBackward0, input, target, reduction, _mse, weight=weight,
                           weight_in_mean=True)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """``F.l1_loss`` (composition: |x - t|, weight, reduction; node L1LossBackward0)."""
    _size_warning(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _check_weight("l1_loss", weight, input)
    return _pointwise_loss("l1_loss", L1LossBackward0, input, target, reduction, _l1, weight=weight,
                           weight_in_mean=True)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``F.smooth_l1_loss`` (composition; beta = 0 is l1_loss, negative beta an error, like PyTorch)."""
    _size_warning(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _pointwise_loss("smooth_l1_loss", L1LossBackward0, input, target, reduction, _l1)
    return _pointwise_loss("smooth_l1_loss", SmoothL1LossBackward0, input, target, reduction, _smooth_l1,
                           (float(beta),))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``F.huber_loss`` (composition: 0.5 d^2 inside |d| < delta, delta (|d| - delta / 2) outside; a weighted
    mean is mean(w * L), unlike mse/l1's sum(w * L) / sum(w): PyTorch's own rules)."""
    _size_warning(input, target)
    _check_weight("huber_loss", weight, input)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _pointwise_loss("huber_loss", HuberLossBackward0, input, target, reduction, _huber, (float(delta),),
                           weight=weight)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``F.binary_cross_entropy`` (composition; logs clamped at -100 like PyTorch; inputs outside [0, 1] raise,
    checked with one host sync)."""
    check_tensor(input, "binary_cross_entropy")
    check_tensor(target, "binary_cross_entropy", "target")
    check_optional_tensor(weight, "binary_cross_entropy", "weight")
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
                         "is deprecated. Please ensure they have the same size.")
    if weight is not None:
        weight = weight.expand(broadcast_shapes(tuple(target.shape), tuple(weight.shape), op="binary_cross_entropy"))
    with no_grad():
        if input.numel() and not bool(((input >= 0) & (input <= 1)).all()):
            raise RuntimeError("all elements of input should be between 0 and 1")
    return _pointwise_loss("binary_cross_entropy", BinaryCrossEntropyBackward0, input, target, reduction, _bce,
                           weight=weight)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """``F.binary_cross_entropy_with_logits`` (composition, stable form: (1 - t) x + (1 + (pw - 1) t) *
    (log1p(exp(-|x|)) + max(-x, 0)); ``weight`` and ``pos_weight`` broadcast and are not differentiated)."""
    check_tensor(input, "binary_cross_entropy_with_logits")
    check_tensor(target, "binary_cross_entropy_with_logits", "target")
    check_optional_tensor(weight, "binary_cross_entropy_with_logits", "weight")
    check_optional_tensor(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    if pos_weight is not None:
        broadcast_shapes(tuple(pos_weight.shape), tuple(input.shape), op="binary_cross_entropy_with_logits")
        pos_weight = pos_weight.detach()
    if weight is not None:
        broadcast_shapes(tuple(weight.shape), tuple(input.shape), op="binary_cross_entropy_with_logits")
        weight = weight.detach()
    return _pointwise_loss("binary_cross_entropy_with_logits", BinaryCrossEntropyWithLogitsBackward0, input, target,
                           reduction, _bce_logits, (pos_weight,), weight=weight)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """``F.kl_div`` (composition: t (log t - x), 0 where t = 0; or exp(t) (t - x) with ``log_target``);
    'mean' warns like PyTorch (it divides by every element), 'batchmean' divides by the batch size."""
    check_tensor(input, "kl_div")
    check_tensor(target, "kl_div", "target")
    if not input.dtype.is_floating_point or not target.dtype.is_floating_point:
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    return _pointwise_loss("kl_div", KlDivBackward0, input, target, reduction, _kl, (bool(log_target),),
                           allowed=("none", "mean", "sum", "batchmean"))


FUNCTIONAL = {"cross_entropy": cross_entropy, "nll_loss": nll_loss, "mse_loss": mse_loss, "l1_loss": l1_loss,
              "smooth_l1_loss": smooth_l1_loss, "huber_loss": huber_loss,
              "binary_cross_entropy": binary_cross_entropy,
              "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits, "kl_div": kl_div}
