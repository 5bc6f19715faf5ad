"""Triton kernels: creation ops (fill, arange, linspace, eye).

All results are written through ``out``'s strides and offset (``out`` may be a user's strided
view for ``out=`` / in-place calls).

* fill: the value is converted to ``out``'s dtype once on the host (the same numpy conversion
  the cpu impl uses), and its bit pattern is stored through a same-size integer view of
  ``out`` by the shared elementwise kernel: bit-exact with the cpu result for every dtype.
  One item written per element, no FLOPs.
* eye: a fill with 0, then a fill with 1 of the diagonal view (stride = row + column stride).
* arange / linspace (`_range_kernel`): one program per ``BLOCK`` elements computes
  ``start + step * i`` (integer dtypes with integer arguments: int64, wrapping like the cpu)
  or, for linspace, PyTorch's symmetric form (``start + step * i`` in the first half,
  ``end - step * (steps - 1 - i)`` in the second) in the cpu impl's compute dtype, then rounds
  once into ``out``.  ``step`` is computed on the host in that dtype, exactly as the cpu does,
  and the products are rounded on their own (`_mul_rn`: no FMA contraction on the GPU), so
  values equal the cpu's bit for bit.  One item written and ~3 FLOPs per element.
"""
import numpy as np
import triton
import triton.language as tl

from ._dtypes import TL, F32, F64
from ._elementwise import pointwise, identity
from ._jit import as_f64, convert, INTERP
from ._launch import launch, cdiv, block_for

__all__ = ["IMPLS"]

BLOCK = 1024


def _fill_value(out, value):
    """Store ``value`` (already a numpy scalar of ``out``'s dtype) into every element of ``out``."""
    idt = np.dtype(f"int{8 * out.itemsize}")
    bits = int(np.asarray(value, dtype=out.dtype).reshape(1).view(idt)[0])
    pointwise(identity, out.view_as(out.shape, out.strides, dtype=idt), [bits], TL[idt])


def fill(out, shape, dtype, value=0):
    # Through int64 for integers so that e.g. -1 wraps into uint8 as in PyTorch.
    v = np.array(int(value) if out.dtype.kind in "iu" and not isinstance(value, bool) else value)
    _fill_value(out, v.astype(out.dtype))


def eye(out, n, m, dtype):
    _fill_value(out, np.zeros((), out.dtype))
    k = min(n, m)
    if k:
        _fill_value(out.view_as((k,), (out.strides[0] + out.strides[1],)), np.ones((), out.dtype))


@triton.jit
def _mul_rn(a, b):
    """``a * b`` rounded on its own: the GPU compiler must not contract it with a following add."""
    if INTERP:
        p = a * b
    elif a.dtype == tl.float64:
        p = tl.inline_asm_elementwise("mul.rn.f64 $0, $1, $2;", "=d,d,d", [a, b], dtype=tl.float64,
                                      is_pure=True, pack=1)
    else:
        p = tl.inline_asm_elementwise("mul.rn.f32 $0, $1, $2;", "=r,r,r", [a, b], dtype=tl.float32,
                                      is_pure=True, pack=1)
    return p


@triton.jit
def _range_kernel(out, n, stride, start: tl.float64, end: tl.float64, step: tl.float64, last: tl.float64,
                  half: tl.int64, istart: tl.int64, istep: tl.int64,
                  MODE: tl.constexpr, CT: tl.constexpr, BLOCK: tl.constexpr):
    # MODE 0: integer arange; 1: float arange; 2: linspace (symmetric).
    i = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = i < n
    if MODE == 0:
        v = istart + istep * i
    elif MODE == 1:
        v = as_f64(start) + _mul_rn(as_f64(step), i.to(tl.float64))
    else:
        idx = i.to(CT)
        s = as_f64(step).to(CT)
        lo = as_f64(start).to(CT) + _mul_rn(s, idx)
        hi = as_f64(end).to(CT) - _mul_rn(s, as_f64(last).to(CT) - idx)
        v = tl.where(i < half, lo, hi)
    tl.store(out + i * stride, convert(v, out.dtype.element_ty), mask=mask)


def _range(out, mode, ct=tl.float64, start=0.0, end=0.0, step=0.0, last=0.0, half=0, istart=0, istep=0):
    n = out.shape[0]
    blk = block_for(n, BLOCK)
    launch(_range_kernel, (cdiv(n, blk),), out, n, out.strides[0], float(start), float(end), float(step),
           float(last), half, istart, istep, MODE=mode, CT=ct, BLOCK=blk)


def arange(out, start, end, step, dtype):
    if out.size == 0:
        return
    if out.dtype.kind in "iu":
        # PyTorch converts the bounds and step to int64 first (a step of 0.5 is 0).
        _range(out, 0, istart=int(start), istep=int(step))
    else:
        # PyTorch computes start + i * step in double, then converts.
        _range(out, 1, start=start, step=step)


def linspace(out, start, end, steps, dtype):
    if steps == 0:
        return
    if steps == 1:
        _fill_value(out, np.array(start).astype(out.dtype))
        return
    # The cpu impl's compute dtype: float64 for float64 and integer outputs, float32 otherwise.
    ct = F64 if out.dtype == F64 or out.dtype.kind in "iub" else F32
    # The cpu impl's step, in its compute dtype (float32 or float64: exact as a float64 argument).
    step = (ct.type(end) - ct.type(start)) / ct.type(steps - 1)
    _range(out, 2, TL[ct], start=ct.type(start), end=ct.type(end), step=step, last=ct.type(steps - 1),
           half=steps // 2)


IMPLS = {"fill": fill, "arange": arange, "linspace": linspace, "eye": eye}
