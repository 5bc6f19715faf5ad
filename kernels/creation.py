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
  ``end - step * (steps - 1 - i)`` in the second).  ``step`` is computed on the host exactly as
  the cpu impl does.  As PyTorch's x86 kernels, linspace's float64 and integer outputs take each
  value as one fused multiply-add in double (`_fma64`: ``tl.fma`` on the GPU, an exact
  error-free emulation in the interpreter, whose fma rounds twice), then truncate integers;
  float32 takes the double value of the exact product and sum, rounded once; half types round
  to their type after every operation (as c10::Half arithmetic).  arange's products are rounded
  on their own (`_mul_rn`: no FMA contraction on the GPU).  Values equal the cpu's bit for bit.
  One item written and ~3-20 FLOPs per element.
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
def _split(x):
    """Dekker's split of a float64: the high half (26 bits) of ``x``."""
    h = x * 134217729.0  # 2**27 + 1 (interpreter only: no contraction there)
    return h - (h - x)


@triton.jit
def _fma64(a, b, c):
    """``a * b + c`` (float64) rounded once: ``tl.fma`` on the GPU; in the interpreter (whose fma
    is a product and a sum) the product's error by Dekker's split and the sum's by two-sum."""
    if INTERP:
        p = a * b
        ah = _split(a)
        bh = _split(b)
        al = a - ah
        bl = b - bh
        e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
        s = c + p
        bb = s - c
        t = (c - (s - bb)) + (p - bb)
        r = s + (t + e)
    else:
        r = tl.fma(a, b, c)
    return r


@triton.jit
def _rnd(x, HT: tl.constexpr):
    """float32 ``x`` rounded to the half type ``HT`` (and back to float32)."""
    return convert(convert(x, HT), tl.float32)


@triton.jit
def _range_kernel(out, n, stride_o, start: tl.float64, end: tl.float64, step: tl.float64, last: tl.float64,
                  half: tl.int64, istart: tl.int64, istep: tl.int64,
                  MODE: tl.constexpr, BLOCK: tl.constexpr):
    """Pointers: out (1-d, ``stride_o`` elements apart); sizes: n; scalars: start/end/step/last
    (float64), half, istart/istep (int64); MODE 0: integer arange, 1: float arange, 2: linspace
    in double (float64 and integer outputs), 3: linspace into float32, 4: linspace into a half
    type (rounded per operation); BLOCK elements per program (int64 indices: no int32 switch).
    Grid: (cdiv(n, BLOCK),)."""
    i = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = i < n
    DT: tl.constexpr = out.dtype.element_ty
    rest = as_f64(last).to(tl.int64) - i
    if MODE == 0:
        v = istart + istep * i
    elif MODE == 1:
        v = as_f64(start) + _mul_rn(as_f64(step), i.to(tl.float64))
    elif MODE == 2:
        lo = _fma64(as_f64(step), i.to(tl.float64), as_f64(start))
        hi = _fma64(-as_f64(step), rest.to(tl.float64), as_f64(end))
        v = tl.where(i < half, lo, hi)
        if DT != tl.float64:
            v = v.to(tl.int64)  # truncates toward zero; the store then wraps into narrow types
    elif MODE == 3:
        # The product of a float32 and an index below 2**29 is exact in double: one rounding.
        lo = as_f64(start) + as_f64(step) * i.to(tl.float64)
        hi = as_f64(end) - as_f64(step) * rest.to(tl.float64)
        v = tl.where(i < half, lo, hi).to(tl.float32)
    else:
        st = as_f64(step).to(tl.float32)
        lo = _rnd(as_f64(start).to(tl.float32) + _rnd(_mul_rn(st, _rnd(i.to(tl.float32), DT)), DT), DT)
        hi = _rnd(as_f64(end).to(tl.float32) - _rnd(_mul_rn(st, _rnd(rest.to(tl.float32), DT)), DT), DT)
        v = tl.where(i < half, lo, hi)
    tl.store(out + i * stride_o, convert(v, DT), mask=mask)


def _range(out, mode, start=0.0, end=0.0, step=0.0, last=0.0, half=0, istart=0, istep=0):
    n = out.shape[0]
    blk = block_for(n, BLOCK)
    launch(_range_kernel, (cdiv(n, blk),), out, n, out.strides[0], float(start), float(end), float(step),
           float(last), half, istart, istep, MODE=mode, BLOCK=blk)


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
    # The cpu impl's scalars (exact as float64 arguments): integer outputs convert the ends to
    # their type (truncating, wrapping) and step in double; float outputs step in their own type.
    dt = out.dtype
    if dt.kind in "iu":
        s, e = (np.float64(np.array(int(v)).astype(dt)) for v in (start, end))
        step, mode = (e - s) / np.float64(steps - 1), 2
    else:
        s, e = dt.type(start), dt.type(end)
        step = (e - s) / dt.type(steps - 1)
        mode = 2 if dt == F64 else 3 if dt == F32 else 4
    _range(out, mode, start=s, end=e, step=step, last=steps - 1, half=steps // 2)


IMPLS = {"fill": fill, "arange": arange, "linspace": linspace, "eye": eye}
