"""Optimizer step: a 100-parameter model (50 layers of a (64, 64) weight and a (64,) bias, float32,
fixed gradients), tritorch's fused step vs PyTorch's ``foreach=True`` step, cpu, one thread.

Both sides hold the same weights and gradients; each sample times ``opt.step()`` only (the
gradients stay, so every call is a full update).  The ratio is tritorch / PyTorch (<= 1.0x:
tritorch as fast or faster).

    OMP_NUM_THREADS=1 python -m perf.optim [--layers 50] [--width 64]
"""
import argparse
import os

import numpy as np

from perf.timing import median_time

CASES = (("Adam", {"lr": 1e-3}), ("AdamW", {"lr": 1e-3}), ("SGD momentum", {"lr": 1e-2, "momentum": 0.9}))


def _model(tt, torch, layers, width):
    rng = np.random.default_rng(0)
    ws = []
    for _ in range(layers):
        ws.append(rng.standard_normal((width, width), dtype=np.float32))
        ws.append(rng.standard_normal(width, dtype=np.float32))
    ours = [tt.tensor(w, requires_grad=True) for w in ws]
    theirs = [torch.tensor(w, requires_grad=True) for w in ws]
    for a, b in zip(ours, theirs):
        g = rng.standard_normal(a.shape, dtype=np.float32)
        a.grad, b.grad = tt.tensor(g), torch.tensor(g)
    return ours, theirs


def run(layers=50, width=64):
    """[(case, tritorch ms, torch ms, ratio)] for the optimizer steps."""
    import torch
    import tritorch as tt
    torch.set_num_threads(1)
    rows = []
    for name, kw in CASES:
        cls = name.split()[0]
        ours, theirs = _model(tt, torch, layers, width)
        to = getattr(tt.optim, cls)(ours, **kw)
        po = getattr(torch.optim, cls)(theirs, foreach=True, **kw)
        t_ours = median_time(to.step, min_time=0.05)
        t_theirs = median_time(po.step, min_time=0.05)
        rows.append((name, t_ours * 1e3, t_theirs * 1e3, t_ours / t_theirs))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, default=50)
    ap.add_argument("--width", type=int, default=64)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print(f"optimizer step, {2 * args.layers} parameters ({args.layers} x [({args.width}, {args.width}), "
          f"({args.width},)] float32), cpu, 1 thread")
    print(f"{'case':<14}{'tritorch ms':>13}{'torch foreach ms':>18}{'ratio':>8}")
    for name, a, b, r in run(args.layers, args.width):
        print(f"{name:<14}{a:>13.3f}{b:>18.3f}{r:>7.2f}x")


if __name__ == "__main__":
    main()
