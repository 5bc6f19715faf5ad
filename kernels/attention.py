"""Triton kernels of scaled dot-product attention: a flash-attention forward and backward.

Layout.  Every operand is seen as (Z, H, rows, cols) through its strides: the broadcast batch
dims (N...) of the output are collapsed host-side over all operands' strides (stride 0 where an
operand broadcasts, so a shared key/value or a (L, S) mask is read in place, never expanded) to
at most two, (z, h); more than two unmergeable dims take one launch per leading index (as does
each z when z * h passes the grid's 65535 limit on its second axis; h alone must stay below it).  Head dims E
and Ev are padded to powers of two >= 16 (``BD``/``BDV``) by masked loads.

Forward (`_fwd_kernel`, one program per BM query rows of one (z, h)): the query tile stays in
registers while the program walks the keys in BN blocks: s = q k^T * scale * log2(e) (+ mask *
log2(e), or -inf where a bool mask is False, past the causal diagonal or past S), running max m,
running sum l and the accumulator rescaled by exp2(m_old - m_new) (online softmax in base 2,
fp32 statistics and accumulation), acc += p v.  Causal programs stop at their last key block
that holds an unmasked key (top-left aligned: key j <= query i), so about half the blocks are
skipped, and only the blocks crossing the diagonal pay for the causal test (a second loop).
Finally out = acc / l and lse = (m + log2 l) * ln 2 (natural log, fp32; a row with no key left
gives out = 0 and lse = +inf, so its backward P is 0: PyTorch's CPU result).  No L x S matrix
exists anywhere.  In-head offsets are int32 unless some operand's head spans 2**31 items (``I64``);
batch offsets are always int64.  Bytes: q, out once, k and v once per query block
(L/BM (S*E + S*Ev) items per head); FLOPs 2*L*S*(E + Ev) per head (halved when causal).
Backward (recomputes P = exp2(s - lse), nothing of size L x S is stored):
  * `_delta_kernel`: delta = rowsum(dO * O) (fp32, (N, L)), two reads per output element.
  * `_dkdv_kernel`, one program per BN keys: walks the query blocks (causal: from the diagonal
    on, the causal test only in the blocks that cross it)
    with k, v in registers: dV += (P Z)^T dO, dP = (dO V^T) Z, dS = P (dP - delta), dK += dS^T Q;
    dK *= scale.  `_dq_kernel`, one program per BM queries: walks the key blocks (causal: up to the
    diagonal, split as the forward's): dQ += dS K; dQ *= scale.  Two kernels, so no atomics: dK, dV
    and dQ are each written once, in the output's broadcast batch shape (the autograd node sums
    broadcast dims away).
    FLOPs 2.5x the forward's (P recomputed twice).  Bytes: the dK/dV kernel reads k, v once and
    q, dO, lse, delta once per key block (S/BN (L*E + L*Ev) items per head) and writes dk, dv; the dQ
    kernel reads q, dO once and k, v once per query block, and writes dq.  Temporary: delta (N*L fp32).
Dropout (p > 0) is fused: the keep mask of element (b, i, j) (b the flat batch index) is
u >= p with u the top 24 bits of Philox-4x32-10 at counter (flat index low/high 32 bits, generator
offset low/high) keyed by the generator's 64-bit seed (the random kernels' scheme), kept weights
scaled by 1 / (1 - p); the backward kernels regenerate it: nothing is stored.
Dots: fp16/bf16 operands on the tensor cores (mma.sync on sm_80, wgmma on sm_90) with fp32
accumulation; P and dS are rounded to the input dtype before their dots (as flash-attention does);
fp32 inputs use IEEE fp32 dots unless the launcher's ``tf32`` argument is set (the op attr the frontend
fills from PyTorch's tf32 switch; this file reads no frontend state); float64 (no tensor-core path) uses a
broadcast multiply-and-sum on the CUDA cores with float64 statistics.  The interpreter multiplies
bf16 bit patterns in tl.dot, so there bf16 tiles are widened to fp32 before the dots (`_types`).
"""
import itertools
import math

import numpy as np
import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray
from ._dtypes import F32, F64, dot_types
from ._elementwise import collapse
from ._jit import as_f64, convert, dot_acc
from ._launch import SIZE_FOR_INTERPRETER, launch, cdiv, needs_i64

__all__ = ["IMPLS"]

_LOG2E = 1.4426950408889634
_MAX_GRID_Y = 65535


@triton.jit
def _ld(ptrs, mask, ET: tl.constexpr):
    v = tl.load(ptrs, mask=mask, other=0.0)
    if v.dtype != ET:
        v = convert(v, ET)
    return v


@triton.jit
def _idx(start, B: tl.constexpr, I64: tl.constexpr):
    """``start + arange(B)``, int64 when a head's offsets can pass 2**31."""
    i = start + tl.arange(0, B)
    if I64:
        i = i.to(tl.int64)
    return i


@triton.jit
def _scores(s, Msk, ri, ci, rok, cok, stride_mm, stride_mn, mscale, MASK: tl.constexpr, CAUSAL: tl.constexpr):
    """Masked base-2 scores: ``ri``/``ci`` query/key indices and ``rok``/``cok`` their range checks,
    broadcastable to ``s`` (either orientation).  MASK: 0 none, 1 bool (False -> -inf), 2 added."""
    s = tl.where(cok, s, float("-inf"))
    if CAUSAL:
        s = tl.where(ci <= ri, s, float("-inf"))
    if MASK == 1:
        mk = tl.load(Msk + ri * stride_mm + ci * stride_mn, mask=rok & cok, other=0)
        s = tl.where(mk != 0, s, float("-inf"))
    if MASK == 2:
        mk = tl.load(Msk + ri * stride_mm + ci * stride_mn, mask=rok & cok, other=0.0)
        s = s + convert(mk, s.dtype) * mscale
    return s


@triton.jit
def _programs(H):
    """(tile index, flat (z, h) index, z, h) of this program: grid axis 0 walks tiles, axis 1 the heads."""
    pid_b = tl.program_id(1)
    return tl.program_id(0), pid_b, (pid_b // H).to(tl.int64), (pid_b % H).to(tl.int64)


@triton.jit
def _scalars(scale2, mscale, pdrop, dscale, CT: tl.constexpr):
    """The float64 scalar arguments in their compute dtypes: (score scale, mask scale, p, 1 / (1 - p))."""
    return as_f64(scale2).to(CT), as_f64(mscale).to(CT), as_f64(pdrop).to(tl.float32), as_f64(dscale).to(CT)


@triton.jit
def _keep(seed_lo, seed_hi, off_lo, off_hi, b, ri, ci, L, S, p):
    """Dropout keep mask of elements (b, ri, ci): 24-bit Philox uniforms u >= p."""
    idx = (b * L + ri.to(tl.int64)) * S + ci.to(tl.int64)
    seed = (seed_hi.to(tl.uint64) << 32) | seed_lo.to(tl.uint64)
    c0 = (idx & 0xFFFFFFFF).to(tl.uint32)
    c1 = (idx >> 32).to(tl.uint32)
    z = c0 * 0
    r0, _, _, _ = tl.philox(seed, c0, c1, z + off_lo.to(tl.uint32), z + off_hi.to(tl.uint32))
    return (r0 >> 8).to(tl.float32) * 5.960464477539063e-08 >= p


@triton.jit
def _fwd_keys(acc, m_i, l_i, q, K, V, Msk, rows, rok, lo, hi, stride_kn, stride_kd, stride_vn, stride_vd, stride_mm,
              stride_mn, L, S, E, EV, b,
              sc, ms, pd, dsc, seed_lo, seed_hi, off_lo, off_hi, MASK: tl.constexpr, DIAG: tl.constexpr,
              DROPOUT: tl.constexpr, DOT: tl.constexpr, TF32: tl.constexpr, ET: tl.constexpr, CT: tl.constexpr,
              BM: tl.constexpr, BN: tl.constexpr, BD: tl.constexpr, BDV: tl.constexpr, I64: tl.constexpr):
    """Online-softmax update of one query tile by the key blocks in [lo, hi); DIAG applies the causal test."""
    d = tl.arange(0, BD)
    dv = tl.arange(0, BDV)
    for n0 in range(lo, hi, BN):
        cols = _idx(n0, BN, I64)
        cok = cols < S
        kt = _ld(K + cols[None, :] * stride_kn + d[:, None] * stride_kd, (d < E)[:, None] & cok[None, :], ET)
        s = dot_acc(q, kt, tl.zeros([BM, BN], CT), DOT, TF32) * sc
        s = _scores(s, Msk, rows[:, None], cols[None, :], rok[:, None], cok[None, :], stride_mm, stride_mn, ms, MASK,
                    DIAG)
        m_new = tl.maximum(m_i, tl.max(s, 1))
        # A running max still at -inf (every key so far masked) shifts by 0, so exp2 never sees -inf - -inf.
        m_s = tl.where(m_new == float("-inf"), 0.0, m_new).to(CT)
        alpha = tl.exp2(m_i - m_s)
        p = tl.exp2(s - m_s[:, None])
        l_i = l_i * alpha + tl.sum(p, 1)
        if DROPOUT:
            p = tl.where(_keep(seed_lo, seed_hi, off_lo, off_hi, b, rows[:, None], cols[None, :], L, S, pd),
                         p * dsc, 0.0)
        vv = _ld(V + cols[:, None] * stride_vn + dv[None, :] * stride_vd, cok[:, None] & (dv < EV)[None, :], ET)
        acc = dot_acc(p.to(ET), vv, acc * alpha[:, None], DOT, TF32)
        m_i = m_new
    return acc, m_i, l_i


@triton.jit
def _fwd_kernel(Q, K, V, Msk, O, LSE,
                stride_qz, stride_qh, stride_qm, stride_qd, stride_kz, stride_kh, stride_kn, stride_kd,
                stride_vz, stride_vh, stride_vn, stride_vd, stride_mz, stride_mh, stride_mm, stride_mn,
                stride_oz, stride_oh, stride_om, stride_od, stride_lz, stride_lh, stride_lm,
                H, L, S, E, EV, BBASE: tl.int64,
                scale2: tl.float64, mscale: tl.float64, pdrop: tl.float64, dscale: tl.float64,
                seed_lo, seed_hi, off_lo, off_hi, MASK: tl.constexpr, CAUSAL: tl.constexpr, DROPOUT: tl.constexpr,
                DOT: tl.constexpr, TF32: tl.constexpr, ET: tl.constexpr, CT: tl.constexpr, BM: tl.constexpr,
                BN: tl.constexpr, BD: tl.constexpr, BDV: tl.constexpr, I64: tl.constexpr):
    """Flash-attention forward: one BM-row query tile of one (z, h) per program.  Grid: (cdiv(L, BM), Z * H).
    Pointers: Q (Z, H, L, E), K (Z, H, S, E), V (Z, H, S, Ev), Msk (Z, H, L, S) mask (bool or added; Q when
    absent, never read), O (Z, H, L, Ev) output, LSE (Z, H, L) fp32 log-sum-exp output.
    Strides (elements): stride_<x><dim> of each operand x over (z, h, rows, cols): z and h the two
    collapsed batch dims, then m (query rows) / n (key rows), d (head columns).
    Sizes: H heads (the grid's second axis is z * H + h), L queries, S keys, E and EV (Ev) head dims, BBASE
    flat batch index of (0, 0) (dropout counters).  Scalars: scale2 = scale * log2(e), mscale = log2(e) (mask
    scale), pdrop dropout probability, dscale = 1 / (1 - p); seed_lo/hi, off_lo/hi the Philox key and offset.
    Constexprs: MASK (0 none, 1 bool, 2 added), CAUSAL, DROPOUT, DOT (tl.dot, else a CUDA-core loop), TF32,
    ET dot operand dtype, CT statistics dtype, BM x BN query x key tile, BD / BDV padded head dims, I64 int64
    in-head offsets."""
    pid_m, pid_b, z, h = _programs(H)
    Q += z * stride_qz + h * stride_qh
    K += z * stride_kz + h * stride_kh
    V += z * stride_vz + h * stride_vh
    Msk += z * stride_mz + h * stride_mh
    rows = _idx(pid_m * BM, BM, I64)
    d = tl.arange(0, BD)
    dv = tl.arange(0, BDV)
    rok = rows < L
    q = _ld(Q + rows[:, None] * stride_qm + d[None, :] * stride_qd, rok[:, None] & (d < E)[None, :], ET)
    sc, ms, pd, dsc = _scalars(scale2, mscale, pdrop, dscale, CT)
    b = pid_b.to(tl.int64) + BBASE
    m_i = tl.full([BM], float("-inf"), CT)
    l_i = tl.zeros([BM], CT)
    acc = tl.zeros([BM, BDV], CT)
    if CAUSAL:
        # Key blocks wholly left of the tile's first row need no causal test; the blocks from there to
        # the tile's last row get it; keys past the last row are never visited.
        split = tl.minimum(S, (pid_m * BM // BN) * BN)
        acc, m_i, l_i = _fwd_keys(acc, m_i, l_i, q, K, V, Msk, rows, rok, 0, split, stride_kn, stride_kd, stride_vn,
                                  stride_vd, stride_mm, stride_mn,
                                  L, S, E, EV, b, sc, ms, pd, dsc, seed_lo, seed_hi, off_lo, off_hi, MASK, False,
                                  DROPOUT, DOT, TF32, ET, CT, BM, BN, BD, BDV, I64)
        acc, m_i, l_i = _fwd_keys(acc, m_i, l_i, q, K, V, Msk, rows, rok, split, tl.minimum(S, (pid_m + 1) * BM),
                                  stride_kn, stride_kd, stride_vn, stride_vd, stride_mm, stride_mn, L, S, E, EV, b, sc,
                                  ms, pd, dsc, seed_lo, seed_hi,
                                  off_lo, off_hi, MASK, True, DROPOUT, DOT, TF32, ET, CT, BM, BN, BD, BDV, I64)
    else:
        acc, m_i, l_i = _fwd_keys(acc, m_i, l_i, q, K, V, Msk, rows, rok, 0, S, stride_kn, stride_kd, stride_vn,
                                  stride_vd, stride_mm, stride_mn,
                                  L, S, E, EV, b, sc, ms, pd, dsc, seed_lo, seed_hi, off_lo, off_hi, MASK, False,
                                  DROPOUT, DOT, TF32, ET, CT, BM, BN, BD, BDV, I64)
    live = l_i > 0
    out = acc / tl.where(live, l_i, 1.0)[:, None]
    O += z * stride_oz + h * stride_oh
    tl.store(O + rows[:, None] * stride_om + dv[None, :] * stride_od, convert(out, O.dtype.element_ty),
             mask=rok[:, None] & (dv < EV)[None, :])
    m_s = tl.where(m_i == float("-inf"), 0.0, m_i)
    lse = tl.where(live, (m_s + tl.log2(tl.where(live, l_i, 1.0))) * 0.6931471805599453, float("inf"))
    LSE += z * stride_lz + h * stride_lh
    tl.store(LSE + rows * stride_lm, lse.to(LSE.dtype.element_ty), mask=rok)


@triton.jit
def _delta_kernel(O, DO, DL, stride_oz, stride_oh, stride_om, stride_od, stride_gz, stride_gh, stride_gm, stride_gd,
                  H, L, EV, CT: tl.constexpr, BM: tl.constexpr, BDV: tl.constexpr, I64: tl.constexpr):
    """delta = rowsum(dO * O) of BM query rows of one (z, h).  Grid: (cdiv(L, BM), Z * H).
    Pointers: O (Z, H, L, Ev) forward output, DO (Z, H, L, Ev) its gradient, DL (Z * H * L,) output.
    Strides (elements): stride_<x><dim> of each operand x over (z, h, rows, cols): z and h the two
    collapsed batch dims, then m (query rows) / n (key rows), d (head columns).
    Sizes: H heads, L queries, EV head dim.  Constexprs: CT accumulation dtype, BM rows per program, BDV
    padded head dim, I64 int64 in-head offsets."""
    pid_m, pid_b, z, h = _programs(H)
    rows = _idx(pid_m * BM, BM, I64)
    dv = tl.arange(0, BDV)
    msk = (rows < L)[:, None] & (dv < EV)[None, :]
    o = _ld(O + z * stride_oz + h * stride_oh + rows[:, None] * stride_om + dv[None, :] * stride_od, msk, CT)
    g = _ld(DO + z * stride_gz + h * stride_gh + rows[:, None] * stride_gm + dv[None, :] * stride_gd, msk, CT)
    tl.store(DL + pid_b.to(tl.int64) * L + rows, tl.sum(o * g, 1), mask=rows < L)


@triton.jit
def _dkdv_queries(dk, dvacc, k, v, Q, DO, LSE, DL, Msk, cols, cok, lo, hi, stride_qm, stride_qd, stride_gm, stride_gd,
                  stride_lm, stride_mm, stride_mn,
                  L, S, E, EV, b, sc, ms, pd, dsc, seed_lo, seed_hi, off_lo, off_hi, MASK: tl.constexpr,
                  DIAG: tl.constexpr, DROPOUT: tl.constexpr, DOT: tl.constexpr, TF32: tl.constexpr,
                  ET: tl.constexpr, CT: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr, BD: tl.constexpr,
                  BDV: tl.constexpr, I64: tl.constexpr):
    """dK/dV contributions of the query blocks in [lo, hi) to one key tile; DIAG applies the causal test."""
    d = tl.arange(0, BD)
    dv = tl.arange(0, BDV)
    for m0 in range(lo, hi, BM):
        rows = _idx(m0, BM, I64)
        rok = rows < L
        q = _ld(Q + rows[:, None] * stride_qm + d[None, :] * stride_qd, rok[:, None] & (d < E)[None, :], ET)
        do = _ld(DO + rows[:, None] * stride_gm + dv[None, :] * stride_gd, rok[:, None] & (dv < EV)[None, :], ET)
        lse2 = tl.load(LSE + rows * stride_lm, mask=rok, other=float("inf")).to(CT) * 1.4426950408889634
        delta = tl.load(DL + rows, mask=rok, other=0.0)
        # Transposed tiles (keys x queries), so P^T and dS^T feed their dots without a transpose.
        st = dot_acc(k, tl.trans(q), tl.zeros([BN, BM], CT), DOT, TF32) * sc
        st = _scores(st, Msk, rows[None, :], cols[:, None], rok[None, :], cok[:, None], stride_mm, stride_mn, ms, MASK,
                     DIAG)
        pt = tl.exp2(st - lse2[None, :])
        dpt = dot_acc(v, tl.trans(do), tl.zeros([BN, BM], CT), DOT, TF32)
        if DROPOUT:
            keep = _keep(seed_lo, seed_hi, off_lo, off_hi, b, rows[None, :], cols[:, None], L, S, pd)
            dvacc = dot_acc(tl.where(keep, pt * dsc, 0.0).to(ET), do, dvacc, DOT, TF32)
            dpt = tl.where(keep, dpt * dsc, 0.0)
        else:
            dvacc = dot_acc(pt.to(ET), do, dvacc, DOT, TF32)
        dst = pt * (dpt - delta[None, :])
        dk = dot_acc(dst.to(ET), q, dk, DOT, TF32)
    return dk, dvacc


@triton.jit
def _dkdv_kernel(Q, K, V, Msk, DO, LSE, DL, DK, DV,
                 stride_qz, stride_qh, stride_qm, stride_qd, stride_kz, stride_kh, stride_kn, stride_kd,
                 stride_vz, stride_vh, stride_vn, stride_vd, stride_mz, stride_mh, stride_mm, stride_mn,
                 stride_gz, stride_gh, stride_gm, stride_gd, stride_lz, stride_lh, stride_lm,
                 stride_dkz, stride_dkh, stride_dkn, stride_dkd, stride_dvz, stride_dvh, stride_dvn, stride_dvd,
                 H, L, S, E, EV, BBASE: tl.int64, scale: tl.float64, scale2: tl.float64,
                 mscale: tl.float64, pdrop: tl.float64, dscale: tl.float64,
                 seed_lo, seed_hi, off_lo, off_hi, MASK: tl.constexpr, CAUSAL: tl.constexpr,
                 DROPOUT: tl.constexpr, DOT: tl.constexpr, TF32: tl.constexpr, ET: tl.constexpr, CT: tl.constexpr,
                 BM: tl.constexpr, BN: tl.constexpr, BD: tl.constexpr, BDV: tl.constexpr, I64: tl.constexpr):
    """dK and dV of one BN-key tile of one (z, h) per program.  Grid: (cdiv(S, BN), Z * H).
    Pointers: Q, K, V, Msk as `_fwd_kernel`'s, DO (Z, H, L, Ev) output gradient (stride_g*), LSE (Z, H, L)
    forward log-sum-exp, DL (Z * H * L,) `_delta_kernel`'s delta, DK (Z, H, S, E) and DV (Z, H, S, Ev)
    outputs.  Strides (elements): stride_<x><dim> as `_fwd_kernel`'s.
    Sizes and scalars as `_fwd_kernel`'s, plus scale (dK's factor).  Constexprs as `_fwd_kernel`'s."""
    pid_n, pid_b, z, h = _programs(H)
    Q += z * stride_qz + h * stride_qh
    K += z * stride_kz + h * stride_kh
    V += z * stride_vz + h * stride_vh
    Msk += z * stride_mz + h * stride_mh
    DO += z * stride_gz + h * stride_gh
    LSE += z * stride_lz + h * stride_lh
    DL += pid_b.to(tl.int64) * L
    cols = _idx(pid_n * BN, BN, I64)
    d = tl.arange(0, BD)
    dv = tl.arange(0, BDV)
    cok = cols < S
    k = _ld(K + cols[:, None] * stride_kn + d[None, :] * stride_kd, cok[:, None] & (d < E)[None, :], ET)
    v = _ld(V + cols[:, None] * stride_vn + dv[None, :] * stride_vd, cok[:, None] & (dv < EV)[None, :], ET)
    sc, ms, pd, dsc = _scalars(scale2, mscale, pdrop, dscale, CT)
    b = pid_b.to(tl.int64) + BBASE
    dk = tl.zeros([BN, BD], CT)
    dvacc = tl.zeros([BN, BDV], CT)
    if CAUSAL:
        # Query blocks before the tile's first key see none of it; those up to its last key need the
        # causal test; from the first block wholly past the tile's last key on, no test.
        lo = (pid_n * BN // BM) * BM
        split = tl.minimum(L, ((pid_n + 1) * BN + BM - 1) // BM * BM)
        dk, dvacc = _dkdv_queries(dk, dvacc, k, v, Q, DO, LSE, DL, Msk, cols, cok, lo, split, stride_qm, stride_qd,
                                  stride_gm, stride_gd,
                                  stride_lm, stride_mm, stride_mn, L, S, E, EV, b, sc, ms, pd, dsc, seed_lo, seed_hi,
                                  off_lo, off_hi,
                                  MASK, True, DROPOUT, DOT, TF32, ET, CT, BM, BN, BD, BDV, I64)
        dk, dvacc = _dkdv_queries(dk, dvacc, k, v, Q, DO, LSE, DL, Msk, cols, cok, split, L, stride_qm, stride_qd,
                                  stride_gm, stride_gd,
                                  stride_lm, stride_mm, stride_mn, L, S, E, EV, b, sc, ms, pd, dsc, seed_lo, seed_hi,
                                  off_lo, off_hi,
                                  MASK, False, DROPOUT, DOT, TF32, ET, CT, BM, BN, BD, BDV, I64)
    else:
        dk, dvacc = _dkdv_queries(dk, dvacc, k, v, Q, DO, LSE, DL, Msk, cols, cok, 0, L, stride_qm, stride_qd,
                                  stride_gm, stride_gd,
                                  stride_lm, stride_mm, stride_mn, L, S, E, EV, b, sc, ms, pd, dsc, seed_lo, seed_hi,
                                  off_lo, off_hi,
                                  MASK, False, DROPOUT, DOT, TF32, ET, CT, BM, BN, BD, BDV, I64)
    dk = dk * as_f64(scale).to(CT)
    DK += z * stride_dkz + h * stride_dkh
    DV += z * stride_dvz + h * stride_dvh
    tl.store(DK + cols[:, None] * stride_dkn + d[None, :] * stride_dkd, convert(dk, DK.dtype.element_ty),
             mask=cok[:, None] & (d < E)[None, :])
    tl.store(DV + cols[:, None] * stride_dvn + dv[None, :] * stride_dvd, convert(dvacc, DV.dtype.element_ty),
             mask=cok[:, None] & (dv < EV)[None, :])


@triton.jit
def _dq_keys(dq, q, do, lse2, delta, K, V, Msk, rows, rok, lo, hi, stride_kn, stride_kd, stride_vn, stride_vd,
             stride_mm, stride_mn, L, S, E, EV, b,
             sc, ms, pd, dsc, seed_lo, seed_hi, off_lo, off_hi, MASK: tl.constexpr, DIAG: tl.constexpr,
             DROPOUT: tl.constexpr, DOT: tl.constexpr, TF32: tl.constexpr, ET: tl.constexpr, CT: tl.constexpr,
             BM: tl.constexpr, BN: tl.constexpr, BD: tl.constexpr, BDV: tl.constexpr, I64: tl.constexpr):
    """dQ contributions of the key blocks in [lo, hi) to one query tile; DIAG applies the causal test."""
    d = tl.arange(0, BD)
    dv = tl.arange(0, BDV)
    for n0 in range(lo, hi, BN):
        cols = _idx(n0, BN, I64)
        cok = cols < S
        kt = _ld(K + cols[None, :] * stride_kn + d[:, None] * stride_kd, (d < E)[:, None] & cok[None, :], ET)
        vt = _ld(V + cols[None, :] * stride_vn + dv[:, None] * stride_vd, (dv < EV)[:, None] & cok[None, :], ET)
        s = dot_acc(q, kt, tl.zeros([BM, BN], CT), DOT, TF32) * sc
        s = _scores(s, Msk, rows[:, None], cols[None, :], rok[:, None], cok[None, :], stride_mm, stride_mn, ms, MASK,
                    DIAG)
        p = tl.exp2(s - lse2[:, None])
        dp = dot_acc(do, vt, tl.zeros([BM, BN], CT), DOT, TF32)
        if DROPOUT:
            keep = _keep(seed_lo, seed_hi, off_lo, off_hi, b, rows[:, None], cols[None, :], L, S, pd)
            dp = tl.where(keep, dp * dsc, 0.0)
        ds = p * (dp - delta[:, None])
        dq = dot_acc(ds.to(ET), tl.trans(kt), dq, DOT, TF32)
    return dq


@triton.jit
def _dq_kernel(Q, K, V, Msk, DO, LSE, DL, DQ,
               stride_qz, stride_qh, stride_qm, stride_qd, stride_kz, stride_kh, stride_kn, stride_kd,
               stride_vz, stride_vh, stride_vn, stride_vd, stride_mz, stride_mh, stride_mm, stride_mn,
               stride_gz, stride_gh, stride_gm, stride_gd, stride_lz, stride_lh, stride_lm,
               stride_dqz, stride_dqh, stride_dqm, stride_dqd,
               H, L, S, E, EV, BBASE: tl.int64, scale: tl.float64, scale2: tl.float64, mscale: tl.float64,
               pdrop: tl.float64, dscale: tl.float64, seed_lo, seed_hi, off_lo, off_hi,
               MASK: tl.constexpr, CAUSAL: tl.constexpr, DROPOUT: tl.constexpr, DOT: tl.constexpr,
               TF32: tl.constexpr, ET: tl.constexpr, CT: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr,
               BD: tl.constexpr, BDV: tl.constexpr, I64: tl.constexpr):
    """dQ of one BM-query tile of one (z, h) per program.  Grid: (cdiv(L, BM), Z * H).
    Pointers: as `_dkdv_kernel`'s, with DQ (Z, H, L, E) the output.  Strides (elements): stride_<x><dim>
    as `_fwd_kernel`'s.  Sizes, scalars and constexprs as `_dkdv_kernel`'s."""
    pid_m, pid_b, z, h = _programs(H)
    Q += z * stride_qz + h * stride_qh
    K += z * stride_kz + h * stride_kh
    V += z * stride_vz + h * stride_vh
    Msk += z * stride_mz + h * stride_mh
    DO += z * stride_gz + h * stride_gh
    LSE += z * stride_lz + h * stride_lh
    rows = _idx(pid_m * BM, BM, I64)
    d = tl.arange(0, BD)
    dv = tl.arange(0, BDV)
    rok = rows < L
    q = _ld(Q + rows[:, None] * stride_qm + d[None, :] * stride_qd, rok[:, None] & (d < E)[None, :], ET)
    do = _ld(DO + rows[:, None] * stride_gm + dv[None, :] * stride_gd, rok[:, None] & (dv < EV)[None, :], ET)
    lse2 = tl.load(LSE + rows * stride_lm, mask=rok, other=float("inf")).to(CT) * 1.4426950408889634
    delta = tl.load(DL + pid_b.to(tl.int64) * L + rows, mask=rok, other=0.0)
    sc, ms, pd, dsc = _scalars(scale2, mscale, pdrop, dscale, CT)
    b = pid_b.to(tl.int64) + BBASE
    dq = tl.zeros([BM, BD], CT)
    if CAUSAL:
        # As the forward: no causal test left of the tile's first row, keys past its last row skipped.
        split = tl.minimum(S, (pid_m * BM // BN) * BN)
        dq = _dq_keys(dq, q, do, lse2, delta, K, V, Msk, rows, rok, 0, split, stride_kn, stride_kd, stride_vn,
                      stride_vd, stride_mm, stride_mn,
                      L, S, E, EV, b, sc, ms, pd, dsc, seed_lo, seed_hi, off_lo, off_hi, MASK, False, DROPOUT,
                      DOT, TF32, ET, CT, BM, BN, BD, BDV, I64)
        dq = _dq_keys(dq, q, do, lse2, delta, K, V, Msk, rows, rok, split, tl.minimum(S, (pid_m + 1) * BM),
                      stride_kn, stride_kd, stride_vn, stride_vd, stride_mm, stride_mn, L, S, E, EV, b, sc, ms, pd,
                      dsc, seed_lo, seed_hi, off_lo,
                      off_hi, MASK, True, DROPOUT, DOT, TF32, ET, CT, BM, BN, BD, BDV, I64)
    else:
        dq = _dq_keys(dq, q, do, lse2, delta, K, V, Msk, rows, rok, 0, S, stride_kn, stride_kd, stride_vn, stride_vd,
                      stride_mm, stride_mn,
                      L, S, E, EV, b, sc, ms, pd, dsc, seed_lo, seed_hi, off_lo, off_hi, MASK, False, DROPOUT,
                      DOT, TF32, ET, CT, BM, BN, BD, BDV, I64)
    dq = dq * as_f64(scale).to(CT)
    DQ += z * stride_dqz + h * stride_dqh
    tl.store(DQ + rows[:, None] * stride_dqm + d[None, :] * stride_dqd, convert(dq, DQ.dtype.element_ty),
             mask=rok[:, None] & (d < E)[None, :])


# ---- host side ------------------------------------------------------------------------------------
def _p2(n):
    return max(16, triton.next_power_of_2(max(int(n), 1)))


def _blocks(kind, dt, L, S, bd):
    """(BM, BN, num_warps, num_stages) of one kernel ('fwd', 'dkdv', 'dq')."""
    if SIZE_FOR_INTERPRETER:
        # The interpreter pays per program and per op: cover the problem with few programs.
        return min(_p2(L), 128), min(_p2(S), 128), 4, 1
    if dt == F64:
        return 16, 16, 4, 1
    if dt == F32:
        return {"fwd": (64, 32, 4, 2), "dkdv": (32, 64, 4, 2), "dq": (64, 32, 4, 2)}[kind]
    if bd > 128:
        return {"fwd": (64, 32, 8, 2), "dkdv": (32, 32, 4, 2), "dq": (32, 32, 4, 2)}[kind]
    # 8 warps even for D <= 64: with 4, ptxas spills 0.3-1.3 KB per thread (scores, accumulator
    # and the dropout's Philox state at 255 registers; see the kernel report).
    return {"fwd": (128, 64, 8, 3), "dkdv": (32, 128, 8, 3), "dq": (128, 32, 8, 3)}[kind]


def _full_strides(a, shape):
    """``a``'s strides broadcast (right-aligned, 0 on broadcast dims) to ``shape``."""
    lead = len(shape) - a.ndim
    return [0 if i < lead or a.shape[i - lead] == 1 else a.strides[i - lead] for i in range(len(shape))]


def _batches(batch, arrs, shapes):
    """Yield (views, [(sz, sh, tail strides) per array], H, Z, base flat index): the batch dims collapsed
    to two, one item per index of any further leading dims."""
    full = [_full_strides(a, tuple(batch) + tuple(s)) for a, s in zip(arrs, shapes)]
    nb = len(batch)
    kshape, ks = collapse(list(batch), [f[:nb] for f in full])
    if len(kshape) == 1:
        kshape, ks = [1] + kshape, [[0] + k for k in ks]
    if kshape[-2] * kshape[-1] > _MAX_GRID_Y:  # the grid's second axis: one launch per z instead
        kshape, ks = kshape[:-2] + [kshape[-2], 1, kshape[-1]], [k[:-2] + [k[-2], 0, k[-1]] for k in ks]
    lead = kshape[:-2]
    inner = kshape[-2] * kshape[-1]
    for n, idx in enumerate(itertools.product(*[range(x) for x in lead])):
        views = [a.view_as(a.shape, a.strides, a.offset + sum(i * s for i, s in zip(idx, k[:-2])))
                 for a, k in zip(arrs, ks)]
        strides = [(k[-2], k[-1], f[nb:]) for k, f in zip(ks, full)]
        yield views, strides, kshape[-1], kshape[-2], n * inner


def _common(q, k, v, mask, dropout_p, is_causal, scale, seed, offset, tf32):
    L, S, E, EV = q.shape[-2], k.shape[-2], q.shape[-1], v.shape[-1]
    et, ct, dot, tf32 = dot_types(q.dtype, tf32)
    kind = 0 if mask is None else (1 if mask.dtype == np.bool_ else 2)
    scalars = [scale * _LOG2E, _LOG2E, float(dropout_p), 1.0 / (1.0 - dropout_p) if dropout_p < 1 else 0.0,
               seed & 0xFFFFFFFF, seed >> 32, offset & 0xFFFFFFFF, (offset >> 32) & 0xFFFFFFFF]
    meta = dict(MASK=kind, CAUSAL=bool(is_causal), DROPOUT=dropout_p > 0, DOT=dot, TF32=tf32, ET=et, CT=ct,
                BD=_p2(E), BDV=_p2(EV), I64=False)
    return L, S, E, EV, scalars, meta


# Row / column index overshoot past a head's last row or column: the biggest block (BM, BN <= 128,
# the delta kernel's 128) with room to spare.
_OVERSHOOT = 256


def _i64(arrs):
    """Whether in-head offsets (rows/cols times their strides, block overshoot included) can pass 2**31;
    batch offsets are int64 in the kernels anyway."""
    return needs_i64(*[([n + _OVERSHOOT for n in a.shape[-2:]], a.strides[-2:]) for a in arrs if a is not None])


def scaled_dot_product_attention(out, q, k, v, attn_mask, dropout_p, is_causal, scale, seed, offset, tf32=False):
    """(out, lse) of attention; ``tf32``: fp32 dots on TF32 tensor cores (the op attr the frontend sets
    from PyTorch's tf32 switch)."""
    o, lse = out
    if o.size == 0:
        return
    L, S, E, EV, scalars, meta = _common(q, k, v, attn_mask, dropout_p, is_causal, scale, seed, offset, tf32)
    batch = o.shape[:-2]
    meta["I64"] = _i64([q, k, v, attn_mask, o])
    # Without a mask the kernel never reads ``Msk``: q stands in for the pointer.
    msk, mshape = (attn_mask, (L, S)) if attn_mask is not None else (q, (L, E))
    bm, bn, warps, stages = _blocks("fwd", q.dtype, L, S, meta["BD"])
    for views, st, H, Z, base in _batches(batch, [q, k, v, msk, o, lse],
                                          [(L, E), (S, E), (S, EV), mshape, (L, EV), (L,)]):
        args = []
        for sz, sh, tail in st:
            args += [sz, sh] + tail
        launch(_fwd_kernel, (cdiv(L, bm), Z * H), *views, *args, H, L, S, E, EV, base, *scalars,
               BM=bm, BN=bn, num_warps=warps, num_stages=stages, **meta)


def scaled_dot_product_attention_backward(out, grad_out, q, k, v, o, lse, attn_mask, dropout_p, is_causal, scale,
                                          seed, offset, tf32=False):
    """(dq, dk, dv) of attention; ``tf32`` as the forward's."""
    dq, dk, dvv = out
    if dq.size + dk.size + dvv.size == 0:
        return
    L, S, E, EV, scalars, meta = _common(q, k, v, attn_mask, dropout_p, is_causal, scale, seed, offset, tf32)
    batch = dq.shape[:-2]
    meta["I64"] = _i64([q, k, v, attn_mask, o, grad_out, dq, dk, dvv])
    nbatch = math.prod(batch)
    ct = meta["CT"]
    delta = CudaArray.empty((nbatch * L,), F64 if ct == tl.float64 else F32, dq.block.device_index)
    msk, mshape = (attn_mask, (L, S)) if attn_mask is not None else (q, (L, E))
    arrs = [q, k, v, msk, grad_out, lse, o, dq, dk, dvv]
    shapes = [(L, E), (S, E), (S, EV), mshape, (L, EV), (L,), (L, EV), (L, E), (S, E), (S, EV)]
    bmd = 128 if SIZE_FOR_INTERPRETER else 64
    for views, st, H, Z, base in _batches(batch, arrs, shapes):
        qv, kv, vv, mv, gv, lv, ov, dqv, dkv, dvv_ = views
        a = {}
        for name, (sz, sh, tail) in zip(("q", "k", "v", "m", "g", "l", "o", "dq", "dk", "dv"), st):
            a[name] = [sz, sh] + tail
        dl = delta.view_as((Z * H * L,), (1,), delta.offset + base * L)
        if L:
            launch(_delta_kernel, (cdiv(L, bmd), Z * H), ov, gv, dl, *a["o"], *a["g"], H, L, EV, CT=ct,
                   BM=bmd, BDV=meta["BDV"], I64=meta["I64"], num_warps=4)
        common = a["q"] + a["k"] + a["v"] + a["m"] + a["g"] + a["l"]
        bm, bn, warps, stages = _blocks("dkdv", q.dtype, L, S, meta["BD"])
        if S:  # with L = 0 the query loop is empty: dK = dV = 0
            launch(_dkdv_kernel, (cdiv(S, bn), Z * H), qv, kv, vv, mv, gv, lv, dl, dkv, dvv_, *common,
                   *a["dk"], *a["dv"], H, L, S, E, EV, base, float(scale), *scalars, BM=bm, BN=bn,
                   num_warps=warps, num_stages=stages, **meta)
        bm, bn, warps, stages = _blocks("dq", q.dtype, L, S, meta["BD"])
        if L:  # with S = 0 the key loop is empty: dQ = 0
            launch(_dq_kernel, (cdiv(L, bm), Z * H), qv, kv, vv, mv, gv, lv, dl, dqv, *common, *a["dq"],
                   H, L, S, E, EV, base, float(scale), *scalars, BM=bm, BN=bn, num_warps=warps,
                   num_stages=stages, **meta)


IMPLS = {"scaled_dot_product_attention": scaled_dot_product_attention,
         "scaled_dot_product_attention_backward": scaled_dot_product_attention_backward}
