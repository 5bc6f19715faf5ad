"""Op-table entry of the dropout family.  The registry op is called with a fixed (seed, offset), so
repeated calls draw the same mask; the mask is random, so the comparison checks that every output
element is either 0 or x / (1 - p) (the reference), and that both occur.  Gradients (cpu gradcheck,
mask reuse in backward) are in tests/test_dropout.py: the cpu and cuda devices draw different
masks, so the table's cuda-vs-cpu gradient comparison does not apply."""
import numpy as np

from tritorch._ops.dropout import _dropout
from .core import OpInfo, Sample, make, to_ref, TOL


def _samples(dtype, device):
    return [Sample((make((16, 8), dtype, device, low=0.5, high=3.0), 0.5), {}, "2d"),
            Sample((make((8, 6), dtype, device, low=0.5, high=3.0, noncontig=True), 0.25), {}, "noncontig"),
            Sample((make((0, 3), dtype, device), 0.5), {}, "empty")]


def _compare(out, expected, dtype):
    got = to_ref(out)
    exp = np.asarray(expected, dtype=np.float64)
    assert got.shape == exp.shape
    rtol, atol = TOL[dtype]
    kept = np.isclose(got, exp, rtol=rtol, atol=atol)
    assert np.all(kept | (got == 0)), "dropout outputs must be 0 or x / (1 - p)"
    if got.size:
        assert kept.any() and (got == 0).any()


OPS = [OpInfo("dropout", lambda x, p: _dropout(x, p, 1234, 7), lambda x, p: x / (1 - p), _samples, grad=False,
              compare=_compare)]
