"""Main job: train a small MLP classifier end to end on tritorch's embedded default data.

The data (two interleaved spirals, 3 classes) is generated deterministically here, so the
job needs no download.  Uses `cuda` when a cuda device is available, else `cpu`.  Until
`tritorch.nn`/`optim` land, the model is written with `tritorch.nn.functional` (on cuda:
`fused_linear` runs bias + tanh in the GEMM's epilogue, `cross_entropy` is one fused kernel) and
SGD with tensors under `no_grad`.

    python scripts/train.py [--epochs 200] [--device cpu|cuda]
"""
import argparse
import math
import time

import numpy as np

import tritorch as tt
import tritorch.nn.functional as F


def spirals(n_per_class=200, classes=3, noise=0.15, seed=0):
    """The embedded default data: ``classes`` spiral arms in 2-D.  Returns (X (N, 2), y (N,))."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.05, 1.0, n_per_class)
        theta = np.linspace(c * 2 * math.pi / classes, c * 2 * math.pi / classes + 3.0, n_per_class)
        theta = theta + rng.normal(0, noise, n_per_class)
        xs.append(np.stack([r * np.sin(theta), r * np.cos(theta)], 1))
        ys.append(np.full(n_per_class, c))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)


def init_linear(fan_in, fan_out, device):
    """PyTorch's nn.Linear default init: weight (fan_out, fan_in) and bias (fan_out,) from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / math.sqrt(fan_in)
    w = (tt.rand(fan_out, fan_in, device=device) * 2 - 1) * bound
    b = (tt.rand(fan_out, device=device) * 2 - 1) * bound
    return w.requires_grad_(), b.requires_grad_()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.5)
    p.add_argument("--device", default="cuda" if tt.cuda.is_available() else "cpu")
    args = p.parse_args(argv)

    tt.manual_seed(0)
    X, y = spirals()
    X, y = tt.tensor(X, device=args.device), tt.tensor(y, device=args.device)
    params = [*init_linear(2, args.hidden, args.device), *init_linear(args.hidden, args.hidden, args.device),
              *init_linear(args.hidden, 3, args.device)]
    w1, b1, w2, b2, w3, b3 = params

    def forward(x):
        h = F.fused_linear(x, w1, b1, activation="tanh")
        h = F.fused_linear(h, w2, b2, activation="tanh")
        return F.linear(h, w3, b3)

    print(f"training a 2-{args.hidden}-{args.hidden}-3 MLP on {len(y)} spiral points, device={args.device}")
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        loss = F.cross_entropy(forward(X), y)
        for q in params:
            q.grad = None
        loss.backward()
        with tt.no_grad():
            for q in params:
                q -= args.lr * q.grad
        if epoch == 1 or epoch % 50 == 0 or epoch == args.epochs:
            with tt.no_grad():
                acc = (forward(X).argmax(1) == y).float().mean().item()
            print(f"epoch {epoch:4d}  loss {loss.item():.4f}  train accuracy {acc:.3f}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return acc


if __name__ == "__main__":
    main()
