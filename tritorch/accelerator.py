"""Device-neutral accelerator queries (PyTorch's `torch.accelerator`)."""
from ._device import device as _device

__all__ = ["is_available", "current_accelerator", "device_count"]


def is_available():
    """True when a `cuda` device can run tritorch kernels (a GPU, or Triton's interpreter)."""
    from . import cuda
    return cuda.is_available()


def current_accelerator(check_available=False):
    """`device('cuda')` when available, else None (tritorch's only accelerator type is cuda)."""
    return _device("cuda") if is_available() else None


def device_count():
    from . import cuda
    return cuda.device_count()
