"""Triton impls of batch norm and group norm, forward and backward.

The input is viewed as (N, C, S): S the spatial dims collapsed on the host into one strided run
(a view whose spatial dims don't collapse is first copied contiguous with `assign`).  A
"statistics row" r is a channel c (batch norm; its elements are the (n, s) pairs) or a
(sample, group) pair (group norm; its elements are the (channel-in-group, s) pairs): both are
OUTER x S grids at a base offset, which is what `_row_partial` reduces.  Arithmetic and statistics
are float32 for half inputs (float64 for float64).

* `_row_partial` (first stage of every reduction): program (r, split) reduces its chunk of the
  row's outer index over a [BO, BS] tile loop.  Forward: shifted sums s1 = sum(x - K), s2 =
  sum((x - K)^2) with K = the row's first element, so the one-pass variance does not cancel
  catastrophically for large means.  Backward: sum(dy) and sum(dy * (x - mean)).  Partials are
  (R, SPLIT) in the compute dtype.  Bytes: read x (and dy) once; 3-4 FLOPs per element.
* `_finalize` (second stage, forward): per row sums the SPLIT partials, mean = K + s1/L,
  var = s2/L - (s1/L)^2, invstd = 1/sqrt(var + eps), and — fused here so the running stats are
  touched once — updates running_mean/running_var in place (unbiased variance).  Eval mode just
  reads the running stats.
* `_apply`: y = (x - mean) * invstd * w + b over a [BP, BS] tile of (n, c) planes x spatial
  (per-plane index maths only, none per element).  Bytes: read x, write y; 3 FLOPs per element.
* backward: `_row_partial` gives per-row (batch norm: per channel; group norm: per (n, c) plane)
  sum(dy) and sum(dy (x - mean)); `_bn_bwd_finalize` / (`_gn_coef` + `_gn_param_grads`) turn
  them into dweight = sum(dy xhat), dbias = sum(dy) and the per-row coefficients A = mean(w dy
  xhat), B = mean(w dy) of dx; `_dx` then writes dx = invstd (w dy - B - xhat A) over the same
  planes tiling (eval batch norm: A = B = 0).  Bytes: read x, dy twice (reduction + dx), write
  dx; ~8 FLOPs per element.
No atomics: every reduction is two-stage and deterministic.

GPU tiling: tiles of 2048 elements (spatial block up to 1024..2048 wide, the rest planes/outer
rows) run by 8 warps; the first stage splits each statistics row over enough programs for ~4 per
SM.  E.g. batch norm (32, 256, 56, 56): 256 rows x 3 splits of the batch, then 8192 planes x 2
spatial tiles for the elementwise passes.
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray
from ._dtypes import compute_tl
from ._elementwise import assign, collapse
from ._jit import convert, as_f64
from ._launch import launch, cdiv, SIZE_FOR_INTERPRETER

# First-stage programs aimed at: ~4 per SM of an H100.
_GPU_PROGRAMS = 528
# Elements per [outer/planes, spatial] tile on a GPU, run by 8 warps (8 fp32 per thread per
# operand: no spills for any tile shape, checked with ptxas for sm_90).
_GPU_TILE = 2048
_GPU_WARPS = 8
_INTERP_TILE = 1 << 16


@triton.jit
def _row_partial(X, DY, SHIFT, P1, P2, R2, O, S, ochunk, SPLIT,
                 stride_x_r1, stride_x_r2, stride_xo, stride_xs, stride_g_r1, stride_g_r2, stride_go, stride_gs,
                 m1, mdiv,
                 GRAD: tl.constexpr, CT: tl.constexpr, BO: tl.constexpr, BS: tl.constexpr):
    """First stage of every reduction: program (r, split) sums its chunk of statistics row r.
    Grid: (R, SPLIT).  Pointers: X input, DY grad (GRAD; else a placeholder), SHIFT per-row shift (forward:
    written, K = the row's first element) or saved mean (GRAD), P1, P2 (R, SPLIT) partials.  Sizes:
    R2 (row r's base is (r // R2) * stride_x_r1 + (r % R2) * stride_x_r2), O outer and S spatial extent of a row,
    ochunk outer indices per split, SPLIT, m1 / mdiv (row r's mean at (r // R2) * m1 + (r % R2) //
    mdiv).  Strides (elements): stride_x_r1, stride_x_r2 row base, stride_xo outer, stride_xs spatial
    of X; stride_g_r1, stride_g_r2, stride_go, stride_gs of DY.
    Constexprs: GRAD, CT compute type, BO outer x BS spatial tile.  Offsets are int64."""
    r = tl.program_id(0)
    sp = tl.program_id(1)
    rq = (r // R2).to(tl.int64)
    rr = (r % R2).to(tl.int64)
    xbase = X + rq * stride_x_r1 + rr * stride_x_r2
    one = tl.arange(0, 1)
    if GRAD:
        gbase = DY + rq * stride_g_r1 + rr * stride_g_r2
        k = convert(tl.load(SHIFT + rq * m1 + rr // mdiv + one), CT)
    else:
        k = convert(tl.load(xbase + one), CT)
    acc1 = tl.zeros([BO, BS], CT)
    acc2 = tl.zeros([BO, BS], CT)
    o_lo = sp * ochunk
    o_hi = tl.minimum(o_lo + ochunk, O)
    for o0 in range(o_lo, o_hi, BO):
        o = o0 + tl.arange(0, BO)
        om = o < o_hi
        xrow = xbase + o.to(tl.int64)[:, None] * stride_xo
        if GRAD:
            grow = gbase + o.to(tl.int64)[:, None] * stride_go
        for s0 in range(0, S, BS):
            s = s0 + tl.arange(0, BS)
            m = om[:, None] & (s < S)[None, :]
            s64 = s.to(tl.int64)[None, :]
            x = tl.where(m, convert(tl.load(xrow + s64 * stride_xs, mask=m, other=0.0), CT) - k[:, None], 0.0)
            if GRAD:
                g = convert(tl.load(grow + s64 * stride_gs, mask=m, other=0.0), CT)
                acc1 += g
                acc2 += g * x
            else:
                acc1 += x
                acc2 += x * x
    p = r.to(tl.int64) * SPLIT + sp + one
    tl.store(P1 + p, tl.sum(tl.sum(acc1, 1), 0) + tl.zeros([1], CT))
    tl.store(P2 + p, tl.sum(tl.sum(acc2, 1), 0) + tl.zeros([1], CT))
    if not GRAD:
        if sp == 0:
            tl.store(SHIFT + r + one, k)


@triton.jit
def _finalize(P1, P2, SHIFT, MEAN, INV, RM, RV, R, SPLIT, L, stride_rm, stride_rv, eps: tl.float64,
              momentum: tl.float64,
              HAS_RUN: tl.constexpr, EVAL: tl.constexpr, CT: tl.constexpr, BR: tl.constexpr):
    """Second stage of the forward statistics: mean, invstd per row, running-stat update fused
    (EVAL: read the running stats instead).  Grid: (cdiv(R, BR),).  Pointers: P1, P2 (R, SPLIT)
    partials, SHIFT (R,), MEAN, INV (R,) outputs, RM, RV running stats (placeholders unless used).
    Sizes: R rows, SPLIT, L elements per row, eps, momentum.  Strides: stride_rm, stride_rv (running stats,
    elements).  Constexprs: HAS_RUN, EVAL, CT compute type, BR rows per program."""
    rows = tl.program_id(0) * BR + tl.arange(0, BR)
    m = rows < R
    e = as_f64(eps).to(CT)
    if EVAL:
        mean = convert(tl.load(RM + rows * stride_rm, mask=m, other=0.0), CT)
        var = convert(tl.load(RV + rows * stride_rv, mask=m, other=1.0), CT)
    else:
        s1 = tl.zeros([BR], CT)
        s2 = tl.zeros([BR], CT)
        for sp in range(0, SPLIT):
            s1 += tl.load(P1 + rows.to(tl.int64) * SPLIT + sp, mask=m, other=0.0)
            s2 += tl.load(P2 + rows.to(tl.int64) * SPLIT + sp, mask=m, other=0.0)
        d = s1 / L
        mean = tl.load(SHIFT + rows, mask=m, other=0.0) + d
        # NaN-propagating clamp: inf inputs give inf - inf = NaN statistics, as on cpu and in PyTorch
        var = tl.maximum(s2 / L - d * d, 0.0, propagate_nan=tl.PropagateNan.ALL)
        if HAS_RUN:
            mom = as_f64(momentum).to(CT)
            rm = convert(tl.load(RM + rows * stride_rm, mask=m, other=0.0), CT)
            rv = convert(tl.load(RV + rows * stride_rv, mask=m, other=0.0), CT)
            unbiased = var * L / (L - 1)
            tl.store(RM + rows * stride_rm, convert((1 - mom) * rm + mom * mean, RM.dtype.element_ty), mask=m)
            tl.store(RV + rows * stride_rv, convert((1 - mom) * rv + mom * unbiased, RV.dtype.element_ty), mask=m)
    tl.store(MEAN + rows, mean, mask=m)
    tl.store(INV + rows, 1.0 / tl.sqrt(var + e), mask=m)


@triton.jit
def _plane_offsets(p, C, stride_n, stride_c):
    """int64 element offset of (n, c) plane ``p`` (``p = n * C + c``) with strides ``stride_n``, ``stride_c``."""
    return (p // C).to(tl.int64) * stride_n + (p % C).to(tl.int64) * stride_c


@triton.jit
def _apply(X, Y, MEAN, INV, W, B, P, C, S, stride_xn, stride_xc, stride_xs, stride_yn, stride_yc, stride_ys,
           stride_w, stride_b, m1, mdiv,
           HAS_W: tl.constexpr, HAS_B: tl.constexpr, CT: tl.constexpr, BP: tl.constexpr, BS: tl.constexpr):
    """y = (x - mean) * invstd * w + b over [BP, BS] tiles of (n, c) planes x spatial.
    Grid: (cdiv(P, BP), cdiv(S, BS)).  Pointers: X, Y (N, C, S), MEAN, INV statistics, W, B (C,)
    (placeholders unless HAS_W / HAS_B).  Sizes: P = N * C planes, C, S, m1 / mdiv (plane (n, c)
    uses statistics row n * m1 + c // mdiv).  Strides (elements): stride_xn, stride_xc, stride_xs (X),
    stride_yn, stride_yc, stride_ys (Y), stride_w, stride_b.  Constexprs: HAS_W, HAS_B, CT compute
    type, BP planes x BS spatial tile.  Plane and spatial offsets are int64."""
    p = tl.program_id(0) * BP + tl.arange(0, BP)
    s = tl.program_id(1) * BS + tl.arange(0, BS)
    pm = p < P
    m = pm[:, None] & (s < S)[None, :]
    c = p % C
    k = (p // C) * m1 + c // mdiv
    mean = tl.load(MEAN + k, mask=pm, other=0.0)
    scale = tl.load(INV + k, mask=pm, other=0.0)
    if HAS_W:
        scale = scale * convert(tl.load(W + c * stride_w, mask=pm, other=0.0), CT)
    s64 = s.to(tl.int64)[None, :]
    x = convert(tl.load(X + _plane_offsets(p, C, stride_xn, stride_xc)[:, None] + s64 * stride_xs, mask=m,
                        other=0.0), CT)
    # centre before scaling: folding the mean into a shift (x * scale - mean * scale) cancels
    # catastrophically when |mean| >> std
    y = (x - mean[:, None]) * scale[:, None]
    if HAS_B:
        y += convert(tl.load(B + c * stride_b, mask=pm, other=0.0), CT)[:, None]
    tl.store(Y + _plane_offsets(p, C, stride_yn, stride_yc)[:, None] + s64 * stride_ys, convert(y, Y.dtype.element_ty),
             mask=m)


@triton.jit
def _dx(DY, X, MEAN, INV, W, CA, CB, DX, P, C, S, stride_gn, stride_gc, stride_gs, stride_xn, stride_xc, stride_xs,
        stride_dn, stride_dc, stride_ds, stride_w, m1, mdiv,
        HAS_W: tl.constexpr, HAS_COEF: tl.constexpr, CT: tl.constexpr, BP: tl.constexpr, BS: tl.constexpr):
    """dx = invstd (w dy - B - xhat A) over [BP, BS] tiles of planes x spatial (eval batch norm: no
    A, B).  Grid: (cdiv(P, BP), cdiv(S, BS)).  Pointers: DY, X, DX (N, C, S), MEAN, INV statistics,
    W (C,), CA, CB per-row coefficients A, B (placeholders unless HAS_W / HAS_COEF).  Sizes: P, C, S,
    m1 / mdiv as in `_apply`.  Strides (elements): stride_gn, stride_gc, stride_gs (DY), stride_xn,
    stride_xc, stride_xs (X), stride_dn, stride_dc, stride_ds (DX), stride_w.  Constexprs: HAS_W,
    HAS_COEF, CT compute type, BP planes x BS spatial tile.  Plane and spatial offsets are int64."""
    p = tl.program_id(0) * BP + tl.arange(0, BP)
    s = tl.program_id(1) * BS + tl.arange(0, BS)
    pm = p < P
    m = pm[:, None] & (s < S)[None, :]
    c = p % C
    k = (p // C) * m1 + c // mdiv
    inv = tl.load(INV + k, mask=pm, other=0.0)
    if HAS_W:
        wi = inv * convert(tl.load(W + c * stride_w, mask=pm, other=0.0), CT)
    else:
        wi = inv
    s64 = s.to(tl.int64)[None, :]
    g = convert(tl.load(DY + _plane_offsets(p, C, stride_gn, stride_gc)[:, None] + s64 * stride_gs, mask=m,
                        other=0.0), CT)
    d = g * wi[:, None]
    if HAS_COEF:
        mean = tl.load(MEAN + k, mask=pm, other=0.0)
        a = tl.load(CA + k, mask=pm, other=0.0) * inv
        b = tl.load(CB + k, mask=pm, other=0.0) * inv
        x = convert(tl.load(X + _plane_offsets(p, C, stride_xn, stride_xc)[:, None] + s64 * stride_xs, mask=m,
                            other=0.0), CT)
        # inv (w g - B - xhat A) with xhat = (x - mean) inv
        d = d - b[:, None] - (x - mean[:, None]) * (inv * a)[:, None]
    tl.store(DX + _plane_offsets(p, C, stride_dn, stride_dc)[:, None] + s64 * stride_ds,
             convert(d, DX.dtype.element_ty), mask=m)


@triton.jit
def _bn_bwd_finalize(P1, P2, INV, W, DW, DB, CA, CB, R, SPLIT, L, stride_w, stride_dw, stride_db,
                     HAS_W: tl.constexpr, TRAINING: tl.constexpr, CT: tl.constexpr, BR: tl.constexpr):
    """Batch norm backward, second stage: dweight, dbias and the dx coefficients A, B per channel.
    Grid: (cdiv(R, BR),).  Pointers: P1, P2 (R, SPLIT) partials of sum(dy), sum(dy (x - mean)), INV,
    W (placeholder unless HAS_W), DW, DB outputs, CA, CB coefficients (TRAINING).  Sizes: R
    channels, SPLIT, L elements per channel.  Strides: stride_w, stride_dw, stride_db (elements).  Constexprs: HAS_W,
    TRAINING, CT compute type, BR channels per program."""
    rows = tl.program_id(0) * BR + tl.arange(0, BR)
    m = rows < R
    sg = tl.zeros([BR], CT)
    sgx = tl.zeros([BR], CT)
    for sp in range(0, SPLIT):
        sg += tl.load(P1 + rows.to(tl.int64) * SPLIT + sp, mask=m, other=0.0)
        sgx += tl.load(P2 + rows.to(tl.int64) * SPLIT + sp, mask=m, other=0.0)
    sgx = sgx * tl.load(INV + rows, mask=m, other=0.0)
    tl.store(DW + rows * stride_dw, convert(sgx, DW.dtype.element_ty), mask=m)
    tl.store(DB + rows * stride_db, convert(sg, DB.dtype.element_ty), mask=m)
    if TRAINING:
        if HAS_W:
            w = convert(tl.load(W + rows * stride_w, mask=m, other=0.0), CT)
        else:
            w = tl.full([BR], 1.0, CT)
        tl.store(CA + rows, w * sgx / L, mask=m)
        tl.store(CB + rows, w * sg / L, mask=m)


@triton.jit
def _gn_coef(P1, P2, INV, W, CA, CB, R, C, G, Cg, L, stride_w, HAS_W: tl.constexpr, CT: tl.constexpr,
             BR: tl.constexpr, BC: tl.constexpr):
    """Group norm backward: the dx coefficients A, B per (sample, group) row from per-plane partials.
    Grid: (cdiv(R, BR),).  Pointers: P1, P2 (N * C,) plane partials, INV (R,), W (C,) (placeholder
    unless HAS_W), CA, CB (R,).  Sizes: R = N * G rows, C, G groups, Cg channels per group, L
    elements per row.  Strides: stride_w (elements).  Constexprs: HAS_W, CT compute type, BR rows and BC
    channels per tile."""
    rows = tl.program_id(0) * BR + tl.arange(0, BR)
    rm = rows < R
    base = (rows // G).to(tl.int64) * C + (rows % G) * Cg
    a = tl.zeros([BR, BC], CT)
    b = tl.zeros([BR, BC], CT)
    for c0 in range(0, Cg, BC):
        cc = c0 + tl.arange(0, BC)
        m = rm[:, None] & (cc < Cg)[None, :]
        pl = base[:, None] + cc[None, :]
        if HAS_W:
            w = convert(tl.load(W + ((rows % G) * Cg)[:, None] * stride_w + cc[None, :] * stride_w, mask=m,
                                other=0.0), CT)
        else:
            w = tl.full([BR, BC], 1.0, CT)
        a += w * tl.load(P2 + pl, mask=m, other=0.0)
        b += w * tl.load(P1 + pl, mask=m, other=0.0)
    inv = tl.load(INV + rows, mask=rm, other=0.0)
    tl.store(CA + rows, tl.sum(a, 1) * inv / L, mask=rm)
    tl.store(CB + rows, tl.sum(b, 1) / L, mask=rm)


@triton.jit
def _gn_param_grads(P1, P2, INV, DW, DB, N, C, G, Cg, stride_dw, stride_db, CT: tl.constexpr, BN: tl.constexpr,
                    BC: tl.constexpr):
    """Group norm dweight, dbias: per channel, sums over the batch of the plane partials.
    Grid: (cdiv(C, BC),).  Pointers: P1, P2 (N * C,) plane partials, INV (N * G,), DW, DB (C,).
    Sizes: N, C, G, Cg.  Strides: stride_dw, stride_db (elements).  Constexprs: CT compute type, BN samples and
    BC channels per tile."""
    cols = tl.program_id(0) * BC + tl.arange(0, BC)
    cm = cols < C
    dw = tl.zeros([BN, BC], CT)
    db = tl.zeros([BN, BC], CT)
    for n0 in range(0, N, BN):
        n = n0 + tl.arange(0, BN)
        m = (n < N)[:, None] & cm[None, :]
        pl = n.to(tl.int64)[:, None] * C + cols[None, :]
        inv = tl.load(INV + n.to(tl.int64)[:, None] * G + (cols // Cg)[None, :], mask=m, other=0.0)
        dw += tl.load(P2 + pl, mask=m, other=0.0) * inv
        db += tl.load(P1 + pl, mask=m, other=0.0)
    tl.store(DW + cols * stride_dw, convert(tl.sum(dw, 0), DW.dtype.element_ty), mask=cm)
    tl.store(DB + cols * stride_db, convert(tl.sum(db, 0), DB.dtype.element_ty), mask=cm)


# --- host side ------------------------------------------------------------------------------------

def _ncs_geom(a):
    """(N, C, S, sn, sc, ss) of ``a`` viewed as (N, C, S), or None when the spatial dims don't
    collapse to one strided run."""
    n, c = a.shape[0], a.shape[1]
    sp = a.shape[2:]
    s = int(np.prod(sp)) if sp else 1
    if sp:
        cs, (cst,) = collapse(sp, [a.strides[2:]])
        if len(cs) > 1:
            return None
        ss = cst[0]
    else:
        ss = 1
    return n, c, s, a.strides[0], a.strides[1], ss


def _ncs_in(a):
    g = _ncs_geom(a)
    if g is None:
        t = CudaArray.empty(a.shape, a.dtype, a.block.device_index)
        assign(t, a)
        a, g = t, _ncs_geom(t)
    return a, g


def _ncs_out(a):
    """(writable array, geometry, array to copy back into ``a`` or None)."""
    g = _ncs_geom(a)
    if g is None:
        t = CudaArray.empty(a.shape, a.dtype, a.block.device_index)
        return t, _ncs_geom(t), t
    return a, g, None


def _vec(p):
    return (None, 0) if p is None else (p, p.strides[0])


def _ct_np(x):
    return np.float64 if x.dtype == np.float64 else np.float32


def _tiles(outer, s):
    """(BO, BS): an outer x spatial tile of about _GPU_TILE elements (interpreter: as big as fits)."""
    cap = _INTERP_TILE if SIZE_FOR_INTERPRETER else _GPU_TILE
    bs = min(triton.next_power_of_2(max(s, 1)), cap)
    bo = max(1, min(cap // bs, triton.next_power_of_2(max(outer, 1))))
    return bo, bs


def _partials(x, gx, dy, dyg, shift, rows, r2, outer, b1, b2, ostride, ct, split=None):
    """Launch `_row_partial` over ``rows`` statistics rows (row r's base offset is
    (r // r2) * b1 + (r % r2) * b2, its elements an ``outer`` x S grid with strides (ostride, ss));
    ``dy`` with its (b1, b2, ostride, ss) in ``dyg`` selects the gradient sums, ``shift`` is
    (array, (m1, mdiv)) for them (row r's mean at (r // r2) * m1 + (r % r2) // mdiv), or
    (output array, None) for the forward's per-row shifts.  Returns (P1, P2, SPLIT)."""
    S, xs = gx[2], gx[5]
    if split is None:
        want = 2 if SIZE_FOR_INTERPRETER else cdiv(_GPU_PROGRAMS, max(rows, 1))
        split = max(1, min(want, outer))
    ochunk = cdiv(outer, split)
    split = cdiv(outer, ochunk)
    bo, bs = _tiles(ochunk, S)
    dev = x.block.device_index
    p1 = CudaArray.empty((rows, split), _ct_np(x), dev)
    p2 = CudaArray.empty((rows, split), _ct_np(x), dev)
    m1, mdiv = (0, 1) if shift[1] is None else shift[1]
    gb1, gb2, go, gs = (0, 0, 0, 0) if dy is None else dyg
    launch(_row_partial, (rows, split), x, dy if dy is not None else x, shift[0], p1, p2, r2, outer, S, ochunk,
           split, b1, b2, ostride, xs, gb1, gb2, go, gs, m1, mdiv,
           GRAD=dy is not None, CT=ct, BO=bo, BS=bs, num_warps=_GPU_WARPS)
    return p1, p2, split


def _plane_grid(P, S):
    bo, bs = _tiles(P, S)
    return (cdiv(P, bo), cdiv(S, bs)), bo, bs


def _launch_apply(x, gx, y, mean, inv, w, b, m1, mdiv, ct):
    n, c, S, xn, xc, xs = gx
    yo, gy, back = _ncs_out(y)
    (wa, sw), (ba, sb) = _vec(w), _vec(b)
    grid, bp, bs = _plane_grid(n * c, S)
    launch(_apply, grid, x, yo, mean, inv, wa if wa is not None else x, ba if ba is not None else x, n * c, c, S,
           xn, xc, xs, gy[3], gy[4], gy[5], sw, sb, m1, mdiv,
           HAS_W=wa is not None, HAS_B=ba is not None, CT=ct, BP=bp, BS=bs, num_warps=_GPU_WARPS)
    if back is not None:
        assign(y, back)


def _launch_dx(dx, dy, gdy, x, gx, mean, inv, w, ca, cb, m1, mdiv, ct):
    n, c, S, xn, xc, xs = gx
    do, gd, back = _ncs_out(dx)
    wa, sw = _vec(w)
    grid, bp, bs = _plane_grid(n * c, S)
    launch(_dx, grid, dy, x, mean, inv, wa if wa is not None else x, ca if ca is not None else inv,
           cb if cb is not None else inv, do, n * c, c, S, gdy[3], gdy[4], gdy[5], xn, xc, xs, gd[3], gd[4], gd[5],
           sw, m1, mdiv, HAS_W=wa is not None, HAS_COEF=ca is not None, CT=ct, BP=bp, BS=bs, num_warps=_GPU_WARPS)
    if back is not None:
        assign(dx, back)


def _small_block(r):
    return triton.next_power_of_2(max(r, 1)) if SIZE_FOR_INTERPRETER else 256


def batch_norm(out, x, weight, bias, running_mean, running_var, training, momentum, eps):
    y, save_mean, save_invstd = out
    c = x.shape[1]
    if c == 0:
        return
    x, gx = _ncs_in(x)
    n, c, S, xn, xc, xs = gx
    ct = compute_tl(x.dtype)
    L = n * S
    if training and L == 0:
        # no values: NaN statistics (as on cpu), running stats untouched, nothing to normalise
        assign(save_mean, float("nan"))
        assign(save_invstd, float("nan"))
        return
    has_run = running_mean is not None
    if training:
        shift = CudaArray.empty((c,), _ct_np(x), x.block.device_index)
        p1, p2, split = _partials(x, gx, None, None, (shift, None), c, c, n, 0, xc, xn, ct)
    else:
        shift = p1 = p2 = save_mean
        split = 1
    br = _small_block(c)
    launch(_finalize, (cdiv(c, br),), p1, p2, shift, save_mean, save_invstd,
           running_mean if has_run else save_mean, running_var if has_run else save_mean, c, split, L,
           running_mean.strides[0] if has_run else 0, running_var.strides[0] if has_run else 0,
           float(eps), float(momentum), HAS_RUN=has_run and training, EVAL=not training, CT=ct, BR=br)
    if L:
        _launch_apply(x, gx, y, save_mean, save_invstd, weight, bias, 0, 1, ct)


def _backward_operands(dw, db, grad_out, x):
    """(x, its (N, C, S) geometry, grad, its geometry), or None for an empty input (the parameter
    gradients are then zero)."""
    if x.size == 0:
        if dw.size:
            assign(dw, 0.0)
            assign(db, 0.0)
        return None
    return _ncs_in(x) + _ncs_in(grad_out)


def batch_norm_backward(out, grad_out, x, weight, save_mean, save_invstd, training):
    dx, dw, db = out
    ops = _backward_operands(dw, db, grad_out, x)
    if ops is None:
        return
    x, gx, g, gg = ops
    n, c, S, xn, xc, xs = gx
    ct = compute_tl(x.dtype)
    p1, p2, split = _partials(x, gx, g, (0, gg[4], gg[3], gg[5]), (save_mean, (0, 1)), c, c, n, 0, xc, xn, ct)
    ca = cb = None
    if training:
        ca = CudaArray.empty((c,), _ct_np(x), x.block.device_index)
        cb = CudaArray.empty((c,), _ct_np(x), x.block.device_index)
    wa, sw = _vec(weight)
    br = _small_block(c)
    launch(_bn_bwd_finalize, (cdiv(c, br),), p1, p2, save_invstd, wa if wa is not None else x, dw, db,
           ca if ca is not None else p1, cb if cb is not None else p1, c, split, n * S, sw, dw.strides[0],
           db.strides[0], HAS_W=wa is not None, TRAINING=bool(training), CT=ct, BR=br)
    _launch_dx(dx, g, gg, x, gx, save_mean, save_invstd, weight, ca, cb, 0, 1, ct)


def group_norm(out, x, weight, bias, num_groups, eps):
    y, mean, rstd = out
    if x.size == 0:
        if mean.size:  # no values per group: NaN statistics, as on cpu
            assign(mean, float("nan"))
            assign(rstd, float("nan"))
        return
    x, gx = _ncs_in(x)
    n, c, S, xn, xc, xs = gx
    ct = compute_tl(x.dtype)
    G = int(num_groups)
    cg = c // G
    R = n * G
    shift = CudaArray.empty((R,), _ct_np(x), x.block.device_index)
    p1, p2, split = _partials(x, gx, None, None, (shift, None), R, G, cg, xn, cg * xc, xc, ct)
    br = _small_block(R)
    launch(_finalize, (cdiv(R, br),), p1, p2, shift, mean, rstd, mean, mean, R, split, cg * S, 0, 0,
           float(eps), 0.0, HAS_RUN=False, EVAL=False, CT=ct, BR=br)
    _launch_apply(x, gx, y, mean, rstd, weight, bias, G, cg, ct)


def group_norm_backward(out, grad_out, x, mean, rstd, weight, num_groups):
    dx, dw, db = out
    ops = _backward_operands(dw, db, grad_out, x)
    if ops is None:
        return
    x, gx, g, gg = ops
    n, c, S, xn, xc, xs = gx
    ct = compute_tl(x.dtype)
    G = int(num_groups)
    cg = c // G
    dev = x.block.device_index
    # per (n, c) plane sums: one program per plane, the plane's S elements as a 1 x S outer grid
    p1, p2, _ = _partials(x, gx, g, (gg[3], gg[4], 0, gg[5]), (mean, (G, cg)), n * c, c, 1, xn, xc, 0, ct,
                          split=1)
    R = n * G
    ca = CudaArray.empty((R,), _ct_np(x), dev)
    cb = CudaArray.empty((R,), _ct_np(x), dev)
    wa, sw = _vec(weight)
    bc = triton.next_power_of_2(max(cg, 1)) if SIZE_FOR_INTERPRETER else min(triton.next_power_of_2(cg), 64)
    br = max(1, min(_small_block(R), (1 << 14) // bc)) if SIZE_FOR_INTERPRETER else 32
    launch(_gn_coef, (cdiv(R, br),), p1, p2, rstd, wa if wa is not None else x, ca, cb, R, c, G, cg, cg * S, sw,
           HAS_W=wa is not None, CT=ct, BR=br, BC=bc)
    bcc = _small_block(c) if SIZE_FOR_INTERPRETER else 64
    bn = max(1, min(triton.next_power_of_2(n), (1 << 14) // bcc)) if SIZE_FOR_INTERPRETER else 16
    launch(_gn_param_grads, (cdiv(c, bcc),), p1, p2, rstd, dw, db, n, c, G, cg, dw.strides[0], db.strides[0],
           CT=ct, BN=bn, BC=bcc)
    _launch_dx(dx, g, gg, x, gx, mean, rstd, weight, ca, cb, G, cg, ct)


IMPLS = {"batch_norm": batch_norm, "batch_norm_backward": batch_norm_backward,
         "group_norm": group_norm, "group_norm_backward": group_norm_backward}
