"""Triton kernel of ``dropout(x, p; seed, offset)``: x * keep / (1 - p).

Runs on the random family's sampler kernel (`random._sample`: one program per ``BLOCK``
elements of the output in row-major order, <= 5 merged dims unravelled, x read in place
through its strides).  Element i draws one Philox-4x32-10 block keyed by the seed with counter
(i, 0, offset) -- the random ops' streams -- and keeps x when its uniform u >= p (24-bit float32
uniforms; 53-bit for float64).  The mask depends only on (seed, offset, logical index), never
on memory layout, so the backward (the same op on the gradient) regenerates it: nothing is
stored.  Dropped elements are x * 0 (NaN / inf give NaN, as PyTorch).

Bytes moved per element: one input item read, one output item written (no mask traffic).
FLOPs: one Philox block (~70 integer ops), a compare, a select, a multiply and the scale
1 / (1 - p) in the compute dtype (float32 for half types and float32, as PyTorch's float noise).
"""
import triton
import triton.language as tl

from ._dtypes import compute_tl
from .random import _sample, _bits, _unit

__all__ = ["IMPLS"]


@triton.jit
def _dropout_fn(sl, sh, g, ol, oh, x, y, q0, q1, q2, mask, CT: tl.constexpr, OUT: tl.constexpr):
    # x: the input value; y: p.
    r0, r1, _, _ = _bits(sl, sh, g, ol, oh, 0)
    return x * tl.where(_unit(r0, r1, CT) >= y, 1.0 / (1.0 - y), 0.0)


def dropout(out, x, p, *, seed, offset):
    _sample(_dropout_fn, out, seed, offset, compute_tl(out.dtype), a=x, p=(0.0, float(p)))


IMPLS = {"dropout": dropout}
