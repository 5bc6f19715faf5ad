"""numpy impls of the upsampling family: ``upsample`` (nearest / nearest-exact / linear over 1-3
spatial dims, cubic over 2) and its gather-form adjoint ``upsample_backward``.

Per spatial dim, `tables` gives for every output position the two source taps ``i0``, ``i1`` and
weights ``l0``, ``l1`` exactly as PyTorch's CPU kernels compute them (nearest: float32
``floor(dst * scale)``, nearest-exact: ``floor((dst + 0.5) * scale)`` with a float32 scale, both
clamped to ``in - 1``; linear: ``area_pixel_compute_source_index`` in the op-math type, clamped at 0
for ``align_corners=False``; a dim that keeps its size is copied).  `cubic_tables` gives cubic's
four taps and weights per output (PyTorch's ``guard_index_and_lambda`` and A = -0.75 coefficients).
Interpolation is separable: one ``take`` (nearest), two (linear) or four (cubic) ``take``s and a
weighted sum per spatial dim.

The backward folds one dim at a time, as a gather: input index ``i`` sums the window of outputs
whose taps reach it (`windows`: a start per ``i`` and the widest window ``W``; ``i0``/``i1`` are
non-decreasing, so the window is contiguous), each weighted by ``l0 * (i0 == i) + l1 * (i1 == i)``
-- one ``take`` per window offset.  A short last dim (<= `_DENSE_MAX` outputs) instead multiplies
by its small dense (out x in) interpolation matrix, which BLAS does faster than strided gathers;
cubic always folds through its dense matrix (four taps per output make the gather windows wide).
Deterministic, no scatter.  Half types compute in float32 and round once.
"""
import numpy as np

from .grid_sample import cubic_weights
from .pointwise_unary import compute_dtype


def tables(mode, n_in, n_out, align_corners, scale, ct):
    """(i0, i1, l0, l1) for one spatial dim: int64 source taps and ``ct`` weights per output."""
    o = np.arange(n_out)
    one, zero = np.ones(n_out, ct), np.zeros(n_out, ct)
    if mode != "linear":
        if mode == "nearest" and n_out == n_in:
            idx = o
        elif mode == "nearest" and n_out == 2 * n_in:
            idx = o >> 1
        else:
            s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(n_in) / np.float32(n_out)
            if mode == "nearest":
                src = np.floor(o.astype(np.float32) * s)
            else:
                src = np.floor((o + 0.5) * np.float64(s))
            idx = np.minimum(src.astype(np.int64), n_in - 1)
        return idx, idx, one, zero
    if n_out == n_in:
        return o, o, one, zero
    op = np.float64 if ct == np.float64 else np.float32
    if align_corners:
        s = op(n_in - 1) / op(n_out - 1) if n_out > 1 else op(0)
        src = s * o.astype(op)
    else:
        s = op(1.0 / scale) if scale is not None and scale > 0 else op(n_in) / op(n_out)
        src = s * (o.astype(op) + op(0.5)) - op(0.5)
        src = np.where(src < 0, op(0), src)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    l1 = np.clip(src - i0.astype(op), 0, 1).astype(ct)
    i1 = i0 + (i0 < n_in - 1)
    return i0, i1, (1 - l1).astype(ct), l1


def cubic_tables(n_in, n_out, align_corners, scale, ct):
    """(idx, w): int64 (4, n_out) source taps, clamped to [0, n_in), and their (4, n_out) weights."""
    op = np.float64 if ct == np.float64 else np.float32
    o = np.arange(n_out).astype(op)
    if align_corners:
        src = (op(n_in - 1) / op(n_out - 1) if n_out > 1 else op(0)) * o
    else:
        s = op(1.0 / scale) if scale is not None and scale > 0 else op(n_in) / op(n_out)
        src = s * (o + op(0.5)) - op(0.5)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - i0.astype(op), 0, 1).astype(op)
    idx = np.clip(i0[None, :] + np.arange(-1, 3)[:, None], 0, n_in - 1)
    return idx, cubic_weights(t)[0].astype(ct)


def _bshape(nd, axis, n):
    s = [1] * nd
    s[axis] = n
    return s


def upsample(out, x, size, mode, align_corners, scales):
    if out.size == 0:
        return
    a = np.asarray(x)
    ct = compute_dtype(out.dtype) if out.dtype.kind == "f" else np.dtype(np.float32)
    if mode in ("linear", "cubic"):
        a = a.astype(ct, copy=False)
    for j, n_out in enumerate(size):
        ax = 2 + j
        if mode == "cubic":
            idx, w = cubic_tables(a.shape[ax], n_out, align_corners, scales[j], ct)
            bs = _bshape(a.ndim, ax, n_out)
            a = sum(np.take(a, idx[k], axis=ax) * w[k].reshape(bs) for k in range(4))
            continue
        i0, i1, l0, l1 = tables(mode, a.shape[ax], n_out, align_corners, scales[j], ct)
        if mode == "linear":
            bs = _bshape(a.ndim, ax, n_out)
            t = np.take(a, i1, axis=ax)
            a = np.take(a, i0, axis=ax)
            a *= l0.reshape(bs)
            t *= l1.reshape(bs)
            a += t
        else:
            a = np.take(a, i0, axis=ax)
    np.copyto(out, a, casting="unsafe")


def windows(taps, n_in):
    """Per input index the first output whose taps reach it, and the widest such window.  ``taps``:
    the per-output source index rows of one dim (``(i0, i1)``, or cubic's four), each non-decreasing."""
    i = np.arange(n_in)
    start = np.min([np.searchsorted(t, i, "left") for t in taps], axis=0)
    end = np.max([np.searchsorted(t, i, "right") for t in taps], axis=0)
    return start, int(max((end - start).max(initial=0), 0))


# Below this many outputs along the last dim, its adjoint is one small dense GEMM (BLAS beats
# strided gathers there); longer dims gather their window.
_DENSE_MAX = 256


def _fold(a, ax, n_in, mode, align_corners, scale, ct):
    """The adjoint of interpolating one dim: ``a`` has the output length along ``ax``."""
    n_out = a.shape[ax]
    if mode == "cubic":
        idx, w = cubic_tables(n_in, n_out, align_corners, scale, ct)
        m = np.zeros((n_out, n_in), ct)
        np.add.at(m, (np.broadcast_to(np.arange(n_out), idx.shape), idx), w)
        return np.moveaxis(np.tensordot(a, m, axes=([ax], [0])), -1, ax)
    i0, i1, l0, l1 = tables(mode, n_in, n_out, align_corners, scale, ct)
    if ax == a.ndim - 1 and n_out <= _DENSE_MAX:
        m = np.zeros((n_out, n_in), ct)
        o = np.arange(n_out)
        np.add.at(m, (o, i0), l0)
        np.add.at(m, (o, i1), l1)
        return a @ m
    res = np.zeros(a.shape[:ax] + (n_in,) + a.shape[ax + 1:], ct)
    start, width = windows((i0, i1), n_in)
    i = np.arange(n_in)
    bs = _bshape(a.ndim, ax, n_in)
    for w in range(width):
        o = start + w
        oc = np.minimum(o, n_out - 1)
        wt = np.where(o < n_out, l0[oc] * (i0[oc] == i) + l1[oc] * (i1[oc] == i), 0).astype(ct)
        res += np.take(a, oc, axis=ax) * wt.reshape(bs)
    return res


def upsample_backward(out, grad, input_size, mode, align_corners, scales):
    if out.size == 0:
        return
    ct = compute_dtype(out.dtype)
    a = np.asarray(grad, dtype=ct)
    for j in range(len(input_size) - 3, -1, -1):
        a = _fold(a, 2 + j, input_size[2 + j], mode, align_corners, scales[j], ct)
    np.copyto(out, a, casting="unsafe")


IMPLS = {"upsample": upsample, "upsample_backward": upsample_backward}
