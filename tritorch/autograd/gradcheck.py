"""Finite-difference checks of analytical gradients (PyTorch's `gradcheck`/`gradgradcheck`)."""
import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    pass


def _flat_outputs(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _numerical_jacobian(fn, inputs, idx, eps):
    """Columns: d(all outputs flattened) / d(inputs[idx][j]) by central differences."""
    x = inputs[idx]
    flat = x.detach().numpy().reshape(-1) if x.is_contiguous() else None
    base = x.detach()
    cols = []
    n = x.numel()
    for j in range(n):
        vals = []
        for sign in (1, -1):
            pert = base.clone()
            pv = pert.numpy().reshape(-1)
            pv[j] += sign * eps
            args = list(inputs)
            args[idx] = pert
            outs = _flat_outputs(fn(*args))
            vals.append(np.concatenate([o.detach().to(dtype=o.dtype).numpy().astype(np.float64).reshape(-1)
                                        for o in outs if o is not None and o.dtype.is_floating_point]))
        cols.append((vals[0] - vals[1]) / (2 * eps))
    del flat
    return np.stack(cols, 1) if cols else np.zeros((0, 0))


def _analytical_jacobian(fn, inputs, diff_idx):
    from .. import autograd
    from .._ops.creation import zeros_like
    outs = [o for o in _flat_outputs(fn(*inputs)) if o is not None and o.dtype.is_floating_point]
    sizes = [o.numel() for o in outs]
    total = sum(sizes)
    jac = {i: np.zeros((total, inputs[i].numel())) for i in diff_idx}
    row = 0
    for k, o in enumerate(outs):
        for r in range(o.numel()):
            if not o._requires_grad:
                row += 1
                continue
            go = zeros_like(o)
            go.numpy().reshape(-1)[r] = 1.0
            gs = autograd.grad([o], [inputs[i] for i in diff_idx], [go], retain_graph=True, allow_unused=True)
            for i, g in zip(diff_idx, gs):
                if g is not None:
                    jac[i][row] = g.detach().numpy().astype(np.float64).reshape(-1)
            row += 1
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, fast_mode=False):
    """True when analytical gradients of ``func`` match central finite differences.

    Inputs that require grad must be float64 (as PyTorch warns); raises GradcheckError
    (or returns False) naming the input and the worst element otherwise.
    """
    from .._tensor import Tensor
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in diff_idx:
        if inputs[i].dtype.name != "float64":
            raise GradcheckError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 inputs for finite differences")
    ana = _analytical_jacobian(func, inputs, diff_idx)
    for i in diff_idx:
        num = _numerical_jacobian(func, inputs, i, eps)
        a = ana[i]
        if num.shape != a.shape or not np.allclose(a, num, rtol=rtol, atol=atol):
            if num.shape == a.shape:
                err = np.abs(a - num)
                w = np.unravel_index(np.argmax(err), err.shape)
                detail = f"worst at (output {w[0]}, input element {w[1]}): analytical {a[w]}, numerical {num[w]}"
            else:
                detail = f"shapes differ: analytical {a.shape}, numerical {num.shape}"
            msg = f"Jacobian mismatch for output 0 with respect to input {i}: {detail}"
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  gen_non_contig_grad_outputs=False, **kw):
    """gradcheck of the gradient function itself (second derivatives through create_graph)."""
    from .. import autograd
    from .._tensor import Tensor
    from .._ops.random import randn_like
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outs = [o for o in _flat_outputs(func(*inputs)) if o.dtype.is_floating_point and o.requires_grad]
    if grad_outputs is None:
        grad_outputs = [randn_like(o).requires_grad_() for o in outs]
    grad_outputs = list(grad_outputs)
    n_in = len(inputs)

    def first_grad(*args):
        xs = args[:n_in]
        gos = args[n_in:]
        os_ = [o for o in _flat_outputs(func(*xs)) if o.dtype.is_floating_point and o.requires_grad]
        gs = autograd.grad(os_, [xs[i] for i in diff_idx], list(gos), create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grad, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
