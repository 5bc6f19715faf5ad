"""Adadelta (PyTorch's ``torch.optim.Adadelta``); the update runs as the fused
``_fused_adadelta_`` op per (device, dtype) group."""
from ..autograd.grad_mode import no_grad
from .._ops.optim import fused_adadelta_
from .optimizer import (Optimizer, _get_value, _to_scalar, _check_hyperparameters, _closure_loss,
                        _group_by_device_and_dtype, _increment_steps)

__all__ = ["Adadelta", "adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta.

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float or Tensor): coefficient that scales delta before it is applied (default: 1.0).
        rho (float): running-average coefficient of the squared gradients (default: 0.9).
        eps (float): added to the denominators (default: 1e-6).
        weight_decay (float): L2 penalty (default: 0).
        maximize (bool): maximize the objective (default: False).
        foreach, capturable, differentiable: accepted for PyTorch compatibility.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_hyperparameters(lr, rho=rho, eps=eps, weight_decay=weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._set_group_defaults(foreach=None, maximize=False, differentiable=False, capturable=False)

    def _init_group(self, group, params, grads, square_avgs, acc_deltas, state_steps):
        self._init_group_states(group, params, grads, state_steps, square_avg=square_avgs, acc_delta=acc_deltas)

    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss when given."""
        loss = _closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                params, grads, square_avgs, acc_deltas, state_steps = [], [], [], [], []
                self._init_group(group, params, grads, square_avgs, acc_deltas, state_steps)
                adadelta(params, grads, square_avgs, acc_deltas, state_steps, lr=group["lr"], rho=group["rho"],
                         eps=group["eps"], weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss


def adadelta(params, grads, square_avgs, acc_deltas, state_steps, *, lr, rho, eps, weight_decay, maximize=False):
    """Functional Adadelta: increments ``state_steps`` and updates params and averages in place."""
    if not params:
        return
    _increment_steps(state_steps)
    lr = _get_value(_to_scalar(lr))
    for p, g, sq, acc in _group_by_device_and_dtype(params, grads, square_avgs, acc_deltas).values():
        fused_adadelta_(p, g, sq, acc, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
