"""numpy implementations of every registry op (device type ``cpu``).

Pure numpy/ml_dtypes: this package never imports tritorch, Triton or torch.  The
registry loads ``IMPLS`` (op name -> impl) and ``ARRAY`` (the raw-array API).
"""
import warnings

from . import _malloc
from . import _array, creation, pointwise, reduction, sort, indexing, joining, linalg, random, softmax, normalization
from . import (linear, conv, pooling, loss, activation, dropout, attention, batch_norm, sparse, distance, padding,
               upsampling, optim, grid_sample, ctc_loss, rnn)

ARRAY = _array.ARRAY
MALLOC_TUNING = _malloc.tune()
UNAVAILABLE = ""
IMPLS = {}
for _mod in (creation, pointwise, reduction, sort, indexing, joining, linalg, random, softmax, normalization,
             linear, conv, pooling, loss, activation, dropout, attention, batch_norm, sparse, distance, padding, upsampling,
             optim, grid_sample, ctc_loss, rnn):
    for _name, _fn in _mod.IMPLS.items():
        if _name in IMPLS:
            raise RuntimeError(f"cpu_fallback: op '{_name}' implemented twice")
        IMPLS[_name] = _fn

# Overflow to inf, 0/0 -> nan etc. are results, not errors, as in PyTorch: keep numpy quiet
# about them without touching the user's global numpy error state.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"tritorch\.cpu_fallback")
