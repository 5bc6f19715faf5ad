"""Triton impls of the upsampling family: ``upsample`` (nearest / nearest-exact / linear over 1-3
spatial dims of an (N, C, ...) input, cubic over 2) and its gather-form adjoint ``upsample_backward``.

Index tables (host metadata, as PyTorch computes them): per spatial dim and output position the
two source taps ``i0``, ``i1`` and weights ``l0``, ``l1`` (nearest: ``i1 = i0``, ``l0 = 1``), plus
per input position the first output whose taps reach it (``start``) and the widest such window
``W``.  Computing them in numpy on the host reproduces PyTorch's CPU rounding exactly (float32
``floor(dst * scale)`` for nearest, op-math source indices for linear); they are uploaded once
and cached per (mode, sizes, align_corners, scale, dtype, device), so a call moves no table bytes
after the first.  Missing spatial dims (1-D/2-D inputs) use a size-1 identity table.

Forward (`_up_fwd_kernel`): one program per ``BLOCK`` output elements; each unravels (n, c, d, h,
w), reads its taps from the (L1/L2-resident) tables and gathers ``x`` through its strides:
nearest is a pure bit-moving gather (any dtype); linear sums the 2^k taps times the product of
per-dim weights in float32 (float64 for float64) and rounds once.  Bytes per output element: one
write + 1 (nearest) or up to 2^k cached reads (linear; each input element is read by ~scale^k
outputs); FLOPs ~2 * 2^k.

Backward (`_up_bwd_kernel`), deterministic, no atomics: one program per ``BLOCK`` input elements;
each loops over its output window (``W0 x W1 x W2``, e.g. 4 x 4 for 2x bilinear) and sums
``grad * l0 * (i0 == i) + grad * l1 * (i1 == i)`` per dim (zero-weight taps skip their load).
Bytes per input element: one write + ~scale^k grad reads (each grad element is read by the <= 2^k
input elements it feeds); FLOPs ~4 per tap.

Cubic (bicubic, 2 spatial dims) has its own pair of kernels over four-tap tables (int32
``[idx0 | idx1 | idx2 | idx3 | start]``, weights ``[w0 | w1 | w2 | w3]``; taps clamped to the border,
A = -0.75): `_cubic_fwd_kernel` sums 4 x 4 gathered taps per output (16 cached reads, ~48 FLOPs),
`_cubic_bwd_kernel` is the same window gather as the linear backward with four taps per dim
(deterministic, no atomics).
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import memory
from tritorch.cuda.array import CudaArray
from ._dtypes import compute_tl
from ._jit import convert, flat_index
from ._launch import launch, block_for, cdiv

__all__ = ["IMPLS"]

_BLOCK = 512
# The backward's nested window loops hold more live values per element: a smaller block keeps it
# spill-free.
_BWD_BLOCK = 256
_CACHE = {}
_CACHE_MAX = 256


@triton.jit
def _taps(TI, TW, M, o, ok):
    """Taps and weights of output position ``o`` along one dim (``M`` outputs)."""
    i0 = tl.load(TI + o, mask=ok, other=0)
    i1 = tl.load(TI + M + o, mask=ok, other=0)
    l0 = tl.load(TW + o, mask=ok, other=0)
    l1 = tl.load(TW + M + o, mask=ok, other=0)
    return i0, i1, l0, l1


@triton.jit
def _up_fwd_kernel(x, out, TI0, TW0, TI1, TW1, TI2, TW2, total, C, S0, S1, S2,
                   XN, XC, X0, X1, X2, ON, OC, O0, O1, O2,
                   T0: tl.constexpr, T1: tl.constexpr, T2: tl.constexpr, CT: tl.constexpr,
                   I64: tl.constexpr, BLOCK: tl.constexpr):
    i = flat_index(BLOCK, I64)
    mask = i < total
    w = i % S2
    r = i // S2
    h = r % S1
    r = r // S1
    d = r % S0
    r = r // S0
    c = r % C
    n = r // C
    base = n * XN + c * XC
    a0, b0, p0, q0 = _taps(TI0, TW0, S0, d, mask)
    a1, b1, p1, q1 = _taps(TI1, TW1, S1, h, mask)
    a2, b2, p2, q2 = _taps(TI2, TW2, S2, w, mask)
    dst = n * ON + c * OC + d * O0 + h * O1 + w * O2
    if T0 + T1 + T2 == 3:
        tl.store(out + dst, tl.load(x + base + a0 * X0 + a1 * X1 + a2 * X2, mask=mask), mask=mask)
    else:
        acc = tl.zeros([BLOCK], CT)
        for u in tl.static_range(T0):
            if u == 0:
                iu = a0
                wu = p0
            else:
                iu = b0
                wu = q0
            for v in tl.static_range(T1):
                if v == 0:
                    iv = a1
                    wv = wu * p1
                else:
                    iv = b1
                    wv = wu * q1
                for t in tl.static_range(T2):
                    if t == 0:
                        it = a2
                        wt = wv * p2
                    else:
                        it = b2
                        wt = wv * q2
                    val = convert(tl.load(x + base + iu * X0 + iv * X1 + it * X2, mask=mask), CT)
                    acc += wt * val
        tl.store(out + dst, convert(acc, out.dtype.element_ty), mask=mask)


@triton.jit
def _weight(TI, TW, M, o, i, ok):
    """Weight with which output ``o`` (of ``M``) reads input ``i`` along one dim."""
    i0, i1, l0, l1 = _taps(TI, TW, M, o, ok)
    return tl.where(ok & (i0 == i), l0, 0.0) + tl.where(ok & (i1 == i), l1, 0.0)


@triton.jit
def _up_bwd_kernel(g, out, TI0, TW0, TI1, TW1, TI2, TW2, total, C, N0, N1, N2, M0, M1, M2, W0, W1, W2,
                   GN, GC, G0, G1, G2, ON, OC, O0, O1, O2,
                   CT: tl.constexpr, I64: tl.constexpr, BLOCK: tl.constexpr):
    i = flat_index(BLOCK, I64)
    mask = i < total
    w = i % N2
    r = i // N2
    h = r % N1
    r = r // N1
    d = r % N0
    r = r // N0
    c = r % C
    n = r // C
    base = n * GN + c * GC
    s0 = tl.load(TI0 + 2 * M0 + d, mask=mask, other=0)
    s1 = tl.load(TI1 + 2 * M1 + h, mask=mask, other=0)
    s2 = tl.load(TI2 + 2 * M2 + w, mask=mask, other=0)
    acc = tl.zeros([BLOCK], CT)
    for a in range(W0):
        od = s0 + a
        ok0 = mask & (od < M0)
        w0 = _weight(TI0, TW0, M0, od, d, ok0)
        for b in range(W1):
            oh = s1 + b
            ok1 = ok0 & (oh < M1)
            w1 = w0 * _weight(TI1, TW1, M1, oh, h, ok1)
            for e in range(W2):
                ow = s2 + e
                ok2 = ok1 & (ow < M2)
                wt = w1 * _weight(TI2, TW2, M2, ow, w, ok2)
                v = tl.load(g + base + od * G0 + oh * G1 + ow * G2, mask=ok2 & (wt != 0), other=0)
                acc += wt * convert(v, CT)
    tl.store(out + n * ON + c * OC + d * O0 + h * O1 + w * O2, convert(acc, out.dtype.element_ty), mask=mask)


@triton.jit
def _cubic_fwd_kernel(x, out, TIH, TWH, TIW, TWW, total, C, OH, OW, XN, XC, XH, XW, ON, OC, OH_s, OW_s,
                      CT: tl.constexpr, I64: tl.constexpr, BLOCK: tl.constexpr):
    """Bicubic forward.  Pointers: ``x``, ``out``, per-dim tap tables (``TI*`` int32 [4 * out],
    ``TW*`` weights [4 * out]); sizes: ``total`` outputs, ``C``, output ``OH``, ``OW``; strides (in
    elements) of x (``XN, XC, XH, XW``) and out (``ON, OC, OH_s, OW_s``); constexprs: compute type,
    64-bit offsets, ``BLOCK`` outputs per program.  Grid: (cdiv(total, BLOCK),)."""
    i = flat_index(BLOCK, I64)
    mask = i < total
    w = i % OW
    r = i // OW
    h = r % OH
    r = r // OH
    c = r % C
    n = r // C
    base = n * XN + c * XC
    acc = tl.zeros([BLOCK], CT)
    for u in tl.static_range(4):
        ih = tl.load(TIH + u * OH + h, mask=mask, other=0)
        wh = tl.load(TWH + u * OH + h, mask=mask, other=0)
        for v in tl.static_range(4):
            iw = tl.load(TIW + v * OW + w, mask=mask, other=0)
            ww = tl.load(TWW + v * OW + w, mask=mask, other=0)
            val = convert(tl.load(x + base + ih * XH + iw * XW, mask=mask, other=0), CT)
            acc += (wh * ww) * val
    tl.store(out + n * ON + c * OC + h * OH_s + w * OW_s, convert(acc, out.dtype.element_ty), mask=mask)


@triton.jit
def _cubic_weight(TI, TW, M, o, i, ok):
    """Weight with which output ``o`` (of ``M``) reads input ``i`` along one dim (four taps)."""
    acc = tl.where(ok & (tl.load(TI + o, mask=ok, other=-1) == i), tl.load(TW + o, mask=ok, other=0), 0.0)
    for k in tl.static_range(1, 4):
        ik = tl.load(TI + k * M + o, mask=ok, other=-1)
        wk = tl.load(TW + k * M + o, mask=ok, other=0)
        acc += tl.where(ok & (ik == i), wk, 0.0)
    return acc


@triton.jit
def _cubic_bwd_kernel(g, out, TIH, TWH, TIW, TWW, total, C, IH, IW, MH, MW, WH, WW, GN, GC, GH, GW,
                      ON, OC, OH_s, OW_s, CT: tl.constexpr, I64: tl.constexpr, BLOCK: tl.constexpr):
    """Bicubic input gradient (gather).  Pointers: ``g`` (grad_output), ``out`` (grad_input), tap
    tables as the forward's plus each input's first output (``TI* + 4 * M``); sizes: ``total``
    inputs, ``C``, input ``IH, IW``, output ``MH, MW``, window widths ``WH, WW``; strides of g and
    out; constexprs as the forward's.  Grid: (cdiv(total, BLOCK),)."""
    i = flat_index(BLOCK, I64)
    mask = i < total
    w = i % IW
    r = i // IW
    h = r % IH
    r = r // IH
    c = r % C
    n = r // C
    base = n * GN + c * GC
    sh = tl.load(TIH + 4 * MH + h, mask=mask, other=0)
    sw = tl.load(TIW + 4 * MW + w, mask=mask, other=0)
    acc = tl.zeros([BLOCK], CT)
    for a in range(WH):
        oh = sh + a
        okh = mask & (oh < MH)
        wh = _cubic_weight(TIH, TWH, MH, oh, h, okh)
        for b in range(WW):
            ow = sw + b
            ok = okh & (ow < MW)
            wt = wh * _cubic_weight(TIW, TWW, MW, ow, w, ok)
            v = tl.load(g + base + oh * GH + ow * GW, mask=ok & (wt != 0), other=0)
            acc += wt * convert(v, CT)
    tl.store(out + n * ON + c * OC + h * OH_s + w * OW_s, convert(acc, out.dtype.element_ty), mask=mask)


# --- host-side tables ---------------------------------------------------------------------------

def _host_tables(mode, n_in, n_out, align_corners, scale, ct):
    """(i0, i1, l0, l1) per output position, as PyTorch's CPU kernels compute them (the twin of
    ``cpu_fallback.upsampling.tables``)."""
    o = np.arange(n_out)
    one, zero = np.ones(n_out, ct), np.zeros(n_out, ct)
    if mode != "linear":
        if mode == "nearest" and n_out == n_in:
            idx = o
        elif mode == "nearest" and n_out == 2 * n_in:
            idx = o >> 1
        else:
            s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(n_in) / np.float32(n_out)
            src = np.floor(o.astype(np.float32) * s) if mode == "nearest" else np.floor((o + 0.5) * np.float64(s))
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
        src = np.maximum(s * (o.astype(op) + op(0.5)) - op(0.5), op(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    l1 = np.clip(src - i0.astype(op), 0, 1).astype(ct)
    return i0, i0 + (i0 < n_in - 1), (1 - l1).astype(ct), l1


_A = -0.75


def _cubic_host_tables(n_in, n_out, align_corners, scale, ct):
    """(idx (4, n_out), w (4, n_out)): the twin of ``cpu_fallback.upsampling.cubic_tables``."""
    op = np.float64 if ct == np.float64 else np.float32
    o = np.arange(n_out).astype(op)
    if align_corners:
        src = (op(n_in - 1) / op(n_out - 1) if n_out > 1 else op(0)) * o
    else:
        s = op(1.0 / scale) if scale is not None and scale > 0 else op(n_in) / op(n_out)
        src = s * (o + op(0.5)) - op(0.5)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - i0.astype(op), 0, 1).astype(op)

    def near(x):
        return ((_A + 2) * x - (_A + 3)) * x * x + 1

    def far(x):
        return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A
    idx = np.clip(i0[None, :] + np.arange(-1, 3)[:, None], 0, n_in - 1)
    return idx, np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)]).astype(ct)


def _cubic_tables(n_in, n_out, align_corners, scale, ct, device_index):
    """Cached device tables of one dim: (int32 [idx0..idx3 | start], ct [w0..w3], window W)."""
    key = ("cubic", n_in, n_out, align_corners, scale, ct.str, device_index)
    hit = _CACHE.get(key)
    if hit is None:
        idx, w = _cubic_host_tables(n_in, n_out, align_corners, scale, ct)
        i = np.arange(n_in)
        start = np.min([np.searchsorted(t, i, "left") for t in idx], axis=0)
        end = np.max([np.searchsorted(t, i, "right") for t in idx], axis=0)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        hit = _CACHE[key] = (_upload(np.concatenate([idx.ravel(), start]).astype(np.int32), device_index),
                             _upload(w.ravel(), device_index), int((end - start).max()))
    return hit


def _upload(arr, device_index):
    out = CudaArray.empty(arr.shape, arr.dtype, device_index)
    memory.copy_from_host(out.block, 0, np.ascontiguousarray(arr))
    return out


def _tables(mode, n_in, n_out, align_corners, scale, ct, device_index):
    """Cached device tables of one spatial dim: (int32 [i0 | i1 | start], ct [l0 | l1], W)."""
    key = (mode, n_in, n_out, align_corners, scale, ct.str, device_index)
    hit = _CACHE.get(key)
    if hit is None:
        i0, i1, l0, l1 = _host_tables(mode, n_in, n_out, align_corners, scale, ct)
        i = np.arange(n_in)
        start = np.minimum(np.searchsorted(i0, i, "left"), np.searchsorted(i1, i, "left"))
        end = np.maximum(np.searchsorted(i0, i, "right"), np.searchsorted(i1, i, "right"))
        ti = np.concatenate([i0, i1, start]).astype(np.int32)
        tw = np.concatenate([l0, l1]).astype(ct)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        hit = _CACHE[key] = (_upload(ti, device_index), _upload(tw, device_index), int((end - start).max()))
    return hit


def _span(a):
    return a.offset + sum((n - 1) * abs(s) for n, s in zip(a.shape, a.strides))


def _spatial3(a):
    """(sizes, strides) of ``a``'s spatial dims padded in front to three."""
    k = a.ndim - 2
    return (1,) * (3 - k) + a.shape[2:], (0,) * (3 - k) + a.strides[2:]


def _all_tables(mode, n_in, n_out, align_corners, scales, ct, dev):
    tabs = [_tables("nearest", 1, 1, False, None, ct, dev)] * (3 - len(n_in))
    for a, b, s in zip(n_in, n_out, scales):
        tabs.append(_tables(mode, a, b, align_corners, s, ct, dev))
    return tabs


def upsample(out, x, size, mode, align_corners, scales):
    if out.size == 0:
        return
    ct = np.dtype(np.float64) if out.dtype == np.float64 else np.dtype(np.float32)
    dev = out.block.device_index
    if mode == "cubic":
        _cubic(out, x, align_corners, scales, ct, dev)
        return
    tabs = _all_tables(mode, x.shape[2:], out.shape[2:], align_corners, scales, ct, dev)
    taps = [1] * (3 - len(size)) + [2 if mode == "linear" else 1] * len(size)
    S, OS = _spatial3(out)
    _, XS = _spatial3(x)
    total = out.size
    block = block_for(total, _BLOCK)
    i64 = total + block >= 2**31 or _span(x) >= 2**31 or _span(out) >= 2**31
    launch(_up_fwd_kernel, (cdiv(total, block),), x, out, *[t for ti, tw, _ in tabs for t in (ti, tw)], total,
           out.shape[1], *S, x.strides[0], x.strides[1], *XS, out.strides[0], out.strides[1], *OS,
           T0=taps[0], T1=taps[1], T2=taps[2], CT=compute_tl(ct), I64=i64, BLOCK=block, num_warps=4)


def upsample_backward(out, grad, input_size, mode, align_corners, scales):
    if out.size == 0:
        return
    ct = np.dtype(np.float64) if out.dtype == np.float64 else np.dtype(np.float32)
    dev = out.block.device_index
    if mode == "cubic":
        _cubic_backward(out, grad, align_corners, scales, ct, dev)
        return
    tabs = _all_tables(mode, out.shape[2:], grad.shape[2:], align_corners, scales, ct, dev)
    N, OS = _spatial3(out)
    M, GS = _spatial3(grad)
    total = out.size
    block = block_for(total, _BWD_BLOCK)
    i64 = total + block >= 2**31 or _span(grad) >= 2**31 or _span(out) >= 2**31
    launch(_up_bwd_kernel, (cdiv(total, block),), grad, out, *[t for ti, tw, _ in tabs for t in (ti, tw)], total,
           out.shape[1], *N, *M, *[w for _, _, w in tabs], grad.strides[0], grad.strides[1], *GS,
           out.strides[0], out.strides[1], *OS, CT=compute_tl(ct), I64=i64, BLOCK=block, num_warps=4)


def _cubic(out, x, align_corners, scales, ct, dev):
    (th, wh, _), (tw, ww, _) = [_cubic_tables(a, b, align_corners, s, ct, dev)
                                for a, b, s in zip(x.shape[2:], out.shape[2:], scales)]
    total = out.size
    block = block_for(total, _BLOCK)
    i64 = total + block >= 2**31 or _span(x) >= 2**31 or _span(out) >= 2**31
    launch(_cubic_fwd_kernel, (cdiv(total, block),), x, out, th, wh, tw, ww, total, *out.shape[1:], *x.strides,
           *out.strides, CT=compute_tl(ct), I64=i64, BLOCK=block, num_warps=4)


def _cubic_backward(out, grad, align_corners, scales, ct, dev):
    (th, wh, WH), (tw, ww, WW) = [_cubic_tables(a, b, align_corners, s, ct, dev)
                                  for a, b, s in zip(out.shape[2:], grad.shape[2:], scales)]
    total = out.size
    block = block_for(total, _BWD_BLOCK)
    i64 = total + block >= 2**31 or _span(grad) >= 2**31 or _span(out) >= 2**31
    launch(_cubic_bwd_kernel, (cdiv(total, block),), grad, out, th, wh, tw, ww, total, *out.shape[1:],
           *grad.shape[2:], WH, WW, *grad.strides, *out.strides, CT=compute_tl(ct), I64=i64, BLOCK=block,
           num_warps=4)


IMPLS = {"upsample": upsample, "upsample_backward": upsample_backward}
