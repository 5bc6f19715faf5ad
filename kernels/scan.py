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
(the split path reads the input twice); 1 FLOP per element.  Offsets are int32 unless an operand's
span, the row count or the scanned length (with the last tile's overshoot) needs int64.
"""
import triton
import triton.language as tl

from ._elementwise import collapse
from ._jit import convert, unravel3, row_block
from ._launch import SIZE_FOR_INTERPRETER, launch, cdiv, needs_i64, pad, select
from ._reduce import SUM, PROD, comb_add, comb_mul, acc_ct, partials, split_count, MAX_DIMS, TILE


@triton.jit
def _scan_kernel(x, out, carry, M, L, CH, size_k1, size_k2, size_k3,
                 stride_xk0, stride_xk1, stride_xk2, stride_xk3, stride_ok0, stride_ok1, stride_ok2, stride_ok3,
                 stride_xl, stride_ol,
                 CT: tl.constexpr, PROD: tl.constexpr, HAS_CARRY: tl.constexpr, KD: tl.constexpr,
                 I64: tl.constexpr, BM: tl.constexpr, BL: tl.constexpr):
    """Inclusive scan of ``M`` rows of length ``L``.  Grid: (cdiv(M, BM), S): program (pid, split)
    scans rows [pid*BM, +BM) over [split*CH, +CH) of the scanned dim, starting from
    carry[split - 1] (the inclusive total of the chunks before) when HAS_CARRY.
    Pointers: x input, out output, carry (S, M) chunk carries.  Sizes: M rows, L scanned length, CH
    per split, size_k1..3 inner row dims.  Strides (elements): stride_xk* / stride_ok* of x / out along
    the row dims, stride_xl / stride_ol along the scanned dim.  Constexprs: CT compute dtype, PROD
    product (else sum), HAS_CARRY, KD row dims, I64 int64 offsets, BM rows and BL columns per tile."""
    split = tl.program_id(1)
    m, cols = row_block(I64, BM, BL)
    if I64:
        l_lo = split.to(tl.int64) * CH
    else:
        l_lo = split * CH
    mmask = m < M
    kx, ko, _ = unravel3(m, size_k1, size_k2, size_k3, 1, stride_xk0, stride_xk1, stride_xk2, stride_xk3, 0,
                         stride_ok0, stride_ok1, stride_ok2, stride_ok3, 0, stride_ok0, stride_ok1, stride_ok2,
                         stride_ok3, 0, KD)
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
        v = tl.load(x + (kx[:, None] + col[None, :] * stride_xl), mask=mask)
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
        tl.store(out + (ko[:, None] + col[None, :] * stride_ol), r, mask=mask)
        c = tl.sum(tl.where(cols[None, :] == BL - 1, s, 0), 1, dtype=CT)


def _blocks(M, L, inner_kept):
    np2 = triton.next_power_of_2
    if inner_kept and not SIZE_FOR_INTERPRETER:
        bm = min(np2(M), 64)
        return bm, min(np2(L), max(1, TILE // bm))
    bl = min(np2(L), TILE if SIZE_FOR_INTERPRETER else 1024)
    return min(np2(M), max(1, TILE // bl)), bl


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
            scan(select(out, lead, i), select(x, lead, i), dim - (lead < dim), prod, False)
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
    BM2, BS = _blocks(M, S, False) if S > 1 else (BM, BL)  # the carries' scan
    i64 = needs_i64((kshape + [L], kx + [x.strides[dim]]), (kshape + [L], ko + [out.strides[dim]]),
                    counts=(M * S, M + max(BM, BM2), L + CH, L + BL))
    args = pad(kshape[1:], 3, 1) + pad(kx, 4) + pad(ko, 4) + [x.strides[dim], out.strides[dim]]
    meta = dict(CT=ct, PROD=prod, KD=len(kshape), I64=i64, BM=BM, BL=BL)
    if S == 1:
        launch(_scan_kernel, (cdiv(M, BM), 1), x, out, out, M, L, L, *args, HAS_CARRY=False, **meta)
        return
    totals, = partials(PROD if prod else SUM, x, dim, ct, 1 if prod else 0, S, CH)
    launch(_scan_kernel, (cdiv(M, BM2), 1), totals, totals, totals, M, S, S, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0,
           M, M, CT=ct, PROD=prod, HAS_CARRY=False, KD=1, I64=i64, BM=BM2, BL=BS)
    launch(_scan_kernel, (cdiv(M, BM), S), x, out, totals, M, L, CH, *args, HAS_CARRY=True, **meta)


def cumsum(out, x, dim, dtype=None, reverse=False):
    """``dtype``: passed positionally by the registry; ``out``'s dtype already carries it."""
    scan(out, x, dim, False, reverse)


def cumprod(out, x, dim, dtype=None, reverse=False):
    """``dtype``: passed positionally by the registry; ``out``'s dtype already carries it."""
    scan(out, x, dim, True, reverse)
