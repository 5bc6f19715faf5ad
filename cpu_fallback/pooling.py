"""numpy impls of the pooling family (stub: filled in by issue 4)."""

IMPLS = {}
