"""Triton kernels of sort, topk, kthvalue, median (along a dim and over all elements) and the sort
family's index helpers gather_along_dim / scatter_along_dim.

Order: every op is a stable ascending sort of integer *keys* paired with each element's column
(its payload), compared lexicographically on (key, column) -- a total order, so any sorting
network is stable and the result is exactly the cpu's stable argsort.  Keys are order-preserving
integers: floats (half types through float32) map their bits to a signed int that compares like
the float, with -0.0 folded onto +0.0 (numpy's stable sort sees them equal) and every NaN onto
the largest key (NaN is largest, as PyTorch); integers and bool are their values.  Descending
sorts invert the key (``~key``), which keeps ties in input order and puts NaN first.  Keys are
int32 for <= 32-bit dtypes and int64 for float64/int64; the payload is int32 (int64 for rows of
2^31 elements or more).

Rows of up to ``_tile_cap()`` elements (1024 on a GPU; 16384 in the interpreter, where programs
are expensive and elements cheap) sort in registers in ONE kernel: a program loads an [R, B] tile
of R rows (B = next power of two of the row length, padded with keys that sort last) and either
  * counts, for rows of B <= 32 (256 in the interpreter): each element's sorted position is the
    number of pairs below it, from an [R, B, B] comparison (B^2 compares per row, one step), or
  * runs a bitonic network on (key, payload) pairs in the hypercube form ``tl.sort`` uses (the
    compare-exchange partner comes from a sum over a size-2 axis: ``tl.sort``'s xor_sum runs
    element by element in the interpreter); log2(B)(log2(B)+1)/2 steps,
then writes the first ``k`` values/indices (sort, topk) or the element at one sorted position
(kthvalue; median_dim, which moves to the first NaN when a row has one).  Values are re-read at
the sorted columns, so NaN payloads and -0.0 come out bit-exact.  Bytes per element: itemsize in,
(itemsize + 8) out, one cached re-read.  Full ``median`` sorts x as one row (a contiguous copy
first when x is not a single strided run).

Longer rows: a multi-pass merge sort.  The same kernel sorts tiles of ``_tile_cap()`` and writes
(key, payload) pairs to scratch; then each merge pass doubles the sorted run length: every
element finds its output slot as (its rank in its own run) + (the number of elements of the
partner run below it, by binary search -- exact, since the order is total); a final pass emits
values/indices (or one position per row).  Cost: ceil(log2(n / tile)) passes of O(log run)
dependent loads per element, 2 x (key + payload) scratch per element.  Limits: topk and kthvalue
sort the whole row (no radix select); the scratch must fit in device memory.

gather_along_dim / scatter_along_dim are the gather/scatter index walk (gather_scatter.py)
without bounds checks: their indices come from sort / max and are in range by construction.

Offsets are int32 unless an operand's span (rows and the sorted dim), the scratch size or the last
tile's overshoot needs int64 (`_launch.needs_i64`); the merge and emit kernels always index in int64.
"""
import math

import numpy as np
import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray, contiguous_strides
from ._dtypes import F16, BF16, F32, F64
from ._elementwise import assign, collapse
from ._jit import convert, unravel3
from ._launch import launch, cdiv, block_for, needs_i64, SIZE_FOR_INTERPRETER
from .gather_scatter import for_each_block, fill, index_walk, loop_args, dim_zeroed, GATHER, STORE

__all__ = ["IMPLS"]

_EMIT, _PICK, _TILES = 0, 1, 2
_GPU_TILE = 1024
_INTERP_TILE = 1 << 14
# Rows of up to _RANK_MAX elements sort by counting (O(B^2) compares on R x B x B <= _RANK_CELLS lanes):
# fewer, wider steps than the bitonic network -- on a GPU for short rows, and in the interpreter
# (which pays per op, not per element) for rows up to 256.
_RANK_MAX = 256 if SIZE_FOR_INTERPRETER else 32
_RANK_CELLS = 1 << 16 if SIZE_FOR_INTERPRETER else 1 << 12
# Tests set this to force the multi-pass path on short rows.
TILE_OVERRIDE = None


def _tile_cap():
    if TILE_OVERRIDE is not None:
        return TILE_OVERRIDE
    return _INTERP_TILE if SIZE_FOR_INTERPRETER else _GPU_TILE


# ---- device helpers ----------------------------------------------------------------------------------
@triton.jit
def _sort_key(v, KT: tl.constexpr, DESC: tl.constexpr):
    """Order-preserving integer key of ``v`` (NaN largest, -0.0 == +0.0); inverted when DESC."""
    if v.dtype.is_floating():
        if KT == tl.int64:
            f = v.to(tl.float64)
            b = tl.where(f == 0, 0.0, f).to(tl.int64, bitcast=True)
            k = tl.where(b < 0, b ^ 0x7FFFFFFFFFFFFFFF, b)
            k = tl.where(f != f, 0x7FFFFFFFFFFFFFFF, k)
        else:
            f = convert(v, tl.float32)
            b = tl.where(f == 0, 0.0, f).to(tl.int32, bitcast=True)
            k = tl.where(b < 0, b ^ 0x7FFFFFFF, b)
            k = tl.where(f != f, 0x7FFFFFFF, k)
    else:
        k = v.to(KT)
    if DESC:
        k = ~k
    return k


@triton.jit
def _sort_pairs(k, p, R: tl.constexpr, B: tl.constexpr, LOG_B: tl.constexpr, ND: tl.constexpr):
    """Sort each of the R rows of [R, B] (key, payload) pairs ascending by (key, payload): a
    bitonic network on the [2] * ND hypercube view, as ``tl.sort`` (written out inline: nested
    jit calls cost the interpreter a few ms each)."""
    hk = tl.reshape(k, [2] * ND)
    hp = tl.reshape(p, [2] * ND)
    for stage in tl.static_range(1, LOG_B + 1):
        if stage < LOG_B:
            flip = tl.reshape(tl.arange(0, 2), [1] * (ND - stage - 1) + [2] + [1] * stage)
        else:
            flip = tl.zeros([1] * ND, tl.int32)
        for t in tl.static_range(stage):
            # Compare-exchange along hypercube axis ND - stage + t (the (stage-1-t)-th from the
            # inside).  The partner is (x + partner) - x, wrapping: a sum, not tl.sort's
            # xor_sum, which the interpreter reduces element by element.
            kp = tl.sum(hk, ND - stage + t, keep_dims=True) - hk
            pp = tl.sum(hp, ND - stage + t, keep_dims=True) - hp
            right = tl.reshape(tl.arange(0, 2), [1] * (ND - stage + t) + [2] + [1] * (stage - 1 - t))
            swap = ((hk > kp) | ((hk == kp) & (hp > pp))) != (flip ^ right).to(tl.int1)
            hk = tl.where(swap, kp, hk)
            hp = tl.where(swap, pp, hp)
    return tl.reshape(hk, [R, B]), tl.reshape(hp, [R, B])


@triton.jit
def _rank_in(K, P, start, length, k, p, mask, steps):
    """How many pairs of the sorted run (K, P)[start : start + length] are below (k, p)."""
    lo = length * 0
    hi = length
    for _ in range(steps):
        live = mask & (lo < hi)
        mid = (lo + hi) // 2
        mk = tl.load(K + start + mid, mask=live)
        mp = tl.load(P + start + mid, mask=live)
        below = (mk < k) | ((mk == k) & (mp < p))
        lo = tl.where(live & below, mid + 1, lo)
        hi = tl.where(live & ~below, mid, hi)
    return lo


@triton.jit
def _sort_tile_kernel(x, vals, idxs, K, P, nrows, n, kc, pos0, size_1, size_2, size_3, size_4,
                      stride_x0, stride_x1, stride_x2, stride_x3, stride_x4,
                      stride_v0, stride_v1, stride_v2, stride_v3, stride_v4,
                      stride_i0, stride_i1, stride_i2, stride_i3, stride_i4,
                      stride_xd, stride_vd, stride_id,
                      MODE: tl.constexpr, DESC: tl.constexpr, MEDIAN: tl.constexpr, WRITE_IDX: tl.constexpr,
                      KT: tl.constexpr, PT: tl.constexpr, R: tl.constexpr, B: tl.constexpr,
                      LOG_B: tl.constexpr, ND: tl.constexpr, RANK: tl.constexpr, NDIM: tl.constexpr,
                      I64: tl.constexpr):
    """Sort [R, B] tiles of rows in registers.  Grid: (cdiv(nrows, R), 1), or (nrows, cdiv(n, B))
    with R = 1 for the scratch tiles of long rows (MODE 2).
    Pointers: x input, vals / idxs outputs (MODE 0: the first kc sorted; 1: the one at sorted
    position pos0), K / P (nrows * n) key / payload scratch (MODE 2).  Sizes: nrows rows, n row
    length, size_1..size_4 inner row dims.  Strides (elements): stride_x* / stride_v* / stride_i*
    per row dim, stride_xd / stride_vd / stride_id along the sorted dim.  Constexprs: MODE, DESC,
    MEDIAN (pick the first NaN when a row has one), WRITE_IDX, KT key and PT payload dtypes, R rows
    and B (a power of two, LOG_B its log) columns per tile, ND = log2(R * B), RANK (counting sort),
    NDIM row dims, I64 int64 offsets."""
    if I64:
        rows = tl.program_id(0).to(tl.int64) * R + tl.arange(0, R).to(tl.int64)
        col0 = tl.program_id(1).to(tl.int64) * B
        cols = col0 + tl.arange(0, B).to(tl.int64)
    else:
        rows = tl.program_id(0) * R + tl.arange(0, R)
        col0 = tl.program_id(1) * B
        cols = col0 + tl.arange(0, B)
    rmask = rows < nrows
    m = rmask[:, None] & (cols < n)[None, :]
    ox, ov, oi = unravel3(rows, size_1, size_2, size_3, size_4, stride_x0, stride_x1, stride_x2, stride_x3, stride_x4,
                          stride_v0, stride_v1, stride_v2, stride_v3, stride_v4, stride_i0, stride_i1, stride_i2,
                          stride_i3, stride_i4, NDIM)
    key = _sort_key(tl.load(x + (ox[:, None] + cols[None, :] * stride_xd), mask=m), KT, DESC)
    if KT == tl.int64:
        top = 0x7FFFFFFFFFFFFFFF
    else:
        top = 0x7FFFFFFF
    if MEDIAN:
        nans = tl.sum((m & (key == top)).to(tl.int32), 1)
    key = tl.where(m, key, top)
    if RANK:
        # Short rows: each element's sorted position is the number of pairs below it.
        below = (key[:, None, :] < key[:, :, None]) | ((key[:, None, :] == key[:, :, None]) &
                                                        (cols[None, None, :] < cols[None, :, None]))
        pos = tl.sum(below.to(tl.int32), 2)
        sel = cols[None, :] + tl.zeros([R, B], cols.dtype)
    else:
        pay = (cols[None, :] + tl.zeros([R, B], cols.dtype)).to(PT)
        key, pay = _sort_pairs(key, pay, R, B, LOG_B, ND)
        pos = tl.arange(0, B)[None, :] + tl.zeros([R, B], tl.int32)
        sel = pay.to(cols.dtype)
    # Lane (r, j) now holds the pair at sorted position pos of its row, of column sel.
    if MODE == 2:
        # R == 1: the tile's sorted pairs go to scratch (padding sorts last, beyond the row).
        s = rows[:, None] * n + (col0 + pos)
        tl.store(K + s, key, mask=m)
        tl.store(P + s, sel.to(PT), mask=m)
    elif MODE == 0:
        w = m & (pos < kc)
        tl.store(vals + (ov[:, None] + pos * stride_vd), tl.load(x + (ox[:, None] + sel * stride_xd), mask=w), mask=w)
        if WRITE_IDX:
            tl.store(idxs + (oi[:, None] + pos * stride_id), sel.to(tl.int64), mask=w)
    else:
        want = tl.zeros([R], tl.int32) + pos0
        if MEDIAN:
            want = tl.where(nans > 0, n - nans, want)
        pick = tl.sum(tl.where(pos == want[:, None], sel, 0), 1)
        tl.store(vals + ov, tl.load(x + (ox + pick * stride_xd), mask=rmask), mask=rmask)
        if WRITE_IDX:
            tl.store(idxs + oi, pick.to(tl.int64), mask=rmask)


@triton.jit
def _merge_kernel(Ki, Pi, Ko, Po, total, n, run, steps, BLOCK: tl.constexpr):
    """Merge sorted runs of length ``run`` within each row of n into runs of 2 * run.
    Grid: (cdiv(total, BLOCK),).  Pointers: Ki / Pi input and Ko / Po output (total,) key / payload
    scratch.  Sizes: total = rows * n, n row length, run, steps binary-search probes.  Constexpr:
    BLOCK elements per program (int64 indices)."""
    e = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = e < total
    row = e // n
    c = e % n
    start = (c // run) * run
    other = start ^ run
    length = tl.maximum(tl.minimum(other + run, n) - other, 0)
    k = tl.load(Ki + e, mask=mask)
    p = tl.load(Pi + e, mask=mask)
    below = _rank_in(Ki, Pi, row * n + other, length, k, p, mask, steps)
    dst = row * n + tl.minimum(start, other) + (c - start) + below
    tl.store(Ko + dst, k, mask=mask)
    tl.store(Po + dst, p, mask=mask)


@triton.jit
def _emit_kernel(x, vals, idxs, K, P, total, n, kc, pos0, steps, size_1, size_2, size_3, size_4,
                 stride_x0, stride_x1, stride_x2, stride_x3, stride_x4,
                 stride_v0, stride_v1, stride_v2, stride_v3, stride_v4,
                 stride_i0, stride_i1, stride_i2, stride_i3, stride_i4,
                 stride_xd, stride_vd, stride_id,
                 PICK: tl.constexpr, MEDIAN: tl.constexpr, WRITE_IDX: tl.constexpr, NDIM: tl.constexpr,
                 BLOCK: tl.constexpr):
    """Sorted scratch rows -> the first kc values/indices of each row, or (PICK) one position.
    Grid: (cdiv(total, BLOCK),), total = rows * kc.  Pointers: x input, vals / idxs outputs, K / P
    sorted scratch.  Sizes: n row length, kc, pos0, steps binary-search probes, size_1..size_4 inner
    row dims.  Strides as `_sort_tile_kernel`.  Constexprs: PICK, MEDIAN, WRITE_IDX, NDIM, BLOCK
    (int64 indices)."""
    e = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = e < total
    row = e // kc
    c = e % kc
    if PICK:
        c = c * 0 + pos0
        if MEDIAN:
            # NaN keys are the largest: the first NaN sits after every pair below (NaN key, -1).
            if K.dtype.element_ty == tl.int64:
                top = tl.full([BLOCK], 0x7FFFFFFFFFFFFFFF, tl.int64)
            else:
                top = tl.full([BLOCK], 0x7FFFFFFF, tl.int32)
            finite = _rank_in(K, P, row * n, e * 0 + n, top, tl.full([BLOCK], -1, P.dtype.element_ty), mask, steps)
            c = tl.where(finite < n, finite, c)
    sel = tl.load(P + row * n + c, mask=mask).to(tl.int64)
    ox, ov, oi = unravel3(row, size_1, size_2, size_3, size_4, stride_x0, stride_x1, stride_x2, stride_x3, stride_x4,
                          stride_v0, stride_v1, stride_v2, stride_v3, stride_v4, stride_i0, stride_i1, stride_i2,
                          stride_i3, stride_i4, NDIM)
    tl.store(vals + (ov + c * stride_vd), tl.load(x + (ox + sel * stride_xd), mask=mask), mask=mask)
    if WRITE_IDX:
        tl.store(idxs + (oi + c * stride_id), sel, mask=mask)


# ---- host side -----------------------------------------------------------------------------------------
def _counting(b):
    return b <= _RANK_MAX and b * b <= _RANK_CELLS


def _rows_per_tile(nrows, b):
    """Rows R of a [R, b] register tile (b <= the tile cap)."""
    rows = (_RANK_CELLS // (b * b)) if _counting(b) else _tile_cap() // b
    return min(triton.next_power_of_2(nrows), max(1, rows))


def _key_dtype(dtype):
    return tl.int64 if dtype.itemsize == 8 else tl.int32


def _sorted_rows(x, dim, vals, idxs, mode, k=0, pos=0, desc=False, median=False):
    """Sort every row of ``x`` along ``dim`` and write into ``vals``/``idxs`` (``idxs`` None: values
    only).  Outputs are given with x's ndim (size ``k`` or, for PICK, size 1 with stride 0 along dim)."""
    n = x.shape[dim]
    outer = [s for d, s in enumerate(x.shape) if d != dim]
    if n == 0 or math.prod(outer) == 0 or (mode == _EMIT and k == 0):
        return
    write_idx = idxs is not None
    idxs = idxs if write_idx else vals
    arrays = [x, vals, idxs]
    strides = [[s for d, s in enumerate(a.strides) if d != dim] for a in arrays]
    dstr = [a.strides[dim] for a in arrays]
    if mode == _PICK:
        dstr[1] = dstr[2] = 0

    def run(arrs, cshape, cst):
        _launch_rows(arrs, cshape, cst, dstr, n, mode, k, pos, desc, median, write_idx)

    for_each_block(outer if outer else [1], arrays, strides if outer else [[0]] * 3, run)


def _launch_rows(arrs, cshape, cst, dstr, n, mode, k, pos, desc, median, write_idx):
    x = arrs[0]
    nrows = math.prod(cshape)
    kt = _key_dtype(x.dtype)
    cap = _tile_cap()
    b = max(2, triton.next_power_of_2(n)) if n <= cap else cap
    # Payloads are columns, up to the last tile's padding.
    pt = tl.int64 if needs_i64(counts=(n + b,)) else tl.int32
    geo = (*loop_args(cshape, cst), *dstr)
    rows = [(cshape + [n], list(st) + [sd]) for st, sd in zip(cst, dstr)]
    i64 = needs_i64(*rows, counts=(nrows * n + b, nrows + _rows_per_tile(nrows, b)))
    kc = k if mode == _EMIT else 1
    flags = dict(DESC=desc, MEDIAN=median, WRITE_IDX=write_idx, KT=kt, PT=pt, NDIM=len(cshape), I64=i64)
    if n <= cap:
        rank = _counting(b)
        r = _rows_per_tile(nrows, b)
        lb, nd = b.bit_length() - 1, (b * r).bit_length() - 1
        launch(_sort_tile_kernel, (cdiv(nrows, r), 1), x, *arrs[1:], x, x, nrows, n, kc, pos, *geo,
               MODE=mode, R=r, B=b, LOG_B=lb, ND=nd, RANK=rank, **flags)
        return
    lb = b.bit_length() - 1
    dev = x.block.device_index
    knp = np.dtype(np.int64) if kt == tl.int64 else np.dtype(np.int32)
    pnp = np.dtype(np.int64) if pt == tl.int64 else np.dtype(np.int32)
    total = nrows * n
    bufs = [(CudaArray.empty((total,), knp, dev), CudaArray.empty((total,), pnp, dev)) for _ in range(2)]
    launch(_sort_tile_kernel, (nrows, cdiv(n, b)), x, *arrs[1:], *bufs[0], nrows, n, kc, pos, *geo,
           MODE=_TILES, R=1, B=b, LOG_B=lb, ND=lb, RANK=_counting(b), **flags)
    blk = block_for(total, 256)
    run = b
    while run < n:
        launch(_merge_kernel, (cdiv(total, blk),), *bufs[0], *bufs[1], total, n, run, run.bit_length(), BLOCK=blk)
        bufs.reverse()
        run *= 2
    count = nrows * kc
    blk = block_for(count, 256)
    launch(_emit_kernel, (cdiv(count, blk),), x, *arrs[1:], *bufs[0], count, n, kc, pos, n.bit_length(), *geo,
           PICK=mode == _PICK, MEDIAN=median, WRITE_IDX=write_idx, NDIM=len(cshape), BLOCK=blk)


def _reduced_view(out, x, dim, keepdim):
    """A reduced output seen with x's ndim: size 1 and stride 0 along ``dim``."""
    shape = list(x.shape)
    shape[dim] = 1
    st = list(out.strides)
    if keepdim:
        st[dim] = 0
    else:
        st.insert(dim, 0)
    return out.view_as(tuple(shape), tuple(st))


def _fill_scalar(outs, x):
    values, indices = outs
    assign(values, x.view_as(values.shape, (0,) * values.ndim))
    fill(indices, 0)


def _is_float(dtype):
    return dtype in (F16, BF16, F32, F64)


# ---- impls ---------------------------------------------------------------------------------------------
def sort(outs, x, dim, descending, stable):
    """Always stable (ties keep input order): that honours ``stable=True`` and is a valid result for
    ``stable=False``, so ``stable`` (always passed by the registry) is not read."""
    if x.ndim == 0:
        return _fill_scalar(outs, x)
    _sorted_rows(x, dim, outs[0], outs[1], _EMIT, k=x.shape[dim], desc=descending)


def topk(outs, x, k, dim, largest, sorted):
    if x.ndim == 0:
        # The output is 0-d (one element) for k = 0 as for k = 1: PyTorch copies the value.
        return _fill_scalar(outs, x)
    _sorted_rows(x, dim, outs[0], outs[1], _EMIT, k=k, desc=largest)


def kthvalue(outs, x, k, dim, keepdim):
    if x.ndim == 0:
        return _fill_scalar(outs, x)
    _sorted_rows(x, dim, _reduced_view(outs[0], x, dim, keepdim), _reduced_view(outs[1], x, dim, keepdim), _PICK,
                 pos=k - 1)


def median_dim(outs, x, dim, keepdim):
    if x.ndim == 0:
        return _fill_scalar(outs, x)
    _sorted_rows(x, dim, _reduced_view(outs[0], x, dim, keepdim), _reduced_view(outs[1], x, dim, keepdim), _PICK,
                 pos=(x.shape[dim] - 1) // 2, median=_is_float(x.dtype))


def median(out, x):
    n = x.size
    if n == 0:
        if not _is_float(out.dtype):
            raise ValueError("cannot convert float NaN to integer")
        fill(out, float("nan"))
        return
    if x.ndim == 0:
        assign(out, x)
        return
    cshape, (cst,) = collapse(x.shape, [x.strides])
    flat = x.view_as((n,), (cst[0],)) if len(cshape) == 1 else None
    if flat is None:  # not one strided run: sort a contiguous copy
        flat = CudaArray.empty((n,), x.dtype, x.block.device_index)
        assign(flat.view_as(x.shape, contiguous_strides(x.shape)), x)
    _sorted_rows(flat, 0, out.view_as((1,), (0,)), None, _PICK, pos=(n - 1) // 2, median=_is_float(x.dtype))


def gather_along_dim(out, x, dim, index):
    if x.ndim == 0:
        assign(out, x)
        return
    index_walk(GATHER, x, index, out, index.shape, dim_zeroed(x.strides, dim), index.strides, out.strides,
               sd=x.strides[dim])


def scatter_along_dim(out, src, dim, index, shape):
    fill(out, 0)
    if out.ndim == 0:
        assign(out, src)
        return
    index_walk(STORE, out, index, src, index.shape, dim_zeroed(out.strides, dim), index.strides, src.strides,
               sd=out.strides[dim])


IMPLS = {"sort": sort, "topk": topk, "kthvalue": kthvalue, "median_dim": median_dim, "median": median,
         "gather_along_dim": gather_along_dim, "scatter_along_dim": scatter_along_dim}
