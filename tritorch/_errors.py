"""Exception classes every layer may raise (a leaf module: it imports nothing of tritorch)."""

__all__ = ["OutOfMemoryError"]


class OutOfMemoryError(RuntimeError):
    """A device cannot hold a requested allocation (PyTorch's ``torch.OutOfMemoryError`` /
    ``torch.cuda.OutOfMemoryError``): the cuda pool, or host memory for cpu tensors."""
