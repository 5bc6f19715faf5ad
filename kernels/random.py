"""Triton kernels: random ops on counter-based Philox streams.

Streams.  Every op receives ``seed`` and ``offset`` attrs from a tritorch Generator (which then
advances its offset past the call).  Random bits are Philox-4x32-10 (``tl.philox``) keyed by
the 64-bit seed, with the 128-bit counter (c0, c1, c2, c3) = (element index low 32 bits,
element index bits 32-43 + 4096 * draw number, offset low, offset high).  A call's counters
therefore never meet another call's (different offsets), and a rejection sampler's k-th
redraw of element i is its own counter.  The element index is the row-major index in the
output's logical shape, so a draw depends only on (seed, offset, shape), never on ``out``'s
memory layout; the cpu device uses another Philox variant, so numbers differ between devices
(as PyTorch's do), distributions do not.  Limits: 2**44 elements, 2**20 draws per element.

Samplers (`_sample_kernel`, one program per ``BLOCK`` elements of ``out`` in row-major order,
offsets by unravelling over <= 5 merged dims as the elementwise kernel does; tensor
parameters are read through their broadcast strides).  Per element and draw: one Philox
block (4 x 32 bits, ~70 integer ops); bytes moved: one output item written plus the tensor
parameters' items read; a handful of FLOPs and one or two transcendentals.  Results are
rounded once into ``out`` through its strides.
  * uniform: low + u * (high - low); values that round up to ``high`` in ``out``'s dtype become
    ``low`` (as the cpu).  float64 outputs use 53-bit uniforms, others 24-bit in float32.
  * normal / log_normal: Box-Muller, sqrt(-2 ln u1) cos(2 pi u2) (u1 in (0, 1]), then mean + std z
    (exp of it for log_normal).
  * random: integers in [low, high) over any range up to the full int64 span: a 64-bit draw x is
    rejected while x < 2**64 mod range (probability < 1/2, below 2**-32 for ranges under 2**32)
    and low + x mod range is kept: exactly uniform.
  * bernoulli: u < p with a 53-bit u.  exponential: -ln(u) / lambd, u in (0, 1].  geometric:
    ceil(ln(u) / log1p(-p)), u in (0, 1).  cauchy: median + sigma tan(pi (u - 1/2)), u in (0, 1).
  * poisson (float64, 256-element programs so its loop state stays in registers): rates below 10
    by sequential inversion from one uniform (about rate + 1 steps); larger rates by Hormann's
    transformed rejection with squeeze (PTRS, as numpy), acceptance > 0.9 per try; ln k! by the
    Stirling series (numpy's loggam).  Loops run while any lane of the block is unfinished
    (data-dependent, capped at 2048 rounds).
Parameter checks that the cpu raises from its impl (std < 0, p outside [0, 1], negative or NaN
rates, bad multinomial weights) run first, in `_check_kernel` / `_mn_prepare_kernel` (an
atomic OR into a one-int flag), followed by ONE host sync to read the flag, so an error leaves
``out`` untouched as on the cpu.

Row-wise kernels (multinomial, randperm) work on [RB, WB] tiles: short rows are packed many
to a program, a long row spans several tiles.
multinomial with replacement: `_mn_prepare_kernel` validates each row and writes its float64
running sum (cdf; one read of the weights, one 8-byte write each), total and last positive
category; `_mn_sample_kernel` draws u * total and binary-searches the first cdf entry above it
(log2(n) + 1 probes of 8 bytes per sample).
Without replacement, and randperm: random sort keys (the exponential race E / p, i.e.
Gumbel-top-k, as the cpu; randperm: 63 random bits) are sorted per row with their indices by
`_merge_kernel`, a stable merge sort: pass q merges sorted runs of 2**q by giving every
element its rank in the partner run by binary search (q + 1 probes), then moving its (key,
index) pair: 32 bytes + (q + 1) probes per element and pass, log2(n) passes, O(n log^2 n)
loads in total.  Rows that fit one tile run all passes in one launch, separated by CTA
barriers; longer rows take one launch per pass.  The first ``num_samples`` indices are
written out (`_take_kernel`).  Equal keys keep index order (for randperm a tie of two 63-bit
keys, probability about n**2 / 2**64, is the only departure from exactly uniform).
(Triton's tl.sort would save the short passes on a GPU, but the interpreter runs it per
element in Python: seconds per 1024 elements.)
"""
import math

import numpy as np
import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray
from ._dtypes import F64
from ._elementwise import broadcast_strides, collapse, dim_args, lead, new_flag, read_flag
from ._jit import as_f64, convert, strided_offset, flat_index
from ._launch import launch, cdiv, block_for

__all__ = ["IMPLS"]

BLOCK = 1024
_MAX_DIMS = 5
_MAX_ROUNDS = tl.constexpr(2048)  # cap of the data-dependent sampling loops (never reached in practice)
_U64 = 1 << 64


# ---- random bits ------------------------------------------------------------------------------------
@triton.jit
def _bits(seed_lo, seed_hi, g, off_lo, off_hi, d):
    """Four uint32 blocks: Philox of counter (g low, g high + 4096 d, offset low, offset high)."""
    seed = (seed_hi.to(tl.uint64) << 32) | seed_lo.to(tl.uint64)
    c0 = (g & 0xFFFFFFFF).to(tl.uint32)
    c1 = ((g >> 32) + d * 4096).to(tl.uint32)
    z = c0 * 0
    return tl.philox(seed, c0, c1, z + off_lo.to(tl.uint32), z + off_hi.to(tl.uint32))


@triton.jit
def _u53(a, b):
    """float64 uniform on [0, 1) from 53 random bits."""
    return ((a.to(tl.uint64) << 21) | (b >> 11).to(tl.uint64)).to(tl.float64) * 1.1102230246251565e-16


@triton.jit
def _unit(a, b, CT: tl.constexpr):
    """Uniform on [0, 1) in CT: 53 bits for float64, 24 bits for float32."""
    if CT == tl.float64:
        u = _u53(a, b)
    else:
        u = (a >> 8).to(tl.float32) * 5.960464477539063e-08
    return u


@triton.jit
def _unit_open(a, b, CT: tl.constexpr):
    """Uniform on the open interval (0, 1) in CT (grid midpoints)."""
    if CT == tl.float64:
        u = (((a.to(tl.uint64) << 21) | (b >> 11).to(tl.uint64)).to(tl.float64) + 0.5) * 1.1102230246251565e-16
    else:
        u = ((a >> 8).to(tl.float32) + 0.5) * 5.960464477539063e-08
    return u


@triton.jit
def _std_normal(r0, r1, r2, r3, CT: tl.constexpr):
    u1 = 1.0 - _unit(r0, r1, CT)
    u2 = _unit(r2, r3, CT)
    return tl.sqrt(-2.0 * tl.log(u1)) * tl.cos(6.283185307179586 * u2)


# ---- samplers: FN(seeds, g, offsets, x, y, q0, q1, q2, mask, CT, OUT) -> values ----------------------
@triton.jit
def _uniform_fn(sl, sh, g, ol, oh, x, y, q0, q1, q2, mask, CT: tl.constexpr, OUT: tl.constexpr):
    r0, r1, _, _ = _bits(sl, sh, g, ol, oh, 0)
    v = _unit(r0, r1, CT) * (y - x) + x
    # Rounding into OUT can reach ``high``: keep [low, high) as the cpu does.
    back = convert(convert(v, OUT), CT)
    hi = convert(convert(y, OUT), CT)
    return tl.where((back >= hi) & (y > x), x, v)


@triton.jit
def _normal_fn(sl, sh, g, ol, oh, x, y, q0, q1, q2, mask, CT: tl.constexpr, OUT: tl.constexpr):
    r0, r1, r2, r3 = _bits(sl, sh, g, ol, oh, 0)
    return x + y * _std_normal(r0, r1, r2, r3, CT)


@triton.jit
def _log_normal_fn(sl, sh, g, ol, oh, x, y, q0, q1, q2, mask, CT: tl.constexpr, OUT: tl.constexpr):
    r0, r1, r2, r3 = _bits(sl, sh, g, ol, oh, 0)
    return tl.exp(x + y * _std_normal(r0, r1, r2, r3, CT))


@triton.jit
def _bernoulli_fn(sl, sh, g, ol, oh, x, y, q0, q1, q2, mask, CT: tl.constexpr, OUT: tl.constexpr):
    r0, r1, _, _ = _bits(sl, sh, g, ol, oh, 0)
    return tl.where(_u53(r0, r1) < x, 1.0, 0.0)


@triton.jit
def _exponential_fn(sl, sh, g, ol, oh, x, y, q0, q1, q2, mask, CT: tl.constexpr, OUT: tl.constexpr):
    r0, r1, _, _ = _bits(sl, sh, g, ol, oh, 0)
    return (0.0 - tl.log(1.0 - _unit(r0, r1, CT))) / x


@triton.jit
def _geometric_fn(sl, sh, g, ol, oh, x, y, q0, q1, q2, mask, CT: tl.constexpr, OUT: tl.constexpr):
    # x = log1p(-p), computed on the host.
    r0, r1, _, _ = _bits(sl, sh, g, ol, oh, 0)
    return tl.ceil(tl.log(_unit_open(r0, r1, CT)) / x)


@triton.jit
def _cauchy_fn(sl, sh, g, ol, oh, x, y, q0, q1, q2, mask, CT: tl.constexpr, OUT: tl.constexpr):
    r0, r1, _, _ = _bits(sl, sh, g, ol, oh, 0)
    t = 3.141592653589793 * (_unit_open(r0, r1, CT) - 0.5)
    return x + y * (tl.sin(t) / tl.cos(t))


@triton.jit
def _random_fn(sl, sh, g, ol, oh, x, y, q0, q1, q2, mask, CT: tl.constexpr, OUT: tl.constexpr):
    # q0 = low, q1 = range (0 meaning 2**64), q2 = 2**64 mod range; all as int64 bit patterns.
    rng = q1.to(tl.int64).to(tl.uint64, bitcast=True)
    thresh = q2.to(tl.int64).to(tl.uint64, bitcast=True)
    r0, r1, _, _ = _bits(sl, sh, g, ol, oh, 0)
    v = (r0.to(tl.uint64) << 32) | r1.to(tl.uint64)
    todo = mask & (v < thresh)
    d = 1
    while (tl.max(todo.to(tl.int32), axis=0) > 0) & (d < _MAX_ROUNDS):
        r0, r1, _, _ = _bits(sl, sh, g, ol, oh, d)
        w = (r0.to(tl.uint64) << 32) | r1.to(tl.uint64)
        v = tl.where(todo, w, v)
        todo = todo & (w < thresh)
        d += 1
    safe = tl.where(rng == 0, 1, rng)
    v = tl.where(rng == 0, v, v % safe)
    return (q0.to(tl.int64).to(tl.uint64, bitcast=True) + v).to(tl.int64, bitcast=True)


@triton.jit
def _loggam(x):
    """ln Gamma(x) for x >= 1 (numpy's random_loggam: shift to x >= 7, Stirling series)."""
    n = tl.where(x < 7.0, tl.floor(7.0 - x), 0.0)
    x0 = x + n
    x2 = 1.0 / (x0 * x0)
    gl0 = -1.39243221690590e+00
    gl0 = gl0 * x2 + 1.796443723688307e-01
    gl0 = gl0 * x2 - 2.955065359477124e-02
    gl0 = gl0 * x2 + 6.410256410256410e-03
    gl0 = gl0 * x2 - 1.917526917526918e-03
    gl0 = gl0 * x2 + 8.417508417508418e-04
    gl0 = gl0 * x2 - 5.952380952380952e-04
    gl0 = gl0 * x2 + 7.936507936507937e-04
    gl0 = gl0 * x2 - 2.777777777777778e-03
    gl0 = gl0 * x2 + 8.333333333333333e-02
    gl = gl0 / x0 + 0.9189385332046727 + (x0 - 0.5) * tl.log(x0) - x0
    prod = x0 * 0.0 + 1.0
    for j in tl.static_range(1, 7):
        prod = prod * tl.where(j <= n, x0 - j, 1.0)
    gl = gl - tl.log(prod)
    return tl.where((x == 1.0) | (x == 2.0), 0.0, gl)


@triton.jit
def _poisson_fn(sl, sh, g, ol, oh, x, y, q0, q1, q2, mask, CT: tl.constexpr, OUT: tl.constexpr):
    lam = tl.where(mask, x, 0.0)
    small = lam < 10.0
    # Inversion (small rates): walk the cdf until it passes one uniform.
    r0, r1, _, _ = _bits(sl, sh, g, ol, oh, 0)
    u = _u53(r0, r1)
    p = tl.exp(-tl.where(small, lam, 0.0))
    cdf = p
    k = lam * 0.0
    walk = small & (u > cdf)
    # PTRS constants (large rates; small lanes get harmless values).
    lb = tl.where(small, 10.0, lam)
    slam = tl.sqrt(lb)
    loglam = tl.log(lb)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    log_inva = tl.log(1.1239 + 1.1328 / (b - 3.4))
    vr = 0.9277 - 3.6224 / (b - 2.0)
    big = ~small
    res = k
    d = 1
    while (tl.max((walk | big).to(tl.int32), axis=0) > 0) & (d < _MAX_ROUNDS):
        k = tl.where(walk, k + 1.0, k)
        p = tl.where(walk, p * lam / tl.maximum(k, 1.0), p)
        cdf = tl.where(walk, cdf + p, cdf)
        walk = walk & (u > cdf) & (p > 0.0)
        if tl.max(big.to(tl.int32), axis=0) > 0:
            s0, s1, s2, s3 = _bits(sl, sh, g, ol, oh, d)
            U = _u53(s0, s1) - 0.5
            V = _u53(s2, s3)
            us = tl.maximum(0.5 - tl.abs(U), 1e-300)  # u = 0 exactly: rejected below, without 1 / 0
            kk = tl.floor((2.0 * a / us + b) * U + lb + 0.43)
            quick = (us >= 0.07) & (V <= vr)
            reject = (kk < 0.0) | ((us < 0.013) & (V > us))
            kp = tl.maximum(kk, 0.0)
            slow = tl.log(V) + log_inva - tl.log(a / (us * us) + b) <= -lb + kp * loglam - _loggam(kp + 1.0)
            acc = big & (quick | (~reject & slow))
            res = tl.where(acc, kk, res)
            big = big & ~acc
        d += 1
    return tl.where(small, k, res)


# ---- the sampler kernel -----------------------------------------------------------------------------
@triton.jit
def _sample_kernel(out, a, b, n, base, S1, S2, S3, S4,
                   stride_o0, stride_o1, stride_o2, stride_o3, stride_o4,
                   stride_a0, stride_a1, stride_a2, stride_a3, stride_a4,
                   stride_b0, stride_b1, stride_b2, stride_b3, stride_b4,
                   seed_lo: tl.int64, seed_hi: tl.int64, off_lo: tl.int64, off_hi: tl.int64,
                   p0: tl.float64, p1: tl.float64, q0: tl.int64, q1: tl.int64, q2: tl.int64,
                   FN: tl.constexpr, KA: tl.constexpr, KB: tl.constexpr, CT: tl.constexpr,
                   NDIM: tl.constexpr, I64: tl.constexpr, BLOCK: tl.constexpr):
    """Elementwise sampler.  Grid: (cdiv(n, BLOCK),).
    Pointers: out (<= 5 merged dims), a, b tensor parameters broadcast to out (placeholders unless
    KA / KB).  Sizes: n elements, base (the first element's stream index), S1..S4 inner dims.
    Strides: stride_o*, stride_a*, stride_b* per merged dim (elements).  Scalars: the seed and offset
    halves, float parameters p0, p1, int parameters q0..q2.  Constexprs: FN the sampler, KA, KB,
    CT compute type, NDIM merged dims, I64 int64 offsets, BLOCK elements per program."""
    i = flat_index(BLOCK, I64)
    mask = i < n
    if KA:
        oa = strided_offset(i, S1, S2, S3, S4, stride_a0, stride_a1, stride_a2, stride_a3, stride_a4, NDIM)
        x = convert(tl.load(a + oa, mask=mask, other=0), CT)
    else:
        x = as_f64(p0).to(CT)
    if KB:
        ob = strided_offset(i, S1, S2, S3, S4, stride_b0, stride_b1, stride_b2, stride_b3, stride_b4, NDIM)
        y = convert(tl.load(b + ob, mask=mask, other=0), CT)
    else:
        y = as_f64(p1).to(CT)
    g = i.to(tl.int64) + base
    v = FN(seed_lo, seed_hi, g, off_lo, off_hi, x, y, q0, q1, q2, mask, CT, out.dtype.element_ty)
    oo = strided_offset(i, S1, S2, S3, S4, stride_o0, stride_o1, stride_o2, stride_o3, stride_o4, NDIM)
    tl.store(out + oo, convert(v, out.dtype.element_ty), mask=mask)


def _halves(v):
    v &= _U64 - 1
    return v & 0xFFFFFFFF, v >> 32


def _signed(v):
    return v - _U64 if v >= 1 << 63 else v


def _sample(fn, out, seed, offset, ct, a=None, b=None, p=(0.0, 0.0), q=(0, 0, 0), base=0, block=BLOCK):
    """out[i] = fn(stream of element i, a[i] or p[0], b[i] or p[1], q) over out's row-major elements."""
    n = out.size
    if n == 0:
        return
    shape = out.shape
    arrays = [x for x in (a, b) if x is not None]
    strides = [list(out.strides)] + [broadcast_strides(x, shape) for x in arrays]
    cshape, cstrides = collapse(shape, strides)
    if len(cshape) > _MAX_DIMS:
        # More unmergeable dims than the kernel unravels: one launch per index of the leading dim.
        inner = n // shape[0]
        for k in range(shape[0]):
            sub = [lead(x, k, shape) if x is not None else None for x in (out, a, b)]
            _sample(fn, sub[0], seed, offset, ct, sub[1], sub[2], p, q, base + k * inner, block)
        return
    blk = block_for(n, block)
    sizes, st, i64 = dim_args(cshape, cstrides, blk)
    st = iter(st)
    so = next(st)
    sa = next(st) if a is not None else [0] * _MAX_DIMS
    sb = next(st) if b is not None else [0] * _MAX_DIMS
    sl, sh = _halves(seed)
    ol, oh = _halves(offset)
    launch(_sample_kernel, (cdiv(n, blk),), out, a if a is not None else out, b if b is not None else out, n, base,
           *sizes, *so, *sa, *sb, sl, sh, ol, oh, float(p[0]), float(p[1]), *q,
           FN=fn, KA=a is not None, KB=b is not None, CT=ct, NDIM=len(cshape), I64=i64, BLOCK=blk)


def _ct(out):
    return tl.float64 if out.dtype == F64 else tl.float32


# ---- parameter checks (one host sync) --------------------------------------------------------------------
@triton.jit
def _check_kernel(flag, a, n, S1, S2, S3, S4, stride_a0, stride_a1, stride_a2, stride_a3, stride_a4,
                  lo: tl.float64, hi: tl.float64, NAN_BAD: tl.constexpr, NDIM: tl.constexpr, I64: tl.constexpr,
                  BLOCK: tl.constexpr):
    """Parameter range check: ORs 1 into ``flag`` when an element of ``a`` is outside [lo, hi] (or
    NaN when NAN_BAD).  Grid: (cdiv(n, BLOCK),).  Pointers: flag (1,) int32, a (<= 5 merged dims).
    Sizes: n elements, S1..S4 inner dims.  Strides: stride_a* per merged dim (elements).
    Constexprs: NAN_BAD, NDIM merged dims, I64 int64 offsets, BLOCK elements per program."""
    i = flat_index(BLOCK, I64)
    mask = i < n
    oa = strided_offset(i, S1, S2, S3, S4, stride_a0, stride_a1, stride_a2, stride_a3, stride_a4, NDIM)
    v = convert(tl.load(a + oa, mask=mask, other=0), tl.float64)
    bad = (v < as_f64(lo)) | (v > as_f64(hi))
    if NAN_BAD:
        bad = bad | (v != v)
    tl.atomic_or(flag, tl.max((bad & mask).to(tl.int32), axis=0))


def _any_outside(a, lo, hi, nan_bad):
    """True when some element of ``a`` is outside [lo, hi] (or NaN when ``nan_bad``): one host sync."""
    if a.size == 0:
        return False
    flag = new_flag(a.block.device_index)
    cshape, (cst,) = collapse(a.shape, [a.strides])
    if len(cshape) > _MAX_DIMS:
        return any(_any_outside(lead(a, k, a.shape), lo, hi, nan_bad) for k in range(a.shape[0]))
    blk = block_for(a.size, BLOCK)
    sizes, (sa,), i64 = dim_args(cshape, [cst], blk)
    launch(_check_kernel, (cdiv(a.size, blk),), flag, a, a.size, *sizes, *sa, float(lo), float(hi),
           NAN_BAD=nan_bad, NDIM=len(cshape), I64=i64, BLOCK=blk)
    return read_flag(flag) != 0


# ---- elementwise samplers -----------------------------------------------------------------------------------
def uniform(out, shape, dtype, *, low=0.0, high=1.0, seed, offset):
    _sample(_uniform_fn, out, seed, offset, _ct(out), p=(low, high))


def normal(out, mean, std, shape, dtype, *, seed, offset):
    if hasattr(std, "block") and _any_outside(std, 0.0, math.inf, False):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    ma, sa = hasattr(mean, "block"), hasattr(std, "block")
    _sample(_normal_fn, out, seed, offset, _ct(out), mean if ma else None, std if sa else None,
            p=(0.0 if ma else mean, 0.0 if sa else std))


def random(out, shape, dtype, *, low, high, seed, offset):
    # Float outputs accept any bounds at the meta level; draws are int64, as on the cpu.
    if low < -2**63:
        raise ValueError("low is out of bounds for int64")
    if high - 1 >= 2**63:
        raise ValueError("high is out of bounds for int64")
    rng = high - low
    thresh = _U64 % rng if rng < _U64 else 0
    _sample(_random_fn, out, seed, offset, tl.float64, q=(low, _signed(rng % _U64), thresh))


def bernoulli(out, p, shape, dtype, *, seed, offset):
    if hasattr(p, "block"):
        if _any_outside(p, 0.0, 1.0, True):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        _sample(_bernoulli_fn, out, seed, offset, tl.float64, a=p)
    else:
        _sample(_bernoulli_fn, out, seed, offset, tl.float64, p=(p, 0.0))


def exponential(out, shape, dtype, *, lambd, seed, offset):
    _sample(_exponential_fn, out, seed, offset, _ct(out), p=(lambd, 0.0))


def geometric(out, shape, dtype, *, p, seed, offset):
    ct = tl.float32 if out.dtype.kind == "f" and out.dtype != F64 or out.dtype.kind == "V" else tl.float64
    _sample(_geometric_fn, out, seed, offset, ct, p=(math.log1p(-p), 0.0))


def cauchy(out, shape, dtype, *, median, sigma, seed, offset):
    _sample(_cauchy_fn, out, seed, offset, _ct(out), p=(median, sigma))


def log_normal(out, shape, dtype, *, mean, std, seed, offset):
    _sample(_log_normal_fn, out, seed, offset, _ct(out), p=(mean, std))


def poisson(out, rates, *, seed, offset):
    if _any_outside(rates, 0.0, math.inf, True):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    # Its float64 loop state is large: 256-element programs keep it in registers.
    _sample(_poisson_fn, out, seed, offset, tl.float64, a=rates, block=256)


# ---- multinomial / randperm -----------------------------------------------------------------------------
# Row-wise kernels work on [RB, WB] tiles: RB rows of WB consecutive elements each (short rows are
# packed many to a program; a long row spans ``chunks`` tiles).  `_tile` picks the shape.
@triton.jit
def _mn_prepare_kernel(probs, cdf, tot, last, flag, rows, n, chunks, stride_pr, stride_pc,
                       WRITE_CDF: tl.constexpr, RB: tl.constexpr, WB: tl.constexpr):
    """Validate the rows, write their float64 running sums, totals and last categories with mass.
    Grid: (cdiv(rows, RB),).  Pointers: probs (rows, n) weights, cdf (rows * n,) float64, tot (rows,),
    last (rows,) int64, flag (1,) int32 (bit 1: bad weight, bit 2: sum <= 0).  Sizes: rows, n,
    chunks of WB per row.  Strides: stride_pr, stride_pc (probs, elements).  Constexprs: WRITE_CDF,
    RB rows and WB categories per tile.  Offsets are int64 throughout."""
    row = tl.program_id(0).to(tl.int64) * RB + tl.arange(0, RB).to(tl.int64)[:, None]
    rm = row < rows
    carry = tl.zeros([RB, 1], tl.float64)
    lastpos = tl.full([RB, 1], -1, tl.int64)
    bad = tl.zeros([RB, 1], tl.int32)
    for c in range(chunks):
        j = c * WB + tl.arange(0, WB).to(tl.int64)[None, :]
        m = rm & (j < n)
        p = convert(tl.load(probs + row * stride_pr + j * stride_pc, mask=m, other=0), tl.float64)
        bad = bad | tl.max((m & ~((p >= 0.0) & (p < float("inf")))).to(tl.int32), axis=1, keep_dims=True)
        cs = tl.cumsum(p, axis=1) + carry
        if WRITE_CDF:
            tl.store(cdf + row * n + j, cs, mask=m)
        carry = tl.max(tl.where(m, cs, 0.0), axis=1, keep_dims=True)
        lastpos = tl.maximum(lastpos, tl.max(tl.where(m & (p > 0.0), j, -1), axis=1, keep_dims=True))
    tl.store(tot + row, carry, mask=rm)
    tl.store(last + row, lastpos, mask=rm)
    bad = tl.where(rm, bad | tl.where(carry <= 0.0, 2, 0), 0)
    tl.atomic_or(flag, tl.max(tl.max(bad, axis=1), axis=0))


@triton.jit
def _mn_sample_kernel(out, cdf, tot, last, total, S, n, stride_or, stride_oc, steps,
                      seed_lo: tl.int64, seed_hi: tl.int64, off_lo: tl.int64, off_hi: tl.int64, BLOCK: tl.constexpr):
    """Sampling with replacement, one lane per (row, sample): u * total, then the first category whose
    running sum exceeds it.  Grid: (cdiv(total, BLOCK),).  Pointers: out (rows, S) int64 samples,
    cdf, tot, last from `_mn_prepare_kernel`.  Sizes: total = rows * S, S samples per row, n
    categories, steps binary-search probes.  Strides: stride_or, stride_oc (out, elements).  Scalars:
    the seed and offset halves.  Constexprs: BLOCK lanes per program.  Offsets are int64."""
    e = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    m = e < total
    row = e // S
    r0, r1, _, _ = _bits(seed_lo, seed_hi, e, off_lo, off_hi, 0)
    target = _u53(r0, r1) * tl.load(tot + row, mask=m, other=0.0)
    lo = e * 0
    hi = lo + n
    for _ in range(steps):
        go = lo < hi
        mid = (lo + hi) // 2
        c = tl.load(cdf + row * n + mid, mask=m & go, other=0.0)
        right = go & (c <= target)
        lo = tl.where(right, mid + 1, lo)
        hi = tl.where(go & ~right, mid, hi)
    # u * total can round up to the total: never go past the last category with mass.
    idx = tl.minimum(lo, tl.load(last + row, mask=m, other=0))
    tl.store(out + row * stride_or + (e - row * S) * stride_oc, idx, mask=m)


@triton.jit
def _race_keys_kernel(keys, vals, probs, total, n, stride_pr, stride_pc,
                      seed_lo: tl.int64, seed_hi: tl.int64, off_lo: tl.int64, off_hi: tl.int64, BLOCK: tl.constexpr):
    """Exponential race keys E / p (E ~ Exp(1)); zero-probability categories get +inf (non-negative
    doubles order like their int64 bit patterns).  Grid: (cdiv(total, BLOCK),).  Pointers: keys,
    vals (total,) int64 (key bits, category), probs (rows, n).  Sizes: total = rows * n, n.
    Strides: stride_pr, stride_pc (probs, elements).  Scalars: the seed and offset halves.
    Constexprs: BLOCK elements per program.  Offsets are int64."""
    e = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    m = e < total
    row = e // n
    j = e - row * n
    p = convert(tl.load(probs + row * stride_pr + j * stride_pc, mask=m, other=0), tl.float64)
    r0, r1, _, _ = _bits(seed_lo, seed_hi, e, off_lo, off_hi, 0)
    x = 0.0 - tl.log(1.0 - _u53(r0, r1))
    key = tl.where(p > 0.0, x / tl.where(p > 0.0, p, 1.0), float("inf"))
    tl.store(keys + e, key.to(tl.int64, bitcast=True), mask=m)
    tl.store(vals + e, j, mask=m)


@triton.jit
def _perm_keys_kernel(keys, vals, n, seed_lo: tl.int64, seed_hi: tl.int64, off_lo: tl.int64, off_hi: tl.int64,
                      BLOCK: tl.constexpr):
    """randperm's sort keys: 63 random bits per element (non-negative int64) and its index.
    Grid: (cdiv(n, BLOCK),).  Pointers: keys, vals (n,) int64.  Sizes: n.  Scalars: the seed and
    offset halves.  Constexprs: BLOCK elements per program.  Offsets are int64."""
    j = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    m = j < n
    r0, r1, _, _ = _bits(seed_lo, seed_hi, j, off_lo, off_hi, 0)
    key = ((r0.to(tl.uint64) << 31) | (r1 >> 1).to(tl.uint64)).to(tl.int64, bitcast=True)
    tl.store(keys + j, key, mask=m)
    tl.store(vals + j, j, mask=m)


@triton.jit
def _merge_kernel(keys, vals, total, rows, n, chunks, log_run, first, passes, RB: tl.constexpr, WB: tl.constexpr):
    """Stable merge passes over rows of length n: sorted runs of 2**log_run -> 2**(log_run + passes).
    Grid: (cdiv(rows, RB) * chunks,).  Pointers: keys, vals (2 * total,) int64, two halves; pass q
    reads half (first + q) % 2 and writes the other.  Sizes: total = rows * n, rows, n, chunks of WB
    per row, log_run, first, passes.  Constexprs: RB rows and WB elements per tile.  Offsets are
    int64; rows are contiguous (no strides)."""
    pid = tl.program_id(0).to(tl.int64)
    row = (pid // chunks) * RB + tl.arange(0, RB).to(tl.int64)[:, None]
    p = (pid % chunks) * WB + tl.arange(0, WB).to(tl.int64)[None, :]
    m = (row < rows) & (p < n)
    for q in range(passes):
        lg = log_run + q
        L = tl.full([1, 1], 1, tl.int64) << lg
        h = (first + q) % 2
        src = h * total + row * n
        dst = (1 - h) * total + row * n
        key = tl.load(keys + src + p, mask=m, other=0)
        val = tl.load(vals + src + p, mask=m, other=0)
        start = (p >> lg) << lg
        left = ((p >> lg) & 1) == 0
        ps = tl.where(left, start + L, start - L)
        # Rank in the partner run: left elements count partner keys < key, right ones <= key (stable).
        lo = p * 0 + row * 0
        hi = tl.minimum(tl.maximum(n - ps, 0), L) + lo
        for _ in range(lg + 1):
            go = lo < hi
            mid = (lo + hi) // 2
            c = tl.load(keys + src + ps + mid, mask=m & go, other=0)
            right = go & ((c < key) | (~left & (c == key)))
            lo = tl.where(right, mid + 1, lo)
            hi = tl.where(go & ~right, mid, hi)
        dest = tl.minimum(start, ps) + (p - start) + lo
        tl.store(keys + dst + dest, key, mask=m)
        tl.store(vals + dst + dest, val, mask=m)
        # Rows within one tile run every pass in one launch: the next pass reads what other threads wrote.
        tl.debug_barrier()


@triton.jit
def _take_kernel(out, vals, total, k, n, stride_or, stride_oc, BLOCK: tl.constexpr):
    """out[row, j] = vals[row, j] for j < k, through out's strides.  Grid: (cdiv(total, BLOCK),).
    Pointers: out (rows, k), vals (rows, n) int64 contiguous.  Sizes: total = rows * k, k, n.
    Strides: stride_or, stride_oc (out, elements).  Constexprs: BLOCK elements per program.
    Offsets are int64."""
    e = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    m = e < total
    row = e // k
    j = e - row * k
    v = tl.load(vals + row * n + j, mask=m, other=0)
    tl.store(out + row * stride_or + j * stride_oc, convert(v, out.dtype.element_ty), mask=m)


def _tile(rows, n):
    """(RB, WB, chunks, row groups) of the row-wise kernels."""
    blk = block_for(rows * n, BLOCK)
    wb = min(triton.next_power_of_2(n), blk)
    rb = min(blk // wb, triton.next_power_of_2(rows))
    return rb, wb, cdiv(n, wb), cdiv(rows, rb)


def _flat_grid(total):
    blk = block_for(total, BLOCK)
    return (cdiv(total, blk),), blk


def _sort_rows(keys, vals, rows, n):
    """Stable sort of ``rows`` rows of n (key, value) pairs held in the first half of ``keys``/``vals``
    (2 * rows * n int64 each).  Returns the half (0 or 1) that holds the result."""
    passes = (n - 1).bit_length()
    if passes == 0:
        return 0
    rb, wb, chunks, groups = _tile(rows, n)
    total = rows * n
    if chunks == 1:
        launch(_merge_kernel, (groups,), keys, vals, total, rows, n, 1, 0, 0, passes, RB=rb, WB=wb)
    else:
        for q in range(passes):
            launch(_merge_kernel, (groups * chunks,), keys, vals, total, rows, n, chunks, q, q % 2, 1, RB=rb, WB=wb)
    return passes % 2


def _take(out, vals, half, rows, n, k):
    """out[r, j] = vals[half][r, j] for j < k (converted to out's dtype, through its strides)."""
    so_r, so_c = _strides2(out)
    src = vals.view_as((rows * n,), (1,), vals.offset + half * rows * n)
    grid, blk = _flat_grid(rows * k)
    launch(_take_kernel, grid, out, src, rows * k, k, n, so_r, so_c, BLOCK=blk)


def _strides2(a):
    return (a.strides[0], a.strides[1]) if a.ndim == 2 else (0, a.strides[0])


def multinomial(out, probs, num_samples, replacement, *, seed, offset):
    if probs.size == 0:
        return
    n = probs.shape[-1]
    rows = probs.size // n
    sr, sc = _strides2(probs)
    dev = probs.block.device_index
    flag = new_flag(dev)
    cdf = CudaArray.empty((rows * n if replacement else 1,), F64, dev)
    tot = CudaArray.empty((rows,), F64, dev)
    last = CudaArray.empty((rows,), np.int64, dev)
    rb, wb, chunks, groups = _tile(rows, n)
    launch(_mn_prepare_kernel, (groups,), probs, cdf, tot, last, flag, rows, n, chunks, sr, sc,
           WRITE_CDF=bool(replacement), RB=rb, WB=wb)
    bad = read_flag(flag)
    if bad & 1:
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if bad & 2:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    sl, sh = _halves(seed)
    ol, oh = _halves(offset)
    if replacement:
        so_r, so_c = _strides2(out)
        grid, blk = _flat_grid(rows * num_samples)
        launch(_mn_sample_kernel, grid, out, cdf, tot, last, rows * num_samples, num_samples, n, so_r, so_c,
               n.bit_length() + 1, sl, sh, ol, oh, BLOCK=blk)
        return
    keys = CudaArray.empty((2 * rows * n,), np.int64, dev)
    vals = CudaArray.empty((2 * rows * n,), np.int64, dev)
    grid, blk = _flat_grid(rows * n)
    launch(_race_keys_kernel, grid, keys, vals, probs, rows * n, n, sr, sc, sl, sh, ol, oh, BLOCK=blk)
    _take(out, vals, _sort_rows(keys, vals, rows, n), rows, n, num_samples)


def randperm(out, n, dtype, *, seed, offset):
    if n == 0:
        return
    dev = out.block.device_index
    keys = CudaArray.empty((2 * n,), np.int64, dev)
    vals = CudaArray.empty((2 * n,), np.int64, dev)
    sl, sh = _halves(seed)
    ol, oh = _halves(offset)
    grid, blk = _flat_grid(n)
    launch(_perm_keys_kernel, grid, keys, vals, n, sl, sh, ol, oh, BLOCK=blk)
    _take(out, vals, _sort_rows(keys, vals, 1, n), 1, n, n)


IMPLS = {"uniform": uniform, "normal": normal, "random": random, "randperm": randperm, "bernoulli": bernoulli,
         "multinomial": multinomial, "exponential": exponential, "geometric": geometric, "cauchy": cauchy,
         "log_normal": log_normal, "poisson": poisson}
