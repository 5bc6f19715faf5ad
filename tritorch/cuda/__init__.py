"""`tritorch.cuda`: the cuda device's queries.

The device itself (memory through cuda.core, Triton kernels, interpreter mode) is the
next milestone; until its backend registers an array API, no cuda device is available
and these queries say so instead of failing.
"""

__all__ = ["is_available", "device_count"]


def _backend_ready():
    try:
        from .. import kernels
    except ImportError:
        return False
    return getattr(kernels, "ARRAY", None) is not None


def is_available():
    """True when the cuda backend can run (a GPU, or TRITON_INTERPRET=1 once it lands)."""
    return _backend_ready()


def device_count():
    return 1 if _backend_ready() else 0
