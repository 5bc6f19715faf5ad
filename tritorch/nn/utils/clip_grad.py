"""Gradient clipping (PyTorch's `torch.nn.utils.clip_grad`): `clip_grad_norm_`, `clip_grad_value_`,
`get_total_norm`, `clip_grads_with_norm_`.

As PyTorch does, the gradients are grouped by (device, dtype): the per-tensor norms, group by
group, are stacked on the first device and reduced once (so the total rounds as PyTorch's does),
and the clip coefficient is converted once per group.  tritorch has no multi-tensor
``_foreach_norm`` / ``_foreach_mul_`` ops, so inside a group each tensor is one call (``foreach``
is accepted for PyTorch compatibility).  No host synchronisation unless ``error_if_nonfinite``.
"""

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _tensor_list(tensors):
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def _grads(parameters):
    return [p.grad for p in _tensor_list(parameters) if p.grad is not None]


def _by_device_and_dtype(tensors):
    """``{(device, dtype): [tensors]}`` in first-seen order (PyTorch's grouping for its foreach ops)."""
    groups = {}
    for t in tensors:
        groups.setdefault((t.device, t.dtype), []).append(t)
    return groups


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all ``tensors`` together, as if concatenated (a 0-d tensor)."""
    from ... import stack, tensor as _tensor
    tensors = _tensor_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return _tensor(0.0)
    first = tensors[0].device
    norms = [t.norm(norm_type) for group in _by_device_and_dtype(tensors).values() for t in group]
    total = stack([n.to(first) for n in norms]).norm(norm_type)
    if error_if_nonfinite and bool(total.isnan() | total.isinf()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            f"clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            f"`error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scales every gradient by ``min(1, max_norm / (total_norm + 1e-6))`` in place."""
    grads = _grads(parameters)
    if not grads:
        return
    clip_coef = float(max_norm) / (total_norm + 1e-6)
    clip_coef_clamped = clip_coef.clamp(max=1.0)
    with no_grad():
        for (device, dtype), group in _by_device_and_dtype(grads).items():
            coef = clip_coef_clamped.to(device, dtype)
            for g in group:
                g.mul_(coef)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clips the gradients' total norm to ``max_norm`` in place; returns the total norm (before
    clipping) as a 0-d tensor.  ``foreach`` is accepted for PyTorch compatibility."""
    params = _tensor_list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    with no_grad():
        total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
        clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    import warnings
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient to ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(min=-clip_value, max=clip_value)
