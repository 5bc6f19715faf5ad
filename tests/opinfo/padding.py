"""Op-table entries of the padding family: ``F.pad`` in every mode (forward vs a numpy float64
reference built on ``np.pad``; gradcheck and cuda-vs-cpu gradients exercise ``pad`` (constant
backward) and ``pad_backward``) and ``pad_backward`` called directly (forward vs a bincount
adjoint, and gradcheck of the backward op itself, i.e. double backward)."""
import numpy as np

import tritorch as tt
import tritorch.nn.functional as F
from tritorch._ops.padding import pad_backward
from .core import OpInfo, Sample, make, ALL, FLOATS

_NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _nc(shape, dtype, device):
    """A non-contiguous tensor of ``shape`` (the last two dims transposed)."""
    s = tuple(shape[:-2]) + (shape[-1], shape[-2])
    return make(s, dtype, device).transpose(-1, -2)


def _samples(dtype, device):
    s = [Sample((make((3, 4), dtype, device), (1, 2)), {}, "constant"),
         Sample((make((2, 3, 4), dtype, device), (1, -1, 2, 0)), {"value": 1.5}, "constant-value-negative"),
         Sample((make((2, 3, 4), dtype, device, noncontig=True), (-1, -1, 1, 1, 1, 0)), {}, "constant-3dims-noncontig"),
         Sample((make((2, 3), dtype, device), (-2, -1)), {}, "crop-to-empty"),
         Sample((make((2, 3), dtype, device), (4, -4)), {"value": 2}, "shift-out"),
         Sample((make((), dtype, device), ()), {}, "0d"),
         Sample((make((0, 3), dtype, device), (1, 1, 1, 0)), {"value": 2}, "empty"),
         Sample((make((2, 3, 4), dtype, device), (1, 2, -1, 2)), {"mode": "circular"}, "circular-2d-crop"),
         Sample((make((1, 2, 2, 3, 2), dtype, device), (1, 2, 0, 3, 2, 1)), {"mode": "circular"}, "circular-3d")]
    if dtype is not tt.bool:
        s += [Sample((make((2, 3, 5), dtype, device), (2, 1)), {"mode": "reflect"}, "reflect-1d"),
              Sample((_nc((1, 2, 4, 5), dtype, device), (1, 2, 3, -1)), {"mode": "reflect"}, "reflect-2d-noncontig"),
              Sample((make((2, 3, 3, 4), dtype, device), (1, 0, 2, 1, 1, 2)), {"mode": "reflect"}, "reflect-3d"),
              Sample((make((3, 4), dtype, device), (3, 2)), {"mode": "replicate"}, "replicate-1d"),
              Sample((make((1, 2, 3, 4, 3), dtype, device), (1, 0, 2, 1, -1, 2)), {"mode": "replicate"},
                     "replicate-3d"),
              Sample((make((0, 2, 3), dtype, device), (1, 1)), {"mode": "replicate"}, "replicate-empty-batch")]
    return s


def _pad_ref(x, pad, mode="constant", value=None):
    pairs = [(pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)]
    if not pairs:
        return x.copy()
    first = x.ndim - len(pairs)
    if mode == "circular":  # PyTorch crops negative pads before wrapping
        idx = [slice(None)] * x.ndim
        for j, (lo, hi) in enumerate(pairs):
            idx[first + j] = slice(max(-lo, 0), x.shape[first + j] - max(-hi, 0))
        x = x[tuple(idx)]
        pairs = [(max(lo, 0), max(hi, 0)) for lo, hi in pairs]
    widths = [(0, 0)] * first + [(max(lo, 0), max(hi, 0)) for lo, hi in pairs]
    kw = {"constant_values": 0 if value is None else value} if mode == "constant" else {}
    if x.size == 0 and mode != "constant":  # np.pad cannot reflect/wrap an empty (batch) array
        y = np.zeros(tuple(n + a + b for n, (a, b) in zip(x.shape, widths)), x.dtype)
    else:
        y = np.pad(x, widths, mode=_NP_MODE[mode], **kw)
    idx = [slice(None)] * x.ndim
    for j, (lo, hi) in enumerate(pairs):
        n = y.shape[first + j]
        idx[first + j] = slice(max(-lo, 0), max(n - max(-hi, 0), max(-lo, 0)))
    return y[tuple(idx)]


def _bwd_samples(dtype, device):
    out = []
    for shape, pads, mode, name in (((2, 5), ((2, 1),), "reflect", "reflect-1d"),
                                    ((1, 2, 4, 5), ((1, 3), (2, -1)), "reflect", "reflect-2d"),
                                    ((2, 3, 4), ((3, 2),), "replicate", "replicate-1d"),
                                    ((1, 1, 3, 2, 4), ((1, 0), (2, 1), (-1, 3)), "replicate", "replicate-3d"),
                                    ((2, 3, 4), ((3, 1), (0, 4)), "circular", "circular-2d")):
        k = len(pads)
        gshape = shape[:len(shape) - k] + tuple(n + lo + hi for n, (lo, hi) in zip(shape[len(shape) - k:], pads))
        out.append(Sample((make(gshape, dtype, device), pads, mode, shape), {}, name))
    g = _nc((2, 4, 7), dtype, device)  # non-contiguous grad
    out.append(Sample((g, ((1, 2),), "reflect", (2, 4, 4)), {}, "noncontig-grad"))
    return out


def _pad_bwd_ref(g, pads, mode, input_shape):
    n = int(np.prod(input_shape))
    flat = pads[::-1]
    index = _pad_ref(np.arange(n).reshape(input_shape), [p for pair in flat for p in pair], mode)
    return np.bincount(index.ravel(), g.ravel(), minlength=n).reshape(input_shape)


OPS = [
    OpInfo("pad", F.pad, _pad_ref, _samples, dtypes=ALL, covers=("pad", "pad_backward")),
    OpInfo("pad_backward", pad_backward, _pad_bwd_ref, _bwd_samples, dtypes=FLOATS, grad_args=(0,)),
]
