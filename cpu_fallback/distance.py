"""numpy impls of the distance family: none.  normalize, cosine_similarity and pairwise_distance
are composed from registry ops; see tritorch/_ops/distance.py."""

IMPLS = {}
