"""Reduction benchmarks: sum over everything, over rows and over columns, and max over rows;
numpy runs the same reductions on cpu.  Bytes: the input read once."""

from perf.cases import Case, rand, np_rand

_OPS = [
    ("sum (all)", lambda lib, x: x.sum()),
    ("sum (dim=-1)", lambda lib, x: x.sum(-1)),
    ("sum (dim=0)", lambda lib, x: x.sum(0)),
    ("amax (dim=-1)", lambda lib, x: x.amax(-1)),
]


def _np_fn(name):
    return {"sum (all)": lambda x: x.sum(), "sum (dim=-1)": lambda x: x.sum(-1), "sum (dim=0)": lambda x: x.sum(0),
            "amax (dim=-1)": lambda x: x.max(-1)}[name]


def _np(shape, name):
    def build(dtype):
        x = np_rand(shape, dtype, seed=1)
        f = _np_fn(name)
        return lambda: f(x)
    return build


def _setup(shape):
    return lambda lib, device, dtype: rand(lib, shape, device, dtype, seed=1)


def cases(device, quick):
    if quick:
        shapes, dtypes = [(32, 32)], ("float32",)
    elif device == "cuda":
        shapes, dtypes = [(8192, 8192), (1 << 16, 1024)], ("float32", "bfloat16")
    else:
        shapes, dtypes = [(1024, 1024), (4096, 256)], ("float32",)
    out = []
    for name, fn in _OPS:
        for shape in shapes:
            for dt in dtypes:
                n = shape[0] * shape[1] * (4 if dt == "float32" else 2)
                out.append(Case("reduction", name, str(shape), dt, _setup(shape), fn,
                                bytes=n, numpy=_np(shape, name) if dt == "float32" else None))
    return out
