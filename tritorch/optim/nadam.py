"""NAdam (PyTorch's ``torch.optim.NAdam``): Adam with Nesterov momentum and PyTorch's momentum
schedule (``momentum_decay``); L2 or decoupled weight decay.  The per-parameter ``mu_product``
state is a 0-d tensor updated in Python as PyTorch does (its rounding is part of the
trajectory); the elementwise update runs as the fused ``_fused_nadam_`` op."""
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from .._ops.creation import zeros_like, tensor
from .._ops.optim import fused_nadam_
from .optimizer import (Optimizer, _get_value, _to_scalar, _get_scalar_dtype, _check_hyperparameters, _closure_loss,
                        _group_by_device_and_dtype, _increment_steps)

__all__ = ["NAdam", "nadam"]


def _mu_product(value, group, p):
    """The ``mu_product`` state tensor: on the param's device for capturable groups, else on the cpu."""
    return tensor(value, dtype=_get_scalar_dtype(), device=p.device if group["capturable"] else "cpu")


class NAdam(Optimizer):
    r"""NAdam.

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float or Tensor): learning rate (default: 2e-3).
        betas (Tuple[float, float]): running-average coefficients (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): weight decay (default: 0).
        momentum_decay (float): momentum schedule decay psi (default: 4e-3).
        decoupled_weight_decay (bool): AdamW-style weight decay (default: False).
        maximize (bool): maximize the objective (default: False).
        foreach, capturable, differentiable: accepted for PyTorch compatibility.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_hyperparameters(lr, eps=eps, betas=betas, weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._set_group_defaults(maximize=False, foreach=None, capturable=False, differentiable=False,
                                 decoupled_weight_decay=False)
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and not isinstance(p_state["mu_product"], Tensor):
                    p_state["mu_product"] = _mu_product(p_state["mu_product"], group, p)

    def _init_group(self, group, params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps):
        for p in group["params"]:
            if p.grad is None:
                continue
            params.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._new_step(group, p)
                state["mu_product"] = _mu_product(1.0, group, p)
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            mu_products.append(state["mu_product"])
            state_steps.append(state["step"])

    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss when given."""
        loss = _closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps = [], [], [], [], [], []
                beta1, beta2 = group["betas"]
                self._init_group(group, params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps)
                nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps, beta1=beta1, beta2=beta2,
                      lr=group["lr"], weight_decay=group["weight_decay"], momentum_decay=group["momentum_decay"],
                      eps=group["eps"], decoupled_weight_decay=group["decoupled_weight_decay"],
                      maximize=group["maximize"])
        return loss


def nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps, *, beta1, beta2, lr, weight_decay,
          momentum_decay, eps, decoupled_weight_decay=False, maximize=False):
    """Functional NAdam: increments ``state_steps``, multiplies ``mu_products`` and updates in place."""
    if not params:
        return
    lr = _to_scalar(lr)
    bc2, grad_coef, exp_avg_coef = [], [], []
    for step, mu_product in zip(_increment_steps(state_steps), mu_products):
        bc2.append(1 - beta2 ** step)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product *= mu
        mu_product_next = _get_value(mu_product) * mu_next
        grad_coef.append(_get_value(-lr * (1.0 - mu) / (1.0 - _get_value(mu_product))))
        exp_avg_coef.append(_get_value((-lr * mu_next) / (1.0 - mu_product_next)))
    lr = _get_value(lr)
    for p, g, m, v, b, cg, cm in _group_by_device_and_dtype(params, grads, exp_avgs, exp_avg_sqs, bc2, grad_coef,
                                                            exp_avg_coef).values():
        fused_nadam_(p, g, m, v, lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                     decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, bias_correction2=b,
                     grad_coef=cg, exp_avg_coef=cm)
