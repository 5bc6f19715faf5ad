"""Op-table entries of the softmax family: softmax / log_softmax (forward, and through the
gradient checks the fused backward ops) and the backward ops called directly (forward vs numpy,
and gradcheck of the backward op itself, i.e. double backward)."""
import numpy as np

import tritorch as tt
from tritorch._ops.softmax import softmax_backward, log_softmax_backward
from .core import OpInfo, Sample, make


def _nc(shape, dtype, device):
    """A non-contiguous view (the transpose of a contiguous tensor) with ``shape``."""
    s = (shape[-1],) + tuple(shape[1:-1]) + (shape[0],)
    return make(s, dtype, device).transpose(0, len(shape) - 1)


def _samples(dtype, device):
    return [Sample((make((3, 5), dtype, device), -1), {}, "lastdim"),
            Sample((make((3, 5), dtype, device),), {"dim": 0}, "dim0"),
            Sample((make((2, 3, 4), dtype, device), 1), {}, "middle"),
            Sample((_nc((4, 3, 5), dtype, device), 2), {}, "noncontig-last"),
            Sample((_nc((4, 3, 5), dtype, device), 0), {}, "noncontig-first"),
            Sample((make((7,), dtype, device, low=-30, high=30), 0), {}, "wide-range"),
            Sample((make((), dtype, device), 0), {}, "0d"),
            Sample((make((0, 4), dtype, device), 1), {}, "empty")]


def _ref(log):
    def ref(x, dim, dtype=None):
        if x.ndim == 0:
            return np.zeros(()) if log else np.ones(())
        z = x - x.max(axis=dim, keepdims=True)
        ls = np.log(np.exp(z).sum(axis=dim, keepdims=True))
        return z - ls if log else np.exp(z - ls)
    return ref


def _bwd_samples(log):
    def samples(dtype, device):
        out = []
        for shape, dim, name in (((3, 5), 1, "lastdim"), ((2, 3, 4), 1, "middle"), ((4, 3), 0, "dim0"),
                                 ((), 0, "0d"), ((0, 3), 1, "empty")):
            x = make(shape, tt.float64)
            y = (tt.log_softmax if log else tt.softmax)(x, dim).to(dtype).to(device)
            out.append(Sample((make(shape, dtype, device), y, dim), {}, name))
        x = make((5, 4), tt.float64)
        y = (tt.log_softmax if log else tt.softmax)(x, 0).to(dtype).to(device)
        out.append(Sample((_nc((4, 5), dtype, device).t(), y, 0), {}, "noncontig-grad"))
        return out
    return samples


def _softmax_bwd_ref(g, y, dim):
    return y * (g - (g * y).sum(axis=dim, keepdims=True)) if y.ndim else y * (g - g * y)


def _log_softmax_bwd_ref(g, y, dim):
    return g - np.exp(y) * (g.sum(axis=dim, keepdims=True) if y.ndim else g)


OPS = [
    OpInfo("softmax", tt.softmax, _ref(False), _samples, covers=("softmax", "softmax_backward")),
    OpInfo("log_softmax", tt.log_softmax, _ref(True), _samples, covers=("log_softmax", "log_softmax_backward")),
    OpInfo("softmax_backward", softmax_backward, _softmax_bwd_ref, _bwd_samples(False), grad_args=(0, 1)),
    OpInfo("log_softmax_backward", log_softmax_backward, _log_softmax_bwd_ref, _bwd_samples(True), grad_args=(0, 1)),
]
