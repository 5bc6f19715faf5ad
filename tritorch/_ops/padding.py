"""Padding (``torch.nn.functional.pad``): constant, reflect, replicate and circular modes.

Two registry ops:
  * ``pad(x, pads, mode, value)``: ``pads`` is ``((lo, hi), ...)`` for the last ``len(pads)`` dims
    in dim order (the functional's flat, last-dim-first tuple already unpacked).  One gather per
    output element: each output coordinate maps to its source (``o - lo``, then reflected, clamped
    or wrapped per mode) or, in constant mode, to ``value``.  Negative pads crop.
  * ``pad_backward(grad, pads, mode, input_shape)`` (reflect / replicate / circular): the adjoint,
    a gather that sums every output position mapping to each input element (deterministic, no
    atomics).  The constant mode's backward is ``pad`` itself with negated pads (crop the padding,
    zero-fill what a negative pad cropped), so it needs no op of its own.

Both are linear in the tensor argument, and each is the other's adjoint: the backward of ``pad``
is ``pad_backward`` and the backward of ``pad_backward`` is ``pad`` again, so double backward works.

Node names follow PyTorch: ``ConstantPadNdBackward0``, ``ReflectionPad{1,2,3}DBackward0``,
``ReplicationPad{1,2,3}DBackward0`` (and ``...BackwardBackward0`` for the backward op).  PyTorch
implements circular padding by copies (its node is ``CopySlices``); tritorch's dedicated kernel
records ``CircularPad{1,2,3}DBackward0``.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

from .. import _dtype
from .._dtype import TORCH_NAMES
from ._common import def_op, Node, apply, attach, check_tensor, shape_str, Tensor

__all__ = []
_E = {}
_MODES = ("constant", "reflect", "replicate", "circular")
_KERNEL_NAMES = {"reflect": "reflection_pad", "replicate": "replication_pad"}
_MODE_NODE = {"reflect": "ReflectionPad", "replicate": "ReplicationPad", "circular": "CircularPad"}


def _out_size(n, lo, hi):
    return n + lo + hi


def _check_value(x, value):
    """PyTorch refuses a fill value the dtype cannot hold (``value`` is a double in its schema, so
    NaN/inf or out-of-range values for integer dtypes, finite overflow for float types)."""
    if isinstance(value, numbers.Real):
        _dtype.check_scalar(value if isinstance(value, bool) else float(value), x.dtype)


def _meta_pad(x, pads, mode, value=0.0):
    check_tensor(x, "pad")
    shape = tuple(x._data.shape)
    nd, k = len(shape), len(pads)
    if mode not in _MODES:
        raise NotImplementedError(f"pad: Unrecognised padding mode {mode}")
    out = list(shape)
    if mode == "constant":
        if k > nd:
            raise RuntimeError(f"pad: Padding length should be less than or equal to two times the input dimension "
                               f"but got padding length {2 * k} and input of dimension {nd}")
        _check_value(x, value)
        for j, (lo, hi) in enumerate(pads):
            d = nd - k + j
            out[d] = _out_size(shape[d], lo, hi)
            if out[d] < 0:
                raise RuntimeError(f"pad: narrow(): length must be non-negative: padding ({lo}, {hi}) at dimension "
                                   f"{d} of input {shape_str(shape)} gives size {out[d]}")
        return tuple(out), x.dtype
    if k not in (1, 2, 3) or nd not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {2 * k} is not supported for {nd}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode != "circular":
        if x.dtype is _dtype.bool:
            raise NotImplementedError(f'"{_KERNEL_NAMES[mode]}{k}d" not implemented for \'Bool\'')
        if any(n == 0 for n in shape[nd - k - 1 if nd == k + 2 else 0:]):
            raise RuntimeError(f"pad: Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size "
                               f"and other non-zero dimensions for input, but got: {shape_str(shape)}")
    for j, (lo, hi) in enumerate(pads):
        d = nd - k + j
        n = shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #{4 + 2 * (k - 1 - j)}: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension {d} of input "
                               f"{shape_str(shape)}")
        if mode == "circular" and (lo > n or hi > n or lo < -n or hi < -n):
            raise RuntimeError(f"pad: Padding value causes wrapping around more than once: padding ({lo}, {hi}) at "
                               f"dimension {d} of input {shape_str(shape)}")
        out[d] = _out_size(n, lo, hi)
        if k == 1 and mode != "circular" and out[d] < 1:
            raise RuntimeError(f"pad: input (W: {n}) is too small. Calculated output W: {out[d]}")
        if out[d] < 0:
            if mode == "circular":
                raise RuntimeError(f"pad: Negative padding value is resulting in an empty dimension: padding "
                                   f"({lo}, {hi}) at dimension {d} of input {shape_str(shape)}")
            raise RuntimeError(f"pad: Trying to create tensor with negative dimension {out[d]}: {shape_str(out)}")
    return tuple(out), x.dtype


def _meta_pad_backward(grad, pads, mode, input_shape):
    check_tensor(grad, "pad_backward", "grad_output")
    if mode not in _MODES[1:]:
        raise RuntimeError(f"pad_backward: mode must be reflect, replicate or circular, got {mode}")
    input_shape = tuple(input_shape)
    k = len(pads)
    want = input_shape[:len(input_shape) - k] + tuple(
        _out_size(n, lo, hi) for n, (lo, hi) in zip(input_shape[len(input_shape) - k:], pads))
    if tuple(grad._data.shape) != want:
        raise RuntimeError(f"pad_backward: grad_output of shape {shape_str(grad._data.shape)} does not match the "
                           f"padded shape {shape_str(want)} of input {shape_str(input_shape)}")
    if not grad.dtype.is_floating_point:
        raise RuntimeError(f"pad_backward: expected a floating grad_output, got {TORCH_NAMES[grad.dtype]}")
    return input_shape, grad.dtype


_PAD = def_op("pad", _meta_pad)
_PAD_BWD = def_op("pad_backward", _meta_pad_backward)


# --- autograd ---------------------------------------------------------------------------------

class _PadNode(Node):
    """Backward of pad: constant -> pad with negated pads; others -> pad_backward."""

    def backward(self, g):
        if self.mode == "constant":
            return (_pad(g, tuple((-lo, -hi) for lo, hi in self.pads), "constant", 0.0),)
        return (pad_backward(g, self.pads, self.mode, self.in_shape),)


class _PadBackwardNode(Node):
    """Backward of pad_backward (linear in grad): pad the incoming gradient forward again."""

    def backward(self, gg):
        return (_pad(gg, self.pads, self.mode, None),)


_NODES = {}


def _node_cls(mode, k, base, suffix):
    name = ("ConstantPadNd" if mode == "constant" else f"{_MODE_NODE[mode]}{k}D") + suffix
    cls = _NODES.get(name)
    if cls is None:
        cls = _NODES[name] = type(name, (base,), {"__doc__": base.__doc__})
    return cls


def _pad(x, pads, mode, value):
    return apply(_PAD, (x, pads, mode, value), _E, _node_cls(mode, len(pads), _PadNode, "Backward0"), (x,),
                 pads=pads, mode=mode, in_shape=tuple(x._data.shape))


def pad_backward(grad_output: Tensor, pads: Sequence[Sequence[int]], mode: str, input_shape: Sequence[int]) -> Tensor:
    """Input gradient of a reflect / replicate / circular ``pad`` (fused op; differentiable).
    ``pads`` is ``((lo, hi), ...)`` for the last dims, in dim order."""
    pads = tuple((int(lo), int(hi)) for lo, hi in pads)
    r = _PAD_BWD.run((grad_output, pads, mode, tuple(input_shape)), _E)
    # the node class is looked up once the meta has validated ``mode``
    attach(_node_cls(mode, len(pads), _PadBackwardNode, "BackwardBackward0"), (grad_output,), r, pads=pads, mode=mode)
    return r


# --- public API -------------------------------------------------------------------------------

def _pad_arg(pad):
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not {type(pad).__name__}")
    out = []
    for i, p in enumerate(pad):
        if isinstance(p, Tensor) and p._data.ndim == 0 and not p.dtype.is_floating_point:
            p = p.item()
        if not isinstance(p, numbers.Integral) or isinstance(p, bool):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                            f"{type(p).__name__} at pos {i}")
        out.append(int(p))
    return out


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """``torch.nn.functional.pad``: ``pad`` lists (left, right) pairs starting from the LAST dim
    (``(w_lo, w_hi, h_lo, h_hi, ...)``).  ``constant`` pads any number of dims and negative pads
    crop; ``reflect`` / ``replicate`` / ``circular`` pad the last 1-3 dims of a (k+1)- or
    (k+2)-D input, with PyTorch's rank rules and errors.  ``value`` (constant mode only; default 0)
    is cast to the input's dtype.  Differentiable in every mode (twice, too)."""
    check_tensor(input, "pad")
    p = _pad_arg(pad)
    if len(p) % 2:
        raise RuntimeError("pad: Padding length must be divisible by 2")
    if mode not in _MODES:
        raise NotImplementedError(f"pad: Unrecognised padding mode {mode}")
    if mode != "constant" and value is not None and value != 0:
        raise RuntimeError(f'pad: Padding mode "{mode}" doesn\'t take in value argument')
    pairs = tuple((p[i], p[i + 1]) for i in range(len(p) - 2, -1, -2))
    if mode == "constant":
        value = 0.0 if value is None else value
    elif mode == "circular" and any(lo < 0 or hi < 0 for lo, hi in pairs):
        input, pairs = _crop_for_circular(input, pairs)
    return _pad(input, pairs, mode, value)


def _crop_for_circular(x, pairs):
    """PyTorch crops negative circular pads first and wraps the positive ones around the cropped
    tensor: do the crop as a (differentiable) view, leaving non-negative pads."""
    _meta_pad(x, pairs, "circular")  # PyTorch's checks against the uncropped input
    first = x._data.ndim - len(pairs)
    out = []
    for j, (lo, hi) in enumerate(pairs):
        d, n = first + j, x._data.shape[first + j]
        a, b = max(-lo, 0), max(-hi, 0)
        lo, hi = max(lo, 0), max(hi, 0)
        if a or b:
            x = x.narrow(d, a, n - a - b)
            if lo > n - a - b or hi > n - a - b:
                raise RuntimeError(f"pad: Padding value causes wrapping around more than once: padding ({lo}, {hi}) "
                                   f"after cropping dimension {d} to size {n - a - b}")
        out.append((lo, hi))
    return x, tuple(out)


FUNCTIONAL = {"pad": pad}
