"""DataLoader throughput: tritorch.utils.data.DataLoader vs torch.utils.data.DataLoader.

A TensorDataset of N samples of (D,) float32 features and an int64 label, batch_size B, one full
epoch per timing (workers started inside the timing, as a training epoch would pay them), with
0 and 2 worker processes (fork); both sides alternately, median of ``--repeat`` epochs,
OMP_NUM_THREADS=1.  Reports samples/s and the ratio tritorch/torch (target >= 0.8x).

    python -m perf.dataloader [--n 8192] [--d 64] [--batch 64] [--repeat 5]
"""
import argparse
import os
import statistics
import time

import numpy as np


def epoch_time(make_loader, repeat):
    def run():
        t0 = time.perf_counter()
        for _ in make_loader():
            pass
        return time.perf_counter() - t0
    run()
    return [run() for _ in range(repeat)]


def main(argv=None):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=8192)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args(argv)
    import torch
    import torch.utils.data as tud
    import tritorch as tt
    from tritorch.utils.data import DataLoader, TensorDataset
    torch.set_num_threads(1)
    x = np.random.default_rng(0).standard_normal((a.n, a.d), dtype=np.float32)
    y = np.arange(a.n, dtype=np.int64)
    ours = TensorDataset(tt.tensor(x), tt.tensor(y))
    theirs = tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    print(f"TensorDataset n={a.n} d={a.d} batch={a.batch}, median of {a.repeat} epochs")
    print(f"{'workers':>8} {'tritorch samples/s':>19} {'torch samples/s':>16} {'ratio':>6}")
    for nw in (0, 2):
        kw = dict(batch_size=a.batch, num_workers=nw)
        if nw:
            kw["multiprocessing_context"] = "fork"
        to, th = [], []
        for _ in range(a.repeat):  # alternate, so machine load hits both alike
            to += epoch_time(lambda: DataLoader(ours, **kw), 1)
            th += epoch_time(lambda: tud.DataLoader(theirs, **kw), 1)
        so, sh = a.n / statistics.median(to), a.n / statistics.median(th)
        print(f"{nw:>8} {so:>19.0f} {sh:>16.0f} {so / sh:>5.2f}x")


if __name__ == "__main__":
    main()
