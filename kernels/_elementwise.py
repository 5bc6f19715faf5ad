"""The elementwise kernel generator every pointwise op shares.

One ``@triton.jit`` template, `_pointwise_kernel`, is specialised per op by a scalar function
``FN(x, y, z, p0, p1, p2) -> value`` passed as a constexpr (a ``@triton.jit`` function over
blocks of values already converted to the compute dtype ``CT``), and per operand layout.

Algorithm: each program handles ``BLOCK`` consecutive elements of the output in row-major
order; the flat index is unravelled over at most ``MAX_DIMS`` dims and dotted with each
operand's strides, so broadcast (stride 0), transposed and sliced operands are read in place —
no hidden ``contiguous()`` copies.  Before launch the host drops size-1 dims and merges dims
that are contiguous in every operand, so the common cases (contiguous, or a row broadcast
against a matrix) run with one or two dims.  Offsets are int32 unless some span or the last
block's overshoot needs int64 (`_launch.needs_i64`).

Bytes moved per element: the sum of operand and output item sizes (a scalar operand moves
none); FLOPs: those of ``FN``.  Python-number operands are passed as float64/int64 kernel
arguments and converted in the kernel, so float64 ops lose no precision.
"""
import math

import numpy as np

import triton
import triton.language as tl

from tritorch.cuda import memory
from tritorch.cuda.array import CudaArray
from ._dtypes import TL
from ._jit import as_f64, convert
from ._launch import launch, cdiv, block_for, needs_i64, pad, select

__all__ = ["pointwise", "assign", "collapse", "broadcast_strides", "MAX_DIMS", "identity", "dim_args", "lead",
           "new_flag", "read_flag"]

MAX_DIMS = 5
BLOCK = 1024
_ABSENT, _ARRAY, _FLOAT, _INT = 0, 1, 2, 3


@triton.jit
def identity(x, y, z, p0, p1, p2):
    """The first operand (the copy / cast op)."""
    return x


@triton.jit
def _pointwise_kernel(out, a, b, c, n,
                      size_1, size_2, size_3, size_4,
                      stride_o0, stride_o1, stride_o2, stride_o3, stride_o4,
                      stride_a0, stride_a1, stride_a2, stride_a3, stride_a4,
                      stride_b0, stride_b1, stride_b2, stride_b3, stride_b4,
                      stride_c0, stride_c1, stride_c2, stride_c3, stride_c4,
                      af: tl.float64, ai: tl.int64, bf: tl.float64, bi: tl.int64, cf: tl.float64, ci: tl.int64,
                      p0: tl.float64, p1: tl.float64, p2: tl.float64,
                      FN: tl.constexpr, KA: tl.constexpr, KB: tl.constexpr, KC: tl.constexpr, NP: tl.constexpr,
                      CT: tl.constexpr, NDIM: tl.constexpr, I64: tl.constexpr, BLOCK: tl.constexpr):
    """``out = FN(a, b, c, p0, p1, p2)`` over ``n`` row-major elements.  Grid: (cdiv(n, BLOCK),).
    Pointers: out output; a, b, c operands (``out`` in unused slots, never read).  Sizes: n elements,
    size_1..size_4 of the inner (collapsed) dims.  Strides: stride_o*, stride_a*, stride_b*, stride_c*
    per dim (elements; 0 on broadcast dims).  Scalars: af/ai, bf/bi, cf/ci number operands, p0..p2
    FN's parameters.  Constexprs: FN the scalar function, KA/KB/KC operand kinds (0 absent, 1 array,
    2 float, 3 int), NP parameters used, CT compute dtype, NDIM dims, I64 int64 offsets, BLOCK
    elements per program."""
    # Work the interpreter pays per op is skipped with constexpr guards (absent operands,
    # unused params), and the index maths is inlined rather than calling the `_jit` helpers
    # (each nested call costs the interpreter ~1 ms on every launch of this, the hottest kernel);
    # the compiled kernel is the same either way.
    pid = tl.program_id(0)
    if I64:
        i = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    else:
        i = pid * BLOCK + tl.arange(0, BLOCK)
    mask = i < n
    if NDIM == 1:
        oo = i * stride_o0
        oa = i * stride_a0
        ob = i * stride_b0
        oc = i * stride_c0
    else:
        r = i
        oo = i * 0
        oa = oo
        ob = oo
        oc = oo
        if NDIM >= 5:
            k = r % size_4
            r = r // size_4
            oo += k * stride_o4
            if KA == 1:
                oa += k * stride_a4
            if KB == 1:
                ob += k * stride_b4
            if KC == 1:
                oc += k * stride_c4
        if NDIM >= 4:
            k = r % size_3
            r = r // size_3
            oo += k * stride_o3
            if KA == 1:
                oa += k * stride_a3
            if KB == 1:
                ob += k * stride_b3
            if KC == 1:
                oc += k * stride_c3
        if NDIM >= 3:
            k = r % size_2
            r = r // size_2
            oo += k * stride_o2
            if KA == 1:
                oa += k * stride_a2
            if KB == 1:
                ob += k * stride_b2
            if KC == 1:
                oc += k * stride_c2
        k = r % size_1
        r = r // size_1
        oo += k * stride_o1 + r * stride_o0
        if KA == 1:
            oa += k * stride_a1 + r * stride_a0
        if KB == 1:
            ob += k * stride_b1 + r * stride_b0
        if KC == 1:
            oc += k * stride_c1 + r * stride_c0
    if KA == 1:
        x = convert(tl.load(a + oa, mask=mask), CT)
    elif KA == 2:
        x = as_f64(af).to(CT)
    else:
        # [1]-shaped like the float path: the interpreter gives comparisons of 0-d values the
        # operand's dtype, which then corrupts their broadcast.
        x = (ai + tl.zeros([1], tl.int64)).to(CT)
    y = x
    if KB == 1:
        y = convert(tl.load(b + ob, mask=mask), CT)
    elif KB == 2:
        y = as_f64(bf).to(CT)
    elif KB == 3:
        y = (bi + tl.zeros([1], tl.int64)).to(CT)
    z = y
    if KC == 1:
        z = convert(tl.load(c + oc, mask=mask), CT)
    elif KC == 2:
        z = as_f64(cf).to(CT)
    elif KC == 3:
        z = (ci + tl.zeros([1], tl.int64)).to(CT)
    q0 = p0
    q1 = p1
    q2 = p2
    if NP >= 1:
        q0 = as_f64(p0)
    if NP >= 2:
        q1 = as_f64(p1)
    if NP >= 3:
        q2 = as_f64(p2)
    res = FN(x, y, z, q0, q1, q2)
    tl.store(out + oo, convert(res, out.dtype.element_ty), mask=mask)


def broadcast_strides(arr, shape):
    """``arr``'s element strides seen through broadcasting to ``shape`` (0 on broadcast dims)."""
    lead = len(shape) - arr.ndim
    return [0] * lead + [0 if n == 1 else s for n, s in zip(arr.shape, arr.strides)]


def collapse(shape, strides_list):
    """Drop size-1 dims and merge adjacent dims that are contiguous in every operand.

    Returns ``(shape, [strides per operand])`` with at least one dim.
    """
    dims = [(n, [s[i] for s in strides_list]) for i, n in enumerate(shape) if n != 1]
    if not dims:
        return [1], [[0] for _ in strides_list]
    merged = [dims[0]]
    for n, st in dims[1:]:
        pn, pst = merged[-1]
        if all(ps == s * n for ps, s in zip(pst, st)):
            merged[-1] = (pn * n, st)
        else:
            merged.append((n, st))
    return [m[0] for m in merged], [[m[1][j] for m in merged] for j in range(len(strides_list))]


def pointwise(fn, out, operands, ct, params=()):
    """``out[...] = fn(*operands)`` elementwise, operands broadcast to ``out.shape``.

    ``operands``: 1 to 3 `CudaArray`s or Python numbers; ``ct``: the Triton dtype values are
    converted to before ``fn``; ``params``: up to 3 numbers passed to ``fn`` as float64 values of shape
    [1] (convert them with ``.to(CT)``).
    The result is converted to ``out``'s dtype on store.
    """
    n = out.size
    if n == 0:
        return
    shape = out.shape
    arrays = [out]
    kinds = []
    sf = [0.0, 0.0, 0.0]
    si = [0, 0, 0]
    for j, x in enumerate(operands):
        if hasattr(x, "block"):
            arrays.append(x)
            kinds.append(_ARRAY)
        elif isinstance(x, float):
            kinds.append(_FLOAT)
            sf[j] = x
        else:
            kinds.append(_INT)
            si[j] = int(x)
    strides = [list(out.strides)] + [broadcast_strides(x, shape) for x in arrays[1:]]
    cshape, cstrides = collapse(shape, strides)
    if len(cshape) > MAX_DIMS:
        _split_leading(fn, out, operands, ct, params)
        return
    blk = block_for(n, BLOCK)
    i64 = needs_i64(*[(cshape, s) for s in cstrides], counts=(n + blk,))
    nd = len(cshape)
    sizes = pad(cshape[1:], MAX_DIMS - 1, 1)
    per = iter(cstrides)
    o_st = pad(next(per), MAX_DIMS)
    # Operand pointers in operand order; absent/scalar slots reuse ``out`` (never read).
    ptr_args, stride_args = [], []
    ai = 1
    for k in kinds:
        if k == _ARRAY:
            ptr_args.append(arrays[ai])
            stride_args += pad(next(per), MAX_DIMS)
            ai += 1
        else:
            ptr_args.append(out)
            stride_args += [0] * MAX_DIMS
    kinds += [_ABSENT] * (3 - len(kinds))
    while len(ptr_args) < 3:
        ptr_args.append(out)
        stride_args += [0] * MAX_DIMS
    p = [float(v) for v in params] + [0.0] * (3 - len(params))
    launch(_pointwise_kernel, (cdiv(n, blk),), out, *ptr_args, n, *sizes, *o_st, *stride_args,
           float(sf[0]), si[0], float(sf[1]), si[1], float(sf[2]), si[2], *p,
           FN=fn, KA=kinds[0], KB=kinds[1], KC=kinds[2], NP=len(params), CT=ct, NDIM=nd, I64=i64,
           BLOCK=blk)


def dim_args(shape, strides_list, block=0):
    """(S1..S4, [T0..T4 per operand], i64) kernel arguments of a <= 5-d shape (`strided_offset`).
    ``block``: elements per program, whose overshoot past the last element the int64 choice counts."""
    n = math.prod(shape)
    i64 = needs_i64(*[(shape, s) for s in strides_list], counts=(n + block,))
    return pad(shape[1:], MAX_DIMS - 1, 1), [pad(s, MAX_DIMS) for s in strides_list], i64


def _split_leading(fn, out, operands, ct, params):
    # More than MAX_DIMS dims that cannot be merged: one launch per index of the leading dim.
    shape = out.shape
    for idx in range(shape[0]):
        sub = [lead(x, idx, shape) if hasattr(x, "block") else x for x in operands]
        pointwise(fn, lead(out, idx, shape), sub, ct, params)


def lead(x, idx, shape):
    """Index ``idx`` of the leading dim of ``x`` broadcast to ``shape``."""
    return select(x.view_as(tuple(shape), broadcast_strides(x, shape)), 0, idx)


def new_flag(device_index):
    """A zeroed one-int32 device array that kernels set when they find bad input (an index out
    of range, a probability outside [0, 1]); `read_flag` is then the op's one host sync."""
    flag = CudaArray.empty((1,), np.int32, device_index)
    pointwise(identity, flag, [0], tl.int32)
    return flag


def read_flag(flag):
    """The value of a `new_flag` array (a blocking copy to the host)."""
    host = np.empty(1, np.int32)
    memory.copy_to_host(host, flag.block, flag.offset * 4)
    return int(host[0])


def assign(dst, src):
    """``dst[...] = src`` with C-style conversion to ``dst``'s dtype (``src`` broadcasts)."""
    ct = TL[src.dtype] if hasattr(src, "block") else TL[dst.dtype]
    pointwise(identity, dst, [src], ct)
