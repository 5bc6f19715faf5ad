"""Triton kernel of the one matrix-product op, ``matmul`` (torch.matmul semantics).

Algorithm: a tiled GEMM.  Every operand is viewed as (batch0, batch1, rows, cols) through its
strides — a 1-D operand becomes a one-row (or one-column) matrix with stride 0 on the missing
dim, broadcast batch dims get stride 0, and transposed or sliced operands are read in place, so
nothing is copied before the launch.  One program computes a BM x BN tile of one batch entry:
it walks K in BK steps, loading a BM x BK tile of A and a BK x BN tile of B and accumulating
into registers, then rounds once into the output dtype.  Tiles are visited in groups of
GROUP_M row-tiles so neighbouring programs share B tiles in L2.  The host folds the batch into
the rows when B is broadcast over it (``(b, n, k) @ (k, m)`` is one (b*n, k) @ (k, m) GEMM)
and merges batch dims that are contiguous in every operand; more than two batch dims that
cannot merge are split into one launch per leading index.

Two inner products:
  * fp16 / bf16 / fp32: ``tl.dot`` with an fp32 accumulator (mma.sync on sm_80, wgmma on
    sm_90 for 16-bit inputs).  fp32 inputs are multiplied in full IEEE precision unless
    PyTorch's tf32 switch is on (``tritorch.backends.cuda.matmul.allow_tf32`` or
    ``set_float32_matmul_precision("high"/"medium")``, read per call), which puts them on the
    tensor cores too.
  * fp64 and integers: tensor cores take neither, so a BM x BK x BN broadcast product summed
    over K runs on the CUDA cores, accumulating in fp64 / int64 / int32.  Integer products
    wrap like PyTorch's: modular arithmetic makes int32 accumulation exact for the 8- and
    16-bit types once the result is truncated to them.

Bytes moved: (M*K*ceil(N/BN) + K*N*ceil(M/BM)) input items plus M*N output items per batch
entry; FLOPs: 2*K per output element.  Nothing else is fused (the fused-epilogue matmul is
separate work).  An ``out`` sharing memory with an operand gets the product via a temporary.

Interpreter: one program costs ~5 ms, so tiles grow to cover the whole problem where they can;
bf16 tiles are widened to fp32 before ``tl.dot`` (the interpreter multiplies bf16 bit
patterns), and fp32 ``tl.dot`` is exact IEEE there whatever the tf32 switch says.
"""
import itertools

import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray
from tritorch.backends import _precision
from ._dtypes import F16, BF16, F32
from ._elementwise import assign, collapse
from ._jit import convert, INTERP
from ._launch import launch, cdiv, SIZE_FOR_INTERPRETER

__all__ = ["matmul", "IMPLS"]

_DOT_DTYPES = (F16, BF16, F32)
GROUP_M = 8


@triton.jit
def _matmul_kernel(a, b, c, M, N, K, NB1,
                   sa0, sa1, sam, sak,
                   sb0, sb1, sbk, sbn,
                   sc0, sc1, scm, scn,
                   DOT: tl.constexpr, TF32: tl.constexpr, EVEN_K: tl.constexpr,
                   I64: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr,
                   GROUP_M: tl.constexpr):
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
    pa = a + (z0 * sa0 + z1 * sa1) + (ram[:, None] * sam + rk[None, :] * sak)
    pb = b + (z0 * sb0 + z1 * sb1) + (rk[:, None] * sbk + rbn[None, :] * sbn)
    if DOT:
        acc = tl.zeros([BM, BN], dtype=tl.float32)
    elif a.dtype.element_ty == tl.float64:
        acc = tl.zeros([BM, BN], dtype=tl.float64)
    elif a.dtype.element_ty.primitive_bitwidth == 64:
        acc = tl.zeros([BM, BN], dtype=tl.int64)
    else:
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
        pa += BK * sak
        pb += BK * sbk
    if I64:
        rm = rm.to(tl.int64)
        rn = rn.to(tl.int64)
    pc = c + (z0 * sc0 + z1 * sc1) + (rm[:, None] * scm + rn[None, :] * scn)
    tl.store(pc, convert(acc, c.dtype.element_ty), mask=(rm[:, None] < M) & (rn[None, :] < N))


def _p2(n):
    return triton.next_power_of_2(max(int(n), 1))


def _config(M, N, K, dtype):
    """(BM, BN, BK, num_warps, num_stages) for one problem shape and input dtype."""
    dot = dtype in _DOT_DTYPES
    if SIZE_FOR_INTERPRETER:
        # Few, big programs: cost is per program and per op, not per element.
        bm = min(max(_p2(M), 16), 256)
        bn = min(max(_p2(N), 16), 256)
        if dot:
            bk = min(max(_p2(K), 16), 256)
        else:
            bk = min(_p2(K), max(1, (1 << 18) // (bm * bn)))
        return bm, bn, bk, 4, 1
    if not dot:
        # CUDA-core broadcast product: BM*BK*BN values live in registers at once.
        return (16 if M <= 16 else 32), (16 if N <= 16 else 32), 8, 4, 2
    bk = 32 if dtype == F32 else 64  # 3 stages of 128x32 fp32 tiles fit sm_80's shared memory
    if M >= 256 and N >= 256:
        return 128, 128, bk, 8, 3
    bm = 16 if M <= 16 else 32 if M <= 32 else 64
    bn = 16 if N <= 16 else 32 if N <= 32 else 64
    return bm, bn, bk, 4, 3


def _span(sizes, strides):
    return sum((n - 1) * abs(s) for n, s in zip(sizes, strides) if n > 0)


def matmul(out, a, b):
    """``out[...] = a @ b`` with torch.matmul's shape rules (out is shaped by the meta).

    ``out`` may be a strided view; if it shares memory with an operand the product goes
    through a temporary so no tile reads a value another tile already overwrote.
    """
    if out.size == 0:
        return
    if out.block is a.block or out.block is b.block:
        tmp = CudaArray.empty(out.shape, out.dtype, out.block.device_index)
        matmul(tmp, a, b)
        assign(out, tmp)
        return
    # Rows/cols of each operand; a 1-D operand is one row of A or one column of B.
    if a.ndim == 1:
        M, K = 1, a.shape[0]
        sam, sak = 0, a.strides[0]
    else:
        M, K = a.shape[-2:]
        sam, sak = a.strides[-2:]
    if b.ndim == 1:
        N = 1
        sbk, sbn = b.strides[0], 0
    else:
        N = b.shape[-1]
        sbk, sbn = b.strides[-2:]
    nb = out.ndim - (a.ndim > 1) - (b.ndim > 1)
    batch = list(out.shape[:nb])
    scm = out.strides[nb] if a.ndim > 1 else 0
    scn = out.strides[-1] if b.ndim > 1 else 0
    sa = _batch_strides(a, batch)
    sb = _batch_strides(b, batch)
    sc = list(out.strides[:nb])
    if not any(sb):
        # B is shared by every batch entry: stack the batch into A's and C's rows if it lays out
        # like one more row dim in both.
        rows, (ra, rc) = collapse(batch + [M], [sa + [sam], sc + [scm]])
        if len(rows) == 1:
            batch, sa, sb, sc = [], [], [], []
            M, sam, scm = rows[0], ra[0], rc[0]
    bshape, (sa, sb, sc) = collapse(batch, [sa, sb, sc]) if batch else ([1], [[0], [0], [0]])
    _launch_batches(out, a, b, bshape, sa, sb, sc, M, N, K, (sam, sak), (sbk, sbn), (scm, scn))


def _batch_strides(x, batch):
    """``x``'s strides over the broadcast batch dims (0 where ``x`` has no such dim or size 1)."""
    lead = x.ndim - 2 if x.ndim > 2 else 0
    return [0] * (len(batch) - lead) + [0 if n == 1 else s for n, s in zip(x.shape[:lead], x.strides[:lead])]


def _launch_batches(out, a, b, bshape, sa, sb, sc, M, N, K, a_mk, b_kn, c_mn):
    # The kernel indexes two batch dims; further leading dims are host launches over views.
    lead = len(bshape) - 2
    if lead <= 0:
        _launch(out, a, b, ([1] + bshape)[-2:], ([0] + sa)[-2:], ([0] + sb)[-2:], ([0] + sc)[-2:],
                M, N, K, a_mk, b_kn, c_mn)
        return
    for idx in itertools.product(*[range(n) for n in bshape[:lead]]):
        def at(x, st):
            return x.view_as(x.shape, x.strides, x.offset + sum(i * s for i, s in zip(idx, st)))
        _launch(at(out, sc), at(a, sa), at(b, sb), bshape[lead:], sa[lead:], sb[lead:], sc[lead:],
                M, N, K, a_mk, b_kn, c_mn)


def _launch(out, a, b, bshape, sa, sb, sc, M, N, K, a_mk, b_kn, c_mn):
    bm, bn, bk, warps, stages = _config(M, N, K, a.dtype)
    kpad = cdiv(K, bk) * bk
    i64 = max(_span(bshape + [M, kpad], sa + list(a_mk)), _span(bshape + [kpad, N], sb + list(b_kn)),
              _span(bshape + [M, N], sc + list(c_mn))) >= 2**31
    grid = (cdiv(M, bm) * cdiv(N, bn) * bshape[0] * bshape[1],)
    launch(_matmul_kernel, grid, a, b, out, M, N, K, bshape[1],
           *sa, *a_mk, *sb, *b_kn, *sc, *c_mn,
           DOT=a.dtype in _DOT_DTYPES, TF32=_precision.TF32 and a.dtype == F32,
           EVEN_K=K % bk == 0, I64=i64, BM=bm, BN=bn, BK=bk, GROUP_M=GROUP_M,
           num_warps=warps, num_stages=stages)


IMPLS = {"matmul": matmul}
