"""`tritorch.vision.datasets` (torchvision's `datasets`): map-style datasets returning
``(image, target)`` with ``transform`` / ``target_transform`` applied.

- `Digits`: the UCI handwritten digits (1,797 8x8 images), bundled -- works offline, no files.
- `MNIST`, `FashionMNIST`: the standard IDX files (optionally .gz) in ``root/<ClassName>/raw/``.
- `CIFAR10`: the binary distribution in ``root/cifar-10-batches-bin/`` (never pickles).

Nothing is downloaded: ``download=True`` raises a RuntimeError naming the files and the folder.
Image datasets return uint8 numpy arrays where torchvision returns PIL images (the same pixels);
``transforms.ToTensor()`` turns either into a float (C, H, W) tensor in [0, 1].
"""
from .vision import VisionDataset
from .digits import Digits
from .mnist import MNIST, FashionMNIST
from .cifar import CIFAR10

__all__ = ["VisionDataset", "Digits", "MNIST", "FashionMNIST", "CIFAR10"]
