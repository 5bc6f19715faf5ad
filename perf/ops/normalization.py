"""Layer norm / RMS norm benchmarks over the last dim: 4096 x {1024 .. 32768} on cuda.

Bytes are the minimal DRAM traffic: forward reads x and writes y (weight/bias and the saved
statistics are negligible); backward reads x, dy and writes dx (dweight/dbias partials are
negligible)."""
from perf.cases import Case, rand


def _setup(rows, cols, grad, affine_bias):
    def setup(lib, device, dtype):
        s = {"x": rand(lib, (rows, cols), device, dtype, seed=1, requires_grad=grad),
             "w": rand(lib, (cols,), device, dtype, seed=3, requires_grad=grad),
             "b": rand(lib, (cols,), device, dtype, seed=4, requires_grad=grad) if affine_bias else None}
        if grad:
            s["g"] = rand(lib, (rows, cols), device, dtype, seed=2)
        return s
    return setup


def _call(lib, name, s):
    F = lib.nn.functional
    x = s["x"]
    if name == "layer_norm":
        return F.layer_norm(x, (x.shape[-1],), s["w"], s["b"])
    return F.rms_norm(x, (x.shape[-1],), s["w"])


def _fwd(name):
    def step(lib, s):
        _call(lib, name, s)
    return step


def _fwd_bwd(name):
    def step(lib, s):
        _call(lib, name, s).backward(s["g"])
        for k in ("x", "w", "b"):
            if s[k] is not None:
                s[k].grad = None
    return step


def cases(device, quick):
    if quick:
        shapes, dtypes = [(8, 64)], ("float32",)
    elif device == "cuda":
        shapes, dtypes = [(4096, c) for c in (1024, 4096, 16384, 32768)], ("float32", "bfloat16")
    else:
        shapes, dtypes = [(256, 1024), (64, 16384)], ("float32",)
    out = []
    for name in ("layer_norm", "rms_norm"):
        for rows, cols in shapes:
            for dt in dtypes:
                n = rows * cols * (2 if dt != "float32" else 4)
                bias = name == "layer_norm"
                out.append(Case("normalization", f"{name} fwd", f"({rows}, {cols})", dt,
                                _setup(rows, cols, False, bias), _fwd(name), bytes=2 * n))
                out.append(Case("normalization", f"{name} fwd+bwd", f"({rows}, {cols})", dt,
                                _setup(rows, cols, True, bias), _fwd_bwd(name), bytes=5 * n))
    return out
