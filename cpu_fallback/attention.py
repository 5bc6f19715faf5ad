"""numpy impls of the attention family (stub: filled in by issue 4)."""

IMPLS = {}
