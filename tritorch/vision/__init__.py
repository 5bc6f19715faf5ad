"""`tritorch.vision` (torchvision's first-reached-for part): `transforms` on tensor images,
`datasets` (the bundled UCI digits; MNIST, FashionMNIST and CIFAR-10 read from local files) and
`models` (ResNet-18/34/50 with torchvision's state-dict layout, LeNet).

As torchvision is a separate package from torch, ``import tritorch`` does not import this one:
``import tritorch.vision`` (or ``from tritorch.vision import transforms``) explicitly.
"""
from . import transforms, datasets, models

__all__ = ["transforms", "datasets", "models"]
