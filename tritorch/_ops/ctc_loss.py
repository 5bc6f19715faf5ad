"""Connectionist temporal classification loss (``torch.nn.functional.ctc_loss``).

Registry ops (a Triton kernel per batch element looping over time on cuda, a numpy twin vectorised
over batch and label positions on cpu):
  * ``ctc_loss(log_probs, targets, input_lengths, target_lengths, blank) -> (nll, log_alpha)``:
    log_probs (T, N, C) float32/float64; targets int64, padded (N, S) or concatenated
    (sum(target_lengths),); the lengths are host tuples of N ints (PyTorch too reads them on the host).
    nll (N,) = -log p(target | input) by the log-space alpha recursion; log_alpha (N, T, 2 L_max + 1)
    is saved for the backward, as PyTorch's ``_ctc_loss`` does.
  * ``ctc_loss_backward(grad, log_probs, targets, nll, log_alpha, input_lengths, target_lengths, blank,
    zero_infinity) -> (T, N, C)``: the beta recursion and the per-position posteriors.

The gradient is PyTorch's: dlp = g (exp(lp) - posterior), i.e. the gradient w.r.t. the logits when
``log_probs = log_softmax(logits)`` (the exp(lp) term sums to 1 per frame and cancels in log_softmax's
backward).  For log_probs that are not a log_softmax output it is not the derivative of the loss w.r.t.
``log_probs`` -- the same behaviour as PyTorch, kept so gradients match it; no double backward (PyTorch
has none either).
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

from .. import _dtype as _D
from .._dtype import TORCH_NAMES
from ..autograd.grad_mode import no_grad
from ._common import def_op, Node, attach, Tensor, check_tensor, shape_str
from .loss_composite import _get_enum
from .pointwise_ternary import where as _where

__all__ = []
_E = {}


def _check_args(log_probs, targets, input_lengths, target_lengths, blank):
    """PyTorch's checks, in its order; returns (T, N, C, L_max)."""
    c = "(while checking arguments for ctc_loss_allocate_outputs)"
    check_tensor(log_probs, "ctc_loss", "log_probs")
    check_tensor(targets, "ctc_loss", "targets")
    if log_probs.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    if log_probs.dtype not in (_D.float32, _D.float64):
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{TORCH_NAMES[log_probs.dtype]}'")
    if log_probs.ndim != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {log_probs.ndim}-dimensional tensor for argument "
                           f"#1 'log_probs' {c}")
    if targets.ndim not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {targets.ndim}-dimensional tensor for argument #2 "
                           f"'targets' {c}")
    T, N, C = tuple(log_probs.shape)
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    if len(input_lengths) != N:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(target_lengths) != N:
        raise RuntimeError("target_lengths must be of size batch_size")
    for v in target_lengths:
        if v < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value {v} {c}")
    L = max(target_lengths, default=0)
    if targets.ndim == 1:
        if targets.shape[0] != sum(target_lengths):
            raise RuntimeError(f"Expected tensor to have size {sum(target_lengths)} at dimension 0, but got size "
                               f"{targets.shape[0]} for argument #2 'targets' {c}")
    else:
        if targets.shape[0] != N:
            raise RuntimeError(f"Expected tensor to have size {N} at dimension 0, but got size {targets.shape[0]} "
                               f"for argument #2 'targets' {c}")
        if targets.shape[1] < L:
            raise RuntimeError(f"Expected tensor to have size at least {L} at dimension 1, but got size "
                               f"{targets.shape[1]} for argument #2 'targets' {c}")
    for v in input_lengths:
        if v < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value {v} {c}")
        if v > T:
            raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {v} {c}")
    if targets.dtype is not _D.int64:
        raise RuntimeError(f"ctc_loss: expected int64 targets, got {TORCH_NAMES[targets.dtype]}")
    return T, N, C, L


def _meta_ctc(log_probs, targets, input_lengths, target_lengths, blank):
    """ctc_loss: nll (N,) and log_alpha (N, T, 2 L_max + 1) in the log_probs dtype."""
    T, N, C, L = _check_args(log_probs, targets, input_lengths, target_lengths, blank)
    return ((N,), log_probs.dtype), ((N, T, 2 * L + 1), log_probs.dtype)


def _meta_ctc_bwd(grad, log_probs, targets, nll, log_alpha, input_lengths, target_lengths, blank, zero_infinity):
    """ctc_loss_backward: dlog_probs (T, N, C) for per-sample gradients ``grad`` (N,) (or broadcast to it)."""
    op = "ctc_loss_backward"
    T, N, C, L = _check_args(log_probs, targets, input_lengths, target_lengths, blank)
    for name, t, shape in (("grad", grad, None), ("nll", nll, (N,)), ("log_alpha", log_alpha, (N, T, 2 * L + 1))):
        check_tensor(t, op, name)
        if t.dtype is not log_probs.dtype or (shape is not None and tuple(t.shape) != shape):
            raise RuntimeError(f"{op}: {name} of shape {shape_str(t.shape)} and dtype {TORCH_NAMES[t.dtype]} does "
                               f"not match log_probs {shape_str(log_probs.shape)} ({TORCH_NAMES[log_probs.dtype]})")
    if tuple(grad.shape) not in ((N,), (1,), ()):
        raise RuntimeError(f"{op}: grad must have shape [{N}], got {shape_str(grad.shape)}")
    return tuple(log_probs.shape), log_probs.dtype


_CTC = def_op("ctc_loss", _meta_ctc, nout=2)
_CTC_BWD = def_op("ctc_loss_backward", _meta_ctc_bwd)


class CtcLossBackward0(Node):
    """d nll_b / d log_probs through the beta recursion (PyTorch's formula; see the module docstring)."""

    def backward(self, g):
        log_probs, targets, nll, log_alpha = self.saved_tensors
        return (ctc_loss_backward(g, log_probs, targets, nll, log_alpha, self.input_lengths, self.target_lengths,
                                  self.blank, self.zero_infinity),)


def ctc_loss_backward(grad: Tensor, log_probs: Tensor, targets: Tensor, nll: Tensor, log_alpha: Tensor,
                      input_lengths: Sequence[int], target_lengths: Sequence[int], blank: int = 0,
                      zero_infinity: bool = False) -> Tensor:
    """dlog_probs (T, N, C) of the per-sample losses ``nll`` for per-sample gradients ``grad`` (fused op)."""
    return _CTC_BWD.run((grad, log_probs, targets, nll, log_alpha, tuple(input_lengths), tuple(target_lengths),
                         int(blank), bool(zero_infinity)), _E)


def _lengths(v, name):
    """Lengths as a tuple of Python ints: an integer tensor (any shape, read on the host like PyTorch) or a
    sequence of ints; an int is accepted too (tritorch only: PyTorch's parser wants a tuple)."""
    if isinstance(v, Tensor):
        if v.dtype.is_floating_point or v.dtype is _D.bool:
            raise RuntimeError(f"{name} must be integral")
        return tuple(int(x) for x in v.detach().cpu().reshape(-1).tolist())
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return (int(v),)
    if isinstance(v, (tuple, list)) and all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in v):
        return tuple(int(x) for x in v)
    raise TypeError(f"ctc_loss(): argument '{name}' must be a tuple of ints or a Tensor, not {type(v).__name__}")


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Tensor | Sequence[int],
             target_lengths: Tensor | Sequence[int], blank: int = 0, reduction: str = "mean",
             zero_infinity: bool = False) -> Tensor:
    """``F.ctc_loss`` (PyTorch's signature and semantics).

    log_probs: (T, N, C) or unbatched (T, C), normally ``log_softmax`` output; targets: padded (N, S) or
    concatenated 1-d (sum(target_lengths)) class indices (any dtype, read as int64 like PyTorch), never
    ``blank``; input_lengths / target_lengths: integer tensors or tuples/lists of N ints.
    Output: 'none' (N) (or () unbatched); 'mean': mean over the batch of loss_b / max(target_length_b, 1);
    'sum'.  Impossible alignments give inf (``zero_infinity`` makes them 0 and zeroes their gradients)."""
    check_tensor(log_probs, "ctc_loss", "log_probs")
    check_tensor(targets, "ctc_loss", "targets")
    if not isinstance(blank, numbers.Integral) or isinstance(blank, bool):
        raise TypeError(f"ctc_loss(): argument 'blank' must be int, not {type(blank).__name__}")
    reduction = _get_enum(reduction)
    il = _lengths(input_lengths, "input_lengths")
    tl = _lengths(target_lengths, "target_lengths")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    if targets.dtype is not _D.int64:
        targets = targets.detach().to(_D.int64)
    with no_grad():
        nll, log_alpha = _CTC.run((lp, targets, il, tl, int(blank)), _E)
    attach(CtcLossBackward0, (lp,), nll, save=(lp, targets, nll, log_alpha), input_lengths=il, target_lengths=tl,
           blank=int(blank), zero_infinity=bool(zero_infinity))
    res = nll
    if zero_infinity:
        res = _where(res == float("inf"), res.new_zeros(()), res)
    if reduction == "mean":
        tlt = res.new_tensor(tl, dtype=res.dtype).clamp_min(1)
        return (res / tlt).mean()
    if reduction == "sum":
        return res.sum()
    return res if batched else res.squeeze(0)


FUNCTIONAL = {"ctc_loss": ctc_loss}
