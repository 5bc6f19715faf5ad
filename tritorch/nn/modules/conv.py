"""Convolution layers (PyTorch's `torch.nn.modules.conv`): `Conv1d/2d/3d` and `ConvTranspose1d/2d/3d`.

The int-or-tuple argument helpers (`_single`, `_pair`, `_triple`, `_ntuple`) live here for every
layer family (PyTorch keeps them in ``nn/modules/utils.py``).
"""
from collections.abc import Iterable
from itertools import repeat

from ... import empty
from .. import functional as F
from ..parameter import Parameter
from .linear import _reset_fan_in_uniform
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


def _ntuple(n, name="parse"):
    """A parser that turns a scalar into an n-tuple of it and any iterable into a tuple."""
    def parse(x):
        if isinstance(x, Iterable):
            return tuple(x)
        return tuple(repeat(x, n))
    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")


def _reverse_repeat_tuple(t, n):
    """(a, b) -> (b, b, a, a) for n=2: per-dim padding in `F.pad`'s last-dim-first order."""
    return tuple(x for x in reversed(t) for _ in range(n))


class _ConvNd(Module):
    """Shared state of the convolutions: PyTorch's checks, attributes, parameters and init."""

    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode", "output_padding", "in_channels",
                     "out_channels", "kernel_size"]

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        valid_padding_strings = {"same", "valid"}
        if isinstance(padding, str):
            if padding not in valid_padding_strings:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {valid_padding_strings}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        valid_padding_modes = {"zeros", "reflect", "replicate", "circular"}
        if padding_mode not in valid_padding_modes:
            raise ValueError(f"padding_mode must be one of {valid_padding_modes}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's argument for the non-'zeros' padding modes (last dim first, lo then hi).
        if isinstance(self.padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * len(kernel_size)
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1)):
                    total_padding = d * (k - 1)
                    left_pad = total_padding // 2
                    self._reversed_padding_repeated_twice[2 * i] = left_pad
                    self._reversed_padding_repeated_twice[2 * i + 1] = total_padding - left_pad
        else:
            self._reversed_padding_repeated_twice = _reverse_repeat_tuple(self.padding, 2)
        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        self.weight = Parameter(empty(shape, **factory_kwargs))
        if bias:
            self.bias = Parameter(empty(out_channels, **factory_kwargs))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = weight.size(1) * prod(kernel_size)
        (PyTorch's ``kaiming_uniform_(a=sqrt(5))``)."""
        _reset_fan_in_uniform(self.weight, self.bias)

    def extra_repr(self):
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)

    def _conv_forward(self, input, weight, bias):
        conv = self._functional
        if self.padding_mode != "zeros":
            return conv(F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode), weight, bias,
                        self.stride, 0, self.dilation, self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_ConvNd):
    """1D cross-correlation over (N, C_in, L) signals.

    Args: in_channels, out_channels, kernel_size, stride=1, padding=0 (int, tuple, 'same' or 'valid'),
    dilation=1, groups=1, bias=True, padding_mode='zeros' ('reflect', 'replicate', 'circular'), device, dtype.
    Shape: Input: (N, C_in, L_in) or (C_in, L_in). Output: (N, C_out, L_out) or (C_out, L_out) with
    L_out = floor((L_in + 2 padding - dilation (kernel_size - 1) - 1) / stride + 1).
    Attributes: weight (C_out, C_in / groups, kernel_size), bias (C_out), both from U(-sqrt(k), sqrt(k)),
    k = groups / (C_in * kernel_size).
    """

    _functional = staticmethod(F.conv1d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        padding_ = padding if isinstance(padding, str) else _single(padding)
        super().__init__(in_channels, out_channels, _single(kernel_size), _single(stride), padding_,
                         _single(dilation), False, _single(0), groups, bias, padding_mode, device=device, dtype=dtype)


class Conv2d(_ConvNd):
    """2D cross-correlation over (N, C_in, H, W) images.

    Args: as `Conv1d`; kernel_size, stride, padding and dilation take an int or an (h, w) pair.
    Shape: Input: (N, C_in, H_in, W_in) or (C_in, H_in, W_in). Output: (N, C_out, H_out, W_out) or
    (C_out, H_out, W_out), each spatial size as in `Conv1d`.
    Attributes: weight (C_out, C_in / groups, kH, kW), bias (C_out), both from U(-sqrt(k), sqrt(k)),
    k = groups / (C_in * kH * kW).
    """

    _functional = staticmethod(F.conv2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        padding_ = padding if isinstance(padding, str) else _pair(padding)
        super().__init__(in_channels, out_channels, _pair(kernel_size), _pair(stride), padding_,
                         _pair(dilation), False, _pair(0), groups, bias, padding_mode, device=device, dtype=dtype)


class Conv3d(_ConvNd):
    """3D cross-correlation over (N, C_in, D, H, W) volumes.

    Args: as `Conv1d`; kernel_size, stride, padding and dilation take an int or a (d, h, w) triple.
    Shape: Input: (N, C_in, D_in, H_in, W_in) or (C_in, D_in, H_in, W_in). Output: (N, C_out, D_out,
    H_out, W_out) or (C_out, D_out, H_out, W_out), each spatial size as in `Conv1d`.
    Attributes: weight (C_out, C_in / groups, kD, kH, kW), bias (C_out), both from U(-sqrt(k), sqrt(k)),
    k = groups / (C_in * kD * kH * kW).
    """

    _functional = staticmethod(F.conv3d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        padding_ = padding if isinstance(padding, str) else _triple(padding)
        super().__init__(in_channels, out_channels, _triple(kernel_size), _triple(stride), padding_,
                         _triple(dilation), False, _triple(0), groups, bias, padding_mode, device=device, dtype=dtype)


class _ConvTransposeNd(_ConvNd):
    """Shared state of the transposed convolutions: only 'zeros' padding, and the output_size logic."""

    _num_spatial_dims = 0
    _parse = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {self.__class__.__name__}')
        parse = self._parse
        super().__init__(in_channels, out_channels, parse(kernel_size), parse(stride), parse(padding),
                         parse(dilation), True, parse(output_padding), groups, bias, padding_mode,
                         device=device, dtype=dtype)

    def _output_padding(self, input, output_size, stride, padding, kernel_size, num_spatial_dims, dilation=None):
        """The output_padding that makes the output ``output_size`` (spatial sizes, or with the batch and
        channel dims in front), checked against the range the stride allows; ``self.output_padding``
        when ``output_size`` is None."""
        if output_size is None:
            return _single(self.output_padding)
        has_batch_dim = input.dim() == num_spatial_dims + 2
        num_non_spatial_dims = 2 if has_batch_dim else 1
        if len(output_size) == num_non_spatial_dims + num_spatial_dims:
            output_size = output_size[num_non_spatial_dims:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, output_size must have "
                             f"{num_spatial_dims} or {num_non_spatial_dims + num_spatial_dims} elements "
                             f"(got {len(output_size)})")
        min_sizes, max_sizes = [], []
        for d in range(num_spatial_dims):
            dim_size = ((input.size(d + num_non_spatial_dims) - 1) * stride[d] - 2 * padding[d]
                        + (dilation[d] if dilation is not None else 1) * (kernel_size[d] - 1) + 1)
            min_sizes.append(dim_size)
            max_sizes.append(dim_size + stride[d] - 1)
        for size, min_size, max_size in zip(output_size, min_sizes, max_sizes):
            if size < min_size or size > max_size:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from "
                                 f"{min_sizes} to {max_sizes} (for an input of {input.size()[2:]})")
        return [output_size[d] - min_sizes[d] for d in range(num_spatial_dims)]

    def forward(self, input, output_size=None):
        if self.padding_mode != "zeros":
            raise ValueError(f"Only `zeros` padding mode is supported for {type(self).__name__}")
        output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size,
                                              self._num_spatial_dims, self.dilation)
        return self._functional(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1D transposed convolution (the gradient of `Conv1d` with respect to its input).

    Args: in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
    bias=True, dilation=1, padding_mode='zeros' (the only one supported), device, dtype.
    forward(input, output_size=None): ``output_size`` picks the output_padding (see PyTorch).
    Shape: Input: (N, C_in, L_in) or (C_in, L_in). Output: (N, C_out, L_out) or (C_out, L_out) with
    L_out = (L_in - 1) stride - 2 padding + dilation (kernel_size - 1) + output_padding + 1.
    Attributes: weight (C_in, C_out / groups, kernel_size), bias (C_out), both from U(-sqrt(k), sqrt(k)),
    k = groups / (C_out * kernel_size).
    """

    _functional = staticmethod(F.conv_transpose1d)
    _num_spatial_dims = 1
    _parse = staticmethod(_single)


class ConvTranspose2d(_ConvTransposeNd):
    """2D transposed convolution (the gradient of `Conv2d` with respect to its input).

    Args: as `ConvTranspose1d`, each geometry argument an int or an (h, w) pair.
    Shape: Input: (N, C_in, H_in, W_in) or (C_in, H_in, W_in). Output: (N, C_out, H_out, W_out) or
    (C_out, H_out, W_out), each spatial size as in `ConvTranspose1d`.
    Attributes: weight (C_in, C_out / groups, kH, kW), bias (C_out), both from U(-sqrt(k), sqrt(k)),
    k = groups / (C_out * kH * kW).
    """

    _functional = staticmethod(F.conv_transpose2d)
    _num_spatial_dims = 2
    _parse = staticmethod(_pair)


class ConvTranspose3d(_ConvTransposeNd):
    """3D transposed convolution (the gradient of `Conv3d` with respect to its input).

    Args: as `ConvTranspose1d`, each geometry argument an int or a (d, h, w) triple.
    Shape: Input: (N, C_in, D_in, H_in, W_in) or (C_in, D_in, H_in, W_in). Output: (N, C_out, D_out,
    H_out, W_out) or (C_out, D_out, H_out, W_out), each spatial size as in `ConvTranspose1d`.
    Attributes: weight (C_in, C_out / groups, kD, kH, kW), bias (C_out), both from U(-sqrt(k), sqrt(k)),
    k = groups / (C_out * kD * kH * kW).
    """

    _functional = staticmethod(F.conv_transpose3d)
    _num_spatial_dims = 3
    _parse = staticmethod(_triple)
