"""Triton kernels: the elementwise binary and ternary ops, casts and copies (unary ops are in
`pointwise_unary.py` and merged into ``IMPLS`` here), with the cpu fallback's semantics.

Every op is one ``@triton.jit`` scalar function run by the shared generator
(`_elementwise.pointwise`, which owns the tiling: 1024 output elements per program on a GPU,
strided/broadcast operands read in place): operands (arrays, or Python numbers passed as kernel
scalars, so ``x + 0.1`` keeps float64 precision) are converted to the compute dtype, ``fn``
runs, and the result is converted into ``out`` (which may be a user's strided view for ``out=``
and in-place calls).  Compute dtype: the output's, with float16/bfloat16 computing in float32
and bool in uint8 (`ct_of`); comparisons and logical ops compare in the dtype the cpu fallback
does (PyTorch's weak Python numbers and 0-d tensors, numpy's promotion otherwise).  Fused:
add/sub's ``alpha`` scaling, clamp's two bounds, lerp's three operands — one pass each.

Bytes moved per element: the operands' and the output's item sizes (a number moves none).
FLOPs per element: 1-3 for arithmetic, comparisons, bitwise ops, where, clamp, lerp;
float fmod/remainder/floor division ~15 (an exact reduction, see `fmod`); atan2 ~20; pow ~25 in
float64 (float32 pow computes in float64 so that exp(y log x) stays accurate to float32).

Integer division, remainder and fmod raise ``RuntimeError("ZeroDivisionError")`` when a
divisor is zero, like the cpu fallback: `_any_zero_kernel` scans the divisor's distinct
elements (16 x 1024 per program on a GPU; 1 byte read per element for int8) and writes one
flag per program; the host reads the flags back — one synchronisation, before anything is
written.
"""
import numbers

import numpy as np
import triton
import triton.language as tl

from tritorch.cuda import memory
from tritorch.cuda.array import CudaArray
from ._dtypes import BF16, F16, F32
from ._elementwise import pointwise, assign, collapse
from ._jit import convert
from ._launch import launch, cdiv, block_for, needs_i64, SIZE_FOR_INTERPRETER
from ._activation import signbit, copysign
from .pointwise_unary import UNARY_IMPLS, ct_of, atan, sqrt_ieee, div_ieee, trunc, _INF, _NAN, _PI, _PI_2

__all__ = ["IMPLS"]

# Integral exponents |y| < 2**_POW_BITS go through repeated squaring in pow (x ** 2 == x * x).
_POW_BITS = tl.constexpr(5)
_POW_LIM = tl.constexpr(2.0 ** _POW_BITS.value)
# fmod's reduction loop ends even on garbage (masked-off) lanes: a step removes >= 23 quotient bits.
_FMOD_STEPS = tl.constexpr(100)


def _num(x):
    """A Python number as the generator passes it: bool/int or float (numpy scalars too)."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        return float(x)
    return x


def _arr(x):
    return isinstance(x, CudaArray)


def _ops(*xs):
    return [x if _arr(x) else _num(x) for x in xs]


# ---- device helpers ----------------------------------------------------------------------------------
@triton.jit
def _pow2_floor(t):
    # 2**floor(log2 t) for normal positive t: t with its mantissa cleared.
    if t.dtype == tl.float64:
        r = (t.to(tl.int64, bitcast=True) & 0x7FF0000000000000).to(tl.float64, bitcast=True)
    else:
        r = (t.to(tl.int32, bitcast=True) & 0x7F800000).to(tl.float32, bitcast=True)
    return r


@triton.jit
def _fmod_by(r, m, ok, lim, ulp):
    # r mod m for r >= 0 with r / m finite: subtract q * s, s = m * 2^k chosen so that
    # q = floor(r / s) < 2^53 (2^24 in float32).  r - q s is then representable, so one fma
    # computes it exactly; r / s rounds to nearest, so q is never too small and at most one too
    # large, which adding s back corrects.  Ordinary quotients take one step.
    active = ok & (r >= m)
    steps = 0
    while (tl.max(active.to(tl.int32), 0) > 0) & (steps < _FMOD_STEPS):
        t = div_ieee(r, m)
        s = tl.where(t >= lim, m * (_pow2_floor(t) * ulp), m)
        q = tl.floor(div_ieee(r, s))
        r2 = tl.math.fma(-q, s, r)
        r2 = tl.where(r2 < 0, r2 + s, r2)
        r = tl.where(active, r2, r)
        active = active & (r >= m)
        steps += 1
    return r


@triton.jit
def fmod(a, b):
    """C's fmod, exact (numpy's).  |a| / |b| can overflow (up to 2^2098 in float64), so |a| is
    first reduced modulo |b| * 2^2046 and |b| * 2^1023 (2^254, 2^127 in float32)."""
    # (constexpr: a plain float assigned here would become a float32 value when compiled)
    if a.dtype == tl.float64:
        lim: tl.constexpr = 4503599627370496.0
        ulp: tl.constexpr = 2.220446049250313e-16
        big: tl.constexpr = 8.98846567431158e307
    else:
        lim: tl.constexpr = 8388608.0
        ulp: tl.constexpr = 1.1920928955078125e-07
        big: tl.constexpr = 1.7014118346046923e38
    r = tl.abs(a)
    bb = tl.abs(b) + tl.zeros_like(r)
    ok = (r < _INF) & (bb > 0) & (bb < _INF)
    m1 = bb * big
    r = _fmod_by(r, m1 * big, ok, lim, ulp)
    r = _fmod_by(r, m1, ok, lim, ulp)
    r = _fmod_by(r, bb, ok, lim, ulp)
    r = copysign(r, a)
    r = tl.where(ok, r, _NAN)
    # fmod(a, +-inf) == a for finite a.
    return tl.where((tl.abs(b) == _INF) & (tl.abs(a) < _INF), a, r)


@triton.jit
def _pow_float(x, y):
    # C/numpy pow special cases around exp(y * log|x|) (relative error ~|y log x| ulps);
    # integral |y| < 2^_POW_BITS by repeated squaring and y = 0.5 by sqrt, so that the common
    # powers are (nearly) correctly rounded like numpy's.
    ax = tl.abs(x)
    fy = tl.floor(y)
    yint = fy == y
    yodd = yint & ((y - 2.0 * tl.floor(y * 0.5)) == 1.0)
    mag = tl.exp(y * tl.log(ax))
    small = yint & (tl.abs(y) < _POW_LIM)
    n = tl.where(small, tl.abs(y), 0.0).to(tl.int32)
    acc = tl.zeros_like(mag) + 1.0
    base = ax + tl.zeros_like(mag)
    for k in tl.static_range(_POW_BITS):
        acc = tl.where(((n >> k) & 1) != 0, acc * base, acc)
        base = base * base
    mag = tl.where(small, tl.where(y < 0, div_ieee(1.0, acc), acc), mag)
    mag = tl.where(y == 0.5, sqrt_ieee(ax), mag)
    r = tl.where(signbit(x) & yodd, -mag, mag)
    r = tl.where((x < 0) & (x > -_INF) & ~yint, _NAN, r)
    r = tl.where((ax == 1.0) & (tl.abs(y) == _INF), 1.0, r)
    r = tl.where(x == 1.0, 1.0, r)
    return tl.where(y == 0.0, 1.0, r)


# ---- scalar functions --------------------------------------------------------------------------------
@triton.jit
def _add(x, y, z, p0, p1, p2):
    return x + y


@triton.jit
def _add_alpha(x, y, z, p0, p1, p2):
    return x + y * z


@triton.jit
def _sub(x, y, z, p0, p1, p2):
    return x - y


@triton.jit
def _sub_alpha(x, y, z, p0, p1, p2):
    return x - y * z


@triton.jit
def _mul(x, y, z, p0, p1, p2):
    return x * y


@triton.jit
def _truediv(x, y, z, p0, p1, p2):
    return div_ieee(x, y)


@triton.jit
def _trunc_div_float(x, y, z, p0, p1, p2):
    return trunc(div_ieee(x, y))


@triton.jit
def _floor_div_float(x, y, z, p0, p1, p2):
    # numpy's (and PyTorch's) floor division: (a - fmod(a, b)) / b, adjusted to the sign
    # convention and snapped to the nearest integer; a / b where b == 0.
    mod = fmod(x, y)
    div = div_ieee(x - mod, y)
    div = tl.where((mod != 0) & ((y < 0) != (mod < 0)), div - 1.0, div)
    fl = tl.floor(div)
    fl = tl.where(div - fl > 0.5, fl + 1.0, fl)
    q = div_ieee(x, y)
    fl = tl.where(div == 0, copysign(tl.zeros_like(fl), q), fl)
    return tl.where(y == 0, q, fl)


@triton.jit
def _remainder_float(x, y, z, p0, p1, p2):
    mod = fmod(x, y)
    mod = tl.where((mod != 0) & ((y < 0) != (mod < 0)), mod + y, mod)
    return tl.where((mod == 0) & (y != 0), copysign(mod, y), mod)


@triton.jit
def _fmod_float(x, y, z, p0, p1, p2):
    return fmod(x, y)


@triton.jit
def _int_qr(x, y):
    # Truncating quotient and remainder; divisors were checked non-zero on the host, masked-off
    # lanes may still hold 0, and INT_MIN / -1 overflows: divide by 1 there instead.
    if x.dtype.is_int_signed():
        bad = (y == 0) | (y == -1)
    else:
        bad = y == 0
    d = tl.where(bad, 1, y).to(x.dtype)
    q = x // d
    r = x % d
    if x.dtype.is_int_signed():
        q = tl.where(y == -1, -x, q)
        r = tl.where(y == -1, 0, r).to(x.dtype)
    return q, r


@triton.jit
def _floor_div_int(x, y, z, p0, p1, p2):
    q, r = _int_qr(x, y)
    if x.dtype.is_int_signed():
        q = tl.where((r != 0) & ((r < 0) != (y < 0)), q - 1, q)
    return q


@triton.jit
def _trunc_div_int(x, y, z, p0, p1, p2):
    q, r = _int_qr(x, y)
    return q


@triton.jit
def _remainder_int(x, y, z, p0, p1, p2):
    q, r = _int_qr(x, y)
    if x.dtype.is_int_signed():
        r = tl.where((r != 0) & ((r < 0) != (y < 0)), r + y, r)
    return r


@triton.jit
def _fmod_int(x, y, z, p0, p1, p2):
    q, r = _int_qr(x, y)
    return r


@triton.jit
def _pow_f(x, y, z, p0, p1, p2):
    # Rounded to the compute dtype first, as the cpu fallback's float32 pow is.
    return _pow_float(x.to(tl.float64), y.to(tl.float64)).to(x.dtype)


@triton.jit
def _pow_int(x, y, z, p0, p1, p2):
    # Binary exponentiation, wrapping like numpy's; negative exponents (from a tensor) give
    # 1 for base 1, +-1 for base -1 and 0 otherwise (PyTorch's integer pow).
    full = tl.zeros_like(x) + tl.zeros_like(y)
    if x.dtype.is_int_signed():
        e = tl.where(y < 0, 0, y) + full
    else:
        e = y + full
    acc = full + 1
    base = x + full
    while tl.max(e, 0) > 0:
        acc = tl.where((e & 1) != 0, acc * base, acc)
        base = base * base
        e = e >> 1
    if x.dtype.is_int_signed():
        minus_one = tl.where((y & 1) == 0, 1, -1)
        special = tl.where(x == 1, 1, tl.where(x == -1, minus_one, 0))
        acc = tl.where(y < 0, special.to(acc.dtype), acc)
    return acc


@triton.jit
def _pow_bool(x, y, z, p0, p1, p2):
    return (x != 0) | (y == 0)


@triton.jit
def _maximum(x, y, z, p0, p1, p2):
    return tl.maximum(x, y, propagate_nan=tl.PropagateNan.ALL)


@triton.jit
def _minimum(x, y, z, p0, p1, p2):
    return tl.minimum(x, y, propagate_nan=tl.PropagateNan.ALL)


@triton.jit
def _fmax(x, y, z, p0, p1, p2):
    return tl.maximum(x, y)


@triton.jit
def _fmin(x, y, z, p0, p1, p2):
    return tl.minimum(x, y)


@triton.jit
def _atan2(x, y, z, p0, p1, p2):
    # atan2(x, y) (numpy's arctan2(x1=x, x2=y)): atan of min/max in [0, 1], then the octant.
    ay = tl.abs(x)
    ax = tl.abs(y)
    mx = tl.where(ay > ax, ay, ax)
    mn = tl.where(ay > ax, ax, ay)
    t = tl.where(mx == 0, 0.0, div_ieee(mn, mx))
    t = tl.where(mn == _INF, 1.0, t)
    r = atan(t)
    r = tl.where(ay > ax, _PI_2 - r, r)
    r = tl.where(signbit(y), _PI - r, r)
    r = copysign(r, x)
    return tl.where((x != x) | (y != y), _NAN, r)


@triton.jit
def _hypot(x, y, z, p0, p1, p2):
    ax = tl.abs(x)
    ay = tl.abs(y)
    mx = tl.where(ax > ay, ax, ay)
    mn = tl.where(ax > ay, ay, ax)
    t = div_ieee(mn, mx)
    r = tl.where(mx == 0, 0.0, mx * sqrt_ieee(1.0 + t * t))
    r = tl.where((x != x) | (y != y), _NAN, r)
    return tl.where((ax == _INF) | (ay == _INF), _INF, r)


@triton.jit
def _eq(x, y, z, p0, p1, p2):
    return x == y


@triton.jit
def _ne(x, y, z, p0, p1, p2):
    return x != y


@triton.jit
def _lt(x, y, z, p0, p1, p2):
    return x < y


@triton.jit
def _le(x, y, z, p0, p1, p2):
    return x <= y


@triton.jit
def _gt(x, y, z, p0, p1, p2):
    return x > y


@triton.jit
def _ge(x, y, z, p0, p1, p2):
    return x >= y


@triton.jit
def _logical_and(x, y, z, p0, p1, p2):
    return (x != 0) & (y != 0)


@triton.jit
def _logical_or(x, y, z, p0, p1, p2):
    return (x != 0) | (y != 0)


@triton.jit
def _logical_xor(x, y, z, p0, p1, p2):
    return (x != 0) ^ (y != 0)


@triton.jit
def _bitwise_and(x, y, z, p0, p1, p2):
    return x & y


@triton.jit
def _bitwise_or(x, y, z, p0, p1, p2):
    return x | y


@triton.jit
def _bitwise_xor(x, y, z, p0, p1, p2):
    return x ^ y


@triton.jit
def _left_shift(x, y, z, p0, p1, p2):
    # numpy: shifting by the bit width or more (or a negative count) gives 0.
    ok = (y >= 0) & (y < x.dtype.primitive_bitwidth)
    return tl.where(ok, x << tl.where(ok, y, 0).to(x.dtype), 0).to(x.dtype)


@triton.jit
def _right_shift(x, y, z, p0, p1, p2):
    # ... and right shifts of negative values by that much give -1.
    ok = (y >= 0) & (y < x.dtype.primitive_bitwidth)
    r = x >> tl.where(ok, y, 0).to(x.dtype)
    if x.dtype.is_int_signed():
        r = tl.where(ok, r, tl.where(x < 0, -1, 0).to(x.dtype))
    else:
        r = tl.where(ok, r, 0).to(x.dtype)
    return r


@triton.jit
def _where(x, y, z, p0, p1, p2):
    return tl.where(x != 0, y, z)


@triton.jit
def _lerp(x, y, z, p0, p1, p2):
    # PyTorch's formulation: exact at weight 1 and stable on both halves of [0, 1].
    d = y - x
    return tl.where(tl.abs(z) < 0.5, x + z * d, y - d * (1.0 - z))


@triton.jit
def _clamp(x, y, z, p0, p1, p2):
    r = tl.maximum(x, y, propagate_nan=tl.PropagateNan.ALL)
    return tl.minimum(r, z, propagate_nan=tl.PropagateNan.ALL)


@triton.jit
def _any_zero_kernel(b, flags, n, stride_b, CT: tl.constexpr, CHUNK: tl.constexpr, BLOCK: tl.constexpr,
                     I64: tl.constexpr):
    """flags[pid] = 1 if the pid-th CHUNK of the (1-d, strided) divisor holds a zero in CT.
    Grid: (cdiv(n, CHUNK),).  Pointers: b (n,) divisor, flags (programs,) int32 output.  Sizes: n
    elements.  Strides: stride_b (elements).  Constexprs: CT compare dtype, CHUNK elements per
    program scanned BLOCK at a time, I64 int64 offsets."""
    pid = tl.program_id(0)
    if I64:
        start = pid.to(tl.int64) * CHUNK
    else:
        start = pid * CHUNK
    hit = tl.zeros([BLOCK], tl.int32)
    for k in range(0, CHUNK, BLOCK):
        i = start + k + tl.arange(0, BLOCK)
        m = i < n
        v = convert(tl.load(b + i * stride_b, mask=m), CT)
        hit = tl.maximum(hit, (m & (v == 0)).to(tl.int32))
    tl.store(flags + pid, tl.max(hit, 0))


# ---- host side ---------------------------------------------------------------------------------------
def _check_divisor(b, ct):
    """RuntimeError("ZeroDivisionError") if ``b`` (array or number) holds a zero once cast to
    the integer compute dtype ``ct`` — one device->host read of a few flags."""
    if not _arr(b):
        if np.array(int(b), np.int64).astype(ct) == 0:
            raise RuntimeError("ZeroDivisionError")
        return
    if b.size == 0:
        return
    # Broadcast (stride-0) dims repeat elements: scan each distinct element once.
    dims = [(n, s) for n, s in zip(b.shape, b.strides) if s != 0]
    shape, (st,) = collapse([n for n, _ in dims], [[s for _, s in dims]])
    if len(shape) > 1:
        tmp = CudaArray.empty(b.shape, b.dtype, b.block.device_index)
        assign(tmp, b)
        b, n, stride = tmp, b.size, 1
    else:
        n, stride = shape[0], st[0]
    block = block_for(n, 1024)
    chunk = block if SIZE_FOR_INTERPRETER else 16 * block
    nprog = cdiv(n, chunk)
    flags = CudaArray.empty((nprog,), np.int32, b.block.device_index)
    i64 = needs_i64(((n,), (stride,)), counts=(nprog * chunk,))
    launch(_any_zero_kernel, (nprog,), b, flags, n, stride, CT=ct_of(ct), CHUNK=chunk, BLOCK=block, I64=i64)
    host = np.empty(nprog, np.int32)
    memory.copy_to_host(host, flags.block, 0)
    if host.any():
        raise RuntimeError("ZeroDivisionError")


def _binary(fn):
    def impl(out, a, b):
        pointwise(fn, out, _ops(a, b), ct_of(out.dtype))
    return impl


def _float_int(ffn, ifn):
    """Ops with a float and an integer formulation; integer divisors are checked for zeros."""
    def impl(out, a, b):
        if out.dtype.kind in "iu":
            _check_divisor(b, out.dtype)
            pointwise(ifn, out, _ops(a, b), ct_of(out.dtype))
        else:
            pointwise(ffn, out, _ops(a, b), ct_of(out.dtype))
    return impl


def _add_like(plain, scaled):
    def impl(out, a, b, alpha=1):
        ct = ct_of(out.dtype)
        if alpha == 1:
            pointwise(plain, out, _ops(a, b), ct)
        else:
            pointwise(scaled, out, _ops(a, b, alpha), ct)
    return impl


_FLOOR_DIV = _float_int(_floor_div_float, _floor_div_int)
_TRUNC_DIV = _float_int(_trunc_div_float, _trunc_div_int)


def div(out, a, b, rounding_mode=None):
    if rounding_mode is None:
        pointwise(_truediv, out, _ops(a, b), ct_of(out.dtype))
    elif rounding_mode == "floor":
        _FLOOR_DIV(out, a, b)
    else:
        _TRUNC_DIV(out, a, b)


def pow(out, a, b):
    if out.dtype == np.bool_:  # bool tensor ** bool number
        pointwise(_pow_bool, out, _ops(a, b), tl.uint8)
    elif out.dtype.kind in "iu":
        pointwise(_pow_int, out, _ops(a, b), ct_of(out.dtype))
    else:
        pointwise(_pow_f, out, _ops(a, b), ct_of(out.dtype))


def _up(dt):
    return F32 if dt == F16 or dt == BF16 else dt


def _weak(x, other):
    """The cpu fallback's comparison operand rule: ``(operand, what numpy's promotion sees)``.

    An integer number against an integer array, and a 0-d array against an array of its kind
    (or integer against integer), take the array's dtype (wrapping); otherwise the operand is
    promoted as is, Python numbers weakly."""
    if _arr(x):
        if (_arr(other) and other.ndim and x.ndim == 0 and x.dtype != other.dtype
                and (x.dtype.kind == other.dtype.kind or (x.dtype.kind in "iu" and other.dtype.kind in "iu"))):
            tmp = CudaArray.empty((), other.dtype, x.block.device_index)
            assign(tmp, x)
            return tmp, _up(other.dtype)
        return x, _up(x.dtype)
    x = _num(x)
    if _arr(other) and other.ndim and other.dtype.kind in "iu" and type(x) is int:
        return int(np.array(x, np.int64).astype(other.dtype)), other.dtype
    return x, x


def _compare(fn):
    def impl(out, a, b):
        (a2, pa), (b2, pb) = _weak(a, b), _weak(b, a)
        pointwise(fn, out, [a2, b2], ct_of(np.result_type(pa, pb)))
    return impl


def _shift(fn):
    def impl(out, a, b):
        pointwise(fn, out, _ops(a, b), ct_of(out.dtype))
    return impl


def _where_impl(out, cond, a, b):
    pointwise(_where, out, [cond] + _ops(a, b), ct_of(out.dtype))


def lerp(out, a, b, w):
    # A 0-d float64 weight makes the cpu fallback (numpy) compute in float64.
    ct = ct_of(np.result_type(_up(out.dtype), _up(w.dtype)) if _arr(w) else out.dtype)
    pointwise(_lerp, out, [a, b, _num(w) if not _arr(w) else w], ct)


def clamp(out, x, lo, hi):
    ct = ct_of(out.dtype)
    if lo is None:
        pointwise(_minimum, out, _ops(x, hi), ct)
    elif hi is None:
        pointwise(_maximum, out, _ops(x, lo), ct)
    else:
        pointwise(_clamp, out, _ops(x, lo, hi), ct)


def to_copy(out, x, dtype=None):
    assign(out, x)


def copy_(out, dst, src):
    assign(out, src)


def clone(out, x):
    assign(out, x)


IMPLS = {
    "add": _add_like(_add, _add_alpha), "sub": _add_like(_sub, _sub_alpha), "mul": _binary(_mul), "div": div,
    "remainder": _float_int(_remainder_float, _remainder_int), "fmod": _float_int(_fmod_float, _fmod_int),
    "pow": pow,
    "maximum": _binary(_maximum), "minimum": _binary(_minimum), "fmax": _binary(_fmax), "fmin": _binary(_fmin),
    "atan2": _binary(_atan2), "hypot": _binary(_hypot),
    "eq": _compare(_eq), "ne": _compare(_ne), "lt": _compare(_lt), "le": _compare(_le),
    "gt": _compare(_gt), "ge": _compare(_ge),
    "logical_and": _compare(_logical_and), "logical_or": _compare(_logical_or),
    "logical_xor": _compare(_logical_xor),
    "bitwise_and": _binary(_bitwise_and), "bitwise_or": _binary(_bitwise_or), "bitwise_xor": _binary(_bitwise_xor),
    "bitwise_left_shift": _shift(_left_shift), "bitwise_right_shift": _shift(_right_shift),
    "where": _where_impl, "lerp": lerp, "clamp": clamp,
    "to_copy": to_copy, "copy_": copy_, "clone": clone,
}
IMPLS.update(UNARY_IMPLS)
