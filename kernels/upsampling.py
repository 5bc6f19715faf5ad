"""Triton kernels of the upsampling family (stub: filled in by issue 4)."""

__all__ = ["IMPLS"]
IMPLS = {}
