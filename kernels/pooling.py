"""Triton kernels of the pooling family: max / avg / adaptive pools over 1-3 trailing spatial dims,
forward and backward.

Layout: every operand is viewed as ``(N, C, S1, S2, S3)`` (unbatched inputs get N = 1 with stride 0,
1-d/2-d pools get leading spatial dims of size 1), with its own element strides passed to the
kernel, so transposed, sliced and offset inputs and ``out=`` views are read and written in place.

Forward (`_pool_fwd_kernel`): one lane per output element (``BLOCK`` outputs per program, flat
index unravelled in the kernel).  A lane walks its window's taps row-major (runtime loops over at
most K1 x K2 x K3 taps; adaptive windows loop to the longest window and mask the rest): masked
loads, so padding never touches memory.  Max keeps the running value and its flat in-plane index
(update when greater, when NaN, or on the first valid tap: torch's rule, so NaN propagates and ties
keep the first maximum); avg sums in the compute dtype (float32 for half types) and divides once by
the torch divisor (``divisor_override``, else the window clipped to input + padding with
``count_include_pad``, else the count of input taps; adaptive: the window size).
Bytes: one read per tap (neighbouring windows overlap, so DRAM traffic is ~one read of the input
when windows cover it) + one write per output (+ 8 bytes of index for max).  FLOPs: ~1-2 per tap.

Backward (`_pool_bwd_kernel`), a gather by input (deterministic, no atomics): one lane per input
element enumerates the outputs whose window can cover it (per dim ``o`` in
``[ceil((i + p - (k-1)d) / s), floor((i + p) / s)]``, adaptive: ``[floor(i*Out/In),
floor(((i+1)*Out - 1)/In)]``) and sums ``grad[o]`` where ``indices[o]`` is this element (max) or
``grad[o] / divisor[o]`` (avg).  Bytes: one write per input element + per covering output one grad
read (+ one index read for max); the number of covering outputs is ~(k/s)^D.

Fused: the padding (as masks), the divisor, the index bookkeeping, the half-type compute and the
output rounding; the window geometry of all dims, both pool kinds and adaptive windows share the
two kernels through constexpr flags.
"""
import triton
import triton.language as tl

from ._dtypes import compute_tl
from ._jit import convert, flat_index, unravel_ncs3
from ._launch import launch, block_for, cdiv, needs_i64, pad

__all__ = ["IMPLS"]

_GPU_BLOCK = 512


@triton.jit
def _window(o, I, O, K, S, P, ADAPTIVE: tl.constexpr):
    """(first position, length) of output ``o``'s window along one dim (length K for regular pools)."""
    if ADAPTIVE:
        lo = (o * I) // O
        n = ((o + 1) * I + O - 1) // O - lo
    else:
        lo = o * S - P
        n = lo * 0 + K
    return lo, n


@triton.jit
def _count(o, I, O, K, S, P, ADAPTIVE: tl.constexpr, INCLUDE_PAD: tl.constexpr):
    """Output ``o``'s avg divisor factor along one dim."""
    lo, n = _window(o, I, O, K, S, P, ADAPTIVE)
    if ADAPTIVE:
        c = n
    elif INCLUDE_PAD:
        c = tl.minimum(lo + K, I + P) - lo
    else:
        c = tl.minimum(lo + K, I) - tl.maximum(lo, 0)
    return c


@triton.jit
def _cover(i, I, O, K, S, P, DL, ADAPTIVE: tl.constexpr):
    """First and last output whose window (along one dim) can contain input position ``i``."""
    if ADAPTIVE:
        lo = (i * O) // I
        hi = ((i + 1) * O - 1) // I
    else:
        a = i + P - (K - 1) * DL
        lo = tl.where(a > 0, (a + S - 1) // S, 0)
        hi = tl.minimum((i + P) // S, O - 1)
    return lo, hi



@triton.jit
def _divisor(o1, o2, o3, I1, I2, I3, O1, O2, O3, K1, K2, K3, S1, S2, S3, P1, P2, P3, DIV,
             CT: tl.constexpr, ADAPTIVE: tl.constexpr, INCLUDE_PAD: tl.constexpr, HAS_DIV: tl.constexpr):
    """The avg divisor of output (o1, o2, o3): ``DIV`` when overridden, else the product of `_count`."""
    if HAS_DIV:
        div = (o1 * 0 + DIV).to(CT)
    else:
        div = (_count(o1, I1, O1, K1, S1, P1, ADAPTIVE, INCLUDE_PAD)
               * _count(o2, I2, O2, K2, S2, P2, ADAPTIVE, INCLUDE_PAD)
               * _count(o3, I3, O3, K3, S3, P3, ADAPTIVE, INCLUDE_PAD)).to(CT)
    return div


@triton.jit
def _pool_fwd_kernel(x, out, idx, T, C, O1, O2, O3, I1, I2, I3, K1, K2, K3, S1, S2, S3, P1, P2, P3,
                     D1, D2, D3, stride_xn, stride_xc, stride_x1, stride_x2, stride_x3,
                     stride_yn, stride_yc, stride_y1, stride_y2, stride_y3,
                     stride_zn, stride_zc, stride_z1, stride_z2, stride_z3, DIV,
                     CT: tl.constexpr, IS_MAX: tl.constexpr, ADAPTIVE: tl.constexpr,
                     INCLUDE_PAD: tl.constexpr, HAS_DIV: tl.constexpr, I64: tl.constexpr,
                     BLOCK: tl.constexpr):
    """Max / avg / adaptive pool forward.  Grid: (cdiv(T, BLOCK),).
    Pointers: x (N, C, I1, I2, I3) input, out (N, C, O1, O2, O3) values, idx (same shape) int64
    flat-in-plane argmax (max only; else a placeholder).  Sizes: T outputs, C channels, output
    O1..O3, input I1..I3, kernel K1..K3 (adaptive: the longest window), stride S1..S3, padding
    P1..P3, dilation D1..D3, DIV the divisor override.  Strides: stride_x*, stride_y* (out),
    stride_z* (idx) over (n, c, 1, 2, 3), elements.  Constexprs: CT compute type, IS_MAX, ADAPTIVE,
    INCLUDE_PAD (count_include_pad), HAS_DIV, I64 int64 offsets, BLOCK outputs per program."""
    t = flat_index(BLOCK, I64)
    mask = t < T
    n, c, o1, o2, o3 = unravel_ncs3(t, C, O1, O2, O3)
    lo1, n1 = _window(o1, I1, O1, K1, S1, P1, ADAPTIVE)
    lo2, n2 = _window(o2, I2, O2, K2, S2, P2, ADAPTIVE)
    lo3, n3 = _window(o3, I3, O3, K3, S3, P3, ADAPTIVE)
    base = x + (n * stride_xn + c * stride_xc)
    if IS_MAX:
        m = tl.full([BLOCK], float("-inf"), CT)
        mi = tl.full([BLOCK], -1, tl.int64)
    else:
        acc = tl.zeros([BLOCK], CT)
    for j1 in range(K1):
        p1 = lo1 + j1 * D1
        v1 = mask & (j1 < n1) & (p1 >= 0) & (p1 < I1)
        for j2 in range(K2):
            p2 = lo2 + j2 * D2
            v2 = v1 & (j2 < n2) & (p2 >= 0) & (p2 < I2)
            for j3 in range(K3):
                p3 = lo3 + j3 * D3
                valid = v2 & (j3 < n3) & (p3 >= 0) & (p3 < I3)
                v = convert(tl.load(base + p1 * stride_x1 + p2 * stride_x2 + p3 * stride_x3, mask=valid, other=0), CT)
                if IS_MAX:
                    upd = valid & ((v > m) | (v != v) | (mi < 0))
                    m = tl.where(upd, v, m)
                    mi = tl.where(upd, ((p1 * I2 + p2) * I3 + p3).to(tl.int64), mi)
                else:
                    acc += v
    dst = n * stride_yn + c * stride_yc + o1 * stride_y1 + o2 * stride_y2 + o3 * stride_y3
    if IS_MAX:
        tl.store(out + dst, convert(m, out.dtype.element_ty), mask=mask)
        zdst = n * stride_zn + c * stride_zc + o1 * stride_z1 + o2 * stride_z2 + o3 * stride_z3
        tl.store(idx + zdst, mi, mask=mask)
    else:
        div = _divisor(o1, o2, o3, I1, I2, I3, O1, O2, O3, K1, K2, K3, S1, S2, S3, P1, P2, P3, DIV,
                       CT, ADAPTIVE, INCLUDE_PAD, HAS_DIV)
        tl.store(out + dst, convert(acc / div, out.dtype.element_ty), mask=mask)


@triton.jit
def _pool_bwd_kernel(g, idx, dx, T, C, I1, I2, I3, O1, O2, O3, K1, K2, K3, S1, S2, S3, P1, P2, P3,
                     D1, D2, D3, J1, J2, J3, stride_gn, stride_gc, stride_g1, stride_g2, stride_g3,
                     stride_zn, stride_zc, stride_z1, stride_z2, stride_z3,
                     stride_xn, stride_xc, stride_x1, stride_x2, stride_x3, DIV,
                     CT: tl.constexpr, IS_MAX: tl.constexpr, ADAPTIVE: tl.constexpr,
                     INCLUDE_PAD: tl.constexpr, HAS_DIV: tl.constexpr, I64: tl.constexpr,
                     BLOCK: tl.constexpr):
    """Pool input gradient, a gather over the outputs covering each input.  Grid: (cdiv(T, BLOCK),).
    Pointers: g (N, C, O1, O2, O3) grad_output, idx (same shape) argmax (max only; else a
    placeholder), dx (N, C, I1, I2, I3) grad_input.  Sizes: T inputs, C, geometry as the forward's,
    J1..J3 the most outputs covering one input per dim.  Strides: stride_g* (grad), stride_z* (idx),
    stride_x* (dx) over (n, c, 1, 2, 3), elements.  Constexprs as the forward's (BLOCK inputs per
    program)."""
    t = flat_index(BLOCK, I64)
    mask = t < T
    n, c, i1, i2, i3 = unravel_ncs3(t, C, I1, I2, I3)
    lo1, hi1 = _cover(i1, I1, O1, K1, S1, P1, D1, ADAPTIVE)
    lo2, hi2 = _cover(i2, I2, O2, K2, S2, P2, D2, ADAPTIVE)
    lo3, hi3 = _cover(i3, I3, O3, K3, S3, P3, D3, ADAPTIVE)
    gbase = g + (n * stride_gn + c * stride_gc)
    zbase = idx + (n * stride_zn + c * stride_zc)
    me = ((i1 * I2 + i2) * I3 + i3).to(tl.int64)
    acc = tl.zeros([BLOCK], CT)
    for a1 in range(J1):
        o1 = lo1 + a1
        v1 = mask & (o1 <= hi1)
        for a2 in range(J2):
            o2 = lo2 + a2
            v2 = v1 & (o2 <= hi2)
            for a3 in range(J3):
                o3 = lo3 + a3
                valid = v2 & (o3 <= hi3)
                gv = convert(tl.load(gbase + o1 * stride_g1 + o2 * stride_g2 + o3 * stride_g3, mask=valid, other=0),
                             CT)
                if IS_MAX:
                    w = tl.load(zbase + o1 * stride_z1 + o2 * stride_z2 + o3 * stride_z3, mask=valid, other=-1)
                    acc += tl.where(valid & (w == me), gv, 0.0)
                else:
                    div = _divisor(o1, o2, o3, I1, I2, I3, O1, O2, O3, K1, K2, K3, S1, S2, S3, P1, P2, P3, DIV,
                                   CT, ADAPTIVE, INCLUDE_PAD, HAS_DIV)
                    acc += tl.where(valid, gv / tl.where(valid, div, 1.0), 0.0)
    dst = n * stride_xn + c * stride_xc + i1 * stride_x1 + i2 * stride_x2 + i3 * stride_x3
    tl.store(dx + dst, convert(acc, dx.dtype.element_ty), mask=mask)


# --- host side ---------------------------------------------------------------------------------

def _view5(a, D):
    """(N, C, S1, S2, S3) sizes and strides of ``a`` = ``(N?, C, *spatial[D])``: an unbatched input
    gets N = 1 (stride 0), missing spatial dims size 1 at the end (the row-major order is unchanged)."""
    shape, strides = list(a.shape), list(a.strides)
    if len(shape) == D + 1:
        shape, strides = [1] + shape, [0] + strides
    return shape[:2] + pad(shape[2:], 3, 1), strides[:2] + pad(strides[2:], 3)


def _geometry(kernel, stride, padding, dilation):
    """The kernel, stride, padding and dilation argument groups, each padded to three dims."""
    return pad(kernel, 3, 1) + pad(stride, 3, 1) + pad(padding, 3) + pad(dilation, 3, 1)


def _forward(x, out, idx, D, kernel, stride, padding, dilation, adaptive, is_max, include_pad=True, divisor=None):
    if out.size == 0:
        return
    xs, xst = _view5(x, D)
    ys, yst = _view5(out, D)
    zst = _view5(idx, D)[1] if is_max else [0] * 5
    T = out.size
    blk = block_for(T, _GPU_BLOCK)
    i64 = needs_i64(x, out, idx if is_max else None, counts=(T + blk,))
    launch(_pool_fwd_kernel, (cdiv(T, blk),), x, out, idx if is_max else out, T, xs[1], *ys[2:], *xs[2:],
           *_geometry(kernel, stride, padding, dilation), *xst, *yst, *zst, divisor or 0,
           CT=compute_tl(out.dtype), IS_MAX=is_max, ADAPTIVE=adaptive, INCLUDE_PAD=include_pad,
           HAS_DIV=divisor is not None, I64=i64, BLOCK=blk, num_warps=4)


def _backward(g, idx, dx, D, kernel, stride, padding, dilation, taps, adaptive, is_max, include_pad=True,
              divisor=None):
    if dx.size == 0:
        return
    gs, gst = _view5(g, D)
    xs, xst = _view5(dx, D)
    zst = _view5(idx, D)[1] if is_max else [0] * 5
    T = dx.size
    blk = block_for(T, _GPU_BLOCK)
    i64 = needs_i64(g, dx, idx if is_max else None, counts=(T + blk,))
    launch(_pool_bwd_kernel, (cdiv(T, blk),), g, idx if is_max else g, dx, T, xs[1], *xs[2:], *gs[2:],
           *_geometry(kernel, stride, padding, dilation), *pad(taps, 3, 1), *gst, *zst, *xst, divisor or 0,
           CT=compute_tl(dx.dtype), IS_MAX=is_max, ADAPTIVE=adaptive, INCLUDE_PAD=include_pad,
           HAS_DIV=divisor is not None, I64=i64, BLOCK=blk, num_warps=4)


def _adaptive_taps(sp_in, sp_out):
    """Longest adaptive window per dim: ceil(In/Out) or one more where windows straddle."""
    taps = []
    for n, o in zip(sp_in, sp_out):
        exact = o <= 4096  # a host loop over a few windows; past that, the bound (masked in the kernel)
        taps.append(max(((i + 1) * n + o - 1) // o - (i * n) // o for i in range(o)) if exact else -(-n // o) + 1)
    return taps


def _regular_cover(kernel, stride, dilation):
    """Most outputs whose window covers one input position, per dim."""
    return [(k - 1) * d // s + 1 for k, s, d in zip(kernel, stride, dilation)]


def max_pool(out, x, kernel, stride, padding, dilation, ceil_mode):
    """``ceil_mode`` is spent by the meta on the output length (``out``'s shape); a last window that
    overhangs the input + padding only has more masked (-inf) taps, so it is not read here."""
    vals, idx = out
    _forward(x, vals, idx, len(kernel), kernel, stride, padding, dilation, False, True)


def max_pool_backward(out, grad, indices, input_shape, kernel, stride, padding, dilation):
    _backward(grad, indices, out, len(kernel), kernel, stride, padding, dilation,
              _regular_cover(kernel, stride, dilation), False, True)


def avg_pool(out, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """``ceil_mode`` is spent by the meta on the output length (``out``'s shape).  Where it matters,
    the divisor of ceil_mode's overhanging last window, torch clips the window to ``input +
    padding`` (``count_include_pad``) or to the input, and so do the divisors here: it is not read."""
    D = len(kernel)
    _forward(x, out, None, D, kernel, stride, padding, (1,) * D, False, False, count_include_pad, divisor_override)


def avg_pool_backward(out, grad, input_shape, kernel, stride, padding, ceil_mode, count_include_pad,
                      divisor_override):
    """``ceil_mode``: as in `avg_pool`, carried by ``grad``'s shape (checked by the meta); not read."""
    D = len(kernel)
    _backward(grad, None, out, D, kernel, stride, padding, (1,) * D, _regular_cover(kernel, stride, (1,) * D),
              False, False, count_include_pad, divisor_override)


def adaptive_max_pool(out, x, output_size):
    vals, idx = out
    D = len(output_size)
    if vals.size:
        taps = _adaptive_taps(x.shape[-D:], output_size)
        _forward(x, vals, idx, D, taps, (1,) * D, (0,) * D, (1,) * D, True, True)


def _adaptive_cover(input_shape, grad, dims):
    """Most outputs whose adaptive window covers one input position, per dim (none for an empty
    output: the input gradient is then all zeros)."""
    if grad.size == 0:
        return [0] * dims
    return [(o - 1) // n + 2 for n, o in zip(tuple(input_shape)[-dims:], grad.shape[-dims:])]


def adaptive_max_pool_backward(out, grad, indices, input_shape, dims):
    ones = (1,) * dims
    _backward(grad, indices, out, dims, ones, ones, (0,) * dims, ones, _adaptive_cover(input_shape, grad, dims),
              True, True)


def adaptive_avg_pool(out, x, output_size):
    D = len(output_size)
    if out.size:
        taps = _adaptive_taps(x.shape[-D:], output_size)
        _forward(x, out, None, D, taps, (1,) * D, (0,) * D, (1,) * D, True, False)


def adaptive_avg_pool_backward(out, grad, input_shape, dims):
    ones = (1,) * dims
    _backward(grad, None, out, dims, ones, ones, (0,) * dims, ones, _adaptive_cover(input_shape, grad, dims),
              True, False)


IMPLS = {"max_pool": max_pool, "max_pool_backward": max_pool_backward, "avg_pool": avg_pool,
         "avg_pool_backward": avg_pool_backward, "adaptive_max_pool": adaptive_max_pool,
         "adaptive_max_pool_backward": adaptive_max_pool_backward, "adaptive_avg_pool": adaptive_avg_pool,
         "adaptive_avg_pool_backward": adaptive_avg_pool_backward}
