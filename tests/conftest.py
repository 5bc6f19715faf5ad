"""Shared fixtures: the ``device`` fixture runs device tests on every available device.

This issue ships the cpu device only; ``cuda`` joins the list once `tritorch.kernels`
provides an array API (real GPU, or Triton's interpreter with TRITON_INTERPRET=1).
"""
import numpy as np
import pytest

import tritorch as tt


def _devices():
    devs = ["cpu"]
    try:
        from tritorch.kernels import ARRAY
        if ARRAY is not None:
            devs.append("cuda")
    except ImportError:
        pass
    return devs


DEVICES = _devices()


@pytest.fixture(params=DEVICES)
def device(request):
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    tt.manual_seed(0) if hasattr(tt, "manual_seed") else None
    np.random.seed(0)
    yield
