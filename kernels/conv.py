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
from ._launch import SIZE_FOR_INTERPRETER, launch, cdiv

__all__ = ["IMPLS"]

_I32_MAX = 2 ** 31 - 1
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
def _im2col_kernel(x, out, R, L, CK, K, XN, XC, XS0, XS1, XS2, I0, I1, I2, O1, O2, K1, K2,
                   S0, S1, S2, D0, D1, D2, P0, P1, P2, ON, OR, OL,
                   I64: tl.constexpr, BR: tl.constexpr, BL: tl.constexpr):
    pid = tl.program_id(0)
    nl = tl.cdiv(L, BL)
    if I64:
        r = (pid // nl).to(tl.int64) * BR + tl.arange(0, BR).to(tl.int64)
        l = (pid % nl).to(tl.int64) * BL + tl.arange(0, BL).to(tl.int64)
    else:
        r = (pid // nl) * BR + tl.arange(0, BR)
        l = (pid % nl) * BL + tl.arange(0, BL)
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
    src = (n * XN + c * XC)[:, None] + h0 * XS0 + h1 * XS1 + h2 * XS2
    v = tl.load(x + src, mask=inside, other=0)
    tl.store(out + (n * ON + ck * OR)[:, None] + l[None, :] * OL, v, mask=mask)


@triton.jit
def _col2im_kernel(cols, out, R, P, C, K, CN, CR, CL, B0, B1, B2, Q1, Q2, K1, K2,
                   S0, S1, S2, D0, D1, D2, P0, P1, P2, ON, OC, OX0, OX1, OX2,
                   CT: tl.constexpr, I64: tl.constexpr, BR: tl.constexpr, BP: tl.constexpr):
    pid = tl.program_id(0)
    npp = tl.cdiv(P, BP)
    if I64:
        r = (pid // npp).to(tl.int64) * BR + tl.arange(0, BR).to(tl.int64)
        p = (pid % npp).to(tl.int64) * BP + tl.arange(0, BP).to(tl.int64)
    else:
        r = (pid // npp) * BR + tl.arange(0, BR)
        p = (pid % npp) * BP + tl.arange(0, BP)
    rmask = r < R
    pmask = p < P
    n = r // C
    c = r % C
    x0, x1, x2 = _split3(p, Q1, Q2)
    row = n * CN + c * K * CR
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
        v = tl.load(cols + (row + kk * CR)[:, None] + (blk * CL)[None, :], mask=rmask[:, None] & ok[None, :],
                    other=0)
        acc += convert(v, CT)
    dst = (n * ON + c * OC)[:, None] + (x0 * OX0 + x1 * OX1 + x2 * OX2)[None, :]
    tl.store(out + dst, convert(acc, out.dtype.element_ty), mask=rmask[:, None] & pmask[None, :])


def _pad3(vals, fill):
    return [fill] * (3 - len(vals)) + list(vals)


def _span(a):
    """Largest element offset ``a`` can reach (for the int64 switch)."""
    return a.offset + sum((n - 1) * abs(s) for n, s in zip(a.shape, a.strides) if n > 0)


def _tiles(rows, cols, gpu_rows, gpu_cols):
    """(rows, cols) per program: the GPU tile, or in the interpreter a few programs that cover a
    whole row of positions and as many rows as fit in `_INTERP_TILE` elements."""
    if not SIZE_FOR_INTERPRETER:
        return gpu_rows, gpu_cols
    bc = min(triton.next_power_of_2(cols), _INTERP_TILE)
    br = min(triton.next_power_of_2(rows), max(1, _INTERP_TILE // bc))
    return br, bc


def im2col(out, x, kernel_size, dilation, padding, stride, transposed=False):
    if out.size == 0:
        return
    if transposed:
        out = out.view_as((out.shape[1], out.shape[0], out.shape[2]), (out.strides[1], out.strides[0], out.strides[2]))
    n, ck, L = out.shape
    K = math.prod(kernel_size)
    k = _pad3(kernel_size, 1)
    dl = _pad3(dilation, 1)
    st = _pad3(stride, 1)
    pad = _pad3([lo for lo, _ in padding], 0)
    size = _pad3(x.shape[2:], 1)
    xs = _pad3(x.strides[2:], 0)
    blocks = _pad3([(s + lo + hi - d * (kk - 1) - 1) // t + 1 for s, (lo, hi), d, kk, t in
                    zip(x.shape[2:], padding, dilation, kernel_size, stride)], 1)
    R = n * ck
    i64 = max(_span(x), _span(out), R, L) > _I32_MAX
    br, bl = _tiles(R, L, *_IM2COL_TILE)
    launch(_im2col_kernel, (cdiv(R, br) * cdiv(L, bl),), x, out, R, L, ck, K, x.strides[0], x.strides[1],
           *xs, *size, blocks[1], blocks[2], k[1], k[2], *st, *dl, *pad, *out.strides,
           I64=i64, BR=br, BL=bl)


def col2im(out, cols, output_size, kernel_size, dilation, padding, stride):
    if out.size == 0:
        return
    n, c = out.shape[:2]
    K = math.prod(kernel_size)
    k = _pad3(kernel_size, 1)
    dl = _pad3(dilation, 1)
    st = _pad3(stride, 1)
    pad = _pad3([lo for lo, _ in padding], 0)
    osz = _pad3(output_size, 1)
    os_ = _pad3(out.strides[2:], 0)
    blocks = _pad3([(s + lo + hi - d * (kk - 1) - 1) // t + 1 for s, (lo, hi), d, kk, t in
                    zip(output_size, padding, dilation, kernel_size, stride)], 1)
    R, P = n * c, math.prod(output_size)
    i64 = max(_span(cols), _span(out), R * K, P) > _I32_MAX
    br, bp = _tiles(R, P, *_COL2IM_TILE)
    launch(_col2im_kernel, (cdiv(R, br) * cdiv(P, bp),), cols, out, R, P, c, K, *cols.strides, *blocks,
           osz[1], osz[2], k[1], k[2], *st, *dl, *pad, out.strides[0], out.strides[1], *os_,
           CT=compute_tl(out.dtype), I64=i64, BR=br, BP=bp)


IMPLS = {"im2col": im2col, "col2im": col2im}
