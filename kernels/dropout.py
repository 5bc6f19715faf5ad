"""Triton kernels of the dropout family (stub: filled in by issue 4)."""

__all__ = ["IMPLS"]
IMPLS = {}
