"""numpy impls of the upsampling family (stub: filled in by issue 4)."""

IMPLS = {}
