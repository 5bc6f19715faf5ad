"""padding family (stub: filled in by issue 4)."""

__all__ = []
FUNCTIONAL = {}
