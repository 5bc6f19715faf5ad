"""Op benchmark definitions: one definition runs unchanged on tritorch and on PyTorch.

A family module `perf/ops/<family>.py` exposes ``cases(device, quick) -> [Case]``.  ``setup`` and
``step`` receive the framework module (``tritorch`` or ``torch``) as ``lib`` and use only the API
the two share (``lib.nn.functional.*``, tensor methods), so both frameworks run the same code on
the same data.  Sizes depend on the device: "cuda" sizes fill an H100, "cpu" sizes keep a
single-threaded run short, ``quick`` sizes only check that a case runs.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Case", "rand", "np_rand", "randint", "DTYPES"]

DTYPES = ("float32", "float16", "bfloat16")


@dataclass(frozen=True)
class Case:
    """One timed step.  ``setup(lib, device, dtype) -> state`` builds the inputs (not timed);
    ``step(lib, state)`` is one timed call (a forward, or forward + backward).  ``flops`` and
    ``bytes`` are per step (the minimal DRAM traffic), giving TFLOP/s and GB/s; 0 = not meaningful.
    ``numpy(dtype) -> fn``, where given, builds the same computation in plain numpy on identical
    data (the cpu baseline for ops numpy has)."""
    family: str
    name: str
    shape: str
    dtype: str
    setup: Callable
    step: Callable
    flops: float = 0.0
    bytes: float = 0.0
    numpy: Callable = None


def _dtype(lib, name):
    return getattr(lib, name)


def rand(lib, shape, device, dtype, seed=0, requires_grad=False, scale=1.0):
    """A standard-normal tensor (never zeros) of ``shape`` from a seeded numpy generator, identical
    for every framework."""
    a = (np.random.default_rng(seed).standard_normal(shape, dtype=np.float32) * scale)
    t = lib.tensor(a, device=device).to(_dtype(lib, dtype))
    return t.requires_grad_(True) if requires_grad else t


def np_rand(shape, dtype, seed=0, scale=1.0):
    """The numpy array ``rand`` builds (same seed, same values)."""
    a = np.random.default_rng(seed).standard_normal(shape, dtype=np.float32) * scale
    if dtype == "bfloat16":
        import ml_dtypes
        return a.astype(ml_dtypes.bfloat16)
    return a.astype(dtype)


def randint(lib, high, shape, device, seed=0):
    """An int64 tensor of integers in [0, high) from a seeded numpy generator."""
    a = np.random.default_rng(seed).integers(0, high, shape, dtype=np.int64)
    return lib.tensor(a, device=device)
