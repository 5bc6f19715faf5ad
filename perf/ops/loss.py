"""Loss benchmarks: fused cross-entropy from logits at LLM vocabulary sizes on cuda ((N, V) =
(8192, 32000) and (4096, 128256), fp32 / bf16), smaller on cpu; plus mse_loss as the pointwise reference.

Bytes are the minimal DRAM traffic: cross_entropy forward reads the logits once; forward + backward reads
them twice (forward, then the backward's recompute of softmax) and writes the logits' gradient once
(targets and per-row statistics are negligible).  PyTorch eager also writes and re-reads an (N, V)
log-softmax buffer, which the fused kernel never materialises."""
from perf.cases import Case, rand, randint


def _setup(rows, cols, grad, smoothing):
    def setup(lib, device, dtype):
        return {"x": rand(lib, (rows, cols), device, dtype, seed=1, requires_grad=grad, scale=2.0),
                "t": randint(lib, cols, (rows,), device, seed=2), "ls": smoothing}
    return setup


def _fwd(lib, s):
    lib.nn.functional.cross_entropy(s["x"], s["t"], label_smoothing=s["ls"])


def _fwd_bwd(lib, s):
    x = s["x"]
    lib.nn.functional.cross_entropy(x, s["t"], label_smoothing=s["ls"]).backward()
    x.grad = None


def _mse_setup(n):
    def setup(lib, device, dtype):
        return {"x": rand(lib, (n,), device, dtype, seed=1, requires_grad=True), "y": rand(lib, (n,), device, dtype,
                                                                                           seed=2)}
    return setup


def _mse(lib, s):
    x = s["x"]
    lib.nn.functional.mse_loss(x, s["y"]).backward()
    x.grad = None


def cases(device, quick):
    if quick:
        shapes, dtypes, n = [(8, 100)], ("float32",), 1024
    elif device == "cuda":
        shapes, dtypes, n = [(8192, 32000), (4096, 128256)], ("float32", "bfloat16"), 1 << 26
    else:
        shapes, dtypes, n = [(256, 8192), (32, 32000)], ("float32",), 1 << 20
    out = []
    for rows, cols in shapes:
        for dt in dtypes:
            nb = rows * cols * (2 if dt != "float32" else 4)
            for ls in (0.0, 0.1):
                tag = "" if ls == 0 else " ls=0.1"
                out.append(Case("loss", f"cross_entropy fwd{tag}", f"({rows}, {cols})", dt,
                                _setup(rows, cols, False, ls), _fwd, bytes=nb))
                out.append(Case("loss", f"cross_entropy fwd+bwd{tag}", f"({rows}, {cols})", dt,
                                _setup(rows, cols, True, ls), _fwd_bwd, bytes=3 * nb))
    for dt in dtypes:
        item = 2 if dt != "float32" else 4
        # forward reads x and y; backward reads them again and writes dx
        out.append(Case("loss", "mse_loss fwd+bwd", f"({n},)", dt, _mse_setup(n), _mse, bytes=5 * n * item))
    return out
