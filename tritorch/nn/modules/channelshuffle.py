"""Channel shuffle (PyTorch's `torch.nn.modules.channelshuffle`)."""
from .. import functional as F
from .module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """Splits the channels into ``groups`` groups and interleaves them: (g, C/g) -> (C/g, g).

    Shape: Input: (N, C, *) with C divisible by groups. Output: (N, C, *).
    """

    __constants__ = ["groups"]

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
