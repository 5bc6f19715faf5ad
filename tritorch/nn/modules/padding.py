"""Padding layers (PyTorch's `torch.nn.modules.padding`) over `F.pad`: zero, constant, reflection,
replication and circular padding of the last 1, 2 or 3 dims.

``padding`` is an int (every side) or a tuple in `F.pad`'s order, last dim first:
(left, right), (left, right, top, bottom), (left, right, top, bottom, front, back).
"""
from .. import functional as F
from .conv import _ntuple, _pair
from .module import Module

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d"]

_quadruple = _ntuple(4, "_quadruple")
_sextuple = _ntuple(6, "_sextuple")
_PARSE = {1: _pair, 2: _quadruple, 3: _sextuple}  # by the number of padded dims

_SHAPES_1D = "Input: (C, W_in) or (N, C, W_in). Output: (C, W_out) or (N, C, W_out), W_out = W_in + left + right."
_SHAPES_2D = ("Input: (N, C, H_in, W_in) or (C, H_in, W_in). Output: (N, C, H_out, W_out) or (C, H_out, W_out), "
              "H_out = H_in + top + bottom, W_out = W_in + left + right.")
_SHAPES_3D = ("Input: (N, C, D_in, H_in, W_in) or (C, D_in, H_in, W_in). Output: (N, C, D_out, H_out, W_out) or "
              "(C, D_out, H_out, W_out), D_out = D_in + front + back, H_out and W_out as in 2D.")


class _PadNd(Module):
    """What the padding bases share: ``padding`` parsed to ``2 * _dims`` ints (an int pads every
    side); ``forward`` is ``F.pad`` in the subclass's ``_mode``."""

    __constants__ = ["padding"]
    _dims = 0
    _mode = None

    def __init__(self, padding):
        super().__init__()
        self.padding = _PARSE[self._dims](padding)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def _check_input_dim(self, input):
        n = self._dims
        if input.dim() != n + 1 and input.dim() != n + 2:
            raise ValueError(f"expected {n + 1}D or {n + 2}D input (got {input.dim()}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    __doc__ = f"""Pads the last dim by wrapping around (circular). Shape: {_SHAPES_1D}"""
    _dims = 1


class CircularPad2d(_CircularPadNd):
    __doc__ = f"""Pads the last two dims by wrapping around (circular). Shape: {_SHAPES_2D}"""
    _dims = 2


class CircularPad3d(_CircularPadNd):
    __doc__ = f"""Pads the last three dims by wrapping around (circular). Shape: {_SHAPES_3D}"""
    _dims = 3


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]
    _mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    __doc__ = f"""Pads the last dim with ``value``. Shape: {_SHAPES_1D}"""
    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    __doc__ = f"""Pads the last two dims with ``value``. Shape: {_SHAPES_2D}"""
    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    __doc__ = f"""Pads the last three dims with ``value``. Shape: {_SHAPES_3D}"""
    _dims = 3


class _ZeroPadNd(_ConstantPadNd):
    """Constant padding with 0.0 (``ZeroPadNd`` also derives from ``ConstantPadNd``, as in PyTorch)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd, ConstantPad1d):
    __doc__ = f"""Pads the last dim with zeros. Shape: {_SHAPES_1D}"""


class ZeroPad2d(_ZeroPadNd, ConstantPad2d):
    __doc__ = f"""Pads the last two dims with zeros. Shape: {_SHAPES_2D}"""


class ZeroPad3d(_ZeroPadNd, ConstantPad3d):
    __doc__ = f"""Pads the last three dims with zeros. Shape: {_SHAPES_3D}"""


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    __doc__ = f"""Pads the last dim with its reflection (edge not repeated). Shape: {_SHAPES_1D}"""
    _dims = 1


class ReflectionPad2d(_ReflectionPadNd):
    __doc__ = f"""Pads the last two dims with their reflection (edge not repeated). Shape: {_SHAPES_2D}"""
    _dims = 2


class ReflectionPad3d(_ReflectionPadNd):
    __doc__ = f"""Pads the last three dims with their reflection (edge not repeated). Shape: {_SHAPES_3D}"""
    _dims = 3


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    __doc__ = f"""Pads the last dim by repeating its edge value. Shape: {_SHAPES_1D}"""
    _dims = 1


class ReplicationPad2d(_ReplicationPadNd):
    __doc__ = f"""Pads the last two dims by repeating their edge values. Shape: {_SHAPES_2D}"""
    _dims = 2


class ReplicationPad3d(_ReplicationPadNd):
    __doc__ = f"""Pads the last three dims by repeating their edge values. Shape: {_SHAPES_3D}"""
    _dims = 3
