"""Triton kernels: softmax (in progress)."""
IMPLS = {}
