"""numpy impls of im2col (``F.unfold``, N-d) and its adjoint col2im (``F.fold``).

im2col: zero-pad (or crop, for a negative high pad) the spatial dims, take a
``sliding_window_view`` of the dilated window with the positions subsampled by the stride, and
copy one (N, C, *blocks) slab per kernel tap straight into the output (F.unfold's (N, C * K, L),
or the (C * K, N, L) GEMM layout): K strided copies, not one copy of a 2d-dimensional view.
col2im: one strided ``+=`` of each kernel tap's (N, C, *blocks) slab into a padded buffer (a loop
over the K taps, not over elements), then the padding is cut off.  Half types accumulate in
float32 and round once.
"""
import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .pointwise_unary import compute_dtype


def _blocks(size, k, d, p, s):
    return (size + p[0] + p[1] - d * (k - 1) - 1) // s + 1


def _view(out, shape):
    """``out`` reshaped without a copy, or None when its strides do not allow it."""
    try:
        return np.reshape(out, shape, copy=False)
    except ValueError:
        return None


def im2col(out, x, kernel_size, dilation, padding, stride, transposed=False):
    if out.size == 0:
        return
    if transposed:
        out = out.transpose(1, 0, 2)
    a = np.asarray(x)
    n, c = a.shape[:2]
    d = len(kernel_size)
    blocks = tuple(_blocks(m, k, dl, p, s) for m, k, dl, p, s in
                   zip(a.shape[2:], kernel_size, dilation, padding, stride))
    # A negative high pad crops the input; the rest is zero padding.
    a = a[(slice(None), slice(None)) + tuple(slice(None, m + hi if hi < 0 else None)
                                             for m, (_, hi) in zip(a.shape[2:], padding))]
    if any(lo or hi > 0 for lo, hi in padding):
        p = np.zeros((n, c) + tuple(lo + m + max(hi, 0) for m, (lo, hi) in zip(a.shape[2:], padding)), a.dtype)
        p[(slice(None), slice(None)) + tuple(slice(lo, lo + m) for m, (lo, _) in zip(a.shape[2:], padding))] = a
        a = p
    win = tuple(dl * (k - 1) + 1 for k, dl in zip(kernel_size, dilation))
    v = sliding_window_view(a, win, axis=tuple(range(2, 2 + d)))   # (N, C, *positions, *window)
    v = v[(slice(None), slice(None)) + tuple(slice(None, (b - 1) * s + 1, s) for b, s in zip(blocks, stride))]
    # One strided slab copy per kernel tap into F.unfold's (N, C, *kernel, *blocks) order.
    shape = (n, c) + tuple(kernel_size) + blocks
    o = _view(out, shape)
    dst = np.empty(shape, out.dtype) if o is None else o
    for tap in itertools.product(*(range(k) for k in kernel_size)):
        dst[(slice(None), slice(None)) + tap] = v[(Ellipsis,) + tuple(t * dl for t, dl in zip(tap, dilation))]
    if o is None:
        np.copyto(out, dst.reshape(out.shape))


def col2im(out, cols, output_size, kernel_size, dilation, padding, stride):
    if out.size == 0:
        return
    c = np.asarray(cols)
    n, ch = out.shape[:2]
    ct = compute_dtype(out.dtype)
    blocks = tuple(_blocks(o, k, dl, p, s) for o, k, dl, p, s in
                   zip(output_size, kernel_size, dilation, padding, stride))
    c = c.astype(ct, copy=False).reshape((n, ch) + tuple(kernel_size) + blocks)
    buf = np.zeros((n, ch) + tuple(lo + o + max(hi, 0) for o, (lo, hi) in zip(output_size, padding)), ct)
    for tap in itertools.product(*(range(k) for k in kernel_size)):
        sl = tuple(slice(t * dl, t * dl + (b - 1) * s + 1, s) for t, dl, b, s in zip(tap, dilation, blocks, stride))
        buf[(slice(None), slice(None)) + sl] += c[(slice(None), slice(None)) + tap]
    res = buf[(slice(None), slice(None)) + tuple(slice(lo, lo + o) for o, (lo, _) in zip(output_size, padding))]
    np.copyto(out, res, casting="unsafe")


IMPLS = {"im2col": im2col, "col2im": col2im}
