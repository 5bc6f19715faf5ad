"""Fused optimizer updates (the registry side of ``tritorch.optim``).

Each algorithm is one in-place registry op over LISTS of tensors of one (device, dtype) group,
as PyTorch's ``torch._fused_adam_`` & co.: ``params`` and ``grads`` plus the algorithm's state
tensors (each list either empty — the state the options do not use — or one tensor per param,
of the param's shape), group hyperparameters as Python numbers and per-tensor scalars as lists
of Python floats (bias corrections, which depend on each param's own step count).  The
optimizer (tritorch/optim/*.py) computes those scalars exactly as PyTorch's single-tensor code
does, so both backends apply the same numbers and only the elementwise math runs here:

  ==================  ============================================  ==========================
  op                  tensor lists                                  per-tensor scalars
  ==================  ============================================  ==========================
  _fused_sgd_         params, grads, momentum_buffers               is_first (bool)
  _fused_adam_        params, grads, exp_avgs, exp_avg_sqs,         step_size,
                      max_exp_avg_sqs                               bias_correction2_sqrt
  _fused_adamax_      params, grads, exp_avgs, exp_infs             clr
  _fused_nadam_       params, grads, exp_avgs, exp_avg_sqs          bias_correction2,
                                                                    grad_coef, exp_avg_coef
  _fused_radam_       params, grads, exp_avgs, exp_avg_sqs          bias_correction1,
                                                                    bias_correction2_sqrt, rect
  _fused_rmsprop_     params, grads, square_avgs, grad_avgs,        (none)
                      momentum_buffers
  _fused_adagrad_     params, grads, state_sums                     clr
  _fused_adadelta_    params, grads, square_avgs, acc_deltas        (none)
  _foreach_add_       tensors (the step counters)                   (a scalar added to each)
  ==================  ============================================  ==========================

Grads are read, never written; every other list is updated in place (and its version bumped).
Meta checks list lengths, and that each tensor has its param's shape, dtype and device.
"""
from __future__ import annotations

from collections.abc import Sequence

from .._dtype import TORCH_NAMES
from ._common import def_op, Tensor

__all__ = []
_E = {}


def _fail(op, msg):
    raise RuntimeError(f"{op}: {msg}")


def _check_group(op, params, grads, states, scalars):
    """Shared meta: ``states`` maps a list name to (list, optional); ``scalars`` names the
    per-tensor scalar lists.  Returns the no-output spec ``()``."""
    if not isinstance(params, (list, tuple)) or not all(isinstance(p, Tensor) for p in params):
        raise TypeError(f"{op}(): argument 'params' must be a list of Tensors")
    n = len(params)
    if n:
        p0 = params[0]
        if not p0.dtype.is_floating_point:
            _fail(op, f"expected floating point params, but got {TORCH_NAMES[p0.dtype]}")
    named = (("grads", grads, False),) + tuple((k, v, opt) for k, (v, opt) in states.items())
    for name, lst, optional in named:
        if not isinstance(lst, (list, tuple)) or not all(isinstance(t, Tensor) for t in lst):
            raise TypeError(f"{op}(): argument '{name}' must be a list of Tensors")
        if len(lst) != n and not (optional and not lst):
            _fail(op, f"Tensor lists must have the same number of tensors, got {n} and {len(lst)} ({name})")
    for name, lst in scalars.items():
        if len(lst) != n:
            _fail(op, f"expected {n} values in '{name}', one per tensor, but got {len(lst)}")
    # Fast path: compare whole lists of shapes and dtypes; walk them only to name a mismatch.
    shapes = [p._data.shape for p in params]
    dtypes = [p.dtype for p in params]
    if dtypes.count(dtypes[0] if n else None) != n:
        i = next(i for i, d in enumerate(dtypes) if d is not dtypes[0])
        _fail(op, f"expected all params to have dtype {TORCH_NAMES[dtypes[0]]}, but got {TORCH_NAMES[dtypes[i]]} "
                  f"for params[{i}]")
    for name, lst, _ in named:
        if not lst:
            continue
        if [t._data.shape for t in lst] != shapes:
            i = next(i for i, t in enumerate(lst) if t._data.shape != shapes[i])
            _fail(op, f"{name}[{i}] has shape {list(lst[i]._data.shape)}, but params[{i}] has shape "
                      f"{list(shapes[i])}")
        if [t.dtype for t in lst] != dtypes:
            i = next(i for i, t in enumerate(lst) if t.dtype is not dtypes[i])
            _fail(op, f"{name}[{i}] has dtype {TORCH_NAMES[lst[i].dtype]}, but params[{i}] has dtype "
                      f"{TORCH_NAMES[dtypes[i]]}")
    return ()


def _bump(*lists):
    for lst in lists:
        for t in lst:
            t._storage.version += 1


# --- _foreach_add_ -------------------------------------------------------------------------------

def _meta_foreach_add(tensors, scalar):
    """tensors: list of Tensors (any shapes, one dtype); adds the Python number ``scalar`` to each."""
    if not isinstance(tensors, (list, tuple)) or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError("_foreach_add_(): argument 'self' must be a list of Tensors")
    for i, t in enumerate(tensors):
        if t.dtype is not tensors[0].dtype:
            _fail("_foreach_add_", f"expected all tensors to have dtype {TORCH_NAMES[tensors[0].dtype]}, "
                                   f"but got {TORCH_NAMES[t.dtype]} for tensors[{i}]")
    return ()


_FOREACH_ADD = def_op("_foreach_add_", _meta_foreach_add, nout=0)


def foreach_add_(tensors: Sequence[Tensor], scalar: float) -> None:
    """``t += scalar`` for every tensor of the list (one registry call: the step counters)."""
    if tensors:
        _FOREACH_ADD.run((tensors, float(scalar)), _E)
        _bump(tensors)


# --- the algorithms ------------------------------------------------------------------------------

def _meta_sgd(params, grads, momentum_buffers, *, lr, momentum, dampening, weight_decay, nesterov, maximize,
              is_first):
    """Input: lists of (*) tensors.  SGD with momentum/dampening/nesterov/weight decay (PyTorch's order)."""
    return _check_group("_fused_sgd_", params, grads, {"momentum_buffers": (momentum_buffers, momentum == 0)},
                        {"is_first": is_first} if momentum != 0 else {})


def _meta_adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, *, lr, beta1, beta2, weight_decay, eps,
               amsgrad, maximize, decoupled_weight_decay, step_size, bias_correction2_sqrt):
    """Input: lists of (*) tensors.  Adam / AdamW (decoupled weight decay) / AMSGrad."""
    return _check_group("_fused_adam_", params, grads,
                        {"exp_avgs": (exp_avgs, False), "exp_avg_sqs": (exp_avg_sqs, False),
                         "max_exp_avg_sqs": (max_exp_avg_sqs, not amsgrad)},
                        {"step_size": step_size, "bias_correction2_sqrt": bias_correction2_sqrt})


def _meta_adamax(params, grads, exp_avgs, exp_infs, *, beta1, beta2, eps, weight_decay, maximize, clr):
    """Input: lists of (*) tensors.  Adamax (infinity-norm Adam)."""
    return _check_group("_fused_adamax_", params, grads,
                        {"exp_avgs": (exp_avgs, False), "exp_infs": (exp_infs, False)}, {"clr": clr})


def _meta_nadam(params, grads, exp_avgs, exp_avg_sqs, *, lr, beta1, beta2, eps, weight_decay,
                decoupled_weight_decay, maximize, bias_correction2, grad_coef, exp_avg_coef):
    """Input: lists of (*) tensors.  NAdam (the momentum-schedule coefficients come per tensor)."""
    return _check_group("_fused_nadam_", params, grads,
                        {"exp_avgs": (exp_avgs, False), "exp_avg_sqs": (exp_avg_sqs, False)},
                        {"bias_correction2": bias_correction2, "grad_coef": grad_coef, "exp_avg_coef": exp_avg_coef})


def _meta_radam(params, grads, exp_avgs, exp_avg_sqs, *, lr, beta1, beta2, eps, weight_decay,
                decoupled_weight_decay, maximize, bias_correction1, bias_correction2_sqrt, rect):
    """Input: lists of (*) tensors.  RAdam; ``rect`` 0 for a tensor means rho_t <= 5 (no rectification)."""
    return _check_group("_fused_radam_", params, grads,
                        {"exp_avgs": (exp_avgs, False), "exp_avg_sqs": (exp_avg_sqs, False)},
                        {"bias_correction1": bias_correction1, "bias_correction2_sqrt": bias_correction2_sqrt,
                         "rect": rect})


def _meta_rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffers, *, lr, alpha, eps, weight_decay,
                  momentum, centered, maximize):
    """Input: lists of (*) tensors.  RMSprop (centered and/or with momentum)."""
    return _check_group("_fused_rmsprop_", params, grads,
                        {"square_avgs": (square_avgs, False), "grad_avgs": (grad_avgs, not centered),
                         "momentum_buffers": (momentum_buffers, not momentum > 0)}, {})


def _meta_adagrad(params, grads, state_sums, *, eps, weight_decay, maximize, clr):
    """Input: lists of (*) tensors.  Adagrad (the decayed learning rate comes per tensor)."""
    return _check_group("_fused_adagrad_", params, grads, {"state_sums": (state_sums, False)}, {"clr": clr})


def _meta_adadelta(params, grads, square_avgs, acc_deltas, *, lr, rho, eps, weight_decay, maximize):
    """Input: lists of (*) tensors.  Adadelta."""
    return _check_group("_fused_adadelta_", params, grads,
                        {"square_avgs": (square_avgs, False), "acc_deltas": (acc_deltas, False)}, {})


def _fused(name, meta):
    op = def_op(name, meta, nout=0)

    def run(params: Sequence[Tensor], grads: Sequence[Tensor], *states: Sequence[Tensor],
            **attrs: float | bool | Sequence[float]) -> None:
        """Runs the op when ``params`` is not empty; bumps the versions of every updated list."""
        if params:
            op.run((params, grads) + states, attrs)
            _bump(params, *states)
    run.__name__ = name
    run.__doc__ = meta.__doc__
    return run


fused_sgd_ = _fused("_fused_sgd_", _meta_sgd)
fused_adam_ = _fused("_fused_adam_", _meta_adam)
fused_adamax_ = _fused("_fused_adamax_", _meta_adamax)
fused_nadam_ = _fused("_fused_nadam_", _meta_nadam)
fused_radam_ = _fused("_fused_radam_", _meta_radam)
fused_rmsprop_ = _fused("_fused_rmsprop_", _meta_rmsprop)
fused_adagrad_ = _fused("_fused_adagrad_", _meta_adagrad)
fused_adadelta_ = _fused("_fused_adadelta_", _meta_adadelta)
