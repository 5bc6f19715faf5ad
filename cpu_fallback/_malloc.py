"""glibc malloc thresholds for the numpy fallback's temporaries.

Every numpy op allocates its result, and a fallback op is several numpy ops, so one tritorch
call frees and re-allocates a handful of same-sized temporaries.  glibc serves blocks above
its dynamic mmap threshold (128 KiB at start, raised only to the largest block freed so far)
with fresh ``mmap`` pages and returns the heap's top to the kernel once it exceeds twice that;
each new page then costs a page fault.  Measured on the 2-core CI machine, that made exact
gelu on a (512, 1024) float32 tensor 3.5x slower (7.0 ms against 2.0 ms) and tanh-gelu 7x.

Raising both thresholds keeps blocks below 32 MiB on the heap and up to 256 MiB of freed heap
in the process for reuse, which is what PyTorch's and numpy's caching allocators do for their
own buffers.  Larger arrays still use ``mmap`` (numpy asks for huge pages for those).  Set
``TRITORCH_MALLOC_TUNING=0`` to leave malloc alone; explicit ``MALLOC_MMAP_THRESHOLD_`` /
``MALLOC_TRIM_THRESHOLD_`` environment settings are also left alone.
"""
import ctypes
import ctypes.util
import os
import platform
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 256 << 20


def tune(environ=os.environ):
    """Apply the thresholds on glibc Linux unless opted out; returns the settings applied
    (``{}`` when nothing was changed)."""
    if environ.get("TRITORCH_MALLOC_TUNING", "1") == "0":
        return {}
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return {}
    wanted = {"MALLOC_MMAP_THRESHOLD_": (_M_MMAP_THRESHOLD, MMAP_THRESHOLD),
              "MALLOC_TRIM_THRESHOLD_": (_M_TRIM_THRESHOLD, TRIM_THRESHOLD)}
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return {}
    applied = {}
    for env, (param, value) in wanted.items():
        if env not in environ and mallopt(param, value) == 1:
            applied[env] = value
    return applied
