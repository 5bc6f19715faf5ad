"""Stochastic gradient descent (PyTorch's ``torch.optim.SGD``): momentum, dampening, Nesterov,
weight decay, maximize; the update runs as the fused ``_fused_sgd_`` op per (device, dtype) group."""
from ..autograd.grad_mode import no_grad
from .._ops.creation import zeros_like
from .._ops.optim import fused_sgd_
from .optimizer import (Optimizer, _get_value, _to_scalar, _check_fused, _check_hyperparameters, _closure_loss,
                        _device_dtype_check_for_fused, _group_by_device_and_dtype)

__all__ = ["SGD", "sgd"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum).

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float or Tensor): learning rate (default: 1e-3).
        momentum (float): momentum factor (default: 0).
        dampening (float): dampening for momentum (default: 0).
        weight_decay (float): L2 penalty (default: 0).
        nesterov (bool): Nesterov momentum (default: False).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        foreach, differentiable, fused: accepted for PyTorch compatibility (tritorch always fuses).

    The first step copies the gradient into the momentum buffer (no dampening), as PyTorch does.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
                 foreach=None, differentiable=False, fused=None):
        _check_hyperparameters(lr, nan_ok=True, momentum=momentum, weight_decay=weight_decay)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach, "differentiable": differentiable,
                    "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)
        if fused:
            self._need_device_dtype_check_for_fused = True

    def __setstate__(self, state):
        super().__setstate__(state)
        self._set_group_defaults(tensor_steps=False, nesterov=False, maximize=False, foreach=None,
                                 differentiable=False, fused=False)

    def _init_group(self, group, params, grads, momentum_buffer_list, is_first):
        for p in group["params"]:
            if p.grad is not None:
                if group["fused"] and getattr(self, "_need_device_dtype_check_for_fused", True):
                    _device_dtype_check_for_fused(p)
                    self._need_device_dtype_check_for_fused = False
                params.append(p)
                grads.append(p.grad)
                if group["momentum"] != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    is_first.append(buf is None)
                    if buf is None:
                        buf = state["momentum_buffer"] = zeros_like(p)
                    momentum_buffer_list.append(buf)

    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss when given."""
        loss = _closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                params, grads, bufs, is_first = [], [], [], []
                self._init_group(group, params, grads, bufs, is_first)
                sgd(params, grads, bufs, is_first=is_first, weight_decay=group["weight_decay"],
                    momentum=group["momentum"], lr=group["lr"], dampening=group["dampening"],
                    nesterov=group["nesterov"], maximize=group["maximize"])
        return loss


def sgd(params, grads, momentum_buffer_list, *, is_first=None, weight_decay, momentum, lr, dampening, nesterov,
        maximize):
    """Functional SGD: updates ``params`` (and the momentum buffers) in place, one fused call per
    (device, dtype) group.  ``is_first[i]``: buffer ``i`` is new (it takes the gradient as is)."""
    if is_first is None:  # the caller's buffers all exist
        is_first = [False] * len(params)
    lr = _get_value(_to_scalar(lr))
    for p, g, b, f in _group_by_device_and_dtype(params, grads, momentum_buffer_list if momentum != 0 else [],
                                                 is_first).values():
        fused_sgd_(p, g, b, lr=lr, momentum=momentum, dampening=dampening, weight_decay=_get_value(weight_decay),
                   nesterov=nesterov, maximize=maximize, is_first=f)
