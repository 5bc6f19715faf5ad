"""Triton kernels of the distance family (stub: filled in by issue 4)."""

__all__ = ["IMPLS"]
IMPLS = {}
