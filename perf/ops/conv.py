"""Convolution benchmarks: ResNet-50's layer shapes (batch 32 on cuda in fp16/bf16; batch 1 on cpu
in float32), forward and forward + backward (dx and dW), no bias (batch norm follows in ResNet).

FLOPs per forward: 2 * N * Cout * Hout * Wout * Cin * kH * kW; forward + backward is 3x that (the
dx and dW GEMMs).  Bytes are not reported: at these shapes the GEMM dominates (except the 7x7
stem, whose im2col expands the 3-channel input 49-fold).

Where it stops scaling: tritorch materialises the (N, Cin * k * k, L) column matrix (im2col) and
runs one GEMM, so a 3x3 conv moves ~9x the input through DRAM twice (im2col write, GEMM read)
and dx goes through a col2im pass.  Matching cuDNN beyond ~0.5x needs an implicit GEMM: the
im2col gather done inside the matmul's K loop (TMA / cp.async tiles of the input, no column
matrix), and for dx the transposed-conv gather in the same way.
"""
import math

from perf.cases import Case, rand

# (name, Cin, H(=W), Cout, kernel, stride, padding)
_RESNET50 = [
    ("conv1 7x7/2", 3, 224, 64, 7, 2, 3),
    ("layer1 3x3", 64, 56, 64, 3, 1, 1),
    ("layer2 3x3", 128, 28, 128, 3, 1, 1),
    ("layer3 3x3", 256, 14, 256, 3, 1, 1),
    ("layer4 3x3", 512, 7, 512, 3, 1, 1),
    ("layer1 1x1 reduce", 256, 56, 64, 1, 1, 0),
    ("layer1 1x1 expand", 64, 56, 256, 1, 1, 0),
    ("layer2 1x1/2 downsample", 256, 56, 512, 1, 2, 0),
    ("layer3 1x1 reduce", 1024, 14, 256, 1, 1, 0),
]


def _setup(n, cin, h, cout, k, ho, grad):
    def setup(lib, device, dtype):
        s = {"x": rand(lib, (n, cin, h, h), device, dtype, seed=1, requires_grad=grad),
             "w": rand(lib, (cout, cin, k, k), device, dtype, seed=2, requires_grad=grad,
                       scale=1.0 / math.sqrt(cin * k * k))}
        if grad:
            s["g"] = rand(lib, (n, cout, ho, ho), device, dtype, seed=3)
        return s
    return setup


def _fwd(stride, padding):
    def step(lib, s):
        lib.nn.functional.conv2d(s["x"], s["w"], stride=stride, padding=padding)
    return step


def _fwd_bwd(stride, padding):
    def step(lib, s):
        x, w = s["x"], s["w"]
        y = lib.nn.functional.conv2d(x, w, stride=stride, padding=padding)
        y.backward(s["g"])
        x.grad = w.grad = None
    return step


def cases(device, quick):
    if quick:
        n, dtypes, layers = 1, ("float32",), [("tiny 3x3", 4, 8, 8, 3, 1, 1), ("tiny 1x1/2", 8, 8, 4, 1, 2, 0)]
    elif device == "cuda":
        n, dtypes, layers = 32, ("float16", "bfloat16"), _RESNET50
    else:
        n, dtypes, layers = 1, ("float32",), _RESNET50
    out = []
    for name, cin, h, cout, k, stride, pad in layers:
        ho = (h + 2 * pad - k) // stride + 1
        flops = 2.0 * n * cout * ho * ho * cin * k * k
        shape = f"N={n} {cin}x{h}x{h} -> {cout}x{ho}x{ho} k={k} s={stride}"
        for dt in dtypes:
            out.append(Case("conv", f"conv2d {name} fwd", shape, dt, _setup(n, cin, h, cout, k, ho, False),
                            _fwd(stride, pad), flops=flops))
            out.append(Case("conv", f"conv2d {name} fwd+bwd", shape, dt, _setup(n, cin, h, cout, k, ho, True),
                            _fwd_bwd(stride, pad), flops=3 * flops))
    return out
