"""Op table entries for the pixel_shuffle family."""
OPS = []
