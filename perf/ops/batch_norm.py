"""Batch norm, group norm and embedding benchmarks.

cuda: batch_norm (training, affine, running stats) on ResNet's (32, 256, 56, 56); group_norm with
32 groups on (8, 512, 64, 64); embedding with V=32000, D=4096 over 8192 tokens.  cpu: smaller
shapes keeping a numpy step well under 50 ms.

Bytes are the minimal DRAM traffic: a norm forward reads x and writes y (2 n elements; the
statistics pass's second read of x is not counted), its backward reads x, dy and writes dx
(fwd+bwd: 5 n).  Embedding forward reads and writes T*D row elements (2 T D); its backward reads
T*D grad elements and writes the V*D dweight (fwd+bwd: 3 T D + V D)."""
from perf.cases import Case, rand, randint

_ITEM = {"float32": 4, "float16": 2, "bfloat16": 2}


def _norm_setup(shape, grad, group):
    def setup(lib, device, dtype):
        c = shape[1]
        s = {"x": rand(lib, shape, device, dtype, seed=1, requires_grad=grad),
             "w": rand(lib, (c,), device, dtype, seed=3, requires_grad=grad),
             "b": rand(lib, (c,), device, dtype, seed=4, requires_grad=grad)}
        if not group:
            s["rm"] = rand(lib, (c,), device, dtype, seed=5) * 0
            s["rv"] = rand(lib, (c,), device, dtype, seed=6) * 0 + 1
        if grad:
            s["g"] = rand(lib, shape, device, dtype, seed=2)
        return s
    return setup


def _norm_call(lib, s, group):
    F = lib.nn.functional
    if group:
        return F.group_norm(s["x"], 32, s["w"], s["b"])
    return F.batch_norm(s["x"], s["rm"], s["rv"], s["w"], s["b"], training=True)


def _norm_step(group, grad):
    def step(lib, s):
        y = _norm_call(lib, s, group)
        if grad:
            y.backward(s["g"])
            for k in ("x", "w", "b"):
                s[k].grad = None
    return step


def _emb_setup(v, d, t, grad):
    def setup(lib, device, dtype):
        s = {"w": rand(lib, (v, d), device, dtype, seed=1, requires_grad=grad),
             "i": randint(lib, v, (t,), device, seed=2)}
        if grad:
            s["g"] = rand(lib, (t, d), device, dtype, seed=3)
        return s
    return setup


def _emb_step(grad):
    def step(lib, s):
        y = lib.nn.functional.embedding(s["i"], s["w"])
        if grad:
            y.backward(s["g"])
            s["w"].grad = None
    return step


def cases(device, quick):
    if quick:
        bn, gn, emb, dtypes = (4, 8, 6, 6), (2, 64, 4, 4), (100, 16, 32), ("float32",)
    elif device == "cuda":
        bn, gn, emb, dtypes = (32, 256, 56, 56), (8, 512, 64, 64), (32000, 4096, 8192), ("float32", "bfloat16")
    else:
        bn, gn, emb, dtypes = (8, 64, 28, 28), (4, 128, 32, 32), (8000, 512, 2048), ("float32",)
    out = []
    for dt in dtypes:
        it = _ITEM[dt]
        for name, shape, group in (("batch_norm2d", bn, False), ("group_norm g32", gn, True)):
            n = 1
            for s in shape:
                n *= s
            out.append(Case("batch_norm", f"{name} fwd", str(shape), dt, _norm_setup(shape, False, group),
                            _norm_step(group, False), bytes=2 * n * it))
            out.append(Case("batch_norm", f"{name} fwd+bwd", str(shape), dt, _norm_setup(shape, True, group),
                            _norm_step(group, True), bytes=5 * n * it))
        v, d, t = emb
        label = f"V={v}, D={d}, T={t}"
        out.append(Case("batch_norm", "embedding fwd", label, dt, _emb_setup(v, d, t, False), _emb_step(False),
                        bytes=2 * t * d * it))
        out.append(Case("batch_norm", "embedding fwd+bwd", label, dt, _emb_setup(v, d, t, True), _emb_step(True),
                        bytes=(3 * t * d + v * d) * it))
    return out
