"""numpy impls of the dropout family (stub: filled in by issue 4)."""

IMPLS = {}
