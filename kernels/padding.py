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
from ._launch import launch, block_for, cdiv, needs_i64, pad as pad_seq

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
                stride_x0, stride_x1, stride_x2, stride_x3, stride_x4, stride_x5,
                stride_o0, stride_o1, stride_o2, stride_o3, stride_o4, stride_o5,
                MODE: tl.constexpr, NDIM: tl.constexpr, I64: tl.constexpr, BLOCK: tl.constexpr):
    """pad.  Grid: (cdiv(total, BLOCK),).
    Pointers: x input, out output (both as same-width integers: raw bits).  Sizes: total outputs; per
    collapsed dim d, innermost first: output S{d}, input N{d}, left pad L{d}; fill the bits of the
    constant.  Strides: stride_x{d}, stride_o{d} (elements, innermost dim first).  Constexprs: MODE
    (0 constant, 1 reflect, 2 replicate, 3 circular), NDIM dims in use, I64 int64 offsets, BLOCK
    outputs per program."""
    i = flat_index(BLOCK, I64)
    mask = i < total
    r = i
    src = i * 0
    dst = src
    ok = mask
    r, src, dst, ok = _slot(r, S0, N0, L0, stride_x0, stride_o0, src, dst, ok, MODE)
    if NDIM >= 2:
        r, src, dst, ok = _slot(r, S1, N1, L1, stride_x1, stride_o1, src, dst, ok, MODE)
    if NDIM >= 3:
        r, src, dst, ok = _slot(r, S2, N2, L2, stride_x2, stride_o2, src, dst, ok, MODE)
    if NDIM >= 4:
        r, src, dst, ok = _slot(r, S3, N3, L3, stride_x3, stride_o3, src, dst, ok, MODE)
    if NDIM >= 5:
        r, src, dst, ok = _slot(r, S4, N4, L4, stride_x4, stride_o4, src, dst, ok, MODE)
    if NDIM >= 6:
        r, src, dst, ok = _slot(r, S5, N5, L5, stride_x5, stride_o5, src, dst, ok, MODE)
    v = tl.load(x + src, mask=ok)
    if MODE == 0:
        v = tl.where(ok, v, (tl.zeros([BLOCK], tl.int64) + fill).to(v.dtype))
    tl.store(out + dst, v, mask=mask)


@triton.jit
def _peel(r, S, GS, OS, gb, ob):
    """Peel one dim of size ``S`` off flat index ``r``, advancing the grad and out offsets."""
    k = r % S
    return r // S, gb + k * GS, ob + k * OS


@triton.jit
def _tap(g, gb, c, GF, LF, ok, CT: tl.constexpr):
    """grad at position ``c`` of the folded dim (0 outside ``[0, LF)``), in ``CT``."""
    ok = ok & (c >= 0) & (c < LF)
    return convert(tl.load(g + gb + c * GF, mask=ok, other=0), CT)


@triton.jit
def _fold_kernel(g, out, total, INNER, NF, LF, LO, W, stride_gf,
                 S0, S1, S2, S3, S4, S5, stride_g0, stride_g1, stride_g2, stride_g3, stride_g4, stride_g5,
                 stride_o0, stride_o1, stride_o2, stride_o3, stride_o4, stride_o5,
                 MODE: tl.constexpr, CT: tl.constexpr, NDIM: tl.constexpr, I64: tl.constexpr,
                 BLOCK: tl.constexpr):
    """pad's adjoint along one folded dim.  Grid: (cdiv(total, BLOCK),).
    Pointers: g grad (folded dim of length LF), out (folded dim of length NF).  Sizes: total outputs,
    INNER elements inside the folded dim, NF, LF, LO its left pad, W the replicate edge window; per
    collapsed dim d of out, innermost first, S{d}.  Strides: stride_gf along g's folded dim,
    stride_g{d} (0 on the folded dim), stride_o{d} (elements, innermost first).  Constexprs: MODE
    (1 reflect, 2 replicate, 3 circular), CT compute type, NDIM dims in use, I64 int64 offsets,
    BLOCK outputs per program."""
    i = flat_index(BLOCK, I64)
    mask = i < total
    kf = (i // INNER) % NF
    r = i
    gb = i * 0
    ob = gb
    r, gb, ob = _peel(r, S0, stride_g0, stride_o0, gb, ob)
    if NDIM >= 2:
        r, gb, ob = _peel(r, S1, stride_g1, stride_o1, gb, ob)
    if NDIM >= 3:
        r, gb, ob = _peel(r, S2, stride_g2, stride_o2, gb, ob)
    if NDIM >= 4:
        r, gb, ob = _peel(r, S3, stride_g3, stride_o3, gb, ob)
    if NDIM >= 5:
        r, gb, ob = _peel(r, S4, stride_g4, stride_o4, gb, ob)
    if NDIM >= 6:
        r, gb, ob = _peel(r, S5, stride_g5, stride_o5, gb, ob)
    acc = _tap(g, gb, kf + LO, stride_gf, LF, mask, CT)
    if MODE == 1:
        acc += _tap(g, gb, LO - kf, stride_gf, LF, mask & (kf > 0), CT)
        acc += _tap(g, gb, LO + 2 * (NF - 1) - kf, stride_gf, LF, mask & (kf < NF - 1), CT)
    elif MODE == 3:
        acc += _tap(g, gb, kf + LO - NF, stride_gf, LF, mask, CT)
        acc += _tap(g, gb, kf + LO + NF, stride_gf, LF, mask, CT)
    elif MODE == 2:
        left = mask & (kf == 0)
        right = mask & (kf == NF - 1)
        for w in range(W):
            c = kf * 0 + w
            acc += _tap(g, gb, c, stride_gf, LF, left & (c < LO), CT)
            acc += _tap(g, gb, LO + NF + c, stride_gf, LF, right, CT)
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
    total = out.size
    block = block_for(total, _BLOCK)
    launch(_pad_kernel, (cdiv(total, block),), x, out, fill, total, *_inner_first(S, 1), *_inner_first(N, 1),
           *_inner_first(L, 0), *_inner_first(XS, 0), *_inner_first(OS, 0), MODE=_MODES[mode],
           NDIM=max(len(S), 1), I64=needs_i64(x, out, counts=(total + block,)), BLOCK=block, num_warps=4)


def _inner_first(v, fill):
    """A per-dim argument group innermost dim first, padded to `_MAX_DIMS` (the kernels peel the
    flat index from the innermost dim out)."""
    return pad_seq(v[::-1], _MAX_DIMS, fill)


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
    total = out.size
    block = block_for(total, _FOLD_BLOCK)
    launch(_fold_kernel, (cdiv(total, block),), g, out, total, inner, n, L, lo, max(lo, hi, 0), gf,
           *_inner_first(S, 1), *_inner_first(GS, 0), *_inner_first(OS, 0), MODE=_MODES[mode],
           CT=compute_tl(out.dtype), NDIM=len(S), I64=needs_i64(g, out, counts=(total + L + block,)), BLOCK=block,
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
