"""Triton kernels (device type ``cuda``).  The cuda device arrives with the next issue;
until then the registry finds no ``cuda`` implementations here."""

ARRAY = None
IMPLS = {}
