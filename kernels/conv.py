"""Triton kernels of the conv family (stub: filled in by issue 4)."""

__all__ = ["IMPLS"]
IMPLS = {}
