"""`tritorch.nn` (PyTorch's `torch.nn`): the functional API so far; modules arrive later."""
from . import functional  # noqa: F401
