"""Triton kernels of the padding family (stub: filled in by issue 4)."""

__all__ = ["IMPLS"]
IMPLS = {}
