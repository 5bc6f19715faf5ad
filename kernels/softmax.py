"""Triton impls of softmax / log-softmax along any dim, forward and fused backward.

Layout: the reduced dim may have any stride (passed as ``stride_xl``/``stride_ol``...); every other dim is a
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
Offsets are int32 unless an operand's span or the row / column count (with the last tile's
overshoot) needs int64.
"""
import triton
import triton.language as tl

from ._dtypes import compute_tl
from ._elementwise import collapse
from ._jit import convert, unravel3, row_block
from ._launch import SIZE_FOR_INTERPRETER, launch, cdiv, needs_i64, pad, select
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
    """Masked store of ``v`` rounded to ``ptr``'s dtype."""
    if ptr.dtype.element_ty == tl.bfloat16:
        tl.store(ptr + offs, convert(v, tl.bfloat16), mask=mask)
    else:
        tl.store(ptr + offs, v.to(ptr.dtype.element_ty), mask=mask)


@triton.jit
def _softmax_fwd_kernel(x, out, M, L, size_k1, size_k2, size_k3,
                        stride_xk0, stride_xk1, stride_xk2, stride_xk3,
                        stride_ok0, stride_ok1, stride_ok2, stride_ok3, stride_xl, stride_ol,
                        CT: tl.constexpr, LOG: tl.constexpr, ONE_PASS: tl.constexpr, KD: tl.constexpr,
                        I64: tl.constexpr, BM: tl.constexpr, BL: tl.constexpr):
    """Row-wise softmax / log-softmax.  Grid: (cdiv(M, BM),).
    Pointers: x input, out output (its dtype is the ``dtype=`` cast).  Sizes: M rows, L row length,
    size_k1..3 inner row dims.  Strides (elements): stride_xk* / stride_ok* along the row dims,
    stride_xl / stride_ol along the softmax dim.  Constexprs: CT compute dtype, LOG log-softmax,
    ONE_PASS (the row fits one BL tile), KD row dims, I64 int64 offsets, BM rows and BL columns
    per tile."""
    DT: tl.constexpr = out.dtype.element_ty
    m, cols = row_block(I64, BM, BL)
    mmask = m < M
    kx, ko, _ = unravel3(m, size_k1, size_k2, size_k3, 1, stride_xk0, stride_xk1, stride_xk2, stride_xk3, 0,
                         stride_ok0, stride_ok1, stride_ok2, stride_ok3, 0, stride_ok0, stride_ok1, stride_ok2,
                         stride_ok3, 0, KD)
    # Columns past L are -inf (they add exp(-inf) = 0); rows past M are 0, so unused lanes never
    # compute -inf - -inf or 0 / 0.
    fill_v = tl.where(mmask, float("-inf"), 0.0)[:, None]
    if ONE_PASS:
        mask = mmask[:, None] & (cols < L)[None, :]
        v = _load(x, kx[:, None] + cols[None, :] * stride_xl, mask, DT, CT)
        v = tl.where(mask, v, fill_v)
        z = v - tl.max(v, 1)[:, None]
        e = tl.exp(z)
        s = tl.sum(e, 1)
        if LOG:
            r = z - tl.log(s)[:, None]
        else:
            r = e / s[:, None]
        _store(out, ko[:, None] + cols[None, :] * stride_ol, r, mask)
    else:
        mx = tl.full([BM], float("-inf"), CT)
        s = tl.zeros([BM], CT)
        for l0 in range(0, L, BL):
            col = l0 + cols
            mask = mmask[:, None] & (col < L)[None, :]
            v = _load(x, kx[:, None] + col[None, :] * stride_xl, mask, DT, CT)
            v = tl.where(mask, v, fill_v)
            mnew = tl.maximum(mx, tl.max(v, 1))
            shift = tl.where(mnew == float("-inf"), 0.0, mnew).to(CT)
            s = s * tl.exp(mx - shift) + tl.sum(tl.exp(v - shift[:, None]), 1)
            mx = mnew
        ls = tl.log(s)
        for l0 in range(0, L, BL):
            col = l0 + cols
            mask = mmask[:, None] & (col < L)[None, :]
            v = _load(x, kx[:, None] + col[None, :] * stride_xl, mask, DT, CT)
            z = v - mx[:, None]
            if LOG:
                r = z - ls[:, None]
            else:
                r = tl.exp(z) / s[:, None]
            _store(out, ko[:, None] + col[None, :] * stride_ol, r, mask)


@triton.jit
def _softmax_bwd_kernel(g, y, dx, M, L, size_k1, size_k2, size_k3,
                        stride_gk0, stride_gk1, stride_gk2, stride_gk3, stride_yk0, stride_yk1, stride_yk2, stride_yk3,
                        stride_dk0, stride_dk1, stride_dk2, stride_dk3, stride_gl, stride_yl, stride_dl,
                        CT: tl.constexpr, LOG: tl.constexpr,
                        ONE_PASS: tl.constexpr, KD: tl.constexpr, I64: tl.constexpr, BM: tl.constexpr,
                        BL: tl.constexpr):
    """Fused softmax / log-softmax backward.  Grid: (cdiv(M, BM),).
    Pointers: g upstream gradient, y forward output, dx gradient (output).  Sizes: M rows, L row
    length, size_k1..3 inner row dims.  Strides (elements): stride_gk* / stride_yk* / stride_dk*
    along the row dims, stride_gl / stride_yl / stride_dl along the softmax dim.  Constexprs as in
    the forward kernel."""
    DT: tl.constexpr = dx.dtype.element_ty
    m, cols = row_block(I64, BM, BL)
    mmask = m < M
    kg, ky, kd = unravel3(m, size_k1, size_k2, size_k3, 1, stride_gk0, stride_gk1, stride_gk2, stride_gk3, 0,
                          stride_yk0, stride_yk1, stride_yk2, stride_yk3, 0, stride_dk0, stride_dk1, stride_dk2,
                          stride_dk3, 0, KD)
    if ONE_PASS:
        mask = mmask[:, None] & (cols < L)[None, :]
        gv = tl.where(mask, _load(g, kg[:, None] + cols[None, :] * stride_gl, mask, DT, CT), 0.0)
        yv = tl.where(mask, _load(y, ky[:, None] + cols[None, :] * stride_yl, mask, DT, CT), 0.0)
        if LOG:
            r = gv - tl.exp(yv) * tl.sum(gv, 1)[:, None]
        else:
            r = yv * (gv - tl.sum(gv * yv, 1)[:, None])
        _store(dx, kd[:, None] + cols[None, :] * stride_dl, r, mask)
    else:
        s = tl.zeros([BM], CT)
        for l0 in range(0, L, BL):
            col = l0 + cols
            mask = mmask[:, None] & (col < L)[None, :]
            gv = tl.where(mask, _load(g, kg[:, None] + col[None, :] * stride_gl, mask, DT, CT), 0.0)
            if LOG:
                s += tl.sum(gv, 1)
            else:
                yv = tl.where(mask, _load(y, ky[:, None] + col[None, :] * stride_yl, mask, DT, CT), 0.0)
                s += tl.sum(gv * yv, 1)
        for l0 in range(0, L, BL):
            col = l0 + cols
            mask = mmask[:, None] & (col < L)[None, :]
            gv = _load(g, kg[:, None] + col[None, :] * stride_gl, mask, DT, CT)
            yv = _load(y, ky[:, None] + col[None, :] * stride_yl, mask, DT, CT)
            if LOG:
                r = gv - tl.exp(yv) * s[:, None]
            else:
                r = yv * (gv - s[:, None])
            _store(dx, kd[:, None] + col[None, :] * stride_dl, r, mask)


def _plan(M, L):
    """(one_pass, BM, BL, num_warps) for M rows of length L."""
    np2 = triton.next_power_of_2
    one = L <= ONE_PASS_MAX
    bl = np2(L) if one else min(np2(ONE_PASS_MAX), 4096)
    if SIZE_FOR_INTERPRETER:
        return one, min(np2(M), max(1, _INTERP_TILE // bl)), bl, 4
    bm = min(np2(M), max(1, 1024 // bl))  # short rows: several per program, ~1K elements each
    return one, bm, bl, 4 if bm * bl <= 2048 else (8 if bm * bl <= 4096 else 16)


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
            _run(kernel, [select(a, lead, i) for a in arrs], dim - (lead < dim), **meta)
        return
    M = out.size // L
    one, bm, bl, warps = _plan(M, L)
    i64 = needs_i64(*arrs, counts=(M + bm, L + bl))
    args = [M, L] + pad(kshape[1:], 3, 1)
    for k in ks:
        args += pad(k, 4)
    args += [a.strides[dim] for a in arrs]
    launch(kernel, (cdiv(M, bm),), *arrs, *args, CT=compute_tl(out.dtype), ONE_PASS=one, KD=len(kshape),
           I64=i64, BM=bm, BL=bl, num_warps=warps, **meta)


def softmax(out, x, dim, dtype=None):
    """``dtype``: always passed by the registry; ``out``'s dtype already carries it (the kernel
    casts loads to out's dtype), so it is not read here."""
    _run(_softmax_fwd_kernel, [x, out], dim, LOG=False)


def log_softmax(out, x, dim, dtype=None):
    """``dtype``: carried by ``out``'s dtype, as in `softmax`."""
    _run(_softmax_fwd_kernel, [x, out], dim, LOG=True)


def softmax_backward(out, grad_out, y, dim):
    _run(_softmax_bwd_kernel, [grad_out, y, out], dim, LOG=False)


def log_softmax_backward(out, grad_out, y, dim):
    _run(_softmax_bwd_kernel, [grad_out, y, out], dim, LOG=True)


IMPLS = {"softmax": softmax, "log_softmax": log_softmax, "softmax_backward": softmax_backward,
         "log_softmax_backward": log_softmax_backward}
