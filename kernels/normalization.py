"""Triton impls of layer norm and RMS norm, forward and backward.

The input is viewed as M rows (the leading dims) by N columns (the normalized dims), each
collapsed to one strided run on the host; a side whose dims don't collapse (rare: a sliced
middle dim) is first copied into a contiguous temp with the shared `assign`.  Statistics
(mean, rstd) and all arithmetic are float32 for half inputs, the input dtype otherwise.

* forward (`_fwd`): one program per row.  When the row fits on chip (N <= MAX_FUSED_N) it is
  loaded once into registers: mean, two-pass biased variance of the centred row, rstd =
  1/sqrt(var + eps) (RMS: 1/sqrt(mean(x^2) + eps)), then y = xhat * w + b is stored along with
  mean/rstd.  Bytes: read N (+ w, b, cached), write N + 2 stats per row; ~8 FLOPs per element.
  Long rows loop over BLOCK chunks: pass 1 sum, pass 2 centred squares, pass 3 normalise
  (3 reads of the row; RMS skips pass 2).
* backward (`_bwd`): each program owns a contiguous run of rows (rows_per_prog).  Per row it
  recomputes xhat from the saved mean/rstd, forms gw = dy * w, c1 = mean(gw * xhat),
  c2 = mean(gw) (layer norm only) and writes dx = (gw - xhat c1 - c2) rstd; fused in the same
  pass it accumulates dy * xhat and dy into its per-program partial rows of dweight/dbias
  (registers when the row fits, else read-modify-write of the program's own partial row).
  Bytes: read dy, x (2N) + 2 stats, write dx (N) per row, plus G x N partials.
* `_colsum`: the second stage of the dweight/dbias reduction: sums the G partial rows
  column-block by column-block and rounds once into the output dtype.
Offsets: row bases are int64; column offsets are int64 only when a row's span reaches 2**31
(``I64``, from `needs_i64`), e.g. a normalized dim with a large stride.
"""
import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray
from ._dtypes import compute_tl
from ._elementwise import assign, collapse
from ._jit import convert, as_f64
from ._launch import launch, cdiv, block_for, needs_i64, SIZE_FOR_INTERPRETER

# Longest row (elements) kept in registers by one program; longer rows take the looped path.
MAX_FUSED_N = 8192
_LOOP_BLOCK = 2048
# Backward programs (each reduces its rows' dweight/dbias partials): ~4 per SM on a GPU; the
# interpreter pays per program, so there only two (still exercising the two-stage reduction).
_GPU_PROGRAMS = 512


@triton.jit
def _fwd(X, Y, W, B, MEAN, RSTD, N, stride_xm, stride_xn, stride_ym, stride_yn, stride_w, stride_b,
         eps: tl.float64, HAS_W: tl.constexpr, HAS_B: tl.constexpr, RMS: tl.constexpr, CT: tl.constexpr,
         BLOCK: tl.constexpr, ONE_PASS: tl.constexpr, I64: tl.constexpr):
    """Layer / RMS norm forward, one row per program.  Grid: (M,).
    Pointers: X (M, N) input, Y (M, N) output, W (N,) weight, B (N,) bias (placeholders when absent),
    MEAN (M,), RSTD (M,) saved statistics (contiguous).  Sizes: N columns, eps.  Strides:
    stride_xm, stride_xn, stride_ym, stride_yn, stride_w, stride_b (elements).  Constexprs: HAS_W,
    HAS_B, RMS, CT compute type, BLOCK columns per chunk, ONE_PASS (the row fits one BLOCK), I64
    int64 column offsets (row offsets are always int64)."""
    row = tl.program_id(0).to(tl.int64)
    xr = X + row * stride_xm
    yr = Y + row * stride_ym
    cols = tl.arange(0, BLOCK)
    if I64:
        cols = cols.to(tl.int64)
    e = as_f64(eps).to(CT)
    zero = tl.zeros([1], CT)
    if ONE_PASS:
        m = cols < N
        x = convert(tl.load(xr + cols * stride_xn, mask=m, other=0.0), CT)
        if RMS:
            mean = zero
            rstd = 1.0 / tl.sqrt(tl.sum(x * x, 0) / N + e)
            xh = x * rstd
        else:
            mean = tl.sum(x, 0) / N + zero
            xc = tl.where(m, x - mean, 0.0)
            rstd = 1.0 / tl.sqrt(tl.sum(xc * xc, 0) / N + e)
            xh = xc * rstd
        if HAS_W:
            xh = xh * convert(tl.load(W + cols * stride_w, mask=m, other=0.0), CT)
        if HAS_B:
            xh = xh + convert(tl.load(B + cols * stride_b, mask=m, other=0.0), CT)
        tl.store(yr + cols * stride_yn, convert(xh, Y.dtype.element_ty), mask=m)
    else:
        acc = tl.zeros([BLOCK], CT)
        for off in range(0, N, BLOCK):
            c = off + cols
            x = convert(tl.load(xr + c * stride_xn, mask=c < N, other=0.0), CT)
            if RMS:
                acc += x * x
            else:
                acc += x
        if RMS:
            mean = zero
            rstd = 1.0 / tl.sqrt(tl.sum(acc, 0) / N + e)
        else:
            mean = tl.sum(acc, 0) / N + zero
            acc2 = tl.zeros([BLOCK], CT)
            for off in range(0, N, BLOCK):
                c = off + cols
                x = convert(tl.load(xr + c * stride_xn, mask=c < N, other=0.0), CT)
                d = tl.where(c < N, x - mean, 0.0)
                acc2 += d * d
            rstd = 1.0 / tl.sqrt(tl.sum(acc2, 0) / N + e)
        for off in range(0, N, BLOCK):
            c = off + cols
            m = c < N
            x = convert(tl.load(xr + c * stride_xn, mask=m, other=0.0), CT)
            xh = (x - mean) * rstd
            if HAS_W:
                xh = xh * convert(tl.load(W + c * stride_w, mask=m, other=0.0), CT)
            if HAS_B:
                xh = xh + convert(tl.load(B + c * stride_b, mask=m, other=0.0), CT)
            tl.store(yr + c * stride_yn, convert(xh, Y.dtype.element_ty), mask=m)
    one = tl.arange(0, 1)
    if not RMS:
        tl.store(MEAN + row + one, convert(mean, MEAN.dtype.element_ty))
    tl.store(RSTD + row + one, convert(rstd, RSTD.dtype.element_ty))


@triton.jit
def _bwd(DY, X, W, MEAN, RSTD, DX, DWP, DBP, M, N, rows_per_prog, stride_gm, stride_gn, stride_xm, stride_xn,
         stride_dm, stride_dn, stride_w, HAS_W: tl.constexpr, RMS: tl.constexpr, CT: tl.constexpr,
         BLOCK: tl.constexpr, ONE_PASS: tl.constexpr, I64: tl.constexpr):
    """Layer / RMS norm backward: dx, and per-program partial rows of dweight / dbias.  Grid: (G,).
    Pointers: DY (M, N) grad_output, X (M, N) input, W (N,) weight (placeholder when absent), MEAN,
    RSTD (M,) saved statistics, DX (M, N) grad_input, DWP, DBP (G, N) contiguous partials.  Sizes: M
    rows, N columns, rows_per_prog.  Strides: stride_gm, stride_gn (DY), stride_xm, stride_xn,
    stride_dm, stride_dn (DX), stride_w (elements).  Constexprs: HAS_W, RMS, CT compute type, BLOCK
    columns per chunk, ONE_PASS, I64 int64 column offsets (row offsets are always int64)."""
    pid = tl.program_id(0)
    r0 = pid * rows_per_prog
    r1 = tl.minimum(r0 + rows_per_prog, M)
    cols = tl.arange(0, BLOCK)
    if I64:
        cols = cols.to(tl.int64)
    one = tl.arange(0, 1)
    pw = DWP + pid.to(tl.int64) * N
    pb = DBP + pid.to(tl.int64) * N
    if ONE_PASS:
        m = cols < N
        if HAS_W:
            w = convert(tl.load(W + cols * stride_w, mask=m, other=0.0), CT)
        else:
            w = tl.full([BLOCK], 1.0, CT)
        dw_acc = tl.zeros([BLOCK], CT)
        db_acc = tl.zeros([BLOCK], CT)
        for row in range(r0, r1):
            r = row + tl.zeros([1], tl.int64)
            x = convert(tl.load(X + r * stride_xm + cols * stride_xn, mask=m, other=0.0), CT)
            dy = convert(tl.load(DY + r * stride_gm + cols * stride_gn, mask=m, other=0.0), CT)
            rstd = convert(tl.load(RSTD + r + one), CT)
            if RMS:
                xh = x * rstd
            else:
                xh = tl.where(m, (x - convert(tl.load(MEAN + r + one), CT)) * rstd, 0.0)
            gw = dy * w
            c1 = tl.sum(gw * xh, 0) / N
            d = gw - xh * c1
            if not RMS:
                d = d - tl.sum(gw, 0) / N
            tl.store(DX + r * stride_dm + cols * stride_dn, convert(d * rstd, DX.dtype.element_ty), mask=m)
            dw_acc += dy * xh
            db_acc += dy
        tl.store(pw + cols, dw_acc, mask=m)
        if not RMS:
            tl.store(pb + cols, db_acc, mask=m)
    else:
        for off in range(0, N, BLOCK):
            c = off + cols
            tl.store(pw + c, tl.zeros([BLOCK], CT), mask=c < N)
            if not RMS:
                tl.store(pb + c, tl.zeros([BLOCK], CT), mask=c < N)
        for row in range(r0, r1):
            r = row + tl.zeros([1], tl.int64)
            rstd = convert(tl.load(RSTD + r + one), CT)
            if RMS:
                mean = tl.zeros([1], CT)
            else:
                mean = convert(tl.load(MEAN + r + one), CT)
            s1 = tl.zeros([BLOCK], CT)
            s2 = tl.zeros([BLOCK], CT)
            for off in range(0, N, BLOCK):
                c = off + cols
                m = c < N
                x = convert(tl.load(X + r * stride_xm + c * stride_xn, mask=m, other=0.0), CT)
                gw = convert(tl.load(DY + r * stride_gm + c * stride_gn, mask=m, other=0.0), CT)
                if HAS_W:
                    gw = gw * convert(tl.load(W + c * stride_w, mask=m, other=0.0), CT)
                s1 += gw * tl.where(m, (x - mean) * rstd, 0.0)
                s2 += gw
            c1 = tl.sum(s1, 0) / N
            c2 = tl.sum(s2, 0) / N
            for off in range(0, N, BLOCK):
                c = off + cols
                m = c < N
                x = convert(tl.load(X + r * stride_xm + c * stride_xn, mask=m, other=0.0), CT)
                dy = convert(tl.load(DY + r * stride_gm + c * stride_gn, mask=m, other=0.0), CT)
                xh = tl.where(m, (x - mean) * rstd, 0.0)
                gw = dy
                if HAS_W:
                    gw = dy * convert(tl.load(W + c * stride_w, mask=m, other=0.0), CT)
                d = gw - xh * c1
                if not RMS:
                    d = d - c2
                tl.store(DX + r * stride_dm + c * stride_dn, convert(d * rstd, DX.dtype.element_ty), mask=m)
                tl.store(pw + c, tl.load(pw + c, mask=m, other=0.0) + dy * xh, mask=m)
                if not RMS:
                    tl.store(pb + c, tl.load(pb + c, mask=m, other=0.0) + dy, mask=m)


@triton.jit
def _colsum(P, OUT, G, N, stride_o, BG: tl.constexpr, BN: tl.constexpr):
    """Column sums of the (G, N) contiguous partials into OUT (N,).  Grid: (cdiv(N, BN),).
    Pointers: P partials, OUT.  Sizes: G rows, N columns.  Strides: stride_o (OUT, elements).
    Constexprs: BG partial rows and BN columns per step."""
    cols = tl.program_id(0) * BN + tl.arange(0, BN)
    cm = cols < N
    acc = tl.zeros([BN], P.dtype.element_ty)
    for g0 in range(0, G, BG):
        g = g0 + tl.arange(0, BG)
        p = tl.load(P + g[:, None].to(tl.int64) * N + cols[None, :], mask=(g[:, None] < G) & cm[None, :], other=0.0)
        acc += tl.sum(p, 0)
    tl.store(OUT + cols * stride_o, convert(acc, OUT.dtype.element_ty), mask=cm)


def _run(a, k):
    """(M, N, row stride, column stride) of ``a`` with its first ``k`` dims as rows, or None when a
    side doesn't collapse to one strided run."""
    lead, inner = a.shape[:k], a.shape[k:]
    m, n = 1, 1
    for s in lead:
        m *= s
    for s in inner:
        n *= s
    if m == 0 or n == 0:  # nothing is read or written: any strides do
        return m, n, 0, 0
    ls, (lst,) = collapse(lead, [a.strides[:k]]) if lead else ([1], [[0]])
    ns, (nst,) = collapse(inner, [a.strides[k:]]) if inner else ([1], [[0]])
    if len(ls) > 1 or len(ns) > 1:
        return None
    return m, n, lst[0], nst[0]


def _rows_in(a, k):
    """A readable (array, M, N, sm, sn), copying ``a`` contiguous when it doesn't collapse."""
    r = _run(a, k)
    if r is None:
        t = CudaArray.empty(a.shape, a.dtype)
        assign(t, a)
        a, r = t, _run(t, k)
    return (a,) + r


def _rows_out(a, k):
    """A writable (array, sm, sn) for ``a`` and the array to copy back from (None if direct)."""
    r = _run(a, k)
    if r is None:
        t = CudaArray.empty(a.shape, a.dtype)
        return t, _run(t, k)[2:], t
    return a, r[2:], None


def _vec(p):
    """(array, stride) of a weight/bias over the normalized dims, or (None, 0) when absent."""
    if p is None:
        return None, 0
    a, _, _, _, sn = _rows_in(p, 0)
    return a, sn


def _plan(n):
    """(BLOCK, ONE_PASS): the whole row in one block when it fits, else chunks of at most
    MAX_FUSED_N (rounded to a power of two) looped over."""
    if n <= MAX_FUSED_N:
        return block_for(n, triton.next_power_of_2(max(n, 1))), True
    return min(block_for(n, _LOOP_BLOCK), triton.next_power_of_2(MAX_FUSED_N)), False


def _forward(y, mean, rstd, x, ns, weight, bias, eps, rms):
    k = x.ndim - len(ns)
    x, M, N, sxm, sxn = _rows_in(x, k)
    if M == 0:
        return
    yo, (sym, syn), back = _rows_out(y, k)
    w, sw = _vec(weight)
    b, sb = _vec(bias)
    block, one_pass = _plan(N)
    # Stats outputs are registry-allocated and contiguous: index them by row.
    launch(_fwd, (M,), x, yo, w if w is not None else x, b if b is not None else x,
           mean if mean is not None else rstd, rstd, N, sxm, sxn, sym, syn, sw, sb, float(eps),
           HAS_W=w is not None, HAS_B=b is not None, RMS=rms, CT=compute_tl(x.dtype), BLOCK=block,
           ONE_PASS=one_pass, I64=needs_i64(((N,), (sxn,)), ((N,), (syn,)), ((N,), (sw,)), ((N,), (sb,)),
                                            counts=(N + block,)))
    if back is not None:
        assign(y, back)


def _backward(dx, dw, db, g, x, mean, rstd, weight, ns, rms):
    k = x.ndim - len(ns)
    x, M, N, sxm, sxn = _rows_in(x, k)
    if M == 0 or N == 0:
        for o in (dw, db):
            if o is not None and N:
                assign(o, 0.0)
        return
    g, _, _, sgm, sgn = _rows_in(g, k)
    dxo, (sdm, sdn), back = _rows_out(dx, k)
    w, sw = _vec(weight)
    block, one_pass = _plan(N)
    progs = min(M, 2 if SIZE_FOR_INTERPRETER else _GPU_PROGRAMS)
    rpp = cdiv(M, progs)
    progs = cdiv(M, rpp)
    ct = compute_tl(x.dtype)
    pdt = "float64" if x.dtype.name == "float64" else "float32"
    dwp = CudaArray.empty((progs, N), pdt)
    dbp = CudaArray.empty((progs, N), pdt) if db is not None else dwp
    launch(_bwd, (progs,), g, x, w if w is not None else x, mean if mean is not None else rstd, rstd, dxo,
           dwp, dbp, M, N, rpp, sgm, sgn, sxm, sxn, sdm, sdn, sw,
           HAS_W=w is not None, RMS=rms, CT=ct, BLOCK=block, ONE_PASS=one_pass,
           I64=needs_i64(((N,), (sgn,)), ((N,), (sxn,)), ((N,), (sdn,)), ((N,), (sw,)), counts=(N + block,)))
    if back is not None:
        assign(dx, back)
    bn = block_for(N, 128)
    bg = block_for(progs, 32) if SIZE_FOR_INTERPRETER else 32
    for part, o in ((dwp, dw), (dbp, db)):
        if o is None:
            continue
        oo, (_, so), ob = _rows_out(o, 0)
        launch(_colsum, (cdiv(N, bn),), part, oo, progs, N, so, BG=bg, BN=bn)
        if ob is not None:
            assign(o, ob)


def layer_norm(out, x, normalized_shape, weight, bias, eps):
    y, mean, rstd = out
    _forward(y, mean, rstd, x, normalized_shape, weight, bias, eps, False)


def rms_norm(out, x, normalized_shape, weight, eps):
    y, rstd = out
    _forward(y, None, rstd, x, normalized_shape, weight, None, eps, True)


def layer_norm_backward(out, grad_out, x, mean, rstd, weight, normalized_shape):
    dx, dw, db = out
    _backward(dx, dw, db, grad_out, x, mean, rstd, weight, normalized_shape, False)


def rms_norm_backward(out, grad_out, x, rstd, weight, normalized_shape):
    dx, dw = out
    _backward(dx, dw, None, grad_out, x, None, rstd, weight, normalized_shape, True)


IMPLS = {"layer_norm": layer_norm, "layer_norm_backward": layer_norm_backward,
         "rms_norm": rms_norm, "rms_norm_backward": rms_norm_backward}
