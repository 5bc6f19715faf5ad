"""The op table's building blocks (like PyTorch's OpInfo).

An `OpInfo` names the registry ops it covers, the tritorch callable, a numpy float64
reference, the dtypes it supports and a sample generator.  `tests/test_ops.py` runs
every entry: forward vs reference for every dtype and sample, gradcheck in float64,
and the registry-completeness check.
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import tritorch as tt

FLOATS = (tt.float16, tt.bfloat16, tt.float32, tt.float64)
INTS = (tt.uint8, tt.int8, tt.int16, tt.int32, tt.int64)
ALL = FLOATS + INTS + (tt.bool,)
TOL = {  # (rtol, atol) by dtype: half types round once at the end.
    tt.float16: (1e-2, 1e-2), tt.bfloat16: (2e-2, 2e-2), tt.float32: (1e-5, 1e-5), tt.float64: (1e-10, 1e-10),
}


@dataclass
class Sample:
    """Positional args (Tensors, or numpy arrays turned into tensors) and kwargs of one call."""
    args: tuple
    kwargs: dict = field(default_factory=dict)
    name: str = ""


@dataclass
class OpInfo:
    name: str                      # test id
    fn: Callable                   # tritorch callable: fn(*args, **kwargs)
    ref: Callable                  # numpy reference on float64/int arrays: ref(*args, **kwargs)
    samples: Callable              # samples(dtype, device) -> list[Sample]
    dtypes: tuple = FLOATS
    covers: tuple = ()             # registry op names exercised (default: (name,))
    grad: bool = True              # gradcheck in float64 over the float tensor args
    grad_args: tuple = None        # indices of args to differentiate (default: all float tensors)
    tol: dict = None               # per-dtype (rtol, atol) override
    compare: Callable = None       # custom comparison(out, expected, dtype) instead of allclose

    def __post_init__(self):
        if not self.covers:
            self.covers = (self.name,)

    def __repr__(self):
        return self.name


_rng = np.random.default_rng(1234)


def make(shape, dtype, device="cpu", low=-3.0, high=3.0, noncontig=False, rng=None):
    """A random tensor of ``shape``/``dtype``; ``noncontig`` returns a strided view with the same values."""
    rng = rng or _rng
    if dtype is tt.bool:
        a = rng.random(shape) > 0.5
    elif dtype.is_floating_point:
        a = rng.uniform(low, high, size=shape)
    else:
        lo = max(int(low), 0) if dtype is tt.uint8 else int(low)
        a = rng.integers(lo, max(int(high), lo + 1), size=shape)
    a = np.asarray(a)
    if noncontig and len(shape) >= 1:
        big = np.zeros(tuple(s * 2 if i == len(shape) - 1 else s for i, s in enumerate(shape)) or (2,),
                       dtype=np.float64 if a.dtype.kind == "f" else a.dtype)
        big[..., ::2] = a
        t = tt.slice_dim(tt.tensor(big, dtype=dtype, device=device), -1, 0, None, 2)
        assert not t.is_contiguous() or t.numel() <= 1
        return t
    return tt.tensor(a, dtype=dtype, device=device)


def to_ref(x):
    """tritorch tensor -> numpy (float64 for floats) for the reference; other values pass through."""
    if isinstance(x, tt.Tensor):
        a = x.detach().cpu().numpy()
        return a.astype(np.float64) if x.dtype.is_floating_point else a.copy()
    if isinstance(x, (list, tuple)):
        return type(x)(to_ref(v) for v in x)
    return x


def assert_close(out, expected, dtype, tol=None):
    """Compare a tritorch result (tensor or tuple) with a numpy reference."""
    if isinstance(out, (tuple, list)):
        assert isinstance(expected, (tuple, list)) and len(out) == len(expected), (out, expected)
        for o, e in zip(out, expected):
            assert_close(o, e, dtype, tol)
        return
    got = to_ref(out)
    exp = np.asarray(expected)
    assert tuple(got.shape) == tuple(exp.shape), f"shape {got.shape} != expected {exp.shape}"
    rtol, atol = (tol or TOL).get(out.dtype, TOL.get(dtype, (0, 0))) if out.dtype.is_floating_point else (0, 0)
    if out.dtype.is_floating_point:
        np.testing.assert_allclose(got, exp.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, exp)
