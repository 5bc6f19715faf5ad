"""`tritorch.multiprocessing` (PyTorch's `torch.multiprocessing`): the standard `multiprocessing`
API, with tensors crossing processes by handle instead of by copy.

Importing it registers reductions for `Tensor` and `nn.Parameter` on
`multiprocessing.reduction.ForkingPickler`, so a cpu tensor put on any `Queue` / `Pipe` / `Pool`
(or passed to a spawn/forkserver `Process`) arrives as a view of the same memory: its storage is
moved to shared memory on first send (`Tensor.share_memory_`), offset and strides are kept.

Sharing strategies: 'file_descriptor' (default) backs storages with anonymous memfds whose fds
are passed between processes, so nothing has a name and nothing can leak; 'file_system' backs
them with /dev/shm files opened by name, unlinked when the creating process frees the storage
(a receiver must map it before then, and a killed creator leaves the file behind).

cuda tensors cannot be sent (sharing device memory needs cuda.core IPC memory pools): that
raises a RuntimeError naming the fix (send ``tensor.cpu()``), in interpreter mode too.
"""
import multiprocessing
from multiprocessing import *  # noqa: F401,F403

from . import reductions
from .spawn import (ProcessContext, ProcessException, ProcessExitedException, ProcessRaisedException, spawn,
                    SpawnContext, start_processes)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies", "spawn",
           "start_processes", "ProcessContext", "ProcessException", "ProcessExitedException",
           "ProcessRaisedException", "SpawnContext"]
__all__ += multiprocessing.__all__

_all_sharing_strategies = {"file_descriptor", "file_system"}


def set_sharing_strategy(new_strategy):
    """Set the strategy for sharing cpu tensors ('file_descriptor' or 'file_system')."""
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}; expected one of "
                             f"{sorted(_all_sharing_strategies)}")
    reductions._set_strategy(new_strategy)


def get_sharing_strategy():
    """The current strategy for sharing cpu tensors."""
    return reductions._get_strategy()


def get_all_sharing_strategies():
    """The set of sharing strategies this system supports."""
    return set(_all_sharing_strategies)


reductions.init_reductions()
