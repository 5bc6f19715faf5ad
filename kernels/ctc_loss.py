"""Triton kernels of the CTC loss: the log-space alpha / beta recursions (Graves et al. 2006).

Layout: log_probs (T, N, C) with any strides; targets int64, padded (N, S) or concatenated (sum L_b,),
addressed through a per-sample start offset and an element stride computed on the host; the lengths
are host tuples uploaded as two (N,) int64 arrays.  Sample b's extended labels l'(s) (blank, y_1, blank,
..., y_L, blank) live in the lanes s < 2 L_b + 1 of a ``BS`` = next_pow2(2 L_max + 1) block.

ctc_loss (forward), one program per batch element looping over its T_b frames: each step loads the
previous alpha row (s, s - 1, and s - 2 where l'(s) != l'(s - 2)) back from the log_alpha output -- a
lane shift in registers is not expressible, so the row goes through global memory with a barrier per
step -- combines them by a 3-way logsumexp and adds the gathered lp[t, l'(s)].  Rows t >= T_b are
written -inf; nll = -lse of the last two positions of row T_b - 1.  Bytes: (2 L + 1) gathered log-probs
and 3 (2 L + 1) alpha reads + (2 L + 1) writes per frame; ~10 FLOPs + 3 exp + 1 log per (t, s).
ctc_loss_backward, two launches: (1) one program per (t, b) row writes g_b exp(lp[t, b, :]) for t < T_b,
0 after (nan / 0 for an infinite loss, as PyTorch / with zero_infinity); (2) one program per batch
element runs the beta recursion backwards in time through a two-row ping-pong workspace and
atomically subtracts g_b * occ(t, s) = g_b exp(alpha + beta + nll - lp[t, l'(s)]) from out[t, b, l'(s)]
(several positions share a label: all blanks, repeated labels).  Bytes: one read of log_probs and one
write of the gradient, plus (2 L + 1) alpha reads and atomics per frame.
Fused: the label gather, the -inf masking of padding positions, the zero_infinity / nan rules.
Every kernel indexes in int64 (batch and row indices are int64 from the start): no int32 switch.
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray
from tritorch.cuda.memory import copy_from_host
from ._elementwise import assign
from ._launch import SIZE_FOR_INTERPRETER, launch

__all__ = ["IMPLS"]


@triton.jit
def _lse3(a0, a1, a2):
    """log(exp(a0) + exp(a1) + exp(a2)), -inf when all three are."""
    m = tl.maximum(tl.maximum(a0, a1), a2)
    ms = tl.where(m == float("-inf"), 0.0, m)
    return tl.log(tl.exp(a0 - ms) + tl.exp(a1 - ms) + tl.exp(a2 - ms)) + ms


@triton.jit
def _labels(tgt, toff, tlen, b, stride_tg, blank, C, BS: tl.constexpr):
    """Lanes s, L_b, 2 L_b + 1, the lane mask, the extended labels (clamped into [0, C)) and the
    skip masks (enter s from s - 2 / leave s to s + 2: odd positions whose label differs)."""
    s = tl.arange(0, BS).to(tl.int64)
    Lb = tl.load(tlen + b)
    off = tl.load(toff + b)
    Sb = 2 * Lb + 1
    smask = s < Sb
    odd = (s % 2) == 1
    k = (s - 1) // 2
    lab = tl.load(tgt + off + k * stride_tg, mask=odd & smask, other=blank)
    prev = tl.load(tgt + off + (k - 1) * stride_tg, mask=odd & smask & (s >= 3), other=-1)
    nxt = tl.load(tgt + off + (k + 1) * stride_tg, mask=odd & (s + 2 < Sb), other=-1)
    skip_in = odd & (s >= 3) & (lab != prev)
    skip_out = odd & (s + 2 < Sb) & (lab != nxt)
    lab = tl.minimum(tl.maximum(lab, 0), C - 1)
    return s, Lb, Sb, smask, lab, skip_in, skip_out


@triton.jit
def _ctc_alpha_kernel(lp, tgt, toff, ilen, tlen, nll, alpha, T, S, C, stride_lt, stride_ln, stride_lc,
                      stride_tg, blank, BS: tl.constexpr):
    """Pointers: lp (T, N, C) log-probs, tgt targets, toff / ilen / tlen (N,) int64 target offsets and
    lengths, nll (N,) and alpha (N, T, S) outputs (contiguous).  Sizes T, S = 2 L_max + 1, C; strides
    stride_lt / stride_ln / stride_lc of lp, stride_tg between a sample's target elements.  Constexpr BS
    >= S lanes.  Grid: (N,)."""
    CT: tl.constexpr = alpha.dtype.element_ty
    NEG: tl.constexpr = float("-inf")
    b = tl.program_id(0).to(tl.int64)
    s, Lb, Sb, smask, lab, skip_in, _ = _labels(tgt, toff, tlen, b, stride_tg, blank, C, BS)
    Tb = tl.load(ilen + b)
    lpb = lp + b * stride_ln + lab * stride_lc
    arow = alpha + b * T * S
    smax = s < S
    v = tl.load(lpb, mask=smask, other=NEG).to(CT)
    tl.store(arow + s, tl.where((s < 2) & smask & (Tb > 0), v, NEG), mask=smax)
    for t in range(1, Tb):
        tl.debug_barrier()   # the previous row, written by other threads, must be visible
        prow = arow + (t - 1) * S
        a0 = tl.load(prow + s, mask=smask, other=NEG)
        a1 = tl.load(prow + s - 1, mask=smask & (s >= 1), other=NEG)
        a2 = tl.load(prow + s - 2, mask=smask & skip_in, other=NEG)
        r = _lse3(a0, a1, a2) + tl.load(lpb + t * stride_lt, mask=smask, other=NEG).to(CT)
        tl.store(arow + t * S + s, tl.where(smask, r, NEG), mask=smax)
    for t in range(tl.maximum(Tb, 1), T):
        tl.store(arow + t * S + s, tl.full([BS], NEG, CT), mask=smax)
    tl.debug_barrier()
    last = arow + tl.maximum(Tb - 1, 0) * S
    e = tl.load(last + s, mask=(s == Sb - 1) | (s == Sb - 2), other=NEG)
    m = tl.max(e, 0)
    ms = tl.where(m == NEG, 0.0, m)
    ll = tl.log(tl.sum(tl.exp(e - ms), 0)) + ms
    res = tl.where(Tb > 0, -ll, tl.where(Lb == 0, 0.0, float("inf")))
    tl.store(nll + b, res.to(CT))


@triton.jit
def _ctc_grad_init_kernel(lp, nll, g, ilen, out, N, C, stride_lt, stride_ln, stride_lc, stride_ot, stride_on,
                          stride_oc, stride_gn, ZERO_INF: tl.constexpr, BC: tl.constexpr):
    """Pointers: lp (T, N, C), nll (N,), g per-sample gradients (stride stride_gn: 0 when broadcast), ilen (N,)
    int64, out (T, N, C).  Sizes N, C; strides of lp and out.  Constexpr ZERO_INF, BC class tile.
    Grid: (T * N,), one (t, b) row each."""
    CT: tl.constexpr = out.dtype.element_ty
    row = tl.program_id(0).to(tl.int64)
    t = row // N
    b = row % N
    live = t < tl.load(ilen + b)
    is_inf = tl.load(nll + b) == float("inf")
    gb = tl.load(g + b * stride_gn).to(CT)
    for c0 in range(0, C, BC):
        c = c0 + tl.arange(0, BC).to(tl.int64)  # int64: c * stride_lc may pass 2**31
        cm = c < C
        v = tl.exp(tl.load(lp + t * stride_lt + b * stride_ln + c * stride_lc, mask=cm, other=0.0).to(CT)) * gb
        if ZERO_INF:
            v = tl.where(is_inf, 0.0, v)
        else:
            v = tl.where(is_inf, float("nan"), v)
        tl.store(out + t * stride_ot + b * stride_on + c * stride_oc, tl.where(live, v, 0.0).to(CT), mask=cm)


@triton.jit
def _ctc_beta_kernel(lp, tgt, toff, ilen, tlen, nll, g, alpha, beta, out, T, S, C, stride_lt, stride_ln,
                     stride_lc, stride_tg, stride_ot, stride_on, stride_oc, stride_gn, blank, BS: tl.constexpr):
    """Pointers: lp (T, N, C), tgt / toff / ilen / tlen as in the forward, nll (N,), g per-sample
    gradients (stride stride_gn), alpha (N, T, S) saved forward rows, beta (N, 2, S) workspace, out (T, N, C)
    (holding g exp(lp) from the init kernel).  Sizes T, S, C; strides of lp, targets and out.
    Constexpr BS lanes.  Grid: (N,)."""
    CT: tl.constexpr = alpha.dtype.element_ty
    NEG: tl.constexpr = float("-inf")
    b = tl.program_id(0).to(tl.int64)
    s, Lb, Sb, smask, lab, _, skip_out = _labels(tgt, toff, tlen, b, stride_tg, blank, C, BS)
    nl = tl.load(nll + b)
    Tb = tl.where(nl == float("inf"), 0, tl.load(ilen + b))   # infinite losses: the init kernel wrote it all
    gb = tl.load(g + b * stride_gn).to(CT)
    lpb = lp + b * stride_ln + lab * stride_lc
    brow = beta + b * 2 * S
    end = (s == Sb - 1) | (s == Sb - 2)   # Sb - 2 = -1 for an empty target
    for i in range(0, Tb):
        t = Tb - 1 - i
        tl.debug_barrier()   # row t + 1 written by other threads; row t read by them one step ago
        nrow = brow + ((t + 1) % 2) * S
        later = i > 0
        b0 = tl.load(nrow + s, mask=smask & later, other=NEG)
        b1 = tl.load(nrow + s + 1, mask=(s + 1 < Sb) & later, other=NEG)
        b2 = tl.load(nrow + s + 2, mask=skip_out & later, other=NEG)
        lpv = tl.load(lpb + t * stride_lt, mask=smask, other=NEG).to(CT)
        bt = tl.where(later, tl.where(smask, _lse3(b0, b1, b2) + lpv, NEG), tl.where(end, lpv, NEG))
        tl.store(brow + (t % 2) * S + s, bt, mask=s < S)
        at = tl.load(alpha + (b * T + t) * S + s, mask=smask, other=NEG)
        occ = tl.exp(at + bt + nl - lpv)
        tl.atomic_add(out + t * stride_ot + b * stride_on + lab * stride_oc, -occ * gb, mask=smask)


# --- host side --------------------------------------------------------------------------------

def _upload(vals):
    """A host int64 vector as an (n,) device array (at least one element)."""
    h = np.asarray(vals, np.int64).reshape(-1)
    if h.size == 0:
        h = np.zeros(1, np.int64)
    a = CudaArray.empty(h.shape, np.dtype(np.int64))
    copy_from_host(a.block, a.offset * 8, h)
    return a


def _targets(targets, target_lengths):
    """(per-sample start offsets in elements, element stride) of padded or concatenated targets."""
    if targets.ndim == 1:
        start = np.concatenate([[0], np.cumsum(target_lengths, dtype=np.int64)[:-1]])
        return _upload(start * targets.strides[0]), targets.strides[0]
    return _upload(np.arange(targets.shape[0], dtype=np.int64) * targets.strides[0]), targets.strides[1]


def _blocks(S):
    return triton.next_power_of_2(max(S, 1))


def ctc_loss(out, log_probs, targets, input_lengths, target_lengths, blank):
    nll, alpha = out
    T, N, C = log_probs.shape
    S = alpha.shape[2]
    toff, stride_tg = _targets(targets, target_lengths)
    launch(_ctc_alpha_kernel, (N,), log_probs, targets, toff, _upload(input_lengths), _upload(target_lengths),
           nll, alpha, T, S, C, *log_probs.strides, stride_tg, int(blank), BS=_blocks(S), num_warps=4)


def ctc_loss_backward(out, grad, log_probs, targets, nll, log_alpha, input_lengths, target_lengths, blank,
                      zero_infinity):
    T, N, C = log_probs.shape
    S = log_alpha.shape[2]
    gs = 0 if grad.size == 1 else grad.strides[0]
    il = _upload(input_lengths)
    bc = min(triton.next_power_of_2(C), 1 << 16 if SIZE_FOR_INTERPRETER else 1024)
    launch(_ctc_grad_init_kernel, (T * N,), log_probs, nll, grad, il, out, N, C, *log_probs.strides, *out.strides,
           gs, ZERO_INF=bool(zero_infinity), BC=bc, num_warps=4)
    toff, stride_tg = _targets(targets, target_lengths)
    alpha = log_alpha
    if not alpha.is_contiguous():
        alpha = CudaArray.empty(log_alpha.shape, log_alpha.dtype)
        assign(alpha, log_alpha)
    beta = CudaArray.empty((N, 2, S), log_alpha.dtype)
    launch(_ctc_beta_kernel, (N,), log_probs, targets, toff, il, _upload(target_lengths), nll, grad, alpha, beta,
           out, T, S, C, *log_probs.strides, stride_tg, *out.strides, gs, int(blank), BS=_blocks(S), num_warps=4)


IMPLS = {"ctc_loss": ctc_loss, "ctc_loss_backward": ctc_loss_backward}
