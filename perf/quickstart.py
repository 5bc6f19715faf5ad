"""Epoch time of the main job (scripts/quickstart.py) against the same training loop on PyTorch CPU.

Both sides train the quickstart's CNN on the bundled digits with a DataLoader (shuffle, the
given number of workers), AdamW and OneCycleLR, one BLAS/OpenMP thread each, in this process,
alternating epochs so that both see the same machine load.  PyTorch gets the same images and
the same augmentation (a random shift by up to one pixel) written with its own ops.

    python -m perf.quickstart [--epochs 3] [--workers 2]
"""
import argparse
import importlib.util
import pathlib
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _quickstart():
    spec = importlib.util.spec_from_file_location("quickstart", ROOT / "scripts" / "quickstart.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _torch_setup(torch, images, labels, batch_size, workers, epochs, lr):
    nn = torch.nn

    class Shift(torch.utils.data.Dataset):
        def __init__(self, x, y):
            self.x, self.y = x, y

        def __len__(self):
            return len(self.y)

        def __getitem__(self, i):
            img = nn.functional.pad(self.x[i], (1, 1, 1, 1))
            top, left = torch.randint(0, 3, (2,)).tolist()
            return (img[:, top:top + 8, left:left + 8] - 0.5) / 0.5, self.y[i]

    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(64 * 4 * 4, 128), nn.ReLU(), nn.Linear(128, 10))
    loader = torch.utils.data.DataLoader(Shift(torch.tensor(images), torch.tensor(labels)), batch_size=batch_size,
                                         shuffle=True, num_workers=workers, persistent_workers=workers > 0)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs, steps_per_epoch=len(loader))
    return model, loader, opt, sched


def _epoch(lib, model, loader, opt, sched):
    model.train()
    for x, y in loader:
        loss = lib.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args(argv)

    import torch
    import tritorch as tt
    from tritorch.utils.data import DataLoader
    from tritorch.vision import datasets, transforms
    torch.set_num_threads(1)
    qs = _quickstart()
    bs, lr = 32, 3e-3

    tt.manual_seed(0)
    train = datasets.Digits(train=True, transform=transforms.Compose(
        [transforms.RandomCrop(8, padding=1), transforms.Normalize((0.5,), (0.5,))]))
    ours = qs.DigitsCNN()
    loader = DataLoader(train, batch_size=bs, shuffle=True, num_workers=args.workers,
                        persistent_workers=args.workers > 0)
    opt = tt.optim.AdamW(ours.parameters(), lr=lr, weight_decay=1e-2)
    sched = tt.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=args.epochs + 1, steps_per_epoch=len(loader))
    images = np.stack([train.data[i].numpy()[None].astype(np.float32) / 16.0 for i in range(len(train))])
    labels = np.asarray(train.targets.numpy() if hasattr(train.targets, "numpy") else train.targets, np.int64)
    theirs = _torch_setup(torch, images, labels, bs, args.workers, args.epochs + 1, lr)

    _epoch(tt, ours, loader, opt, sched)  # warm-up: worker start, first allocations
    _epoch(torch, *theirs)
    times = {"tritorch": [], "torch": []}
    for _ in range(args.epochs):
        t = time.perf_counter()
        _epoch(tt, ours, loader, opt, sched)
        times["tritorch"].append(time.perf_counter() - t)
        t = time.perf_counter()
        _epoch(torch, *theirs)
        times["torch"].append(time.perf_counter() - t)
    a, b = float(np.median(times["tritorch"])), float(np.median(times["torch"]))
    print(f"quickstart epoch ({len(train)} images, batch {bs}, {args.workers} workers, one thread): "
          f"tritorch {a:.2f} s, torch {b:.2f} s, ratio {a / b:.2f}")
    return a / b


if __name__ == "__main__":
    main()
