"""scaled_dot_product_attention benchmarks: (B, H, L, D) = (8, 16, {1024 .. 8192}, {64, 128}) on cuda
(the issue's sizes), fp16/bf16, forward and forward+backward, causal and not.

FLOPs: 4*B*H*L*L*D for the forward (two GEMMs), halved when causal; the backward is counted as 2.5x
the forward (five GEMMs, P recomputed), so forward+backward is 3.5x.  Bytes are the minimal DRAM
traffic: forward reads q, k, v and writes out; backward also reads q, k, v, out, dout and writes
dq, dk, dv (the lse/delta rows are negligible)."""
from perf.cases import Case, rand


def _fwd(causal):
    def step(lib, s):
        lib.nn.functional.scaled_dot_product_attention(s["q"], s["k"], s["v"], is_causal=causal)
    return step


def _fwd_bwd(causal):
    def step(lib, s):
        q, k, v = s["q"], s["k"], s["v"]
        lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal).backward(s["g"])
        q.grad = k.grad = v.grad = None
    return step


def _setup(shape, grad):
    def setup(lib, device, dtype):
        s = {n: rand(lib, shape, device, dtype, seed=i, requires_grad=grad) for i, n in enumerate("qkv")}
        if grad:
            s["g"] = rand(lib, shape, device, dtype, seed=3)
        return s
    return setup


def cases(device, quick):
    if quick:
        shapes, dtypes = [(1, 2, 64, 32)], ("float32",)
    elif device == "cuda":
        shapes = [(8, 16, L, D) for D in (64, 128) for L in (1024, 2048, 4096, 8192)]
        dtypes = ("float16", "bfloat16")
    else:
        shapes, dtypes = [(1, 4, 256, 64), (1, 2, 512, 64)], ("float32",)
    out = []
    for B, H, L, D in shapes:
        for dt in dtypes:
            item = 4 if dt == "float32" else 2
            io = B * H * L * D * item
            for causal in (False, True):
                fl = 4 * B * H * L * L * D / (2 if causal else 1)
                tag = " causal" if causal else ""
                out.append(Case("attention", f"sdpa fwd{tag}", f"({B}, {H}, {L}, {D})", dt,
                                _setup((B, H, L, D), False), _fwd(causal), flops=fl, bytes=4 * io))
                out.append(Case("attention", f"sdpa fwd+bwd{tag}", f"({B}, {H}, {L}, {D})", dt,
                                _setup((B, H, L, D), True), _fwd_bwd(causal), flops=3.5 * fl, bytes=12 * io))
    return out
