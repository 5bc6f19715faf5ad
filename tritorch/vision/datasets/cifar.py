"""CIFAR-10 from its *binary* distribution (``cifar-10-binary.tar.gz`` unpacked into ``root``).

torchvision reads the python version, whose batches are pickles; unpickling a downloaded file can
run arbitrary code, so tritorch reads the binary version instead: each ``.bin`` file is a run of
3,073-byte records -- one label byte (0-9), then 1,024 red, 1,024 green and 1,024 blue bytes, each
plane a 32x32 image in row-major order.
"""
import os

import numpy as np

from .vision import VisionDataset, no_download

__all__ = ["CIFAR10"]

_RECORD = 1 + 3 * 32 * 32


def read_cifar_bin(path):
    """(images (N, 32, 32, 3) uint8 HWC, labels (N,) int64) of one CIFAR-10 binary batch file."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % _RECORD:
        raise RuntimeError(f"{path}: {raw.size} bytes is not a whole number of {_RECORD}-byte CIFAR-10 records")
    rec = raw.reshape(-1, _RECORD)
    labels = rec[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise RuntimeError(f"{path}: label {labels.max()} out of range 0-9 (is this the CIFAR-100 binary version?)")
    images = np.ascontiguousarray(rec[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return images, labels


class CIFAR10(VisionDataset):
    """CIFAR-10 (50,000 train / 10,000 test, 32x32 RGB, 10 classes).

    Reads ``root/cifar-10-batches-bin/data_batch_{1..5}.bin`` (train) or ``test_batch.bin``
    (test).  ``download=True`` raises RuntimeError: get the files yourself.

    As torchvision's: ``data`` an (N, 32, 32, 3) uint8 numpy array, ``targets`` a list of ints.
    ``dataset[i]`` is ``(image, target)``: image a (32, 32, 3) uint8 numpy array (HWC, what
    ``numpy.asarray`` of torchvision's PIL image gives; ``transforms.ToTensor()`` makes it a
    (3, 32, 32) float tensor in [0, 1]), target an int.
    """
    base_folder = "cifar-10-batches-bin"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    source = "https://www.cs.toronto.edu/~kriz/cifar.html (the 'CIFAR-10 binary version', cifar-10-binary.tar.gz)"
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        folder = os.path.join(self.root, self.base_folder)
        if download:
            raise no_download(type(self).__name__, folder, self.train_list + self.test_list, self.source)
        images, labels = [], []
        for name in self.train_list if train else self.test_list:
            path = os.path.join(folder, name)
            if not os.path.isfile(path):
                raise RuntimeError(f"{type(self).__name__}: dataset not found: {path} is missing. Unpack the binary "
                                   f"version ({self.source}) into {self.root} so that {folder} holds "
                                   f"{', '.join(self.train_list + self.test_list)}.")
            x, y = read_cifar_bin(path)
            images.append(x)
            labels.append(y)
        self.data = np.concatenate(images)
        self.targets = np.concatenate(labels).tolist()

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index):
        return self._apply(self.data[index].copy(), self.targets[index])

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"
