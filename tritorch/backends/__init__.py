"""PyTorch's ``torch.backends`` switches that tritorch honours (``backends.cuda.matmul``)."""
from . import cuda

__all__ = ["cuda"]
