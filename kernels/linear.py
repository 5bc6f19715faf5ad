"""Triton kernels of the linear family: a GEMM with a fused epilogue, and the activation-gradient
elementwise op its backward uses.

``fused_matmul``: ``y = act(a @ b + bias) + residual`` (``fused_matmul_z`` also stores the
pre-activation ``z = a @ b + bias`` for the backward).  This is tritorch's one GEMM kernel: the
plain ``matmul`` op (`kernels/linalg.py`) launches it with an empty epilogue through ``gemm``.
Algorithm: a tiled GEMM — every operand is read through its strides as (batch0, batch1, rows,
cols), so transposed, sliced and batch-broadcast (stride 0) operands are used in place; one
program computes a BM x BN tile of one batch entry, walking K in BK steps with an fp32 accumulator
(``tl.dot``: mma.sync on sm_80, wgmma on sm_90 for 16-bit inputs; fp32 inputs are IEEE unless the
launcher's ``tf32`` argument is set: the op attr the frontend fills from PyTorch's tf32 switch, so
this file never reads frontend state) and tiles are visited in GROUP_M row groups for L2 reuse.
fp64 and integers take a CUDA-core broadcast-product loop (tensor cores have no fp64 GEMM in
Triton), accumulating in fp64 / int64 / int32 (integer products wrap like PyTorch's).
The epilogue, on the fp32 accumulator: + bias (a length-N vector along the columns, or with
``bias_dim=-2`` a length-M vector along the rows), optional store of z, activation (`_activation`,
the device math library: the same definitions as ``tt.sigmoid`` / ``F.gelu`` ..., so the fused
result equals the activation applied to the plain product bit for bit), + residual (any strides,
broadcast by stride 0), then a single rounding into the output, which may be any strided view.
The host folds the batch into the rows when b is shared by every batch entry, and merges batch
dims that are contiguous in every operand.

Bytes moved per batch entry: (M*K*ceil(N/BN) + K*N*ceil(M/BM)) input items, + N (or M) bias
items, + M*N residual items, M*N output items (2*M*N with z).  FLOPs: 2*K per output element
plus the epilogue's few (gelu ~ 20).

Tiles: autotuned on a GPU (`_autotune.Tuner`: each candidate timed once per bucket = device,
pow2-rounded M, N, K, dtype, which operands are K-contiguous, tf32) over a small list:
128x256x64 / 128x128x64 with 8 warps for Hopper's wgmma, 128x128 / 128x64 / 64x256 / 64x128 /
64x64 with 4 warps for Ampere's mma.sync, narrow tiles for skinny problems (tiles wider than the
problem are dropped); fp32 uses BK=32 (shared-memory budget of 3-4 stages).  Untimed default
(launch recording, TRITORCH_AUTOTUNE=0): the biggest tile still giving >= 64 programs.
Interpreter: one big tile covering the problem where it can (cost is per program), bf16 tiles
widened to fp32 before ``tl.dot`` (the interpreter multiplies bf16 bit patterns).

``fused_matmul_dz``: ``dz = g * act'(z)`` elementwise through the shared generator
(`_elementwise.pointwise`), with the activation family's derivative definitions (`_activation`'s
``*_backward``): 3 items moved per element, ~5-25 FLOPs.  The backward feeds dz to
this same GEMM twice (dA = dz @ b^T, dB = a^T @ dz, transposes through strides).
"""
import itertools

import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray
from ._activation import FORWARD, tanh_backward, sigmoid_backward
from .activation import BACKWARD
from ._autotune import Tuner
from ._dtypes import F16, BF16, F32, compute_tl
from ._elementwise import assign, collapse, broadcast_strides, pointwise
from ._jit import convert, INTERP
from ._launch import launch, cdiv, needs_i64, SIZE_FOR_INTERPRETER

__all__ = ["fused_matmul", "fused_matmul_z", "fused_matmul_dz", "IMPLS"]

_DOT_DTYPES = (F16, BF16, F32)
GROUP_M = 8


@triton.jit
def _fused_matmul_kernel(a, b, c, bias, res, zo, M, N, K, NB1,
                         stride_a0, stride_a1, stride_am, stride_ak,
                         stride_b0, stride_b1, stride_bk, stride_bn,
                         stride_c0, stride_c1, stride_cm, stride_cn,
                         stride_bias,
                         stride_r0, stride_r1, stride_rm, stride_rn,
                         stride_z0, stride_z1, stride_zm, stride_zn,
                         ACT: tl.constexpr, HAS_BIAS: tl.constexpr, BIAS_ROW: tl.constexpr,
                         HAS_RES: tl.constexpr, STORE_Z: tl.constexpr,
                         DOT: tl.constexpr, TF32: tl.constexpr, EVEN_K: tl.constexpr,
                         I64: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr,
                         GROUP_M: tl.constexpr):
    """c = ACT(a @ b + bias) + res (and zo = a @ b + bias), one BM x BN tile of one batch entry per
    program.  Grid: (cdiv(M, BM) * cdiv(N, BN) * NB0 * NB1,).
    Pointers: a (NB0, NB1, M, K), b (NB0, NB1, K, N), c (NB0, NB1, M, N) output, bias (N,) or (M,)
    (BIAS_ROW), res (NB0, NB1, M, N) residual, zo (NB0, NB1, M, N) pre-activation output (absent
    operands: any valid pointer, never read).  Sizes: M, N, K, NB1 (the second batch dim).
    Strides (elements): stride_x0, stride_x1 (batch dims), then row/col strides of a (m, k), b (k, n),
    c, res (stride_r*), zo (stride_z*) (m, n); stride_bias.  Constexprs: ACT the `_activation`
    function, HAS_BIAS, BIAS_ROW, HAS_RES, STORE_Z, DOT (tensor-core tl.dot, else a CUDA-core
    product loop), TF32 (tf32 dots for fp32), EVEN_K (no K mask), I64 int64 offsets, BM x BN x BK
    tile, GROUP_M row-group swizzle."""
    pid = tl.program_id(0)
    grid_m = tl.cdiv(M, BM)
    grid_n = tl.cdiv(N, BN)
    tiles = grid_m * grid_n
    z = pid // tiles
    t = pid % tiles
    width = GROUP_M * grid_n
    first_m = (t // width) * GROUP_M
    group_rows = tl.minimum(grid_m - first_m, GROUP_M)
    pid_m = first_m + (t % width) % group_rows
    pid_n = (t % width) // group_rows
    z0 = z // NB1
    z1 = z % NB1
    rm = pid_m * BM + tl.arange(0, BM)
    rn = pid_n * BN + tl.arange(0, BN)
    rk = tl.arange(0, BK)
    # Rows/cols past the edge re-read valid ones (wrapped), so only K needs load masks.
    ram = rm % M
    rbn = rn % N
    if I64:
        z0 = z0.to(tl.int64)
        z1 = z1.to(tl.int64)
        ram = ram.to(tl.int64)
        rbn = rbn.to(tl.int64)
        rk = rk.to(tl.int64)
    pa = a + (z0 * stride_a0 + z1 * stride_a1) + (ram[:, None] * stride_am + rk[None, :] * stride_ak)
    pb = b + (z0 * stride_b0 + z1 * stride_b1) + (rk[:, None] * stride_bk + rbn[None, :] * stride_bn)
    if DOT:
        acc = tl.zeros([BM, BN], dtype=tl.float32)
    elif a.dtype.element_ty == tl.float64:
        acc = tl.zeros([BM, BN], dtype=tl.float64)
    elif a.dtype.element_ty.primitive_bitwidth == 64:
        acc = tl.zeros([BM, BN], dtype=tl.int64)
    else:
        # Integer products wrap like PyTorch's: modular arithmetic makes int32 accumulation
        # exact for the 8- and 16-bit types once the result is truncated to them.
        acc = tl.zeros([BM, BN], dtype=tl.int32)
    for kk in range(0, tl.cdiv(K, BK)):
        if EVEN_K:
            x = tl.load(pa)
            y = tl.load(pb)
        else:
            left = K - kk * BK
            x = tl.load(pa, mask=rk[None, :] < left, other=0)
            y = tl.load(pb, mask=rk[:, None] < left, other=0)
        if DOT:
            if INTERP:
                if x.dtype == tl.bfloat16:
                    x = convert(x, tl.float32)
                    y = convert(y, tl.float32)
            if TF32:
                acc = tl.dot(x, y, acc, input_precision="tf32")
            else:
                acc = tl.dot(x, y, acc, input_precision="ieee")
        else:
            acc += tl.sum(x.to(acc.dtype)[:, :, None] * y.to(acc.dtype)[None, :, :], axis=1)
        pa += BK * stride_ak
        pb += BK * stride_bk
    if I64:
        rm = rm.to(tl.int64)
        rn = rn.to(tl.int64)
    inside = (rm[:, None] < M) & (rn[None, :] < N)
    if HAS_BIAS:
        if BIAS_ROW:
            bv = convert(tl.load(bias + rm * stride_bias, mask=rm < M, other=0), acc.dtype)
            acc += bv[:, None]
        else:
            bv = convert(tl.load(bias + rn * stride_bias, mask=rn < N, other=0), acc.dtype)
            acc += bv[None, :]
    if STORE_Z:
        pz = zo + (z0 * stride_z0 + z1 * stride_z1) + (rm[:, None] * stride_zm + rn[None, :] * stride_zn)
        tl.store(pz, convert(acc, zo.dtype.element_ty), mask=inside)
    out = ACT(acc)
    if HAS_RES:
        pr = res + (z0 * stride_r0 + z1 * stride_r1) + (rm[:, None] * stride_rm + rn[None, :] * stride_rn)
        out += convert(tl.load(pr, mask=inside, other=0), acc.dtype)
    pc = c + (z0 * stride_c0 + z1 * stride_c1) + (rm[:, None] * stride_cm + rn[None, :] * stride_cn)
    tl.store(pc, convert(out, c.dtype.element_ty), mask=inside)


def _p2(n):
    return triton.next_power_of_2(max(int(n), 1))


# (BM, BN, BK, num_warps, num_stages).  16-bit: wgmma-sized 8-warp tiles for sm_90 first, then
# mma.sync-sized 4-warp tiles (sm_80), then narrow tiles for skinny problems.
_CONFIGS_16 = [(128, 256, 64, 8, 3), (128, 128, 64, 8, 4), (128, 128, 64, 4, 4), (128, 64, 64, 4, 4),
               (64, 256, 32, 4, 4), (64, 128, 64, 4, 4), (64, 64, 64, 4, 4), (32, 64, 64, 4, 4), (16, 64, 128, 4, 4),
               (64, 32, 64, 4, 4), (64, 16, 128, 4, 4)]
_CONFIGS_32 = [(128, 128, 32, 8, 3), (128, 64, 32, 4, 4), (64, 128, 32, 4, 4), (64, 64, 32, 4, 4),
               (32, 64, 32, 4, 4), (16, 64, 64, 4, 3), (64, 16, 64, 4, 3)]


def _candidates(M, N, K, dtype):
    """Configs worth timing for an M x N x K problem: tiles no wider than the (pow2) problem,
    except that the smallest tile always stays."""
    configs = _CONFIGS_32 if dtype == F32 else _CONFIGS_16
    pm, pn = max(_p2(M), 16), max(_p2(N), 16)
    fit = [c for c in configs if c[0] <= pm and c[1] <= pn]
    return fit or [min(configs, key=lambda c: c[0] * c[1])]


def _default(M, N, K, dtype):
    """The untimed config (interpreter, launch recording, TRITORCH_AUTOTUNE=0)."""
    dot = dtype in _DOT_DTYPES
    if SIZE_FOR_INTERPRETER:
        # Few, big programs: cost is per program and per op, not per element.
        bm, bn = min(max(_p2(M), 16), 256), min(max(_p2(N), 16), 256)
        bk = min(max(_p2(K), 16), 256) if dot else min(_p2(K), max(1, (1 << 18) // (bm * bn)))
        return bm, bn, bk, 4, 1
    if not dot:
        # CUDA-core broadcast product: BM*BK*BN values live in registers at once.
        return (16 if M <= 16 else 32), (16 if N <= 16 else 32), 8, 4, 2
    # The biggest tile that still gives enough programs to fill most SMs, else the smallest.
    cands = _candidates(M, N, K, dtype)
    busy = [c for c in cands if cdiv(M, c[0]) * cdiv(N, c[1]) >= 64]
    return busy[0] if busy else min(cands, key=lambda c: c[0] * c[1])


_TUNER = Tuner("fused_matmul")


def _batch_strides(x, batch):
    """``x``'s strides over the broadcast batch dims (0 where ``x`` has no such dim or size 1)."""
    lead = x.ndim - 2
    return [0] * (len(batch) - lead) + [0 if n == 1 else s for n, s in zip(x.shape[:lead], x.strides[:lead])]


def _run(out, zout, a, b, bias, residual, activation, bias_dim, tf32):
    if out.size == 0:
        return
    inputs = [x for x in (a, b, bias, residual) if x is not None]
    outs = [o for o in (out, zout) if o is not None]
    if any(o.block is x.block for o in outs for x in inputs):
        # An output aliasing an input: tiles (and the tuner's repeated launches) must not read
        # what was already written, so compute into temporaries.
        tmp = CudaArray.empty(out.shape, out.dtype, out.block.device_index)
        tmpz = None if zout is None else CudaArray.empty(zout.shape, zout.dtype, zout.block.device_index)
        _run(tmp, tmpz, a, b, bias, residual, activation, bias_dim, tf32)
        assign(out, tmp)
        if zout is not None:
            assign(zout, tmpz)
        return
    M, K = a.shape[-2:]
    N = b.shape[-1]
    nb = out.ndim - 2
    batch = list(out.shape[:nb])
    sa = _batch_strides(a, batch)
    sb = _batch_strides(b, batch)
    sc = list(out.strides)
    sr = broadcast_strides(residual, out.shape) if residual is not None else [0] * out.ndim
    sz = list(zout.strides) if zout is not None else [0] * out.ndim
    mk, kn = list(a.strides[-2:]), list(b.strides[-2:])
    mn = [sc[nb:], sr[nb:], sz[nb:]]
    sc, sr, sz = sc[:nb], sr[:nb], sz[:nb]
    if not any(sb) and not (bias is not None and bias_dim == -2):
        # b is shared by every batch entry: stack the batch into the rows if it lays out like one
        # more row dim in every row-indexed operand.
        rows, (ra, rc, rr, rz) = collapse(batch + [M], [sa + [mk[0]], sc + [mn[0][0]], sr + [mn[1][0]],
                                                        sz + [mn[2][0]]])
        if len(rows) == 1:
            batch, sa, sb, sc, sr, sz = [], [], [], [], [], []
            M, mk[0] = rows[0], ra[0]
            mn[0][0], mn[1][0], mn[2][0] = rc[0], rr[0], rz[0]
    if batch:
        bshape, strides = collapse(batch, [sa, sb, sc, sr, sz])
    else:
        bshape, strides = [1], [[0]] * 5
    _launch_batches(out, zout, a, b, bias, residual, activation, bias_dim, tf32, bshape, strides, M, N, K, mk, kn, mn)


def _launch_batches(out, zout, a, b, bias, res, activation, bias_dim, tf32, bshape, strides, M, N, K, mk, kn, mn):
    # The kernel indexes two batch dims; further leading dims are host launches over views.
    lead = len(bshape) - 2
    arrays = [a, b, out, res, zout]
    if lead <= 0:
        _launch(arrays, bias, activation, bias_dim, tf32, ([1] + bshape)[-2:], [([0] + s)[-2:] for s in strides],
                M, N, K, mk, kn, mn)
        return
    for idx in itertools.product(*[range(n) for n in bshape[:lead]]):
        views = [None if x is None else x.view_as(x.shape, x.strides, x.offset + sum(i * s for i, s in zip(idx, st)))
                 for x, st in zip(arrays, strides)]
        _launch(views, bias, activation, bias_dim, tf32, bshape[lead:], [s[lead:] for s in strides], M, N, K, mk, kn,
                mn)


def _launch(arrays, bias, activation, bias_dim, tf32, bshape, strides, M, N, K, mk, kn, mn):
    a, b, out, res, zout = arrays
    sa, sb, sc, sr, sz = strides
    dtype = a.dtype
    dot = dtype in _DOT_DTYPES
    flags = dict(ACT=FORWARD[activation], HAS_BIAS=bias is not None, BIAS_ROW=bias_dim == -2,
                 HAS_RES=res is not None, STORE_Z=zout is not None, DOT=dot,
                 TF32=bool(tf32) and dtype == F32, GROUP_M=GROUP_M)
    sbias = bias.strides[0] if bias is not None else 0
    outputs = [(bshape + [M, N], sc + mn[0]), (bshape + [M, N], sr + mn[1]) if res is not None else None,
               (bshape + [M, N], sz + mn[2]) if zout is not None else None]

    def run(cfg):
        bm, bn, bk, warps, stages = cfg
        # The K loop's pointers may step up to a tile past K before masking.
        kpad = cdiv(K, bk) * bk
        i64 = needs_i64((bshape + [M, kpad], sa + mk), (bshape + [kpad, N], sb + kn), bias, *outputs)
        grid = (cdiv(M, bm) * cdiv(N, bn) * bshape[0] * bshape[1],)
        launch(_fused_matmul_kernel, grid, a, b, out, bias if bias is not None else out,
               res if res is not None else out, zout if zout is not None else out,
               M, N, K, bshape[1], *sa, *mk, *sb, *kn, *sc, *mn[0], sbias, *sr, *mn[1], *sz, *mn[2],
               EVEN_K=K % bk == 0, I64=i64, BM=bm, BN=bn, BK=bk, num_warps=warps, num_stages=stages,
               **flags)

    default = _default(M, N, K, dtype)
    if not dot:
        run(default)
        return
    # Layout flags: which operands are K-contiguous decides how tiles stream through shared memory.
    dev = out.block.device_index
    key = (dev, _p2(M), _p2(N), _p2(K), dtype.name, mk[1] == 1, kn[1] == 1, flags["TF32"])
    _TUNER.pick(key, _candidates(M, N, K, dtype), run, default, dev)


def gemm(out, a, b, bshape, strides, M, N, K, mk, kn, mn, tf32=False):
    """``out = a @ b`` with no epilogue, for operands the caller already reduced to batch dims
    ``bshape`` (per-operand batch ``strides`` [sa, sb, sc]) over (M, K) x (K, N) matrices with
    row/col strides ``mk``, ``kn``, ``mn``: the plain ``matmul`` op's entry (`kernels/linalg.py`).
    ``tf32``: fp32 products on TF32 tensor cores (the frontend's allow_tf32 / matmul precision)."""
    none = [0] * len(bshape)
    _launch_batches(out, None, a, b, None, None, None, -1, tf32, bshape, list(strides) + [none, none], M, N, K, mk,
                    kn, [mn, [0, 0], [0, 0]])


def fused_matmul(out, a, b, bias, residual, activation=None, bias_dim=-1, tf32=False):
    """``out[...] = act(a @ b + bias) + residual`` (shapes checked by the meta; ``out`` may be a
    strided view: the conv family writes through one).  ``tf32``: fp32 products on TF32 tensor
    cores (the op attr the frontend sets from allow_tf32 / the matmul precision)."""
    _run(out, None, a, b, bias, residual, activation, bias_dim, tf32)


def fused_matmul_z(outs, a, b, bias, residual, activation=None, bias_dim=-1, tf32=False):
    """``fused_matmul`` that also stores the pre-activation ``z = a @ b + bias`` in ``outs[1]``."""
    _run(outs[0], outs[1], a, b, bias, residual, activation, bias_dim, tf32)


# g * act'(x) of the pre-activation x (the generator's operands: g, x): the activation family's
# backward functions (`activation.BACKWARD`), and for tanh / sigmoid (pointwise ops, not activation
# kinds) the device math library's derivatives, wrapped the same way.
@triton.jit
def _dz_tanh(g, x, z, p0, p1, p2):
    return tanh_backward(g, x)


@triton.jit
def _dz_sigmoid(g, x, z, p0, p1, p2):
    return sigmoid_backward(g, x)


_DZ = {"relu": BACKWARD["relu"], "gelu": BACKWARD["gelu"], "gelu_tanh": BACKWARD["gelu_tanh"],
       "silu": BACKWARD["silu"], "tanh": _dz_tanh, "sigmoid": _dz_sigmoid}


def fused_matmul_dz(out, g, z, activation=None):
    """``out[...] = g * act'(z)`` (``g`` itself when there is no activation)."""
    if activation is None:
        assign(out, g)
        return
    pointwise(_DZ[activation], out, [g, z], compute_tl(out.dtype))


IMPLS = {"fused_matmul": fused_matmul, "fused_matmul_z": fused_matmul_z, "fused_matmul_dz": fused_matmul_dz}
