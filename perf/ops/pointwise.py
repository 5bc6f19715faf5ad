"""Elementwise benchmarks: add, mul, a fused-by-nothing chain (x * y + z).tanh() and a
broadcast add, at several sizes; numpy runs the same expressions on cpu.

Bytes: every operand read once and the result written once (the ideal for one kernel per op;
the chain counts each intermediate, as eager frameworks move them)."""
import numpy as np

from perf.cases import Case, rand, np_rand


def _setup(n, k):
    def setup(lib, device, dtype):
        return [rand(lib, (n,), device, dtype, seed=i) for i in range(k)]
    return setup


def _np(n, k, fn):
    def build(dtype):
        xs = [np_rand((n,), dtype, seed=i) for i in range(k)]
        return lambda: fn(np, *xs)
    return build


_OPS = [
    ("add", 2, lambda lib, a, b: a + b, 3),
    ("mul", 2, lambda lib, a, b: a * b, 3),
    ("(x * y + z).tanh()", 3, lambda lib, a, b, c: lib.tanh(a * b + c), 9),
    ("exp", 1, lambda lib, a: lib.exp(a), 2),
]


def _step(fn):
    return lambda lib, s: fn(lib, *s)


def cases(device, quick):
    if quick:
        sizes, dtypes = [1 << 10], ("float32",)
    elif device == "cuda":
        sizes, dtypes = [1 << 20, 1 << 24, 1 << 26], ("float32", "bfloat16")
    else:
        sizes, dtypes = [1 << 16, 1 << 20, 1 << 22], ("float32",)
    out = []
    for name, k, fn, passes in _OPS:
        for n in sizes:
            for dt in dtypes:
                item = 4 if dt == "float32" else 2
                out.append(Case("pointwise", name, f"({n},)", dt, _setup(n, k), _step(fn),
                                bytes=passes * n * item, numpy=_np(n, k, fn)))
    return out
