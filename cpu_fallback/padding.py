"""numpy impls of the padding family: ``pad`` (constant / reflect / replicate / circular) and the
gather-form backward ``pad_backward``.

``pads`` is ``((lo, hi), ...)`` for the last ``len(pads)`` dims in dim order.  Source index of
output position ``o`` along a padded dim of input size ``n``: ``i = o - lo``, then
reflect ``(n-1) - |n-1-|i||``, replicate ``clip(i, 0, n-1)``, circular ``i mod n`` (one wrap: the
meta limits pads to ``|pad| <= n``); constant mode writes ``value`` where ``i`` is out of range.
Forward: one slice copy of (the cropped) ``x`` into place, then the border slabs: the fill value,
or one ``np.take`` from the written part of ``out`` per border and dim (corners come right once
every dim is done).  Non-constant modes with a negative pad take one ``np.take`` per padded dim.

The backward folds one padded dim at a time (the mapping is separable): the identity part is a
slice copy, each border region maps injectively (reflect, circular: one fancy-indexed add) or
onto one edge element (replicate: one sum).  Half types accumulate in float32 and round once.
"""
import numpy as np

from .pointwise_unary import compute_dtype


def _src_index(mode, n, lo, length):
    i = np.arange(length) - lo
    if mode == "reflect":
        return (n - 1) - np.abs(n - 1 - np.abs(i))
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    return np.where(i < 0, i + n, np.where(i >= n, i - n, i))


def pad(out, x, pads, mode, value=0.0):
    if out.size == 0:
        return
    x = np.asarray(x)
    first = x.ndim - len(pads)
    if mode == "constant" or all(lo >= 0 and hi >= 0 for lo, hi in pads):
        # Copy x (cropped by negative pads) into its place, then fill the borders: constant mode
        # with the value, the others dim by dim from the already-written part of ``out`` (full
        # ranges along the other dims, so corners come right once every dim is done).
        dst, src = [slice(None)] * x.ndim, [slice(None)] * x.ndim
        empty = False
        for j, (lo, hi) in enumerate(pads):
            n = x.shape[first + j]
            a, b = max(-lo, 0), n - max(-hi, 0)
            empty = empty or b <= a
            src[first + j] = slice(a, max(a, b))
            dst[first + j] = slice(max(lo, 0), max(lo, 0) + max(b - a, 0))
        if mode == "constant":
            fill = np.asarray(value).astype(out.dtype)
            for j, (lo, hi) in enumerate(pads):
                idx = [slice(None)] * x.ndim
                d = first + j
                idx[d] = slice(0, dst[d].start)
                out[tuple(idx)] = fill
                idx[d] = slice(dst[d].stop, out.shape[d])
                out[tuple(idx)] = fill
            if empty:
                out[...] = fill
                return
        out[tuple(dst)] = x[tuple(src)]
        if mode != "constant":
            for j, (lo, hi) in enumerate(pads):
                d, n = first + j, x.shape[first + j]
                for o in (np.arange(lo), np.arange(lo + n, out.shape[d])):
                    if o.size:
                        idx = [slice(None)] * x.ndim
                        idx[d] = o
                        out[tuple(idx)] = np.take(out, _src_index(mode, n, lo, out.shape[d])[o] + lo, axis=d)
        return
    a = x
    for j, (lo, hi) in enumerate(pads):
        d = first + j
        a = np.take(a, _src_index(mode, x.shape[d], lo, out.shape[d]), axis=d)
    np.copyto(out, a, casting="unsafe")


def _fold(a, axis, n, lo, hi, mode):
    """The adjoint of padding one dim: ``a`` has the padded length along ``axis``; returns length
    ``n``.  The identity part is one slice copy; each border region maps injectively (reflect,
    circular: one fancy-indexed add) or onto one edge element (replicate: one sum)."""
    L = a.shape[axis]
    res = np.zeros(a.shape[:axis] + (n,) + a.shape[axis + 1:], a.dtype)
    if L == 0:
        return res
    idx_out, idx_res = [slice(None)] * a.ndim, [slice(None)] * a.ndim
    o0, o1 = max(lo, 0), min(L, n + lo)
    if o1 > o0:
        idx_out[axis], idx_res[axis] = slice(o0, o1), slice(o0 - lo, o1 - lo)
        res[tuple(idx_res)] = a[tuple(idx_out)]
    src = _src_index(mode, n, lo, L)
    for region in (np.arange(0, min(max(lo, 0), L)), np.arange(max(n + lo, 0), L)):
        if not region.size:
            continue
        idx_out[axis] = region
        part = a[tuple(idx_out)]
        if mode == "replicate":
            idx_res[axis] = int(src[region[0]])
            res[tuple(idx_res)] += part.sum(axis=axis)
        else:
            idx_res[axis] = src[region]
            res[tuple(idx_res)] += part
    return res


def pad_backward(out, grad, pads, mode, input_shape):
    if out.size == 0:
        return
    a = np.asarray(grad, dtype=compute_dtype(out.dtype))
    first = out.ndim - len(pads)
    for j in range(len(pads) - 1, -1, -1):
        lo, hi = pads[j]
        a = _fold(a, first + j, out.shape[first + j], lo, hi, mode)
    np.copyto(out, a, casting="unsafe")


IMPLS = {"pad": pad, "pad_backward": pad_backward}
