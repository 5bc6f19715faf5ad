"""Fused matmul benchmarks: ``F.linear`` at 4096^3 (the issue's matmul target: >= 0.95x cuBLAS in
fp16/bf16) and transformer MLP shapes, (8*2048, 4096) x (4096 -> 11008) with gelu / silu
epilogues and the (11008 -> 4096) down projection with a residual, forward and forward+backward.

The epilogue cases run ``F.fused_linear`` (one kernel) where the library has it (tritorch) and
PyTorch eager's composition ``act(F.linear(x, w, b)) [+ r]`` otherwise, so the ratio measures
what the fusion buys against what a PyTorch user would write.  FLOPs: 2*M*N*K per forward GEMM,
three GEMMs (6*M*N*K) for forward+backward; epilogue FLOPs are not counted.
"""
from perf.cases import Case, rand


def _apply(lib, s, act):
    F = lib.nn.functional
    fused = getattr(F, "fused_linear", None)
    if fused is not None:
        return fused(s["x"], s["w"], s.get("b"), activation=act, residual=s.get("r"))
    y = F.linear(s["x"], s["w"], s.get("b"))
    if act == "gelu":
        y = F.gelu(y)
    elif act == "silu":
        y = F.silu(y)
    return y if s.get("r") is None else y + s["r"]


def _fwd(act):
    def step(lib, s):
        _apply(lib, s, act)
    return step


def _fwd_bwd(act):
    def step(lib, s):
        _apply(lib, s, act).backward(s["g"])
        for k in ("x", "w", "b", "r"):
            if k in s:
                s[k].grad = None
    return step


def _setup(m, k, n, bias, residual, grad):
    def setup(lib, device, dtype):
        scale = k ** -0.5  # keeps activations O(1) so half-precision epilogues stay finite
        s = {"x": rand(lib, (m, k), device, dtype, seed=1, requires_grad=grad),
             "w": rand(lib, (n, k), device, dtype, seed=2, requires_grad=grad, scale=scale)}
        if bias:
            s["b"] = rand(lib, (n,), device, dtype, seed=3, requires_grad=grad)
        if residual:
            s["r"] = rand(lib, (m, n), device, dtype, seed=4, requires_grad=grad)
        if grad:
            s["g"] = rand(lib, (m, n), device, dtype, seed=5)
        return s
    return setup


def cases(device, quick):
    if quick:
        square, mlp, dtypes = 32, (16, 32, 48), ("float32",)
    elif device == "cuda":
        square, mlp, dtypes = 4096, (8 * 2048, 4096, 11008), ("float16", "bfloat16")
    else:
        square, mlp, dtypes = 256, (256, 512, 1024), ("float32",)
    m, d, h = mlp
    specs = [  # (name, M, K, N, bias, activation, residual)
        ("linear", square, square, square, False, None, False),
        ("linear+bias", square, square, square, True, None, False),
        ("mlp up gelu", m, d, h, True, "gelu", False),
        ("mlp up silu", m, d, h, True, "silu", False),
        ("mlp down +residual", m, h, d, True, None, True),
    ]
    out = []
    for name, M, K, N, bias, act, res in specs:
        for dt in dtypes:
            shape = f"({M}, {K}) x ({K} -> {N})"
            flops = 2.0 * M * N * K
            out.append(Case("linear", f"{name} fwd", shape, dt, _setup(M, K, N, bias, res, False), _fwd(act),
                            flops=flops))
            out.append(Case("linear", f"{name} fwd+bwd", shape, dt, _setup(M, K, N, bias, res, True),
                            _fwd_bwd(act), flops=3 * flops))
    if device == "cuda" and not quick:
        # fp32: IEEE by default (CUDA-core FMA), as PyTorch's default "highest" precision.
        out.append(Case("linear", "linear fwd", f"({square}, {square}) x ({square} -> {square})", "float32",
                        _setup(square, square, square, False, None, False), _fwd(None),
                        flops=2.0 * square ** 3))
    return out
