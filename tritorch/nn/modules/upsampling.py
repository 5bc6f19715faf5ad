"""Upsampling layers (PyTorch's `torch.nn.modules.upsampling`) over `F.interpolate`."""
from .. import functional as F
from .module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    """Resizes 1D, 2D or 3D spatial data to ``size`` or by ``scale_factor`` (one of the two).

    Args: size, scale_factor (float or tuple, stored as floats), mode='nearest' ('linear', 'bilinear',
    'bicubic', 'trilinear', 'nearest-exact', ...), align_corners, recompute_scale_factor.
    Shape: Input: (N, C, W_in), (N, C, H_in, W_in) or (N, C, D_in, H_in, W_in). Output: (N, C, W_out), ...
    with each size floor(in * scale_factor), or ``size``.
    """

    __constants__ = ["size", "scale_factor", "mode", "align_corners", "name", "recompute_scale_factor"]

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        info += ", mode=" + repr(self.mode)
        return info


class UpsamplingNearest2d(Upsample):
    """2D nearest-neighbour upsampling (``Upsample(mode='nearest')``).

    Shape: Input: (N, C, H_in, W_in). Output: (N, C, H_out, W_out).
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """2D bilinear upsampling with corners aligned (``Upsample(mode='bilinear', align_corners=True)``).

    Shape: Input: (N, C, H_in, W_in). Output: (N, C, H_out, W_out).
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
