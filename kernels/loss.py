"""Triton kernels of the loss family (stub: filled in by issue 4)."""

__all__ = ["IMPLS"]
IMPLS = {}
