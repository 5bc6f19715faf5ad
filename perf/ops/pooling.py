"""Pooling benchmarks: ResNet-50 shapes (the stem's 3x3/2 max pool, the head's global average pool,
a 2x2/2 average-pool downsample), forward and forward + backward.

Bytes are the minimal DRAM traffic: forward reads the input once and writes the output (max pools
also write int64 indices, as torch's CUDA kernel does); backward reads grad_output (+ indices)
and writes grad_input.  FLOPs are not meaningful (comparisons / adds) and left 0.
"""
from ..cases import Case, rand

_ES = {"float32": 4, "float16": 2, "bfloat16": 2}


def _size(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _out_len(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def _specs(device, quick):
    """(name, input shape, call(F, x), output shape, is_max)"""
    if quick:
        stem, head, down = (2, 4, 16, 16), (2, 32, 7, 7), (2, 8, 8, 8)
    elif device == "cuda":
        stem, head, down = (32, 64, 112, 112), (32, 2048, 7, 7), (32, 256, 56, 56)
    else:
        stem, head, down = (4, 64, 56, 56), (8, 2048, 7, 7), (4, 256, 28, 28)
    return [
        ("max_pool2d 3x3/2 p1", stem, lambda F, x: F.max_pool2d(x, 3, 2, 1),
         stem[:2] + tuple(_out_len(n, 3, 2, 1) for n in stem[2:]), True),
        ("adaptive_avg_pool2d ->1", head, lambda F, x: F.adaptive_avg_pool2d(x, 1), head[:2] + (1, 1), False),
        ("avg_pool2d 2x2/2", down, lambda F, x: F.avg_pool2d(x, 2, 2),
         down[:2] + tuple(n // 2 for n in down[2:]), False),
    ]


def _case(name, shape, call, oshape, is_max, dtype, backward):
    def setup(lib, device, dt, shape=shape, oshape=oshape):
        x = rand(lib, shape, device, dt, seed=1, requires_grad=backward)
        g = rand(lib, oshape, device, dt, seed=2) if backward else None
        return x, g

    if backward:
        def step(lib, state, call=call):
            x, g = state
            return lib.autograd.grad(call(lib.nn.functional, x), x, g)
    else:
        def step(lib, state, call=call):
            return call(lib.nn.functional, state[0])

    es = _ES[dtype]
    n_in, n_out = _size(shape), _size(oshape)
    fwd = (n_in + n_out) * es + (n_out * 8 if is_max else 0)
    bwd = (n_out + n_in) * es + (n_out * 8 if is_max else 0)
    return Case("pooling", name + (" fwd+bwd" if backward else " fwd"), "x".join(map(str, shape)), dtype,
                setup, step, 0.0, float(fwd + bwd if backward else fwd))


def cases(device, quick):
    dtypes = ("float32",) if quick or device != "cuda" else ("float32", "bfloat16")
    out = []
    for name, shape, call, oshape, is_max in _specs(device, quick):
        for dt in dtypes:
            for backward in (False, True):
                out.append(_case(name, shape, call, oshape, is_max, dt, backward))
    return out
