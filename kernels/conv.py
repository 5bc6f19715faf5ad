"""Triton impls of im2col (``F.unfold``, 1-3 spatial dims) and its adjoint col2im (``F.fold``).

Spatial dims are padded in front to three (size 1, stride/dilation 1, pad 0), so one kernel of
each kind serves conv1d/2d/3d.  Every operand is addressed through its strides (no copies).

im2col: a program owns a ``[BR, BL]`` tile of the (N * C * K, L) output: ``BR`` rows (n, channel,
kernel tap) by ``BL`` output positions.  Each element is one gathered load of
``x[n, c, o * stride - pad + tap * dilation]`` (0 outside the input: the zero padding is a load
mask, never materialised) and one coalesced store along L.  The convolution asks for the
(C * K, N, L) layout (its GEMM then covers the whole batch): the same kernel through permuted
output strides.  Bytes: one read + one write per
output element (K-fold duplication of the input, the cost im2col pays over implicit GEMM); no FLOPs.

col2im, gather form (no atomics): a program owns ``[BR, BP]`` output pixels (BR (n, c) rows by
BP output positions) and loops over the K kernel taps; tap t reaches pixel ``x`` from the sliding
position ``(x + pad - t * dilation) / stride`` when that is an integer inside the block grid.
Each pixel sums its <= K contributions in registers (fp32, fp64 for float64) and is written once.
Bytes: K masked reads + one write per output pixel (every column element is read exactly once
overall); one add per contribution.

Nothing else is fused here: the convolution's GEMM (with the bias in its epilogue) is the
matmul / fused-matmul kernel over these columns.  Going past im2col's extra K-fold column traffic
takes an implicit GEMM (the gather above done inside the matmul's K loop).
"""
import math

import triton
import triton.language as tl

from ._dtypes import compute_tl
from ._jit import convert
from ._launch import SIZE_FOR_INTERPRETER, launch, cdiv, needs_i64, pad

__all__ = ["IMPLS"]

# GPU tiles, rows x positions (positions are contiguous in the column matrix / the image): im2col's
# per-element 3-D index math needs ~128 registers per thread at 16 x 128 (col2im ~100), so both
# take 8 rows (32-64 registers with int32 indices, at most 124 and no spills with int64).
_IM2COL_TILE = (8, 128)
_COL2IM_TILE = (8, 128)
# Elements per program in the interpreter (which pays per program and per op, not per element).
_INTERP_TILE = 1 << 16


@triton.jit
def _split3(i, D1, D2):
    """Row-major coordinates of flat index ``i`` over (D0, D1, D2)."""
    return i // (D1 * D2), (i // D2) % D1, i % D2


@triton.jit
def _tile(n_cols, BR: tl.constexpr, BC: tl.constexpr, I64: tl.constexpr):
    """(rows, cols) of this program's [BR, BC] tile; programs walk ``n_cols`` columns fastest."""
    pid = tl.program_id(0)
    nc = tl.cdiv(n_cols, BC)
    if I64:
        r = (pid // nc).to(tl.int64) * BR + tl.arange(0, BR).to(tl.int64)
        c = (pid % nc).to(tl.int64) * BC + tl.arange(0, BC).to(tl.int64)
    else:
        r = (pid // nc) * BR + tl.arange(0, BR)
        c = (pid % nc) * BC + tl.arange(0, BC)
    return r, c


@triton.jit
def _im2col_kernel(x, out, R, L, CK, K, stride_xn, stride_xc, stride_x0, stride_x1, stride_x2, I0, I1, I2,
                   O1, O2, K1, K2, S0, S1, S2, D0, D1, D2, P0, P1, P2, stride_on, stride_or, stride_ol,
                   I64: tl.constexpr, BR: tl.constexpr, BL: tl.constexpr):
    """im2col.  Grid: (cdiv(R, BR) * cdiv(L, BL),).
    Pointers: x (N, C, I0, I1, I2) input, out (N, C * K, L) columns.  Sizes: R = N * C * K rows, L
    sliding positions over (O0, O1, O2), CK = C * K, K taps over (K0, K1, K2), input I0..I2,
    stride S0..S2, dilation D0..D2, left padding P0..P2.  Strides: stride_x{n,c,0,1,2},
    stride_o{n,r,l} (elements).  Constexprs: I64 int64 offsets, BR rows and BL positions per tile."""
    r, l = _tile(L, BR, BL, I64)
    n = r // CK
    ck = r % CK
    c = ck // K
    t0, t1, t2 = _split3(ck % K, K1, K2)
    o0, o1, o2 = _split3(l, O1, O2)
    h0 = o0[None, :] * S0 - P0 + t0[:, None] * D0
    h1 = o1[None, :] * S1 - P1 + t1[:, None] * D1
    h2 = o2[None, :] * S2 - P2 + t2[:, None] * D2
    mask = (r < R)[:, None] & (l < L)[None, :]
    inside = mask & (h0 >= 0) & (h0 < I0) & (h1 >= 0) & (h1 < I1) & (h2 >= 0) & (h2 < I2)
    src = (n * stride_xn + c * stride_xc)[:, None] + h0 * stride_x0 + h1 * stride_x1 + h2 * stride_x2
    v = tl.load(x + src, mask=inside, other=0)
    tl.store(out + (n * stride_on + ck * stride_or)[:, None] + l[None, :] * stride_ol, v, mask=mask)


@triton.jit
def _col2im_kernel(cols, out, R, P, C, K, stride_cn, stride_cr, stride_cl, B0, B1, B2, Q1, Q2, K1, K2,
                   S0, S1, S2, D0, D1, D2, P0, P1, P2, stride_on, stride_oc, stride_o0, stride_o1, stride_o2,
                   CT: tl.constexpr, I64: tl.constexpr, BR: tl.constexpr, BP: tl.constexpr):
    """col2im (gather form).  Grid: (cdiv(R, BR) * cdiv(P, BP),).
    Pointers: cols (N, C * K, B0 * B1 * B2) columns, out (N, C, Q0, Q1, Q2) image.  Sizes: R = N * C
    rows, P = Q0 * Q1 * Q2 pixels, C, K taps over (K0, K1, K2), B0..B2 sliding blocks per dim,
    Q1, Q2 image sizes, stride S0..S2, dilation D0..D2, left padding P0..P2.  Strides:
    stride_c{n,r,l} (cols), stride_o{n,c,0,1,2} (elements).  Constexprs: CT accumulation type, I64
    int64 offsets, BR rows and BP pixels per tile."""
    r, p = _tile(P, BR, BP, I64)
    rmask = r < R
    pmask = p < P
    n = r // C
    c = r % C
    x0, x1, x2 = _split3(p, Q1, Q2)
    row = n * stride_cn + c * K * stride_cr
    acc = tl.zeros([BR, BP], CT)
    for kk in range(0, K):
        t0 = kk // (K1 * K2)
        t1 = (kk // K2) % K1
        t2 = kk % K2
        # q = x + pad - tap * dilation must be a non-negative multiple of the stride (clamped
        # before % and // so negative values never meet C-style integer division).
        q0 = x0 + P0 - t0 * D0
        q1 = x1 + P1 - t1 * D1
        q2 = x2 + P2 - t2 * D2
        c0 = tl.maximum(q0, 0)
        c1 = tl.maximum(q1, 0)
        c2 = tl.maximum(q2, 0)
        ok = (pmask & (q0 >= 0) & (q1 >= 0) & (q2 >= 0) & (c0 % S0 == 0) & (c1 % S1 == 0) & (c2 % S2 == 0)
              & (c0 // S0 < B0) & (c1 // S1 < B1) & (c2 // S2 < B2))
        blk = ((c0 // S0) * B1 + c1 // S1) * B2 + c2 // S2
        v = tl.load(cols + (row + kk * stride_cr)[:, None] + (blk * stride_cl)[None, :],
                    mask=rmask[:, None] & ok[None, :], other=0)
        acc += convert(v, CT)
    dst = (n * stride_on + c * stride_oc)[:, None] + (x0 * stride_o0 + x1 * stride_o1 + x2 * stride_o2)[None, :]
    tl.store(out + dst, convert(acc, out.dtype.element_ty), mask=rmask[:, None] & pmask[None, :])


def _tiles(rows, cols, gpu_rows, gpu_cols):
    """(rows, cols) per program: the GPU tile, or in the interpreter a few programs that cover a
    whole row of positions and as many rows as fit in `_INTERP_TILE` elements."""
    if not SIZE_FOR_INTERPRETER:
        return gpu_rows, gpu_cols
    bc = min(triton.next_power_of_2(cols), _INTERP_TILE)
    br = min(triton.next_power_of_2(rows), max(1, _INTERP_TILE // bc))
    return br, bc


def _geometry(spatial, kernel_size, dilation, padding, stride):
    """Sliding blocks per dim and the kernel, stride, dilation and left-padding groups, each padded
    to three dims at the end (size-1 dims keep the row-major order of taps and positions)."""
    blocks = [(s + lo + hi - d * (k - 1) - 1) // t + 1
              for s, (lo, hi), d, k, t in zip(spatial, padding, dilation, kernel_size, stride)]
    return (pad(blocks, 3, 1), pad(kernel_size, 3, 1), pad(stride, 3, 1), pad(dilation, 3, 1),
            pad([lo for lo, _ in padding], 3))


def im2col(out, x, kernel_size, dilation, padding, stride, transposed=False):
    if out.size == 0:
        return
    if transposed:
        out = out.view_as((out.shape[1], out.shape[0], out.shape[2]), (out.strides[1], out.strides[0], out.strides[2]))
    n, ck, L = out.shape
    K = math.prod(kernel_size)
    blocks, k, st, dl, lo = _geometry(x.shape[2:], kernel_size, dilation, padding, stride)
    R = n * ck
    br, bl = _tiles(R, L, *_IM2COL_TILE)
    launch(_im2col_kernel, (cdiv(R, br) * cdiv(L, bl),), x, out, R, L, ck, K, *x.strides[:2], *pad(x.strides[2:], 3),
           *pad(x.shape[2:], 3, 1), blocks[1], blocks[2], k[1], k[2], *st, *dl, *lo, *out.strides,
           I64=needs_i64(x, out, counts=(R + br, L + bl)), BR=br, BL=bl)


def col2im(out, cols, output_size, kernel_size, dilation, padding, stride):
    if out.size == 0:
        return
    n, c = out.shape[:2]
    K = math.prod(kernel_size)
    blocks, k, st, dl, lo = _geometry(output_size, kernel_size, dilation, padding, stride)
    osz = pad(output_size, 3, 1)
    R, P = n * c, math.prod(output_size)
    br, bp = _tiles(R, P, *_COL2IM_TILE)
    launch(_col2im_kernel, (cdiv(R, br) * cdiv(P, bp),), cols, out, R, P, c, K, *cols.strides, *blocks,
           osz[1], osz[2], k[1], k[2], *st, *dl, *lo, *out.strides[:2], *pad(out.strides[2:], 3),
           CT=compute_tl(out.dtype), I64=needs_i64(cols, out, counts=(R * K, R + br, P + bp)), BR=br, BP=bp)


IMPLS = {"im2col": im2col, "col2im": col2im}
