"""Higher-level autograd helpers (subset of `torch.autograd.functional`)."""
__all__ = ["jacobian"]


def jacobian(func, inputs, create_graph=False):
    """Jacobian of ``func`` at ``inputs`` (single tensor in/out): shape out.shape + in.shape."""
    from .. import autograd
    from .._ops.creation import zeros_like
    from .._ops.joining import stack
    x = inputs.detach().requires_grad_(True)
    y = func(x)
    rows = []
    for r in range(y.numel()):
        go = zeros_like(y)
        go.view(-1)[r] = 1.0
        g, = autograd.grad([y], [x], [go], retain_graph=True, create_graph=create_graph, allow_unused=True)
        rows.append(g if g is not None else zeros_like(x))
    return stack(rows).reshape(tuple(y.shape) + tuple(x.shape))
