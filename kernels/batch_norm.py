"""Triton kernels of the batch_norm family (stub: filled in by issue 4)."""

__all__ = ["IMPLS"]
IMPLS = {}
