"""Triton's CUDA driver bound to tritorch's runtime: every Triton launch takes its device and
stream from tritorch (cuda.core), never from PyTorch.

Why it exists (read in the installed sources of Triton 3.6-3.9):
  * 3.6 and 3.7: ``CudaDriver.is_active()`` does ``import torch`` and is False without it, and
    ``GPUDriver.__init__`` takes the current device and stream from ``torch.cuda``.  With no
    torch in the process Triton finds "0 active drivers" and no kernel launches.
  * 3.8 and 3.9 work without torch, but once torch is in ``sys.modules`` they again ask
    ``torch.cuda``: a CPU-only PyTorch disables the driver, and a CUDA PyTorch's current device
    wins over `tritorch.cuda.set_device`.
Installing `TritorchCudaDriver` through Triton's public ``triton.runtime.driver.set_active``
makes tritorch's device and stream win on every version, whatever else is imported.  Everything
else is Triton's own: ``CudaUtils`` (module loading, device properties; a small C module Triton
compiles on first use) and ``CudaLauncher``.

Side effect, as with any Triton driver: Triton kernels of other libraries in the same process
launch on tritorch's current device and stream too.  That stream is the device's legacy default
stream, which is also PyTorch's default stream.
"""
from triton.backends.nvidia import driver as _nvidia
from triton.runtime import driver as _config

from tritorch import _device
from . import _runtime

__all__ = ["TritorchCudaDriver", "install", "installed"]


def _set_current_device(index):
    _device.set_cuda_index(index)
    _runtime.device_handle(index)


class TritorchCudaDriver(_nvidia.CudaDriver):
    """Triton's NVIDIA driver with the current device, stream and capability from tritorch."""

    def __init__(self):
        # Not CudaDriver.__init__: on 3.6/3.7, and on 3.8+ with torch imported, it binds these
        # queries to torch.cuda.  Triton reads them as instance attributes, as set here.
        self.utils = _nvidia.CudaUtils()
        self.launcher_cls = _nvidia.CudaLauncher
        self.get_current_device = _device.cuda_index
        self.set_current_device = _set_current_device
        self.get_current_stream = _runtime.stream_handle
        self.get_device_capability = _runtime.capability

    @staticmethod
    def is_active():
        return _runtime.mode() == "gpu"


def install():
    """Make a `TritorchCudaDriver` Triton's active driver (once); returns it."""
    active = installed()
    if active is None:
        active = TritorchCudaDriver()
        _config.set_active(active)
    return active


def installed():
    """The installed `TritorchCudaDriver`, or None."""
    active = getattr(_config, "_active", None)  # the public ``active`` would build the stock driver
    return active if isinstance(active, TritorchCudaDriver) else None
