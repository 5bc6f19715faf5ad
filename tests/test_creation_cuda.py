"""cuda creation kernels (fill, arange, linspace, eye) against the cpu device: bit-identical
values for every dtype, ``out=`` into strided views (the kernels write through out's strides),
negative steps, and error parity."""
import numpy as np
import pytest

import tritorch as tt
from tests.conftest import DEVICES

pytestmark = pytest.mark.skipif("cuda" not in DEVICES, reason="no cuda device")

FLOATS = [tt.float16, tt.bfloat16, tt.float32, tt.float64]
INTS = [tt.uint8, tt.int8, tt.int16, tt.int32, tt.int64]


def _bits(t):
    """Host array of ``t``'s exact bit patterns (so -0.0 / NaN payloads / bf16 compare exactly)."""
    a = t.detach().cpu().numpy()
    return a.view(f"u{a.dtype.itemsize}") if a.dtype.kind in "fV" else a


def _same(a, b):
    assert a.dtype is b.dtype and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(_bits(a), _bits(b))


def _strided_out(dtype, rows, cols, device="cuda"):
    """A (rows, cols) view with transposed, gapped strides over a larger buffer, and the buffer."""
    base = tt.full((cols, 2 * rows + 1), 7, dtype=dtype, device=device)
    return base[:, 1::2].t(), base


@pytest.mark.parametrize("dtype", FLOATS + INTS + [tt.bool])
def test_fill_matches_cpu_bits(dtype):
    for v in (0, 1, -1, 2.5, 3.0e4, -0.0, float("inf"), float("nan"), True, 255):
        if not dtype.is_floating_point and isinstance(v, float) and not np.isfinite(v):
            continue
        try:
            ref = tt.full((2, 3), v, dtype=dtype)
        except RuntimeError as e:  # overflow: same error on cuda
            with pytest.raises(RuntimeError, match=str(e)[:30]):
                tt.full((2, 3), v, dtype=dtype, device="cuda")
            continue
        _same(tt.full((2, 3), v, dtype=dtype, device="cuda"), ref.cuda())


@pytest.mark.parametrize("dtype", [tt.bfloat16, tt.int16, tt.bool, tt.float64])
def test_fill_out_strided_view_leaves_gaps(dtype):
    out, base = _strided_out(dtype, 3, 4)
    before = base.cpu()
    tt.full((3, 4), 1, dtype=dtype, out=out)
    after = base.cpu()
    assert (after[:, 1::2] == 1).all().item()
    _same(after[:, 0::2], before[:, 0::2])  # untouched between the strided elements


@pytest.mark.parametrize("dtype", FLOATS + INTS)
def test_arange_matches_cpu_bits(dtype):
    cases = [(0, 10, 1), (9, -2, -3), (5, 5, 1), (-4, 7, 2)]
    if dtype.is_floating_point:
        cases += [(0.0, 1.0, 0.1), (1.0, -1.0, -0.3), (-1.5, 2.0, 0.25), (0.1, 50.3, 0.7), (1e3, 1e3 + 1, 1e-2)]
    for start, end, step in cases:
        if dtype is tt.uint8 and (start < 0 or end < 0):
            continue
        _same(tt.arange(start, end, step, dtype=dtype, device="cuda"), tt.arange(start, end, step, dtype=dtype).cuda())


def test_arange_int_wraps_like_cpu():
    _same(tt.arange(100, 400, 37, dtype=tt.int8, device="cuda"), tt.arange(100, 400, 37, dtype=tt.int8).cuda())
    _same(tt.arange(2**62, 2**63 - 1, 2**60, device="cuda"), tt.arange(2**62, 2**63 - 1, 2**60).cuda())


@pytest.mark.parametrize("dtype", [tt.float32, tt.bfloat16, tt.int32])
def test_arange_out_strided(dtype):
    base = tt.zeros(20, dtype=dtype, device="cuda")
    tt.arange(2, 12, 2, dtype=dtype, out=base[3::3])
    ref = tt.zeros(20, dtype=dtype)
    tt.arange(2, 12, 2, dtype=dtype, out=ref[3::3])
    _same(base, ref.cuda())


@pytest.mark.parametrize("dtype", FLOATS + [tt.int32, tt.int64, tt.uint8])
def test_linspace_matches_cpu_bits(dtype):
    for start, end, steps in [(0, 10, 5), (-2.0, 3.0, 11), (5, -5, 7), (0.1, 0.7, 1000), (1.0, 2.0, 1),
                              (3.0, -1e-3, 2), (0.0, 1.0, 0), (1e-4, 1e4, 33), (200, 0, 9)]:
        if dtype is tt.uint8 and (min(start, end) < 0 or max(start, end) > 255):
            continue  # PyTorch rejects ends that uint8 cannot hold (tests/test_edge_creation.py)
        _same(tt.linspace(start, end, steps, dtype=dtype, device="cuda"),
              tt.linspace(start, end, steps, dtype=dtype).cuda())


def test_linspace_out_strided():
    out = tt.zeros(30, dtype=tt.float16, device="cuda")
    tt.linspace(-1, 1, 10, dtype=tt.float16, out=out[::3])
    ref = tt.zeros(30, dtype=tt.float16)
    tt.linspace(-1, 1, 10, dtype=tt.float16, out=ref[::3])
    _same(out, ref.cuda())


@pytest.mark.parametrize("dtype", [tt.float32, tt.bfloat16, tt.bool, tt.uint8])
def test_eye_matches_cpu_and_strided_out(dtype):
    for n, m in [(3, 3), (2, 5), (5, 2), (0, 3), (1, 1)]:
        _same(tt.eye(n, m, dtype=dtype, device="cuda"), tt.eye(n, m, dtype=dtype).cuda())
    out, base = _strided_out(dtype, 3, 4)
    tt.eye(3, 4, dtype=dtype, out=out)
    ref_out, ref_base = _strided_out(dtype, 3, 4, "cpu")
    tt.eye(3, 4, dtype=dtype, out=ref_out)
    _same(base, ref_base.cuda())


def test_creation_errors_match_cpu():
    for fn in (lambda d: tt.arange(0, 5, 0, device=d), lambda d: tt.arange(0, -5, 1, device=d),
               lambda d: tt.linspace(0, 1, -1, device=d), lambda d: tt.eye(-1, device=d),
               lambda d: tt.full((2,), 300, dtype=tt.int8, device=d)):
        with pytest.raises(RuntimeError) as cpu_err:
            fn("cpu")
        with pytest.raises(RuntimeError) as cuda_err:
            fn("cuda")
        assert str(cpu_err.value) == str(cuda_err.value)
