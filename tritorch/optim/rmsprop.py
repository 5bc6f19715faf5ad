"""RMSprop (PyTorch's ``torch.optim.RMSprop``): centered and/or with momentum; the update runs
as the fused ``_fused_rmsprop_`` op per (device, dtype) group."""
from ..autograd.grad_mode import no_grad
from .._ops.creation import zeros_like
from .._ops.optim import fused_rmsprop_
from .optimizer import (Optimizer, _get_value, _to_scalar, _check_hyperparameters, _closure_loss,
                        _group_by_device_and_dtype, _increment_steps)

__all__ = ["RMSprop", "rmsprop"]


class RMSprop(Optimizer):
    r"""RMSprop.

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float or Tensor): learning rate (default: 1e-2).
        alpha (float): smoothing constant (default: 0.99).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): L2 penalty (default: 0).
        momentum (float): momentum factor (default: 0).
        centered (bool): normalize by an estimate of the gradient's variance (default: False).
        maximize (bool): maximize the objective (default: False).
        capturable, foreach, differentiable: accepted for PyTorch compatibility.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_hyperparameters(lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._set_group_defaults(momentum=0, centered=False, foreach=None, maximize=False, differentiable=False,
                                 capturable=False)

    def _init_group(self, group, params, grads, square_avgs, momentum_buffer_list, grad_avgs, state_steps):
        for p in group["params"]:
            if p.grad is None:
                continue
            params.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._new_step(group, p)
                state["square_avg"] = zeros_like(p)
                if group["momentum"] > 0:
                    state["momentum_buffer"] = zeros_like(p)
                if group["centered"]:
                    state["grad_avg"] = zeros_like(p)
            square_avgs.append(state["square_avg"])
            state_steps.append(state["step"])
            if group["momentum"] > 0:
                momentum_buffer_list.append(state["momentum_buffer"])
            if group["centered"]:
                grad_avgs.append(state["grad_avg"])

    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss when given."""
        loss = _closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                params, grads, square_avgs, grad_avgs, bufs, state_steps = [], [], [], [], [], []
                self._init_group(group, params, grads, square_avgs, bufs, grad_avgs, state_steps)
                rmsprop(params, grads, square_avgs, grad_avgs, bufs, state_steps, lr=group["lr"],
                        alpha=group["alpha"], eps=group["eps"], weight_decay=group["weight_decay"],
                        momentum=group["momentum"], centered=group["centered"], maximize=group["maximize"])
        return loss


def rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, *, lr, alpha, eps,
            weight_decay, momentum, centered, maximize=False):
    """Functional RMSprop: increments ``state_steps`` and updates params and averages in place."""
    if not params:
        return
    _increment_steps(state_steps)
    lr = _get_value(_to_scalar(lr))
    for p, g, sq, ga, b in _group_by_device_and_dtype(params, grads, square_avgs, grad_avgs if centered else [],
                                                      momentum_buffer_list if momentum > 0 else []).values():
        fused_rmsprop_(p, g, sq, ga, b, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                       centered=centered, maximize=maximize)
