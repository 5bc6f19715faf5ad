"""Triton kernels: the registry's implementations for device type ``cuda``.

One module per op family, mirroring `tritorch.cpu_fallback` file for file; each exposes
``IMPLS = {op_name: impl}`` with the same impl contract (fill registry-allocated outputs).
``ARRAY`` is None when no cuda device is available (no GPU and no ``TRITON_INTERPRET=1``),
which the registry reports as a clear error.
"""
import os

# Triton 3.9 warns until this is set; tritorch keeps FP fusion (FMA contraction) on, like
# PyTorch's own CUDA kernels.
os.environ.setdefault("TRITON_DEFAULT_FP_FUSION", "1")

import warnings  # noqa: E402

from tritorch.cuda import _runtime  # noqa: E402

# The interpreter evaluates masked-off lanes too (exp of garbage, 0/0, ...); numpy's warnings
# about them are noise, as the cpu fallback's are.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"triton\.runtime\.interpreter")

from . import _array  # noqa: E402
from . import (creation, pointwise, reduction, sort, indexing, joining, linalg, random, softmax, normalization)  # noqa: E402
from . import (linear, conv, pooling, loss, activation, dropout, attention, batch_norm, sparse, distance,  # noqa: E402
               padding, upsampling, optim, grid_sample, ctc_loss, rnn)

# Families whose module aggregates a sibling (pointwise <- pointwise_unary, reduction <-
# reduction_stats, indexing <- gather_scatter) export the merged table, as in cpu_fallback.
_FAMILIES = (creation, pointwise, reduction, sort, indexing, joining, linalg, random, softmax, normalization,
             linear, conv, pooling, loss, activation, dropout, attention, batch_norm, sparse, distance, padding,
             upsampling, optim, grid_sample, ctc_loss, rnn)
IMPLS = {}
for _mod in _FAMILIES:
    for _name, _fn in _mod.IMPLS.items():
        if _name in IMPLS:
            raise RuntimeError(f"kernels: op '{_name}' implemented twice")
        IMPLS[_name] = _fn

ARRAY = _array.ARRAY if _runtime.mode() is not None else None
UNAVAILABLE = (_runtime.unavailable_reason() +
               "; set TRITON_INTERPRET=1 to run the cuda device in Triton's interpreter")
