"""Triton impls of softmax / log-softmax along any dim, forward and fused backward.

Layout: the reduced dim may have any stride (passed as ``XL``/``OL``...); every other dim is a
row index: those dims are collapsed host-side over all operands' strides (`collapse`, at most
`MAX_DIMS` after merging) and unravelled in the kernel (`unravel3`), so no operand is copied.
A program owns ``BM`` rows (``BM`` = 1 for long rows on a GPU) and works on ``[BM, BL]`` tiles.

Forward, one pass (``L <= ONE_PASS_MAX``, the row fits in registers): load the row once,
m = max, e = exp(x - m), s = sum(e), store e / s (or x - m - log s).  Bytes per element: one read
+ one write; ~4 FLOPs + 1 exp.
Forward, two passes (long rows): an online pass keeps a running max ``m`` and a sum ``s`` rescaled
by exp(m_old - m_new) whenever the max grows, then a normalise pass re-reads the row and stores.
Bytes: two reads + one write per element; ~6 FLOPs + 2 exps.  The running max is shifted by 0
while it is still -inf, so leading -inf tiles do not poison ``s``; a row of all -inf still gives
nan (exp(-inf - -inf)), as PyTorch does.

Backward, fused: softmax dx = y * (g - sum(g * y)); log-softmax dx = g - exp(y) * sum(g).  One
pass (two reads + one write per element) when the row fits, else a summing pass and a writing pass
(four reads + one write).

Fused: the ``dtype=`` cast of the input (loads convert to the output dtype, then to the compute
dtype: float32 for half types), the max shift, the exp/sum/normalise, and the output rounding.
"""
import triton
import triton.language as tl

from ._dtypes import compute_tl
from ._elementwise import collapse
from ._jit import convert, unravel3
from ._launch import SIZE_FOR_INTERPRETER, launch, cdiv
from ._reduce import MAX_DIMS

__all__ = ["IMPLS", "ONE_PASS_MAX"]

# Longest row kept whole in registers (one pass); longer rows take the two-pass kernels, walking
# the row in tiles of `_tile()` columns.  A module attribute so tests can force the long path.
ONE_PASS_MAX = 8192
# Elements per program in the interpreter (which pays per program and per op, not per element).
_INTERP_TILE = 1 << 16


@triton.jit
def _load(ptr, offs, mask, DT: tl.constexpr, CT: tl.constexpr):
    """Masked load, cast to ``DT`` (the ``dtype=`` cast) and then to the compute dtype ``CT``."""
    v = tl.load(ptr + offs, mask=mask)
    if ptr.dtype.element_ty != DT:
        v = convert(v, DT)
    if DT == tl.bfloat16:
        v = convert(v, CT)
    else:
        v = v.to(CT)
    return v


@triton.jit
def _store(ptr, offs, v, mask):
    if ptr.dtype.element_ty == tl.bfloat16:
        tl.store(ptr + offs, convert(v, tl.bfloat16), mask=mask)
    else:
        tl.store(ptr + offs, v.to(ptr.dtype.element_ty), mask=mask)


@triton.jit
def _rows(M, I64: tl.constexpr, BM: tl.constexpr, BL: tl.constexpr):
    pid = tl.program_id(0)
    if I64:
        m = pid.to(tl.int64) * BM + tl.arange(0, BM).to(tl.int64)
        cols = tl.arange(0, BL).to(tl.int64)
    else:
        m = pid * BM + tl.arange(0, BM)
        cols = tl.arange(0, BL)
    return m, cols


@triton.jit
def _softmax_fwd_kernel(x, out, M, L, KS1, KS2, KS3, KX0, KX1, KX2, KX3, KO0, KO1, KO2, KO3, XL, OL,
                        CT: tl.constexpr, LOG: tl.constexpr, ONE_PASS: tl.constexpr, KD: tl.constexpr,
                        I64: tl.constexpr, BM: tl.constexpr, BL: tl.constexpr):
    DT: tl.constexpr = out.dtype.element_ty
    m, cols = _rows(M, I64, BM, BL)
    mmask = m < M
    kx, ko, _ = unravel3(m, KS1, KS2, KS3, 1, KX0, KX1, KX2, KX3, 0, KO0, KO1, KO2, KO3, 0,
                         KO0, KO1, KO2, KO3, 0, KD)
    # Columns past L are -inf (they add exp(-inf) = 0); rows past M are 0, so unused lanes never
    # compute -inf - -inf or 0 / 0.
    pad = tl.where(mmask, float("-inf"), 0.0)[:, None]
    if ONE_PASS:
        mask = mmask[:, None] & (cols < L)[None, :]
        v = _load(x, kx[:, None] + cols[None, :] * XL, mask, DT, CT)
        v = tl.where(mask, v, pad)
        z = v - tl.max(v, 1)[:, None]
        e = tl.exp(z)
        s = tl.sum(e, 1)
        if LOG:
            r = z - tl.log(s)[:, None]
        else:
            r = e / s[:, None]
        _store(out, ko[:, None] + cols[None, :] * OL, r, mask)
    else:
        mx = tl.full([BM], float("-inf"), CT)
        s = tl.zeros([BM], CT)
        for l0 in range(0, L, BL):
            col = l0 + cols
            mask = mmask[:, None] & (col < L)[None, :]
            v = _load(x, kx[:, None] + col[None, :] * XL, mask, DT, CT)
            v = tl.where(mask, v, pad)
            mnew = tl.maximum(mx, tl.max(v, 1))
            shift = tl.where(mnew == float("-inf"), 0.0, mnew).to(CT)
            s = s * tl.exp(mx - shift) + tl.sum(tl.exp(v - shift[:, None]), 1)
            mx = mnew
        ls = tl.log(s)
        for l0 in range(0, L, BL):
            col = l0 + cols
            mask = mmask[:, None] & (col < L)[None, :]
            v = _load(x, kx[:, None] + col[None, :] * XL, mask, DT, CT)
            z = v - mx[:, None]
            if LOG:
                r = z - ls[:, None]
            else:
                r = tl.exp(z) / s[:, None]
            _store(out, ko[:, None] + col[None, :] * OL, r, mask)


@triton.jit
def _softmax_bwd_kernel(g, y, dx, M, L, KS1, KS2, KS3, KG0, KG1, KG2, KG3, KY0, KY1, KY2, KY3,
                        KD0, KD1, KD2, KD3, GL, YL, DL, CT: tl.constexpr, LOG: tl.constexpr,
                        ONE_PASS: tl.constexpr, KD: tl.constexpr, I64: tl.constexpr, BM: tl.constexpr,
                        BL: tl.constexpr):
    DT: tl.constexpr = dx.dtype.element_ty
    m, cols = _rows(M, I64, BM, BL)
    mmask = m < M
    kg, ky, kd = unravel3(m, KS1, KS2, KS3, 1, KG0, KG1, KG2, KG3, 0, KY0, KY1, KY2, KY3, 0,
                          KD0, KD1, KD2, KD3, 0, KD)
    if ONE_PASS:
        mask = mmask[:, None] & (cols < L)[None, :]
        gv = tl.where(mask, _load(g, kg[:, None] + cols[None, :] * GL, mask, DT, CT), 0.0)
        yv = tl.where(mask, _load(y, ky[:, None] + cols[None, :] * YL, mask, DT, CT), 0.0)
        if LOG:
            r = gv - tl.exp(yv) * tl.sum(gv, 1)[:, None]
        else:
            r = yv * (gv - tl.sum(gv * yv, 1)[:, None])
        _store(dx, kd[:, None] + cols[None, :] * DL, r, mask)
    else:
        s = tl.zeros([BM], CT)
        for l0 in range(0, L, BL):
            col = l0 + cols
            mask = mmask[:, None] & (col < L)[None, :]
            gv = tl.where(mask, _load(g, kg[:, None] + col[None, :] * GL, mask, DT, CT), 0.0)
            if LOG:
                s += tl.sum(gv, 1)
            else:
                yv = tl.where(mask, _load(y, ky[:, None] + col[None, :] * YL, mask, DT, CT), 0.0)
                s += tl.sum(gv * yv, 1)
        for l0 in range(0, L, BL):
            col = l0 + cols
            mask = mmask[:, None] & (col < L)[None, :]
            gv = _load(g, kg[:, None] + col[None, :] * GL, mask, DT, CT)
            yv = _load(y, ky[:, None] + col[None, :] * YL, mask, DT, CT)
            if LOG:
                r = gv - tl.exp(yv) * s[:, None]
            else:
                r = yv * (gv - s[:, None])
            _store(dx, kd[:, None] + col[None, :] * DL, r, mask)


def _plan(M, L):
    """(one_pass, BM, BL, num_warps) for M rows of length L."""
    np2 = triton.next_power_of_2
    one = L <= ONE_PASS_MAX
    bl = np2(L) if one else min(np2(ONE_PASS_MAX), 4096)
    if SIZE_FOR_INTERPRETER:
        return one, min(np2(M), max(1, _INTERP_TILE // bl)), bl, 4
    bm = min(np2(M), max(1, 1024 // bl))  # short rows: several per program, ~1K elements each
    return one, bm, bl, 4 if bm * bl <= 2048 else (8 if bm * bl <= 4096 else 16)


def _span(arrs):
    return max(a.offset + sum((n - 1) * abs(s) for n, s in zip(a.shape, a.strides)) for a in arrs)


def _select(a, d, i):
    return a.view_as(a.shape[:d] + a.shape[d + 1:], a.strides[:d] + a.strides[d + 1:], a.offset + i * a.strides[d])


def _run(kernel, arrs, dim, **meta):
    """Launch ``kernel`` over ``arrs`` (inputs..., output last) reduced along ``dim``."""
    out = arrs[-1]
    if out.size == 0:
        return
    if out.ndim == 0:
        arrs, dim = [a.view_as((1,), (0,)) for a in arrs], 0
        out = arrs[-1]
    L = out.shape[dim]
    kept = [d for d in range(out.ndim) if d != dim]
    kshape, ks = collapse([out.shape[d] for d in kept], [[a.strides[d] for d in kept] for a in arrs])
    if len(kshape) > MAX_DIMS:
        # Too many unmergeable dims (rare): one launch per index of the leading other dim.
        lead = kept[0]
        for i in range(out.shape[lead]):
            _run(kernel, [_select(a, lead, i) for a in arrs], dim - (lead < dim), **meta)
        return
    M = out.size // L
    one, bm, bl, warps = _plan(M, L)
    i64 = M + bm >= 2**31 or L + bl >= 2**31 or _span(arrs) >= 2**31
    args = [M, L] + (kshape + [1, 1, 1])[1:4]
    for k in ks:
        args += (k + [0] * 3)[:4]
    args += [a.strides[dim] for a in arrs]
    launch(kernel, (cdiv(M, bm),), *arrs, *args, CT=compute_tl(out.dtype), ONE_PASS=one, KD=len(kshape),
           I64=i64, BM=bm, BL=bl, num_warps=warps, **meta)


def softmax(out, x, dim, dtype=None):
    _run(_softmax_fwd_kernel, [x, out], dim, LOG=False)


def log_softmax(out, x, dim, dtype=None):
    _run(_softmax_fwd_kernel, [x, out], dim, LOG=True)


def softmax_backward(out, grad_out, y, dim):
    _run(_softmax_bwd_kernel, [grad_out, y, out], dim, LOG=False)


def log_softmax_backward(out, grad_out, y, dim):
    _run(_softmax_bwd_kernel, [grad_out, y, out], dim, LOG=True)


IMPLS = {"softmax": softmax, "log_softmax": log_softmax, "softmax_backward": softmax_backward,
         "log_softmax_backward": log_softmax_backward}
