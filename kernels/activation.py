"""Triton kernels of the activation family (stub: filled in by issue 4)."""

__all__ = ["IMPLS"]
IMPLS = {}
