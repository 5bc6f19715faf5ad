"""Triton impls of the upsampling family: ``upsample`` (nearest / nearest-exact / linear over 1-3
spatial dims of an (N, C, ...) input, cubic over 2) and its gather-form adjoint ``upsample_backward``.

Index tables (host metadata): per spatial dim and output position the source taps and their
weights -- two rows ``i0, i1`` / ``l0, l1`` (nearest: ``i1 = i0``, ``l1 = 0``), or cubic's four rows
(taps clamped to the border, A = -0.75) -- plus per input position the first output whose taps reach
it (``start``) and the widest such window ``W``.  They are ``cpu_fallback.upsampling``'s numpy
`tables` / `cubic_tables` / `windows` (PyTorch's CPU rounding exactly: float32 ``floor(dst * scale)``
for nearest, op-math source indices for linear and cubic), uploaded once as int32 ``[rows... |
start]`` and compute-type ``[weights...]`` and cached per (mode, sizes, align_corners, scale, dtype,
device), so a call moves no table bytes after the first.  The spatial dims are padded to three with
size-1 identity dims (one nearest tap of weight 1), so one kernel pair serves every mode.

Forward (`_up_fwd_kernel`): one program per ``BLOCK`` output elements; each unravels (n, c, s0, s1,
s2), reads its taps from the (L1/L2-resident) tables and gathers ``x`` through its strides: nearest
is a pure bit-moving gather (any dtype); linear and cubic sum the taps (2^k, cubic 4 x 4) times the
product of per-dim weights in float32 (float64 for float64) and round once.  Bytes per output
element: one write + 1 (nearest) or up to 2^k / 16 cached reads (each input element is read by
~scale^k outputs); FLOPs ~2 per tap.

Backward (`_up_bwd_kernel`), deterministic, no atomics: one program per ``BLOCK`` input elements;
each loops over its output window (``W0 x W1 x W2``, e.g. 4 x 4 for 2x bilinear) and sums grad
times the product over dims of ``sum_k w_k * (i_k == i)`` (zero-weight taps skip their load).  Bytes
per input element: one write + ~scale^k grad reads (each grad element is read by the input elements
it feeds); FLOPs ~2 per table row and tap.
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cpu_fallback.upsampling import cubic_tables, tables, windows
from tritorch.cuda import memory
from tritorch.cuda.array import CudaArray
from ._dtypes import compute_tl
from ._jit import convert, flat_index, unravel_ncs3
from ._launch import launch, block_for, cdiv, needs_i64, pad

__all__ = ["IMPLS"]

_BLOCK = 512
# The backward's nested window loops hold more live values per element: a smaller block keeps it
# spill-free.
_BWD_BLOCK = 256
_CACHE = {}
_CACHE_MAX = 256
# Source taps per output along one dim (forward) and rows per table.
_TAPS = {"nearest": 1, "nearest-exact": 1, "linear": 2, "cubic": 4}
_ROWS = {"nearest": 2, "nearest-exact": 2, "linear": 2, "cubic": 4}



@triton.jit
def _tap(TI, TW, M, o, ok, K: tl.constexpr):
    """Source index and weight of tap ``K`` of output ``o`` (of ``M``) along one dim."""
    return tl.load(TI + K * M + o, mask=ok, other=0), tl.load(TW + K * M + o, mask=ok, other=0)


@triton.jit
def _up_fwd_kernel(x, out, ti0, tw0, ti1, tw1, ti2, tw2, total, C, S0, S1, S2,
                   stride_xn, stride_xc, stride_x0, stride_x1, stride_x2,
                   stride_on, stride_oc, stride_o0, stride_o1, stride_o2,
                   T0: tl.constexpr, T1: tl.constexpr, T2: tl.constexpr, CT: tl.constexpr,
                   I64: tl.constexpr, BLOCK: tl.constexpr):
    """Interpolation forward.  Grid: (cdiv(total, BLOCK),).
    Pointers: x (N, C, *in) input, out (N, C, S0, S1, S2) output, per spatial dim d the tap tables
    ti{d} (int32 source rows) and tw{d} (weight rows).  Sizes: total outputs, C channels, output
    spatial S0, S1, S2.  Strides: stride_x{n,c,0,1,2}, stride_o{n,c,0,1,2} (elements).
    Constexprs: T0, T1, T2 taps per dim (all 1: a bit-moving gather), CT compute type, I64 int64
    offsets, BLOCK outputs per program."""
    i = flat_index(BLOCK, I64)
    mask = i < total
    n, c, o0, o1, o2 = unravel_ncs3(i, C, S0, S1, S2)
    base = n * stride_xn + c * stride_xc
    dst = n * stride_on + c * stride_oc + o0 * stride_o0 + o1 * stride_o1 + o2 * stride_o2
    if T0 + T1 + T2 == 3:
        a0, _ = _tap(ti0, tw0, S0, o0, mask, 0)
        a1, _ = _tap(ti1, tw1, S1, o1, mask, 0)
        a2, _ = _tap(ti2, tw2, S2, o2, mask, 0)
        v = tl.load(x + base + a0 * stride_x0 + a1 * stride_x1 + a2 * stride_x2, mask=mask)
        tl.store(out + dst, v, mask=mask)
    else:
        acc = tl.zeros([BLOCK], CT)
        for u in tl.static_range(T0):
            iu, wu = _tap(ti0, tw0, S0, o0, mask, u)
            for v in tl.static_range(T1):
                iv, wv = _tap(ti1, tw1, S1, o1, mask, v)
                wv = wu * wv
                for t in tl.static_range(T2):
                    it, wt = _tap(ti2, tw2, S2, o2, mask, t)
                    wt = wv * wt
                    val = tl.load(x + base + iu * stride_x0 + iv * stride_x1 + it * stride_x2, mask=mask, other=0)
                    acc += wt * convert(val, CT)
        tl.store(out + dst, convert(acc, out.dtype.element_ty), mask=mask)


@triton.jit
def _weight(TI, TW, M, o, i, ok, R: tl.constexpr):
    """Weight with which output ``o`` (of ``M``) reads input ``i`` along one dim (``R`` table rows)."""
    acc = tl.where(ok & (tl.load(TI + o, mask=ok, other=-1) == i), tl.load(TW + o, mask=ok, other=0), 0.0)
    for k in tl.static_range(1, R):
        ik, wk = _tap(TI, TW, M, o, ok, k)
        acc += tl.where(ok & (ik == i), wk, 0.0)
    return acc


@triton.jit
def _up_bwd_kernel(g, out, ti0, tw0, ti1, tw1, ti2, tw2, total, C, N0, N1, N2, M0, M1, M2, W0, W1, W2,
                   stride_gn, stride_gc, stride_g0, stride_g1, stride_g2,
                   stride_on, stride_oc, stride_o0, stride_o1, stride_o2,
                   R0: tl.constexpr, R1: tl.constexpr, R2: tl.constexpr, CT: tl.constexpr,
                   I64: tl.constexpr, BLOCK: tl.constexpr):
    """Interpolation input gradient (a gather over each input's output window).  Grid: (cdiv(total, BLOCK),).
    Pointers: g (N, C, M0, M1, M2) grad_output, out (N, C, N0, N1, N2) grad_input, tap tables as the
    forward's (each input's first output at ``ti{d} + R{d} * M{d}``).  Sizes: total inputs, C, input
    spatial N0..N2, output spatial M0..M2, window widths W0..W2.  Strides: stride_g{n,c,0,1,2},
    stride_o{n,c,0,1,2} (elements).  Constexprs: R0..R2 table rows per dim, CT compute type, I64
    int64 offsets, BLOCK inputs per program."""
    i = flat_index(BLOCK, I64)
    mask = i < total
    n, c, i0, i1, i2 = unravel_ncs3(i, C, N0, N1, N2)
    base = n * stride_gn + c * stride_gc
    s0 = tl.load(ti0 + R0 * M0 + i0, mask=mask, other=0)
    s1 = tl.load(ti1 + R1 * M1 + i1, mask=mask, other=0)
    s2 = tl.load(ti2 + R2 * M2 + i2, mask=mask, other=0)
    acc = tl.zeros([BLOCK], CT)
    for a in range(W0):
        o0 = s0 + a
        ok0 = mask & (o0 < M0)
        w0 = _weight(ti0, tw0, M0, o0, i0, ok0, R0)
        for b in range(W1):
            o1 = s1 + b
            ok1 = ok0 & (o1 < M1)
            w1 = w0 * _weight(ti1, tw1, M1, o1, i1, ok1, R1)
            for e in range(W2):
                o2 = s2 + e
                ok2 = ok1 & (o2 < M2)
                wt = w1 * _weight(ti2, tw2, M2, o2, i2, ok2, R2)
                v = tl.load(g + base + o0 * stride_g0 + o1 * stride_g1 + o2 * stride_g2, mask=ok2 & (wt != 0),
                            other=0)
                acc += wt * convert(v, CT)
    dst = n * stride_on + c * stride_oc + i0 * stride_o0 + i1 * stride_o1 + i2 * stride_o2
    tl.store(out + dst, convert(acc, out.dtype.element_ty), mask=mask)


# --- host-side tables ---------------------------------------------------------------------------

def _upload(arr, device_index):
    out = CudaArray.empty(arr.shape, arr.dtype, device_index)
    memory.copy_from_host(out.block, 0, np.ascontiguousarray(arr))
    return out


def _tables(mode, n_in, n_out, align_corners, scale, ct, device_index):
    """Cached device tables of one spatial dim: (int32 [rows... | start], ct [weights...], W)."""
    key = (mode, n_in, n_out, align_corners, scale, ct.str, device_index)
    hit = _CACHE.get(key)
    if hit is None:
        if mode == "cubic":
            idx, w = cubic_tables(n_in, n_out, align_corners, scale, ct)
        else:
            i0, i1, l0, l1 = tables(mode, n_in, n_out, align_corners, scale, ct)
            idx, w = (i0, i1), (l0, l1)
        start, width = windows(idx, n_in)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        hit = _CACHE[key] = (_upload(np.concatenate([*idx, start]).astype(np.int32), device_index),
                             _upload(np.concatenate(w).astype(ct), device_index), width)
    return hit


def _geometry(mode, n_in, n_out, align_corners, scales, ct, dev):
    """Per spatial dim, padded to three with size-1 identity dims: the table pointers (ti, tw
    interleaved), the window widths W, the taps T and the table rows R."""
    k = len(n_in)
    tabs = [_tables(mode, a, b, align_corners, s, ct, dev) for a, b, s in zip(n_in, n_out, scales)]
    tabs += [_tables("nearest", 1, 1, False, None, ct, dev)] * (3 - k)
    ptrs = [t for ti, tw, _ in tabs for t in (ti, tw)]
    return ptrs, [w for _, _, w in tabs], pad([_TAPS[mode]] * k, 3, 1), pad([_ROWS[mode]] * k, 3, 2)


def _compute(out):
    return np.dtype(np.float64) if out.dtype == np.float64 else np.dtype(np.float32)


def upsample(out, x, size, mode, align_corners, scales):
    if out.size == 0:
        return
    ct = _compute(out)
    ptrs, _, taps, _ = _geometry(mode, x.shape[2:], out.shape[2:], align_corners, scales, ct, out.block.device_index)
    total = out.size
    block = block_for(total, _BLOCK)
    launch(_up_fwd_kernel, (cdiv(total, block),), x, out, *ptrs, total, out.shape[1], *pad(out.shape[2:], 3, 1),
           *x.strides[:2], *pad(x.strides[2:], 3), *out.strides[:2], *pad(out.strides[2:], 3),
           T0=taps[0], T1=taps[1], T2=taps[2], CT=compute_tl(ct),
           I64=needs_i64(x, out, counts=(total + block,)), BLOCK=block, num_warps=4)


def upsample_backward(out, grad, input_size, mode, align_corners, scales):
    if out.size == 0:
        return
    ct = _compute(out)
    ptrs, widths, _, rows = _geometry(mode, out.shape[2:], grad.shape[2:], align_corners, scales, ct,
                                      out.block.device_index)
    total = out.size
    block = block_for(total, _BWD_BLOCK)
    launch(_up_bwd_kernel, (cdiv(total, block),), grad, out, *ptrs, total, out.shape[1], *pad(out.shape[2:], 3, 1),
           *pad(grad.shape[2:], 3, 1), *widths, *grad.strides[:2], *pad(grad.strides[2:], 3), *out.strides[:2],
           *pad(out.strides[2:], 3), R0=rows[0], R1=rows[1], R2=rows[2], CT=compute_tl(ct),
           I64=needs_i64(grad, out, counts=(total + block,)), BLOCK=block, num_warps=4)


IMPLS = {"upsample": upsample, "upsample_backward": upsample_backward}
