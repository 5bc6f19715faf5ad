"""Triton impls of embedding (gather, scatter-add backward, renorm) and one_hot.

Index tensors are read as a flat run of T indices (a non-contiguous index tensor is first copied
contiguous: it is small next to the rows it moves); row data keep their strides.

* `_gather` (embedding forward): a [BT, BD] tile of (token, feature); loads BT indices, gathers
  the rows.  Out-of-range indices are masked off and OR-ed into a one-int flag read back once on
  the host (the op's one sync) to raise IndexError.  Bytes: read T indices + T*D row elements,
  write T*D.  No FLOPs.
* `_count` + `_scatter_add` (embedding backward): dweight[idx[t]] += grad[t] * s_t, with s_t = 0 for
  padding_idx and 1/count(idx[t]) under scale_grad_by_freq (counts by an integer atomic histogram).
  Rows are accumulated with fp32/fp64 atomic adds into a zeroed buffer (fp32 for half grads,
  rounded once at the end): deterministic up to floating-point summation ORDER of repeated
  indices (PyTorch's cuda kernel sorts instead; a sort-based segmented reduction would make the
  order fixed).  Bytes: read T*D grad + indices, V*D zero-fill + T*D atomics; 1 FLOP per element.
* `_renorm` (embedding_renorm): each program takes BT tokens; an atomic compare-and-swap on a
  per-row claim buffer lets exactly one token renormalise each distinct row (so concurrent
  programs never read a half-written row).  Two passes over the row: p-norm, then scale.
* `_bag` (embedding_bag): a segment reduction, one program per (bag, BD feature block): it walks
  the bag's index run [offsets[b], offsets[b + 1]) and accumulates the gathered rows in fp32/fp64
  (sum, times the per-sample weight; mean = sum / non-padding count; max with the first argmax),
  skipping padding_idx; the d-block-0 program also writes the bag's size and each position's bag
  (offset2bag, pre-filled with -1).  Bad indices / offsets set flag bits (`_range_check`,
  `_offsets_check`; one host sync).  Bytes:
  read N indices (+ N weights) + N*D row elements, write B*D (+ B*D argmax); 1 FLOP per element.
* `_one_hot`: a [BT, BK] tile writes idx == k as int64; negative / too-large values set flag bits
  (one host sync, the cpu's RuntimeErrors).
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import memory
from tritorch.cuda.array import CudaArray
from ._dtypes import compute_tl
from ._elementwise import assign, collapse, new_flag, read_flag
from ._jit import convert, as_f64
from ._launch import launch, cdiv, SIZE_FOR_INTERPRETER


@triton.jit
def _gather(W, IDX, OUT, FLAG, T, D, V, stride_wr, stride_wc, stride_or, stride_oc, BT: tl.constexpr,
            BD: tl.constexpr):
    """Embedding forward, a [BT, BD] tile of (token, feature).  Grid: (cdiv(T, BT), cdiv(D, BD)).
    Pointers: W (V, D) weight, IDX (T,) indices, OUT (T, D), FLAG (1,) int32 (set on a bad index).
    Sizes: T tokens, D features, V rows.  Strides: stride_wr, stride_wc (W), stride_or, stride_oc
    (OUT), elements.  Constexprs: BT tokens and BD features per tile.  Row offsets are int64."""
    t = tl.program_id(0) * BT + tl.arange(0, BT)
    d = tl.program_id(1) * BD + tl.arange(0, BD)
    tm = t < T
    idx = tl.load(IDX + t, mask=tm, other=0).to(tl.int64)
    ok = (idx >= 0) & (idx < V)
    if tl.program_id(1) == 0:
        tl.atomic_or(FLAG, tl.max((tm & ~ok).to(tl.int32), axis=0))
    m = (tm & ok)[:, None] & (d < D)[None, :]
    d64 = d.to(tl.int64)[None, :]
    v = tl.load(W + idx[:, None] * stride_wr + d64 * stride_wc, mask=m, other=0.0)
    tl.store(OUT + t.to(tl.int64)[:, None] * stride_or + d64 * stride_oc, v, mask=(tm[:, None] & (d < D)[None, :]))


@triton.jit
def _range_check(IDX, FLAG, T, V, BT: tl.constexpr):
    """ORs 1 into FLAG when one of the T indices is outside [0, V).  Grid: (cdiv(T, BT),).
    Pointers: IDX (T,), FLAG (1,) int32.  Sizes: T, V.  Constexprs: BT indices per program."""
    t = tl.program_id(0) * BT + tl.arange(0, BT)
    idx = tl.load(IDX + t, mask=t < T, other=0).to(tl.int64)
    tl.atomic_or(FLAG, tl.max(((t < T) & ((idx < 0) | (idx >= V))).to(tl.int32), axis=0))


@triton.jit
def _count(IDX, CNT, T, V, BT: tl.constexpr):
    """Histogram of the indices into CNT (V,) int32 (atomics).  Grid: (cdiv(T, BT),).
    Pointers: IDX (T,), CNT.  Sizes: T, V.  Constexprs: BT indices per program."""
    t = tl.program_id(0) * BT + tl.arange(0, BT)
    idx = tl.load(IDX + t, mask=t < T, other=0).to(tl.int64)
    tl.atomic_add(CNT + idx, tl.full([BT], 1, tl.int32), mask=(t < T) & (idx >= 0) & (idx < V))


@triton.jit
def _scatter_add(G, IDX, CNT, ACC, T, D, V, stride_gr, stride_gc, stride_ar, stride_ac, padding_idx, FREQ: tl.constexpr,
                 CT: tl.constexpr, BT: tl.constexpr, BD: tl.constexpr):
    """Embedding backward: ACC[idx[t]] += G[t] (/ count under FREQ), skipping padding_idx, by atomic
    adds.  Grid: (cdiv(T, BT), cdiv(D, BD)).  Pointers: G (T, D) grad, IDX (T,), CNT (V,) counts,
    ACC (V, D) zeroed accumulator.  Sizes: T, D, V, padding_idx.  Strides: stride_gr, stride_gc (G),
    stride_ar, stride_ac (ACC), elements.  Constexprs: FREQ, CT accumulation type, BT tokens and BD
    features per tile.  Row offsets are int64."""
    t = tl.program_id(0) * BT + tl.arange(0, BT)
    d = tl.program_id(1) * BD + tl.arange(0, BD)
    tm = t < T
    idx = tl.load(IDX + t, mask=tm, other=0).to(tl.int64)
    rm = tm & (idx >= 0) & (idx < V) & (idx != padding_idx)
    m = rm[:, None] & (d < D)[None, :]
    d64 = d.to(tl.int64)[None, :]
    g = convert(tl.load(G + t.to(tl.int64)[:, None] * stride_gr + d64 * stride_gc, mask=m, other=0.0), CT)
    if FREQ:
        cnt = tl.load(CNT + idx, mask=rm, other=1).to(CT)
        g = g / cnt[:, None]
    tl.atomic_add(ACC + idx[:, None] * stride_ar + d64 * stride_ac, g, mask=m)


@triton.jit
def _renorm(W, IDX, CLAIM, T, D, V, stride_wr, stride_wc, max_norm: tl.float64, p: tl.float64, KIND: tl.constexpr,
            CT: tl.constexpr, BT: tl.constexpr, BD: tl.constexpr):
    """embedding_renorm: the token that claims a row (CLAIM (V + 1,) int32 compare-and-swap) scales
    it to max_norm when its p-norm exceeds it.  Grid: (cdiv(T, BT),).  Pointers: W (V, D) weight
    (in place), IDX (T,), CLAIM.  Sizes: T, D, V, max_norm, p.  Strides: stride_wr, stride_wc
    (elements).  Constexprs: KIND (0 general p, 1 p == 1, 2 p == 2, 3 p == inf), CT compute type, BT
    tokens per program, BD features per step.  Row offsets are int64."""
    t = tl.program_id(0) * BT + tl.arange(0, BT)
    tm = t < T
    idx = tl.load(IDX + t, mask=tm, other=0).to(tl.int64)
    ok = tm & (idx >= 0) & (idx < V)
    old = tl.atomic_cas(CLAIM + tl.where(ok, idx, V), tl.zeros([BT], tl.int32), tl.full([BT], 1, tl.int32))
    mine = ok & (old == 0)
    base = W + idx[:, None] * stride_wr
    acc = tl.zeros([BT, BD], CT)
    pp = as_f64(p).to(CT)
    for d0 in range(0, D, BD):
        d = d0 + tl.arange(0, BD)
        m = mine[:, None] & (d < D)[None, :]
        a = tl.abs(convert(tl.load(base + d.to(tl.int64)[None, :] * stride_wc, mask=m, other=0.0), CT))
        if KIND == 1:
            acc += a
        elif KIND == 2:
            acc += a * a
        elif KIND == 3:
            acc = tl.maximum(acc, a)
        else:
            acc += tl.where(a > 0, tl.exp(pp * tl.log(a)), 0.0)
    if KIND == 3:
        norm = tl.max(acc, 1)
    else:
        norm = tl.sum(acc, 1)
        if KIND == 2:
            norm = tl.sqrt(norm)
        elif KIND == 0:
            norm = tl.where(norm > 0, tl.exp(tl.log(norm) / pp), 0.0)
    mx = as_f64(max_norm).to(CT)
    scale = mx / (norm + 1e-7)
    upd = mine & (norm > mx)
    for d0 in range(0, D, BD):
        d = d0 + tl.arange(0, BD)
        m = upd[:, None] & (d < D)[None, :]
        ptr = base + d.to(tl.int64)[None, :] * stride_wc
        v = convert(tl.load(ptr, mask=m, other=0.0), CT) * scale[:, None]
        tl.store(ptr, convert(v, W.dtype.element_ty), mask=m)


@triton.jit
def _one_hot(IDX, OUT, FLAG, T, K, stride_or, stride_oc, BT: tl.constexpr, BK: tl.constexpr):
    """one_hot, a [BT, BK] tile of (token, class).  Grid: (cdiv(T, BT), cdiv(K, BK)).
    Pointers: IDX (T,), OUT (T, K) int64, FLAG (1,) int32 (bit 1 negative, bit 2 too large).  Sizes:
    T, K classes.  Strides: stride_or, stride_oc (OUT, elements).  Constexprs: BT tokens and BK
    classes per tile.  Offsets are int64."""
    t = tl.program_id(0) * BT + tl.arange(0, BT)
    k = tl.program_id(1) * BK + tl.arange(0, BK)
    tm = t < T
    idx = tl.load(IDX + t, mask=tm, other=0)
    if tl.program_id(1) == 0:
        neg = tl.max((tm & (idx < 0)).to(tl.int32), axis=0)
        big = tl.max((tm & (idx >= K)).to(tl.int32), axis=0)
        tl.atomic_or(FLAG, neg | (big * 2))
    v = (idx[:, None] == k.to(tl.int64)[None, :]).to(tl.int64)
    tl.store(OUT + t.to(tl.int64)[:, None] * stride_or + k.to(tl.int64)[None, :] * stride_oc, v,
             mask=tm[:, None] & (k < K)[None, :])


@triton.jit
def _bag(W, IDX, OFF, PSW, OUT, O2B, SIZE, ARG, N, D, V, stride_wr, stride_wc, stride_or, stride_oc, stride_ar,
         stride_ac, padding_idx,
         MODE: tl.constexpr, HAS_PSW: tl.constexpr, CT: tl.constexpr, BD: tl.constexpr):
    """Pointers: W (V, D) weight, IDX (N,) indices, OFF (B + 1,) offsets, PSW (N,) per-sample weights,
    OUT (B, D), O2B (N,) offset2bag, SIZE (B,), ARG (B, D) argmax rows.
    Sizes / strides: N, D, V; weight (stride_wr, stride_wc), output (stride_or, stride_oc), argmax
    (stride_ar, stride_ac) strides.
    MODE: 0 sum, 1 mean, 2 max.  Grid: (B, cdiv(D, BD))."""
    b = tl.program_id(0)
    d = tl.program_id(1) * BD + tl.arange(0, BD)
    dm = d < D
    d64 = d.to(tl.int64)
    start = tl.load(OFF + b).to(tl.int64)
    # the last bag runs to the end of the input (PyTorch's cpu kernel; offsets[-1] is only checked)
    end = tl.minimum(tl.load(OFF + b + 1).to(tl.int64), N)
    if b == tl.num_programs(0) - 1:
        end = N + start * 0
    first = tl.program_id(1) == 0
    if MODE == 2:
        acc = tl.full([BD], float("-inf"), CT)
    else:
        acc = tl.zeros([BD], CT)
    arg = tl.full([BD], -1, tl.int64)
    cnt = start * 0
    for j in range(start, end):
        # the index as a [BD] block: the interpreter mistypes comparisons of 0-d values.  An
        # out-of-range index is reported by the separate range check; here it is only skipped.
        i = tl.load(IDX + j).to(tl.int64) + tl.zeros([BD], tl.int64)
        use = (i >= 0) & (i < V) & (i != padding_idx)
        if first:
            tl.store(O2B + j, b.to(tl.int64))
        v = convert(tl.load(W + tl.where(use, i, 0) * stride_wr + d64 * stride_wc, mask=dm & use, other=0.0), CT)
        if MODE == 2:
            take = use & ((cnt == 0) | (v > acc))
            acc = tl.where(take, v, acc)
            arg = tl.where(take, i, arg)
        elif HAS_PSW:
            acc += v * convert(tl.load(PSW + j), CT)
        else:
            acc += v
        cnt += tl.max(use.to(tl.int64), 0)
    if MODE == 1:
        acc = acc / tl.maximum(cnt, 1).to(CT)
    if MODE == 2:
        acc = tl.where(cnt == 0, 0.0, acc)
        tl.store(ARG + b.to(tl.int64) * stride_ar + d64 * stride_ac, arg, mask=dm)
    tl.store(OUT + b.to(tl.int64) * stride_or + d64 * stride_oc, convert(acc, OUT.dtype.element_ty), mask=dm)
    if first:
        tl.store(SIZE + b, cnt)


@triton.jit
def _offsets_check(OFF, FLAG, NB, N):
    """Checks embedding_bag's offsets: sets flag bit 2 when offsets[0] != 0, bit 4 when offsets[-1] > N.
    Grid: (1,).  Pointers: OFF the (NB + 1,) offsets, FLAG the int32 error flag.  Sizes: NB bags,
    N indices."""
    lo = tl.load(OFF).to(tl.int64)
    hi = tl.load(OFF + NB).to(tl.int64)
    tl.atomic_or(FLAG, (lo != 0).to(tl.int32) * 2 + (hi > N).to(tl.int32) * 4)


# --- host side ------------------------------------------------------------------------------------

def _flat_indices(idx):
    """A contiguous 1-d view of ``idx`` (copied when it is not contiguous)."""
    if not idx.is_contiguous():
        t = CudaArray.empty(idx.shape, idx.dtype, idx.block.device_index)
        assign(t, idx)
        idx = t
    return idx.view_as((idx.size,), (1,))


def _rows(a, d):
    """(array, row stride, col stride) of ``a`` viewed as (-1, d); a temp when the leading dims
    don't collapse; plus the array to copy back (outputs) or None."""
    lead = a.shape[:-1]
    if lead:
        cs, (cst,) = collapse(lead, [a.strides[:-1]])
        if len(cs) == 1:
            return a, cst[0], a.strides[-1], None
    elif a.ndim:
        return a, 0, a.strides[-1], None
    t = CudaArray.empty(a.shape, a.dtype, a.block.device_index)
    return t, a.shape[-1] if a.ndim else 1, 1, t


def _launch_range_check(idx, flag, T, V):
    """Set ``flag`` when one of the ``T`` indices is outside [0, V)."""
    cb = min(triton.next_power_of_2(T), 1 << 16) if SIZE_FOR_INTERPRETER else 1024
    launch(_range_check, (cdiv(T, cb),), idx, flag, T, V, BT=cb)


def _tile_rows(t, d, gpu_bt, gpu_bd):
    if SIZE_FOR_INTERPRETER:
        bd = triton.next_power_of_2(max(d, 1))
        bt = max(1, min(triton.next_power_of_2(max(t, 1)), (1 << 16) // bd))
        return bt, bd
    return gpu_bt, gpu_bd


def embedding(out, weight, indices):
    T = indices.size
    D = weight.shape[1]
    if T == 0:
        return
    idx = _flat_indices(indices)
    dev = weight.block.device_index
    flag = new_flag(dev)
    o, stride_or, stride_oc, back = _rows(out, D)
    if D:
        bt, bd = _tile_rows(T, D, 16, min(triton.next_power_of_2(D), 256))
        launch(_gather, (cdiv(T, bt), cdiv(D, bd)), weight, idx, o, flag, T, D, weight.shape[0],
               weight.strides[0], weight.strides[1], stride_or, stride_oc, BT=bt, BD=bd)
    else:  # no columns to gather, but the indices are still checked (as on cpu)
        _launch_range_check(idx, flag, T, weight.shape[0])
    if read_flag(flag):  # the op's one host sync
        raise IndexError("index out of range in self")
    if back is not None:
        assign(out, back)


def embedding_backward(out, grad, indices, num_weights, padding_idx, scale_grad_by_freq):
    V, D = out.shape
    if V * D == 0:
        return
    dev = grad.block.device_index
    acc_np = np.float64 if grad.dtype == np.float64 else np.float32
    direct = out.dtype == acc_np
    acc = out if direct else CudaArray.empty((V, D), acc_np, dev)
    assign(acc, 0.0)
    T = indices.size
    if T:
        idx = _flat_indices(indices)
        g, stride_gr, stride_gc, tmp = _rows(grad, D)
        if tmp is not None:
            assign(tmp, grad)
        cnt = idx
        if scale_grad_by_freq:
            cnt = CudaArray.empty((V,), np.int32, dev)
            assign(cnt, 0)
            bt = min(triton.next_power_of_2(T), 1 << 16) if SIZE_FOR_INTERPRETER else 1024
            launch(_count, (cdiv(T, bt),), idx, cnt, T, V, BT=bt)
        bt, bd = _tile_rows(T, D, 16, min(triton.next_power_of_2(D), 256))
        launch(_scatter_add, (cdiv(T, bt), cdiv(D, bd)), g, idx, cnt, acc, T, D, V, stride_gr, stride_gc,
               acc.strides[0], acc.strides[1], int(padding_idx), FREQ=bool(scale_grad_by_freq),
               CT=compute_tl(grad.dtype), BT=bt, BD=bd)
    if not direct:
        assign(out, acc)


_KIND = {1.0: 1, 2.0: 2, float("inf"): 3}


def embedding_renorm(out, weight, indices, max_norm, norm_type):
    same = out.data_ptr() == weight.data_ptr() and out.strides == weight.strides
    if not same:
        assign(out, weight)
    T = indices.size
    V, D = out.shape
    if T == 0 or D == 0:
        return
    dev = out.block.device_index
    idx = _flat_indices(indices)
    flag = new_flag(dev)
    bt, bd = _tile_rows(T, D, 16, min(triton.next_power_of_2(D), 256))
    _launch_range_check(idx, flag, T, V)
    if read_flag(flag):  # the op's one host sync, before any row changes (as on cpu)
        raise IndexError("index out of range in self")
    # one claim slot per row plus a dummy one that masked-off tokens hit (atomic_cas has no mask)
    claim = CudaArray.empty((V + 1,), np.int32, dev)
    assign(claim, 0)
    if SIZE_FOR_INTERPRETER:
        bt = max(1, min(triton.next_power_of_2(T), (1 << 16) // bd))
    launch(_renorm, (cdiv(T, bt),), out, idx, claim, T, D, V, out.strides[0], out.strides[1], float(max_norm),
           float(norm_type), KIND=_KIND.get(float(norm_type), 0), CT=compute_tl(out.dtype), BT=bt, BD=bd)


def one_hot(out, indices, num_classes):
    T = indices.size
    if T == 0:
        return
    idx = _flat_indices(indices)
    flag = new_flag(out.block.device_index)
    o, stride_or, stride_oc, back = _rows(out, num_classes)
    bt, bk = _tile_rows(T, max(num_classes, 1), 64, min(triton.next_power_of_2(max(num_classes, 1)), 128))
    launch(_one_hot, (cdiv(T, bt), max(cdiv(num_classes, bk), 1)), idx, o, flag, T, num_classes, stride_or, stride_oc,
           BT=bt, BK=bk)
    f = read_flag(flag)  # the op's one host sync
    if f & 1:
        raise RuntimeError("Class values must be non-negative.")
    if f & 2:
        raise RuntimeError("Class values must be smaller than num_classes.")
    if back is not None:
        assign(out, back)


_BAG_MODE = {"sum": 0, "mean": 1, "max": 2}


def embedding_bag(outs, weight, indices, offsets, per_sample_weights, mode, padding_idx):
    out, offset2bag, bag_size, max_idx = outs
    nb, D = out.shape
    N = indices.size
    dev = weight.block.device_index
    idx = _flat_indices(indices) if N else indices
    off = _flat_indices(offsets)
    flag = new_flag(dev)
    launch(_offsets_check, (1,), off, flag, nb, N)
    assign(offset2bag, -1)
    psw = _flat_indices(per_sample_weights) if per_sample_weights is not None and N else idx
    if nb:
        bd = triton.next_power_of_2(max(D, 1)) if SIZE_FOR_INTERPRETER else min(triton.next_power_of_2(max(D, 1)),
                                                                                   256)
        arg = max_idx if mode == "max" else out
        launch(_bag, (nb, max(cdiv(D, bd), 1)), weight, idx, off, psw, out, offset2bag, bag_size, arg, N, D,
               weight.shape[0], weight.strides[0], weight.strides[1], out.strides[0], out.strides[1],
               arg.strides[0], arg.strides[1], int(padding_idx), MODE=_BAG_MODE[mode],
               HAS_PSW=per_sample_weights is not None, CT=compute_tl(weight.dtype), BD=bd)
    if N:
        _launch_range_check(idx, flag, N, weight.shape[0])
    f = read_flag(flag)  # the op's one host sync
    if f & 6:  # error path only: read the offsets back for the message
        host = np.empty(off.size, off.dtype)
        memory.copy_to_host(host, off.block, off.offset * off.itemsize)
        if f & 2:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                               f"from position 0. However, got {int(host[0])}")
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {N}, but got {int(host[-1])}")
    if f & 1:
        raise IndexError("index out of range in self")


IMPLS = {"embedding_bag": embedding_bag, "embedding": embedding, "embedding_backward": embedding_backward, "embedding_renorm": embedding_renorm,
         "one_hot": one_hot}
