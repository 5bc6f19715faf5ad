"""Softmax and log-softmax along one dim (``torch.softmax`` / ``torch.nn.functional.softmax``).

Four registry ops: ``softmax`` / ``log_softmax`` (forward; ``dtype=`` casts the input first; half
types compute in float32) and the fused backward ops ``softmax_backward(grad_out, out, dim)``
(dx = y * (g - sum(g * y, dim))) and ``log_softmax_backward(grad_out, out, dim)``
(dx = g - exp(y) * sum(g, dim)), both written in terms of the forward's output ``y``.  The backward
ops record their own autograd nodes (written in differentiable tensor ops), so double backward works.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from .._dtype import TORCH_NAMES
from ._common import def_op, Node, apply, method, wrap_dim, check_tensor, shape_str

if TYPE_CHECKING:
    from .._dtype import dtype as _dtype
    from .._tensor import Tensor

__all__ = ["softmax", "log_softmax"]
_E = {}


def _meta_fwd(op):
    def meta(x, dim, dtype=None):
        check_tensor(x, op)
        dt = x.dtype if dtype is None else dtype
        if not dt.is_floating_point:
            kind = "softmax_lastdim_kernel_impl" if dim == max(x._data.ndim, 1) - 1 else "softmax_kernel_impl"
            if op == "log_softmax":
                kind = "log_" + kind
            raise RuntimeError(f'{op}: "{kind}" not implemented for \'{TORCH_NAMES[dt]}\'')
        return x._data.shape, dt
    meta.__doc__ = (f"{op} along ``dim`` (already wrapped); ``dtype`` casts the input first; floating "
                    "dtypes only; shape unchanged.")
    return meta


def _meta_bwd(op):
    def meta(grad_out, out, dim):
        check_tensor(grad_out, op, "grad_output")
        check_tensor(out, op, "output")
        if tuple(grad_out._data.shape) != tuple(out._data.shape):
            raise RuntimeError(f"{op}: grad_output of shape {shape_str(grad_out._data.shape)} must match the "
                               f"output's shape {shape_str(out._data.shape)}")
        if grad_out.dtype is not out.dtype or not out.dtype.is_floating_point:
            raise RuntimeError(f"{op}: expected floating grad_output and output of one dtype, got "
                               f"{grad_out.dtype} and {out.dtype}")
        return out._data.shape, out.dtype
    meta.__doc__ = (f"{op}: the input gradient of {op[:-9]} from grad_output and the forward output along "
                    "``dim`` (already wrapped); shape and dtype of the output.")
    return meta


_SOFTMAX = def_op("softmax", _meta_fwd("softmax"))
_LOG_SOFTMAX = def_op("log_softmax", _meta_fwd("log_softmax"))
_SOFTMAX_BWD = def_op("softmax_backward", _meta_bwd("softmax_backward"))
_LOG_SOFTMAX_BWD = def_op("log_softmax_backward", _meta_bwd("log_softmax_backward"))


# --- autograd ---------------------------------------------------------------------------------

class SoftmaxBackward0(Node):
    def backward(self, g):
        y, = self.saved_tensors
        return (softmax_backward(g, y, self.dim).to(self.in_dtype),)


class LogSoftmaxBackward0(Node):
    def backward(self, g):
        y, = self.saved_tensors
        return (log_softmax_backward(g, y, self.dim).to(self.in_dtype),)


class SoftmaxBackwardDataBackward0(Node):
    """Gradients of dx = y * (g - s), s = sum(g * y): w.r.t. g: y * (gg - sum(gg * y));
    w.r.t. y: gg * (g - s) - g * sum(gg * y)."""

    def backward(self, gg):
        g, y = self.saved_tensors
        d = self.dim
        t = (gg * y).sum(d, keepdim=True)
        dg = y * (gg - t) if self.needs_input_grad[0] else None
        dy = gg * (g - (g * y).sum(d, keepdim=True)) - g * t if self.needs_input_grad[1] else None
        return dg, dy


class LogSoftmaxBackwardDataBackward0(Node):
    """Gradients of dx = g - exp(y) * sum(g): w.r.t. g: gg - sum(gg * exp(y));
    w.r.t. y: -gg * exp(y) * sum(g)."""

    def backward(self, gg):
        g, y = self.saved_tensors
        d = self.dim
        e = y.exp()
        dg = gg - (gg * e).sum(d, keepdim=True) if self.needs_input_grad[0] else None
        dy = -(gg * e) * g.sum(d, keepdim=True) if self.needs_input_grad[1] else None
        return dg, dy


def _backward_op(op, node_cls, g, y, dim):
    return apply(op, (g, y, dim), _E, node_cls, (g, y), save=(g, y), dim=dim)


def softmax_backward(grad_output: Tensor, output: Tensor, dim: int) -> Tensor:
    """dx of ``output = softmax(x, dim)`` (fused op; differentiable)."""
    g = grad_output if grad_output.dtype is output.dtype else grad_output.to(output.dtype)
    return _backward_op(_SOFTMAX_BWD, SoftmaxBackwardDataBackward0, g, output,
                        wrap_dim(dim, output._data.ndim, "softmax_backward"))


def log_softmax_backward(grad_output: Tensor, output: Tensor, dim: int) -> Tensor:
    """dx of ``output = log_softmax(x, dim)`` (fused op; differentiable)."""
    g = grad_output if grad_output.dtype is output.dtype else grad_output.to(output.dtype)
    return _backward_op(_LOG_SOFTMAX_BWD, LogSoftmaxBackwardDataBackward0, g, output,
                        wrap_dim(dim, output._data.ndim, "log_softmax_backward"))


# --- public API -------------------------------------------------------------------------------

def _forward(op, node_cls, name, input, dim, dtype):
    check_tensor(input, name)
    if dim is None:
        raise TypeError(f"{name}() missing required argument 'dim' (int)")
    d = wrap_dim(dim, input._data.ndim, name)
    return apply(op, (input, d, dtype), _E, node_cls, (input,), save_output=True, dim=d, in_dtype=input.dtype)


@method()
def softmax(input: Tensor, dim: int, dtype: _dtype | None = None) -> Tensor:
    """exp(x - max) / sum(exp(x - max)) along ``dim``; ``dtype`` casts the input first."""
    return _forward(_SOFTMAX, SoftmaxBackward0, "softmax", input, dim, dtype)


@method()
def log_softmax(input: Tensor, dim: int, dtype: _dtype | None = None) -> Tensor:
    """x - max - log(sum(exp(x - max))) along ``dim``; ``dtype`` casts the input first."""
    return _forward(_LOG_SOFTMAX, LogSoftmaxBackward0, "log_softmax", input, dim, dtype)


def _implicit_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  "dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def functional_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                       dtype: _dtype | None = None) -> Tensor:
    """``torch.nn.functional.softmax``: ``dim=None`` picks PyTorch's legacy implicit dim with a warning."""
    check_tensor(input, "softmax")
    if dim is None:
        dim = _implicit_dim("softmax", input._data.ndim, _stacklevel)
    return softmax(input, dim, dtype=dtype)


def functional_log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                           dtype: _dtype | None = None) -> Tensor:
    """``torch.nn.functional.log_softmax``: ``dim=None`` picks PyTorch's legacy implicit dim with a warning."""
    check_tensor(input, "log_softmax")
    if dim is None:
        dim = _implicit_dim("log_softmax", input._data.ndim, _stacklevel)
    return log_softmax(input, dim, dtype=dtype)


FUNCTIONAL = {"softmax": functional_softmax, "log_softmax": functional_log_softmax}
