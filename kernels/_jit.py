"""Device helpers every kernel family shares (``@triton.jit`` functions).

Interpreter gaps handled here, so kernels stay identical in both modes (DESIGN.md):
  * Triton's interpreter converts to bfloat16 by truncating (and int/float64 -> bfloat16 as raw
    bits), from bfloat16 to anything but float32 as raw bits, and flushes bfloat16 subnormals.
    `convert` always goes through float32 around bfloat16, by bit shifts when interpreted.
  * Python floats reach interpreted kernels unconverted; `as_f64` makes them Triton values.
Also `dot_acc`, the accumulate-a-product step of the attention and recurrence kernels.
"""
import triton
import triton.language as tl

from ._launch import INTERPRETED

__all__ = ["as_f64", "convert", "INTERP", "flat_index", "row_block", "strided_offset", "unravel3",
           "unravel_ncs3"]

INTERP = tl.constexpr(INTERPRETED)


@triton.jit
def as_f64(v):
    """A float64 scalar kernel argument as a [1]-shaped Triton value in both modes."""
    return v + tl.zeros([1], tl.float64)


@triton.jit
def _bf16_rne(x):
    bits = x.to(tl.uint32, bitcast=True)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    h = tl.where(x != x, (bits >> 16) | 0x40, rounded)
    return h.to(tl.uint16).to(tl.bfloat16, bitcast=True)


@triton.jit
def convert(x, DT: tl.constexpr):
    """``x.to(DT)`` with round-to-nearest-even into bfloat16 in both modes."""
    if x.dtype == tl.bfloat16:
        if INTERP:
            x = (x.to(tl.uint16, bitcast=True).to(tl.uint32) << 16).to(tl.float32, bitcast=True)
        else:
            x = x.to(tl.float32)
    if DT == tl.bfloat16:
        if INTERP:
            res = _bf16_rne(x.to(tl.float32))
        else:
            res = x.to(tl.float32).to(tl.bfloat16)
    else:
        res = x.to(DT)
    return res


@triton.jit
def flat_index(BLOCK: tl.constexpr, I64: tl.constexpr):
    """This program's ``BLOCK`` flat element indices (int64 when ``I64``)."""
    pid = tl.program_id(0)
    if I64:
        i = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    else:
        i = pid * BLOCK + tl.arange(0, BLOCK)
    return i


@triton.jit
def row_block(I64: tl.constexpr, BM: tl.constexpr, BL: tl.constexpr):
    """(rows, cols): this program's ``BM`` row indices and the ``BL`` column indices of a row
    tile, int64 when ``I64`` (row-wise kernels: softmax, losses, norms)."""
    pid = tl.program_id(0)
    if I64:
        m = pid.to(tl.int64) * BM + tl.arange(0, BM).to(tl.int64)
        cols = tl.arange(0, BL).to(tl.int64)
    else:
        m = pid * BM + tl.arange(0, BM)
        cols = tl.arange(0, BL)
    return m, cols


@triton.jit
def unravel_ncs3(i, C, S1, S2, S3):
    """(n, c, s1, s2, s3) of row-major flat index ``i`` over (N, C, S1, S2, S3): the output
    position of the spatial families (pooling, upsampling), 1d/2d inputs padded with size-1 dims."""
    s3 = i % S3
    r = i // S3
    s2 = r % S2
    r = r // S2
    s1 = r % S1
    r = r // S1
    return r // C, r % C, s1, s2, s3


@triton.jit
def strided_offset(i, S1, S2, S3, S4, T0, T1, T2, T3, T4, NDIM: tl.constexpr):
    """Element offset of row-major flat index ``i`` over sizes (S0, S1, ..., S{NDIM-1}) with strides T."""
    if NDIM == 1:
        return i * T0
    r = i
    o = i * 0
    if NDIM >= 5:
        k = r % S4
        r = r // S4
        o += k * T4
    if NDIM >= 4:
        k = r % S3
        r = r // S3
        o += k * T3
    if NDIM >= 3:
        k = r % S2
        r = r // S2
        o += k * T2
    k = r % S1
    r = r // S1
    return o + k * T1 + r * T0


@triton.jit
def unravel3(i, S1, S2, S3, S4, A0, A1, A2, A3, A4, B0, B1, B2, B3, B4, C0, C1, C2, C3, C4,
             NDIM: tl.constexpr):
    """Offsets of three strided operands at row-major flat position ``i`` of a <= 5-d loop space
    (sizes ``S1..S4`` of the inner dims; the outer size is implied)."""
    if NDIM == 1:
        oa = i * A0
        ob = i * B0
        oc = i * C0
    else:
        r = i
        oa = i * 0
        ob = oa
        oc = oa
        if NDIM >= 5:
            k = r % S4
            r = r // S4
            oa += k * A4
            ob += k * B4
            oc += k * C4
        if NDIM >= 4:
            k = r % S3
            r = r // S3
            oa += k * A3
            ob += k * B3
            oc += k * C3
        if NDIM >= 3:
            k = r % S2
            r = r // S2
            oa += k * A2
            ob += k * B2
            oc += k * C2
        k = r % S1
        r = r // S1
        oa += k * A1 + r * A0
        ob += k * B1 + r * B0
        oc += k * C1 + r * C0
    return oa, ob, oc


@triton.jit
def dot_acc(a, b, acc, DOT: tl.constexpr, TF32: tl.constexpr):
    """``acc + a @ b``: ``tl.dot`` (IEEE fp32, or TF32 when ``TF32``) when ``DOT``, else the
    CUDA-core broadcast-product sum (fp64, which tensor cores do not take in Triton)."""
    if DOT:
        if TF32:
            acc = tl.dot(a, b, acc, input_precision="tf32")
        else:
            acc = tl.dot(a, b, acc, input_precision="ieee")
    else:
        acc += tl.sum(a[:, :, None].to(acc.dtype) * b[None, :, :].to(acc.dtype), 1)
    return acc
