"""The UCI optical-recognition handwritten digits, bundled with tritorch (no files needed).

1,797 images of 8x8 integer pixels in 0..16 (counts of "on" pixels in 4x4 blocks of 32x32
bitmaps), 10 classes.  Source: the UCI ML repository (E. Alpaydin, C. Kaynak, 1998), CC BY 4.0;
the file is scikit-learn's bundled copy (``sklearn/datasets/data/digits.csv.gz``: one row per
image, 64 pixels row-major then the label).  Attribution: data/DIGITS_LICENSE.
"""
import gzip
import os

import numpy as np

from ... import from_numpy, get_default_dtype
from .vision import VisionDataset

__all__ = ["Digits"]

_FILE = os.path.join(os.path.dirname(__file__), "data", "digits.csv.gz")


class Digits(VisionDataset):
    """The UCI handwritten digits: 1,797 8x8 images, 10 classes, shipped inside the package.

    Split (fixed, no randomness): ``train=True`` is the first 1,437 rows of the file, ``train=False``
    the last 360 -- scikit-learn's ``train_test_split(X, y, test_size=0.2, shuffle=False)``.  The
    file interleaves the classes, so both parts hold every digit (33-37 of each in test).

    ``data``: (N, 8, 8) uint8 tensor of the raw counts 0..16; ``targets``: (N,) int64 tensor.
    ``dataset[i]`` is ``(image, target)``: image a (1, 8, 8) tensor of the default float dtype,
    ``pixel / 16`` in [0, 1] (so it is already what ``ToTensor`` would give an image; chain
    tensor transforms such as ``Normalize`` or ``Resize`` directly), target an int;
    ``transform`` / ``target_transform`` applied.

    ``root`` is accepted for torchvision-style signatures and ignored (the data is bundled);
    ``download`` is a no-op for the same reason.
    """
    classes = [str(d) for d in range(10)]
    n_train = 1437

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        with gzip.open(_FILE, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.uint8)
        rows = table[: self.n_train] if train else table[self.n_train:]
        self.data = from_numpy(np.ascontiguousarray(rows[:, :64]).reshape(-1, 8, 8))
        self.targets = from_numpy(rows[:, 64].astype(np.int64))

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index):
        img = self.data[index].unsqueeze(0).to(get_default_dtype()).div(16)
        return self._apply(img, int(self.targets[index].item()))

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"
