"""numpy impls of the batch_norm family (stub: filled in by issue 4)."""

IMPLS = {}
