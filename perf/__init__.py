"""What tritorch measures (suites); `scripts/` holds the entry points that run them."""
