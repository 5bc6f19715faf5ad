"""numpy impls of softmax / log-softmax along one dim, forward and fused backward.

Max-shifted (stable for large logits); a row of all -inf gives nan, like PyTorch.  ``dtype=``
casts the input to the output dtype first; half types compute in float32 and round once.
Each numpy op is a pass over memory, so the impls work in place in the output (or one
scratch buffer) and sum along the last dim through BLAS (`_rowsum`).
"""
import numpy as np

from ._rowsum import sum_last
from .pointwise_unary import compute_dtype


def _load(x, dt):
    """``x`` cast to the output dtype ``dt`` (PyTorch's ``dtype=`` cast), then to its compute dtype."""
    a = np.asarray(x)
    if a.dtype != dt:
        a = a.astype(dt)
    return a.astype(compute_dtype(dt), copy=False)


def _work(out, ct):
    """The buffer to compute in: ``out`` itself when it has the compute dtype."""
    return out if out.dtype == ct else np.empty(out.shape, ct)


def _sum(a, dim):
    """Sums along ``dim`` with kept dims."""
    if a.ndim == 0:
        return np.array(a)
    if dim % a.ndim == a.ndim - 1:
        return sum_last(a, keepdims=True)
    return np.sum(a, axis=dim, keepdims=True)


def _forward(out, x, dim, log):
    if out.size == 0:
        return
    a = _load(x, out.dtype)
    w = _work(out, a.dtype)
    with np.errstate(all="ignore"):
        np.subtract(a, np.max(a, axis=dim, keepdims=True) if a.ndim else a, out=w)
        if log:
            s = _sum(np.exp(w), dim)
            w -= np.log(s, out=s)
        else:
            np.exp(w, out=w)
            s = _sum(w, dim)
            w *= np.divide(1, s, out=s)
    if w is not out:
        np.copyto(out, w, casting="unsafe")


def softmax(out, x, dim, dtype=None):
    """``dtype``: always passed by the registry; ``out``'s dtype already carries it (the input is
    cast to out's dtype first), so it is not read here."""
    _forward(out, x, dim, False)


def log_softmax(out, x, dim, dtype=None):
    """``dtype``: carried by ``out``'s dtype, as in `softmax`."""
    _forward(out, x, dim, True)


def softmax_backward(out, grad_out, y, dim):
    """dx = y * (g - sum(g * y))."""
    if out.size == 0:
        return
    g, yy = _load(grad_out, out.dtype), _load(y, out.dtype)
    w = _work(out, g.dtype)
    with np.errstate(all="ignore"):
        np.multiply(g, yy, out=w)
        s = _sum(w, dim)
        np.subtract(g, s, out=w)
        w *= yy
    if w is not out:
        np.copyto(out, w, casting="unsafe")


def log_softmax_backward(out, grad_out, y, dim):
    """dx = g - exp(y) * sum(g)."""
    if out.size == 0:
        return
    g, yy = _load(grad_out, out.dtype), _load(y, out.dtype)
    w = _work(out, g.dtype)
    with np.errstate(all="ignore"):
        np.exp(yy, out=w)
        w *= _sum(g, dim)
        np.subtract(g, w, out=w)
    if w is not out:
        np.copyto(out, w, casting="unsafe")


IMPLS = {"softmax": softmax, "log_softmax": log_softmax, "softmax_backward": softmax_backward,
         "log_softmax_backward": log_softmax_backward}
