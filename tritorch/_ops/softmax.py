"""Op declarations: softmax (in progress)."""
__all__ = []
