"""`tritorch.utils` (PyTorch's `torch.utils`): submodules load on first use."""
import importlib

__all__ = ["safetensors", "checkpoint", "data"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
