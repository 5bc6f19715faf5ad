"""Triton kernels of advanced indexing (``index``, ``index_put``) and ``nonzero``; the gather /
scatter / masked family lives in ``gather_scatter.py`` and is merged into ``IMPLS`` here.

Advanced indexing runs in two passes.  (1) For each index tensor (in dim order) one launch of
the bounds kernel walks the broadcast index shape B, records (min, max) for the cpu-identical
IndexError, and folds ``wrap(idx) * stride[dim]`` into an int64 offset tensor over B
(negative indices wrap as in PyTorch); one host sync reads the (min, max) pairs back and
raises before anything is written.  (2) One index-walk launch over the result's loop space
(B in place of the indexed dims when they are adjacent, else in front, as PyTorch) reads
(``index``) or writes / atomically adds (``index_put``) ``target + base(loop) + off(B)``.
Bytes per result element: value itemsize x 2 + 8 (the offset); per B element in pass (1):
index itemsize + 16.  FLOPs: 0 (1 per element with ``accumulate``).  Accumulation follows
`gather_scatter.accumulate_into` (half types in a float32 copy, 8/16-bit integers in int32,
bool as logical or); duplicate indices without ``accumulate`` leave one of the values.

``nonzero`` is `gather_scatter.compact` writing each hit's flat row-major position into
column 0 of the (count, ndim) result, then one elementwise launch per dim turns it into
coordinates (``(flat // stride) % size``, last column first so column 0 is rewritten last).
Dynamic shape: one host sync (the count).
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray, contiguous_strides
from . import gather_scatter
from ._dtypes import compute_tl
from ._elementwise import pointwise, assign, broadcast_strides
from .gather_scatter import Bounds, index_walk, accumulate_into, acc_dtype, compact, GATHER, STORE, ADD

__all__ = ["IMPLS"]
_I64 = np.dtype(np.int64)


@triton.jit
def _unravel_fn(x, y, z, p0, p1, p2):
    return (x // p0.to(tl.int64)) % p1.to(tl.int64)


@triton.jit
def _add_fn(x, y, z, p0, p1, p2):
    return x + y


def _plan(shape, t_strides, indices, op, device_index):
    """Bounds-check ``indices`` against ``shape`` (one sync) and fold them into element offsets
    (``t_strides``: the strides of the array that will be addressed).

    Returns ``(off, loop_shape, off_strides, base_strides)``: the loop space of the indexing
    result, the offset tensor's strides in it and the addressed array's strides for the dims
    taken whole (0 on the broadcast dims)."""
    pos = [d for d, ix in enumerate(indices) if ix is not None]
    b = tuple(np.broadcast_shapes(*[indices[d].shape for d in pos]))
    off = CudaArray.empty(b, _I64, device_index)
    bounds = Bounds(len(pos), device_index)
    for j, d in enumerate(pos):
        if off.size:
            bounds.check(indices[d], shape[d], d, op, True, off, b, t_strides[d], j == 0)
        else:
            bounds.check(indices[d], shape[d], d, op, True)
    bounds.raise_if_bad()
    rest = [d for d in range(len(shape)) if d not in pos]
    b_st = list(contiguous_strides(b))
    if pos[-1] - pos[0] + 1 == len(pos):
        p0, p1 = pos[0], pos[-1] + 1
        loop = tuple(shape[:p0]) + b + tuple(shape[p1:])
        off_st = [0] * p0 + b_st + [0] * (len(shape) - p1)
        base_st = list(t_strides[:p0]) + [0] * len(b) + list(t_strides[p1:])
    else:
        loop = b + tuple(shape[d] for d in rest)
        off_st = b_st + [0] * len(rest)
        base_st = [0] * len(b) + [t_strides[d] for d in rest]
    return off, loop, off_st, base_st


def index(out, x, indices):
    if all(ix is None for ix in indices):
        assign(out, x)
        return
    off, loop, off_st, base_st = _plan(x.shape, x.strides, indices, "", x.block.device_index)
    index_walk(GATHER, x, off, out, loop, base_st, off_st, out.strides)


def index_put(out, x, indices, values, accumulate=False):
    if all(ix is None for ix in indices):
        if accumulate:
            pointwise(_add_fn, out, [x, values], compute_tl(out.dtype))
        else:
            assign(out, values)
        return
    mode = ADD if accumulate else STORE
    temp = accumulate and acc_dtype(out.dtype) is not None
    t_strides = contiguous_strides(out.shape) if temp else out.strides
    off, loop, off_st, base_st = _plan(out.shape, t_strides, indices, "index_put(): ", out.block.device_index)
    v_st = broadcast_strides(values, loop)

    def body(t):
        index_walk(mode, t, off, values, loop, base_st, off_st, v_st)

    if accumulate:
        accumulate_into(out, x, body)
    else:
        if out is not x:
            assign(out, x)
        body(out)


def nonzero(x):
    """Dynamic: (n, ndim) int64 coordinates of the nonzero elements, row-major.  One host sync."""
    nd = x.ndim
    dev = x.block.device_index
    out = compact(x.shape, x, list(x.strides), make_out=lambda k: CudaArray.empty((k, nd), _I64, dev), ost=nd)
    if out.size == 0 or nd == 0:
        return out
    k = out.shape[0]
    col0 = out.view_as((k,), (nd,), out.offset)
    if nd > 1:
        st = contiguous_strides(x.shape)
        for d in reversed(range(nd)):
            pointwise(_unravel_fn, out.view_as((k,), (nd,), out.offset + d), [col0], tl.int64,
                      (float(st[d]), float(x.shape[d])))
    return out


IMPLS = {"index": index, "index_put": index_put, "nonzero": nonzero}
IMPLS.update(gather_scatter.IMPLS)
