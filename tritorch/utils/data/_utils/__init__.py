"""Helpers of `tritorch.utils.data.DataLoader`: collation, fetchers, the worker loop."""
from . import collate, fetch, worker  # noqa: F401
from .worker import MP_STATUS_CHECK_INTERVAL  # noqa: F401
