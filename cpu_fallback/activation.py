"""numpy impls of the activation family (stub: filled in by issue 4)."""

IMPLS = {}
