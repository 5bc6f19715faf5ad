"""MNIST and Fashion-MNIST from the standard IDX files in ``root/<ClassName>/raw/``.

The IDX format (LeCun's): a big-endian header -- two zero bytes, a type byte (0x08 uint8,
0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of dims -- then one
big-endian int32 per dim, then the data, row-major.  Files may be gzip-compressed (``.gz``).
"""
import gzip
import os

import numpy as np

from ... import from_numpy
from .vision import VisionDataset, no_download

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """The numpy array stored in the IDX file ``path`` (gzip-compressed when it ends in .gz)."""
    with (gzip.open if str(path).endswith(".gz") else open)(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise RuntimeError(f"{path}: not an IDX file (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    header = 4 * (ndim + 1)
    if len(raw) < header:
        raise RuntimeError(f"{path}: truncated IDX header")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">i4", ndim, 4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) != header + count * dtype.itemsize:
        raise RuntimeError(f"{path}: IDX header says shape {shape} of {dtype} ({header + count * dtype.itemsize} "
                           f"bytes) but the file has {len(raw)} bytes")
    return np.frombuffer(raw, dtype, count, header).reshape(shape).astype(dtype.newbyteorder("="))


class MNIST(VisionDataset):
    """The MNIST handwritten digits (60,000 train / 10,000 test, 28x28 grey, 10 classes).

    Reads ``root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (each optionally
    ``.gz``).  ``download=True`` raises RuntimeError: get the files yourself.

    ``data``: (N, 28, 28) uint8 tensor; ``targets``: (N,) int64 tensor.  ``dataset[i]`` is
    ``(image, target)``: image an (H, W) uint8 numpy array (what ``numpy.asarray`` of
    torchvision's PIL image gives, so ``transforms.ToTensor()`` yields the same (1, H, W) float
    tensor in [0, 1]), target an int; ``transform`` / ``target_transform`` applied.
    """
    resources = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte")
    source = "https://yann.lecun.com/exdb/mnist/ (or a mirror such as https://ossci-datasets.s3.amazonaws.com/mnist/)"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            raise no_download(type(self).__name__, self.raw_folder, [f"{r}(.gz)" for r in self.resources],
                              self.source)
        prefix = "train" if train else "t10k"
        images = read_idx(self._find(f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(self._find(f"{prefix}-labels-idx1-ubyte"))
        if images.dtype != np.uint8 or images.ndim != 3:
            raise RuntimeError(f"{type(self).__name__}: the image file holds {images.dtype} of shape "
                               f"{images.shape}, expected uint8 (N, H, W)")
        if labels.dtype != np.uint8 or labels.ndim != 1 or len(labels) != len(images):
            raise RuntimeError(f"{type(self).__name__}: the label file holds {labels.dtype} of shape {labels.shape}, "
                               f"expected uint8 ({len(images)},) to match the images")
        self.data = from_numpy(images)
        self.targets = from_numpy(labels.astype(np.int64))

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def _find(self, name):
        for candidate in (name, name + ".gz"):
            path = os.path.join(self.raw_folder, candidate)
            if os.path.isfile(path):
                return path
        raise RuntimeError(f"{type(self).__name__}: dataset not found: {os.path.join(self.raw_folder, name)}(.gz) is "
                           f"missing. Place the standard files {', '.join(self.resources)} (optionally .gz, from "
                           f"{self.source}) in {self.raw_folder}.")

    def __getitem__(self, index):
        # a copy: an in-place transform must not write into the dataset
        return self._apply(self.data[index].numpy().copy(), int(self.targets[index].item()))

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (same format and sizes as `MNIST`), read from
    ``root/FashionMNIST/raw/``."""
    source = "https://github.com/zalandoresearch/fashion-mnist"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
