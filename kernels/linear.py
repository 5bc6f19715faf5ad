"""Triton kernels of the linear family (stub: filled in by issue 4)."""

__all__ = ["IMPLS"]
IMPLS = {}
