"""Host overhead per op: tiny tensors, where Python dispatch dominates the time.

Each case is a pair of zero-argument callables built on the same data, one for tritorch and
one for PyTorch (eager), on the default device the caller sets, timed alike in the same process.
"""
import timeit

import numpy as np


def cases(tt, torch):
    """[(name, tritorch_fn, torch_fn)] on tiny tensors of the default device."""
    a, b = tt.ones(1), tt.ones(1)
    ta, tb = torch.ones(1), torch.ones(1)
    ag = tt.ones(1, requires_grad=True)
    tag = torch.ones(1, requires_grad=True)
    x, tx = tt.ones(4, 8), torch.ones(4, 8)
    rng = np.random.default_rng(0)
    wn, bn = rng.standard_normal((8, 8)).astype(np.float32), rng.standard_normal(8).astype(np.float32)
    w, bias = tt.tensor(wn, requires_grad=True), tt.tensor(bn, requires_grad=True)
    tw, tbias = torch.tensor(wn, requires_grad=True), torch.tensor(bn, requires_grad=True)
    v, tv = tt.ones(16), torch.ones(16)
    w16, b16 = tt.ones(16, requires_grad=True), tt.zeros(16, requires_grad=True)
    tw16, tb16 = torch.ones(16, requires_grad=True), torch.zeros(16, requires_grad=True)

    def small_mlp(x, w, bias):
        ((x @ w + bias).tanh() * 0.5).sum().backward()

    def small_pointwise(v, w, b):
        ((v * w + b).tanh() * v).sum().backward()

    ops = [
        ("add, 1 element, no grad", lambda: a + b, lambda: ta + tb),
        ("add, 1 element, requires_grad", lambda: ag + b, lambda: tag + tb),
        ("mul + sum, 1 element, no grad", lambda: (a * b).sum(), lambda: (ta * tb).sum()),
        ("view + transpose, no grad", lambda: x.view(8, 4).t(), lambda: tx.view(8, 4).t()),
        ("fwd+bwd: ((v*w+b).tanh()*v).sum(), 16 elements", lambda: small_pointwise(v, w16, b16),
         lambda: small_pointwise(tv, tw16, tb16)),
        ("fwd+bwd: ((x@W+b).tanh()*0.5).sum(), (4,8)@(8,8)", lambda: small_mlp(x, w, bias),
         lambda: small_mlp(tx, tw, tbias)),
    ]
    return ops + _module_cases(tt, torch)


def _module_cases(tt, torch):
    """nn-module overhead: one `nn.Linear(64, 64)` forward+backward, and a training step (forward,
    backward, `optim.SGD` with momentum) of a 4-layer `nn.Sequential` MLP at batch 64."""
    def build(lib):
        lib.manual_seed(0)
        lin = lib.nn.Linear(64, 64)
        mlp = lib.nn.Sequential(lib.nn.Linear(64, 64), lib.nn.ReLU(), lib.nn.Linear(64, 64), lib.nn.ReLU(),
                                lib.nn.Linear(64, 64), lib.nn.ReLU(), lib.nn.Linear(64, 10))
        x = lib.ones(64, 64)
        y = lib.zeros(64, dtype=lib.int64)
        return lin, mlp, x, y

    def linear_step(lin, x):
        lin(x).sum().backward()

    def mlp_step(lib, mlp, opt, x, y):
        loss = lib.nn.functional.cross_entropy(mlp(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    a_lin, a_mlp, a_x, a_y = build(tt)
    b_lin, b_mlp, b_x, b_y = build(torch)
    a_opt = tt.optim.SGD(a_mlp.parameters(), lr=1e-3, momentum=0.9)
    b_opt = torch.optim.SGD(b_mlp.parameters(), lr=1e-3, momentum=0.9)
    return [
        ("nn.Linear(64, 64) fwd+bwd, batch 64", lambda: linear_step(a_lin, a_x), lambda: linear_step(b_lin, b_x)),
        ("nn.Sequential 4-layer MLP (64-64-64-64-10) train step (optim.SGD momentum), batch 64",
         lambda: mlp_step(tt, a_mlp, a_opt, a_x, a_y), lambda: mlp_step(torch, b_mlp, b_opt, b_x, b_y)),
    ]


def time_pair_us(f_a, f_b, min_time=0.05, repeat=15, warmup=100):
    """Median per-call times (microseconds) of two callables, measured in alternating rounds
    so that both see the same machine load (these machines are shared and noisy)."""
    for f in (f_a, f_b):
        for _ in range(warmup):
            f()
    ns = []
    for f in (f_a, f_b):
        n = 1
        while timeit.timeit(f, number=n) < min_time:
            n *= 2
        ns.append(n)
    runs = ([], [])
    for _ in range(repeat):
        for i, f in enumerate((f_a, f_b)):
            runs[i].append(timeit.timeit(f, number=ns[i]) / ns[i] * 1e6)
    return float(np.median(runs[0])), float(np.median(runs[1]))
