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

The margin / embedding / likelihood losses (``poisson_nll_loss``, ``gaussian_nll_loss``, ``margin_ranking_loss``,
``hinge_embedding_loss``, ``soft_margin_loss``, ``multilabel_soft_margin_loss``, ``cosine_embedding_loss``,
``multi_margin_loss``, ``multilabel_margin_loss``, ``triplet_margin_loss``, ``triplet_margin_with_distance_loss``)
are PyTorch's formulas composed from differentiable registry ops (autograd is the composition's), with its
argument checks, messages and legacy ``size_average`` / ``reduce`` handling.  ``ctc_loss`` lives in ctc_loss.py.
"""
import math
import warnings

from .._dtype import TORCH_NAMES, int64
from ..autograd.grad_mode import no_grad
from ._common import (def_op, Node, record, STATE, check_tensor, check_optional_tensor, shape_str,
                      broadcast_shapes, promote)
from .creation import arange as _arange_op
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


def _check_index_target(op, x, target, weight):
    """PyTorch's nll_loss checks, in its order.  Batched input: batch sizes, target rank / shape, weight shape,
    target dtype.  Unbatched (1-d) input: target rank, target dtype, a one-element 1-d target, weight shape."""
    xs, ts = tuple(x._data.shape), tuple(target._data.shape)
    if len(xs) == 1:
        if len(ts) > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        _check_target_dtype(op, xs, target)
        if len(ts) == 1 and ts[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {ts[0]}")
        if ts != ():
            raise ValueError(f"{op}: for 1D input, the target must be 0-d (a class index), but got target size: "
                             f"{shape_str(ts)}")
        _check_weight_shape(op, x, weight)
        return
    if not ts or ts[0] != xs[0]:
        raise ValueError(f"Expected input batch_size ({xs[0]}) to match target batch_size ({ts[0] if ts else 0}).")
    if len(xs) == 2 and len(ts) > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if len(xs) >= 3 and ts != _row_shape(xs):
        raise RuntimeError(f"{op}: Expected target size {shape_str(_row_shape(xs))}, got {shape_str(ts)}")
    _check_weight_shape(op, x, weight)
    _check_target_dtype(op, xs, target)


def _check_target_dtype(op, xs, target):
    if target.dtype.name not in _INT_TARGETS:
        raise RuntimeError(f"{op}: expected target dtype to be Long or Byte, but got {TORCH_NAMES[target.dtype]}")
    if len(xs) >= 3 and target.dtype.name != "int64":   # PyTorch's nll_loss2d path takes Long only
        raise RuntimeError(f"expected scalar type Long but found {TORCH_NAMES[target.dtype]}")


def _check_input_dtype(op, x):
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f'{op}: "log_softmax_lastdim_kernel_impl" not implemented for '
                                  f"'{TORCH_NAMES[x.dtype]}'" if op.startswith("cross") else
                                  f"{op}: expected a floating input, got {TORCH_NAMES[x.dtype]}")


def _check_weight_shape(op, x, weight):
    C = x._data.shape[_cdim(x._data.ndim)]
    if weight is not None:
        check_tensor(weight, op, "weight")
        if tuple(weight._data.shape) != (C,):
            raise RuntimeError(f"{op}: weight tensor should be defined either for all {C} classes or no classes but "
                               f"got weight tensor of shape: {shape_str(weight._data.shape)}")


def _check_weight_dtype(op, x, weight):
    if weight is not None and weight.dtype is not x.dtype:
        raise RuntimeError(f"{op}: expected scalar type {TORCH_NAMES[x.dtype]} but found "
                           f"{TORCH_NAMES[weight.dtype]} (weight)")


def _stats_dtype(dt):
    from .._dtype import float32
    return float32 if dt.itemsize < 4 else dt


def _meta_ce(x, target, weight, ignore_index, label_smoothing):
    op = "cross_entropy"
    check_tensor(target, op, "target")
    _check_input_dtype(op, x)
    if x._data.ndim == 0:
        raise RuntimeError(f"{op}: input must have at least 1 dimension (the class dim), got a 0-d tensor")
    if target.dtype.is_floating_point and tuple(target._data.shape) == tuple(x._data.shape):
        _check_weight_shape(op, x, weight)
        if target.dtype is not x.dtype:
            raise RuntimeError(f"{op}: expected probability target of dtype {TORCH_NAMES[x.dtype]}, got "
                               f"{TORCH_NAMES[target.dtype]}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
    else:
        _check_index_target(op, x, target, weight)
    _check_weight_dtype(op, x, weight)
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
    check_tensor(target, op, "target")
    if x._data.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    _check_index_target(op, x, target, weight)
    _check_input_dtype(op, x)
    _check_weight_dtype(op, x, weight)
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


def _no_weight_grad(op, weight, arg="weight"):
    check_optional_tensor(weight, op, arg)
    if weight is not None and weight._requires_grad and STATE.enabled:
        raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument '{arg}'. This input "
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
    same = tuple(target.shape) == tuple(input.shape) and input.ndim > 0
    if same and not target.dtype.is_floating_point:
        raise RuntimeError("Expected floating point type for target with class probabilities, got "
                           f"{TORCH_NAMES[target.dtype]}")
    if same and not input.dtype.is_floating_point and input.numel() == 0:
        # PyTorch's log_softmax skips its dtype check on an empty input: the promoted empty result
        return _cross_entropy_prob_mixed(input.to(promote(input, target)), target, weight, reduction, ls, ignore_index,
                                         label_smoothing)
    prob = same and input.dtype.is_floating_point
    if prob:
        # PyTorch composes -(log_softmax(x) * t * w): the result has the promoted dtype of all three
        dt = promote(input, target) if weight is None else promote(input, target, weight)
        if dt is not input.dtype:
            return _cross_entropy_prob_mixed(input, target, weight, reduction, ls, ignore_index, label_smoothing)
        target = target.to(dt)
        weight = None if weight is None else weight.to(dt)
    elif input.ndim == 1 and tuple(target.shape) == (1,):
        target = target.reshape(())   # PyTorch takes a one-element target for an unbatched input
    with no_grad():
        loss, stats = _CE.run((input, target, weight, ignore_index, label_smoothing), _E)
        rows = tuple(loss.shape)
        # PyTorch's mean over probability targets: sum / (numel / C), nan for an empty input
        n_rows = (loss.numel() if input.numel() else float("nan")) if prob else None
        out, denom = _reduce_rows(loss, stats.select(-1, 3), reduction, n_rows)
    ins = (input, target) if prob else (input,)
    if STATE.enabled and any(t._requires_grad for t in ins):
        n = CrossEntropyLossBackward0()
        n.ignore_index, n.label_smoothing, n.reduction, n.denom = ignore_index, ls, reduction, denom
        n.rows, n.dtype = rows, input.dtype
        n.save_for_backward(input, target, weight, stats)
        record(n, ins, (out,))
    return out


def _cross_entropy_prob_mixed(input, target, weight, reduction, ls, ignore_index, label_smoothing):
    """Probability targets wider than the logits (e.g. bfloat16 logits, float32 targets): PyTorch's composition
    verbatim -- log_softmax rounded to the input dtype, then the promoted product -- so the result matches its
    rounding; composed from differentiable ops (the same-dtype case takes the fused kernel)."""
    _check_weight_shape("cross_entropy", input, weight)
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    nd = input.ndim
    cd = _cdim(nd)
    C = input.shape[cd]
    smooth = ls / C if C else float("inf")   # no classes: PyTorch's double division; the product is empty
    prod = input.log_softmax(cd) * (target * (1 - ls) + smooth if ls > 0 else target)
    if weight is not None:
        prod = prod * _weight_view(weight, nd)
    if reduction == "none":
        return -prod.sum(cd)
    total = -prod.sum()
    if reduction == "sum":
        return total
    return total / (input.numel() / C if input.numel() else float("nan"))


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
    if input.ndim == 1 and tuple(target.shape) == (1,):
        target = target.reshape(())   # PyTorch takes a one-element target for an unbatched input
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


def _regression_operands(op, input, target):
    """PyTorch's first check of the regression losses: the operands broadcast (its error before the reduction's)."""
    check_tensor(input, op)
    check_tensor(target, op, "target")
    broadcast_shapes(tuple(input.shape), tuple(target.shape), op=op)


def _promoted(kernel, input, target):
    """Operands in their promoted dtype, checked after the reduction like PyTorch's kernel dispatch: a bool or
    integer operand next to a floating one is accepted; a non-floating promoted dtype raises PyTorch's
    NotImplementedError."""
    dt = promote(input, target)
    if not dt.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{TORCH_NAMES[dt]}\'')
    return (input if input.dtype is dt else input.to(dt)), (target if target.dtype is dt else target.to(dt))


def _weighted_reduction(reduction, weight):
    """The reduction check of PyTorch's weighted regression losses (a Python-level check there)."""
    if weight is not None and reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """``F.mse_loss`` (composition: (x - t)^2, weight, reduction; node MseLossBackward0).  A weighted mean is
    sum(w L) / sum(w).  Operands promote (bool / integer next to floating is fine); all-integer inputs raise
    NotImplementedError like PyTorch's CPU kernel."""
    _size_warning(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _regression_operands("mse_loss", input, target)
    _check_weight("mse_loss", weight, input)
    _weighted_reduction(reduction, weight)
    _check_reduction(reduction)
    input, target = _promoted("mse_cpu", input, target)
    return _pointwise_loss("mse_loss", MseLossBackward0, input, target, reduction, _mse, weight=weight,
                           weight_in_mean=True)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """``F.l1_loss`` (composition: |x - t|, weight, reduction; node L1LossBackward0)."""
    _size_warning(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _regression_operands("l1_loss", input, target)
    _check_weight("l1_loss", weight, input)
    _weighted_reduction(reduction, weight)
    return _pointwise_loss("l1_loss", L1LossBackward0, input, target, reduction, _l1, weight=weight,
                           weight_in_mean=True)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``F.smooth_l1_loss`` (composition; beta = 0 is l1_loss, negative beta an error, like PyTorch; operands
    promote as in mse_loss)."""
    _size_warning(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _regression_operands("smooth_l1_loss", input, target)
    _check_reduction(reduction)
    input, target = _promoted("smooth_l1_cpu", input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _pointwise_loss("smooth_l1_loss", L1LossBackward0, input, target, reduction, _l1)
    return _pointwise_loss("smooth_l1_loss", SmoothL1LossBackward0, input, target, reduction, _smooth_l1,
                           (float(beta),))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``F.huber_loss`` (composition: 0.5 d^2 inside |d| < delta, delta (|d| - delta / 2) outside; a weighted
    mean is mean(w * L), unlike mse/l1's sum(w * L) / sum(w): PyTorch's own rules).  Like PyTorch's kernel
    the result has the input's dtype: computed in the promoted dtype, then cast (an integer or bool input next
    to a floating target cannot hold it: RuntimeError)."""
    _size_warning(input, target)
    out_dt = input.dtype
    _regression_operands("huber_loss", input, target)
    if weight is None:
        _check_reduction(reduction)
    _check_weight("huber_loss", weight, input)
    input, target = _promoted("huber_cpu", input, target)
    if not out_dt.is_floating_point:
        raise RuntimeError(f"result type {TORCH_NAMES[input.dtype]} can't be cast to the desired output type "
                           f"{TORCH_NAMES[out_dt]}")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _weighted_reduction(reduction, weight)
    out = _pointwise_loss("huber_loss", HuberLossBackward0, input, target, reduction, _huber, (float(delta),),
                          weight=weight)
    return out if out.dtype is out_dt or weight is not None else out.to(out_dt)


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


# --- margin, embedding and likelihood losses (compositions) -------------------------------------
# PyTorch's own formulas (aten/src/ATen/native/Loss.cpp, functional.py) composed from differentiable
# registry ops, so autograd is the composition's; each is one or two memory-bound elementwise chains and
# a reduction, where a dedicated kernel would not pay.

def _get_enum(reduction):
    """PyTorch's ``_Reduction.get_enum`` check: 'elementwise_mean' is a deprecated spelling of 'mean'."""
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      UserWarning, stacklevel=3)
        return "mean"
    _check_reduction(reduction)
    return reduction


def _legacy_enum(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return _reduction(size_average, reduce, reduction)
    return _get_enum(reduction)


def _apply_reduction(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _host_any(mask):
    """One host sync: whether any element of a bool tensor is set (for PyTorch's data-dependent checks)."""
    with no_grad():
        return mask.numel() > 0 and bool(mask.any())


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """``F.poisson_nll_loss``: exp(x) - t x (``log_input``), else x - t log(x + eps); ``full`` adds the
    Stirling term t log t - t + 0.5 log(2 pi t) where t > 1.  Input, target: any broadcastable shapes."""
    check_tensor(input, "poisson_nll_loss")
    check_tensor(target, "poisson_nll_loss", "target")
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """``F.gaussian_nll_loss``: 0.5 (log v + (x - t)^2 / v) (+ 0.5 log 2 pi with ``full``), v = max(var, eps)
    clamped outside autograd like PyTorch (the gradient flows as if unclamped).  Input: (N, *); var: the
    input's shape, one dim short of it, or 1 in one dim (homoscedastic), or a float (tritorch also takes an
    int)."""
    check_tensor(input, "gaussian_nll_loss")
    check_tensor(target, "gaussian_nll_loss", "target")
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * input.new_ones(tuple(input.shape))
    else:
        check_tensor(var, "gaussian_nll_loss", "var")
        if _host_any(var < 0):
            raise ValueError("var has negative entry/entries")
    ishape, vshape = tuple(input.shape), tuple(var.shape)
    if vshape != ishape:
        if ishape[:-1] == vshape:
            var = var.unsqueeze(-1)
        elif not (len(ishape) == len(vshape) and sum(v for i, v in zip(ishape, vshape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var + (var.clamp_min(eps) - var).detach()
    d = input - target
    loss = 0.5 * (var.log() + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``F.margin_ranking_loss``: max(0, -t (x1 - x2) + margin); inputs of equal rank, broadcast."""
    for name, t in (("input1", input1), ("input2", input2), ("target", target)):
        check_tensor(t, "margin_ranking_loss", name)
    reduction = _legacy_enum(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``F.hinge_embedding_loss``: x where t != -1 (PyTorch's rule: t = 1 keeps x), plus max(0, margin - x)
    where t != 1; any shape, broadcast."""
    check_tensor(input, "hinge_embedding_loss")
    check_tensor(target, "hinge_embedding_loss", "target")
    reduction = _legacy_enum(size_average, reduce, reduction)
    zeros = input.new_zeros(())
    out = _where(target != 1, (margin - input).clamp_min(0), zeros) + _where(target != -1, input, zeros)
    return _apply_reduction(out, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``F.soft_margin_loss``: log(1 + exp(-t x)) (PyTorch's unshifted formula: inf where -t x overflows)."""
    check_tensor(input, "soft_margin_loss")
    check_tensor(target, "soft_margin_loss", "target")
    reduction = _legacy_enum(size_average, reduce, reduction)
    _no_weight_grad("soft_margin_loss", target, "target")
    return _apply_reduction((-input * target).exp().log1p(), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``F.multilabel_soft_margin_loss``: -(t log sigmoid(x) + (1 - t) log sigmoid(-x)) * weight, averaged over
    the class (last) dim.  Input, target: (N, C) or (C); output 'none': (N) or ()."""
    check_tensor(input, "multilabel_soft_margin_loss")
    check_tensor(target, "multilabel_soft_margin_loss", "target")
    check_optional_tensor(weight, "multilabel_soft_margin_loss", "weight")
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    # log sigmoid(x) = -softplus(-x), in its stable form
    loss = target * _softplus_neg(input) + (1 - target) * _softplus_neg(-input)
    if weight is not None:
        loss = loss * weight
    cd = input.ndim - 1
    loss = loss.sum(cd) / input.shape[cd]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _apply_reduction(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``F.cosine_embedding_loss``: 1 - cos(x1, x2) where t = 1, max(0, cos - margin) where t = -1 (0 for other
    targets); cos = <x1, x2> / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)).  Inputs: (N, D) with target (N), or
    (D) with a 0-d target."""
    for name, t in (("input1", input1), ("input2", input2), ("target", target)):
        check_tensor(t, "cosine_embedding_loss", name)
    reduction = _legacy_enum(size_average, reduce, reduction)
    td = target.ndim
    if td not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.ndim != td + 1 or input2.ndim != td + 1:
        raise RuntimeError(f"{td}D target tensor expects {td + 1}D input tensors, but found inputs with sizes "
                           f"{shape_str(input1.shape)} and {shape_str(input2.shape)}.")
    eps = 1e-12
    prod = (input1 * input2).sum(td)
    m1 = (input1 * input1).sum(td) + eps
    m2 = (input2 * input2).sum(td) + eps
    cos = prod / (m1 * m2).sqrt()
    zeros = cos.new_zeros(())
    out = _where(target == 1, 1 - cos, zeros) + _where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _apply_reduction(out, reduction)


def _margin_frames(op, input, target, weight=None):
    """PyTorch's shape checks of the multi-class margin losses: (frames, classes) of a (C), (N, C) or 0-d
    input (N may be 0, C may not)."""
    check_tensor(input, op)
    check_tensor(target, op, "target")
    nd = input.ndim
    if not ((nd == 2 and input.shape[1] != 0) or (nd == 1 and input.shape[0] != 0) or nd == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{shape_str(input.shape)}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{op}_forward" not implemented for \'{TORCH_NAMES[input.dtype]}\'')
    return (input.shape[0] if nd == 2 else 1), (input.shape[-1] if nd else 1)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """``F.multi_margin_loss``: per frame, sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C (p = 1 or 2).
    Input: (N, C), (C) or (); target: (N) / () class indices (int64); output 'none': (N), or () for a 0-d
    target.  An out-of-range target raises (one host sync)."""
    op = "multi_margin_loss"
    reduction = _legacy_enum(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    check_optional_tensor(weight, op, "weight")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    nframe, dim = _margin_frames(op, input, target)
    if target.ndim > 1 or target.numel() != nframe:
        raise RuntimeError(f"{op}: target tensor should be 1-D with size equal to the number of input samples "
                           f"(batch size). Expected target size [{nframe}], but got {shape_str(target.shape)}. "
                           f"Input has shape {shape_str(input.shape)}.")
    if weight is not None and weight.numel() != dim:
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got {shape_str(weight.shape)}")
    if target.dtype.name != "int64":
        raise RuntimeError(f"expected scalar type Long but found {TORCH_NAMES[target.dtype]}")
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {TORCH_NAMES[input.dtype]} but found {TORCH_NAMES[weight.dtype]}")
    _no_weight_grad(op, weight)
    t = target.reshape(nframe, 1)
    if _host_any((t < 0) | (t >= dim)):
        raise RuntimeError("target out of range")
    x = input.reshape(nframe, dim)
    z = margin - x.gather(1, t) + x
    keep = (z > 0) & (_arange(dim, input) != t)
    h = _where(keep, z if p == 1 else z * z, z.new_zeros(()))
    if weight is not None:
        h = h * weight[t.reshape(-1)].unsqueeze(1)
    loss = h.sum(1) / dim
    if reduction == "none":
        return loss if target.ndim > 0 else loss.reshape(())
    return _apply_reduction(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``F.multilabel_margin_loss``: per frame, sum_{j valid} sum_{i not a target} max(0, 1 - (x_{y_j} - x_i)) / C,
    the targets y_j being the leading entries before the first -1.  Input: (N, C), (C) or (); target: int64 of
    the input's shape; output 'none': (N), or () for an unbatched input.  Out-of-range targets raise (one host
    sync).  Builds an (N, C, C) pair tensor: meant for the usual small label sets."""
    op = "multilabel_margin_loss"
    reduction = _legacy_enum(size_average, reduce, reduction)
    nframe, dim = _margin_frames(op, input, target)
    ok = (target.ndim <= 1 and target.numel() == dim) if input.ndim <= 1 else \
        tuple(target.shape) == (nframe, dim)
    if not ok:
        raise RuntimeError(f"inconsistent target size: {shape_str(target.shape)} for input of size: "
                           f"{shape_str(input.shape)}")
    if target.dtype.name != "int64":
        raise RuntimeError(f"expected scalar type Long but found {TORCH_NAMES[target.dtype]}")
    t = target.reshape(nframe, dim)
    if _host_any((t < -1) | (t >= dim)):
        raise RuntimeError("argument #2 'target' is out of range")
    x = input.reshape(nframe, dim)
    valid = (t < 0).to(int64).cumsum(1) == 0                                  # before the first -1
    tc = t.clamp_min(0)
    is_target = ((tc.unsqueeze(2) == _arange(dim, input)) & valid.unsqueeze(2)).any(1)   # (N, C)
    z = 1 - x.gather(1, tc).unsqueeze(2) + x.unsqueeze(1)                        # (N, j, i)
    keep = valid.unsqueeze(2) & ~is_target.unsqueeze(1) & (z > 0)
    loss = _where(keep, z, z.new_zeros(())).sum((1, 2)) / dim
    if reduction == "none":
        return loss if input.ndim == 2 else loss.reshape(())
    return _apply_reduction(loss, reduction)


def _arange(n, like):
    """0..n-1 as int64 on ``like``'s device."""
    return _arange_op(n, dtype=int64, device=like.device)


def _triplet_checks(anchor, positive, negative, margin):
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not (a == p and p == n):
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """``F.triplet_margin_loss``: max(0, margin + d(a, p) - d(a, n)) with d = pairwise_distance(p, eps);
    ``swap`` takes min(d(a, n), d(p, n)).  Inputs: (N, D) or (D)."""
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_tensor(t, "triplet_margin_loss", name)
    reduction = _legacy_enum(size_average, reduce, reduction)
    _triplet_checks(anchor, positive, negative, margin)
    from .distance import pairwise_distance
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _apply_reduction((margin + d_pos - d_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """``F.triplet_margin_with_distance_loss``: triplet_margin_loss with any ``distance_function(x1, x2)``
    (default pairwise_distance)."""
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_tensor(t, "triplet_margin_with_distance_loss", name)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _triplet_checks(anchor, positive, negative, margin)
    if distance_function is None:
        from .distance import pairwise_distance as distance_function
    d_pos = distance_function(anchor, positive)
    d_neg = distance_function(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(distance_function(positive, negative))
    return _apply_reduction((margin + d_pos - d_neg).clamp_min(0), reduction)


FUNCTIONAL = {"cross_entropy": cross_entropy, "nll_loss": nll_loss, "mse_loss": mse_loss, "l1_loss": l1_loss,
              "smooth_l1_loss": smooth_l1_loss, "huber_loss": huber_loss,
              "binary_cross_entropy": binary_cross_entropy,
              "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits, "kl_div": kl_div,
              "poisson_nll_loss": poisson_nll_loss, "gaussian_nll_loss": gaussian_nll_loss,
              "margin_ranking_loss": margin_ranking_loss, "hinge_embedding_loss": hinge_embedding_loss,
              "soft_margin_loss": soft_margin_loss, "multilabel_soft_margin_loss": multilabel_soft_margin_loss,
              "cosine_embedding_loss": cosine_embedding_loss, "multi_margin_loss": multi_margin_loss,
              "multilabel_margin_loss": multilabel_margin_loss, "triplet_margin_loss": triplet_margin_loss,
              "triplet_margin_with_distance_loss": triplet_margin_with_distance_loss}
