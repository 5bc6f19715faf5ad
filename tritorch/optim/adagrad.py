"""Adagrad (PyTorch's ``torch.optim.Adagrad``): ``lr_decay``, ``initial_accumulator_value``;
the update runs as the fused ``_fused_adagrad_`` op per (device, dtype) group.  As in PyTorch,
the state (step and ``sum``) is created for every parameter when the optimizer is built."""
from ..autograd.grad_mode import no_grad
from .._ops.creation import full_like
from .._ops.optim import fused_adagrad_
from .optimizer import (Optimizer, _get_value, _to_scalar, _check_fused, _check_hyperparameters, _closure_loss,
                        _device_dtype_check_for_fused, _group_by_device_and_dtype, _increment_steps)

__all__ = ["Adagrad", "adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad.

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float or Tensor): learning rate (default: 1e-2).
        lr_decay (float): learning rate decay (default: 0).
        weight_decay (float): L2 penalty (default: 0).
        initial_accumulator_value (float): initial value of the squared-gradient sums (default: 0).
        eps (float): added to the denominator (default: 1e-10).
        maximize (bool): maximize the objective (default: False).
        foreach, differentiable, fused: accepted for PyTorch compatibility.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_hyperparameters(lr, lr_decay=lr_decay, weight_decay=weight_decay,
                               initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)
        if fused:
            self._need_device_dtype_check_for_fused = True
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = self._new_step(group, p)
                state["sum"] = full_like(p, initial_accumulator_value)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._set_group_defaults(foreach=None, maximize=False, differentiable=False, fused=None)

    def share_memory(self):
        """Calls ``share_memory_()`` on the state sum tensors."""
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["sum"].share_memory_()

    def _init_group(self, group, params, grads, state_sums, state_steps):
        for p in group["params"]:
            if p.grad is None:
                continue
            if group["fused"] and getattr(self, "_need_device_dtype_check_for_fused", True):
                _device_dtype_check_for_fused(p)
                self._need_device_dtype_check_for_fused = False
            params.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._new_step(group, p)
                state["sum"] = full_like(p, self.defaults["initial_accumulator_value"])
            state_sums.append(state["sum"])
            state_steps.append(state["step"])

    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss when given."""
        loss = _closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                params, grads, state_sums, state_steps = [], [], [], []
                self._init_group(group, params, grads, state_sums, state_steps)
                adagrad(params, grads, state_sums, state_steps, lr=group["lr"], weight_decay=group["weight_decay"],
                        lr_decay=group["lr_decay"], eps=group["eps"], maximize=group["maximize"])
        return loss


def adagrad(params, grads, state_sums, state_steps, *, lr, weight_decay, lr_decay, eps, maximize=False):
    """Functional Adagrad: increments ``state_steps`` and updates params and sums in place."""
    if not params:
        return
    lr = _to_scalar(lr)
    clr = [_get_value(lr / (1 + (step - 1) * lr_decay)) for step in _increment_steps(state_steps)]
    for p, g, s, c in _group_by_device_and_dtype(params, grads, state_sums, clr).values():
        fused_adagrad_(p, g, s, eps=eps, weight_decay=weight_decay, maximize=maximize, clr=c)
