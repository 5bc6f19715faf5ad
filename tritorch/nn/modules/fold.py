"""Sliding-block layers (PyTorch's `torch.nn.modules.fold`): `Unfold` (im2col) and `Fold` (col2im)."""
from .. import functional as F
from .module import Module

__all__ = ["Fold", "Unfold"]


class Fold(Module):
    """Sums sliding local blocks back into a spatial tensor (col2im; overlapping values add up).

    Args: output_size, kernel_size, dilation=1, padding=0, stride=1 (each an int or a tuple).
    Shape: Input: (N, C * prod(kernel_size), L) or (C * prod(kernel_size), L), L the number of blocks.
    Output: (N, C, output_size[0], output_size[1], ...) or (C, output_size[0], ...).
    """

    __constants__ = ["output_size", "kernel_size", "dilation", "padding", "stride"]

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return ("output_size={output_size}, kernel_size={kernel_size}, dilation={dilation}, padding={padding}, "
                "stride={stride}".format(**self.__dict__))


class Unfold(Module):
    """Extracts sliding local blocks of a batched spatial tensor (im2col).

    Args: kernel_size, dilation=1, padding=0, stride=1 (each an int or a tuple).
    Shape: Input: (N, C, *) or (C, *). Output: (N, C * prod(kernel_size), L) or (C * prod(kernel_size), L),
    L the number of blocks.
    """

    __constants__ = ["kernel_size", "dilation", "padding", "stride"]

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return "kernel_size={kernel_size}, dilation={dilation}, padding={padding}, stride={stride}".format(
            **self.__dict__)
