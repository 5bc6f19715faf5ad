"""Shared fixtures: the ``device`` fixture runs device tests on ``cpu`` and ``cuda``.

``cuda`` is a real GPU when one is visible; otherwise the suite switches on Triton's
interpreter (``TRITON_INTERPRET=1``, before any kernel module is imported) so the same
kernels run on host memory.  ``TRITON_INTERPRET=0`` in the environment keeps a GPU-less run
cpu-only.
"""
import os

import numpy as np
import pytest

from tritorch.cuda import _runtime

if "TRITON_INTERPRET" not in os.environ and _runtime.mode() is None:
    os.environ["TRITON_INTERPRET"] = "1"
    _runtime._state.clear()

import tritorch as tt  # noqa: E402


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
