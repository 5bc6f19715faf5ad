"""Loss layers (PyTorch's `torch.nn.modules.loss`): each a thin module over its functional with PyTorch's
constructor signature, attribute names, buffers (``weight``, ``pos_weight``, so state dicts match) and repr.

``reduction`` is ``'none'`` (per-element / per-sample losses), ``'mean'`` or ``'sum'``; like PyTorch it is
checked by the functional at call time ("... is not a valid value for reduction").  The legacy
``size_average`` / ``reduce`` arguments map onto ``reduction`` with PyTorch's deprecation warning.

Not here: `LinearCrossEntropyLoss` (tritorch has no ``F.linear_cross_entropy``).
"""
import warnings

from .. import functional as F
from .distance import PairwiseDistance
from .module import Module

__all__ = ["L1Loss", "NLLLoss", "NLLLoss2d", "PoissonNLLLoss", "GaussianNLLLoss", "KLDivLoss", "MSELoss", "BCELoss",
           "BCEWithLogitsLoss", "HingeEmbeddingLoss", "MultiLabelMarginLoss", "SmoothL1Loss", "HuberLoss",
           "SoftMarginLoss", "CrossEntropyLoss", "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss",
           "MarginRankingLoss", "MultiMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss"]


def _legacy_get_string(size_average, reduce):
    """PyTorch's ``_Reduction.legacy_get_string``: ``None`` counts as True; both true -> 'mean', only
    ``reduce`` -> 'sum', else 'none'; always warns (a UserWarning, as in PyTorch)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  stacklevel=2)
    return ret


class _Loss(Module):
    """Base of the losses: holds ``reduction`` (from the legacy ``size_average``/``reduce`` when either is
    given)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            self.reduction = _legacy_get_string(size_average, reduce)
        else:
            self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight``, registered as a buffer (absent from the state dict when
    None, as in PyTorch)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


# ---- regression ------------------------------------------------------------------------------------------------

class L1Loss(_Loss):
    """Mean absolute error: l_n = |x_n - y_n|.

    Shape: Input: (*). Target: (*), same shape. Output: scalar; (*) with ``reduction='none'``.
    """

    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error: l_n = (x_n - y_n)^2.

    Shape: Input: (*). Target: (*), same shape. Output: scalar; (*) with ``reduction='none'``.
    """

    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """l_n = 0.5 (x_n - y_n)^2 / beta where |x_n - y_n| < beta, else |x_n - y_n| - 0.5 beta
    (``beta=0`` is `L1Loss`).

    Args: size_average, reduce (deprecated), reduction='mean', beta=1.0.
    Shape: Input: (*). Target: (*), same shape. Output: scalar; (*) with ``reduction='none'``.
    """

    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """l_n = 0.5 (x_n - y_n)^2 where |x_n - y_n| < delta, else delta (|x_n - y_n| - 0.5 delta)
    (``delta`` times `SmoothL1Loss` with ``beta=delta``).

    Args: reduction='mean', delta=1.0 (a float or int, else TypeError).
    Shape: Input: (*). Target: (*), same shape. Output: scalar; (*) with ``reduction='none'``.
    """

    __constants__ = ["reduction", "delta"]

    def __init__(self, reduction="mean", delta=1.0):
        if not isinstance(delta, (float, int)):
            raise TypeError(f"delta must be a float or int, got: {type(delta)}")
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class PoissonNLLLoss(_Loss):
    """Negative log likelihood of a Poisson target: exp(x) - y x with ``log_input``, else x - y log(x + eps);
    ``full`` adds Stirling's term y log y - y + 0.5 log(2 pi y) where y > 1.

    Args: log_input=True, full=False, size_average, eps=1e-8, reduce, reduction='mean'.
    Shape: Input: (*). Target: (*), same shape. Output: scalar; (*) with ``reduction='none'``.
    """

    __constants__ = ["log_input", "full", "eps", "reduction"]

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full, eps=self.eps,
                                  reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Negative log likelihood of a Gaussian target: 0.5 (log max(var, eps) + (x - y)^2 / max(var, eps))
    (+ 0.5 log(2 pi) with ``full``).

    Args (keyword-only): full=False, eps=1e-6, reduction='mean'.
    Shape: Input: (N, *) or (*). Target: same shape, or one dim of size 1 (broadcast). Var: same shape as
    Input, or one dim of size 1, or one dim fewer (homoscedastic), or a float. Output: scalar; the Input shape
    with ``reduction='none'``.
    """

    __constants__ = ["full", "eps", "reduction"]

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence for log-probability inputs: l = y (log y - x) (0 where y = 0), or
    exp(y) (y - x) with ``log_target``.  ``reduction='batchmean'`` divides the sum by the batch size (the
    mathematically correct KL; 'mean' averages over every element).

    Args: size_average, reduce (deprecated), reduction='mean', log_target=False.
    Shape: Input: (*). Target: (*), same shape. Output: scalar; (*) with ``reduction='none'``.
    """

    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


# ---- classification ---------------------------------------------------------------------------------------------

class NLLLoss(_WeightedLoss):
    """Negative log likelihood of log-probabilities: l_n = -w_{y_n} x_{n, y_n} (0 where y_n = ignore_index);
    'mean' divides by the sum of the target weights.

    Args: weight (C) or None, size_average, ignore_index=-100, reduce, reduction='mean'.
    Shape: Input: (N, C) or (C) or (N, C, d_1, ..., d_K). Target: (N) or () or (N, d_1, ..., d_K), class
    indices in [0, C). Output: scalar; the Target shape with ``reduction='none'``.
    """

    __constants__ = ["ignore_index", "reduction"]

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class NLLLoss2d(NLLLoss):
    """Deprecated alias of `NLLLoss` (warns FutureWarning on construction, as in PyTorch)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in replacement and "
                      "see https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for more details.",
                      FutureWarning, stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of unnormalised logits: log_softmax over the class dim then `NLLLoss`, in one fused op.
    Class-index targets: l_n = -w_{y_n} log p_{n, y_n} (ignore_index rows count 0; 'mean' divides by the sum
    of target weights).  Probability targets (same shape as the input): l_n = -sum_c w_c y_{n, c} log p_{n, c}
    ('mean' divides by N).  ``label_smoothing`` mixes the target with the uniform distribution:
    (1 - eps) y + eps / C.

    Args: weight (C) or None, size_average, ignore_index=-100, reduce, reduction='mean',
    label_smoothing=0.0 (in [0, 1]).
    Shape: Input: (N, C) or (C) or (N, C, d_1, ..., d_K). Target: class indices of shape (N) or () or
    (N, d_1, ..., d_K), or probabilities of the Input shape. Output: scalar; (N) or () or (N, d_1, ..., d_K)
    with ``reduction='none'``.
    """

    __constants__ = ["ignore_index", "reduction", "label_smoothing"]

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities: l_n = -w_n (y_n log x_n + (1 - y_n) log(1 - x_n)), logs clamped
    at -100.

    Args: weight (broadcastable to the input) or None, size_average, reduce, reduction='mean'.
    Shape: Input: (*), values in [0, 1]. Target: (*), same shape. Output: scalar; (*) with
    ``reduction='none'``.
    """

    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross entropy in one stable expression:
    l_n = -w_n (p y_n log sigmoid(x_n) + (1 - y_n) log(1 - sigmoid(x_n))), with ``pos_weight`` p per class
    (broadcast along the last dim).

    Args: weight (broadcastable to the input) or None, size_average, reduce, reduction='mean',
    pos_weight (C) or None; both tensors are buffers.
    Shape: Input: (*). Target: (*), same shape. Output: scalar; (*) with ``reduction='none'``.
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Multi-label one-versus-all loss: l_n = -(1/C) sum_c w_c (y_{n,c} log sigmoid(x_{n,c})
    + (1 - y_{n,c}) log sigmoid(-x_{n,c})).

    Args: weight (C) or None, size_average, reduce, reduction='mean'.
    Shape: Input: (N, C). Target: (N, C), labels in {0, 1}. Output: scalar; (N) with ``reduction='none'``.
    """

    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-class multi-label hinge loss: l_n = sum_{j in targets, i not in targets} max(0, 1 - (x_j - x_i)) / C;
    the target lists class indices, ended by the first -1.

    Shape: Input: (C) or (N, C). Target: same shape, int64 class indices padded with -1. Output: scalar;
    (N) with ``reduction='none'``.
    """

    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss: l_n = sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C.

    Args: p=1 (1 or 2, else ValueError), margin=1.0, weight (C, 1-D, else ValueError) or None, size_average,
    reduce, reduction='mean'.
    Shape: Input: (N, C) or (C). Target: (N) or (), class indices. Output: scalar; the Target shape with
    ``reduction='none'``.
    """

    __constants__ = ["p", "margin", "reduction"]

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p != 1 and p != 2:
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got {weight.dim()}D "
                             f"instead")
        self.p = p
        self.margin = margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=self.weight,
                                   reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss: l_n = log(1 + exp(-y_n x_n)), y in {1, -1}.

    Shape: Input: (*). Target: (*), same shape. Output: scalar; (*) with ``reduction='none'``.
    """

    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


# ---- embeddings and ranking -------------------------------------------------------------------------------------

class HingeEmbeddingLoss(_Loss):
    """l_n = x_n where y_n = 1, max(0, margin - x_n) where y_n = -1 (x usually a distance).

    Args: margin=1.0, size_average, reduce, reduction='mean'.
    Shape: Input: (*). Target: (*), same shape, values 1 or -1. Output: scalar; (*) with
    ``reduction='none'``.
    """

    __constants__ = ["margin", "reduction"]

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """l_n = 1 - cos(x1_n, x2_n) where y_n = 1, max(0, cos(x1_n, x2_n) - margin) where y_n = -1.

    Args: margin=0.0 (in [-1, 1]), size_average, reduce, reduction='mean'.
    Shape: Input1: (N, D) or (D). Input2: same shape. Target: (N) or (), values 1 or -1. Output: scalar;
    (N) or () with ``reduction='none'``.
    """

    __constants__ = ["margin", "reduction"]

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """l_n = max(0, -y_n (x1_n - x2_n) + margin): y = 1 asks x1 to rank higher, y = -1 x2.

    Args: margin=0.0, size_average, reduce, reduction='mean'.
    Shape: Input1: (N) or (). Input2: same shape. Target: same shape, values 1 or -1. Output: scalar;
    (N) or () with ``reduction='none'``.
    """

    __constants__ = ["margin", "reduction"]

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """l_n = max(d(a_n, p_n) - d(a_n, n_n) + margin, 0) with d the p-norm pairwise distance (``eps`` added to
    the difference); ``swap`` uses min(d(a, n), d(p, n)) as the negative distance.

    Args: margin=1.0 (> 0, else ValueError), p=2.0, eps=1e-6, swap=False, size_average, reduce,
    reduction='mean'.
    Shape: Anchor, Positive, Negative: (N, D) or (D). Output: scalar; (N) or () with ``reduction='none'``.
    """

    __constants__ = ["margin", "p", "eps", "swap", "reduction"]

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                     swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """`TripletMarginLoss` with any distance: l_n = max(d(a_n, p_n) - d(a_n, n_n) + margin, 0).

    Args (keyword-only): distance_function (callable of two tensors returning one distance per row;
    default `PairwiseDistance()`, then a submodule), margin=1.0 (> 0, else ValueError), swap=False,
    reduction='mean'.
    Shape: Anchor, Positive, Negative: (N, *) (whatever the distance function takes). Output: scalar; (N)
    with ``reduction='none'``.
    """

    __constants__ = ["margin", "swap", "reduction"]

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(size_average=None, reduce=None, reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} "
                             f"instead")
        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.margin = margin
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(anchor, positive, negative,
                                                   distance_function=self.distance_function, margin=self.margin,
                                                   swap=self.swap, reduction=self.reduction)


# ---- sequences --------------------------------------------------------------------------------------------------

class CTCLoss(_Loss):
    """Connectionist Temporal Classification: -log of the summed probability of every alignment of the target
    to the input (blank-separated).  'mean' divides each sample's loss by its target length, then averages;
    ``zero_infinity`` zeroes infinite losses (and their gradients) of impossible alignments.

    Args: blank=0, reduction='mean', zero_infinity=False.
    Shape: Log_probs: (T, N, C) or (T, C), log_softmax outputs. Targets: (N, S) padded, or the concatenated
    targets (sum(target_lengths)). Input_lengths, Target_lengths: (N) or () (tensors or tuples of ints).
    Output: scalar; (N) with ``reduction='none'``.
    """

    __constants__ = ["blank", "reduction"]

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                          self.zero_infinity)
