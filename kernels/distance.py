"""Triton kernels of the distance family: none.  normalize, cosine_similarity and
pairwise_distance are composed from registry ops (norm, clamp_min, div, mul, sum), whose kernels
live in the pointwise/reduction families; see tritorch/_ops/distance.py."""

__all__ = ["IMPLS"]
IMPLS = {}
