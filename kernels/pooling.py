"""Triton kernels of the pooling family (stub: filled in by issue 4)."""

__all__ = ["IMPLS"]
IMPLS = {}
