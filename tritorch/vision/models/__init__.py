"""`tritorch.vision.models` (torchvision's `models`): `resnet18`, `resnet34`, `resnet50` with
torchvision's layout and init (``weights=None`` only: nothing is downloaded) and `LeNet`."""
from .resnet import ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50
from .lenet import LeNet

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50", "LeNet"]
