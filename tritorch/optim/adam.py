"""Adam (PyTorch's ``torch.optim.Adam``): AMSGrad, L2 or decoupled weight decay, maximize.

Per parameter, the step count (a 0-d tensor in the state, as PyTorch keeps it) gives the bias
corrections, computed in Python as PyTorch's single-tensor path does; the elementwise update
runs as the fused ``_fused_adam_`` op per (device, dtype) group."""
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from .._ops.creation import zeros_like
from .._ops.optim import fused_adam_
from .optimizer import (Optimizer, _get_value, _to_scalar, _check_fused, _check_hyperparameters, _closure_loss,
                        _device_dtype_check_for_fused, _group_by_device_and_dtype, _increment_steps)

__all__ = ["Adam", "adam"]


class Adam(Optimizer):
    r"""Adam.

    Args:
        params (iterable): parameters or parameter groups to optimize.
        lr (float or Tensor): learning rate (default: 1e-3).
        betas (Tuple[float, float]): coefficients of the running averages of the gradient and
            its square (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): weight decay (default: 0): L2 penalty, or AdamW's decoupled decay
            when ``decoupled_weight_decay=True``.
        amsgrad (bool): use the AMSGrad variant (default: False).
        maximize (bool): maximize the objective (default: False).
        foreach, capturable, differentiable, fused: accepted for PyTorch compatibility.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_hyperparameters(lr, foreach=foreach, capturable=capturable, eps=eps, betas=betas,
                               weight_decay=weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True")
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(map(_to_scalar, betas))
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._set_group_defaults(amsgrad=False, maximize=False, foreach=None, capturable=False, differentiable=False,
                                 decoupled_weight_decay=False, fused=None)

    def _init_group(self, group, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps):
        for p in group["params"]:
            if p.grad is None:
                continue
            params.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                if group["fused"]:
                    _device_dtype_check_for_fused(p)
                state["step"] = self._new_step(group, p)
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = zeros_like(p)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            if group["amsgrad"]:
                max_exp_avg_sqs.append(state["max_exp_avg_sq"])
            self._check_tensor_lr(group)
            state_steps.append(state["step"])

    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss when given."""
        loss = _closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps = [], [], [], [], [], []
                beta1, beta2 = group["betas"]
                self._init_group(group, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps)
                adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, amsgrad=group["amsgrad"],
                     beta1=beta1, beta2=beta2, lr=group["lr"], weight_decay=group["weight_decay"], eps=group["eps"],
                     maximize=group["maximize"], decoupled_weight_decay=group["decoupled_weight_decay"])
        return loss


def adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, *, amsgrad, beta1, beta2, lr,
         weight_decay, eps, maximize, decoupled_weight_decay=False):
    """Functional Adam: increments ``state_steps`` and updates params and moments in place."""
    if not params:
        return
    lr, beta1, beta2 = _to_scalar(lr), _to_scalar(beta1), _to_scalar(beta2)
    steps = _increment_steps(state_steps)
    step_size, bc2_sqrt = [], []
    for step in steps:  # PyTorch's single-tensor scalars, in its order (tensor lr/betas included)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size.append(_get_value(lr / bias_correction1))
        bc2_sqrt.append(_get_value(bias_correction2 ** 0.5))
    lr, beta1, beta2, weight_decay = _get_value(lr), _get_value(beta1), _get_value(beta2), _get_value(weight_decay)
    for p, g, m, v, vmax, ss, bc in _group_by_device_and_dtype(
            params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs if amsgrad else [], step_size, bc2_sqrt).values():
        fused_adam_(p, g, m, v, vmax, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps,
                    amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=decoupled_weight_decay, step_size=ss,
                    bias_correction2_sqrt=bc)
