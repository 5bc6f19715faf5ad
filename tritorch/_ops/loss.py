"""Loss functions with fused kernels: ``torch.nn.functional.cross_entropy`` and ``nll_loss``.

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

The other losses (``mse_loss``, ``l1_loss``, ``kl_div``, the margin / embedding / likelihood losses, ...)
compose registry ops and live in loss_composite.py, with PyTorch's reduction-argument handling that both
files share; ``FUNCTIONAL`` below lists them all.  ``ctc_loss`` lives in ctc_loss.py.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .._dtype import TORCH_NAMES
from ..autograd.grad_mode import no_grad
from ._common import def_op, Node, attach, apply, check_tensor, shape_str, broadcast_shapes, promote
from .loss_composite import FUNCTIONAL as _COMPOSITE, _reduction, _check_reduction, _no_weight_grad
from .pointwise import sum_to

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._tensor import Tensor

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


def cross_entropy_loss_backward(grad: Tensor, input: Tensor, target: Tensor, weight: Tensor | None, stats: Tensor,
                                ignore_index: int = -100, label_smoothing: float = 0.0) -> Tensor:
    """dlogits of the fused cross entropy for a per-row upstream gradient ``grad`` (fused op; differentiable).
    Its recorded gradient w.r.t. ``input`` differentiates through softmax(input): ``stats`` stand for the
    statistics of ``input`` itself (as in double backward), not for independent constants."""
    ins = (grad, input, target) if target.dtype.is_floating_point else (grad, input)
    return apply(_CE_BWD, (grad, input, target, weight, stats, ignore_index, label_smoothing), _E,
                 CrossEntropyLossBackwardBackward0, ins, save=(grad, input, target, weight, stats),
                 ignore_index=ignore_index, label_smoothing=label_smoothing)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
                  ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
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
    attach(CrossEntropyLossBackward0, (input, target) if prob else (input,), out, save=(input, target, weight, stats),
           ignore_index=ignore_index, label_smoothing=ls, reduction=reduction, denom=denom, rows=rows,
           dtype=input.dtype)
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


def nll_loss_backward(grad: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
                      shape: Sequence[int]) -> Tensor:
    """dx of nll_loss for a per-row gradient ``grad`` (fused op; differentiable w.r.t. ``grad``)."""
    return apply(_NLL_BWD, (grad, target, weight, ignore_index, tuple(shape)), _E, NllLossBackwardBackward0, (grad,),
                 save=(target, weight), ignore_index=ignore_index, gshape=tuple(grad.shape))


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean") -> Tensor:
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
    attach(NllLoss2DBackward0 if input.ndim == 4 else NllLossBackward0, (input,), out, save=(target, weight),
           ignore_index=ignore_index, reduction=reduction, denom=denom, shape=tuple(input.shape),
           rows=tuple(loss.shape), dtype=input.dtype)
    return out


FUNCTIONAL = {"cross_entropy": cross_entropy, "nll_loss": nll_loss, **_COMPOSITE}
