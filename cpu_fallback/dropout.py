"""numpy impl of ``dropout(x, p; seed, offset)``: x * keep / (1 - p).

keep = (u >= round(p * 2**32)) for 32-bit random words u: the raw output of numpy's Philox-4x64
keyed by the seed with its counter at ``offset << 128`` (the random ops' streams, see
`random._rng`), each 64-bit word split into two, one per element in row-major order of x's
logical shape, so the backward (the same op on the gradient) regenerates the same mask.  Raw
words rather than float uniforms: a third of the generator's time.  Dropped elements are x * 0
(NaN / inf give NaN, as PyTorch).  Half types compute in float32 and round once.
"""
import numpy as np

from .pointwise_unary import compute_dtype
from ._select import where


def dropout(out, x, p, *, seed, offset):
    n = out.size
    if n == 0:
        return
    ct = compute_dtype(out.dtype)
    words = np.random.Philox(key=seed, counter=offset << 128).random_raw((n + 1) // 2).view(np.uint32)[:n]
    keep = (words >= np.uint32(min(round(p * 2.0**32), 2**32 - 1))).reshape(out.shape)
    one = ct.type(1)
    scale = one / (one - ct.type(p))  # in the compute dtype, as the kernel
    with np.errstate(invalid="ignore"):
        r = np.asarray(x).astype(ct, copy=False) * where(keep, scale, ct.type(0))
    np.copyto(out, r, casting="unsafe")


IMPLS = {"dropout": dropout}
