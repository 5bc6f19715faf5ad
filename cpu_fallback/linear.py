"""numpy impls of the linear family (stub: filled in by issue 4)."""

IMPLS = {}
