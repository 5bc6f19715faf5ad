"""Layer norm and RMS norm (``torch.nn.functional.layer_norm`` / ``rms_norm``).

Four registry ops: ``layer_norm`` -> (y, mean, rstd), ``layer_norm_backward`` -> (dx, dweight,
dbias), ``rms_norm`` -> (y, rstd), ``rms_norm_backward`` -> (dx, dweight).  The statistics are
float32 for half inputs (the compute dtype) and have the input's leading (non-normalized) shape.
First-order gradients use the fused backward ops; with ``create_graph=True`` the backward is
composed from differentiable tensor ops (mean/rstd recomputed from ``x``), so double backward works.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import _dtype as _D
from ._common import def_op, Node, attach, STATE, check_tensor, shape_str
from .padding import pad
from .pooling import avg_pool2d, avg_pool3d

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["layer_norm", "rms_norm"]
_E = {}


def _stat_dtype(dt):
    return _D.float32 if dt in (_D.float16, _D.bfloat16) else dt


def _norm_shape(normalized_shape, op):
    if isinstance(normalized_shape, numbers.Integral) and not isinstance(normalized_shape, bool):
        return (int(normalized_shape),)
    if not isinstance(normalized_shape, (tuple, list)) or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in normalized_shape):
        raise TypeError(f"{op}(): argument 'normalized_shape' must be tuple of ints, "
                        f"not {type(normalized_shape).__name__}")
    return tuple(int(n) for n in normalized_shape)


def _check(op, x, ns, params):
    check_tensor(x, op)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")
    if len(ns) < 1:
        raise RuntimeError(f"Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
                           f"one element, but got normalized_shape = {shape_str(ns)}")
    shape = tuple(x._data.shape)
    if len(shape) < len(ns) or shape[len(shape) - len(ns):] != ns:
        raise RuntimeError(f"Given normalized_shape={shape_str(ns)}, expected input with shape "
                           f"[*, {', '.join(str(n) for n in ns)}], but got input of size{shape_str(shape)}")
    for name, p in params:
        if p is None:
            continue
        check_tensor(p, op, name)
        if tuple(p._data.shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{shape_str(p._data.shape)} and normalized_shape = {shape_str(ns)}")
        if p.dtype is not x.dtype:
            raise RuntimeError(f"{op}: expected {name} to have the input's dtype {x.dtype}, but got {p.dtype}")
    return shape[:len(shape) - len(ns)]


def _meta_ln(x, normalized_shape, weight, bias, eps):
    """layer_norm: y = (x - mean) * rstd * weight + bias over the trailing ``normalized_shape`` dims;
    also returns mean and rstd = 1/sqrt(biased var + eps) (leading shape, fp32 for half inputs)."""
    lead = _check("layer_norm", x, tuple(normalized_shape), (("weight", weight), ("bias", bias)))
    sd = _stat_dtype(x.dtype)
    return (x._data.shape, x.dtype), (lead, sd), (lead, sd)


def _meta_ln_bwd(grad_out, x, mean, rstd, weight, normalized_shape):
    """layer_norm_backward: (dx, dweight, dbias) of layer_norm given saved mean/rstd; dweight/dbias are
    reduced over the leading dims (computed even without weight/bias)."""
    ns = tuple(normalized_shape)
    _check("layer_norm_backward", x, ns, (("weight", weight),))
    if tuple(grad_out._data.shape) != tuple(x._data.shape):
        raise RuntimeError("layer_norm_backward: grad_output must have the input's shape")
    return (x._data.shape, x.dtype), (ns, x.dtype), (ns, x.dtype)


def _meta_rms(x, normalized_shape, weight, eps):
    """rms_norm: y = x * rstd * weight, rstd = 1/sqrt(mean(x^2) + eps) over the trailing
    ``normalized_shape`` dims; also returns rstd (leading shape, fp32 for half inputs)."""
    lead = _check("rms_norm", x, tuple(normalized_shape), (("weight", weight),))
    return (x._data.shape, x.dtype), (lead, _stat_dtype(x.dtype))


def _meta_rms_bwd(grad_out, x, rstd, weight, normalized_shape):
    """rms_norm_backward: (dx, dweight) of rms_norm given the saved rstd."""
    ns = tuple(normalized_shape)
    _check("rms_norm_backward", x, ns, (("weight", weight),))
    if tuple(grad_out._data.shape) != tuple(x._data.shape):
        raise RuntimeError("rms_norm_backward: grad_output must have the input's shape")
    return (x._data.shape, x.dtype), (ns, x.dtype)


_LN = def_op("layer_norm", _meta_ln, nout=3)
_LN_BWD = def_op("layer_norm_backward", _meta_ln_bwd, nout=3)
_RMS = def_op("rms_norm", _meta_rms, nout=2)
_RMS_BWD = def_op("rms_norm_backward", _meta_rms_bwd, nout=2)


def _composed_backward(g, x, weight, ns, eps, rms, need):
    """Differentiable (dx, dweight, dbias) from tensor ops; used when ``create_graph`` is on."""
    nd = tuple(range(x.dim() - len(ns), x.dim()))
    lead = tuple(range(x.dim() - len(ns)))
    if rms:
        rstd = ((x * x).mean(nd, keepdim=True) + eps).rsqrt()
        xhat = x * rstd
    else:
        xc = x - x.mean(nd, keepdim=True)
        rstd = ((xc * xc).mean(nd, keepdim=True) + eps).rsqrt()
        xhat = xc * rstd
    gw = g * weight if weight is not None else g
    dx = dw = db = None
    if need[0]:
        inner = gw - xhat * (gw * xhat).mean(nd, keepdim=True)
        if not rms:
            inner = inner - gw.mean(nd, keepdim=True)
        dx = inner * rstd
    if need[1]:
        dw = (g * xhat).sum(lead) if lead else g * xhat
    if len(need) > 2 and need[2]:
        db = g.sum(lead) if lead else g
    return dx, dw, db


class NativeLayerNormBackward0(Node):
    def backward(self, g, *_):
        x, mean, rstd, weight = self.saved_tensors
        need = self.needs_input_grad
        if g is None:
            return None, None, None
        if STATE.enabled:
            return _composed_backward(g, x, weight, self.ns, self.eps, False, need)
        dx, dw, db = _LN_BWD.run((g, x, mean, rstd, weight, self.ns), _E)
        return (dx if need[0] else None, dw if need[1] else None, db if need[2] else None)


class RmsNormBackward0(Node):
    def backward(self, g, *_):
        x, rstd, weight = self.saved_tensors
        need = self.needs_input_grad
        if g is None:
            return None, None
        if STATE.enabled:
            return _composed_backward(g, x, weight, self.ns, self.eps, True, need)[:2]
        dx, dw = _RMS_BWD.run((g, x, rstd, weight, self.ns), _E)
        return (dx if need[0] else None, dw if need[1] else None)


def _eps(eps, op):
    if not isinstance(eps, numbers.Real) or isinstance(eps, bool):
        raise TypeError(f"{op}(): argument 'eps' must be float, not {type(eps).__name__}")
    return float(eps)


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalization over the trailing ``normalized_shape`` dims (PyTorch's signature)."""
    check_tensor(input, "layer_norm")
    ns = _norm_shape(normalized_shape, "layer_norm")
    eps = _eps(eps, "layer_norm")
    y, mean, rstd = _LN.run((input, ns, weight, bias, eps), _E)
    attach(NativeLayerNormBackward0, (input, weight, bias), y, save=(input, mean, rstd, weight), ns=ns, eps=eps)
    return y


def rms_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """RMS normalization over the trailing ``normalized_shape`` dims; ``eps=None`` means the
    machine epsilon of the compute type, as in PyTorch: ``finfo(float32).eps`` for float16 and
    bfloat16 inputs (which compute in float32), ``finfo(input.dtype).eps`` otherwise."""
    check_tensor(input, "rms_norm")
    ns = _norm_shape(normalized_shape, "rms_norm")
    if eps is None:
        dt = input.dtype
        eps = _D.finfo(_D.float32 if dt in (_D.float16, _D.bfloat16) else dt).eps if dt.is_floating_point else 0.0
    eps = _eps(eps, "rms_norm")
    y, rstd = _RMS.run((input, ns, weight, eps), _E)
    attach(RmsNormBackward0, (input, weight), y, save=(input, rstd, weight), ns=ns, eps=eps)
    return y


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """Local response normalisation across channels: x / (k + alpha / size * sum of x^2 over ``size``
    neighbouring channels)^beta.  Input: (N, C, *) with at least 3 dims; output the same shape.
    PyTorch's composition: square, zero-pad the channel dim, average-pool over it, then pow."""
    check_tensor(input, "local_response_norm")
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = tuple(input.shape)
        div = div.reshape(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1).reshape(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


FUNCTIONAL = {"layer_norm": layer_norm, "rms_norm": rms_norm}
FUNCTIONAL["local_response_norm"] = local_response_norm
