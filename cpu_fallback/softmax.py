"""numpy impls of softmax / log-softmax along one dim, forward and fused backward.

Max-shifted (stable for large logits); a row of all -inf gives nan, like PyTorch.  ``dtype=``
casts the input to the output dtype first; half types compute in float32 and round once.
"""
import numpy as np

from .pointwise_unary import compute_dtype


def _load(x, dt):
    """``x`` cast to the output dtype ``dt`` (PyTorch's ``dtype=`` cast), then to its compute dtype."""
    a = np.asarray(x)
    if a.dtype != dt:
        a = a.astype(dt)
    return a.astype(compute_dtype(dt), copy=False)


def _forward(out, x, dim, log):
    if out.size == 0:
        return
    a = _load(x, out.dtype)
    with np.errstate(all="ignore"):
        m = np.max(a, axis=dim, keepdims=True) if a.ndim else a
        z = a - m
        s = np.sum(np.exp(z), axis=dim, keepdims=True) if a.ndim else np.exp(z)
        r = z - np.log(s) if log else np.exp(z) / s
    np.copyto(out, r, casting="unsafe")


def softmax(out, x, dim, dtype=None):
    _forward(out, x, dim, False)


def log_softmax(out, x, dim, dtype=None):
    _forward(out, x, dim, True)


def _sum(a, dim):
    return np.sum(a, axis=dim, keepdims=True) if a.ndim else a


def softmax_backward(out, grad_out, y, dim):
    if out.size == 0:
        return
    g, yy = _load(grad_out, out.dtype), _load(y, out.dtype)
    with np.errstate(all="ignore"):
        r = yy * (g - _sum(g * yy, dim))
    np.copyto(out, r, casting="unsafe")


def log_softmax_backward(out, grad_out, y, dim):
    if out.size == 0:
        return
    g, yy = _load(grad_out, out.dtype), _load(y, out.dtype)
    with np.errstate(all="ignore"):
        r = g - np.exp(yy) * _sum(g, dim)
    np.copyto(out, r, casting="unsafe")


IMPLS = {"softmax": softmax, "log_softmax": log_softmax, "softmax_backward": softmax_backward,
         "log_softmax_backward": log_softmax_backward}
