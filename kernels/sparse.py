"""Triton kernels of the sparse family (stub: filled in by issue 4)."""

__all__ = ["IMPLS"]
IMPLS = {}
