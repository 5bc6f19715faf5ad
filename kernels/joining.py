"""Triton kernels: joining, tiling and reordering (cat, stack, repeat, flip, roll, tril/triu,
and the index generator of repeat_interleave).

Pure data movement.  Most ops are strided views handed to the shared elementwise copy
(`_elementwise.assign`, which reads any strides and casts on the way), so nothing is staged
through a contiguous temporary:
  * cat / stack: one copy per input into the matching slice view of ``out``;
  * repeat: ``out`` seen as (r0, s0, r1, s1, ...) and the input broadcast over the r's: one copy;
  * flip: the input seen through negative strides: one copy;
  * roll: per rolled dim the two halves swap places, i.e. 2**k slice copies for k rolled dims
    (a flattening roll of an input that cannot be viewed flat is first copied contiguous, as
    PyTorch's flatten does).
Bytes moved per element: one read of the input item and one write of the output item; no FLOPs.

tril / triu (`_tri_kernel`): one program per ``BLOCK`` output elements in row-major order; the
flat index is unravelled over at most 3 (merged) batch dims plus (rows, cols) and dotted with
both operands' strides; elements outside the triangle are written as zero without reading
the input (masked load).  In-place calls (``out is x``) are safe: each element reads only
its own address.

repeat_interleave(repeats) (dynamic): `_scan_kernel` — a single program walks ``repeats``
in ``BLOCK`` chunks carrying the running total (inclusive int64 prefix sum into a scratch
array; a negative count raises a flag), then ONE host sync reads (total, flag) to size the
output; `_expand_kernel` — each output position j finds its source index by binary search
in the prefix sums (log2(n) + 1 probes of 8 bytes), one int64 write.

Offsets: tril / triu are int32 unless a span or the element count (with the last block's
overshoot) needs int64; the repeat_interleave kernels always index in int64.
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import memory
from tritorch.cuda.array import CudaArray
from ._elementwise import assign, collapse, dim_args, MAX_DIMS
from ._jit import strided_offset, flat_index
from ._launch import launch, cdiv, block_for, select

__all__ = ["IMPLS"]

BLOCK = 1024


# ---- cat / stack / repeat / flip / roll: strided views + one elementwise copy each --------------------
def cat(out, tensors, dim):
    # PyTorch's legacy rule: 1-d empty tensors are skipped whatever the other shapes.
    off = out.offset
    for a in tensors:
        if a.ndim == 1 and a.shape[0] == 0:
            continue
        k = a.shape[dim]
        if k and a.size:
            assign(out.view_as(a.shape, out.strides, off), a)
        off += k * out.strides[dim]


def stack(out, tensors, dim):
    shape = out.shape[:dim] + out.shape[dim + 1:]
    strides = out.strides[:dim] + out.strides[dim + 1:]
    for k, a in enumerate(tensors):
        assign(out.view_as(shape, strides, out.offset + k * out.strides[dim]), a)


def repeat(out, x, repeats):
    """out = x tiled ``repeats`` times per dim: out viewed as (r0, s0, r1, s1, ...), x broadcast over the r's."""
    if out.size == 0:
        return
    pad = len(repeats) - x.ndim
    shape = (1,) * pad + x.shape
    xstrides = (0,) * pad + x.strides
    inter_shape, inter_strides, src_shape, src_strides = [], [], [], []
    for r, s, t, xs in zip(repeats, shape, out.strides, xstrides):
        inter_shape += [r, s]
        inter_strides += [s * t, t]
        src_shape += [1, s]
        src_strides += [0, xs]
    assign(out.view_as(tuple(inter_shape), tuple(inter_strides)),
           x.view_as(tuple(src_shape), tuple(src_strides)))


def flip(out, x, dims):
    if out.size == 0:
        return
    strides = list(x.strides)
    off = x.offset
    for d in dims:
        off += (x.shape[d] - 1) * strides[d]
        strides[d] = -strides[d]
    assign(out, x.view_as(x.shape, tuple(strides), off))


def _flat(a):
    """``a`` as a 1-d view when its elements are equally spaced in row-major order, else None."""
    if a.size <= 1:
        return a.view_as((a.size,), (1,))
    shape, (strides,) = collapse(a.shape, [a.strides])
    return a.view_as((a.size,), (strides[0],)) if len(shape) == 1 else None


def _sl(a, d, start, stop):
    return a.view_as(a.shape[:d] + (stop - start,) + a.shape[d + 1:], a.strides, a.offset + start * a.strides[d])


def roll(out, x, shifts, dims):
    if out.size == 0:
        return
    if dims is None:
        xf = _flat(x)
        if xf is None:
            xf = CudaArray.empty(x.shape, x.dtype, x.block.device_index)
            assign(xf, x)
            xf = xf.view_as((x.size,), (1,))
        of = _flat(out)
        if of is None:  # ``out`` is registry-allocated (contiguous); kept general for safety
            tmp = CudaArray.empty(out.shape, out.dtype, out.block.device_index)
            roll(tmp, xf, shifts, None)
            assign(out, tmp)
            return
        _roll_dims(of, xf, {0: shifts % x.size})
        return
    per = {}
    for s, d in zip(shifts, dims):
        per[d] = per.get(d, 0) + s  # a repeated dim rolls by the sum of its shifts, as np.roll
    _roll_dims(out, x, {d: s % x.shape[d] for d, s in per.items() if s % x.shape[d]})


def _roll_dims(out, x, shift):
    """out = x rolled by ``shift[d]`` along each d: out[s:] = x[:n-s] and out[:s] = x[n-s:] per dim."""
    parts = [(out, x)]
    for d, s in shift.items():
        n = x.shape[d]
        parts = [p for o, a in parts for p in ((_sl(o, d, s, n), _sl(a, d, 0, n - s)),
                                               (_sl(o, d, 0, s), _sl(a, d, n - s, n)))]
    for o, a in parts:
        assign(o, a)


# ---- tril / triu ---------------------------------------------------------------------------------------
@triton.jit
def _tri_kernel(out, x, n, C, R, diag, size_1, size_2, size_3, size_4,
                stride_o0, stride_o1, stride_o2, stride_o3, stride_o4,
                stride_x0, stride_x1, stride_x2, stride_x3, stride_x4,
                LOWER: tl.constexpr, NDIM: tl.constexpr, I64: tl.constexpr, BLOCK: tl.constexpr):
    """tril / triu: out = x inside the triangle, 0 outside.  Grid: (cdiv(n, BLOCK),).
    Pointers: out output, x input (same-size integer views).  Sizes: n elements, R rows and C
    columns of each matrix, size_1..size_4 inner dims (the last two are R, C); diag the diagonal.
    Strides: stride_o* / stride_x* per dim (elements).  Constexprs: LOWER (tril), NDIM dims, I64
    int64 offsets, BLOCK elements per program."""
    i = flat_index(BLOCK, I64)
    mask = i < n
    col = i % C
    row = (i // C) % R
    if LOWER:
        keep = col - row <= diag
    else:
        keep = col - row >= diag
    v = tl.load(x + strided_offset(i, size_1, size_2, size_3, size_4, stride_x0, stride_x1, stride_x2, stride_x3,
                                   stride_x4, NDIM), mask=mask & keep, other=0)
    tl.store(out + strided_offset(i, size_1, size_2, size_3, size_4, stride_o0, stride_o1, stride_o2, stride_o3,
                                  stride_o4, NDIM), v, mask=mask)


def _bits(a):
    # tril/triu move items unchanged: same-size integers keep every bit pattern (half types, bool).
    return a.view_as(a.shape, a.strides, dtype=f"int{8 * a.itemsize}")


def _tri(out, x, diagonal, lower):
    if out.size == 0:
        return
    bshape, (bo, bx) = collapse(out.shape[:-2], [out.strides[:-2], x.strides[:-2]])
    if len(bshape) > MAX_DIMS - 2:  # more unmergeable batch dims than the kernel unravels: split the first
        for k in range(bshape[0]):
            sel = [select(a.view_as(tuple(bshape) + a.shape[-2:], tuple(s) + a.strides[-2:]), 0, k)
                   for a, s in ((out, bo), (x, bx))]
            _tri(sel[0], sel[1], diagonal, lower)
        return
    R, C = out.shape[-2:]
    shape = list(bshape) + [R, C]
    n = out.size
    blk = block_for(n, BLOCK)
    sizes, (so, sx), i64 = dim_args(shape, [list(bo) + list(out.strides[-2:]), list(bx) + list(x.strides[-2:])],
                                    blk)
    launch(_tri_kernel, (cdiv(n, blk),), _bits(out), _bits(x), n, C, R, diagonal, *sizes, *so, *sx,
           LOWER=lower, NDIM=len(shape), I64=i64, BLOCK=blk)


def tril(out, x, diagonal=0):
    _tri(out, x, diagonal, True)


def triu(out, x, diagonal=0):
    _tri(out, x, diagonal, False)


# ---- repeat_interleave ------------------------------------------------------------------------------------
@triton.jit
def _scan_kernel(csum, info, reps, n, stride, BLOCK: tl.constexpr):
    """Inclusive int64 prefix sums of ``repeats`` and (total, any negative) into info.  Grid: (1,).
    Pointers: csum (n,) int64 output, info (2,) int64, reps repeats.  Sizes: n.  Strides: stride of
    reps (elements).  Constexpr: BLOCK repeats per step (int64 indices)."""
    carry = tl.zeros([1], tl.int64)
    bad = tl.zeros([1], tl.int32)
    for start in range(0, n, BLOCK):
        j = start + tl.arange(0, BLOCK).to(tl.int64)
        m = j < n
        r = tl.load(reps + j * stride, mask=m, other=0).to(tl.int64)
        bad = tl.maximum(bad, tl.max((r < 0).to(tl.int32), axis=0))
        tl.store(csum + j, tl.cumsum(r, axis=0) + carry, mask=m)
        carry += tl.sum(r, axis=0)
    z = tl.arange(0, 1)
    tl.store(info + z, carry)
    tl.store(info + 1 + z, bad.to(tl.int64))


@triton.jit
def _expand_kernel(out, csum, total, n, steps, BLOCK: tl.constexpr):
    """out[j] = the number of prefix sums <= j (the first i with csum[i] > j), by binary search.
    Grid: (cdiv(total, BLOCK),).  Pointers: out (total,) int64, csum (n,) int64 prefix sums.
    Sizes: total outputs, n repeats, steps probes.  Constexpr: BLOCK (int64 indices)."""
    j = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    m = j < total
    lo = tl.zeros([BLOCK], tl.int64)
    hi = lo + n
    for _ in range(steps):
        go = lo < hi
        mid = (lo + hi) // 2
        c = tl.load(csum + mid, mask=m & go, other=0)
        right = go & (c <= j)
        lo = tl.where(right, mid + 1, lo)
        hi = tl.where(go & ~right, mid, hi)
    tl.store(out + j, lo, mask=m)


def repeat_interleave(repeats):
    """Dynamic: ``[0]*repeats[0] + [1]*repeats[1] + ...`` (int64).

    One host sync: the total (output size) and the negative-count flag are read back after the scan.
    """
    n = repeats.shape[0]
    dev = repeats.block.device_index
    if n == 0:
        return CudaArray.empty((0,), np.int64, dev)
    csum = CudaArray.empty((n,), np.int64, dev)
    info = CudaArray.empty((2,), np.int64, dev)
    launch(_scan_kernel, (1,), csum, info, repeats, n, repeats.strides[0], BLOCK=block_for(n, BLOCK))
    host = np.empty(2, np.int64)
    memory.copy_to_host(host, info.block, 0)
    if host[1]:
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    total = int(host[0])
    out = CudaArray.empty((total,), np.int64, dev)
    if total:
        blk = block_for(total, BLOCK)
        launch(_expand_kernel, (cdiv(total, blk),), out, csum, total, n, int(n).bit_length() + 1, BLOCK=blk)
    return out


IMPLS = {"cat": cat, "stack": stack, "repeat": repeat, "flip": flip, "roll": roll, "tril": tril,
         "triu": triu, "repeat_interleave": repeat_interleave}
