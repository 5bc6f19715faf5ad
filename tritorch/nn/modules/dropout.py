"""Dropout layers (PyTorch's `torch.nn.modules.dropout`): `Dropout`, `Dropout1d/2d/3d` (whole
channels), `AlphaDropout` and `FeatureAlphaDropout` (SELU-preserving).  Active in training mode,
the identity in eval mode.
"""
from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    __constants__ = ["p", "inplace"]

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zeroes each element with probability ``p`` and scales the rest by ``1 / (1 - p)``.

    Input: (*).  Output: same shape.
    """

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zeroes whole channels with probability ``p`` and scales the rest by ``1 / (1 - p)``.

    Input: (N, C, L) or (C, L).  Output: same shape.
    """

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels with probability ``p`` and scales the rest by ``1 / (1 - p)``.

    Input: (N, C, H, W) or (C, H, W).  Output: same shape.
    """

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zeroes whole channels with probability ``p`` and scales the rest by ``1 / (1 - p)``.

    Input: (N, C, D, H, W) or (C, D, H, W).  Output: same shape.
    """

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps a SELU network's zero mean and unit variance (dropped elements take SELU's
    negative saturation value, then an affine correction).  ``inplace`` is stored but, as in
    PyTorch, not used.

    Input: (*).  Output: same shape.
    """

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """`AlphaDropout` over whole channels.  ``inplace`` is stored but, as in PyTorch, not used.

    Input: (N, C, *) or (C, *).  Output: same shape.
    """

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)
