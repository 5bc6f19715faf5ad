"""Op declarations: normalization (in progress)."""
__all__ = []
