"""Convolution via im2col (``F.conv1d/2d/3d``, ``F.conv_transpose1d/2d/3d``, ``F.unfold``, ``F.fold``).

Two registry ops, each the adjoint of the other:

* ``im2col(x, kernel_size, dilation, padding, stride)``: x ``(N, C, *spatial)`` with 1–3 spatial
  dims -> ``(N, C * prod(kernel_size), L)`` in ``F.unfold``'s layout (row = channel-major
  ``(c, kernel tap)``, column = output position, row-major).  ``padding`` is one ``(lo, hi)`` pair
  per spatial dim (zero padding; asymmetric for ``padding="same"``; ``hi`` may be negative, which
  crops, as ``conv_transpose``'s ``output_padding`` needs).
* ``col2im(cols, output_size, kernel_size, dilation, padding, stride)``: the adjoint, ``F.fold``
  (overlapping patches add up).  ``im2col(..., transposed=True)`` writes the same values laid out
  ``(C * K, N, L)``: the convolution's GEMM operand, so that one GEMM covers the whole batch.

Their autograd nodes (``Im2ColBackward0`` / ``Col2ImBackward0``) call each other, so every
derivative order exists.  A convolution is im2col -> one GEMM per group over the whole batch,
``(Cout, C*K) @ (C*K, N*L)`` -> ``(N, Cout, *out_spatial)`` (one permuting copy when N > 1); its
gradients come from autograd through that composition (the GEMM's backward: dW is one GEMM, dx a
GEMM then col2im).  The bias rides in the GEMM's epilogue (``fused_matmul(..., bias_dim=-2)``: one
bias per output row = output channel) when groups == 1, else a broadcast add.  A transposed
convolution is the mirror: GEMM with the transposed weight, then col2im (bias added after).  1x1
kernels without padding skip im2col: a (strided) view of the input is already the column matrix,
(N, C, L), and the GEMM broadcasts the weight over the batch.

Differences from PyTorch: floating dtypes only (PyTorch's CPU conv also takes integers); the
autograd graph shows the composition's nodes rather than one ``ConvolutionBackward0``.
"""
from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

from .._dtype import TORCH_NAMES
from ._common import def_op, Node, apply, check_tensor, shape_str
from . import linalg as _linalg
from .linear import fused_matmul

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]
_E = {}
_DIM_NAMES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _tup(v):
    return "(" + ", ".join(str(x) for x in v) + ")"


def _blocks(size, k, d, p, s):
    """Sliding positions along one dim (C-style truncation, as PyTorch prints negative counts)."""
    return int((size + p[0] + p[1] - (d * (k - 1) + 1)) / s) + 1


def _check_geometry(op, k, dil, pad, stride):
    n = len(k)
    names = _DIM_NAMES.get(n)
    if names is None:
        raise RuntimeError(f"{op}: 1, 2 or 3 spatial dims are supported, got kernel_size={_tup(k)}")
    for vals, what in ((k, "kernel size"), (stride, "stride"), (dil, "dilation")):
        if any(v <= 0 for v in vals):
            label = "kernel" if what == "kernel size" else what
            raise RuntimeError(f"{op}: {what} should be greater than zero, but got "
                               + " ".join(f"{label}_{nm}: {v}" for nm, v in zip(names, vals)))
    if any(p[0] < 0 for p in pad):
        raise RuntimeError(f"{op}: padding should be non-negative, but got "
                           + " ".join(f"pad_{nm}: {p[0]}" for nm, p in zip(names, pad)))


def _pad_str(pad):
    return _tup(p[0] if p[0] == p[1] else p for p in pad)


def _meta_im2col(x, kernel_size, dilation, padding, stride, transposed=False):
    """x (N, C, *spatial) -> (N, C * prod(kernel_size), L): F.unfold's layout, any of 1-3 spatial
    dims; ``padding`` is one (lo, hi) pair per spatial dim.  ``transposed``: the same values laid
    out (C * prod(kernel_size), N, L), the convolution GEMM's operand."""
    check_tensor(x, "im2col")
    k = tuple(kernel_size)
    _check_geometry("im2col", k, dilation, padding, stride)
    s = x._data.shape
    if len(s) != len(k) + 2:
        raise RuntimeError(f"im2col: expected a {len(k) + 2}-D input (N, C, *spatial) for kernel_size={_tup(k)}, "
                           f"but got input of size {shape_str(s)}")
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"im2col\" not implemented for '{TORCH_NAMES[x.dtype]}'")
    blocks = tuple(_blocks(*a) for a in zip(s[2:], k, dilation, padding, stride))
    if any(b < 1 for b in blocks):
        raise RuntimeError(f"im2col: Given input with spatial size {_tup(s[2:])}, kernel_size={_tup(k)}, "
                           f"dilation={_tup(dilation)}, padding={_pad_str(padding)}, calculated shape of the array "
                           f"of sliding blocks as {_tup(blocks)}, but its components must be at least one.")
    if transposed:
        return (s[1] * math.prod(k), s[0], math.prod(blocks)), x.dtype
    return (s[0], s[1] * math.prod(k), math.prod(blocks)), x.dtype


def _meta_col2im(cols, output_size, kernel_size, dilation, padding, stride):
    """cols (N, C * prod(kernel_size), L) -> (N, C, *output_size), overlapping patches summed
    (F.fold); ``padding`` is one (lo, hi) pair per spatial dim."""
    check_tensor(cols, "col2im")
    k = tuple(kernel_size)
    _check_geometry("col2im", k, dilation, padding, stride)
    s = cols._data.shape
    if len(s) != 3:
        raise RuntimeError(f"col2im: expected a 3-D input (N, C * prod(kernel_size), L), but got input of size "
                           f"{shape_str(s)}")
    if len(output_size) != len(k):
        raise RuntimeError(f"col2im: It is expected output_size equals to {len(k)}, but got size {len(output_size)}")
    if not cols.dtype.is_floating_point:
        raise NotImplementedError(f"\"col2im\" not implemented for '{TORCH_NAMES[cols.dtype]}'")
    K = math.prod(k)
    if s[1] % K:
        raise RuntimeError(f"col2im: Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={s[1]} and kernel_size={_tup(k)}.")
    blocks = tuple(_blocks(*a) for a in zip(output_size, k, dilation, padding, stride))
    if any(b < 1 for b in blocks) or math.prod(blocks) != s[2]:
        raise RuntimeError(f"col2im: Given output_size={_tup(output_size)}, kernel_size={_tup(k)}, dilation="
                           f"{_tup(dilation)}, padding={_pad_str(padding)}, stride={_tup(stride)}, expected size of "
                           f"input's dimension 2 to match the calculated number of sliding blocks "
                           f"{' * '.join(str(b) for b in blocks)} = {math.prod(blocks)}, but got input.size(2)={s[2]}.")
    return (s[0], s[1] // K) + tuple(output_size), cols.dtype


_IM2COL = def_op("im2col", _meta_im2col)
_COL2IM = def_op("col2im", _meta_col2im)


# --- autograd ---------------------------------------------------------------------------------

class Im2ColBackward0(Node):
    """im2col is linear; its adjoint (the input gradient) is col2im."""

    def backward(self, g):
        return (col2im(g.transpose(0, 1) if self.transposed else g, self.size, *self.geom),)


class Col2ImBackward0(Node):
    """col2im is linear; its adjoint (the input gradient) is im2col."""

    def backward(self, g):
        return (im2col(g, *self.geom),)


def im2col(x: Tensor, kernel_size: Sequence[int], dilation: Sequence[int], padding: Sequence[Sequence[int]],
           stride: Sequence[int], transposed: bool = False) -> Tensor:
    """Registry im2col (differentiable); arguments are tuples, ``padding`` of (lo, hi) pairs;
    ``transposed`` gives the (C * K, N, L) layout instead of (N, C * K, L)."""
    geom = (tuple(kernel_size), tuple(dilation), tuple(tuple(p) for p in padding), tuple(stride))
    return apply(_IM2COL, (x,) + geom, {"transposed": True} if transposed else _E, Im2ColBackward0, (x,),
                 size=tuple(x._data.shape[2:]), geom=geom, transposed=transposed)


def col2im(cols: Tensor, output_size: Sequence[int], kernel_size: Sequence[int], dilation: Sequence[int],
           padding: Sequence[Sequence[int]], stride: Sequence[int]) -> Tensor:
    """Registry col2im (differentiable); arguments are tuples, ``padding`` of (lo, hi) pairs."""
    geom = (tuple(kernel_size), tuple(dilation), tuple(tuple(p) for p in padding), tuple(stride))
    return apply(_COL2IM, (cols, tuple(output_size)) + geom, _E, Col2ImBackward0, (cols,), geom=geom)


# --- argument handling ------------------------------------------------------------------------

def _int_tuple(v, n, op, arg, conv=True):
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return (int(v),) * n
    if isinstance(v, (tuple, list)) and all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in v):
        if len(v) == 1:
            return (int(v[0]),) * n
        if len(v) == n:
            return tuple(int(x) for x in v)
        if conv:
            raise RuntimeError(f"{op}: expected {arg} to be a single integer value or a list of {n} values to match "
                               f"the convolution dimensions, but got {arg}={list(v)}")
        raise RuntimeError(f"{op}: It is expected {arg} equals to {n}, but got size {len(v)}")
    raise TypeError(f"{op}(): argument '{arg}' must be tuple of ints, not {type(v).__name__}")


def _check_dtypes(op, x, weight, bias):
    check_tensor(x, op)
    check_tensor(weight, op, "weight")
    if bias is not None:
        check_tensor(bias, op, "bias")
    for t in (weight, bias):
        if t is not None and t._storage.device is not x._storage.device:
            raise RuntimeError(f"{op}: expected all tensors to be on the same device, but found at least two "
                               f"devices, {x._storage.device} and {t._storage.device}")
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"{op}: \"convolution\" not implemented for '{TORCH_NAMES[x.dtype]}' "
                                  "(tritorch convolutions take floating dtypes)")
    if weight.dtype is not x.dtype:
        raise RuntimeError(f"{op}: expected scalar type {TORCH_NAMES[x.dtype]} but found {TORCH_NAMES[weight.dtype]} "
                           f"(input {TORCH_NAMES[x.dtype]}, weight {TORCH_NAMES[weight.dtype]})")
    if bias is not None and bias.dtype is not x.dtype:
        raise RuntimeError(f"{op}: Input type ({TORCH_NAMES[x.dtype].lower()}) and bias type "
                           f"({TORCH_NAMES[bias.dtype].lower()}) should be the same")


def _check_common(op, d, x, weight, bias, stride, dilation, groups):
    _check_dtypes(op, x, weight, bias)
    s = x._data.shape
    if len(s) not in (d + 1, d + 2):
        raise RuntimeError(f"{op}: Expected {d + 1}D (unbatched) or {d + 2}D (batched) input to {op}, but got "
                           f"input of size: {shape_str(s)}")
    ws = weight._data.shape
    if len(ws) != d + 2:
        raise RuntimeError(f"{op}: Expected {d + 2}-dimensional weight for {d + 2}-dimensional input "
                           f"{shape_str(s if len(s) == d + 2 else (1,) + s)}, but got {len(ws)}-dimensional weight "
                           f"of size {shape_str(ws)} instead")
    stride = _int_tuple(stride, d, op, "stride")
    dilation = _int_tuple(dilation, d, op, "dilation")
    if any(v <= 0 for v in stride):
        raise RuntimeError(f"{op}: non-positive stride is not supported")
    if any(v <= 0 for v in dilation):
        raise RuntimeError(f"{op}: non-positive dilation is not supported")
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool):
        raise TypeError(f"{op}(): argument 'groups' must be int, not {type(groups).__name__}")
    if groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported")
    if ws[0] == 0:
        raise RuntimeError(f"{op}: Given groups={groups}, expected weight to be at least 1 at dimension 0, but got "
                           f"weight of size {shape_str(ws)} instead")
    if ws[0] % groups:
        raise RuntimeError(f"{op}: Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{shape_str(ws)}] instead")
    return stride, dilation, int(groups)


def _check_bias(op, bias, ws, cout):
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != cout):
        raise RuntimeError(f"{op}: Given weight of size {shape_str(ws)}, expected bias to be 1-dimensional with "
                           f"{cout} elements, but got bias of size {shape_str(bias._data.shape)} instead")


def _batched(x, d):
    return (x, False) if x._data.ndim == d + 2 else (x.unsqueeze(0), True)


def _gemm_bias(w, cols, bias, groups):
    """``w @ cols`` plus one bias per GEMM row (= output channel): w (Cout, C*K) or per group
    (G, Cout/G, C*K/G), cols (C*K, N*L) / (G, C*K/G, N*L), or the 1x1 path's (N, C, L) / (N, G, C/G, L)."""
    cout = w.shape[-2] * groups
    if bias is not None and groups == 1:
        return fused_matmul(w, cols, bias=bias, bias_dim=-2)
    out = _linalg.matmul(w, cols)
    if bias is not None:
        out = out + (bias.reshape(cout, 1) if groups == 1 else bias.reshape(groups, cout // groups, 1))
    return out


# --- convolution ------------------------------------------------------------------------------

def _conv(op, d, input, weight, bias, stride, padding, dilation, groups):
    stride, dilation, groups = _check_common(op, d, input, weight, bias, stride, dilation, groups)
    x, unbatched = _batched(input, d)
    s, ws = x._data.shape, weight._data.shape
    k = ws[2:]
    eff = tuple(dl * (kk - 1) for dl, kk in zip(dilation, k))
    if isinstance(padding, str):
        if padding == "valid":
            pad = ((0, 0),) * d
        elif padding == "same":
            if any(v != 1 for v in stride):
                raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions")
            pad = tuple((e // 2, e - e // 2) for e in eff)
        else:
            raise RuntimeError(f"{op}: Invalid padding string: '{padding}'")
    else:
        p = _int_tuple(padding, d, op, "padding")
        if any(v < 0 for v in p):
            raise RuntimeError(f"{op}: negative padding is not supported")
        pad = tuple((v, v) for v in p)
    cin, cout = s[1], ws[0]
    if cin != ws[1] * groups:
        raise RuntimeError(f"{op}: Given groups={groups}, weight of size {shape_str(ws)}, expected input"
                           f"{shape_str(s)} to have {ws[1] * groups} channels, but got "
                           f"{cin} channels instead")
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(s[2:], pad))
    if any(pi < e + 1 for pi, e in zip(padded, eff)):
        raise RuntimeError(f"{op}: Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                           f"Kernel size: ({' x '.join(str(e + 1) for e in eff)}). Kernel size can't be greater "
                           f"than actual input size")
    _check_bias(op, bias, ws, cout)
    n = s[0]
    osz = tuple((pi - e - 1) // st + 1 for pi, e, st in zip(padded, eff, stride))
    L, ckg, g = math.prod(osz), ws[1] * math.prod(k), groups
    w = weight.reshape(cout, ckg) if g == 1 else weight.reshape(g, cout // g, ckg)
    if all(kk == 1 for kk in k) and all(lo == 0 and hi == 0 for lo, hi in pad):
        # A 1x1 kernel reads each (strided) input position once: the column matrix is a view of
        # the input, (N, C, L), and the GEMM broadcasts the weight over the batch.
        if any(st != 1 for st in stride):
            x = x[(slice(None),) * 2 + tuple(slice(None, None, st) for st in stride)]
        cols = x.reshape(n, cin, L)
        out = _gemm_bias(w, cols if g == 1 else cols.reshape(n, g, ckg, L), bias, g)
        out = out.reshape((n, cout) + osz)
    else:
        # Columns laid out (C * K, N * L): one GEMM per group over the whole batch, whose weight
        # gradient is one GEMM too (no per-sample (Cout, C * K) products to sum).
        cols = im2col(x, k, dilation, pad, stride, transposed=True)
        out = _gemm_bias(w, cols.reshape(ckg, n * L) if g == 1 else cols.reshape(g, ckg, n * L), bias, g)
        out = out.reshape((cout, n) + osz).transpose(0, 1)
        out = out.contiguous() if n > 1 else out
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation).  input (N, Cin, W) or (Cin, W); weight (Cout, Cin/groups, kW);
    padding int, tuple, "same" or "valid".  im2col + GEMM (bias in the GEMM's epilogue)."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation).  input (N, Cin, H, W) or (Cin, H, W); weight
    (Cout, Cin/groups, kH, kW); padding int, tuple, "same" or "valid".  im2col + GEMM."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1, groups: int = 1) -> Tensor:
    """3-D convolution (cross-correlation).  input (N, Cin, D, H, W) or (Cin, D, H, W); weight
    (Cout, Cin/groups, kD, kH, kW); padding int, tuple, "same" or "valid".  im2col + GEMM."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


# --- transposed convolution -------------------------------------------------------------------

def _conv_transpose(op, d, input, weight, bias, stride, padding, output_padding, groups, dilation):
    stride, dilation, groups = _check_common(op, d, input, weight, bias, stride, dilation, groups)
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    pad = _int_tuple(padding, d, op, "padding")
    opad = _int_tuple(output_padding, d, op, "output_padding")
    if any(v < 0 for v in pad):
        raise RuntimeError(f"{op}: negative padding is not supported")
    if any(v < 0 for v in opad):
        raise RuntimeError(f"{op}: negative output_padding is not supported")
    names = _DIM_NAMES[d]
    if any(o >= st and o >= dl for o, st, dl in zip(opad, stride, dilation)):
        raise RuntimeError(f"{op}: output padding must be smaller than either stride or dilation, but got "
                           + " ".join(f"output_padding_{nm}: {v}" for nm, v in zip(names, opad)) + " "
                           + " ".join(f"stride_{nm}: {v}" for nm, v in zip(names, stride)) + " "
                           + " ".join(f"dilation_{nm}: {v}" for nm, v in zip(names, dilation)))
    x, unbatched = _batched(input, d)
    s, ws = x._data.shape, weight._data.shape
    cin, k = s[1], ws[2:]
    if cin != ws[0]:
        raise RuntimeError(f"{op}: Given transposed=1, weight of size {shape_str(ws)}, expected input"
                           f"{shape_str(s)} to have {ws[0]} channels, but got {cin} "
                           f"channels instead")
    cout = ws[1] * groups
    _check_bias(op, bias, ws, cout)
    osz = tuple((n - 1) * st - 2 * p + dl * (kk - 1) + o + 1
                for n, st, p, dl, kk, o in zip(s[2:], stride, pad, dilation, k, opad))
    if any(v <= 0 for v in osz):
        raise RuntimeError(f"{op}: Given input size per channel: ({' x '.join(map(str, s[2:]))}). Calculated output "
                           f"size per channel: ({' x '.join(map(str, osz))}). Output size is too small")
    n, L, K = s[0], math.prod(s[2:]), math.prod(k)
    # cols (G, Cout/G * K, N * L) = W_g^T @ x_g over the whole batch (x as (Cin, N * L); the
    # transposed weight is read through strides), handed to col2im as a strided (N, Cout * K, L).
    xc = x.transpose(0, 1).reshape(groups, cin // groups, n * L)
    wt = weight.reshape(groups, cin // groups, ws[1] * K).transpose(-1, -2)
    cols = _linalg.matmul(wt, xc).reshape(cout * K, n, L).transpose(0, 1)
    # The high side pads p - output_padding (negative: output_padding rows no tap reaches) so the
    # sliding positions of the output are exactly the input's.
    out = col2im(cols, osz, k, dilation, tuple((p, p - o) for p, o in zip(pad, opad)), stride)
    if bias is not None:
        out = out + bias.reshape((cout,) + (1,) * d)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
                     padding: int | Sequence[int] = 0, output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> Tensor:
    """1-D transposed convolution.  input (N, Cin, W) or (Cin, W); weight (Cin, Cout/groups, kW).
    GEMM with the transposed weight, then col2im."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
                     padding: int | Sequence[int] = 0, output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> Tensor:
    """2-D transposed convolution.  input (N, Cin, H, W) or (Cin, H, W); weight (Cin, Cout/groups, kH, kW).
    GEMM with the transposed weight, then col2im."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
                     padding: int | Sequence[int] = 0, output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> Tensor:
    """3-D transposed convolution.  input (N, Cin, D, H, W) or (Cin, D, H, W); weight
    (Cin, Cout/groups, kD, kH, kW).  GEMM with the transposed weight, then col2im."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


# --- unfold / fold ----------------------------------------------------------------------------

def _fold_args(op, kernel_size, dilation, padding, stride):
    k = _int_tuple(kernel_size, 2, op, "kernel_size", conv=False)
    dil = _int_tuple(dilation, 2, op, "dilation", conv=False)
    pad = _int_tuple(padding, 2, op, "padding", conv=False)
    st = _int_tuple(stride, 2, op, "stride", conv=False)
    names = _DIM_NAMES[2]
    for vals, what, label in ((k, "kernel size", "kernel"), (st, "stride", "stride"), (dil, "dilation", "dilation")):
        if any(v <= 0 for v in vals):
            raise RuntimeError(f"{op}: {what} should be greater than zero, but got "
                               + " ".join(f"{label}_{nm}: {v}" for nm, v in zip(names, vals)))
    if any(v < 0 for v in pad):
        raise RuntimeError(f"{op}: padding should be non-negative, but got "
                           + " ".join(f"pad_{nm}: {v}" for nm, v in zip(names, pad)))
    return k, dil, tuple((p, p) for p in pad), st


def unfold(input: Tensor, kernel_size: int | Sequence[int], dilation: int | Sequence[int] = 1,
           padding: int | Sequence[int] = 0, stride: int | Sequence[int] = 1) -> Tensor:
    """``F.unfold``: sliding local blocks of a (N, C, H, W) or unbatched (C, H, W) input ->
    (N, C * kH * kW, L) (or (C * kH * kW, L)); the im2col registry op."""
    check_tensor(input, "unfold")
    s = input._data.shape
    if len(s) not in (3, 4) or any(v == 0 for v in s[-3:]):
        raise RuntimeError(f"unfold: Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {shape_str(s)}")
    geom = _fold_args("unfold", kernel_size, dilation, padding, stride)
    x, unbatched = _batched(input, 2)
    r = im2col(x, *geom)
    return r.squeeze(0) if unbatched else r


def fold(input: Tensor, output_size: int | Sequence[int], kernel_size: int | Sequence[int],
         dilation: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
         stride: int | Sequence[int] = 1) -> Tensor:
    """``F.fold``: sums sliding local blocks (N, C * kH * kW, L) (or unbatched (C * kH * kW, L)) into
    (N, C, *output_size); the col2im registry op."""
    check_tensor(input, "fold")
    s = input._data.shape
    if len(s) not in (2, 3) or any(v == 0 for v in s[-2:]):
        raise RuntimeError(f"fold: Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
                           f"non-zero dimensions for input, but got: {shape_str(s)}")
    osz = _int_tuple(output_size, 2, "fold", "output_size", conv=False)
    geom = _fold_args("fold", kernel_size, dilation, padding, stride)
    x = input if len(s) == 3 else input.unsqueeze(0)
    r = col2im(x, osz, *geom)
    return r.squeeze(0) if len(s) == 2 else r


FUNCTIONAL = {"conv1d": conv1d, "conv2d": conv2d, "conv3d": conv3d, "conv_transpose1d": conv_transpose1d,
              "conv_transpose2d": conv_transpose2d, "conv_transpose3d": conv_transpose3d, "unfold": unfold,
              "fold": fold}
