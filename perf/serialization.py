"""Checkpoint save/load: a ~100 MB state dict, tritorch.save/load vs torch.save/load.

Same process, one thread, same data, the two sides timed alternately (float32 weights plus a few bf16/int64 buffers), files in
one temporary folder (page cache warm after the first call).  tritorch.save to a path also
fsyncs the file and renames it into place (atomic save), which torch.save does not; the
"file object" row writes into an open file without that, the like-for-like format cost.
Loads are with weights_only=True on both sides; tritorch's read load checks every storage's
CRC-32, torch's does not.

    python -m perf.serialization [--mb 100]
"""
import argparse
import os
import tempfile

import statistics
import time

import numpy as np


def state_dicts(tt, torch, mb):
    """(tritorch state dict, the equal torch one) of about ``mb`` MB."""
    rng = np.random.default_rng(0)
    n = max(1, int(mb * 2 ** 20 // (4 * 1024 * 1024)))
    ours, theirs = {}, {}
    for i in range(n):
        w = rng.standard_normal((1024, 1024), dtype=np.float32)
        ours[f"layer{i}.weight"], theirs[f"layer{i}.weight"] = tt.tensor(w), torch.from_numpy(w)
        b = rng.standard_normal(1024, dtype=np.float32)
        ours[f"layer{i}.bias"], theirs[f"layer{i}.bias"] = tt.tensor(b), torch.from_numpy(b)
    e = rng.standard_normal((512, 256), dtype=np.float32)
    ours["emb"], theirs["emb"] = tt.tensor(e).to(tt.bfloat16), torch.from_numpy(e).to(torch.bfloat16)
    ours["steps"], theirs["steps"] = tt.arange(1000), torch.arange(1000)
    return ours, theirs


def paired_times(fn_a, fn_b, repeat=7):
    """Median seconds of ``fn_a`` and of ``fn_b``, run alternately (after one warm-up call each)
    so that load from other processes on the machine hits both alike."""
    fn_a(), fn_b()
    ta, tb = [], []
    for _ in range(repeat):
        for fn, acc in ((fn_a, ta), (fn_b, tb)):
            t0 = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - t0)
    return statistics.median(ta), statistics.median(tb)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=100)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch
    import tritorch as tt
    torch.set_num_threads(1)
    ours, theirs = state_dicts(tt, torch, args.mb)
    nbytes = sum(v.numel() * v.element_size() for v in theirs.values())
    with tempfile.TemporaryDirectory() as d:
        p_tt, p_torch, p_raw = (os.path.join(d, n) for n in ("tt.pt", "torch.pt", "raw.pt"))

        def save_raw():
            with open(p_raw, "wb") as fh:
                tt.save(ours, fh)

        torch_save = lambda: torch.save(theirs, p_torch)  # noqa: E731
        torch_load = lambda: torch.load(p_torch, weights_only=True)  # noqa: E731
        rows = [
            ("save (path)", *paired_times(lambda: tt.save(ours, p_tt), torch_save)),
            ("save (file object)", *paired_times(save_raw, torch_save)),
            ("load", *paired_times(lambda: tt.load(p_tt), torch_load)),
            ("load mmap", *paired_times(lambda: tt.load(p_tt, mmap=True),
                                        lambda: torch.load(p_torch, weights_only=True, mmap=True))),
            ("load torch's file", *paired_times(lambda: tt.load(p_torch), torch_load)),
        ]
    print(f"state dict: {len(ours)} tensors, {nbytes / 2 ** 20:.1f} MiB, one thread")
    print(f"{'case':<20}{'tritorch ms':>12}{'torch ms':>10}{'ratio':>8}")
    for name, a, b in rows:
        print(f"{name:<20}{a * 1e3:>12.1f}{b * 1e3:>10.1f}{a / b:>8.2f}")


if __name__ == "__main__":
    main()
