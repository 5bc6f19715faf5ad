"""Device helpers every kernel family shares (``@triton.jit`` functions).

Interpreter gaps handled here, so kernels stay identical in both modes (DESIGN.md):
  * Triton's interpreter converts to bfloat16 by truncating (and int/float64 -> bfloat16 as raw
    bits), from bfloat16 to anything but float32 as raw bits, and flushes bfloat16 subnormals.
    `convert` always goes through float32 around bfloat16, by bit shifts when interpreted.
  * Python floats reach interpreted kernels unconverted; `as_f64` makes them Triton values.
"""
import triton
import triton.language as tl

from ._launch import INTERPRETED

__all__ = ["as_f64", "convert", "INTERP"]

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
