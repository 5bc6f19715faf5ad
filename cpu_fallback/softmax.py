"""numpy impls: softmax (in progress)."""
IMPLS = {}
