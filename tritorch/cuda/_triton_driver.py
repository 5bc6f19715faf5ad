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

__all__ = ["TritorchCudaDriver", "install", "installed"]


class TritorchCudaDriver(_nvidia.CudaDriver):
    """Triton's NVIDIA driver with the current device, stream and capability from tritorch.

    ``runtime`` is `tritorch.cuda._runtime` (it installs the driver while probing the GPU, so it
    hands itself over rather than being imported here)."""

    def __init__(self, runtime):
        # Not CudaDriver.__init__: on 3.6/3.7, and on 3.8+ with torch imported, it binds these
        # queries to torch.cuda.  Triton reads them as instance attributes, as set here.
        self.utils = _nvidia.CudaUtils()
        self.launcher_cls = _nvidia.CudaLauncher
        self._runtime = runtime
        self.get_current_device = _device.cuda_index
        self.get_current_stream = runtime.stream_handle
        self.get_device_capability = runtime.capability

    def set_current_device(self, index):
        _device.set_cuda_index(index)
        self._runtime.device_handle(index)

    def is_active(self):
        return self._runtime.mode() == "gpu"


def install(runtime=None):
    """Make a `TritorchCudaDriver` over ``runtime`` Triton's active driver (once; ``runtime`` is
    needed by that first call only); returns it."""
    active = installed()
    if active is None:
        active = TritorchCudaDriver(runtime)
        _config.set_active(active)
    return active


def installed():
    """The installed `TritorchCudaDriver`, or None."""
    active = getattr(_config, "_active", None)  # the public ``active`` would build the stock driver
    return active if isinstance(active, TritorchCudaDriver) else None
