"""Triton kernels of gather / scatter / scatter_add / index_select / index_add / index_fill /
masked_fill / masked_select, plus the machinery the indexing and sort families share: the
index-walk kernel, device-side bounds checks, and row-major stream compaction.

Index walk (`_index_kernel`): one program per ``BLOCK`` elements of a *loop space* (the index
tensor's shape for gather/scatter, the source's for index_add, the output's for index_select),
unravelled over at most `MAXD` dims collapsed on the host (more: the host splits the leading
dim).  Three strided operands are addressed from the loop coordinates: ``X`` (the indexed
array, with its stride along ``dim`` zeroed), ``I`` (the index, read as int64, any int dtype)
and ``Y`` (the dense partner: gather's output, scatter's source).  The element of ``X`` touched
is ``X + x_off + idx * sd``.  Modes: GATHER (``Y = X[..]``), STORE (``X[..] = Y``), ADD
(`tl.atomic_add`), MUL (a compare-and-swap loop: Triton has no atomic multiply).  Bytes per
loop element: index itemsize + 2 x value itemsize (+ atomics); FLOPs: 0 (1 for ADD/MUL, 2 with
index_add's ``alpha``, fused into the same pass).  Nothing is copied to make inputs contiguous.

Accumulating modes run atomics on 32/64-bit targets and bool (logical or/and: every writer
stores the same value, so plain stores suffice).  float16/bfloat16 accumulate in a float32
copy of the output and 8/16-bit integers in an int32 copy (integer wrap-around commutes with
the sum/product), then round/wrap once into the output -- the cpu's "half types accumulate in
float32 and round once", for two extra passes over the output.  Atomic sums are not
bit-reproducible run to run in float (order varies); duplicate indices under a plain
store leave one of the written values (which one is unspecified), as in PyTorch.

Bounds checks (`Bounds`): index tensors are reduced to (min, max) on device with
`tl.atomic_min`/`tl.atomic_max` into a small int64 buffer, *before* anything is written (so
an in-place ``scatter_`` / ``index_add_`` that raises leaves its tensor untouched, like the
cpu); one host read-back of that buffer -- THE host synchronisation of every checked op --
then raises the cpu's error and message (IndexError; RuntimeError for gather / scatter).
Advanced indexing fuses its check into the kernel that folds the index tensors into element offsets.

Compaction (masked_select, nonzero): a count kernel (one int64 per program), a one-program
exclusive scan over the counts, one host sync to learn the total and allocate the result,
then a kernel that recomputes each block's predicate, scans it in-block (`tl.cumsum`) and
writes the selected elements (or their flat positions) at their global rank.  Bytes: the
predicate twice, the selected values once (+ 16 per program).  Operands with more than `MAXD`
dims that do not collapse are first copied contiguous (the one place a copy is made).
masked_fill is an elementwise `where` through the shared generator (no index data).

Offsets are int32 unless a loop's element count (with the last block's overshoot), an operand's
span or the indexed dim's reach (``(nd + 1) * |sd|``) needs int64 (`_launch.needs_i64`); loaded
index values are int64 whatever the switch.
"""
import math

import numpy as np
import triton
import triton.language as tl

from tritorch.cpu_fallback.gather_scatter import bounds_error  # the cpu's error text, shared
from tritorch.cuda import memory
from tritorch.cuda.array import CudaArray, contiguous_strides
from ._dtypes import compute_tl, F16, BF16
from ._elementwise import pointwise, assign, collapse, broadcast_strides, identity
from ._jit import as_f64, convert, unravel3, flat_index
from ._launch import launch, cdiv, block_for, needs_i64, pad

__all__ = ["IMPLS", "MAXD", "GATHER", "STORE", "ADD", "MUL", "Bounds", "check_one", "index_walk", "for_each_block",
           "loop_i64", "loop_args", "fill", "accumulate_into", "acc_dtype", "compact", "nd1", "dim_zeroed"]

MAXD = 5
BLOCK = 1024
GATHER, STORE, ADD, MUL = 0, 1, 2, 3
_SRC_ARRAY, _SRC_FLOAT, _SRC_INT = 0, 1, 2
_I64 = np.dtype(np.int64)
_I32 = np.dtype(np.int32)
# Accumulation dtype of the types Triton has no atomics for.
_ACC = {F16: np.dtype(np.float32), BF16: np.dtype(np.float32), np.dtype(np.int8): _I32,
        np.dtype(np.int16): _I32, np.dtype(np.uint8): _I32}


# ---- device helpers ----------------------------------------------------------------------------------
@triton.jit
def _atomic_mul(ptr, v, mask, safe):
    """``*ptr *= v`` atomically per lane, by compare-and-swap on the value's bits.  Lanes that are
    masked off point at ``safe`` (a valid address) and compare-and-swap a value with itself,
    which never changes memory."""
    ty = v.dtype
    if ty.primitive_bitwidth == 64:
        bt = tl.int64
    else:
        bt = tl.int32
    p = tl.where(mask, ptr, safe)
    old = tl.load(p)
    done = mask == 0
    while tl.sum((done == 0).to(tl.int32), 0) > 0:
        cmp = old.to(bt, bitcast=True)
        new = tl.where(done, cmp, (old * v).to(bt, bitcast=True))
        prev = tl.atomic_cas(p, cmp, new)
        done = done | (prev == cmp)
        old = prev.to(ty, bitcast=True)


@triton.jit
def _index_kernel(X, I, Y, n, size_1, size_2, size_3, size_4,
                  stride_x0, stride_x1, stride_x2, stride_x3, stride_x4,
                  stride_i0, stride_i1, stride_i2, stride_i3, stride_i4,
                  stride_y0, stride_y1, stride_y2, stride_y3, stride_y4,
                  sd, nd, yf: tl.float64, yi: tl.int64, alf: tl.float64, ali: tl.int64,
                  MODE: tl.constexpr, SRC: tl.constexpr, WRAP: tl.constexpr, ALPHA: tl.constexpr,
                  NDIM: tl.constexpr, I64: tl.constexpr, BLOCK: tl.constexpr):
    """The index walk: ``X[x_off + idx * sd]`` read into / written from ``Y`` over ``n`` loop
    elements.  Grid: (cdiv(n, BLOCK),).
    Pointers: X indexed array, I index (any int dtype), Y dense partner (X when a number source).
    Sizes: n loop elements, size_1..size_4 inner loop dims, nd the indexed dim's size (WRAP).
    Strides (elements): stride_x* / stride_i* / stride_y* per loop dim, sd along the indexed dim.
    Scalars: yf / yi a number source, alf / ali index_add's alpha.  Constexprs: MODE (GATHER,
    STORE, ADD, MUL), SRC source kind, WRAP negative indices, ALPHA, NDIM loop dims, I64 int64
    offsets, BLOCK elements per program."""
    i = flat_index(BLOCK, I64)
    mask = i < n
    ox, oi, oy = unravel3(i, size_1, size_2, size_3, size_4, stride_x0, stride_x1, stride_x2, stride_x3, stride_x4,
                          stride_i0, stride_i1, stride_i2, stride_i3, stride_i4,
                          stride_y0, stride_y1, stride_y2, stride_y3, stride_y4, NDIM)
    idx = tl.load(I + oi, mask=mask, other=0).to(tl.int64)
    if WRAP:
        idx = tl.where(idx < 0, idx + nd, idx)
    ptr = X + (ox + idx * sd)
    if MODE == 0:
        tl.store(Y + oy, tl.load(ptr, mask=mask), mask=mask)
    else:
        ty = X.dtype.element_ty
        if SRC == 0:
            v = convert(tl.load(Y + oy, mask=mask), ty)
        elif SRC == 1:
            v = convert(as_f64(yf) + tl.zeros([BLOCK], tl.float64), ty)
        else:
            v = convert(yi + tl.zeros([BLOCK], tl.int64), ty)
        if ALPHA:
            if ty.is_floating():
                v = v * as_f64(alf).to(ty)
            else:
                v = v * (ali + tl.zeros([1], tl.int64)).to(ty)
        if MODE == 1:
            tl.store(ptr, v, mask=mask)
        elif MODE == 2:
            if ty == tl.int1:
                tl.store(ptr, v, mask=mask & (v != 0))
            else:
                tl.atomic_add(ptr, v, mask=mask)
        else:
            if ty == tl.int1:
                tl.store(ptr, v, mask=mask & (v == 0))
            else:
                _atomic_mul(ptr, v, mask, X)


@triton.jit
def _bounds_init_kernel(res, K2: tl.constexpr):
    """Pointers: res (K2,) int64 (min, max) pairs, set to (int64 max, int64 min).  Grid: (1,)."""
    j = tl.arange(0, K2)
    big = tl.full([K2], 9223372036854775807, tl.int64)
    tl.store(res + j, tl.where(j % 2 == 0, big, -big - 1))


@triton.jit
def _bounds_kernel(I, res, OFF, n, size_1, size_2, size_3, size_4,
                   stride_i0, stride_i1, stride_i2, stride_i3, stride_i4,
                   stride_f0, stride_f1, stride_f2, stride_f3, stride_f4, nd, xs,
                   ACC: tl.constexpr, FIRST: tl.constexpr, NDIM: tl.constexpr, I64: tl.constexpr,
                   BLOCK: tl.constexpr):
    """(min, max) of an index tensor into res[0:2] by atomics; with ACC also OFF (+)= wrap(idx) * xs,
    the element offset an advanced index contributes along its dim.  Grid: (cdiv(n, BLOCK),).
    Pointers: I index, res (2,) int64, OFF int64 offsets (res when not ACC).  Sizes: n loop
    elements, size_1..size_4 inner loop dims, nd the indexed dim's size.  Strides (elements):
    stride_i* of I, stride_f* of OFF per loop dim; xs the addressed array's stride along the dim.
    Constexprs: ACC, FIRST (store, not add), NDIM loop dims, I64 int64 offsets, BLOCK."""
    i = flat_index(BLOCK, I64)
    mask = i < n
    oi, of, _ = unravel3(i, size_1, size_2, size_3, size_4, stride_i0, stride_i1, stride_i2, stride_i3, stride_i4,
                         stride_f0, stride_f1, stride_f2, stride_f3, stride_f4,
                         stride_f0, stride_f1, stride_f2, stride_f3, stride_f4, NDIM)
    idx = tl.load(I + oi, mask=mask, other=0).to(tl.int64)
    big = tl.full([BLOCK], 9223372036854775807, tl.int64)
    tl.atomic_min(res, tl.min(tl.where(mask, idx, big), 0))
    tl.atomic_max(res + 1, tl.max(tl.where(mask, idx, -big - 1), 0))
    if ACC:
        w = tl.where(idx < 0, idx + nd, idx) * xs
        if not FIRST:
            w += tl.load(OFF + of, mask=mask, other=0)
        tl.store(OFF + of, w, mask=mask)


@triton.jit
def _nonzero_pred(v):
    """``v != 0`` (half types compared as float32)."""
    if v.dtype == tl.float16 or v.dtype == tl.bfloat16:
        v = convert(v, tl.float32)
    return v != 0


@triton.jit
def _count_kernel(P, cnt, n, size_1, size_2, size_3, size_4, stride_p0, stride_p1, stride_p2, stride_p3, stride_p4,
                  NDIM: tl.constexpr, I64: tl.constexpr, BLOCK: tl.constexpr):
    """Per-program count of ``P != 0``.  Grid: (cdiv(n, BLOCK),).
    Pointers: P predicate, cnt (programs,) int64 counts.  Sizes: n elements, size_1..size_4 inner
    dims.  Strides: stride_p* of P (elements).  Constexprs: NDIM dims, I64 int64 offsets, BLOCK."""
    i = flat_index(BLOCK, I64)
    mask = i < n
    op, _, _ = unravel3(i, size_1, size_2, size_3, size_4, stride_p0, stride_p1, stride_p2, stride_p3, stride_p4,
                        stride_p0, stride_p1, stride_p2, stride_p3, stride_p4,
                        stride_p0, stride_p1, stride_p2, stride_p3, stride_p4, NDIM)
    hit = _nonzero_pred(tl.load(P + op, mask=mask)) & mask
    tl.store(cnt + tl.program_id(0), tl.sum(hit.to(tl.int64), 0))


@triton.jit
def _scan_kernel(cnt, base, nb, CH: tl.constexpr):
    """Exclusive prefix sums of the per-block counts, and the total at base[nb].  Grid: (1,).
    Pointers: cnt (nb,) and base (nb + 1,) int64.  Sizes: nb blocks.  Constexpr: CH counts per step."""
    run = tl.sum(tl.zeros([CH], tl.int64), 0)
    for s in range(0, nb, CH):
        o = s + tl.arange(0, CH)
        c = tl.load(cnt + o, mask=o < nb, other=0)
        tl.store(base + o, run + tl.cumsum(c, 0) - c, mask=o < nb)
        run += tl.sum(c, 0)
    tl.store(base + nb, run)


@triton.jit
def _compact_kernel(P, X, out, base, n, ost, size_1, size_2, size_3, size_4,
                    stride_p0, stride_p1, stride_p2, stride_p3, stride_p4,
                    stride_x0, stride_x1, stride_x2, stride_x3, stride_x4,
                    VALUES: tl.constexpr, NDIM: tl.constexpr, I64: tl.constexpr, BLOCK: tl.constexpr):
    """Write X's elements (VALUES) or the flat positions where ``P != 0`` at their global rank.
    Grid: (cdiv(n, BLOCK),), as `_count_kernel`.  Pointers: P predicate, X values, out result
    (``ost`` elements per rank), base per-program ranks.  Sizes: n elements, size_1..size_4 inner
    dims.  Strides: stride_p* / stride_x* (elements).  Constexprs: VALUES, NDIM, I64, BLOCK."""
    i = flat_index(BLOCK, I64)
    mask = i < n
    op, ox, _ = unravel3(i, size_1, size_2, size_3, size_4, stride_p0, stride_p1, stride_p2, stride_p3, stride_p4,
                         stride_x0, stride_x1, stride_x2, stride_x3, stride_x4,
                         stride_x0, stride_x1, stride_x2, stride_x3, stride_x4, NDIM)
    hit = _nonzero_pred(tl.load(P + op, mask=mask)) & mask
    h = hit.to(tl.int64)
    pos = tl.load(base + tl.program_id(0)) + tl.cumsum(h, 0) - h
    if VALUES:
        tl.store(out + pos * ost, tl.load(X + ox, mask=hit), mask=hit)
    else:
        tl.store(out + pos * ost, i.to(tl.int64), mask=hit)


@triton.jit
def _where_fn(m, v, x, p0, p1, p2):
    """``v`` where ``m`` holds, else ``x``."""
    return tl.where(m != 0, v, x)


# ---- host helpers ------------------------------------------------------------------------------------
def loop_i64(shape, strides_list, block, extra=0):
    """Whether a loop over ``shape`` in blocks of ``block`` elements, addressing operands with
    ``strides_list``, needs int64 offsets; ``extra``: a further index range (the indexed dim's)."""
    return needs_i64(*[(shape, s) for s in strides_list], counts=(math.prod(shape) + block, extra))


def loop_args(cshape, strides_list):
    """A collapsed loop's kernel arguments: the inner MAXD - 1 sizes, then MAXD strides per operand."""
    return pad(cshape[1:], MAXD - 1, 1) + [t for s in strides_list for t in pad(s, MAXD)]


def for_each_block(shape, arrays, strides, run):
    """``run(arrays, shape, strides)`` over a loop space collapsed to <= MAXD dims; a space that
    does not collapse that far is split along its leading dim (arrays re-based per slice)."""
    cshape, cstr = collapse(shape, strides)
    if len(cshape) <= MAXD:
        run(arrays, cshape, cstr)
        return
    for j in range(cshape[0]):
        sub = [a.view_as(a.shape, a.strides, a.offset + j * s[0]) for a, s in zip(arrays, cstr)]
        for_each_block(cshape[1:], sub, [s[1:] for s in cstr], run)


def index_walk(mode, X, I, Y, shape, x_st, i_st, y_st, sd=1, nd=0, wrap=False, alpha=None):
    """Launch `_index_kernel` over loop ``shape``.  ``Y``: a CudaArray, or a Python number (STORE/ADD/MUL
    source).  ``alpha`` (index_add) multiplies the source."""
    n = math.prod(shape)
    if n == 0:
        return
    src, yf, yi = _SRC_ARRAY, 0.0, 0
    if not hasattr(Y, "block"):
        if isinstance(Y, float):
            src, yf = _SRC_FLOAT, Y
        else:
            src, yi = _SRC_INT, int(Y)
        Y, y_st = X, [0] * len(shape)
    af, ai = (float(alpha), int(alpha)) if alpha is not None else (0.0, 0)

    def run(arrays, cshape, cst):
        m = math.prod(cshape)
        blk = block_for(m, BLOCK)
        i64 = loop_i64(cshape, cst, blk, (nd + 1) * abs(sd))
        launch(_index_kernel, (cdiv(m, blk),), *arrays, m, *loop_args(cshape, cst), sd, nd, yf, yi, af, ai,
               MODE=mode, SRC=src, WRAP=wrap, ALPHA=alpha is not None, NDIM=len(cshape), I64=i64, BLOCK=blk)

    for_each_block(shape, [X, I, Y], [list(x_st), list(i_st), list(y_st)], run)


def fill(dst, value):
    """``dst[...] = value`` (a Python number), converted as a C cast."""
    pointwise(identity, dst, [value], compute_tl(dst.dtype))


def nd1(a):
    """0-d arrays as 1-element 1-d views (gather/scatter treat 0-d like 1-d, as PyTorch)."""
    return a.view_as((1,), (1,)) if a.ndim == 0 else a


class Bounds:
    """Device-side bounds checks of up to ``count`` index tensors, raised in order with the
    cpu's error and message by `raise_if_bad` (one host synchronisation)."""

    def __init__(self, count, device_index=0):
        self.k2 = max(2, triton.next_power_of_2(2 * count))
        self.device_index = device_index
        self.res = None
        self.specs = []

    def check(self, index, n, dim, op="", allow_negative=True, off=None, shape=None, xs=0, first=False,
              exc=IndexError, style="bounds"):
        """Check ``index`` (any int dtype) against size ``n``.  With ``off`` (int64, contiguous over the
        broadcast ``shape``) also fold ``wrap(index) * xs`` into it (``first``: store, not add).
        ``exc`` / ``style``: the error class and message, as in the cpu's ``check_bounds``."""
        j = len(self.specs)
        if index.size == 0:
            self.specs.append(None)
            return
        self.specs.append((n, dim, op, allow_negative, exc, style))
        if self.res is None:
            self.res = CudaArray.empty((self.k2,), _I64, self.device_index)
            launch(_bounds_init_kernel, (1,), self.res, K2=self.k2)
        res = self.res.view_as((2,), (1,), self.res.offset + 2 * j)
        if off is None:
            shape, strides, target = index.shape, [list(index.strides)], res
        else:
            strides, target = [broadcast_strides(index, shape), list(off.strides)], off
        acc = off is not None

        def run(arrays, cshape, cst):
            m = math.prod(cshape)
            blk = block_for(m, BLOCK)
            fst = cst[1] if acc else [0] * len(cshape)
            launch(_bounds_kernel, (cdiv(m, blk),), arrays[0], res, arrays[1] if acc else res, m,
                   *loop_args(cshape, [cst[0], fst]), n, xs, ACC=acc, FIRST=first, NDIM=len(cshape),
                   I64=loop_i64(cshape, cst, blk), BLOCK=blk)

        for_each_block(shape, [index, target], strides + ([] if acc else [[0] * len(shape)]), run)

    def raise_if_bad(self):
        if not any(self.specs):
            return
        host = np.empty(self.k2, np.int64)
        memory.copy_to_host(host, self.res.block, self.res.offset * 8)  # the op's one host sync
        for j, spec in enumerate(self.specs):
            if spec is None:
                continue
            n, dim, op, neg, exc, style = spec
            err = bounds_error(int(host[2 * j]), int(host[2 * j + 1]), n, dim, op, neg, exc, style)
            if err is not None:
                raise err


def check_one(index, n, dim, op, allow_negative, device_index=0, exc=IndexError, style="bounds"):
    """`Bounds` for one index tensor, raised at once."""
    b = Bounds(1, device_index)
    b.check(index, n, dim, op, allow_negative, exc=exc, style=style)
    b.raise_if_bad()


def acc_dtype(dtype):
    """The dtype accumulating scatters run in for an output of ``dtype`` (None: the output itself)."""
    return _ACC.get(dtype)


def accumulate_into(out, x, body):
    """``out = x`` then ``body(target)`` accumulates into ``target``: ``out`` itself when Triton has
    atomics for its dtype, else a float32/int32 copy rounded back into ``out`` once."""
    acc = _ACC.get(out.dtype)
    if acc is None:
        if out is not x:
            assign(out, x)
        body(out)
        return
    tmp = CudaArray.empty(out.shape, acc, out.block.device_index)
    assign(tmp, x)
    body(tmp)
    assign(out, tmp)


def dim_zeroed(strides, dim):
    """``strides`` with ``dim``'s zeroed: the indexed dim is addressed through the index instead."""
    s = list(strides)
    s[dim] = 0
    return s


def _along(index, ndim, dim):
    """Loop strides of a 1-d (or 0-d) index read at the loop's coordinate along ``dim``."""
    s = [0] * ndim
    s[dim] = index.strides[0] if index.ndim else 0
    return s


def compact(shape, P, p_st, X=None, x_st=None, make_out=None, ost=1):
    """Stream compaction over row-major ``shape`` where ``P != 0``: returns ``make_out(count)``
    after writing, at each hit's rank, ``X``'s element (``X`` given) or the flat position
    (``out + rank * ost``).  One host sync (the count)."""
    n = math.prod(shape)
    ops = [(P, p_st)] + ([(X, x_st)] if X is not None else [])
    cshape, cst = collapse(shape, [s for _, s in ops])
    if len(cshape) > MAXD:  # rare: more than MAXD uncollapsible dims -> contiguous copies first
        ops = [(_dense(a, shape, s), contiguous_strides(shape)) for a, s in ops]
        cshape, cst = collapse(shape, [s for _, s in ops])
    P = ops[0][0]
    X = ops[1][0] if X is not None else P
    xs = cst[1] if len(cst) > 1 else cst[0]
    dev = P.block.device_index
    blk = block_for(n, BLOCK)
    nb = cdiv(n, blk) if n else 0
    i64 = loop_i64(cshape, cst, blk)
    base = CudaArray.empty((nb + 1,), _I64, dev)
    if nb:
        cnt = CudaArray.empty((nb,), _I64, dev)
        launch(_count_kernel, (nb,), P, cnt, n, *loop_args(cshape, cst[:1]), NDIM=len(cshape), I64=i64, BLOCK=blk)
        launch(_scan_kernel, (1,), cnt, base, nb, CH=1024)
        total = np.empty(1, np.int64)
        memory.copy_to_host(total, base.block, (base.offset + nb) * 8)  # the op's one host sync
        total = int(total[0])
    else:
        total = 0
    out = make_out(total)
    if total and out.size:
        launch(_compact_kernel, (nb,), P, X, out, base, n, ost, *loop_args(cshape, [cst[0], xs]),
               VALUES=len(ops) > 1, NDIM=len(cshape), I64=i64, BLOCK=blk)
    return out


def _dense(a, shape, strides):
    d = CudaArray.empty(shape, a.dtype, a.block.device_index)
    assign(d, a.view_as(tuple(shape), tuple(strides)))
    return d


# ---- impls ---------------------------------------------------------------------------------------------
def gather(out, x, dim, index):
    xs, ix, o = nd1(x), nd1(index), nd1(out)
    check_one(ix, xs.shape[dim], dim, "", False, x.block.device_index, RuntimeError)
    index_walk(GATHER, xs, ix, o, ix.shape, dim_zeroed(xs.strides, dim), ix.strides, o.strides, sd=xs.strides[dim])


def _scatter(out, x, dim, index, src, reduce):
    if index.size == 0:
        if out is not x:
            assign(out, x)
        return
    o, ix = nd1(out), nd1(index)
    check_one(ix, o.shape[dim], dim, "", False, out.block.device_index, RuntimeError)
    s = nd1(src) if hasattr(src, "block") else src
    s_st = s.strides if hasattr(s, "block") else None
    if reduce is None:
        if out is not x:
            assign(out, x)
        index_walk(STORE, o, ix, s, ix.shape, dim_zeroed(o.strides, dim), ix.strides, s_st, sd=o.strides[dim])
        return
    mode = MUL if reduce == "multiply" else ADD

    def body(t):
        t = nd1(t)
        index_walk(mode, t, ix, s, ix.shape, dim_zeroed(t.strides, dim), ix.strides, s_st, sd=t.strides[dim])

    accumulate_into(out, x, body)


def scatter(out, x, dim, index, src, reduce=None):
    _scatter(out, x, dim, index, src, reduce)


def scatter_add(out, x, dim, index, src):
    _scatter(out, x, dim, index, src, "add")


def index_select(out, x, dim, index):
    if x.ndim == 0:
        check_one(index, 1, 0, "", False, x.block.device_index, style="self")
        assign(out, x)
        return
    dim1 = x.ndim > 1 and dim == 1  # the cpu's (PyTorch's) error choice
    check_one(index, x.shape[dim], dim, "", False, x.block.device_index, RuntimeError if dim1 else IndexError,
              "data" if dim1 else "self")
    index_walk(GATHER, x, index, out, out.shape, dim_zeroed(x.strides, dim), _along(index, out.ndim, dim),
               out.strides, sd=x.strides[dim])


def index_add(out, x, dim, index, source, alpha=1):
    o, src = nd1(out), nd1(source)
    scatter_path = o.ndim == 2 and alpha == 1 and index.dtype == np.int64  # the cpu's error choice (PyTorch's)
    check_one(index, o.shape[dim], dim, "", False, out.block.device_index,
              RuntimeError if scatter_path else IndexError, "bounds" if scatter_path else "self")
    if out.dtype == np.bool_:
        alpha, src_ok = None, bool(alpha)
    else:
        alpha, src_ok = (None if alpha == 1 else alpha), True

    def body(t):
        t = nd1(t)
        if src_ok:
            index_walk(ADD, t, index, src, src.shape, dim_zeroed(t.strides, dim), _along(index, src.ndim, dim),
                       src.strides, sd=t.strides[dim], alpha=alpha)

    accumulate_into(out, x, body)


def index_fill(out, x, dim, index, value):
    if out is not x:
        assign(out, x)
    o = nd1(out)
    check_one(index, o.shape[dim], dim, "", True, out.block.device_index)
    shape = list(o.shape)
    shape[dim] = index.size
    v_st = [0] * len(shape) if hasattr(value, "block") else None
    index_walk(STORE, o, index, value, shape, dim_zeroed(o.strides, dim), _along(index, len(shape), dim), v_st,
               sd=o.strides[dim], nd=o.shape[dim], wrap=True)


def masked_fill(out, x, mask, value):
    """``where(mask, value, x)`` elementwise (in place when ``out is x``)."""
    pointwise(_where_fn, out, [mask, value, x], compute_tl(out.dtype))


def masked_select(x, mask):
    """Dynamic: the elements of broadcast(x, mask) where mask holds, 1-d.  One host sync (the count)."""
    shape = tuple(np.broadcast_shapes(x.shape, mask.shape))
    return compact(shape, mask, broadcast_strides(mask, shape), x, broadcast_strides(x, shape),
                   lambda k: CudaArray.empty((k,), x.dtype, x.block.device_index))


IMPLS = {"gather": gather, "scatter": scatter, "scatter_add": scatter_add, "index_select": index_select,
         "index_add": index_add, "index_fill": index_fill, "masked_fill": masked_fill,
         "masked_select": masked_select}
