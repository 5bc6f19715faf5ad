"""Sub-pixel rearrangement layers (PyTorch's `torch.nn.modules.pixelshuffle`)."""
from .. import functional as F
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """Moves channel blocks into space: (*, C r^2, H, W) -> (*, C, H r, W r), r = upscale_factor.

    Shape: Input: (*, C_in, H_in, W_in). Output: (*, C_in / r^2, H_in r, W_in r).
    """

    __constants__ = ["upscale_factor"]

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """The inverse of `PixelShuffle`: (*, C, H r, W r) -> (*, C r^2, H, W), r = downscale_factor.

    Shape: Input: (*, C_in, H_in, W_in). Output: (*, C_in r^2, H_in / r, W_in / r).
    """

    __constants__ = ["downscale_factor"]

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
