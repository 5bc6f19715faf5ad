"""Pooling layers (PyTorch's `torch.nn.modules.pooling`): max, max-unpool, average, power-average (LP)
and adaptive pooling in 1, 2 and 3 spatial dims."""
import math

from .. import functional as F
from .conv import _ntuple, _single
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "AvgPool1d",
           "AvgPool2d", "AvgPool3d", "LPPool1d", "LPPool2d", "LPPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
           "AdaptiveMaxPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d"]

# The Shape lines of the 2d and 3d docstrings (the 1d ones also give the output-size formula).
_SHAPES_2D = "Shape: Input: (N, C, H_in, W_in) or (C, H_in, W_in). Output: (N, C, H_out, W_out) or (C, H_out, W_out)."
_SHAPES_3D = ("Shape: Input: (N, C, D_in, H_in, W_in) or (C, D_in, H_in, W_in). Output: (N, C, D_out, H_out, W_out)\n"
              "    or (C, D_out, H_out, W_out).")


class _MaxPoolNd(Module):
    __constants__ = ["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"]

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return self._functional(input, self.kernel_size, self.stride, self.padding, self.dilation,
                                ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return ("kernel_size={kernel_size}, stride={stride}, padding={padding}, dilation={dilation}, "
                "ceil_mode={ceil_mode}".format(**self.__dict__))


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of (N, C, L) signals.

    Args: kernel_size, stride=kernel_size, padding=0 (implicit -inf), dilation=1, return_indices=False
    (also return the flat argmax per plane, for `MaxUnpool1d`), ceil_mode=False.
    Shape: Input: (N, C, L_in) or (C, L_in). Output: (N, C, L_out) or (C, L_out) with
    L_out = floor((L_in + 2 padding - dilation (kernel_size - 1) - 1) / stride + 1) (ceil in ceil_mode).
    """

    _functional = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    __doc__ = f"""Max over sliding windows of (N, C, H, W) images; arguments as `MaxPool1d` (ints or pairs).

    {_SHAPES_2D}
    """

    _functional = staticmethod(F.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    __doc__ = f"""Max over sliding windows of (N, C, D, H, W) volumes; arguments as `MaxPool1d` (ints or triples).

    {_SHAPES_3D}
    """

    _functional = staticmethod(F.max_pool3d)


class _MaxUnpoolNd(Module):
    _dims = 0

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        parse = _ntuple(self._dims)
        self.kernel_size = parse(kernel_size)
        self.stride = parse(stride if stride is not None else kernel_size)
        self.padding = parse(padding)

    def forward(self, input, indices, output_size=None):
        return self._functional(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _max_unpool_doc(n, dims):
    return (f"""Partial inverse of `MaxPool{n}d`: scatters each value to the position its index names, zeros
    elsewhere.

    Args: kernel_size, stride=kernel_size, padding=0 (those of the `MaxPool{n}d`).
    forward(input, indices, output_size=None): ``indices`` from ``MaxPool{n}d(return_indices=True)``;
    ``output_size`` resolves the sizes a strided pool made ambiguous.
    Shape: Input: (N, C, {dims}_in) or (C, {dims}_in). Output: (N, C, {dims}_out) or (C, {dims}_out) with
    each size (in - 1) stride - 2 padding + kernel_size, or ``output_size``.
    """)


class MaxUnpool1d(_MaxUnpoolNd):
    __doc__ = _max_unpool_doc(1, "L")
    _dims = 1
    _functional = staticmethod(F.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    __doc__ = _max_unpool_doc(2, "H, W")
    _dims = 2
    _functional = staticmethod(F.max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    __doc__ = _max_unpool_doc(3, "D, H, W")
    _dims = 3
    _functional = staticmethod(F.max_unpool3d)


class _AvgPoolNd(Module):
    __constants__ = ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"]

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Mean over sliding windows of (N, C, L) signals.

    Args: kernel_size, stride=kernel_size, padding=0 (implicit zeros), ceil_mode=False,
    count_include_pad=True (the zeros of the padding count in the divisor).
    Shape: Input: (N, C, L_in) or (C, L_in). Output: (N, C, L_out) or (C, L_out) with
    L_out = floor((L_in + 2 padding - kernel_size) / stride + 1) (ceil in ceil_mode).
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class _AvgPoolNdOverride(_AvgPoolNd):
    __constants__ = ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"]

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return self._functional(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                self.count_include_pad, self.divisor_override)


class AvgPool2d(_AvgPoolNdOverride):
    __doc__ = f"""Mean over sliding windows of (N, C, H, W) images; arguments as `AvgPool1d` (ints or pairs) plus
    divisor_override (a fixed divisor instead of the window size).

    {_SHAPES_2D}
    """

    _functional = staticmethod(F.avg_pool2d)


class AvgPool3d(_AvgPoolNdOverride):
    __doc__ = f"""Mean over sliding windows of (N, C, D, H, W) volumes; arguments as `AvgPool2d` (ints or triples).

    {_SHAPES_3D}
    """

    _functional = staticmethod(F.avg_pool3d)


class _LPPoolNd(Module):
    """Power-average pooling, (sum over the window of x^p)^(1/p), composed as PyTorch's ``F.lp_poolNd``
    is: ``avg_pool(x^p) * window size``, then the p-th root (p = inf: max of |x|)."""

    __constants__ = ["norm_type", "kernel_size", "stride", "ceil_mode"]
    _dims = 0

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input):
        norm_type = float(self.norm_type)
        if norm_type == math.inf:
            return self._max_pool(input.abs(), self.kernel_size, self.stride, 0, 1, self.ceil_mode)
        if norm_type == -math.inf:
            return -self._max_pool(-input.abs(), self.kernel_size, self.stride, 0, 1, self.ceil_mode)
        out = self._avg_pool(input.pow(norm_type), self.kernel_size, self.stride, 0, self.ceil_mode)
        window = math.prod(_ntuple(self._dims)(self.kernel_size))
        # sign * relu(abs): zero where avg_pool rounded a sum of non-negative powers below zero.
        return (out.sign() * F.relu(out.abs())).mul(window).pow(1.0 / norm_type)

    def extra_repr(self):
        return "norm_type={norm_type}, kernel_size={kernel_size}, stride={stride}, ceil_mode={ceil_mode}".format(
            **self.__dict__)


class LPPool1d(_LPPoolNd):
    """Power-average pooling over (N, C, L) signals: f(X) = (sum_{x in X} x^p)^(1/p).

    Args: norm_type (p), kernel_size, stride=kernel_size, ceil_mode=False.
    Shape: Input: (N, C, L_in) or (C, L_in). Output: (N, C, L_out) or (C, L_out) with
    L_out = floor((L_in - kernel_size) / stride + 1).
    """

    _dims = 1
    _avg_pool = staticmethod(F.avg_pool1d)
    _max_pool = staticmethod(F.max_pool1d)


class LPPool2d(_LPPoolNd):
    __doc__ = f"""Power-average pooling over (N, C, H, W) images; arguments as `LPPool1d` (ints or pairs).

    {_SHAPES_2D}
    """

    _dims = 2
    _avg_pool = staticmethod(F.avg_pool2d)
    _max_pool = staticmethod(F.max_pool2d)


class LPPool3d(_LPPoolNd):
    __doc__ = f"""Power-average pooling over (N, C, D, H, W) volumes; arguments as `LPPool1d` (ints or triples).

    {_SHAPES_3D}
    """

    _dims = 3
    _avg_pool = staticmethod(F.avg_pool3d)
    _max_pool = staticmethod(F.max_pool3d)


class _AdaptiveMaxPoolNd(Module):
    __constants__ = ["output_size", "return_indices"]

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input):
        return self._functional(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed output length (window i covers [floor(i L_in / L_out), ceil((i+1) L_in / L_out))).

    Args: output_size (int), return_indices=False.
    Shape: Input: (N, C, L_in) or (C, L_in). Output: (N, C, L_out) or (C, L_out), L_out = output_size.
    """

    _functional = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    __doc__ = f"""Max pooling to a fixed (H_out, W_out); output_size an int, a pair, or a pair with None
    (keep that size).

    {_SHAPES_2D}
    """

    _functional = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    __doc__ = f"""Max pooling to a fixed (D_out, H_out, W_out); output_size an int or a triple (None keeps a size).

    {_SHAPES_3D}
    """

    _functional = staticmethod(F.adaptive_max_pool3d)


class _AdaptiveAvgPoolNd(Module):
    __constants__ = ["output_size"]

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return self._functional(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling to a fixed output length (windows as in `AdaptiveMaxPool1d`).

    Shape: Input: (N, C, L_in) or (C, L_in). Output: (N, C, L_out) or (C, L_out), L_out = output_size.
    """

    _functional = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    __doc__ = f"""Average pooling to a fixed (H_out, W_out); output_size an int or a pair (None keeps a size).

    {_SHAPES_2D}
    """

    _functional = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    __doc__ = f"""Average pooling to a fixed (D_out, H_out, W_out); output_size an int or a triple (None keeps a size).

    {_SHAPES_3D}
    """

    _functional = staticmethod(F.adaptive_avg_pool3d)
