"""The numpy fallback's performance helpers give the results of what they replace: the
branch-free ``where`` bit for bit against ``np.where``, BLAS row sums against float64 sums, and
the malloc tuning's opt-outs."""
import numpy as np
import pytest

from tritorch.cpu_fallback import _malloc
from tritorch.cpu_fallback._rowsum import dot_last, sum_last
from tritorch.cpu_fallback._select import where


def _operands():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 7)).astype(np.float32)
    x[0, 0], x[1, 1], x[2, 2], x[3, 3] = np.nan, -0.0, np.inf, -np.inf
    y = rng.standard_normal((7,)).astype(np.float32)
    values = [x, y, x[:, :1], x.T.copy().T[:, ::-1], x.astype(np.float64), x.astype(np.float16), x > 1,
              np.arange(7), np.float32(0), np.float32(-0.0), np.float32(np.nan), np.float64(1.5), np.int32(3),
              0.0, 0, 2.5, True]
    conds = [x > 0, (x > 0)[:, :1], y > 0, np.bool_(True), True]
    return conds, values


def test_where_matches_np_where_bit_for_bit():
    conds, values = _operands()
    checked = 0
    for c in conds:
        for a in values:
            for b in values:
                try:
                    ref = np.where(c, a, b)
                except ValueError:
                    with pytest.raises(ValueError):
                        where(c, a, b)
                    continue
                r = where(c, a, b)
                assert r.dtype == ref.dtype and r.shape == ref.shape
                assert np.ascontiguousarray(r).tobytes() == np.ascontiguousarray(ref).tobytes(), (c, a, b)
                checked += 1
    assert checked > 1000


def test_where_falls_back_for_other_dtypes():
    c = np.array([True, False])
    z = np.array([1 + 2j, 3j])
    np.testing.assert_array_equal(where(c, z, 0), np.array([1 + 2j, 0]))


# (rtol, atol) of a row sum vs the float64 sum, by dtype: float64 sums of 1000 values of order 1 are
# off by ~1e-13 (rounding of the dtype's own accumulation), integer sums are exact.
SUM_TOL = {np.float64: (1e-12, 1e-12), np.float32: (1e-5, 1e-3), np.float16: (1e-5, 0.5), np.int64: (0, 0)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64])
@pytest.mark.parametrize("shape", [(3, 5, 1000), (7,), (4, 0), (0, 4), ()])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_last_matches_sum(dtype, shape, keepdims):
    a = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    if dtype == np.int64:
        a = np.random.default_rng(1).integers(-2**52, 2**52, shape)  # sums exact in int64, not in float64
    rtol, atol = SUM_TOL[dtype]
    for v in (a, a.T.copy().T if a.ndim < 2 else np.swapaxes(np.swapaxes(a, -1, -2).copy(), -1, -2)):
        r = sum_last(v, keepdims=keepdims) if v.ndim else sum_last(v)
        ref = (np.sum(v, axis=-1, keepdims=keepdims) if dtype == np.int64 else
               np.sum(v.astype(np.float64), axis=-1, keepdims=keepdims)) if v.ndim else v
        assert r.dtype == np.sum(v, axis=-1).dtype and np.shape(r) == np.shape(ref)
        if dtype == np.int64:
            np.testing.assert_array_equal(r, ref)
        else:
            np.testing.assert_allclose(r, ref, rtol=rtol, atol=atol)


@pytest.mark.parametrize("keepdims", [False, True])
def test_dot_last_matches_product_sum(keepdims):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 3, 300)), rng.standard_normal((3, 300))
    r = dot_last(a.astype(np.float32), b.astype(np.float32), keepdims=keepdims)
    np.testing.assert_allclose(r, (a * b).sum(-1, keepdims=keepdims), rtol=1e-5, atol=1e-4)


def test_sum_last_propagates_nan_and_inf():
    a = np.ones((3, 64), np.float32)
    a[0, 5], a[1, 9], a[2, 1], a[2, 2] = np.nan, np.inf, np.inf, -np.inf
    r = sum_last(a)
    assert np.isnan(r[0]) and r[1] == np.inf and np.isnan(r[2])


def test_malloc_tuning_respects_opt_outs():
    assert _malloc.tune({"TRITORCH_MALLOC_TUNING": "0"}) == {}
    explicit = {"MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "131072"}
    assert _malloc.tune(explicit) == {}


def test_malloc_tuning_applies_on_glibc():
    import platform
    import sys
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    assert _malloc.tune({}) == {"MALLOC_MMAP_THRESHOLD_": _malloc.MMAP_THRESHOLD,
                                "MALLOC_TRIM_THRESHOLD_": _malloc.TRIM_THRESHOLD}
