"""Differential fuzzing of tritorch against PyTorch (see test_differential.py)."""
