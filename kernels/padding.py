"""Triton impls of the padding family: ``pad`` (constant / reflect / replicate / circular) and
its gather-form backward ``pad_backward``.

Forward (`_pad_kernel`): one program per ``BLOCK`` output elements; each unravels its flat
index over the (collapsed) output dims, maps every coordinate to its source (``i = o - lo``, then
reflect ``(n-1) - |n-1-|i||``, replicate ``clamp(i, 0, n-1)``, circular one wrap by ``n``) and
gathers ``x`` through its strides; constant mode writes ``value`` where any coordinate is out of
range (so negative pads crop).  The gather moves raw bits: every dtype is viewed as a signed
integer of its width, and the fill value arrives as the bit pattern of ``value`` cast to the
dtype on the host.  Bytes per output element: one read (none for fill) + one write; no FLOPs
beyond ~8 integer ops per dim.  Unpadded dims whose strides merge are collapsed on the host (at
most `_MAX_DIMS` remain; more, only possible in constant mode, loop over the leading dim).

Backward (`_fold_kernel`), reflect / replicate / circular: the index map is separable, so the
adjoint folds one padded dim at a time (last dim first; intermediates in the compute dtype,
float32 for half types, so the result rounds once).  Each input element ``i`` of the folded dim
gathers the output positions mapping to it: reflect ``i+lo``, ``lo-i`` (i > 0),
``lo+2(n-1)-i`` (i < n-1); circular ``i+lo`` and ``i+lo -+ n``; replicate ``i+lo`` plus the edge
windows ``[0, lo)`` into ``i = 0`` and ``[lo+n, L)`` into ``i = n-1`` (a loop of ``max(lo, hi)``
masked taps).  Deterministic, no atomics.  Bytes per input element and folded dim: ~(1 + 2 *
pad / n) reads + one write; one add per tap.  The constant mode's backward is ``pad`` with
negated pads (a strided crop), so it has no kernel of its own.
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray
from ._dtypes import compute_tl
from ._jit import convert, flat_index
from ._launch import launch, block_for, cdiv

__all__ = ["IMPLS"]

_MAX_DIMS = 6
_MODES = {"constant": 0, "reflect": 1, "replicate": 2, "circular": 3}
_INT_OF_WIDTH = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}
_BLOCK = 1024
# The backward's taps hold more live values per element: a smaller block keeps it spill-free.
_FOLD_BLOCK = 512


@triton.jit
def _slot(r, S, N, LO, XS, OS, src, dst, ok, MODE: tl.constexpr):
    """Peel one dim (output size ``S``, input size ``N``, left pad ``LO``) off the flat index."""
    k = r % S
    r = r // S
    i = k - LO
    if MODE == 0:
        ok = ok & (i >= 0) & (i < N)
    elif MODE == 1:
        i = tl.abs(i)
        i = (N - 1) - tl.abs(N - 1 - i)
    elif MODE == 2:
        i = tl.minimum(tl.maximum(i, 0), N - 1)
    else:
        i = tl.where(i < 0, i + N, tl.where(i >= N, i - N, i))
    return r, src + i * XS, dst + k * OS, ok


@triton.jit
def _pad_kernel(x, out, fill: tl.int64, total,
                S0, S1, S2, S3, S4, S5, N0, N1, N2, N3, N4, N5, L0, L1, L2, L3, L4, L5,
                X0, X1, X2, X3, X4, X5, O0, O1, O2, O3, O4, O5,
                MODE: tl.constexpr, NDIM: tl.constexpr, I64: tl.constexpr, BLOCK: tl.constexpr):
    i = flat_index(BLOCK, I64)
    mask = i < total
    r = i
    src = i * 0
    dst = src
    ok = mask
    r, src, dst, ok = _slot(r, S5, N5, L5, X5, O5, src, dst, ok, MODE)
    if NDIM >= 2:
        r, src, dst, ok = _slot(r, S4, N4, L4, X4, O4, src, dst, ok, MODE)
    if NDIM >= 3:
        r, src, dst, ok = _slot(r, S3, N3, L3, X3, O3, src, dst, ok, MODE)
    if NDIM >= 4:
        r, src, dst, ok = _slot(r, S2, N2, L2, X2, O2, src, dst, ok, MODE)
    if NDIM >= 5:
        r, src, dst, ok = _slot(r, S1, N1, L1, X1, O1, src, dst, ok, MODE)
    if NDIM >= 6:
        r, src, dst, ok = _slot(r, S0, N0, L0, X0, O0, src, dst, ok, MODE)
    v = tl.load(x + src, mask=ok)
    if MODE == 0:
        v = tl.where(ok, v, (tl.zeros([BLOCK], tl.int64) + fill).to(v.dtype))
    tl.store(out + dst, v, mask=mask)


@triton.jit
def _peel(r, S, GS, OS, gb, ob):
    k = r % S
    return r // S, gb + k * GS, ob + k * OS


@triton.jit
def _tap(g, gb, c, GF, LF, ok, CT: tl.constexpr):
    ok = ok & (c >= 0) & (c < LF)
    return convert(tl.load(g + gb + c * GF, mask=ok, other=0), CT)


@triton.jit
def _fold_kernel(g, out, total, INNER, NF, LF, LO, W, GF,
                 S0, S1, S2, S3, S4, S5, G0, G1, G2, G3, G4, G5, O0, O1, O2, O3, O4, O5,
                 MODE: tl.constexpr, CT: tl.constexpr, NDIM: tl.constexpr, I64: tl.constexpr,
                 BLOCK: tl.constexpr):
    i = flat_index(BLOCK, I64)
    mask = i < total
    kf = (i // INNER) % NF
    r = i
    gb = i * 0
    ob = gb
    r, gb, ob = _peel(r, S5, G5, O5, gb, ob)
    if NDIM >= 2:
        r, gb, ob = _peel(r, S4, G4, O4, gb, ob)
    if NDIM >= 3:
        r, gb, ob = _peel(r, S3, G3, O3, gb, ob)
    if NDIM >= 4:
        r, gb, ob = _peel(r, S2, G2, O2, gb, ob)
    if NDIM >= 5:
        r, gb, ob = _peel(r, S1, G1, O1, gb, ob)
    if NDIM >= 6:
        r, gb, ob = _peel(r, S0, G0, O0, gb, ob)
    acc = _tap(g, gb, kf + LO, GF, LF, mask, CT)
    if MODE == 1:
        acc += _tap(g, gb, LO - kf, GF, LF, mask & (kf > 0), CT)
        acc += _tap(g, gb, LO + 2 * (NF - 1) - kf, GF, LF, mask & (kf < NF - 1), CT)
    elif MODE == 3:
        acc += _tap(g, gb, kf + LO - NF, GF, LF, mask, CT)
        acc += _tap(g, gb, kf + LO + NF, GF, LF, mask, CT)
    elif MODE == 2:
        left = mask & (kf == 0)
        right = mask & (kf == NF - 1)
        for w in range(W):
            c = kf * 0 + w
            acc += _tap(g, gb, c, GF, LF, left & (c < LO), CT)
            acc += _tap(g, gb, LO + NF + c, GF, LF, right, CT)
    tl.store(out + ob, convert(acc, out.dtype.element_ty), mask=mask)


def _collapse(sizes, strides, keep):
    """Merge adjacent dims not in ``keep`` whose strides (one list per array) compose; drop
    size-1 dims not in ``keep``.  Returns (sizes, strides-per-array, kept flags)."""
    S, T, K = [], [[] for _ in strides], []
    for d, n in enumerate(sizes):
        if n == 1 and not keep[d]:
            continue
        if S and not keep[d] and not K[-1] and all(t[-1] == st[d] * n for t, st in zip(T, strides)):
            S[-1] *= n
            for t, st in zip(T, strides):
                t[-1] = st[d]
            continue
        S.append(n)
        for t, st in zip(T, strides):
            t.append(st[d])
        K.append(keep[d])
    return S, T, K


def _span(a):
    return a.offset + sum((n - 1) * abs(s) for n, s in zip(a.shape, a.strides))


def _i64(total, block, *arrs):
    return total + block >= 2**31 or any(_span(a) >= 2**31 for a in arrs)


def _fill_bits(value, dtype):
    return int(np.asarray(value).astype(dtype).reshape(1).view(_INT_OF_WIDTH[dtype.itemsize])[0])


def _pad_launch(out, x, sizes_in, los, mode, fill):
    keep = [lo != 0 or n != s for lo, n, s in zip(los, sizes_in, out.shape)]
    S, (XS, OS), K = _collapse(list(out.shape), [list(x.strides), list(out.strides)], keep)
    # Rebuild the per-dim input sizes / pads alongside the collapsed dims (merged dims are unpadded).
    N, L, d = [], [], 0
    for s, k in zip(S, K):
        if k:
            while not keep[d]:
                d += 1
            N.append(sizes_in[d])
            L.append(los[d])
            d += 1
        else:
            N.append(s)
            L.append(0)
    if len(S) > _MAX_DIMS:
        # Only constant mode pads this many dims: one launch per index of the leading dim.
        for o in range(out.shape[0]):
            i = o - los[0]
            sub_out = out.view_as(out.shape[1:], out.strides[1:], out.offset + o * out.strides[0])
            if 0 <= i < sizes_in[0]:
                sub_x = x.view_as(x.shape[1:], x.strides[1:], x.offset + i * x.strides[0])
                _pad_launch(sub_out, sub_x, sizes_in[1:], los[1:], mode, fill)
            else:
                _fill(sub_out, fill)
        return
    nk = max(len(S), 1)
    pad_front = _MAX_DIMS - len(S)
    S, N, L = [1] * pad_front + S, [1] * pad_front + N, [0] * pad_front + L
    XS, OS = [0] * pad_front + XS, [0] * pad_front + OS
    total = out.size
    block = block_for(total, _BLOCK)
    launch(_pad_kernel, (cdiv(total, block),), x, out, fill, total, *S, *N, *L, *XS, *OS, MODE=_MODES[mode],
           NDIM=nk, I64=_i64(total, block, x, out), BLOCK=block, num_warps=4)


def _fill(dst, fill):
    """Write the bits ``fill`` into every element of ``dst`` (an integer view): its last dim
    padded by its whole length, so no element has a source."""
    if dst.ndim == 0:
        dst = dst.view_as((1,), (0,))
    _pad_launch(dst, dst, list(dst.shape), [0] * (dst.ndim - 1) + [dst.shape[-1]], "constant", fill)


def pad(out, x, pads, mode, value=0.0):
    if out.size == 0:
        return
    first = x.ndim - len(pads)
    los = [0] * first + [lo for lo, _ in pads]
    ity = _INT_OF_WIDTH[out.itemsize]
    fill = _fill_bits(value, out.dtype) if mode == "constant" else 0
    xi = x.view_as(x.shape, x.strides, x.offset, dtype=ity)
    oi = out.view_as(out.shape, out.strides, out.offset, dtype=ity)
    if x.size == 0:  # nothing to gather (a cropped-away or empty input): all fill
        _fill(oi, fill)
        return
    _pad_launch(oi, xi, list(x.shape), los, mode, fill)


def _fold(out, g, axis, lo, hi, mode):
    n, L = out.shape[axis], g.shape[axis]
    keep = [d == axis for d in range(out.ndim)]
    gs = list(g.strides)
    gf = gs[axis]
    gs[axis] = 0
    S, (GS, OS), _ = _collapse(list(out.shape), [gs, list(out.strides)], keep)
    inner = int(np.prod(out.shape[axis + 1:], dtype=np.int64))
    nk = len(S)
    pad_front = _MAX_DIMS - nk
    S, GS, OS = [1] * pad_front + S, [0] * pad_front + GS, [0] * pad_front + OS
    total = out.size
    block = block_for(total, _FOLD_BLOCK)
    launch(_fold_kernel, (cdiv(total, block),), g, out, total, inner, n, L, lo, max(lo, hi, 0), gf, *S, *GS, *OS,
           MODE=_MODES[mode], CT=compute_tl(out.dtype), NDIM=nk, I64=_i64(total + L, block, g, out), BLOCK=block,
           num_warps=4)


def pad_backward(out, grad, pads, mode, input_shape):
    if out.size == 0:
        return
    first = out.ndim - len(pads)
    ct = np.dtype(np.float32) if out.dtype.itemsize == 2 else out.dtype
    cur = grad
    for j in range(len(pads) - 1, -1, -1):
        lo, hi = pads[j]
        d = first + j
        shape = cur.shape[:d] + (out.shape[d],) + cur.shape[d + 1:]
        dst = out if j == 0 else CudaArray.empty(shape, ct, out.block.device_index)
        if cur.shape[d] == 0:  # a padded length of 0: nothing maps to the input
            _fill(dst.view_as(dst.shape, dst.strides, dst.offset, dtype=_INT_OF_WIDTH[dst.itemsize]), 0)
        else:
            _fold(dst, cur, d, lo, hi, mode)
        cur = dst


IMPLS = {"pad": pad, "pad_backward": pad_backward}
