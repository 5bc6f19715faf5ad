"""Triton kernels of the fused recurrence: ``rnn_recurrence`` (one RNN / LSTM / GRU layer, one
direction, every time step) and ``rnn_recurrence_backward`` (backward through time).  The op
contract (packed layout, processing order, reserve columns) is in tritorch/_ops/rnn.py; shapes:
xproj (N, G*H), w_hh (G*H, K), h0 (B, K), c0 (B, H), w_hr (P, H); G gates, H hidden, K = P or H.
Every operand is read in place through its strides; a step launches over its bs active rows only.

Forward: one launch of `_fwd_step_kernel` per time step.  Grid: (row blocks of the step's bs
rows, blocks of the H hidden columns); a program owns BB batch rows x BH hidden columns of EVERY
gate, held gate-interleaved in one (BB, BH*GW) fp32 tile (GW = 4 slots for lstm / gru, 1 for rnn).
It walks K in BK chunks: its rows' previous-state chunk (rows b < n_prev from the previous step's
y rows, the rest from h0, no gather) is loaded once and multiplied by the matching gate rows of
w_hh^T in ONE ``tl.dot`` per chunk (fp32 accumulation for f16 / bf16 / f32, IEEE unless the
``tf32`` attr is set; a CUDA-core broadcast-product loop in fp64).  Fused after the loop, in
registers: + b_hh, + the step's xproj columns, the activations (`_activation`'s sigmoid / tanh /
relu), LSTM's cell update (c_prev from the previous step's reserve cell column or c0), GRU's
n = tanh(x_n + r (W_hn h + b_hn)) and interpolation; then the stores of y, the reserve columns and
h_n / c_n for the rows whose sequence ends at this step.  With w_hr (LSTM) the kernel stores
hcell = o tanh(c) instead of y and ``linear.fused_matmul`` forms the step's y rows = hcell @ w_hr^T
(a second launch; on steps where sequences end, a copy of those rows to h_n is a third).
Bytes per step: bs*K state items read once per hidden-column block, G*H*K weight items once per
row block, bs*G*H xproj items, bs*(K + R) stored (R reserve columns), G*H bias items.  FLOPs:
2*bs*K*G*H for the GEMM, ~15 per gate element for the epilogue.

Backward, per step s = T-1 .. 0: one launch of `_bwd_step_kernel` (grid as the forward's), which
computes the recurrent GEMM rec = G_{s+1}[b] @ w_hh for its hidden columns (G_{s+1}: the next
step's hidden-side gate gradients -- its dxproj rows, dgh for GRU -- already in the output; only
row blocks holding rows b < n_next run it) and the gate gradients together: dh = grad_y + (rec
(+ GRU's direct carry) | grad_hn for the rows ending here), then the mode's derivatives on
gate-interleaved tiles, storing dxproj (and dgh), the carries for step s-1 (LSTM dC * f, GRU
dh * z: a (B, H) compute-dtype workspace, each element read and rewritten by the same program)
and dc0.  With w_hr, `_bwd_dh_kernel` first forms the projected state's gradient dhp = grad_y +
(G_{s+1} @ w_hh | grad_hn) over the P columns (an output), and the step kernel's GEMM is
dh = dhp @ w_hr instead (two launches per step).  Rows that started from h0 (forward: step 0;
reverse: where a sequence's last element sits) get dh0 = G_s @ w_hh (+ GRU's direct term) from
``linear.fused_matmul``, a launch on those steps only.
Bytes per step: n_next*G*H gate-gradient items once per hidden-column block, G*H*K weight items
once per row block, bs*(K + R + H) items read (grad_y, reserve, previous state), bs*G*H stored
(x2 for GRU), 2*bs*H carry items.  FLOPs: 2*n_next*G*H*K + ~25 per gate element.

Half types compute in fp32 and round once per stored value; the state carried between steps is
the stored y / reserve cell (as cuDNN's reserve space), the backward carries stay fp32.
Tiles (`_tiles`): 16 or 32 rows x 16 hidden columns (x 4 gates) or 32 (rnn), BK = 32, fp64 smaller
for its register-held broadcast product; the interpreter covers a step with one big tile.
"""

import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray
from ._activation import sigmoid, tanh, relu
from ._dtypes import F32, F64, dot_types
from ._elementwise import assign
from ._jit import convert, dot_acc
from ._launch import SIZE_FOR_INTERPRETER, launch, cdiv, needs_i64
from .linear import fused_matmul

__all__ = ["IMPLS"]

_MODES = {"lstm": 0, "gru": 1, "rnn_tanh": 2, "rnn_relu": 3}
_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


# ---- device helpers ---------------------------------------------------------------------------
# `convert` only where bf16 is involved: each nested jit call costs the interpreter a few ms.
@triton.jit
def _ld(ptrs, mask, T: tl.constexpr):
    x = tl.load(ptrs, mask=mask, other=0)
    if x.dtype != T:
        if x.dtype == tl.bfloat16 or T == tl.bfloat16:
            x = convert(x, T)
        else:
            x = x.to(T)
    return x


@triton.jit
def _st(ptrs, v, mask):
    if ptrs.dtype.element_ty == tl.bfloat16:
        v = convert(v, tl.bfloat16)
    else:
        v = v.to(ptrs.dtype.element_ty)
    tl.store(ptrs, v, mask=mask)


@triton.jit
def _tile(BB: tl.constexpr, BH: tl.constexpr, GW: tl.constexpr, I64: tl.constexpr):
    """This program's indices: (b its BB batch rows, cols its BH hidden columns, gate and hcol of
    the gate-interleaved (BB, BH * GW) tile, whose column c * GW + g is gate g of hidden column
    hcol = program_id(1) * BH + c, i.e. column g * H + hcol of a (., G * H) gate array)."""
    b = tl.program_id(0) * BB + tl.arange(0, BB)
    cols = tl.program_id(1) * BH + tl.arange(0, BH)
    j = tl.arange(0, BH * GW)
    hcol = tl.program_id(1) * BH + j // GW
    if I64:
        b = b.to(tl.int64)
        cols = cols.to(tl.int64)
        hcol = hcol.to(tl.int64)
    return b, cols, j % GW, hcol


@triton.jit
def _split4(t, BB: tl.constexpr, BH: tl.constexpr):
    """The four (BB, BH) gate tiles of a gate-interleaved (BB, BH * 4) tile."""
    a, b = tl.split(tl.reshape(t, [BB, BH, 2, 2]))
    t0, t2 = tl.split(a)
    t1, t3 = tl.split(b)
    return t0, t1, t2, t3


@triton.jit
def _join4(t0, t1, t2, t3, BB: tl.constexpr, BH: tl.constexpr):
    """The gate-interleaved (BB, BH * 4) tile of four (BB, BH) gate tiles (`_split4`'s inverse)."""
    return tl.reshape(tl.join(tl.join(t0, t2), tl.join(t1, t3)), [BB, BH * 4])


@triton.jit
def _state(P, stride_pm, stride_pn, prow, pcol, I0, stride_im, stride_in, b, icol, prev, init, cok, T: tl.constexpr):
    """(rows, cols) tile of previous states in dtype T: rows where ``prev`` from P[prow, pcol] (the
    previous step's rows), rows where ``init`` from the initial state I0[b, icol]."""
    a = _ld(P + prow[:, None] * stride_pm + pcol[None, :] * stride_pn, prev[:, None] & cok[None, :], T)
    i = _ld(I0 + b[:, None] * stride_im + icol[None, :] * stride_in, init[:, None] & cok[None, :], T)
    return tl.where(prev[:, None], a, i)


@triton.jit
def _rec(A, W, arow, asel, cols, cok, KDIM, stride_am, stride_ak, stride_wk, stride_wn,
         DOT: tl.constexpr, TF32: tl.constexpr, ET: tl.constexpr, CT: tl.constexpr,
         BB: tl.constexpr, BH: tl.constexpr, BK: tl.constexpr):
    """A[arow, :KDIM] @ W[:KDIM, cols] for the rows where ``asel`` (0 elsewhere): the recurrent GEMM."""
    kk = tl.arange(0, BK).to(arow.dtype)
    pa = A + arow[:, None] * stride_am + kk[None, :] * stride_ak
    pw = W + kk[:, None] * stride_wk + cols[None, :] * stride_wn
    acc = tl.zeros([BB, BH], CT)
    for k0 in range(0, KDIM, BK):
        kok = kk < KDIM - k0
        a = _ld(pa, asel[:, None] & kok[None, :], ET)
        w = _ld(pw, kok[:, None] & cok[None, :], ET)
        acc = dot_acc(a, w, acc, DOT, TF32)
        pa += BK * stride_ak
        pw += BK * stride_wk
    return acc


# ---- forward ----------------------------------------------------------------------------------
@triton.jit
def _fwd_step_kernel(X, W, BHH, Y, H0, C0, RES, HN, CN,
                     row0, prow0, BS, NPREV, NNEXT, H, K,
                     stride_xm, stride_xn, stride_wm, stride_wk, stride_b, stride_ym, stride_yk,
                     stride_h0m, stride_h0k, stride_c0m, stride_c0n, stride_rm, stride_rn,
                     stride_hnm, stride_hnk, stride_cnm, stride_cnn,
                     MODE: tl.constexpr, G: tl.constexpr, GW: tl.constexpr, HAS_B: tl.constexpr,
                     PROJ: tl.constexpr, DOT: tl.constexpr, TF32: tl.constexpr, ET: tl.constexpr, CT: tl.constexpr,
                     BB: tl.constexpr, BH: tl.constexpr, BK: tl.constexpr, I64: tl.constexpr):
    """One forward time step: the hidden GEMM of every gate and the gate math, for BB batch rows x BH
    hidden columns (x G gates).  Grid: (cdiv(BS, BB), cdiv(H, BH)).
    Pointers: X (N, G*H) xproj, W (G*H, K) w_hh, BHH (G*H,) b_hh, Y (N, K) y (read: the previous
    step's rows; written: this step's, unless PROJ), H0 (B, K), C0 (B, H), RES (N, R) reserve
    (read: the previous step's cell column), HN (B, K) h_n, CN (B, H) c_n (absent operands: any
    valid pointer, never read).
    Sizes: row0 / prow0 the first packed row of this / the previous step, BS active rows, rows
    b < NPREV continue from the previous step (the rest from h0 / c0), rows b >= NNEXT end here, H, K.
    Strides (elements): stride_<x>m / stride_<x>{n,k} row / column strides of each operand, stride_b of b_hh.
    Constexprs: MODE (0 lstm, 1 gru, 2 rnn_tanh, 3 rnn_relu), G gates, GW gates per tile (4 for lstm /
    gru, gate 3 of gru unused; 1 for rnn), HAS_B, PROJ (store hcell in the reserve; y and h_n come from the
    projection GEMM), DOT (tl.dot, else a CUDA-core loop), TF32, ET dot operand dtype, CT compute dtype,
    BB x BH tile, BK reduction chunk, I64 int64 offsets."""
    b, cols, gate, hcol = _tile(BB, BH, GW, I64)
    rok = b < BS
    cok = cols < H
    gcol = gate * H + hcol
    jok = (hcol < H) & (gate < G)
    prev = b < NPREV
    init = rok & (b >= NPREV)
    prow = prow0 + b
    row = row0 + b
    # All gates in one (BB, BH * GW) accumulator: one dot per K chunk against the gate-interleaved
    # rows of w_hh, the previous-state chunk loaded once.
    kk = tl.arange(0, BK).to(b.dtype)
    pw = W + gcol[None, :] * stride_wm + kk[:, None] * stride_wk
    acc = tl.zeros([BB, BH * GW], CT)
    for k0 in range(0, K, BK):
        k = k0 + kk
        kok = k < K
        hp = _state(Y, stride_ym, stride_yk, prow, k, H0, stride_h0m, stride_h0k, b, k, prev, init, kok, ET)
        acc = dot_acc(hp, _ld(pw, kok[:, None] & jok[None, :], ET), acc, DOT, TF32)
        pw += BK * stride_wk
    if HAS_B:
        acc += _ld(BHH + gcol * stride_b, jok, CT)[None, :]
    ok = rok[:, None] & cok[None, :]
    fin = ok & (b >= NNEXT)[:, None]
    x = _ld(X + row[:, None] * stride_xm + gcol[None, :] * stride_xn, rok[:, None] & jok[None, :], CT)
    rp = RES + row[:, None] * stride_rm
    yp = Y + row[:, None] * stride_ym + cols[None, :] * stride_yk
    hnp = HN + b[:, None] * stride_hnm + cols[None, :] * stride_hnk
    if MODE == 0:
        v = x + acc
        act = tl.where((gate == 2)[None, :], tanh(v), sigmoid(v))
        _st(rp + gcol[None, :] * stride_rn, act, rok[:, None] & jok[None, :])
        i, f, g, o = _split4(act, BB, BH)
        cp = _state(RES, stride_rm, stride_rn, prow, cols + 4 * H, C0, stride_c0m, stride_c0n, b, cols, prev, init,
                    cok, CT)
        c = f * cp + i * g
        hc = o * tanh(c)
        _st(rp + (cols + 4 * H)[None, :] * stride_rn, c, ok)
        if PROJ:
            _st(rp + (cols + 5 * H)[None, :] * stride_rn, hc, ok)
        else:
            _st(yp, hc, ok)
            _st(hnp, hc, fin)
        _st(CN + b[:, None] * stride_cnm + cols[None, :] * stride_cnn, c, fin)
    elif MODE == 1:
        xr, xz, xn, _ = _split4(x, BB, BH)
        ar, az, an, _ = _split4(acc, BB, BH)
        r = sigmoid(xr + ar)
        z = sigmoid(xz + az)
        n = tanh(xn + r * an)
        hp = _state(Y, stride_ym, stride_yk, prow, cols, H0, stride_h0m, stride_h0k, b, cols, prev, init, cok, CT)
        h = (1.0 - z) * n + z * hp
        # The reserve's 4 column blocks r, z, n, hn are the tile's 4 gate slots.
        _st(rp + gcol[None, :] * stride_rn, _join4(r, z, n, an, BB, BH), rok[:, None] & (hcol < H)[None, :])
        _st(yp, h, ok)
        _st(hnp, h, fin)
    else:
        v = x + acc
        if MODE == 2:
            h = tanh(v)
        else:
            h = relu(v)
        _st(yp, h, ok)
        _st(hnp, h, fin)


# ---- backward ---------------------------------------------------------------------------------
@triton.jit
def _bwd_dh_kernel(A, W, GY, GHN, D, row0, arow0, BS, NSEL, NC, KDIM,
                   stride_am, stride_ak, stride_wk, stride_wn, stride_gym, stride_gyk, stride_ghm, stride_ghk,
                   stride_dm, stride_dk,
                   DOT: tl.constexpr, TF32: tl.constexpr, ET: tl.constexpr, CT: tl.constexpr,
                   BB: tl.constexpr, BH: tl.constexpr, BK: tl.constexpr, I64: tl.constexpr):
    """The projected state's gradient of one step (LSTM with w_hr): D[row0 + b] = GY[row0 + b] +
    (A[arow0 + b] @ W for b < NSEL, else GHN[b]), BB rows x BH of the NC columns per program.
    Grid: (cdiv(BS, BB), cdiv(NC, BH)).
    Pointers: A (N, G*H) the next step's gate gradients (dxproj), W (G*H, NC) w_hh, GY (N, NC) grad_y,
    GHN (B, NC) grad_hn, D (N, NC) dhp output.
    Sizes: row0 / arow0 the first packed row of this / the next step, BS active rows, NSEL rows
    continuing into the next step, NC = P columns, KDIM = G*H the reduction length.
    Strides (elements): stride_am, stride_ak of A; stride_wk, stride_wn of W (reduction, column);
    row / column strides of GY (stride_gy*), GHN (stride_gh*), D (stride_d*).
    Constexprs: DOT (tl.dot, else a CUDA-core loop), TF32, ET dot operand dtype, CT compute dtype,
    BB x BH tile, BK reduction chunk, I64 int64 offsets."""
    b, cols, _, _ = _tile(BB, BH, 1, I64)
    rok = b < BS
    cok = cols < NC
    nxt = b < NSEL
    acc = tl.zeros([BB, BH], CT)
    if tl.program_id(0) * BB < NSEL:
        acc = _rec(A, W, arow0 + b, nxt, cols, cok, KDIM, stride_am, stride_ak, stride_wk, stride_wn, DOT, TF32, ET,
                   CT, BB, BH, BK)
    ok = rok[:, None] & cok[None, :]
    row = row0 + b
    ghn = _ld(GHN + b[:, None] * stride_ghm + cols[None, :] * stride_ghk, ok & (b >= NSEL)[:, None], CT)
    d = _ld(GY + row[:, None] * stride_gym + cols[None, :] * stride_gyk, ok, CT) + tl.where(nxt[:, None], acc, ghn)
    _st(D + row[:, None] * stride_dm + cols[None, :] * stride_dk, d, ok)


@triton.jit
def _bwd_step_kernel(A, W, GY, GHN, GCN, Y, H0, C0, RES, CARRY, DX, DGH, DC0,
                     row0, prow0, arow0, BS, NSEL, NPREV, NNEXT, H, KDIM,
                     stride_am, stride_ak, stride_wk, stride_wn, stride_gym, stride_gyk, stride_ghm, stride_ghk,
                     stride_gcm, stride_gcn, stride_ym, stride_yk, stride_h0m, stride_h0k, stride_c0m, stride_c0n,
                     stride_rm, stride_rn, stride_dxm, stride_dxn, stride_dgm, stride_dgn, stride_dcm, stride_dcn,
                     MODE: tl.constexpr, GW: tl.constexpr, ADD: tl.constexpr, DOT: tl.constexpr,
                     TF32: tl.constexpr, ET: tl.constexpr, CT: tl.constexpr, BB: tl.constexpr, BH: tl.constexpr,
                     BK: tl.constexpr, I64: tl.constexpr):
    """One backward time step: the recurrent GEMM and the gate gradients, BB batch rows x BH hidden
    columns (x the gates) per program.  Grid: (cdiv(BS, BB), cdiv(H, BH)).
    GEMM: acc = A[arow0 + b] @ W[:, cols] for rows b < NSEL.  ADD (no projection): A = the next step's
    gate gradients (dxproj, dgh for gru), W = w_hh, and dh = GY[row] + (acc (+ gru's direct carry) for
    b < NNEXT, else GHN[b]); without ADD (projection): A = this step's dhp rows, W = w_hr, dh = acc.
    Pointers: A (N, KDIM), W (KDIM, H), GY (N, H) grad_y, GHN (B, H) grad_hn, GCN (B, H) grad_cn,
    Y (N, K) y, H0 (B, K), C0 (B, H), RES (N, R) reserve, CARRY (B, H) contiguous compute-dtype carry
    (lstm dC * f, gru dh * z; read for rows b < NNEXT, rewritten), DX (N, G*H) dxproj, DGH (N, G*H)
    dgh, DC0 (B, H) dc0 outputs (absent operands: any valid pointer, never read).
    Sizes: row0 / prow0 / arow0 the first packed row of this / the previous / the GEMM operand's
    step, BS active rows, NSEL GEMM rows, rows b < NPREV continue from the previous step (the rest
    started from h0 / c0), rows b >= NNEXT end here, H, KDIM the reduction length.
    Strides (elements): stride_am, stride_ak of A; stride_wk, stride_wn of W (reduction, column); row /
    column strides of GY, GHN, GCN, Y, H0, C0, RES (stride_r*), DX, DGH (stride_dg*), DC0 (stride_dc*).
    Constexprs: MODE (0 lstm, 1 gru, 2 rnn_tanh, 3 rnn_relu), GW gates per tile (as the forward's), ADD,
    DOT (tl.dot, else a CUDA-core loop), TF32, ET dot operand dtype, CT compute dtype, BB x BH tile,
    BK reduction chunk, I64 int64 offsets."""
    b, cols, gate, hcol = _tile(BB, BH, GW, I64)
    rok = b < BS
    cok = cols < H
    ok = rok[:, None] & cok[None, :]
    gcol = gate * H + hcol
    nxt = (b < NNEXT)[:, None]
    prev = b < NPREV
    init = rok & (b >= NPREV)
    row = row0 + b
    prow = prow0 + b
    kp = CARRY + b[:, None] * H + cols[None, :]
    dh = tl.zeros([BB, BH], CT)
    if tl.program_id(0) * BB < NSEL:
        dh = _rec(A, W, arow0 + b, b < NSEL, cols, cok, KDIM, stride_am, stride_ak, stride_wk, stride_wn, DOT, TF32,
                  ET, CT, BB, BH, BK)
    if ADD:
        if MODE == 1:
            dh += _ld(kp, ok & nxt, CT)
        ghn = _ld(GHN + b[:, None] * stride_ghm + cols[None, :] * stride_ghk, ok & ~nxt, CT)
        dh = _ld(GY + row[:, None] * stride_gym + cols[None, :] * stride_gyk, ok, CT) + tl.where(nxt, dh, ghn)
    rp = RES + row[:, None] * stride_rm
    dxp = DX + row[:, None] * stride_dxm
    if MODE == 0:
        okj = rok[:, None] & (hcol < H)[None, :]
        i, f, g, o = _split4(_ld(rp + gcol[None, :] * stride_rn, okj, CT), BB, BH)
        tc = tanh(_ld(rp + (cols + 4 * H)[None, :] * stride_rn, ok, CT))
        cp = _state(RES, stride_rm, stride_rn, prow, cols + 4 * H, C0, stride_c0m, stride_c0n, b, cols, prev, init,
                    cok, CT)
        gcn = _ld(GCN + b[:, None] * stride_gcm + cols[None, :] * stride_gcn, ok & ~nxt, CT)
        dc = tl.where(nxt, _ld(kp, ok & nxt, CT), gcn) + dh * o * (1.0 - tc * tc)
        d = _join4(dc * g * i * (1.0 - i), dc * cp * f * (1.0 - f), dc * i * (1.0 - g * g), dh * tc * o * (1.0 - o),
                   BB, BH)
        _st(dxp + gcol[None, :] * stride_dxn, d, okj)
        _st(kp, dc * f, ok & prev[:, None])
        _st(DC0 + b[:, None] * stride_dcm + cols[None, :] * stride_dcn, dc * f, ok & init[:, None])
    elif MODE == 1:
        okr = rok[:, None] & (hcol < H)[None, :]
        r, z, n, hn = _split4(_ld(rp + gcol[None, :] * stride_rn, okr, CT), BB, BH)
        hp = _state(Y, stride_ym, stride_yk, prow, cols, H0, stride_h0m, stride_h0k, b, cols, prev, init, cok, CT)
        dnp = dh * (1.0 - z) * (1.0 - n * n)
        drp = dnp * hn * r * (1.0 - r)
        dzp = dh * (hp - n) * z * (1.0 - z)
        okj = okr & (gate < 3)[None, :]
        _st(dxp + gcol[None, :] * stride_dxn, _join4(drp, dzp, dnp, dnp, BB, BH), okj)
        _st(DGH + row[:, None] * stride_dgm + gcol[None, :] * stride_dgn, _join4(drp, dzp, dnp * r, dnp, BB, BH), okj)
        _st(kp, dh * z, ok)
    else:
        yv = _ld(Y + row[:, None] * stride_ym + cols[None, :] * stride_yk, ok, CT)
        if MODE == 2:
            dp = dh * (1.0 - yv * yv)
        else:
            dp = tl.where(yv > 0, dh, 0.0)
        _st(dxp + cols[None, :] * stride_dxn, dp, ok)


# ---- host side --------------------------------------------------------------------------------
def _p2(n):
    return max(16, triton.next_power_of_2(max(int(n), 1)))


def _tiles(dt, rows, cols, k, gw, fwd):
    """(BB, BH, BK, num_warps, num_stages) of the step kernels for ``rows`` batch rows (the first,
    largest step), ``cols`` hidden columns (x ``gw`` gate slots in a tile) and reduction length
    ``k``; ``fwd``: the forward kernel (every gate's accumulator live at once)."""
    if SIZE_FOR_INTERPRETER:
        # The interpreter pays per program and per op: cover a step with few programs.
        return min(_p2(rows), 64), min(_p2(cols), 64), min(_p2(k), 64), 4, 1
    if dt == F64:
        # CUDA-core broadcast product: BB * BK * BH * gw values live in registers at once.
        return 16, 32 // gw, 8, 4, 1
    # At most 32 x 64 accumulators (all gates) and BK = 32: the gate kernels stay at or under ~170
    # registers without spills on sm_80 / sm_90 (the lstm / gru forward with 8 warps: ~80-145), and
    # a small batch's step still spreads over H / 16 programs.
    return (16 if rows <= 16 else 32), (16 if gw > 1 else 32), 32, (8 if fwd and gw > 1 else 4), 2


def _i64(arrays, over):
    """Whether offsets (each array's rows / columns plus a tile's overshoot ``over``) can pass 2**31."""
    return needs_i64(*[([n + over for n in a.shape], a.strides) for a in arrays if a is not None and a.size])


def _st2(a):
    """Row and column strides of a 2-d operand (0, 0 for an absent one)."""
    return list(a.strides) if a is not None and a.ndim == 2 else [0, 0]


def _rows(a, r0, n, c0=0, nc=None):
    """The view a[r0:r0+n, c0:c0+nc] of a 2-d array."""
    nc = a.shape[1] - c0 if nc is None else nc
    return a.view_as((n, nc), a.strides, a.offset + r0 * a.strides[0] + c0 * a.strides[1])


def rnn_recurrence(out, xproj, w_hh, b_hh, h0, c0, w_hr, steps=(), mode="lstm", tf32=False):
    """(y, h_n, c_n, reserve) of one layer and direction: xproj (N, G*H), w_hh (G*H, K), b_hh (G*H,) or
    None, h0 (B, K), c0 (B, H) (lstm) or None, w_hr (P, H) or None (lstm); ``steps``: the plan of
    tritorch._ops.rnn.plan."""
    y, h_n, c_n, reserve = out
    G = _GATES[mode]
    H, K = w_hh.shape[0] // G, w_hh.shape[1]
    if y.size == 0 and reserve.size == 0:
        return
    et, ct, dot, tf32 = dot_types(w_hh.dtype, tf32)
    gw = 4 if G > 1 else 1
    bb, bh, bk, warps, stages = _tiles(w_hh.dtype, h0.shape[0], H, K, gw, True)
    lstm = mode == "lstm"
    # Overshoot: a tile past the edge, and gru's unused fourth gate slot (columns 3H .. 4H).
    i64 = _i64([xproj, w_hh, b_hh, y, h0, c0, reserve, h_n, c_n if lstm else None], max(bb, bh, bk) + H)
    # Absent operands: y stands in for the pointer (never read); c_n of a non-lstm is shape (0,).
    meta = dict(MODE=_MODES[mode], G=G, GW=gw, HAS_B=b_hh is not None, PROJ=w_hr is not None, DOT=dot, TF32=tf32, ET=et,
                CT=ct, BB=bb, BH=bh, BK=bk, I64=i64, num_warps=warps, num_stages=stages)
    ptrs = [xproj, w_hh, b_hh if b_hh is not None else y, y, h0, c0 if lstm else y, reserve, h_n,
            c_n if lstm else y]
    strides = (_st2(xproj) + _st2(w_hh) + [b_hh.strides[0] if b_hh is not None else 0] + _st2(y) + _st2(h0)
               + _st2(c0) + _st2(reserve) + _st2(h_n) + _st2(c_n if lstm else None))
    for r0, n, p0, n_prev, _, n_next in steps:
        if H:
            launch(_fwd_step_kernel, (cdiv(n, bb), cdiv(H, bh)), *ptrs, r0, p0, n, n_prev, n_next, H, K, *strides,
                   **meta)
        if w_hr is not None:
            hcell = _rows(reserve, r0, n, 5 * H, H)
            w_t = w_hr.view_as((H, K), w_hr.strides[::-1])
            fused_matmul(_rows(y, r0, n), hcell, w_t, None, None, tf32=tf32)
            if n_next < n:
                assign(_rows(h_n, n_next, n - n_next), _rows(y, r0 + n_next, n - n_next))


def rnn_recurrence_backward(out, grad_y, grad_hn, grad_cn, w_hh, b_hh, h0, c0, w_hr, y, reserve, steps=(), mode="lstm",
                            tf32=False):
    """(dxproj, dgh, dh0, dc0, dhp): backward through time of `rnn_recurrence` (shapes as its op)."""
    dxproj, dgh, dh0, dc0, dhp = out
    G = _GATES[mode]
    H, K = w_hh.shape[0] // G, w_hh.shape[1]
    gru, lstm, proj = mode == "gru", mode == "lstm", w_hr is not None
    et, ct, dot, tf32 = dot_types(w_hh.dtype, tf32)
    gw = 4 if G > 1 else 1
    B = h0.shape[0]
    bb, bh, bk, warps, stages = _tiles(w_hh.dtype, B, max(H, K), max(G * H, K), gw, False)
    # The carries between steps (lstm dC * f, gru dh * z) stay in the compute dtype.
    carry = CudaArray.empty((B, H), F64 if ct == tl.float64 else F32, dxproj.block.device_index) \
        if (lstm or gru) and H else None
    gates = dgh if gru else dxproj
    i64 = _i64([grad_y, grad_hn, grad_cn, w_hh, h0, c0, w_hr, y, reserve, carry, dxproj, dgh if gru else None,
                dc0 if lstm else None, dhp if proj else None], max(bb, bh, bk) + H)
    common = dict(DOT=dot, TF32=tf32, ET=et, CT=ct, BB=bb, BH=bh, BK=bk, I64=i64, num_warps=warps,
                  num_stages=stages)
    fill = dxproj
    tail = [grad_y, grad_hn, grad_cn if lstm else fill, y, h0, c0 if lstm else fill, reserve,
            carry if carry is not None else fill, dxproj, dgh if gru else fill, dc0 if lstm else fill]
    tail_strides = (_st2(grad_y) + _st2(grad_hn) + _st2(grad_cn if lstm else None) + _st2(y) + _st2(h0) + _st2(c0)
                    + _st2(reserve) + _st2(dxproj) + _st2(dgh if gru else None) + _st2(dc0 if lstm else None))
    ws = list(w_hh.strides)
    for r0, n, p0, n_prev, q0, n_next in reversed(steps):
        if proj:
            launch(_bwd_dh_kernel, (cdiv(n, bb), cdiv(K, bh)), gates, w_hh, grad_y, grad_hn, dhp, r0, q0, n, n_next,
                   K, G * H, *_st2(gates), *ws, *_st2(grad_y), *_st2(grad_hn), *_st2(dhp), **common)
            rec = [dhp, w_hr, *tail, r0, p0, r0, n, n, n_prev, n_next, H, K, *_st2(dhp), *w_hr.strides]
        else:
            rec = [gates, w_hh, *tail, r0, p0, q0, n, n_next, n_prev, n_next, H, G * H, *_st2(gates), *ws]
        if H:
            launch(_bwd_step_kernel, (cdiv(n, bb), cdiv(H, bh)), *rec, *tail_strides, MODE=_MODES[mode], GW=gw,
                   ADD=not proj, **common)
        if n_prev < n:
            # Rows that started from h0: dh0 = G_s @ w_hh (+ gru's direct term dh * z, in the carry).
            res = _rows(carry, n_prev, n - n_prev) if gru and carry is not None else None
            fused_matmul(_rows(dh0, n_prev, n - n_prev), _rows(gates, r0 + n_prev, n - n_prev), w_hh, None, res,
                         tf32=tf32)


IMPLS = {"rnn_recurrence": rnn_recurrence, "rnn_recurrence_backward": rnn_recurrence_backward}
