"""Batch norm, group norm and instance norm (``torch.nn.functional.batch_norm`` / ``group_norm`` /
``instance_norm``).

Four registry ops, all viewing the input as (N, C, S) with S the flattened spatial dims:

* ``batch_norm`` -> (y, save_mean, save_invstd).  Training: per-channel mean and biased variance
  over N and S; when running stats are given the impl ALSO updates ``running_mean`` /
  ``running_var`` in place (``r = (1 - momentum) r + momentum * stat``, the variance unbiased,
  like PyTorch), fused into the statistics kernel's epilogue.  Eval: normalises with the running
  stats (save_mean is a copy of running_mean, save_invstd = 1/sqrt(running_var + eps)).
* ``batch_norm_backward`` -> (dx, dweight, dbias); ``training`` selects the full batch-statistics
  gradient or the eval one (dx = g * weight * invstd).
* ``group_norm`` -> (y, mean, rstd) with statistics of shape (N, num_groups).
* ``group_norm_backward`` -> (dx, dweight, dbias).

Statistics are float32 for half inputs.  Half inputs accept float32 weight/bias/running stats
(PyTorch's mixed-type rule).  First-order gradients use the fused backward ops; with
``create_graph=True`` the backward is composed from differentiable tensor ops, so double backward
works.  ``instance_norm`` is ``group_norm`` with one group per channel when it has no running stats,
and ``batch_norm`` over the (1, N*C, S) view otherwise (PyTorch's formulation).
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

from .. import _dtype as _D
from ._common import def_op, Node, attach, STATE, check_tensor, shape_str
from ..autograd.grad_mode import no_grad

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = []
_E = {}


def _stat_dtype(dt):
    return _D.float32 if dt in (_D.float16, _D.bfloat16) else dt


def _check_input(op, x):
    check_tensor(x, op)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")
    if x._data.ndim < 2:
        raise RuntimeError(f"{op}: Expected at least 2 dimensions for input tensor but received {x._data.ndim}")


def _check_param(op, x, p, name, c, what="elements"):
    if p is None:
        return
    check_tensor(p, op, name)
    if p._data.ndim != 1 or p._data.shape[0] != c:
        if what == "gn":
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {shape_str(p._data.shape)} and input of shape {shape_str(x._data.shape)}")
        raise RuntimeError(f"{op}: {name} should contain {c} elements not {p.numel()}")
    ok = p.dtype is x.dtype or (x.dtype in (_D.float16, _D.bfloat16) and p.dtype is _D.float32)
    if not ok:
        raise RuntimeError(f"{op}: expected {name} to have the input's dtype {x.dtype} (or float32 for a half "
                           f"input), but got {p.dtype}")


def _meta_bn(x, weight, bias, running_mean, running_var, training, momentum, eps):
    """batch_norm: y = (x - mean_c) * invstd_c * weight_c + bias_c over channel dim 1; batch stats when
    ``training`` (updating the running stats in place when given), running stats otherwise.  Also
    returns save_mean and save_invstd, shape (C,), fp32 for half inputs."""
    _check_input("batch_norm", x)
    c = x._data.shape[1]
    for name, p in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        _check_param("batch_norm", x, p, name, c)
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError(f"running_{'mean' if running_mean is None else 'var'} must be defined in evaluation mode")
    if (running_mean is None) != (running_var is None):
        raise RuntimeError("batch_norm: running_mean and running_var must both be given or both be None")
    sd = _stat_dtype(x.dtype)
    return (x._data.shape, x.dtype), ((c,), sd), ((c,), sd)


def _grad_param_dtype(x, weight):
    return weight.dtype if weight is not None else x.dtype


def _meta_bn_bwd(grad_out, x, weight, save_mean, save_invstd, training):
    """batch_norm_backward: (dx, dweight, dbias) of batch_norm given the saved mean/invstd
    (batch stats when ``training``, else the running ones); dweight/dbias always computed."""
    _check_input("batch_norm_backward", x)
    c = x._data.shape[1]
    _check_param("batch_norm_backward", x, weight, "weight", c)
    if tuple(grad_out._data.shape) != tuple(x._data.shape):
        raise RuntimeError("batch_norm_backward: grad_output must have the input's shape")
    dt = _grad_param_dtype(x, weight)
    return (x._data.shape, x.dtype), ((c,), dt), ((c,), dt)


def _check_groups(op, x, num_groups):
    if not isinstance(num_groups, numbers.Integral) or isinstance(num_groups, bool):
        raise TypeError(f"{op}(): argument 'num_groups' must be int, not {type(num_groups).__name__}")
    c = x._data.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {shape_str(x._data.shape)} and num_groups={num_groups}")


def _meta_gn(x, weight, bias, num_groups, eps):
    """group_norm: per (sample, group) mean and biased variance over the group's channels and spatial
    dims, then per-channel affine; also returns mean and rstd, shape (N, num_groups)."""
    _check_input("group_norm", x)
    _check_groups("group_norm", x, num_groups)
    for name, p in (("weight", weight), ("bias", bias)):
        _check_param("group_norm", x, p, name, x._data.shape[1], "gn")
    sd = _stat_dtype(x.dtype)
    st = (x._data.shape[0], int(num_groups))
    return (x._data.shape, x.dtype), (st, sd), (st, sd)


def _meta_gn_bwd(grad_out, x, mean, rstd, weight, num_groups):
    """group_norm_backward: (dx, dweight, dbias) of group_norm given the saved mean/rstd."""
    _check_input("group_norm_backward", x)
    _check_groups("group_norm_backward", x, num_groups)
    _check_param("group_norm_backward", x, weight, "weight", x._data.shape[1], "gn")
    if tuple(grad_out._data.shape) != tuple(x._data.shape):
        raise RuntimeError("group_norm_backward: grad_output must have the input's shape")
    c = x._data.shape[1]
    dt = _grad_param_dtype(x, weight)
    return (x._data.shape, x.dtype), ((c,), dt), ((c,), dt)


_BN = def_op("batch_norm", _meta_bn, nout=3)
_BN_BWD = def_op("batch_norm_backward", _meta_bn_bwd, nout=3)
_GN = def_op("group_norm", _meta_gn, nout=3)
_GN_BWD = def_op("group_norm_backward", _meta_gn_bwd, nout=3)


def _bshape(x):
    return (1, x.shape[1]) + (1,) * (x.dim() - 2)


def _composed_bn(g, x, weight, save_mean, save_invstd, training, eps, need):
    """Differentiable (dx, dweight, dbias) of batch_norm from tensor ops (create_graph)."""
    dims = (0,) + tuple(range(2, x.dim()))
    bs = _bshape(x)
    if training:
        xc = x - x.mean(dims, keepdim=True)
        invstd = ((xc * xc).mean(dims, keepdim=True) + eps).rsqrt()
    else:
        xc = x - save_mean.detach().to(x.dtype).reshape(bs)
        invstd = save_invstd.detach().to(x.dtype).reshape(bs)
    xhat = xc * invstd
    gw = g * weight.reshape(bs) if weight is not None else g
    dx = dw = db = None
    if need[0]:
        if training:
            dx = (gw - gw.mean(dims, keepdim=True) - xhat * (gw * xhat).mean(dims, keepdim=True)) * invstd
        else:
            dx = gw * invstd
    if need[1]:
        dw = (g * xhat).sum(dims)
    if need[2]:
        db = g.sum(dims)
    return dx, dw, db


def _composed_gn(g, x, weight, num_groups, eps, need):
    """Differentiable (dx, dweight, dbias) of group_norm from tensor ops (create_graph)."""
    n = x.shape[0]
    xr = x.reshape(n, num_groups, -1)
    xc = xr - xr.mean(2, keepdim=True)
    rstd = ((xc * xc).mean(2, keepdim=True) + eps).rsqrt()
    xhat = (xc * rstd).reshape(x.shape)
    dims = (0,) + tuple(range(2, x.dim()))
    gw = g * weight.reshape(_bshape(x)) if weight is not None else g
    dx = dw = db = None
    if need[0]:
        gr = gw.reshape(n, num_groups, -1)
        hr = xhat.reshape(n, num_groups, -1)
        dx = ((gr - gr.mean(2, keepdim=True) - hr * (gr * hr).mean(2, keepdim=True)) * rstd).reshape(x.shape)
    if need[1]:
        dw = (g * xhat).sum(dims)
    if need[2]:
        db = g.sum(dims)
    return dx, dw, db


def _cast(t, dt):
    return None if t is None else (t if t.dtype is dt else t.to(dt))


class NativeBatchNormBackward0(Node):
    def backward(self, g, *_):
        x, weight, save_mean, save_invstd = self.saved_tensors
        need = self.needs_input_grad
        if g is None:
            return None, None, None
        if STATE.enabled:
            dx, dw, db = _composed_bn(g, x, weight, save_mean, save_invstd, self.training, self.eps, need)
        else:
            dx, dw, db = _BN_BWD.run((g, x, weight, save_mean, save_invstd, self.training), _E)
        return (dx if need[0] else None, _cast(dw, weight.dtype) if need[1] else None,
                _cast(db, self.bias_dtype) if need[2] else None)


class NativeGroupNormBackward0(Node):
    def backward(self, g, *_):
        x, mean, rstd, weight = self.saved_tensors
        need = self.needs_input_grad
        if g is None:
            return None, None, None
        if STATE.enabled:
            dx, dw, db = _composed_gn(g, x, weight, self.groups, self.eps, need)
        else:
            dx, dw, db = _GN_BWD.run((g, x, mean, rstd, weight, self.groups), _E)
        return (dx if need[0] else None, _cast(dw, weight.dtype) if need[1] else None,
                _cast(db, self.bias_dtype) if need[2] else None)


def _float(v, op, name):
    if not isinstance(v, numbers.Real) or isinstance(v, bool):
        raise TypeError(f"{op}(): argument '{name}' must be float, not {type(v).__name__}")
    return float(v)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-05) -> Tensor:
    """Batch normalization over dim 1 of an (N, C, *) input (PyTorch's signature).  In training the
    running stats, when given, are updated in place (the variance unbiased)."""
    _check_input("batch_norm", input)
    if training and not _float(eps, "batch_norm", "eps") > 0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps):
    """`batch_norm` without PyTorch's Python-level eps check (instance_norm reaches the kernel
    directly in PyTorch, so a non-positive eps gives NaN there rather than an error)."""
    _check_input("batch_norm", input)
    momentum = _float(momentum, "batch_norm", "momentum")
    eps = _float(eps, "batch_norm", "eps")
    training = bool(training)
    if training:
        shp = input._data.shape
        size = input.numel() // shp[1] if shp[1] else 0
        if size == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    y, mean, invstd = _BN.run((input, weight, bias, running_mean, running_var, training, momentum, eps), _E)
    if training and running_mean is not None and input.numel():
        running_mean._storage.version += 1
        running_var._storage.version += 1
    # bias_dtype (not bias itself) is kept, to cast dbias without saving the tensor
    attach(NativeBatchNormBackward0, (input, weight, bias), y, save=(input, weight, mean, invstd), training=training,
           eps=eps, bias_dtype=None if bias is None else bias.dtype)
    return y


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-05) -> Tensor:
    """Group normalization of an (N, C, *) input over ``num_groups`` channel groups (PyTorch's signature)."""
    _check_input("group_norm", input)
    eps = _float(eps, "group_norm", "eps")
    y, mean, rstd = _GN.run((input, weight, bias, num_groups, eps), _E)
    attach(NativeGroupNormBackward0, (input, weight, bias), y, save=(input, mean, rstd, weight),
           groups=int(num_groups), eps=eps, bias_dtype=None if bias is None else bias.dtype)
    return y


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-05) -> Tensor:
    """Instance normalization (PyTorch's signature): per (sample, channel) statistics when
    ``use_input_stats``; composed from ``group_norm`` (one group per channel) or, with running stats,
    ``batch_norm`` over the (1, N*C, *) view whose running stats are averaged back over N."""
    _check_input("instance_norm", input)
    n, c = input.shape[0], input.shape[1]
    if use_input_stats:
        spatial = input.numel() // (n * c) if n * c else 0
        if spatial == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
        if running_mean is None and running_var is None:
            return group_norm(input, c, weight, bias, eps)
    if (running_mean is None or running_var is None) and not use_input_stats:
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    shape = (1, n * c) + tuple(input.shape[2:])
    rm = running_mean.repeat(n) if running_mean is not None else None
    rv = running_var.repeat(n) if running_var is not None else None
    y = _batch_norm(input.reshape(shape), rm, rv, None, None, use_input_stats, momentum, eps).reshape(input.shape)
    if use_input_stats and running_mean is not None:
        with no_grad():
            running_mean.copy_(rm.reshape(n, c).mean(0))
            running_var.copy_(rv.reshape(n, c).mean(0))
    bs = _bshape(input)
    if weight is not None:
        y = y * weight.reshape(bs)
    if bias is not None:
        y = y + bias.reshape(bs)
    return y


FUNCTIONAL = {"batch_norm": batch_norm, "group_norm": group_norm, "instance_norm": instance_norm}
