"""Op benchmark definitions, one module per kernel family (see `perf/cases.py`)."""
