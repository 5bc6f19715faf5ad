"""Op-table entries of the upsampling family: ``F.interpolate`` (nearest, nearest-exact, linear,
bilinear, trilinear, bicubic, area; forward vs a float64 reference that builds each spatial dim's dense
interpolation matrix; gradcheck and cuda-vs-cpu gradients exercise ``upsample_backward``) and
``upsample_backward`` called directly (vs the transposed matrices; its gradcheck is double
backward)."""
import math

import numpy as np

import tritorch.nn.functional as F
from tritorch._ops.upsampling import upsample_backward
from .core import OpInfo, Sample, make


def _nc(shape, dtype, device):
    s = tuple(shape[:-2]) + (shape[-1], shape[-2])
    return make(s, dtype, device).transpose(-1, -2)


def _samples(dtype, device):
    return [Sample((make((2, 3, 5), dtype, device),), {"scale_factor": 2}, "nearest-1d-x2"),
            Sample((make((1, 2, 7), dtype, device),), {"size": 3, "mode": "nearest-exact"}, "nearest-exact-down"),
            Sample((_nc((1, 2, 4, 5), dtype, device),), {"scale_factor": (1.5, 0.5)}, "nearest-2d-noncontig"),
            Sample((make((1, 1, 2, 3, 3), dtype, device),), {"size": (3, 5, 2), "mode": "nearest"}, "nearest-3d"),
            Sample((make((2, 2, 5), dtype, device),), {"size": 8, "mode": "linear"}, "linear-up"),
            Sample((make((1, 2, 6), dtype, device),), {"scale_factor": 0.5, "mode": "linear", "align_corners": True},
                   "linear-down-align"),
            Sample((_nc((1, 2, 3, 4), dtype, device),), {"scale_factor": 1.5, "mode": "bilinear"}, "bilinear-1.5"),
            Sample((make((1, 2, 4, 3), dtype, device),), {"size": (7, 2), "mode": "bilinear", "align_corners": True},
                   "bilinear-align"),
            Sample((make((1, 1, 3, 2, 4), dtype, device),), {"scale_factor": (2, 1.5, 0.5), "mode": "trilinear"},
                   "trilinear"),
            Sample((make((0, 2, 3), dtype, device),), {"size": 5, "mode": "linear"}, "empty-batch"),
            Sample((_nc((1, 2, 4, 5), dtype, device),), {"scale_factor": (1.5, 0.7), "mode": "bicubic"}, "bicubic"),
            Sample((make((1, 2, 5, 3), dtype, device),), {"size": (3, 7), "mode": "bicubic", "align_corners": True},
                   "bicubic-align"),
            Sample((make((1, 2, 7, 5), dtype, device),), {"size": (3, 4), "mode": "area"}, "area-2d"),
            Sample((make((1, 2, 6), dtype, device),), {"scale_factor": 0.5, "mode": "area"}, "area-1d")]


def _matrix(mode, n_in, n_out, align, scale):
    """Dense (n_out, n_in) interpolation matrix of one spatial dim (PyTorch's rules, float64)."""
    A = np.zeros((n_out, n_in))
    o = np.arange(n_out)
    if mode == "area":
        for i in o:
            lo, hi = (i * n_in) // n_out, -(-((i + 1) * n_in) // n_out)
            A[i, lo:hi] = 1 / (hi - lo)
        return A
    if mode == "cubic":
        if align:
            src = o * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        else:
            src = ((1.0 / scale) if scale else n_in / n_out) * (o + 0.5) - 0.5
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        t = np.clip(src - i0, 0, 1)
        a = -0.75
        near = [((a + 2) * d - (a + 3)) * d * d + 1 for d in (t, 1 - t)]
        far = [((a * d - 5 * a) * d + 8 * a) * d - 4 * a for d in (t + 1, 2 - t)]
        for k, w in zip(range(-1, 3), (far[0], near[0], near[1], far[1])):
            np.add.at(A, (o, np.clip(i0 + k, 0, n_in - 1)), w)
        return A
    if mode in ("nearest", "nearest-exact"):
        s = np.float32(1.0 / scale) if scale else np.float32(n_in) / np.float32(n_out)
        if mode == "nearest":
            src = o if n_out == n_in else (o // 2 if n_out == 2 * n_in else np.floor(o.astype(np.float32) * s))
        else:
            src = np.floor((o + 0.5) * np.float64(s))
        A[o, np.minimum(np.asarray(src, np.int64), n_in - 1)] = 1
        return A
    if n_out == n_in:
        return np.eye(n_in)
    if align:
        src = o * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        src = np.maximum(((1.0 / scale) if scale else n_in / n_out) * (o + 0.5) - 0.5, 0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    l1 = np.clip(src - i0, 0, 1)
    np.add.at(A, (o, i0), 1 - l1)
    np.add.at(A, (o, np.minimum(i0 + 1, n_in - 1)), l1)
    return A


def _apply(x, mats, transpose=False):
    for j, A in enumerate(mats):
        x = np.moveaxis(np.tensordot(x, A if transpose else A.T, axes=([2 + j], [0])), -1, 2 + j)
    return x


def _resolve(shape, size, scale_factor, recompute):
    k = len(shape) - 2
    if size is not None:
        size = [size] * k if isinstance(size, int) else list(size)
        return size, [None] * k
    sf = [scale_factor] * k if not isinstance(scale_factor, (tuple, list)) else list(scale_factor)
    size = [int(math.floor(n * s)) for n, s in zip(shape[2:], sf)]
    return size, ([None] * k if recompute else sf)


def _mode(mode):
    return "linear" if mode in ("linear", "bilinear", "trilinear") else "cubic" if mode == "bicubic" else mode


def _ref(x, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
    out, scales = _resolve(x.shape, size, scale_factor, recompute_scale_factor)
    mats = [_matrix(_mode(mode), n, m, align_corners, s) for n, m, s in zip(x.shape[2:], out, scales)]
    return _apply(x, mats)


def _bwd_samples(dtype, device):
    out = []
    for in_size, g_sp, mode, align, scales, name in (
            ((2, 1, 5), (10,), "nearest", False, (2.0,), "nearest-1d"),
            ((1, 2, 3, 4), (5, 3), "nearest-exact", False, (None, None), "nearest-exact-2d"),
            ((1, 2, 4, 3), (7, 5), "linear", False, (None, 1.7), "bilinear"),
            ((1, 1, 2, 3, 4), (3, 5, 2), "linear", True, (None, None, None), "trilinear-align"),
            ((1, 2, 4, 3), (6, 5), "cubic", False, (1.5, None), "bicubic"),
            ((1, 1, 3, 4), (5, 2), "cubic", True, (None, None), "bicubic-align")):
        out.append(Sample((make(in_size[:2] + g_sp, dtype, device), in_size, mode, align, scales), {}, name))
    g = _nc((1, 2, 6, 5), dtype, device)
    out.append(Sample((g, (1, 2, 3, 4), "linear", False, (2.0, None)), {}, "noncontig-grad"))
    return out


def _bwd_ref(g, input_size, mode, align_corners, scales):
    mats = [_matrix(mode, n, m, align_corners, s) for n, m, s in zip(input_size[2:], g.shape[2:], scales)]
    return _apply(g, mats, transpose=True)


OPS = [
    OpInfo("interpolate", F.interpolate, _ref, _samples, covers=("upsample", "upsample_backward")),
    OpInfo("upsample_backward", upsample_backward, _bwd_ref, _bwd_samples, grad_args=(0,)),
]
