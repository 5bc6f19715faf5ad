"""numpy impls: normalization (in progress)."""
IMPLS = {}
