"""Activation and dropout benchmarks: 2^26 elements (8192 x 8192) on cuda, 2^19 on cpu.

Bytes are the minimal DRAM traffic per step: an activation forward reads x and writes y (2 items
per element); forward + backward adds reading dy and x and writing dx (5 in all).  Dropout
forward + backward reads x, writes y, reads dy, writes dx (4 items: tritorch regenerates the mask,
PyTorch also writes and reads a one-byte mask per element)."""
from perf.cases import Case, rand


def _fwd(name, kw):
    def step(lib, s):
        getattr(lib.nn.functional, name)(s["x"], **kw)
    return step


def _fwd_bwd(name, kw):
    def step(lib, s):
        x = s["x"]
        getattr(lib.nn.functional, name)(x, **kw).backward(s["g"])
        x.grad = None
    return step


def _setup(shape, grad):
    def setup(lib, device, dtype):
        s = {"x": rand(lib, shape, device, dtype, seed=1, requires_grad=grad, scale=2.0)}
        if grad:
            s["g"] = rand(lib, shape, device, dtype, seed=2)
        return s
    return setup


def cases(device, quick):
    if quick:
        shape, dtypes = (8, 64), ("float32",)
    elif device == "cuda":
        shape, dtypes = (8192, 8192), ("float32", "bfloat16")
    else:
        shape, dtypes = (512, 1024), ("float32",)
    n = shape[0] * shape[1]
    out = []
    for label, name, kw in (("gelu", "gelu", {}), ("gelu tanh", "gelu", {"approximate": "tanh"}),
                            ("silu", "silu", {})):
        for dt in dtypes:
            item = 2 if dt != "float32" else 4
            out.append(Case("activation", f"{label} fwd", str(shape), dt, _setup(shape, False), _fwd(name, kw),
                            bytes=2 * n * item))
            out.append(Case("activation", f"{label} fwd+bwd", str(shape), dt, _setup(shape, True),
                            _fwd_bwd(name, kw), bytes=5 * n * item))
    for dt in dtypes:
        item = 2 if dt != "float32" else 4
        out.append(Case("activation", "dropout(p=0.5) fwd", str(shape), dt, _setup(shape, False),
                        _fwd("dropout", {"p": 0.5}), bytes=2 * n * item))
        out.append(Case("activation", "dropout(p=0.5) fwd+bwd", str(shape), dt, _setup(shape, True),
                        _fwd_bwd("dropout", {"p": 0.5}), bytes=4 * n * item))
    return out
