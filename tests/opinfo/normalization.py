"""Op-table entries of the normalization family: layer_norm and rms_norm (forward vs a float64
numpy reference; gradcheck and cuda-vs-cpu gradients exercise the fused backward ops)."""
import numpy as np

import tritorch.nn.functional as F
from .core import OpInfo, Sample, make


def _samples(rms):
    def samples(dtype, device):
        w = lambda s: make(s, dtype, device)  # noqa: E731
        s = [Sample((make((3, 5), dtype, device), (5,)), {}, "plain"),
             Sample((make((2, 3, 4), dtype, device), (3, 4), w((3, 4))), {}, "2d-weight"),
             Sample((make((4, 7), dtype, device, noncontig=True), [7], w((7,))), {}, "noncontig"),
             Sample((make((3, 4, 2), dtype, device).transpose(0, 2), (3,), w((3,))), {"eps": 1e-3}, "transposed"),
             Sample((make((6,), dtype, device), 6, w((6,))), {}, "1d-input"),
             Sample((make((0, 4), dtype, device), (4,), w((4,))), {}, "empty")]
        if not rms:
            s += [Sample((make((2, 9), dtype, device), (9,), w((9,)), w((9,))), {}, "weight-bias"),
                  Sample((make((2, 3, 5), dtype, device), (5,), None, w((5,))), {"eps": 0.1}, "bias-only")]
        return s
    return samples


def _ln_ref(x, ns, weight=None, bias=None, eps=1e-5):
    ns = (ns,) if isinstance(ns, int) else tuple(ns)
    ax = tuple(range(x.ndim - len(ns), x.ndim))
    mu = x.mean(axis=ax, keepdims=True) if x.size else x
    y = (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=ax, keepdims=True) + eps) if x.size else x
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def _rms_ref(x, ns, weight=None, eps=None):
    """eps=None (the compute type's finfo eps) is negligible next to mean(x^2) of these samples;
    tests/test_normalization.py::test_default_eps_matches_torch checks that default against torch."""
    ns = (ns,) if isinstance(ns, int) else tuple(ns)
    ax = tuple(range(x.ndim - len(ns), x.ndim))
    if not x.size:
        return x
    y = x / np.sqrt((x * x).mean(axis=ax, keepdims=True) + (eps if eps is not None else 0.0))
    return y * weight if weight is not None else y




OPS = [
    OpInfo("layer_norm", F.layer_norm, _ln_ref, _samples(False), covers=("layer_norm", "layer_norm_backward")),
    OpInfo("rms_norm", F.rms_norm, _rms_ref, _samples(True), covers=("rms_norm", "rms_norm_backward")),
]
