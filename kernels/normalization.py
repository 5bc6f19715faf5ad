"""Triton kernels: normalization (in progress)."""
IMPLS = {}
