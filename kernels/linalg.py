"""The matrix-product op ``matmul`` (torch.matmul semantics): host-side shape handling in front
of the one GEMM kernel, `kernels/linear.py`'s fused GEMM with an empty epilogue (so every
product shares its tiles, its autotuner and its fp64 / integer CUDA-core path).

Every operand is viewed as (batch..., rows, cols) through its strides: a 1-D operand becomes a
one-row (or one-column) matrix with stride 0 on the missing dim, broadcast batch dims get
stride 0, and transposed or sliced operands are read in place, so nothing is copied before the
launch.  The host folds the batch into the rows when B is broadcast over it
(``(b, n, k) @ (k, m)`` is one (b*n, k) @ (k, m) GEMM) and merges batch dims that are
contiguous in every operand.  Integer products wrap like PyTorch's.  Bytes moved and FLOPs are
the GEMM's (see `kernels/linear.py`).  An ``out`` sharing memory with an operand gets the
product via a temporary.
"""
from tritorch.cuda.array import CudaArray
from . import linear
from ._elementwise import assign, collapse

__all__ = ["matmul", "IMPLS"]


def matmul(out, a, b, tf32=False):
    """``out[...] = a @ b`` with torch.matmul's shape rules (out is shaped by the meta); ``tf32``:
    float32 products on TF32 tensor cores (the op attribute the frontend sets from its switch).

    ``out`` may be a strided view; if it shares memory with an operand the product goes
    through a temporary so no tile reads a value another tile already overwrote.
    """
    if out.size == 0:
        return
    if out.block is a.block or out.block is b.block:
        tmp = CudaArray.empty(out.shape, out.dtype, out.block.device_index)
        matmul(tmp, a, b, tf32)
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
    linear.gemm(out, a, b, bshape, [sa, sb, sc], M, N, K, [sam, sak], [sbk, sbn], [scm, scn], tf32=tf32)


def _batch_strides(x, batch):
    """``x``'s strides over the broadcast batch dims (0 where ``x`` has no such dim or size 1)."""
    lead = x.ndim - 2 if x.ndim > 2 else 0
    return [0] * (len(batch) - lead) + [0 if n == 1 else s for n, s in zip(x.shape[:lead], x.strides[:lead])]


IMPLS = {"matmul": matmul}
