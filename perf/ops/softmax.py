"""Softmax / log-softmax benchmarks: rows of 4096 x {1024 .. 32768} on cuda (the issue's sizes).

Bytes are the minimal DRAM traffic: forward reads x and writes y; backward reads y and dy and
writes dx."""
from perf.cases import Case, rand


def _fwd(name):
    def step(lib, s):
        getattr(lib.nn.functional, name)(s["x"], dim=-1)
    return step


def _fwd_bwd(name):
    def step(lib, s):
        x = s["x"]
        getattr(lib.nn.functional, name)(x, dim=-1).backward(s["g"])
        x.grad = None
    return step


def _setup(rows, cols, grad):
    def setup(lib, device, dtype):
        s = {"x": rand(lib, (rows, cols), device, dtype, seed=1, requires_grad=grad, scale=4.0)}
        if grad:
            s["g"] = rand(lib, (rows, cols), device, dtype, seed=2)
        return s
    return setup


def cases(device, quick):
    if quick:
        shapes, dtypes = [(8, 64)], ("float32",)
    elif device == "cuda":
        shapes, dtypes = [(4096, c) for c in (1024, 4096, 16384, 32768)], ("float32", "bfloat16")
    else:
        shapes, dtypes = [(256, 1024), (64, 16384)], ("float32",)
    out = []
    for name in ("softmax", "log_softmax"):
        for rows, cols in shapes:
            for dt in dtypes:
                item = 2 if dt != "float32" else 4
                n = rows * cols * item
                out.append(Case("softmax", f"{name} fwd", f"({rows}, {cols})", dt, _setup(rows, cols, False),
                                _fwd(name), bytes=2 * n))
                out.append(Case("softmax", f"{name} fwd+bwd", f"({rows}, {cols})", dt, _setup(rows, cols, True),
                                _fwd_bwd(name), bytes=5 * n))
    return out
