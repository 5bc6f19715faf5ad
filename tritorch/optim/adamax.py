"""Adamax (PyTorch's ``torch.optim.Adamax``): Adam with an infinity-norm second moment; the
update runs as the fused ``_fused_adamax_`` op per (device, dtype) group."""
from ..autograd.grad_mode import no_grad
from .._ops.optim import fused_adamax_
from .optimizer import (Optimizer, _get_value, _to_scalar, _check_hyperparameters, _closure_loss,
                        _group_by_device_and_dtype, _increment_steps)

__all__ = ["Adamax", "adamax"]


class Adamax(Optimizer):
    r"""Adamax.

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float or Tensor): learning rate (default: 2e-3).
        betas (Tuple[float, float]): running-average coefficients (default: (0.9, 0.999)).
        eps (float): added to the infinity norm (default: 1e-8).
        weight_decay (float): L2 penalty (default: 0).
        maximize (bool): maximize the objective (default: False).
        foreach, differentiable, capturable: accepted for PyTorch compatibility.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_hyperparameters(lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._set_group_defaults(foreach=None, maximize=False, differentiable=False, capturable=False)

    def _init_group(self, group, params, grads, exp_avgs, exp_infs, state_steps):
        self._init_group_states(group, params, grads, state_steps, exp_avg=exp_avgs, exp_inf=exp_infs)

    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss when given."""
        loss = _closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                params, grads, exp_avgs, exp_infs, state_steps = [], [], [], [], []
                beta1, beta2 = group["betas"]
                self._init_group(group, params, grads, exp_avgs, exp_infs, state_steps)
                adamax(params, grads, exp_avgs, exp_infs, state_steps, eps=group["eps"], beta1=beta1, beta2=beta2,
                       lr=group["lr"], weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss


def adamax(params, grads, exp_avgs, exp_infs, state_steps, *, eps, beta1, beta2, lr, weight_decay, maximize):
    """Functional Adamax: increments ``state_steps`` and updates params and moments in place."""
    if not params:
        return
    lr = _to_scalar(lr)
    clr = [_get_value(lr / (1 - beta1 ** step)) for step in _increment_steps(state_steps)]
    for p, g, m, u, c in _group_by_device_and_dtype(params, grads, exp_avgs, exp_infs, clr).values():
        fused_adamax_(p, g, m, u, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay, maximize=maximize,
                      clr=c)
