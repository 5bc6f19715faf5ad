"""Op-table entries of the activation family: every functional through the ``activation`` op
(forward vs numpy float64, and through the gradient checks the fused ``activation_backward``), and
``activation_backward`` called directly per kind (forward vs f'(x) in numpy, and gradcheck of the
backward op itself, i.e. double backward).  glu composes registry ops (``__composite__``)."""
import math

import numpy as np

import tritorch as tt
import tritorch.nn.functional as F
from tritorch._ops.activation import activation_backward
from .core import OpInfo, Sample, make, FLOATS

_ERF = np.vectorize(math.erf, otypes=[np.float64])
_COVERS = ("activation", "activation_backward")


def _samples(low=-3.0, high=3.0, **kw):
    def samples(dtype, device):
        return [Sample((make((3, 5), dtype, device, low=low, high=high),), dict(kw), "2d"),
                Sample((make((4, 3), dtype, device, low=low, high=high, noncontig=True),), dict(kw), "noncontig"),
                Sample((make((), dtype, device, low=low, high=high),), dict(kw), "0d"),
                Sample((make((0, 3), dtype, device),), dict(kw), "empty")]
    return samples


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def _softplus(x, beta=1.0, threshold=20.0):
    z = x * beta
    return np.where(z > threshold, x, np.logaddexp(0, z) / beta)


_K, _C = math.sqrt(2 / math.pi), 0.044715
_ALPHA, _SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

# name: (kwargs, forward reference, derivative reference, backward kind, p0, p1, sample range)
_ACTS = {
    "relu": ({}, lambda x: np.where(x <= 0, 0, x), lambda x: (x > 0) * 1.0, "relu", 0.0, 0.0),
    "relu6": ({}, lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)) * 1.0, "hardtanh", 0.0, 6.0),
    "hardtanh": ({"min_val": -0.5, "max_val": 2.0}, lambda x, min_val, max_val: np.clip(x, min_val, max_val),
                 lambda x: ((x > -0.5) & (x < 2.0)) * 1.0, "hardtanh", -0.5, 2.0),
    "leaky_relu": ({"negative_slope": 0.2}, lambda x, negative_slope: np.where(x > 0, x, x * negative_slope),
                   lambda x: np.where(x > 0, 1.0, 0.2), "leaky_relu", 0.2, 0.0),
    "elu": ({"alpha": 1.5}, lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(x)),
            lambda x: np.where(x > 0, 1.0, 1.5 * np.exp(x)), "elu", 1.5, 0.0),
    "gelu": ({}, lambda x: 0.5 * x * (1 + _ERF(x / math.sqrt(2))),
             lambda x: 0.5 * (1 + _ERF(x / math.sqrt(2))) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi),
             "gelu", 0.0, 0.0),
    "gelu_tanh": ({"approximate": "tanh"}, lambda x, approximate: 0.5 * x * (1 + np.tanh(_K * (x + _C * x ** 3))),
                  lambda x: (0.5 * (1 + np.tanh(_K * (x + _C * x ** 3)))
                             + 0.5 * x * (1 - np.tanh(_K * (x + _C * x ** 3)) ** 2) * _K * (1 + 3 * _C * x * x)),
                  "gelu_tanh", 0.0, 0.0),
    "silu": ({}, lambda x: x * _sigmoid(x), lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x))), "silu", 0.0, 0.0),
    "mish": ({}, lambda x: x * np.tanh(np.logaddexp(0, x)),
             lambda x: np.tanh(np.logaddexp(0, x)) + x * _sigmoid(x) * (1 - np.tanh(np.logaddexp(0, x)) ** 2),
             "mish", 0.0, 0.0),
    "softplus": ({"beta": 2.0, "threshold": 3.0}, _softplus,
                 lambda x: np.where(2 * x > 3, 1.0, _sigmoid(2 * x)), "softplus", 2.0, 3.0),
    "softsign": ({}, lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2, "softsign", 0.0, 0.0),
    "selu": ({}, lambda x: _SCALE * np.where(x > 0, x, _ALPHA * np.expm1(x)),
             lambda x: _SCALE * np.where(x > 0, 1.0, _ALPHA * np.exp(x)), "selu", 0.0, 0.0),
    "celu": ({"alpha": 0.8}, lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(x / alpha)),
             lambda x: np.where(x > 0, 1.0, np.exp(x / 0.8)), "celu", 0.8, 1 / 0.8),
    "hardsigmoid": ({}, lambda x: np.clip(x + 3, 0, 6) / 6, lambda x: ((x > -3) & (x < 3)) / 6.0,
                    "hardsigmoid", 0.0, 0.0),
    "hardswish": ({}, lambda x: x * np.clip(x + 3, 0, 6) / 6,
                  lambda x: np.where(x <= -3, 0.0, np.where(x < 3, x / 3 + 0.5, 1.0)), "hardswish", 0.0, 0.0),
    "logsigmoid": ({}, lambda x: -np.logaddexp(0, -x), lambda x: _sigmoid(-x), "logsigmoid", 0.0, 0.0),
    "tanhshrink": ({}, lambda x: x - np.tanh(x), lambda x: np.tanh(x) ** 2, "tanhshrink", 0.0, 0.0),
    "softshrink": ({"lambd": 0.7}, lambda x, lambd: np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0)),
                   lambda x: (np.abs(x) > 0.7) * 1.0, "softshrink", 0.7, 0.0),
    "hardshrink": ({"lambd": 0.7}, lambda x, lambd: np.where(np.abs(x) > lambd, x, 0),
                   lambda x: (np.abs(x) > 0.7) * 1.0, "hardshrink", 0.7, 0.0),
    "threshold": ({"threshold": 0.4, "value": -1.5}, lambda x, threshold, value: np.where(x <= threshold, value, x),
                  lambda x: (x > 0.4) * 1.0, "threshold", 0.4, -1.5),
}


def _fn(name):
    f = getattr(F, "gelu" if name == "gelu_tanh" else name)
    return f


def _prelu_samples(dtype, device):
    return [Sample((make((2, 3, 4), dtype, device), make((3,), dtype, device, low=-0.5, high=0.5)), {}, "channel"),
            Sample((make((4, 3), dtype, device, noncontig=True), make((1,), dtype, device)), {}, "shared-noncontig"),
            Sample((make((5,), dtype, device), make((1,), dtype, device)), {}, "1d"),
            Sample((make((0, 3), dtype, device), make((3,), dtype, device)), {}, "empty")]


def _prelu_ref(x, w):
    wb = w.reshape([1, -1] + [1] * (x.ndim - 2)) if w.size > 1 else w.reshape(())
    return np.where(x > 0, x, wb * x)


def _bwd_samples(dtype, device):
    return [Sample((make((3, 4), dtype, device), make((3, 4), dtype, device)), {}, "2d"),
            Sample((make((4, 3), dtype, device, noncontig=True), make((3, 4), dtype, device).t()), {},
                   "noncontig-grad"),
            Sample((make((0, 2), dtype, device), make((0, 2), dtype, device)), {}, "empty")]


def _bwd_entry(name, deriv, kind, p0, p1):
    return OpInfo(f"activation_backward_{name}", lambda g, x: activation_backward(g, x, kind, p0, p1),
                  lambda g, x: g * deriv(x), _bwd_samples, dtypes=(tt.bfloat16, tt.float32, tt.float64),
                  covers=_COVERS, grad_args=(0, 1))


OPS = []
for _name, (_kw, _ref, _deriv, _kind, _p0, _p1) in _ACTS.items():
    OPS.append(OpInfo(_name, _fn(_name), _ref, _samples(**_kw), covers=_COVERS))
    if _name != "relu6":
        OPS.append(_bwd_entry(_name, _deriv, _kind, _p0, _p1))

OPS += [
    OpInfo("relu_int", F.relu, lambda x: np.maximum(x, 0), _samples(), dtypes=(tt.uint8, tt.int64), covers=_COVERS),
    OpInfo("hardtanh_int", F.hardtanh, lambda x, min_val, max_val: np.clip(x, int(min_val), int(max_val)),
           _samples(min_val=-1.5, max_val=2.0), dtypes=(tt.int32,), covers=_COVERS),
    OpInfo("softsign_int", F.softsign, lambda x: x / (1.0 + np.abs(x)), _samples(), dtypes=(tt.int64,),
           covers=_COVERS),
    OpInfo("glu", F.glu, lambda x, dim=-1: np.split(x, 2, axis=dim)[0] * _sigmoid(np.split(x, 2, axis=dim)[1]),
           lambda dtype, device: [Sample((make((3, 4), dtype, device),), {}, "lastdim"),
                                  Sample((make((2, 6, 3), dtype, device, noncontig=True),), {"dim": 1}, "middle")],
           dtypes=FLOATS, covers=("__composite__",)),
    OpInfo("threshold_int", lambda x: F.threshold(x, 1.5, 7.0), lambda x: np.where(x <= 1, 7, x), _samples(),
           dtypes=(tt.int64, tt.uint8), covers=_COVERS),
    OpInfo("prelu", F.prelu, _prelu_ref, _prelu_samples, covers=("prelu", "prelu_backward")),
]
