"""Op-table entries of the linear family: the fused matmul (every activation, bias along either
dim, residual, batch broadcasting, transposed operands; through its gradients also
``fused_matmul_z`` and ``fused_matmul_dz``), ``fused_matmul_dz`` called directly (forward vs
numpy; its gradcheck is the double backward of the fused matmul) and ``F.linear``."""
import math

import numpy as np

import tritorch.nn.functional as F
from tritorch._ops.linear import fused_matmul, fused_matmul_dz
from .core import OpInfo, Sample, make

_SQRT1_2 = 0.7071067811865476


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


_ACT = {
    None: lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x * _SQRT1_2)),
    "gelu_tanh": lambda x: 0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3))),
    "silu": lambda x: x * _sig(x),
    "tanh": np.tanh,
    "sigmoid": _sig,
}


def _t(shape, dtype, device):
    """A transposed (non-contiguous) view with ``shape``."""
    return make(shape[:-2] + (shape[-1], shape[-2]), dtype, device).transpose(-1, -2)


def _fm(a, b, bias=None, residual=None, activation=None, bias_dim=-1):
    return fused_matmul(a, b, bias, activation, residual, bias_dim)


def _fm_ref(a, b, bias=None, residual=None, activation=None, bias_dim=-1):
    z = a @ b
    if bias is not None:
        z = z + (bias[:, None] if bias_dim == -2 else bias)
    y = _ACT[activation](z)
    return y if residual is None else y + residual


def _fm_samples(dtype, device):
    m = lambda *s, **kw: make(s, dtype, device, low=-1.5, high=1.5, **kw)  # noqa: E731
    return [
        Sample((m(3, 4), m(4, 5)), {}, "plain"),
        Sample((m(3, 4), m(4, 5), m(5)), {"activation": "relu"}, "bias-relu"),
        Sample((m(2, 3, 4), m(4, 5), m(5), m(3, 5)), {"activation": "gelu"}, "batch-bcast-b-res"),
        Sample((m(2, 3, 4), m(2, 4, 5), m(3)), {"activation": "gelu_tanh", "bias_dim": -2}, "bias-rows"),
        Sample((_t((3, 6), dtype, device), m(6, 5), None, m(3, 5)), {"activation": "silu"}, "a-transposed"),
        Sample((m(2, 1, 3, 4), m(1, 2, 4, 5), m(5)), {"activation": "tanh"}, "4d-bcast"),
        Sample((m(3, 4), _t((4, 5), dtype, device), m(5), m(5, noncontig=True)), {"activation": "sigmoid"},
               "b-transposed-res-strided"),
        Sample((m(0, 3), m(3, 4), m(4)), {}, "empty"),
        Sample((m(3, 0), m(0, 4), m(4)), {"activation": "gelu"}, "k0"),
    ]


def _dz_grad_ref(g, z, activation):
    # Analytic derivatives (the numeric one above is only accurate to ~1e-9).
    s = _sig(z)
    t = np.tanh(z)
    u = np.tanh(0.7978845608028654 * (z + 0.044715 * z ** 3))
    d = {
        None: np.ones_like(z),
        "relu": (z > 0).astype(np.float64),
        "gelu": 0.5 * (1 + _erf(z * _SQRT1_2)) + z * np.exp(-0.5 * z * z) * 0.3989422804014327,
        "gelu_tanh": 0.5 * (1 + u) + 0.5 * z * (1 - u * u) * 0.7978845608028654 * (1 + 3 * 0.044715 * z * z),
        "silu": s * (1 + z * (1 - s)),
        "tanh": 1 - t * t,
        "sigmoid": s * (1 - s),
    }[activation]
    return g * d


def _dz_samples(dtype, device):
    out = []
    for act in ("relu", "gelu", "gelu_tanh", "silu", "tanh", "sigmoid"):
        out.append(Sample((make((3, 4), dtype, device), make((3, 4), dtype, device)), {"activation": act}, act))
    out.append(Sample((make((4, 3), dtype, device, noncontig=True), make((3, 4), dtype, device).t()),
                      {"activation": "gelu"}, "noncontig"))
    out.append(Sample((make((0, 3), dtype, device), make((0, 3), dtype, device)), {"activation": "silu"}, "empty"))
    return out


def _dz(g, z, activation=None):
    return fused_matmul_dz(g, z, activation)


def _linear_ref(x, w, b=None):
    y = x @ w.T if w.ndim == 2 else x @ w
    return y if b is None else y + b


def _linear_samples(dtype, device):
    m = lambda *s, **kw: make(s, dtype, device, low=-1.5, high=1.5, **kw)  # noqa: E731
    return [Sample((m(3, 4), m(5, 4), m(5)), {}, "2d"),
            Sample((m(2, 3, 4), m(5, 4)), {}, "3d-nobias"),
            Sample((m(4), m(5, 4), m(5)), {}, "1d-input"),
            Sample((m(3, 4, noncontig=True), m(5, 4, noncontig=True), m(5)), {}, "noncontig"),
            Sample((m(3, 4), m(5, 4), m(1)), {}, "bias-bcast")]


OPS = [
    OpInfo("fused_matmul", _fm, _fm_ref, _fm_samples, covers=("fused_matmul", "fused_matmul_z", "fused_matmul_dz")),
    OpInfo("fused_matmul_dz", _dz, _dz_grad_ref, _dz_samples, grad_args=(0, 1)),
    OpInfo("linear", F.linear, _linear_ref, _linear_samples, covers=("fused_matmul",)),
]
