"""RAdam (PyTorch's ``torch.optim.RAdam``): Adam with the variance rectification term; L2 or
decoupled weight decay.  The rectification (``rho_t``, ``r_t``) is a per-parameter scalar
computed in Python; the update runs as the fused ``_fused_radam_`` op."""
from ..autograd.grad_mode import no_grad
from .._ops.optim import fused_radam_
from .optimizer import (Optimizer, _get_value, _to_scalar, _check_hyperparameters, _closure_loss,
                        _group_by_device_and_dtype, _increment_steps)

__all__ = ["RAdam", "radam"]


class RAdam(Optimizer):
    r"""RAdam.

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float or Tensor): learning rate (default: 1e-3).
        betas (Tuple[float, float]): running-average coefficients (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): weight decay (default: 0).
        decoupled_weight_decay (bool): AdamW-style weight decay (default: False).
        maximize (bool): maximize the objective (default: False).
        foreach, capturable, differentiable: accepted for PyTorch compatibility.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_hyperparameters(lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._set_group_defaults(foreach=None, maximize=False, differentiable=False, decoupled_weight_decay=False,
                                 capturable=False)

    def _init_group(self, group, params, grads, exp_avgs, exp_avg_sqs, state_steps):
        self._init_group_states(group, params, grads, state_steps, exp_avg=exp_avgs, exp_avg_sq=exp_avg_sqs)

    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss when given."""
        loss = _closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                params, grads, exp_avgs, exp_avg_sqs, state_steps = [], [], [], [], []
                beta1, beta2 = group["betas"]
                self._init_group(group, params, grads, exp_avgs, exp_avg_sqs, state_steps)
                radam(params, grads, exp_avgs, exp_avg_sqs, state_steps, beta1=beta1, beta2=beta2, lr=group["lr"],
                      weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"],
                      decoupled_weight_decay=group["decoupled_weight_decay"])
        return loss


def radam(params, grads, exp_avgs, exp_avg_sqs, state_steps, *, beta1, beta2, lr, weight_decay, eps,
          decoupled_weight_decay=False, maximize=False):
    """Functional RAdam: increments ``state_steps`` and updates params and moments in place."""
    if not params:
        return
    lr = _get_value(_to_scalar(lr))
    bc1, bc2_sqrt, rect = [], [], []
    rho_inf = 2 / (1 - beta2) - 1
    for step in _increment_steps(state_steps):
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        bc1.append(bias_correction1)
        bc2_sqrt.append(bias_correction2 ** 0.5)
        # 0 marks the unrectified update (rho_t <= 5); r_t itself is > 0 whenever rho_t > 5.
        rect.append(((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    if rho_t > 5.0 else 0.0)
    for p, g, m, v, b1, b2, r in _group_by_device_and_dtype(params, grads, exp_avgs, exp_avg_sqs, bc1, bc2_sqrt,
                                                            rect).values():
        fused_radam_(p, g, m, v, lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                     decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, bias_correction1=b1,
                     bias_correction2_sqrt=b2, rect=r)
