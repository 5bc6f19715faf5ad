"""Triton kernels of the loss family: fused cross-entropy from logits, and nll_loss.

Layout: the class dim (dim 1; dim 0 of a 1-d input) may have any stride (``stride_xc``, ``stride_tc``,
``stride_dc``);
every other dim is a row index, collapsed host-side over the operands' strides (`collapse`, at most
`MAX_DIMS` dims) and unravelled in the kernel (`unravel3`), so (N, C, d1, ...) inputs need no
permute copy.  Per-row side arrays (stats, nll's target weights, row gradients) are contiguous in row
order (a broadcast scalar gradient keeps stride 0); class weights are read as a contiguous (C,) vector
(a strided one is copied: C elements).
A program owns ``BM`` rows and walks the classes in ``[BM, BL]`` tiles (``BM`` = 1 and ``BL`` = 4096
for vocabulary-sized rows on a GPU; the interpreter takes whole tensors in one program).

cross_entropy_loss (forward), one pass over the logits: an online logsumexp (running max ``mx`` and
exp-sum ``s`` rescaled when the max grows), the target logit gathered by one load per row, and -- for
label smoothing or probability targets -- S = sum_c w_c q_c and A = sum_c w_c q_c (x_c - mx) (kept
relative to the running max, re-based when it grows, so large logits lose no precision).  Per row:
loss = (1 - ls) w_t (mx - x_t + log s) + S_smooth log s - A (class index), S log s - A (probabilities).
Writes the loss and four stats per row (mx, log s, S, mean weight) -- all the backward needs; no (N, C)
buffer.  Bytes: one read of the logits (+ one of probability targets); ~5 FLOPs + 1 exp per element
(~9 with label smoothing or probability targets).
cross_entropy_loss_backward, one pass: dx = g * (exp(x - mx - log s) * S - w q), reading the logits (and
probability targets) once and writing dx once; ~6 FLOPs + 1 exp per element.
Out-of-range class indices: the forward kernel stores an offending index into a one-element int64
buffer that the host reads back after the launch (one sync) to raise PyTorch's IndexError.
nll_loss: a per-row gather (-w_t x_t); nll_loss_backward a dense write of -w_t g at the target and 0
elsewhere (one write per element).
Fused: the half -> float32 compute cast, the weights, ignore_index masking, label smoothing, the row
statistics, and the output rounding.
Offsets are int32 unless an operand's span (the stats rows included) or the row / class count (with
the last tile's overshoot) needs int64.
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray
from tritorch.cuda.memory import copy_from_host, copy_to_host
from ._dtypes import compute_tl
from ._elementwise import collapse, assign
from ._jit import convert, as_f64, unravel3, row_block
from ._launch import SIZE_FOR_INTERPRETER, launch, cdiv, needs_i64, pad
from ._reduce import MAX_DIMS

__all__ = ["IMPLS", "CHUNK"]

# Class tile width (the chunk of a long row held in registers); None = 4096 on a GPU, whole rows up to
# 64K elements in the interpreter.  A module attribute so tests can force the multi-chunk loop.
CHUNK = None
_INTERP_TILE = 1 << 16


@triton.jit
def _ld(ptr, offs, mask, CT: tl.constexpr):
    """Masked load converted to the compute dtype ``CT``."""
    return convert(tl.load(ptr + offs, mask=mask), CT)


@triton.jit
def _st(ptr, offs, v, mask):
    """Masked store of ``v`` converted to ``ptr``'s dtype."""
    tl.store(ptr + offs, convert(v, ptr.dtype.element_ty), mask=mask)


@triton.jit
def _target(tgt, kt, mmask, C, ignore_index, err, CHECK: tl.constexpr):
    """(ok mask, safe class index) of class-index targets; out-of-range ones go to ``err``."""
    t = tl.load(tgt + kt, mask=mmask, other=0).to(tl.int64)
    valid = mmask & (t != ignore_index)
    bad = valid & ((t < 0) | (t >= C))
    if CHECK:
        tl.store(err + kt * 0, t, mask=bad)
    ok = valid & (t >= 0) & (t < C)
    return ok, tl.where(ok, t, 0)


@triton.jit
def _ce_fwd_kernel(x, tgt, w, loss, stats, err, M, C, size_k1, size_k2, size_k3,
                   stride_xk0, stride_xk1, stride_xk2, stride_xk3, stride_tk0, stride_tk1, stride_tk2, stride_tk3,
                   stride_lk0, stride_lk1, stride_lk2, stride_lk3, stride_xc, stride_tc, ignore_index,
                   ls: tl.float64, PROB: tl.constexpr, HAS_W: tl.constexpr, SMOOTH: tl.constexpr, KD: tl.constexpr,
                   I64: tl.constexpr, BM: tl.constexpr, BL: tl.constexpr):
    """Cross-entropy forward from logits, one pass per row.  Grid: (cdiv(M, BM),).
    Pointers: x (rows, C) logits, tgt class indices or probabilities, w (C,) class weights (x when
    absent), loss per-row output, stats (M, 4) row statistics (contiguous), err (1,) out-of-range
    index.  Sizes: M rows, C classes, size_k1..3 inner row dims.  Strides (elements): stride_xk* /
    stride_tk* / stride_lk* of x, tgt and loss along the row dims, stride_xc / stride_tc along the
    class dim.  Scalars: ignore_index, ls label smoothing.  Constexprs: PROB probability targets,
    HAS_W, SMOOTH, KD row dims, I64 int64 offsets, BM rows and BL classes per tile."""
    CT: tl.constexpr = stats.dtype.element_ty
    m, cols = row_block(I64, BM, BL)
    mmask = m < M
    kx, kt, kl = unravel3(m, size_k1, size_k2, size_k3, 1, stride_xk0, stride_xk1, stride_xk2, stride_xk3, 0,
                          stride_tk0, stride_tk1, stride_tk2, stride_tk3, 0, stride_lk0, stride_lk1, stride_lk2,
                          stride_lk3, 0, KD)
    lsv = as_f64(ls).to(CT)
    smooth_c = lsv / C
    mx = tl.full([BM], float("-inf"), CT)
    s = tl.zeros([BM], CT)
    S = tl.zeros([BM], CT)
    A = tl.zeros([BM], CT)
    if not PROB:
        ok, tc = _target(tgt, kt, mmask, C, ignore_index, err, True)
        xt = tl.where(ok, _ld(x, kx + tc * stride_xc, ok, CT), 0.0)
        if HAS_W:
            wt = tl.where(ok, _ld(w, tc, ok, CT), 0.0)
        else:
            wt = tl.where(ok, 1.0, 0.0).to(CT)
    # Rows past M are 0 rather than -inf, so unused lanes never compute -inf - -inf.
    fill_v = tl.where(mmask, float("-inf"), 0.0)[:, None]
    for c0 in range(0, C, BL):
        col = c0 + cols
        cm = col < C
        mask = mmask[:, None] & cm[None, :]
        v = tl.where(mask, _ld(x, kx[:, None] + col[None, :] * stride_xc, mask, CT), fill_v)
        mnew = tl.maximum(mx, tl.max(v, 1))
        shift = tl.where(mnew == float("-inf"), 0.0, mnew).to(CT)
        s = s * tl.exp(mx - shift) + tl.sum(tl.exp(v - shift[:, None]), 1)
        if PROB or SMOOTH:
            # Re-base A (kept relative to the running max) before adding this tile.
            A -= S * tl.where(mx == float("-inf"), 0.0, shift - mx)
            if HAS_W:
                wc = _ld(w, col, cm, CT)[None, :]
            else:
                wc = 1.0
            if PROB:
                q = _ld(tgt, kt[:, None] + col[None, :] * stride_tc, mask, CT) * (1.0 - lsv) + smooth_c
            else:
                q = smooth_c
            wq = tl.where(mask, wc * q, 0.0)
            S += tl.sum(wq, 1)
            A += tl.sum(tl.where(mask, wq * (v - shift[:, None]), 0.0), 1)
        mx = mnew
    # No classes: the empty sum gives loss 0 as in PyTorch (log(0) would make it nan).
    lsum = tl.where(C > 0, tl.log(s), 0.0)
    if PROB:
        r = S * lsum - A
        wt = tl.where(mmask, 1.0, 0.0).to(CT)
    else:
        r = (1.0 - lsv) * wt * ((mx - xt) + lsum)
        if SMOOTH:
            S = tl.where(ok, S, 0.0)
            r += S * lsum - A
        r = tl.where(ok, r, 0.0)
        S += (1.0 - lsv) * wt
    _st(loss, kl, r, mmask)
    _st(stats, m * 4, mx, mmask)
    _st(stats, m * 4 + 1, lsum, mmask)
    _st(stats, m * 4 + 2, S, mmask)
    _st(stats, m * 4 + 3, wt, mmask)


@triton.jit
def _ce_bwd_kernel(g, x, tgt, w, stats, dx, M, C, size_k1, size_k2, size_k3,
                   stride_xk0, stride_xk1, stride_xk2, stride_xk3, stride_tk0, stride_tk1, stride_tk2, stride_tk3,
                   stride_dk0, stride_dk1, stride_dk2, stride_dk3, stride_xc, stride_tc, stride_dc, stride_gm,
                   ignore_index, ls: tl.float64, PROB: tl.constexpr, HAS_W: tl.constexpr, SMOOTH: tl.constexpr,
                   KD: tl.constexpr, I64: tl.constexpr, BM: tl.constexpr, BL: tl.constexpr):
    """Cross-entropy backward, one pass per row.  Grid: (cdiv(M, BM),).
    Pointers: g per-row gradients, x logits, tgt targets, w class weights, stats (M, 4) from the
    forward, dx gradient (output).  Sizes: M rows, C classes, size_k1..3 inner row dims.  Strides
    (elements): stride_xk* / stride_tk* / stride_dk* along the row dims, stride_xc / stride_tc /
    stride_dc along the class dim, stride_gm between rows of g (0: a broadcast scalar).  Scalars
    and constexprs as in the forward kernel."""
    CT: tl.constexpr = stats.dtype.element_ty
    m, cols = row_block(I64, BM, BL)
    mmask = m < M
    kx, kt, kd = unravel3(m, size_k1, size_k2, size_k3, 1, stride_xk0, stride_xk1, stride_xk2, stride_xk3, 0,
                          stride_tk0, stride_tk1, stride_tk2, stride_tk3, 0, stride_dk0, stride_dk1, stride_dk2,
                          stride_dk3, 0, KD)
    lsv = as_f64(ls).to(CT)
    gi = _ld(g, m * stride_gm, mmask, CT)
    lse = _ld(stats, m * 4, mmask, CT)
    lsum = _ld(stats, m * 4 + 1, mmask, CT)
    gS = gi * _ld(stats, m * 4 + 2, mmask, CT)
    if not PROB:
        ok, tc = _target(tgt, kt, mmask, C, ignore_index, tgt, False)
        gt = (1.0 - lsv) * gi * _ld(stats, m * 4 + 3, mmask, CT)
        gsm = tl.where(ok, gi * (lsv / C), 0.0)
    for c0 in range(0, C, BL):
        col = c0 + cols
        cm = col < C
        mask = mmask[:, None] & cm[None, :]
        v = _ld(x, kx[:, None] + col[None, :] * stride_xc, mask, CT)
        r = tl.exp((v - lse[:, None]) - lsum[:, None]) * gS[:, None]
        if HAS_W:
            wc = _ld(w, col, cm, CT)[None, :]
        else:
            wc = 1.0
        if PROB:
            q = _ld(tgt, kt[:, None] + col[None, :] * stride_tc, mask, CT) * (1.0 - lsv) + lsv / C
            r -= gi[:, None] * wc * q
        else:
            r -= tl.where(col[None, :] == tc[:, None], gt[:, None], 0.0)
            if SMOOTH:
                r -= gsm[:, None] * wc
            # Ignored rows get exact zeros even where g is nan (all-ignored mean), as in PyTorch.
            r = tl.where(ok[:, None], r, 0.0)
        _st(dx, kd[:, None] + col[None, :] * stride_dc, r, mask)


@triton.jit
def _nll_fwd_kernel(x, tgt, w, loss, wout, err, M, C, size_k1, size_k2, size_k3,
                    stride_xk0, stride_xk1, stride_xk2, stride_xk3, stride_tk0, stride_tk1, stride_tk2, stride_tk3,
                    stride_lk0, stride_lk1, stride_lk2, stride_lk3, stride_xc, ignore_index, HAS_W: tl.constexpr,
                    KD: tl.constexpr, I64: tl.constexpr, BM: tl.constexpr):
    """nll_loss forward: a per-row gather -w_t x_t.  Grid: (cdiv(M, BM),).
    Pointers: x log-probabilities, tgt class indices, w class weights, loss and wout (M,) per-row
    outputs, err (1,) out-of-range index.  Sizes: M rows, C classes, size_k1..3 inner row dims.
    Strides (elements): stride_xk* / stride_tk* / stride_lk* along the row dims, stride_xc along
    the class dim.  Constexprs: HAS_W, KD row dims, I64 int64 offsets, BM rows per program."""
    CT: tl.constexpr = wout.dtype.element_ty
    m, _ = row_block(I64, BM, 1)
    mmask = m < M
    kx, kt, kl = unravel3(m, size_k1, size_k2, size_k3, 1, stride_xk0, stride_xk1, stride_xk2, stride_xk3, 0,
                          stride_tk0, stride_tk1, stride_tk2, stride_tk3, 0, stride_lk0, stride_lk1, stride_lk2,
                          stride_lk3, 0, KD)
    ok, tc = _target(tgt, kt, mmask, C, ignore_index, err, True)
    if HAS_W:
        wt = tl.where(ok, _ld(w, tc, ok, CT), 0.0)
    else:
        wt = tl.where(ok, 1.0, 0.0).to(CT)
    xt = _ld(x, kx + tc * stride_xc, ok, CT)
    _st(loss, kl, tl.where(ok, -wt * xt, 0.0), mmask)
    _st(wout, m, wt, mmask)


@triton.jit
def _nll_bwd_kernel(g, tgt, w, dx, M, C, size_k1, size_k2, size_k3,
                    stride_tk0, stride_tk1, stride_tk2, stride_tk3, stride_dk0, stride_dk1, stride_dk2, stride_dk3,
                    stride_dc, stride_gm, ignore_index, CT: tl.constexpr, HAS_W: tl.constexpr, KD: tl.constexpr,
                    I64: tl.constexpr, BM: tl.constexpr, BL: tl.constexpr):
    """nll_loss backward: -w_t g at the target class, 0 elsewhere.  Grid: (cdiv(M, BM),).
    Pointers: g per-row gradients, tgt class indices, w class weights, dx (output).  Sizes: M rows,
    C classes, size_k1..3 inner row dims.  Strides (elements): stride_tk* / stride_dk* along the row
    dims, stride_dc along the class dim, stride_gm between rows of g (0: broadcast).  Constexprs:
    CT compute dtype, HAS_W, KD row dims, I64 int64 offsets, BM rows and BL classes per tile."""
    m, cols = row_block(I64, BM, BL)
    mmask = m < M
    kt, kd, _ = unravel3(m, size_k1, size_k2, size_k3, 1, stride_tk0, stride_tk1, stride_tk2, stride_tk3, 0,
                         stride_dk0, stride_dk1, stride_dk2, stride_dk3, 0, stride_dk0, stride_dk1, stride_dk2,
                         stride_dk3, 0, KD)
    ok, tc = _target(tgt, kt, mmask, C, ignore_index, tgt, False)
    if HAS_W:
        wt = tl.where(ok, _ld(w, tc, ok, CT), 0.0)
    else:
        wt = tl.where(ok, 1.0, 0.0).to(CT)
    val = -wt * _ld(g, m * stride_gm, mmask, CT)
    for c0 in range(0, C, BL):
        col = c0 + cols
        mask = mmask[:, None] & (col < C)[None, :]
        r = tl.where((col[None, :] == tc[:, None]) & ok[:, None], val[:, None], 0.0)
        _st(dx, kd[:, None] + col[None, :] * stride_dc, r, mask)


# --- host side --------------------------------------------------------------------------------

def _cdim(ndim):
    return 1 if ndim >= 2 else 0


def _plan(M, C, gpu_bl=4096):
    """(BM, BL, num_warps) for M rows of C classes."""
    np2 = triton.next_power_of_2
    if SIZE_FOR_INTERPRETER:
        bl = min(np2(max(C, 1)), CHUNK or _INTERP_TILE)
        return min(np2(M), max(1, _INTERP_TILE // bl)), bl, 4
    bl = min(np2(max(C, 1)), CHUNK or gpu_bl)
    bm = min(np2(M), max(1, 2048 // bl))   # short rows: several per program, ~2K elements each
    return bm, bl, 4 if bm * bl <= 1024 else 8


def _rowspace(x_shape, arrs):
    """Collapsed row shape and per-operand row strides; ``arrs`` are (array, dims-of-rows) pairs."""
    nd = len(x_shape)
    kept = [d for d in range(nd) if d != _cdim(nd)]
    shape = [x_shape[d] for d in kept]
    strides = [[a.strides[d] for d in dims] for a, dims in arrs]
    kshape, ks = collapse(shape, strides) if shape else ([1], [[0] for _ in arrs])
    if len(kshape) > MAX_DIMS:
        raise NotImplementedError(f"loss kernels: more than {MAX_DIMS} non-mergeable row dims")
    args = pad(kshape[1:], 3, 1)
    for k in ks:
        args += pad(k, 4)
    return args, len(kshape)


def _row_dims(a, nd, row_shaped):
    """The dims of ``a`` that index rows: all of them for row-shaped arrays, all but the class dim otherwise."""
    return list(range(a.ndim)) if row_shaped else [d for d in range(nd) if d != _cdim(nd)]


def _contig_rows(a):
    """A row-contiguous array with ``a``'s values (``a`` itself when it already is)."""
    if a.is_contiguous():
        return a
    t = CudaArray.empty(a.shape, a.dtype)
    assign(t, a)
    return t


def _grad_rows(g, rows):
    """(array, row stride): a broadcast scalar gradient keeps stride 0, others are made row-contiguous."""
    if g.size == 1 or all(s == 0 for s in g.strides):
        return g.view_as((1,), (0,)), 0
    if tuple(g.shape) != tuple(rows):
        g = g.view_as(tuple(rows), (0,) * (len(rows) - g.ndim) + tuple(
            s if n != 1 else 0 for n, s in zip(g.shape, g.strides)))
    return _contig_rows(g), 1


def _err_buffer():
    e = CudaArray.empty((1,), np.dtype(np.int64))
    copy_from_host(e.block, e.offset * 8, np.array([np.iinfo(np.int64).min], np.int64))
    return e


def _check_err(e):
    h = np.empty(1, np.int64)
    copy_to_host(h, e.block, e.offset * 8)
    if h[0] != np.iinfo(np.int64).min:
        raise IndexError(f"Target {int(h[0])} is out of bounds.")


def _i64(M, bm, C, bl, arrs):
    """The loss kernels' int64 switch: every operand's span, and the row and class indices with
    the last tile's overshoot."""
    return needs_i64(*arrs, counts=(M + bm, C + bl))


def _finish(dst, tmp):
    if tmp is not dst:
        assign(dst, tmp)


def cross_entropy_loss(out, x, target, weight, ignore_index, label_smoothing):
    loss, stats = out
    nd = x.ndim
    C = x.shape[_cdim(nd)]
    prob = target.dtype not in (np.int64, np.uint8)
    M = stats.size // 4
    if M == 0:
        return
    ls = max(float(label_smoothing), 0.0)
    lo, st = _contig_rows(loss), _contig_rows(stats)
    rows_arg, kd = _rowspace(x.shape, [(x, _row_dims(x, nd, False)), (target, _row_dims(target, nd, not prob)),
                                       (lo, _row_dims(lo, nd, True))])
    bm, bl, warps = _plan(M, C)
    err = _err_buffer()
    tc = target.strides[_cdim(nd)] if prob else 0
    w = _contig_rows(weight) if weight is not None else x
    launch(_ce_fwd_kernel, (cdiv(M, bm),), x, target, w, lo, st, err, M, C, *rows_arg, x.strides[_cdim(nd)], tc,
           int(ignore_index), ls, PROB=prob, HAS_W=weight is not None, SMOOTH=ls > 0 and not prob, KD=kd,
           I64=_i64(M, bm, C, bl, [x, target, lo, st]), BM=bm, BL=bl, num_warps=warps)
    if not prob:
        _check_err(err)
    _finish(loss, lo)
    _finish(stats, st)


def cross_entropy_loss_backward(out, grad, x, target, weight, stats, ignore_index, label_smoothing):
    if out.size == 0:
        return
    nd = x.ndim
    C = x.shape[_cdim(nd)]
    prob = target.dtype not in (np.int64, np.uint8)
    rows = stats.shape[:-1]
    M = stats.size // 4
    ls = max(float(label_smoothing), 0.0)
    g, gs = _grad_rows(grad, rows)
    st = _contig_rows(stats)
    rows_arg, kd = _rowspace(x.shape, [(x, _row_dims(x, nd, False)), (target, _row_dims(target, nd, not prob)),
                                       (out, _row_dims(out, nd, False))])
    bm, bl, warps = _plan(M, C)
    tc = target.strides[_cdim(nd)] if prob else 0
    w = _contig_rows(weight) if weight is not None else x
    launch(_ce_bwd_kernel, (cdiv(M, bm),), g, x, target, w, st, out, M, C, *rows_arg, x.strides[_cdim(nd)], tc,
           out.strides[_cdim(nd)], gs, int(ignore_index), ls, PROB=prob, HAS_W=weight is not None,
           SMOOTH=ls > 0 and not prob, KD=kd, I64=_i64(M, bm, C, bl, [x, target, out, st]), BM=bm, BL=bl,
           num_warps=warps)


def nll_loss(out, x, target, weight, ignore_index):
    loss, wout = out
    nd = x.ndim
    C = x.shape[_cdim(nd)]
    M = wout.size
    if M == 0:
        return
    lo, wo = _contig_rows(loss), _contig_rows(wout)
    rows_arg, kd = _rowspace(x.shape, [(x, _row_dims(x, nd, False)), (target, _row_dims(target, nd, True)),
                                       (lo, _row_dims(lo, nd, True))])
    bm = min(triton.next_power_of_2(M), _INTERP_TILE if SIZE_FOR_INTERPRETER else 1024)
    err = _err_buffer()
    w = _contig_rows(weight) if weight is not None else x
    launch(_nll_fwd_kernel, (cdiv(M, bm),), x, target, w, lo, wo, err, M, C, *rows_arg, x.strides[_cdim(nd)],
           int(ignore_index), HAS_W=weight is not None, KD=kd, I64=_i64(M, bm, C, 1, [x, target, lo]), BM=bm,
           num_warps=4)
    _check_err(err)
    _finish(loss, lo)
    _finish(wout, wo)


def nll_loss_backward(out, grad, target, weight, ignore_index, shape):
    if out.size == 0:
        return
    nd = out.ndim
    C = out.shape[_cdim(nd)]
    M = out.size // C
    rows = target.shape
    g, gs = _grad_rows(grad, rows)
    rows_arg, kd = _rowspace(out.shape, [(target, _row_dims(target, nd, True)), (out, _row_dims(out, nd, False))])
    bm, bl, warps = _plan(M, C)
    w = _contig_rows(weight) if weight is not None else g
    launch(_nll_bwd_kernel, (cdiv(M, bm),), g, target, w, out, M, C, *rows_arg, out.strides[_cdim(nd)], gs,
           int(ignore_index), CT=compute_tl(out.dtype), HAS_W=weight is not None, KD=kd,
           I64=_i64(M, bm, C, bl, [target, out]), BM=bm,
           BL=bl, num_warps=warps)


IMPLS = {"cross_entropy_loss": cross_entropy_loss, "cross_entropy_loss_backward": cross_entropy_loss_backward,
         "nll_loss": nll_loss, "nll_loss_backward": nll_loss_backward}
