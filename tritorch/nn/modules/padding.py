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

_SHAPES_1D = "Input: (C, W_in) or (N, C, W_in). Output: (C, W_out) or (N, C, W_out), W_out = W_in + left + right."
_SHAPES_2D = ("Input: (N, C, H_in, W_in) or (C, H_in, W_in). Output: (N, C, H_out, W_out) or (C, H_out, W_out), "
              "H_out = H_in + top + bottom, W_out = W_in + left + right.")
_SHAPES_3D = ("Input: (N, C, D_in, H_in, W_in) or (C, D_in, H_in, W_in). Output: (N, C, D_out, H_out, W_out) or "
              "(C, D_out, H_out, W_out), D_out = D_in + front + back, H_out and W_out as in 2D.")


class _PadNd(Module):
    """``padding`` parsed by the subclass's ``_parse``; ``forward`` is ``F.pad`` in ``_mode``."""

    __constants__ = ["padding"]
    _parse = None
    _mode = None

    def __init__(self, padding):
        super().__init__()
        self.padding = self._parse(padding)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    _mode = "circular"
    _dims = 0

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
    _parse = staticmethod(_pair)


class CircularPad2d(_CircularPadNd):
    __doc__ = f"""Pads the last two dims by wrapping around (circular). Shape: {_SHAPES_2D}"""
    _dims = 2
    _parse = staticmethod(_quadruple)


class CircularPad3d(_CircularPadNd):
    __doc__ = f"""Pads the last three dims by wrapping around (circular). Shape: {_SHAPES_3D}"""
    _dims = 3
    _parse = staticmethod(_sextuple)


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
    _parse = staticmethod(_pair)


class ConstantPad2d(_ConstantPadNd):
    __doc__ = f"""Pads the last two dims with ``value``. Shape: {_SHAPES_2D}"""
    _parse = staticmethod(_quadruple)


class ConstantPad3d(_ConstantPadNd):
    __doc__ = f"""Pads the last three dims with ``value``. Shape: {_SHAPES_3D}"""
    _parse = staticmethod(_sextuple)


class ZeroPad1d(ConstantPad1d):
    __doc__ = f"""Pads the last dim with zeros. Shape: {_SHAPES_1D}"""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    __doc__ = f"""Pads the last two dims with zeros. Shape: {_SHAPES_2D}"""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    __doc__ = f"""Pads the last three dims with zeros. Shape: {_SHAPES_3D}"""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    __doc__ = f"""Pads the last dim with its reflection (edge not repeated). Shape: {_SHAPES_1D}"""
    _mode = "reflect"
    _parse = staticmethod(_pair)


class ReflectionPad2d(_PadNd):
    __doc__ = f"""Pads the last two dims with their reflection (edge not repeated). Shape: {_SHAPES_2D}"""
    _mode = "reflect"
    _parse = staticmethod(_quadruple)


class ReflectionPad3d(_PadNd):
    __doc__ = f"""Pads the last three dims with their reflection (edge not repeated). Shape: {_SHAPES_3D}"""
    _mode = "reflect"
    _parse = staticmethod(_sextuple)


class ReplicationPad1d(_PadNd):
    __doc__ = f"""Pads the last dim by repeating its edge value. Shape: {_SHAPES_1D}"""
    _mode = "replicate"
    _parse = staticmethod(_pair)


class ReplicationPad2d(_PadNd):
    __doc__ = f"""Pads the last two dims by repeating their edge values. Shape: {_SHAPES_2D}"""
    _mode = "replicate"
    _parse = staticmethod(_quadruple)


class ReplicationPad3d(_PadNd):
    __doc__ = f"""Pads the last three dims by repeating their edge values. Shape: {_SHAPES_3D}"""
    _mode = "replicate"
    _parse = staticmethod(_sextuple)
