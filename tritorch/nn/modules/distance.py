"""Distance layers (PyTorch's `torch.nn.modules.distance`)."""
from .. import functional as F
from .module import Module

__all__ = ["PairwiseDistance", "CosineSimilarity"]


class PairwiseDistance(Module):
    """p-norm of x1 - x2 + eps over the last dim.

    Args: p=2.0 (stored as ``norm``), eps=1e-6, keepdim=False.
    Shape: Input1: (N, D) or (D). Input2: same shape as Input1 (or broadcastable). Output: (N) or ()
    ((N, 1) or (1) with keepdim).
    """

    __constants__ = ["norm", "eps", "keepdim"]

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """x1 . x2 / max(||x1|| ||x2||, eps) along ``dim``.

    Args: dim=1, eps=1e-8.
    Shape: Input1: (*1, D, *2), D at ``dim``. Input2: broadcastable to Input1. Output: (*1, *2).
    """

    __constants__ = ["dim", "eps"]

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
