"""Training-step benchmarks: whole models written once against the functional API, so the same
code trains on tritorch and on PyTorch.

A model is ``init(lib, device, dtype, sizes) -> params`` (a dict of leaf tensors) plus
``loss(lib, params, batch) -> scalar``; one step is forward, backward and an in-place SGD
update under ``no_grad``.  When `tritorch.nn` modules and `tritorch.optim` land, models built on
them plug in as more ``Case`` entries with the same ``setup``/``step`` shape.
"""
import math

from perf.cases import Case, rand, randint

LR = 1e-3


def _param(lib, shape, device, dtype, seed, fan_in=None):
    scale = 1.0 / math.sqrt(fan_in) if fan_in else 1.0
    return rand(lib, shape, device, dtype, seed=seed, scale=scale).requires_grad_(True)


def _sgd_step(lib, params, loss):
    loss.backward()
    with lib.no_grad():
        for p in params.values():
            p.sub_(p.grad, alpha=LR)
            p.grad = None


# --- MLP: (B, D_in) -> relu(linear) x2 -> linear -> cross-entropy ------------------------------

def mlp_init(lib, device, dtype, s):
    d, h, c = s["d"], s["h"], s["c"]
    return {"w1": _param(lib, (h, d), device, dtype, 1, d), "b1": _param(lib, (h,), device, dtype, 2, d),
            "w2": _param(lib, (h, h), device, dtype, 3, h), "b2": _param(lib, (h,), device, dtype, 4, h),
            "w3": _param(lib, (c, h), device, dtype, 5, h), "b3": _param(lib, (c,), device, dtype, 6, h)}


def mlp_loss(lib, p, x, y):
    F = lib.nn.functional
    h = F.relu(F.linear(x, p["w1"], p["b1"]))
    h = F.relu(F.linear(h, p["w2"], p["b2"]))
    return F.cross_entropy(F.linear(h, p["w3"], p["b3"]), y)


# --- small CNN: conv-relu-pool x2 -> linear -> cross-entropy ---------------------------------

def cnn_init(lib, device, dtype, s):
    c1, c2, hw, k = s["c1"], s["c2"], s["hw"], s["classes"]
    flat = c2 * (hw // 4) ** 2
    return {"k1": _param(lib, (c1, 3, 3, 3), device, dtype, 1, 27), "b1": _param(lib, (c1,), device, dtype, 2, 27),
            "k2": _param(lib, (c2, c1, 3, 3), device, dtype, 3, 9 * c1),
            "b2": _param(lib, (c2,), device, dtype, 4, 9 * c1),
            "w": _param(lib, (k, flat), device, dtype, 5, flat), "b": _param(lib, (k,), device, dtype, 6, flat)}


def cnn_loss(lib, p, x, y):
    F = lib.nn.functional
    h = F.max_pool2d(F.relu(F.conv2d(x, p["k1"], p["b1"], padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, p["k2"], p["b2"], padding=1)), 2)
    return F.cross_entropy(F.linear(h.flatten(1), p["w"], p["b"]), y)


# --- transformer block: pre-norm attention + gelu MLP, residuals; loss = mean square ---------

def block_init(lib, device, dtype, s):
    d = s["d"]
    return {"ln1_w": _param(lib, (d,), device, dtype, 1), "ln1_b": _param(lib, (d,), device, dtype, 2, d),
            "qkv": _param(lib, (3 * d, d), device, dtype, 3, d), "proj": _param(lib, (d, d), device, dtype, 4, d),
            "ln2_w": _param(lib, (d,), device, dtype, 5), "ln2_b": _param(lib, (d,), device, dtype, 6, d),
            "fc1": _param(lib, (4 * d, d), device, dtype, 7, d), "fc1_b": _param(lib, (4 * d,), device, dtype, 8, d),
            "fc2": _param(lib, (d, 4 * d), device, dtype, 9, 4 * d),
            "fc2_b": _param(lib, (d,), device, dtype, 10, 4 * d)}


def block_loss(lib, p, x, heads):
    F = lib.nn.functional
    b, t, d = x.shape
    h = F.layer_norm(x, (d,), p["ln1_w"], p["ln1_b"])
    q, k, v = F.linear(h, p["qkv"]).view(b, t, 3, heads, d // heads).permute(2, 0, 3, 1, 4).unbind(0)
    a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    x = x + F.linear(a.transpose(1, 2).reshape(b, t, d), p["proj"])
    h = F.layer_norm(x, (d,), p["ln2_w"], p["ln2_b"])
    x = x + F.linear(F.gelu(F.linear(h, p["fc1"], p["fc1_b"])), p["fc2"], p["fc2_b"])
    return (x * x).mean()


# --- sequence models built from nn modules: a 2-layer LSTM and a transformer encoder layer ------

def _module(lib, device, dt, module):
    """``module`` on ``device`` in ``dt`` with seeded weights (identical in every framework)."""
    module = module.to(device=device, dtype=getattr(lib, dt))
    with lib.no_grad():
        for i, p in enumerate(module.parameters()):
            p.copy_(rand(lib, tuple(p.shape), device, dt, seed=100 + i, scale=0.05))
    return module


def _module_case(name, shape, dtype, build, make_batch, flops):
    def setup(lib, device, dt):
        m = _module(lib, device, dt, build(lib))
        return {"m": m, "p": dict(m.named_parameters()), "batch": make_batch(lib, device, dt)}

    def step(lib, s):
        out = s["m"](*s["batch"])
        out = out[0] if isinstance(out, tuple) else out
        _sgd_step(lib, s["p"], (out * out).mean())
    return Case("models", name, shape, dtype, setup, step, flops=flops)


def _case(name, shape, dtype, init, sizes, make_batch, loss, flops):
    def setup(lib, device, dt):
        return {"p": init(lib, device, dt, sizes), "batch": make_batch(lib, device, dt)}

    def step(lib, s):
        _sgd_step(lib, s["p"], loss(lib, s["p"], *s["batch"]))
    return Case("models", name, shape, dtype, setup, step, flops=flops)


def cases(device, quick):
    if quick:
        mlp = dict(b=8, d=16, h=16, c=4)
        cnn = dict(b=2, c1=4, c2=4, hw=8, classes=3)
        blk = dict(b=1, t=8, d=16, heads=2)
        rnn = dict(b=2, t=4, h=8)
        enc = dict(b=2, t=8, d=16, heads=2)
    elif device == "cuda":
        mlp = dict(b=4096, d=1024, h=4096, c=1000)
        cnn = dict(b=128, c1=64, c2=128, hw=32, classes=10)
        blk = dict(b=8, t=1024, d=1024, heads=16)
        rnn = dict(b=64, t=128, h=512)
        enc = dict(b=16, t=512, d=512, heads=8)
    else:
        mlp = dict(b=256, d=784, h=512, c=10)
        cnn = dict(b=16, c1=16, c2=32, hw=32, classes=10)
        blk = dict(b=4, t=64, d=128, heads=4)
        rnn = dict(b=32, t=64, h=128)
        enc = dict(b=8, t=128, d=128, heads=8)
    dt = "float32"
    mlp_flops = 6 * mlp["b"] * (mlp["d"] * mlp["h"] + mlp["h"] ** 2 + mlp["h"] * mlp["c"])
    hw = cnn["hw"]
    cnn_flops = 6 * cnn["b"] * (hw * hw * 27 * cnn["c1"] + (hw // 2) ** 2 * 9 * cnn["c1"] * cnn["c2"]
                                + cnn["c2"] * (hw // 4) ** 2 * cnn["classes"])
    b, t, d = blk["b"], blk["t"], blk["d"]
    blk_flops = 6 * b * t * 12 * d * d + 3 * 2 * b * t * t * d  # GEMMs x3 for fwd+bwd; causal attention
    rb, rt, rh = rnn["b"], rnn["t"], rnn["h"]
    rnn_flops = 3 * 2 * rb * rt * 2 * (8 * rh * rh)  # 2 layers, input + hidden GEMMs of 4 gates, fwd + bwd
    eb, et, ed = enc["b"], enc["t"], enc["d"]
    enc_flops = 3 * (2 * eb * et * (4 * ed * ed + 2 * ed * 4 * ed) + 4 * eb * et * et * ed)
    seq = [
        _module_case("LSTM train step", f"2 layers H={rh} (T, B)=({rt}, {rb})", dt,
                     lambda lib: lib.nn.LSTM(rh, rh, num_layers=2),
                     lambda lib, device, dt: (rand(lib, (rt, rb, rh), device, dt, seed=11),), rnn_flops),
        _module_case("transformer encoder train step", f"d_model={ed} heads={enc['heads']} (B, T)=({eb}, {et})", dt,
                     lambda lib: lib.nn.TransformerEncoderLayer(ed, enc["heads"], dim_feedforward=4 * ed, dropout=0.0,
                                                                batch_first=True),
                     lambda lib, device, dt: (rand(lib, (eb, et, ed), device, dt, seed=11),), enc_flops),
    ]
    return [
        _case("MLP train step", f"B={mlp['b']} {mlp['d']}-{mlp['h']}-{mlp['h']}-{mlp['c']}", dt, mlp_init, mlp,
              lambda lib, device, dt: (rand(lib, (mlp["b"], mlp["d"]), device, dt, seed=11),
                                       randint(lib, mlp["c"], (mlp["b"],), device, seed=12)), mlp_loss, mlp_flops),
        _case("CNN train step", f"B={cnn['b']} 3x{hw}x{hw} conv{cnn['c1']}-conv{cnn['c2']}", dt, cnn_init, cnn,
              lambda lib, device, dt: (rand(lib, (cnn["b"], 3, hw, hw), device, dt, seed=11),
                                       randint(lib, cnn["classes"], (cnn["b"],), device, seed=12)), cnn_loss,
              cnn_flops),
        _case("transformer block train step", f"(B, T, D)=({b}, {t}, {d}) H={blk['heads']}", dt, block_init, blk,
              lambda lib, device, dt: (rand(lib, (b, t, d), device, dt, seed=11), blk["heads"]), block_loss,
              blk_flops),
    ] + seq
