"""numpy impls of the sparse family (stub: filled in by issue 4)."""

IMPLS = {}
