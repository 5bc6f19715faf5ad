"""numpy impl of the one matrix-product op, ``matmul`` (torch.matmul semantics).

numpy's ``matmul`` has exactly PyTorch's rules (1-D operands prepend/append a dim that is
removed again, batch dims broadcast), so the impl is one call.  Half types compute in
float32 and round once; integer products wrap like PyTorch's (modular arithmetic makes
the accumulation width irrelevant).
"""
import numpy as np

from .pointwise import compute_dtype, _up


def matmul(out, a, b, tf32=False):
    """``out[...] = a @ b``; ``tf32`` (the cuda kernels' TF32 choice) is accepted and ignored: the
    cpu computes IEEE fp32."""
    ct = compute_dtype(out.dtype)
    if ct == out.dtype and a.dtype == out.dtype and b.dtype == out.dtype and a.ndim > 1 and b.ndim > 1:
        np.matmul(a, b, out=out)  # straight into the registry's buffer
        return
    r = np.matmul(_up(a), _up(b))
    np.copyto(out, r, casting="unsafe")


IMPLS = {"matmul": matmul}
