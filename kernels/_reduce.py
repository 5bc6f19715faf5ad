"""The reduction kernel template every reduction op shares (sum ... argmax, var, norm, logsumexp).

One ``@triton.jit`` template, `_reduce_kernel`, is specialised per op by a `Reducer`: module-level
``@triton.jit`` functions passed as constexprs over a *state* tuple of 1 to 3 values per lane:
  ``MAP(v, idx, mask, p0, p1) -> state``   one element (converted to the compute dtype ``CT``;
                                            masked lanes hold the op's identity ``IDENT``),
  ``COMBINE(*s1, *s2) -> state``           the associative merge of two states (elementwise),
  ``REDUCE(*state) -> state``              ``tl.reduce`` of the state along the tile's row axis
                                            with ``COMBINE`` (Triton wants the combine function
                                            by name there, not as a constexpr),
  ``FINAL(*state, n, p0, p1) -> (v, i)``   the per-output result (``v`` into ``out``, ``i`` into
                                            ``out2``: the index of arg-reductions).

Index spaces: the host splits the input's dims into kept dims (the outputs, ``M`` of them) and
reduced dims (``R`` elements per output), and collapses each group separately (size-1 dims
dropped, dims contiguous in every operand merged; reduced dims are first sorted by stride unless
the op is order-sensitive, i.e. returns an index).  Each group has at most `MAX_DIMS` dims after
that; the kernel unravels flat indices and dots them with the strides, so transposed, sliced and
offset inputs and ``out=`` views are read and written in place.  (Only with more unmergeable dims
than that, which is rare, is the input first copied with its kept dims leading.)

Tiling: a program owns ``BM`` outputs and walks their reduced range in ``[BM, BR]`` tiles,
combining tiles elementwise into a ``[BM, BR]`` state and reducing it across the row once at the
end.  When ``R`` is long and there are few output tiles (a full reduction), the work is split:
stage 1 launches ``S`` programs per output tile, each reducing a contiguous part of ``R`` into a
partial state in a ``[S, M]`` workspace, and stage 2 combines the ``S`` partials per output and
applies ``FINAL``.  Everything accumulates in ``CT`` (fp32 for half types, fp64 for float64,
int64 for integer sums); the result is rounded once into the output dtype.

Bytes moved per element: the input's item size (plus, per output, the output item sizes and,
when split, ``S`` partial states); FLOPs per element: those of ``MAP`` + ``COMBINE`` (1 for a
sum, ~8 for Welford's variance update).  Fused: the pre-map (abs, pow, exp, !=0, nan->0) and the
post-map (mean's division, sqrt, 1/p power, log) run inside the reduction.

In Triton's interpreter ``tl.reduce`` with a custom combine function runs per element in Python,
so there the final cross-row reduction is a halving tree of ``COMBINE`` calls on tile halves
(``TREE``, set only when interpreted and the op's reduction is not ``tl.sum``); the compiled
kernel uses ``REDUCE``.
"""
import math
from collections import namedtuple

import numpy as np
import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray, contiguous_strides
from ._dtypes import TL, compute_tl
from ._elementwise import assign, collapse
from ._jit import convert, unravel3
from ._launch import SIZE_FOR_INTERPRETER, launch, cdiv, needs_i64, pad

__all__ = ["Reducer", "reduce", "partials", "lowest", "highest", "split_count", "acc_ct", "value_ct",
           "count", "div", "sqrt", "TILE", "MAX_DIMS", "map_id", "comb_add", "red_add", "comb_mul", "red_mul",
           "comb_max", "red_max", "comb_min", "red_min", "final_id", "SUM", "PROD"]

MAX_DIMS = 4
# Elements per [BM, BR] tile: on a GPU what 4 warps hold in registers (fewer for bigger states, see
# _blocks); in the interpreter (which pays per program and per op, barely per element) as much as
# is sensible in one numpy array.
TILE = 1 << 16 if SIZE_FOR_INTERPRETER else 2048
# Split a reduction once a program would walk more than this many elements per output.
SPLIT_MIN = 4096
# Programs a split reduction aims for: a few waves of an H100's 132 SMs; a handful when interpreted.
SPLIT_TARGET = 4 if SIZE_FOR_INTERPRETER else 528
MAX_SPLITS = 1024

_NP = {v: k for k, v in TL.items()}

# A Reducer names the jit functions of one reduction; ``states`` gives each state component's
# dtype (None: the compute dtype) for split-reduction workspaces; ``ordered``: the reduced dims
# must be walked in logical order (the state carries a flat index).
Reducer = namedtuple("Reducer", "map combine reduce final states ordered")


def np_of(tl_dtype):
    return _NP[tl_dtype]


def acc_ct(np_dtype):
    """Accumulation dtype of sums and products into ``np_dtype``: its compute dtype; a bool
    output (``dtype=bool``) accumulates in int64, non-zero meaning True, as numpy's logical add."""
    ct = compute_tl(np_dtype)
    return tl.int64 if ct == tl.int1 else ct


def value_ct(np_dtype):
    """Compute dtype of ops that return input values (max, argmax ...): bool compares as int8."""
    ct = compute_tl(np_dtype)
    return tl.int8 if ct == tl.int1 else ct


def count(x, dims):
    """Number of elements each output reduces (1 for a 0-d input)."""
    return math.prod(x.shape[d] for d in dims if d < x.ndim)


def lowest(ct):
    """The smallest value of Triton dtype ``ct`` (identity of max)."""
    if ct.is_floating():
        return float("-inf")
    return int(np.iinfo(np_of(ct)).min)


def highest(ct):
    if ct.is_floating():
        return float("inf")
    return int(np.iinfo(np_of(ct)).max)


# ---- building blocks shared by the op families ---------------------------------------------------
@triton.jit
def map_id(v, idx, mask, p0, p1):
    return (v,)


@triton.jit
def comb_add(a, b):
    return (a + b,)


@triton.jit
def red_add(a):
    return (tl.sum(a, 1),)


@triton.jit
def comb_mul(a, b):
    return (a * b,)


@triton.jit
def red_mul(a):
    return tl.reduce((a,), 1, comb_mul)


@triton.jit
def comb_max(a, b):
    # NaN wins (PyTorch's max/amax propagate NaN).
    return (tl.where((a > b) | (a != a), a, b),)


@triton.jit
def red_max(a):
    return tl.reduce((a,), 1, comb_max)


@triton.jit
def comb_min(a, b):
    return (tl.where((a < b) | (a != a), a, b),)


@triton.jit
def red_min(a):
    return tl.reduce((a,), 1, comb_min)


@triton.jit
def final_id(a, n, p0, p1):
    return a, a


SUM = Reducer(map_id, comb_add, red_add, final_id, (None,), False)
PROD = Reducer(map_id, comb_mul, red_mul, final_id, (None,), False)


@triton.jit
def div(a, b):
    """Correctly rounded division (a GPU's default fp32 division is not)."""
    if a.dtype == tl.float32:
        r = tl.math.div_rn(a, b)
    else:
        r = a / b
    return r


@triton.jit
def sqrt(a):
    """Correctly rounded square root (tl.sqrt is approximate in fp32)."""
    if a.dtype == tl.float32:
        r = tl.sqrt_rn(a)
    else:
        r = tl.sqrt(a)
    return r


# ---- the template ---------------------------------------------------------------------------------
# Interpreted, every call of a nested jit function re-patches triton.language (~1 ms, more than ten
# tl ops), so the template inlines its index arithmetic and conversions instead of calling helpers.
@triton.jit
def _tile(x, kx, r, r_hi, mmask, size_r1, size_r2, size_r3, stride_xr0, stride_xr1, stride_xr2, stride_xr3, p0, p1,
          MAP: tl.constexpr, CT: tl.constexpr, IDENT: tl.constexpr, RD: tl.constexpr):
    """MAP of the [BM, BR] tile of x at kept offsets ``kx`` and reduced flat indices ``r``."""
    if RD == 1:
        rx = r * stride_xr0
    else:
        q = r
        rx = r * 0
        if RD >= 4:
            rx += (q % size_r3) * stride_xr3
            q = q // size_r3
        if RD >= 3:
            rx += (q % size_r2) * stride_xr2
            q = q // size_r2
        rx += (q % size_r1) * stride_xr1 + (q // size_r1) * stride_xr0
    mask = mmask[:, None] & (r < r_hi)[None, :]
    v = tl.load(x + (kx[:, None] + rx[None, :]), mask=mask)
    if x.dtype.element_ty == tl.bfloat16:
        v = convert(v, CT)
    else:
        v = v.to(CT)
    return MAP(tl.where(mask, v, IDENT), r[None, :], mask, p0, p1)


@triton.jit
def _partial(w0, w1, w2, m, s, M, S, mmask, p0, p1,
             MAP: tl.constexpr, CT: tl.constexpr, IDENT: tl.constexpr, NS: tl.constexpr, BM: tl.constexpr,
             BR: tl.constexpr):
    """The [BM, BR] tile of partial states ``w*[s, m]``."""
    # Lanes past the last partial take the identity state, with an index larger than any real one
    # so arg-reductions never pick them on a tie.
    mask = mmask[:, None] & (s < S)[None, :]
    o = s[None, :] * M + m[:, None]
    e = MAP(tl.full([BM, BR], IDENT, CT), tl.full([1, BR], 1 << 62, tl.int64), tl.zeros([BM, BR], tl.int1), p0, p1)
    a = tl.where(mask, tl.load(w0 + o, mask=mask), e[0])
    if NS == 1:
        st = (a,)
    elif NS == 2:
        st = (a, tl.where(mask, tl.load(w1 + o, mask=mask), e[1]))
    else:
        st = (a, tl.where(mask, tl.load(w1 + o, mask=mask), e[1]), tl.where(mask, tl.load(w2 + o, mask=mask), e[2]))
    return st


@triton.jit
def _tree(st, COMBINE: tl.constexpr, NS: tl.constexpr, BM: tl.constexpr, BR: tl.constexpr):
    """Reduce a [BM, BR] state along axis 1 by COMBINE of pairs of lanes, halving log2(BR) times."""
    for k in tl.static_range(17):
        if (BR >> k) > 1:
            W: tl.constexpr = BR >> (k + 1)
            a0, a1 = tl.split(tl.reshape(st[0], [BM, W, 2]))
            if NS == 1:
                st = COMBINE(a0, a1)
            elif NS == 2:
                b0, b1 = tl.split(tl.reshape(st[1], [BM, W, 2]))
                st = COMBINE(a0, b0, a1, b1)
            else:
                b0, b1 = tl.split(tl.reshape(st[1], [BM, W, 2]))
                c0, c1 = tl.split(tl.reshape(st[2], [BM, W, 2]))
                st = COMBINE(a0, b0, c0, a1, b1, c1)
    if NS == 1:
        res = (tl.reshape(st[0], [BM]),)
    elif NS == 2:
        res = (tl.reshape(st[0], [BM]), tl.reshape(st[1], [BM]))
    else:
        res = (tl.reshape(st[0], [BM]), tl.reshape(st[1], [BM]), tl.reshape(st[2], [BM]))
    return res


@triton.jit
def _reduce_kernel(x, out, out2, w0, w1, w2, M, R, RCH,
                   size_k1, size_k2, size_k3, stride_xk0, stride_xk1, stride_xk2, stride_xk3,
                   stride_ok0, stride_ok1, stride_ok2, stride_ok3, stride_ik0, stride_ik1, stride_ik2, stride_ik3,
                   size_r1, size_r2, size_r3, stride_xr0, stride_xr1, stride_xr2, stride_xr3,
                   n: tl.float64, p0: tl.float64, p1: tl.float64,
                   MAP: tl.constexpr, COMBINE: tl.constexpr, REDUCE: tl.constexpr, FINAL: tl.constexpr,
                   NS: tl.constexpr, CT: tl.constexpr, IDENT: tl.constexpr, STAGE: tl.constexpr, TREE: tl.constexpr,
                   KD: tl.constexpr, RD: tl.constexpr, I64: tl.constexpr, BM: tl.constexpr, BR: tl.constexpr,
                   W0: tl.constexpr, W1: tl.constexpr):
    """Reduce each of ``M`` outputs over ``R`` elements.  Grid: (cdiv(M, BM), S) (S splits in stage 1).
    STAGE 0: the whole reduction; 1: split program_id(1)'s partial states over its ``RCH`` elements
    into w*; 2: combine the ``R`` (= S) partials per output from w* and finish.
    Pointers: x input, out / out2 the two results (values, indices), w0..w2 (S, M) partial-state
    workspaces.  Sizes: M outputs, R reduced elements per output, RCH per split; size_k1..3 inner
    kept dims, size_r1..3 inner reduced dims.  Strides (elements): stride_xk* / stride_ok* /
    stride_ik* of x, out, out2 along the kept dims, stride_xr* of x along the reduced dims.
    Scalars: n (the count FINAL divides by), p0, p1 (MAP/FINAL parameters).  Constexprs: the
    Reducer's MAP / COMBINE / REDUCE / FINAL and NS state components, CT compute dtype, IDENT
    masked lanes' value, TREE (`_tree` instead of REDUCE: the interpreter runs tl.reduce with a
    custom combine per element in Python), KD / RD kept / reduced dims, I64 int64 offsets, BM
    outputs and BR reduced elements per tile, W0 / W1 store out / out2."""
    pid = tl.program_id(0)
    split = tl.program_id(1)
    if I64:
        m = pid.to(tl.int64) * BM + tl.arange(0, BM).to(tl.int64)
        rr = tl.arange(0, BR).to(tl.int64)
        r_lo = split.to(tl.int64) * RCH
    else:
        m = pid * BM + tl.arange(0, BM)
        rr = tl.arange(0, BR)
        r_lo = split * RCH
    mmask = m < M
    # as_f64, inlined
    q0 = p0 + tl.zeros([1], tl.float64)
    q1 = p1 + tl.zeros([1], tl.float64)
    kx, oo, oi = unravel3(m, size_k1, size_k2, size_k3, 1, stride_xk0, stride_xk1, stride_xk2, stride_xk3, 0,
                          stride_ok0, stride_ok1, stride_ok2, stride_ok3, 0, stride_ik0, stride_ik1, stride_ik2,
                          stride_ik3, 0, KD)
    if STAGE == 2:
        acc = _partial(w0, w1, w2, m, rr, M, R, mmask, q0, q1, MAP, CT, IDENT, NS, BM, BR)
        for r0 in range(BR, R, BR):
            acc = COMBINE(*acc, *_partial(w0, w1, w2, m, r0 + rr, M, R, mmask, q0, q1, MAP, CT, IDENT, NS, BM, BR))
    else:
        r_hi = tl.minimum(r_lo + RCH, R)
        acc = _tile(x, kx, r_lo + rr, r_hi, mmask, size_r1, size_r2, size_r3, stride_xr0, stride_xr1, stride_xr2,
                    stride_xr3, q0, q1, MAP, CT, IDENT, RD)
        for r0 in range(r_lo + BR, r_hi, BR):
            acc = COMBINE(*acc, *_tile(x, kx, r0 + rr, r_hi, mmask, size_r1, size_r2, size_r3,
                                       stride_xr0, stride_xr1, stride_xr2, stride_xr3, q0, q1, MAP, CT, IDENT, RD))
    if TREE:
        res = _tree(acc, COMBINE, NS, BM, BR)
    else:
        res = REDUCE(*acc)
    if STAGE == 1:
        o = split * M + m
        tl.store(w0 + o, res[0], mask=mmask)
        if NS >= 2:
            tl.store(w1 + o, res[1], mask=mmask)
        if NS >= 3:
            tl.store(w2 + o, res[2], mask=mmask)
    else:
        v, i = FINAL(*res, n + tl.zeros([1], tl.float64), q0, q1)
        if W0:
            if out.dtype.element_ty == tl.bfloat16:
                v = convert(v, tl.bfloat16)
            tl.store(out + oo, v.to(out.dtype.element_ty), mask=mmask)
        if W1:
            if out2.dtype.element_ty == tl.bfloat16:
                i = convert(i, tl.bfloat16)
            tl.store(out2 + oi, i.to(out2.dtype.element_ty), mask=mmask)


# ---- host side ------------------------------------------------------------------------------------
def _tree_for(spec):
    # Interpreted, tl.sum runs as one numpy call but tl.reduce with another combine calls it per
    # element.  (A recording run for the kernel report keeps REDUCE: what a GPU compiles.)
    return SIZE_FOR_INTERPRETER and spec.reduce is not red_add


def dims_plan(x, dims, outs, ordered):
    """Split ``x``'s dims into kept and reduced groups and collapse each.

    ``outs``: arrays shaped like the reduction result (with or without the kept size-1 dims).
    Returns ``(kshape, [x, *outs] kept strides, rshape, x reduced strides)``.
    """
    red = [d for d in range(x.ndim) if d in dims]
    kept = [d for d in range(x.ndim) if d not in dims]
    kstrides = [[x.strides[d] for d in kept]]
    for o in outs:
        kstrides.append([o.strides[d] for d in kept] if o.ndim == x.ndim else list(o.strides))
    kshape, kst = collapse([x.shape[d] for d in kept], kstrides)
    if not ordered:
        # Order-free reductions walk memory in address order (innermost stride last).
        red.sort(key=lambda d: -abs(x.strides[d]))
    rshape, rst = collapse([x.shape[d] for d in red], [[x.strides[d] for d in red]])
    if any(x.shape[d] == 0 for d in red):
        rshape, rst = [0], [[0]]
    return kshape, kst, rshape, rst[0]


def split_count(n_tiles, R, BR):
    """How many programs share each output tile's reduced range (1: no split)."""
    if R < SPLIT_MIN or n_tiles >= SPLIT_TARGET:
        return 1
    return max(1, min(cdiv(SPLIT_TARGET, n_tiles), cdiv(R, SPLIT_MIN if SIZE_FOR_INTERPRETER else 4 * BR), MAX_SPLITS))


def _blocks(M, R, inner_kept, state_bytes=4):
    """[BM, BR] tile for M outputs of R elements.  ``inner_kept``: the input is contiguous along
    the outputs (a reduction over a leading dim), so tiles run wide in M for coalesced loads.
    On a GPU the tile shrinks with the per-lane state (``state_bytes``) to stay in registers."""
    np2 = triton.next_power_of_2
    tile = TILE if SIZE_FOR_INTERPRETER else max(256, min(TILE, 1 << (8192 // state_bytes).bit_length() - 1))
    if inner_kept and not SIZE_FOR_INTERPRETER:
        bm = min(np2(M), 64)
        return bm, min(np2(max(R, 1)), max(1, tile // bm))
    br = min(np2(max(R, 1)), tile if SIZE_FOR_INTERPRETER else min(tile, 1024))
    return min(np2(M), max(1, tile // br)), br


def _state_dtypes(spec, ct):
    return [np_of(ct) if s is None else np.dtype(s) for s in spec.states]


def _state_bytes(spec, ct):
    return sum(d.itemsize for d in _state_dtypes(spec, ct))


def _ws(spec, ct, S, M, like):
    return [CudaArray.empty((S, M), d, like.block.device_index) for d in _state_dtypes(spec, ct)]


def _args(kshape, kst, rshape, rst):
    ks = pad(kshape[1:], 3, 1)
    rs = pad(rshape[1:], 3, 1)
    kx, ko, ki = (pad(s, 4) for s in kst)
    return ks + kx + ko + ki + rs + pad(rst, 4)


def _i64(x_view, out_views, M, S, BM, R, RCH, BR):
    """The int64 switch of `_reduce_kernel`: the operands' spans, the (S, M) workspace, and the
    output and reduced indices with the last tile's overshoot."""
    return needs_i64(x_view, *out_views, counts=(M * S, M + BM, R + RCH, R + BR))


def reduce(spec, x, dims, out, ct, ident, out2=None, write=(True, False), n=0.0, p0=0.0, p1=0.0):
    """Reduce ``x`` over ``dims`` (normalised tuple; ignored for a 0-d ``x``) with ``spec``.

    ``out`` (and ``out2`` for two-output ops) have the reduction's shape, with or without the
    reduced dims kept as size 1, and any strides.  ``ct``: the Triton dtype elements are converted
    to; ``ident``: the value masked lanes take before ``MAP`` (the op's identity); ``write``: which
    of ``FINAL``'s two results are stored (into ``out``, ``out2``; ``out2`` defaults to ``out``);
    ``n``, ``p0``, ``p1``: float parameters for ``MAP``/``FINAL``.
    """
    out2 = out if out2 is None else out2
    M = out.size
    if M == 0:
        return
    kshape, kst, rshape, rst = dims_plan(x, dims, (out, out2), spec.ordered)
    if len(kshape) > MAX_DIMS or len(rshape) > MAX_DIMS:
        _reduce_permuted(spec, x, dims, out, ct, ident, out2, write, n, p0, p1)
        return
    R = int(np.prod(rshape))
    inner_kept = M > 1 and kst[0][-1] == 1 and (R <= 1 or rst[-1] != 1)
    sb = _state_bytes(spec, ct)
    BM, BR = _blocks(M, R, inner_kept, sb)
    n_tiles = cdiv(M, BM)
    S = split_count(n_tiles, R, BR)
    RCH = cdiv(R, S) if S > 1 else max(R, 1)
    S = cdiv(R, RCH) if R else 1
    if SIZE_FOR_INTERPRETER and S > 1:
        BM, BR = _blocks(M, RCH, inner_kept, sb)
    BM2, BR2 = _blocks(M, S, False, sb) if S > 1 else (BM, BR)  # stage 2's tile
    i64 = _i64((kshape + rshape, kst[0] + rst), [(kshape, kst[1]), (kshape, kst[2])], M, S, max(BM, BM2), R,
               RCH, BR)
    common = dict(MAP=spec.map, COMBINE=spec.combine, REDUCE=spec.reduce, FINAL=spec.final, NS=len(spec.states),
                  CT=ct, IDENT=ident, TREE=_tree_for(spec), KD=len(kshape), RD=len(rshape), I64=i64,
                  W0=write[0], W1=write[1])
    args = _args(kshape, kst, rshape, rst)
    if S == 1:
        launch(_reduce_kernel, (n_tiles, 1), x, out, out2, out, out, out, M, R, RCH, *args,
               float(n), float(p0), float(p1), STAGE=0, BM=BM, BR=BR, **common)
        return
    ws = _ws(spec, ct, S, M, x) + [out] * (3 - len(spec.states))
    launch(_reduce_kernel, (n_tiles, S), x, out, out2, *ws, M, R, RCH, *args,
           float(n), float(p0), float(p1), STAGE=1, BM=BM, BR=BR, **common)
    launch(_reduce_kernel, (cdiv(M, BM2), 1), x, out, out2, *ws, M, S, S, *args,
           float(n), float(p0), float(p1), STAGE=2, BM=BM2, BR=BR2, **common)


def partials(spec, x, dim, ct, ident, S, RCH):
    """Stage 1 alone over one dim ``dim`` of ``x``: the ``[S, M]`` partial states of the ``S``
    consecutive chunks of ``RCH`` elements (M: the product of the other dims, row-major).  Used by
    the blocked scans for their chunk carries."""
    M = x.size // x.shape[dim]
    kept = [d for d in range(x.ndim) if d != dim]
    kshape, kst = collapse([x.shape[d] for d in kept], [[x.strides[d] for d in kept]])
    R = x.shape[dim]
    assert len(kshape) <= MAX_DIMS, "partials: the caller bounds the other dims"
    ws = _ws(spec, ct, S, M, x)
    BM, BR = _blocks(M, RCH, False, _state_bytes(spec, ct))
    i64 = _i64((kshape + [R], kst[0] + [x.strides[dim]]), [], M, S, BM, R, RCH, BR)
    args = _args(kshape, kst * 3, [R], [x.strides[dim]])
    launch(_reduce_kernel, (cdiv(M, BM), S), x, ws[0], ws[0], *(ws + [ws[0]] * (3 - len(ws))), M, R, RCH,
           *args, 0.0, 0.0, 0.0, MAP=spec.map, COMBINE=spec.combine, REDUCE=spec.reduce, FINAL=spec.final,
           NS=len(spec.states), CT=ct, IDENT=ident, STAGE=1, TREE=_tree_for(spec), KD=len(kshape), RD=1, I64=i64,
           BM=BM, BR=BR, W0=False, W1=False)
    return ws


def _reduce_permuted(spec, x, dims, out, ct, ident, out2, write, n, p0, p1):
    # More than MAX_DIMS kept or reduced dims that do not merge (rare): copy x with its kept dims
    # first and reduced dims last (each group then collapses to one dim), and reduce into
    # contiguous results that are copied into strided outputs.
    red = [d for d in range(x.ndim) if d in dims]
    kept = [d for d in range(x.ndim) if d not in dims]
    xp = CudaArray.empty([x.shape[d] for d in kept + red], x.dtype, x.block.device_index)
    assign(xp, x.view_as(xp.shape, [x.strides[d] for d in kept + red]))
    shape_k = tuple(x.shape[d] for d in kept)
    outs = [out] if out2 is out else [out, out2]
    tmps = [o if o.is_contiguous() else CudaArray.empty(o.shape, o.dtype, o.block.device_index) for o in outs]
    views = [t.view_as(shape_k, contiguous_strides(shape_k)) for t in tmps]
    reduce(spec, xp, tuple(range(len(kept), x.ndim)), views[0], ct, ident, views[-1], write, n, p0, p1)
    for t, o in zip(tmps, outs):
        if t is not o:
            assign(o, t)
