"""Main job: train a small CNN on the bundled UCI handwritten digits, end to end, with the usual
PyTorch training loop written against tritorch.

Data: `tritorch.vision.datasets.Digits` (1,797 8x8 images shipped inside the package; 1,437 for
training, 360 held out).  A `DataLoader` with 2 worker processes shuffles the training set,
`optim.AdamW` with a `OneCycleLR` schedule trains the model, a tqdm bar shows the running loss,
and each epoch prints the train loss and the held-out accuracy.  The trained weights are saved
with `tritorch.save`, reloaded into a fresh model, and the reloaded model is evaluated again.
Uses `cuda` when a cuda device is available, else `cpu`.

    python scripts/quickstart.py [--epochs 12] [--device cpu|cuda] [--workers 2] [--checkpoint PATH] [--seed 0]
"""
import argparse
import os
import tempfile
import time

from tqdm import tqdm

import tritorch as tt
import tritorch.nn as nn
import tritorch.nn.functional as F
from tritorch.utils.data import DataLoader, Subset
from tritorch.vision import datasets, transforms


class DigitsCNN(nn.Module):
    """Input: (N, 1, 8, 8) images; output: (N, 10) class logits."""

    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(64 * 4 * 4, 128), nn.ReLU(),
                                        nn.Linear(128, classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def evaluate(model, loader, device):
    """Accuracy of ``model`` over ``loader``."""
    model.eval()
    correct = total = 0
    with tt.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += int((model(x).argmax(1) == y).sum())
            total += len(y)
    return correct / total


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--device", default="cuda" if tt.cuda.is_available() else "cpu")
    p.add_argument("--checkpoint", default=None, help="where to save the weights (default: a temporary folder)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--subset", type=int, default=None, help="train and test on the first N images only (smoke runs)")
    args = p.parse_args(argv)

    tt.manual_seed(args.seed)
    normalize = transforms.Normalize((0.5,), (0.5,))
    # Shifting the 8x8 digits by up to a pixel is the augmentation that keeps the CNN from
    # memorising the 1,437 training images.
    train_set = datasets.Digits(train=True, transform=transforms.Compose([transforms.RandomCrop(8, padding=1),
                                                                          normalize]))
    test_set = datasets.Digits(train=False, transform=normalize)
    if args.subset:
        train_set = Subset(train_set, range(min(args.subset, len(train_set))))
        test_set = Subset(test_set, range(min(args.subset, len(test_set))))
    gen = tt.Generator().manual_seed(args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=args.workers,
                              generator=gen, persistent_workers=args.workers > 0)
    test_loader = DataLoader(test_set, batch_size=256)

    model = DigitsCNN().to(args.device)
    optimizer = tt.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    scheduler = tt.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                 steps_per_epoch=len(train_loader))
    n_params = sum(q.numel() for q in model.parameters())
    print(f"training DigitsCNN ({n_params} parameters) on {len(train_set)} digits, "
          f"testing on {len(test_set)}, device={args.device}")

    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, count = 0.0, 0
        bar = tqdm(train_loader, desc=f"epoch {epoch:2d}", leave=False, dynamic_ncols=True)
        for x, y in bar:
            x, y = x.to(args.device), y.to(args.device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += float(loss) * len(y)
            count += len(y)
            bar.set_postfix(loss=f"{total / count:.4f}")
        acc = evaluate(model, test_loader, args.device)
        print(f"epoch {epoch:2d}  train loss {total / count:.4f}  test accuracy {acc:.4f}")
    print(f"trained in {time.perf_counter() - t0:.1f} s")

    with tempfile.TemporaryDirectory() as tmp:
        path = args.checkpoint or os.path.join(tmp, "digits_cnn.pt")
        tt.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": args.epochs}, path)
        ckpt = tt.load(path, map_location=args.device)
        fresh = DigitsCNN().to(args.device)
        fresh.load_state_dict(ckpt["model"])
        reloaded = evaluate(fresh, test_loader, args.device)
    print(f"checkpoint {'saved to ' + path if args.checkpoint else 'saved and reloaded'}: "
          f"reloaded model test accuracy {reloaded:.4f}")
    return reloaded


if __name__ == "__main__":
    main()
