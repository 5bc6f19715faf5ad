"""Finite-difference checks of analytical gradients (PyTorch's `gradcheck`/`gradgradcheck`).

Both compare, for every differentiable input and every floating output, the Jacobian
built row by row with `autograd.grad` against central differences in float64.  This is
a test utility: it reads values through host numpy copies.
"""
import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    pass


def _outputs(out):
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    from .._tensor import Tensor
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _host(t):
    return np.array(t.detach().cpu().numpy(), dtype=np.float64)


def _numerical_jacobians(fn, inputs, idx, eps):
    """Per output: (out.numel(), inputs[idx].numel()) central-difference Jacobian."""
    from .._ops.creation import tensor
    x = inputs[idx]
    base = _host(x).reshape(-1)
    cols = []
    for j in range(base.size):
        vals = []
        for sign in (1.0, -1.0):
            p = base.copy()
            p[j] += sign * eps
            args = list(inputs)
            args[idx] = tensor(p.reshape(tuple(x.shape)), dtype=x.dtype, device=x.device,
                               requires_grad=x.requires_grad)
            vals.append([_host(o).reshape(-1) for o in _outputs(fn(*args))])
        cols.append([(a - b) / (2 * eps) for a, b in zip(*vals)])
    n_out = len(_outputs(fn(*inputs)))
    return [np.stack([c[k] for c in cols], 1) if cols else None for k in range(n_out)]


def _analytical_jacobians(fn, inputs, diff_idx):
    """{input index: [per output (out.numel(), in.numel()) Jacobian]} via one backward per output element."""
    from . import grad
    from .._ops.creation import tensor
    outs = _outputs(fn(*inputs))
    jac = {i: [np.zeros((o.numel(), inputs[i].numel())) for o in outs] for i in diff_idx}
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for r in range(o.numel()):
            go = np.zeros(o.numel())
            go[r] = 1.0
            gt = tensor(go.reshape(tuple(o.shape)), dtype=o.dtype, device=o.device)
            gs = grad([o], [inputs[i] for i in diff_idx], [gt], retain_graph=True, allow_unused=True)
            for i, g in zip(diff_idx, gs):
                if g is not None:
                    if tuple(g.shape) != tuple(inputs[i].shape):
                        raise GradcheckError(f"gradcheck: gradient for input {i} has shape {tuple(g.shape)}, "
                                             f"expected {tuple(inputs[i].shape)}")
                    jac[i][k][r] = _host(g).reshape(-1)
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False, fast_mode=False,
              masked=None):
    """True when the analytical gradients of ``func`` match central finite differences.

    ``inputs``: a tensor or tuple; those requiring grad must be float64.  On mismatch,
    raises `GradcheckError` naming the output, the input and the worst element (or
    returns False with ``raise_exception=False``).
    """
    from .._tensor import Tensor
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")
    for i in diff_idx:
        if inputs[i].dtype.name != "float64":
            raise GradcheckError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64 "
                                 f"inputs")
    ana = _analytical_jacobians(func, inputs, diff_idx)
    for i in diff_idx:
        nums = _numerical_jacobians(func, inputs, i, eps)
        for k, (a, num) in enumerate(zip(ana[i], nums)):
            if num is None or (a.size == 0 and num.size == 0):
                continue
            if num.shape == a.shape and np.allclose(a, num, rtol=rtol, atol=atol):
                continue
            if num.shape == a.shape:
                err = np.abs(a - num) - rtol * np.abs(num)
                w = np.unravel_index(np.argmax(err), err.shape)
                detail = (f"worst at (output element {w[0]}, input element {w[1]}): analytical {a[w]!r}, "
                          f"numerical {num[w]!r}\nnumerical:\n{num}\nanalytical:\n{a}")
            else:
                detail = f"shapes differ: analytical {a.shape}, numerical {num.shape}"
            msg = f"Jacobian mismatch for output {k} with respect to input {i}: {detail}"
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  gen_non_contig_grad_outputs=False, nondet_tol=0.0, check_undefined_grad=True,
                  check_grad_dtypes=False, check_batched_grad=False, fast_mode=False, masked=False):
    """gradcheck of the first gradient (computed with ``create_graph=True``): checks second derivatives.

    ``grad_outputs`` default to fixed pseudo-random float64 tensors that require grad,
    so the check also covers the gradient w.r.t. them.
    """
    from . import grad
    from .._tensor import Tensor
    from .._ops.creation import tensor
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outs = [o for o in _outputs(func(*inputs)) if o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype, device=o.device,
                               requires_grad=True) for o in outs]
    grad_outputs = tuple(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,)
    n_in = len(inputs)

    def first_grad(*args):
        xs, gos = args[:n_in], args[n_in:]
        os_ = [o for o in _outputs(func(*xs)) if o.requires_grad]
        gs = grad(os_, [xs[i] for i in diff_idx], list(gos), create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grad, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
