"""Triton impls of the grid_sample family: ``grid_sample`` (4-D input sampled at a (N, H_out, W_out,
2) grid of normalised points) and ``grid_sample_backward`` (gradients for input and grid).

Algorithm (the twin of ``cpu_fallback.grid_sample``, PyTorch's ``grid_sampler_2d`` rules): per output
point the grid value is unnormalised to a source pixel coordinate and folded by the padding mode
(border: clip; reflection: mirror about the borders, then clip; zeros: taps outside read 0).
Bilinear reads 4 taps, nearest 1 (round half to even), bicubic 4 x 4 taps of the unnormalised
point, each tap coordinate folded by the padding mode, cubic weights with A = -0.75.

Tiling: one program per ``BLOCK`` output points (n, h_out, w_out) and a loop over channel blocks of
``BC``: the point's coordinates are computed once per program, its taps once per channel block,
and each tap gathers a [BLOCK, BC] tile of input values through the input's strides (any layout,
no copies).  Everything computes in float32 (float64 for float64) and rounds once on store.

Forward bytes per output element: 1 write + 1/4/16 (mostly cached) reads; grid read once per point.
FLOPs ~2 per tap plus ~20 per point (~30 per tap for bicubic's per-tap padding).

Backward (`_gs_bwd_kernel`, same tiling): each tap atomically adds grad_output x weight into the
input gradient (float32/float64 atomics into a zeroed buffer; half types accumulate in a float32
workspace rounded once at the end), so the summation order of overlapping taps is not fixed
(PyTorch's cuda kernel is likewise non-deterministic).  The grid gradient of a point is owned by
its program: sum over channels of tap value x grad_output x d weight, times the chain factor of
unnormalising and padding, stored once, no atomics.  Bytes per output element: 1 grad read + 1-16
tap reads + 1-16 atomic adds.
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray
from ._dtypes import compute_tl
from ._elementwise import assign
from ._jit import convert, flat_index
from ._launch import launch, block_for, cdiv, needs_i64

__all__ = ["IMPLS"]

_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADS = {"zeros": 0, "border": 1, "reflection": 2}
# Taps per point as (runtime rows, unrolled taps per row): bicubic's 4 rows stay a loop so the
# compiler does not hoist all 16 taps' offsets and weights out of the channel loop (register spills).
_TAPS = {0: (1, 4), 1: (1, 1), 2: (4, 4)}
_BLOCK = 128


@triton.jit
def _unnormalize(c, size, ALIGN: tl.constexpr):
    """Source pixel coordinate of normalised ``c`` and d(source)/d(c)."""
    if ALIGN:
        return (c + 1) * 0.5 * (size - 1), (size - 1) * 0.5
    else:
        return ((c + 1) * size - 1) * 0.5, size * 0.5


@triton.jit
def _reflect(c, twice_low, twice_high):
    """``c`` mirrored into [twice_low / 2, twice_high / 2] and the sign of d(result)/d(c)."""
    lo = twice_low * 0.5
    span = (twice_high - twice_low) * 0.5
    d = c - lo
    sign = tl.where(d < 0, -1.0, 1.0)
    d = tl.abs(d)
    flips = tl.floor(d / span)
    extra = d - flips * span
    even = (flips - 2 * tl.floor(flips * 0.5)) == 0
    r = tl.where(even, extra + lo, span - extra + lo)
    g = tl.where(even, sign, -sign)
    degenerate = twice_low == twice_high
    return tl.where(degenerate, 0.0, r), tl.where(degenerate, 0.0, g)


@triton.jit
def _pad(c, size, PAD: tl.constexpr, ALIGN: tl.constexpr):
    """``c`` folded by the padding mode, and d(result)/d(c)."""
    if PAD == 0:
        return c, tl.full(c.shape, 1.0, c.dtype)
    else:
        g = tl.full(c.shape, 1.0, c.dtype)
        if PAD == 2:
            if ALIGN:
                c, g = _reflect(c, 0, 2 * (size - 1))
            else:
                c, g = _reflect(c, -1, 2 * size - 1)
        g = tl.where((c > 0) & (c < size - 1), g, 0.0)
        return tl.minimum(tl.maximum(c, 0.0), size - 1.0), g


@triton.jit
def _rint(x):
    """Round half to even (C's nearbyint)."""
    r = tl.floor(x + 0.5)
    odd = (r - 2 * tl.floor(r * 0.5)) != 0
    return tl.where(((r - x) == 0.5) & odd, r - 1, r)


@triton.jit
def _cubic(t, K: tl.constexpr):
    """Weight of cubic tap ``K`` (floor - 1 + K) at fraction ``t`` and its d/dt (A = -0.75)."""
    A = -0.75
    if K == 0:
        x = t + 1
        w = ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
        dw = (3 * A * x - 10 * A) * x + 8 * A
    elif K == 1:
        x = t
        w = ((A + 2) * x - (A + 3)) * x * x + 1
        dw = (3 * (A + 2) * x - 2 * (A + 3)) * x
    elif K == 2:
        x = 1 - t
        w = ((A + 2) * x - (A + 3)) * x * x + 1
        dw = -(3 * (A + 2) * x - 2 * (A + 3)) * x
    else:
        x = 2 - t
        w = ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
        dw = -((3 * A * x - 10 * A) * x + 8 * A)
    return w, dw


@triton.jit
def _cubic_row(t, j):
    """`_cubic` for a runtime tap row ``j``: all four weights, one selected."""
    w0, d0 = _cubic(t, 0)
    w1, d1 = _cubic(t, 1)
    w2, d2 = _cubic(t, 2)
    w3, d3 = _cubic(t, 3)
    w = tl.where(j == 0, w0, tl.where(j == 1, w1, tl.where(j == 2, w2, w3)))
    dw = tl.where(j == 0, d0, tl.where(j == 1, d1, tl.where(j == 2, d2, d3)))
    return w, dw


@triton.jit
def _tap(ix, iy, H, W, j, T: tl.constexpr, MODE: tl.constexpr, PAD: tl.constexpr, ALIGN: tl.constexpr):
    """Tap ``T`` (bicubic: column ``T`` of runtime row ``j``) of points at source (``ix``, ``iy``):
    (column xi, row yi, in-bounds mask, weight, d weight / d ix, d weight / d iy).  Bicubic's
    (ix, iy) are unpadded."""
    if MODE == 1:
        xc = _rint(ix)
        yc = _rint(iy)
        w = tl.full(ix.shape, 1.0, ix.dtype)
        dwx = tl.zeros(ix.shape, ix.dtype)
        dwy = dwx
    elif MODE == 0:
        x0 = tl.floor(ix)
        y0 = tl.floor(iy)
        fx = ix - x0
        fy = iy - y0
        if T % 2 == 0:
            xc = x0
            wx = 1 - fx
            sx = -1.0
        else:
            xc = x0 + 1
            wx = fx
            sx = 1.0
        if T // 2 == 0:
            yc = y0
            wy = 1 - fy
            sy = -1.0
        else:
            yc = y0 + 1
            wy = fy
            sy = 1.0
        w = wx * wy
        dwx = sx * wy
        dwy = wx * sy
    else:
        x0 = tl.floor(ix)
        y0 = tl.floor(iy)
        wx, dx = _cubic(ix - x0, T)
        wy, dy = _cubic_row(iy - y0, j)
        xc, _ = _pad(x0 + (T - 1), W, PAD, ALIGN)
        yc, _ = _pad(y0 + (j - 1), H, PAD, ALIGN)
        w = wx * wy
        dwx = dx * wy
        dwy = wx * dy
    ok = (xc >= 0) & (xc <= W - 1) & (yc >= 0) & (yc <= H - 1)
    xi = tl.where(ok, xc, 0.0).to(tl.int32)
    yi = tl.where(ok, yc, 0.0).to(tl.int32)
    return xi, yi, ok, w, dwx, dwy


@triton.jit
def _source(grid, p, ok, N_H, N_W, H, W, stride_pn, stride_ph, stride_pw, stride_pk, CT: tl.constexpr,
            MODE: tl.constexpr, PAD: tl.constexpr, ALIGN: tl.constexpr):
    """(n, ho, wo, ix, iy, chain factor x, chain factor y) of flat output points ``p``."""
    wo = p % N_W
    r = p // N_W
    ho = r % N_H
    n = r // N_H
    g = grid + n * stride_pn + ho * stride_ph + wo * stride_pw
    ix, mx = _unnormalize(convert(tl.load(g, mask=ok, other=0), CT), W, ALIGN)
    iy, my = _unnormalize(convert(tl.load(g + stride_pk, mask=ok, other=0), CT), H, ALIGN)
    if MODE != 2:
        ix, gx = _pad(ix, W, PAD, ALIGN)
        iy, gy = _pad(iy, H, PAD, ALIGN)
        mx = mx * gx
        my = my * gy
    return n, ho, wo, ix, iy, mx, my


@triton.jit
def _gs_fwd_kernel(x, grid, out, total, C, H, W, N_H, N_W, stride_xn, stride_xc, stride_xh, stride_xw,
                   stride_pn, stride_ph, stride_pw, stride_pk, stride_on, stride_oc, stride_oh, stride_ow,
                   MODE: tl.constexpr, PAD: tl.constexpr, ALIGN: tl.constexpr, NR: tl.constexpr, NT: tl.constexpr,
                   CT: tl.constexpr, I64: tl.constexpr, BLOCK: tl.constexpr, BC: tl.constexpr):
    """grid_sample forward.  Grid: (cdiv(total, BLOCK),).
    Pointers: x (N, C, H, W) input, grid (N, N_H, N_W, 2) points, out (N, C, N_H, N_W).  Sizes:
    total = N * N_H * N_W points, C, H, W, N_H, N_W.  Strides (elements): stride_x{n,c,h,w} (x),
    stride_p{n,h,w,k} (grid; k the x/y component), stride_o{n,c,h,w} (out).  Constexprs: MODE,
    PAD (padding mode), ALIGN (align_corners), NR tap rows (a runtime loop) and NT taps per row, CT
    compute type, I64 int64 offsets, BLOCK points and BC channels per tile."""
    p = flat_index(BLOCK, I64)
    pm = p < total
    n, ho, wo, ix, iy, mx, my = _source(grid, p, pm, N_H, N_W, H, W, stride_pn, stride_ph, stride_pw, stride_pk,
                                        CT, MODE, PAD, ALIGN)
    xb = n * stride_xn
    ob = n * stride_on + ho * stride_oh + wo * stride_ow
    for c0 in range(0, C, BC):
        c = (c0 + tl.arange(0, BC)).to(p.dtype)  # int64 with I64: c * stride_xc may pass 2**31
        cm = pm[:, None] & (c < C)[None, :]
        acc = tl.zeros([BLOCK, BC], CT)
        for j in range(NR):
            for t in tl.static_range(NT):
                xi, yi, ok, w, _, _ = _tap(ix, iy, H, W, j, t, MODE, PAD, ALIGN)
                # int32 tap coordinates widened with I64, so yi * stride_xh never wraps
                xi = xi.to(p.dtype)
                yi = yi.to(p.dtype)
                src = (xb + yi * stride_xh + xi * stride_xw)[:, None] + c[None, :] * stride_xc
                v = convert(tl.load(x + src, mask=cm & ok[:, None], other=0), CT)
                acc += v * w[:, None]
        tl.store(out + ob[:, None] + c[None, :] * stride_oc, convert(acc, out.dtype.element_ty), mask=cm)


@triton.jit
def _gs_bwd_kernel(g, x, grid, gin, ggrid, total, C, H, W, N_H, N_W,
                   stride_gn, stride_gc, stride_gh, stride_gw, stride_xn, stride_xc, stride_xh, stride_xw,
                   stride_pn, stride_ph, stride_pw, stride_pk, stride_in, stride_ic, stride_ih, stride_iw,
                   stride_qn, stride_qh, stride_qw, stride_qk,
                   MODE: tl.constexpr, PAD: tl.constexpr, ALIGN: tl.constexpr, NR: tl.constexpr, NT: tl.constexpr,
                   CT: tl.constexpr, I64: tl.constexpr, BLOCK: tl.constexpr, BC: tl.constexpr):
    """grid_sample backward.  Grid: (cdiv(total, BLOCK),).
    Pointers: g (N, C, N_H, N_W) grad_output, x, grid, gin (N, C, H, W) zeroed float32/float64
    input-gradient accumulator (atomics), ggrid (N, N_H, N_W, 2) grid gradient.  Sizes as the
    forward's.  Strides (elements): stride_g* (g), stride_x* (x), stride_p* (grid), stride_i* (gin),
    stride_q* (ggrid).  Constexprs as the forward's."""
    p = flat_index(BLOCK, I64)
    pm = p < total
    n, ho, wo, ix, iy, mx, my = _source(grid, p, pm, N_H, N_W, H, W, stride_pn, stride_ph, stride_pw, stride_pk,
                                        CT, MODE, PAD, ALIGN)
    gx = tl.zeros([BLOCK], CT)
    gy = tl.zeros([BLOCK], CT)
    for c0 in range(0, C, BC):
        c = (c0 + tl.arange(0, BC)).to(p.dtype)
        cm = pm[:, None] & (c < C)[None, :]
        go = convert(tl.load(g + (n * stride_gn + ho * stride_gh + wo * stride_gw)[:, None] + c[None, :] * stride_gc,
                             mask=cm, other=0), CT)
        for j in range(NR):
            for t in tl.static_range(NT):
                xi, yi, ok, w, dwx, dwy = _tap(ix, iy, H, W, j, t, MODE, PAD, ALIGN)
                xi = xi.to(p.dtype)
                yi = yi.to(p.dtype)
                m = cm & ok[:, None]
                tl.atomic_add(gin + (n * stride_in + yi * stride_ih + xi * stride_iw)[:, None] + c[None, :] * stride_ic,
                              go * w[:, None], mask=m)
                if MODE != 1:
                    v = convert(tl.load(x + (n * stride_xn + yi * stride_xh + xi * stride_xw)[:, None]
                                        + c[None, :] * stride_xc, mask=m, other=0), CT)
                    s = tl.sum(v * go, axis=1)
                    gx += s * dwx
                    gy += s * dwy
    q = ggrid + n * stride_qn + ho * stride_qh + wo * stride_qw
    tl.store(q, convert(gx * mx, ggrid.dtype.element_ty), mask=pm)
    tl.store(q + stride_qk, convert(gy * my, ggrid.dtype.element_ty), mask=pm)


def _tiles(total, C):
    block = block_for(total, _BLOCK)
    bc = min(triton.next_power_of_2(max(C, 1)), 16)
    if block > _BLOCK:  # interpreter: a few big programs; keep the [BLOCK, BC] tile bounded
        block = max(_BLOCK, block // bc)
    return block, bc


def _meta(mode, padding_mode, align_corners, dtype):
    m = _MODES[mode]
    return dict(MODE=m, PAD=_PADS[padding_mode], ALIGN=bool(align_corners), NR=_TAPS[m][0], NT=_TAPS[m][1],
                CT=compute_tl(np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)))


def grid_sample(out, x, grid, mode, padding_mode, align_corners):
    N, C, N_H, N_W = out.shape
    total = N * N_H * N_W
    if out.size == 0:
        return
    H, W = x.shape[2:]
    block, bc = _tiles(total, C)
    i64 = needs_i64(x, grid, out, counts=(total + block,))
    launch(_gs_fwd_kernel, (cdiv(total, block),), x, grid, out, total, C, H, W, N_H, N_W, *x.strides, *grid.strides,
           *out.strides, I64=i64, BLOCK=block, BC=bc, num_warps=4,
           **_meta(mode, padding_mode, align_corners, out.dtype))


def grid_sample_backward(out, grad, x, grid, mode, padding_mode, align_corners):
    g_in, g_grid = out
    N, C, N_H, N_W = grad.shape
    total = N * N_H * N_W
    if total == 0 or C == 0:  # nothing sampled, or a grid gradient summed over no channels
        for a in out:
            if a.size:
                assign(a, 0.0)
        return
    acc_np = np.float64 if g_in.dtype == np.float64 else np.float32
    direct = g_in.dtype == acc_np
    acc = g_in if direct else CudaArray.empty(g_in.shape, acc_np, g_in.block.device_index)
    assign(acc, 0.0)
    H, W = x.shape[2:]
    block, bc = _tiles(total, C)
    i64 = needs_i64(x, grid, grad, acc, g_grid, counts=(total + block,))
    launch(_gs_bwd_kernel, (cdiv(total, block),), grad, x, grid, acc, g_grid, total, C, H, W, N_H, N_W,
           *grad.strides, *x.strides, *grid.strides, *acc.strides, *g_grid.strides, I64=i64, BLOCK=block, BC=bc,
           num_warps=4, **_meta(mode, padding_mode, align_corners, g_in.dtype))
    if not direct:
        assign(g_in, acc)


IMPLS = {"grid_sample": grid_sample, "grid_sample_backward": grid_sample_backward}
