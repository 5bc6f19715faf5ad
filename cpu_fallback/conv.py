"""numpy impls of the conv family (stub: filled in by issue 4)."""

IMPLS = {}
