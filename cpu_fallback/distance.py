"""numpy impls of the distance family (stub: filled in by issue 4)."""

IMPLS = {}
