"""Triton impls of the scans along one dim: cumsum and cumprod (``reverse`` = suffix scans).

Algorithm: the dims other than ``dim`` are collapsed (over the input's and the output's strides)
into ``M`` rows; a program owns ``BM`` rows and walks the scanned dim in ``[BM, BL]`` tiles: a
``tl.associative_scan`` (sum or product) of the tile, combined with the carry of the tiles before it (the
running total, taken from the tile's last column).  A reverse scan reads and writes through
views with the scanned dim's stride negated, so it is the same forward kernel.

Long scans with few rows are split into ``S`` chunks scanned in parallel (three launches): the
shared reduction template's stage 1 computes each chunk's total (`_reduce.partials`), a scan over
those ``S`` totals turns them into carries, and every chunk is then scanned starting from the
carry of the chunks before it.

Accumulation in the output's compute dtype (float32 for half types, int64 for integer inputs
unless ``dtype=``); each output is rounded once.  Bytes per element: input + output item sizes
(the split path reads the input twice); 1 FLOP per element.
"""
import triton
import triton.language as tl

from ._elementwise import collapse
from ._jit import convert, unravel3
from ._launch import SIZE_FOR_INTERPRETER, launch, cdiv
from ._reduce import SUM, PROD, comb_add, comb_mul, acc_ct, partials, split_count, MAX_DIMS, TILE


@triton.jit
def _scan_kernel(x, out, carry, M, L, CH, KS1, KS2, KS3, KX0, KX1, KX2, KX3, KO0, KO1, KO2, KO3, XL, OL,
                 CT: tl.constexpr, PROD: tl.constexpr, HAS_CARRY: tl.constexpr, KD: tl.constexpr,
                 I64: tl.constexpr, BM: tl.constexpr, BL: tl.constexpr):
    # Program (pid, split) scans rows [pid*BM, +BM) over [split*CH, +CH) of the scanned dim,
    # starting from carry[split - 1] (the inclusive total of the chunks before) when HAS_CARRY.
    pid = tl.program_id(0)
    split = tl.program_id(1)
    if I64:
        m = pid.to(tl.int64) * BM + tl.arange(0, BM).to(tl.int64)
        cols = tl.arange(0, BL).to(tl.int64)
        l_lo = split.to(tl.int64) * CH
    else:
        m = pid * BM + tl.arange(0, BM)
        cols = tl.arange(0, BL)
        l_lo = split * CH
    mmask = m < M
    kx, ko, _ = unravel3(m, KS1, KS2, KS3, 1, KX0, KX1, KX2, KX3, 0, KO0, KO1, KO2, KO3, 0, KO0, KO1, KO2, KO3, 0, KD)
    l_hi = tl.minimum(l_lo + CH, L)
    if PROD:
        c = tl.full([BM], 1, CT)
    else:
        c = tl.zeros([BM], CT)
    if HAS_CARRY:
        prev = mmask & (m * 0 + split > 0)  # (a bool scalar & a tensor is int in the interpreter)
        c = tl.where(prev, tl.load(carry + ((split - 1) * M + m), mask=prev), c)
    for l0 in range(l_lo, l_hi, BL):
        col = l0 + cols
        mask = mmask[:, None] & (col < l_hi)[None, :]
        v = tl.load(x + (kx[:, None] + col[None, :] * XL), mask=mask)
        # (convert only where needed: an interpreted nested jit call costs ~1 ms)
        if x.dtype.element_ty == tl.bfloat16:
            v = convert(v, CT)
        else:
            v = v.to(CT)
        # associative_scan with the reduction template's combine functions, not tl.cumsum/cumprod:
        # their dtype handling differs across Triton 3.6-3.9 (3.6's cumprod has no dtype=, 3.9's
        # promotes small ints without one).
        if PROD:
            s = (tl.associative_scan((v,), 1, comb_mul)[0] * c[:, None]).to(CT)
        else:
            s = (tl.associative_scan((v,), 1, comb_add)[0] + c[:, None]).to(CT)
        if out.dtype.element_ty == tl.bfloat16:
            r = convert(s, tl.bfloat16)
        else:
            r = s.to(out.dtype.element_ty)
        tl.store(out + (ko[:, None] + col[None, :] * OL), r, mask=mask)
        c = tl.sum(tl.where(cols[None, :] == BL - 1, s, 0), 1, dtype=CT)


def _blocks(M, L, inner_kept):
    np2 = triton.next_power_of_2
    if inner_kept and not SIZE_FOR_INTERPRETER:
        bm = min(np2(M), 64)
        return bm, min(np2(L), max(1, TILE // bm))
    bl = min(np2(L), TILE if SIZE_FOR_INTERPRETER else 1024)
    return min(np2(M), max(1, TILE // bl)), bl


def _span(shape, strides):
    return sum((n - 1) * abs(s) for n, s in zip(shape, strides))


def scan(out, x, dim, prod, reverse):
    """``out = cumsum/cumprod(x, dim)`` (``prod`` picks), accumulated in out's compute dtype."""
    if out.size == 0:
        return
    if x.ndim == 0:
        x, out, dim = x.view_as((1,), (0,)), out.view_as((1,), (0,)), 0
    L = x.shape[dim]
    if reverse:
        x = x.view_as(x.shape, x.strides[:dim] + (-x.strides[dim],) + x.strides[dim + 1:],
                      x.offset + (L - 1) * x.strides[dim])
        out = out.view_as(out.shape, out.strides[:dim] + (-out.strides[dim],) + out.strides[dim + 1:],
                          out.offset + (L - 1) * out.strides[dim])
    kept = [d for d in range(x.ndim) if d != dim]
    kshape, (kx, ko) = collapse([x.shape[d] for d in kept], [[x.strides[d] for d in kept],
                                                              [out.strides[d] for d in kept]])
    if len(kshape) > MAX_DIMS:
        # Too many unmergeable dims (rare): one launch per index of the leading other dim.
        lead = kept[0]
        for i in range(x.shape[lead]):
            scan(_select(out, lead, i), _select(x, lead, i), dim - (lead < dim), prod, False)
        return
    ct = acc_ct(out.dtype)
    M = out.size // L
    inner_kept = M > 1 and kx[-1] == 1 and abs(x.strides[dim]) != 1
    BM, BL = _blocks(M, L, inner_kept)
    S = split_count(cdiv(M, BM), L, BL)
    CH = cdiv(L, S)
    S = cdiv(L, CH)
    if SIZE_FOR_INTERPRETER and S > 1:
        BM, BL = _blocks(M, CH, inner_kept)
    i64 = (M * S >= 2**31 or L + CH >= 2**31 or
           _span(kshape, kx) + (L - 1) * abs(x.strides[dim]) + x.offset >= 2**31 or
           _span(kshape, ko) + (L - 1) * abs(out.strides[dim]) + out.offset >= 2**31)
    args = (kshape + [1, 1, 1])[1:4] + (kx + [0] * 3)[:4] + (ko + [0] * 3)[:4] + [x.strides[dim], out.strides[dim]]
    meta = dict(CT=ct, PROD=prod, KD=len(kshape), I64=i64, BM=BM, BL=BL)
    if S == 1:
        launch(_scan_kernel, (cdiv(M, BM), 1), x, out, out, M, L, L, *args, HAS_CARRY=False, **meta)
        return
    totals, = partials(PROD if prod else SUM, x, dim, ct, 1 if prod else 0, S, CH)
    BM2, BS = _blocks(M, S, False)
    launch(_scan_kernel, (cdiv(M, BM2), 1), totals, totals, totals, M, S, S, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0,
           M, M, CT=ct, PROD=prod, HAS_CARRY=False, KD=1, I64=i64, BM=BM2, BL=BS)
    launch(_scan_kernel, (cdiv(M, BM), S), x, out, totals, M, L, CH, *args, HAS_CARRY=True, **meta)


def _select(a, d, i):
    return a.view_as(a.shape[:d] + a.shape[d + 1:], a.strides[:d] + a.strides[d + 1:], a.offset + i * a.strides[d])


def cumsum(out, x, dim, dtype=None, reverse=False):
    scan(out, x, dim, False, reverse)


def cumprod(out, x, dim, dtype=None, reverse=False):
    scan(out, x, dim, True, reverse)
