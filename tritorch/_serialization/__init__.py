"""The parts of `tritorch.save` / `tritorch.load` (tritorch/serialization.py, which holds the public
functions and the archive layout): `writer` (the torch-compatible pickler and the aligned zip records),
`unpickler` (the allow-list unpickler) and `reader` (the zip archive and storage locations)."""
