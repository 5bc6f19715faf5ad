"""Losses composed from registry ops (``torch.nn.functional.mse_loss``, ``kl_div``, ``triplet_margin_loss``,
...), and PyTorch's reduction-argument handling (``reduction``, legacy ``size_average`` / ``reduce``) that
these and the fused losses of loss.py share.

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
from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

from .._dtype import TORCH_NAMES, int64
from ..autograd.grad_mode import no_grad
from ._common import Node, attach, STATE, check_tensor, check_optional_tensor, shape_str, broadcast_shapes, promote
from .creation import arange as _arange_op
from .pointwise import sum_to
from .pointwise_ternary import where as _where
from .distance import pairwise_distance

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._tensor import Tensor

__all__ = []


# --- reduction arguments ------------------------------------------------------------------------

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


def _no_weight_grad(op, weight, arg="weight"):
    check_optional_tensor(weight, op, arg)
    if weight is not None and weight._requires_grad and STATE.enabled:
        raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument '{arg}'. This input "
                           "cannot have requires_grad True.")


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
    attach(node_cls, (input, target), out, save=(input, target, weight),
           reduction="mean" if reduction == "batchmean" else reduction,
           denom=1.0 if reduction == "batchmean" and denom is None else denom, params=params)
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


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
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


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """``F.l1_loss`` (composition: |x - t|, weight, reduction; node L1LossBackward0)."""
    _size_warning(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _regression_operands("l1_loss", input, target)
    _check_weight("l1_loss", weight, input)
    _weighted_reduction(reduction, weight)
    return _pointwise_loss("l1_loss", L1LossBackward0, input, target, reduction, _l1, weight=weight,
                           weight_in_mean=True)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
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


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
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


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
                         reduce: bool | None = None, reduction: str = "mean") -> Tensor:
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


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
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


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
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

def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8, reduce: bool | None = None,
                     reduction: str = "mean") -> Tensor:
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


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
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


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """``F.margin_ranking_loss``: max(0, -t (x1 - x2) + margin); inputs of equal rank, broadcast."""
    for name, t in (("input1", input1), ("input2", input2), ("target", target)):
        check_tensor(t, "margin_ranking_loss", name)
    reduction = _legacy_enum(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average: bool | None = None,
                         reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``F.hinge_embedding_loss``: x where t != -1 (PyTorch's rule: t = 1 keeps x), plus max(0, margin - x)
    where t != 1; any shape, broadcast."""
    check_tensor(input, "hinge_embedding_loss")
    check_tensor(target, "hinge_embedding_loss", "target")
    reduction = _legacy_enum(size_average, reduce, reduction)
    zeros = input.new_zeros(())
    out = _where(target != 1, (margin - input).clamp_min(0), zeros) + _where(target != -1, input, zeros)
    return _apply_reduction(out, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
                     reduction: str = "mean") -> Tensor:
    """``F.soft_margin_loss``: log(1 + exp(-t x)) (PyTorch's unshifted formula: inf where -t x overflows)."""
    check_tensor(input, "soft_margin_loss")
    check_tensor(target, "soft_margin_loss", "target")
    reduction = _legacy_enum(size_average, reduce, reduction)
    _no_weight_grad("soft_margin_loss", target, "target")
    return _apply_reduction((-input * target).exp().log1p(), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
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


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
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


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean") -> Tensor:
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


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
                           reduction: str = "mean") -> Tensor:
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


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average: bool | None = None,
                        reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``F.triplet_margin_loss``: max(0, margin + d(a, p) - d(a, n)) with d = pairwise_distance(p, eps);
    ``swap`` takes min(d(a, n), d(p, n)).  Inputs: (N, D) or (D)."""
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_tensor(t, "triplet_margin_loss", name)
    reduction = _legacy_enum(size_average, reduce, reduction)
    _triplet_checks(anchor, positive, negative, margin)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _apply_reduction((margin + d_pos - d_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
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


FUNCTIONAL = {"mse_loss": mse_loss, "l1_loss": l1_loss, "smooth_l1_loss": smooth_l1_loss, "huber_loss": huber_loss,
              "binary_cross_entropy": binary_cross_entropy,
              "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits, "kl_div": kl_div,
              "poisson_nll_loss": poisson_nll_loss, "gaussian_nll_loss": gaussian_nll_loss,
              "margin_ranking_loss": margin_ranking_loss, "hinge_embedding_loss": hinge_embedding_loss,
              "soft_margin_loss": soft_margin_loss, "multilabel_soft_margin_loss": multilabel_soft_margin_loss,
              "cosine_embedding_loss": cosine_embedding_loss, "multi_margin_loss": multi_margin_loss,
              "multilabel_margin_loss": multilabel_margin_loss, "triplet_margin_loss": triplet_margin_loss,
              "triplet_margin_with_distance_loss": triplet_margin_with_distance_loss}
