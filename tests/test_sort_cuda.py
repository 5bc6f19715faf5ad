"""The sort family on the cuda device against the cpu device on identical inputs: stable order
with ties, NaN / -0.0 / inf placement, strided and offset views in and out, every dtype, the
one-tile paths (counting sort for rows <= 32, bitonic network above) and the multi-pass merge
sort for rows longer than a tile (forced with a small tile), 0-d and empty inputs.

Runs on a real GPU when present, else in Triton's interpreter (see conftest)."""
import ml_dtypes
import numpy as np
import pytest

import tritorch as tt
from tritorch._ops.sort_index import gather_along_dim, scatter_along_dim

pytestmark = pytest.mark.skipif(not tt.cuda.is_available(), reason="no cuda device (GPU or interpreter)")

NAN = float("nan")
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
RNG = np.random.default_rng(11)


def _np_dtype(name):
    return np.dtype(ml_dtypes.bfloat16) if name == "bfloat16" else np.dtype(name)


def _data(shape, dtype, special=True):
    """Small integers (many ties); floats also get NaN, +-inf and both zeros."""
    lo, hi = (0, 2) if dtype == "bool" else (0, 4) if dtype == "uint8" else (-3, 4)
    a = RNG.integers(lo, hi, size=shape).astype(_np_dtype(dtype))
    if special and dtype.startswith(("float", "bfloat")) and a.size >= 8:
        flat = a.reshape(-1)
        flat[[1, 4]] = np.nan
        flat[2], flat[5], flat[6], flat[7] = np.inf, -np.inf, -0.0, 0.0
    return a


def _pair(a):
    return tt.tensor(a), tt.tensor(a, device="cuda")


def _same(c, g):
    """Bit-identical results (values as bits, so -0.0 / NaN payloads count too)."""
    if isinstance(c, tuple):
        for x, y in zip(c, g):
            _same(x, y)
        return
    assert g.device.type == "cuda" and tuple(c.shape) == tuple(g.shape) and c.dtype is g.dtype
    a, b = c.numpy().reshape(-1), g.cpu().numpy().reshape(-1)
    if a.dtype.kind in "fV":
        a, b = a.view(np.uint8), b.view(np.uint8)
    np.testing.assert_array_equal(a, b)


@pytest.fixture
def paths(monkeypatch):
    """``paths(tile, network)``: rows longer than ``tile`` merge-sort in several passes; with
    ``network`` every tile wider than 2 sorts through the bitonic network, not by counting."""
    from tritorch.kernels import sort as ksort

    def select(tile=None, network=False):
        monkeypatch.setattr(ksort, "TILE_OVERRIDE", tile)
        if network:
            monkeypatch.setattr(ksort, "_RANK_MAX", 2)
    return select


@pytest.mark.parametrize("dtype", DTYPES)
def test_sort_matches_cpu_short_rows(dtype):
    x, g = _pair(_data((4, 9), dtype))
    for dim, desc in ((1, False), (0, True), (-1, True)):
        _same(tuple(tt.sort(x, dim, desc, stable=True)), tuple(tt.sort(g, dim, desc, stable=True)))
    _same(tuple(tt.sort(x.t()[1:, ::2], 0)), tuple(tt.sort(g.t()[1:, ::2], 0)))


@pytest.mark.parametrize("dtype", ["bool", "int64", "bfloat16", "float32"])
def test_sort_matches_cpu_network_rows(paths, dtype):
    paths(network=True)
    x, g = _pair(_data((3, 19), dtype))  # 32-wide tiles, two rows per program
    for desc in (False, True):
        _same(tuple(tt.sort(x, 1, desc, stable=True)), tuple(tt.sort(g, 1, desc, stable=True)))


def test_pick_through_network(paths):
    paths(network=True)
    x, g = _pair(_data((3, 7), "float64"))
    _same(tuple(tt.median(x, 1)), tuple(tt.median(g, 1)))
    _same(tuple(tt.kthvalue(x, 6, 1)), tuple(tt.kthvalue(g, 6, 1)))


def test_multipass_through_network(paths):
    paths(tile=8, network=True)
    x, g = _pair(_data((1, 29), "int32"))
    for desc in (False, True):
        _same(tuple(tt.sort(x, 1, desc)), tuple(tt.sort(g, 1, desc)))


@pytest.mark.parametrize("dtype", ["int16", "float16"])
def test_multipass_merge_sort(paths, dtype):
    paths(tile=8)
    x, g = _pair(_data((2, 23), dtype))
    x, g = x.t(), g.t()  # rows along dim 0, strided
    for desc in (False, True):
        _same(tuple(tt.sort(x, 0, desc, stable=True)), tuple(tt.sort(g, 0, desc, stable=True)))
    _same(tuple(tt.topk(x, 5, 0)), tuple(tt.topk(g, 5, 0)))
    _same(tuple(tt.kthvalue(x, 7, 0)), tuple(tt.kthvalue(g, 7, 0)))
    _same(tuple(tt.median(x, 0)), tuple(tt.median(g, 0)))
    _same(tt.median(x), tt.median(g))


def test_multipass_median_with_and_without_nan(paths):
    paths(tile=8)
    a = RNG.standard_normal((3, 19))
    a[1, [3, 11]] = np.nan
    a[2, 18] = np.nan
    x, g = _pair(a)
    _same(tuple(tt.median(x, 1, keepdim=True)), tuple(tt.median(g, 1, keepdim=True)))
    _same(tt.median(x[0]), tt.median(g[0]))
    _same(tt.median(x), tt.median(g))


@pytest.mark.parametrize("dtype", ["uint8", "int32", "float16", "bfloat16", "float64"])
def test_topk_kthvalue_median_match_cpu(dtype):
    x, g = _pair(_data((5, 8), dtype))
    for k, dim, largest in ((3, 1, True), (2, 0, False), (8, -1, True), (0, 1, False), (1, 0, True)):
        _same(tuple(tt.topk(x, k, dim, largest)), tuple(tt.topk(g, k, dim, largest)))
    for k, dim, keep in ((1, 0, False), (3, 1, True), (8, 1, False), (5, 0, True)):
        _same(tuple(tt.kthvalue(x, k, dim, keep)), tuple(tt.kthvalue(g, k, dim, keep)))
    for dim, keep in ((0, False), (1, True)):
        _same(tuple(tt.median(x, dim, keep)), tuple(tt.median(g, dim, keep)))
    _same(tt.median(x), tt.median(g))
    _same(tt.median(x.t()[::2]), tt.median(g.t()[::2]))  # no single stride: sorted from a copy


def test_median_nan_picks_first_nan_and_lower_median():
    a = np.array([[1.0, NAN, 3.0, NAN], [4.0, 2.0, 3.0, 1.0], [NAN, 0.0, -0.0, 5.0]])
    x, g = _pair(a)
    r = tt.median(g, 1)
    _same(tuple(tt.median(x, 1)), tuple(r))
    assert r.indices.cpu().tolist() == [1, 1, 0]
    assert np.isnan(tt.median(g).item()) and tt.median(g[1]).item() == 2.0


def test_outputs_into_strided_views():
    a = _data((3, 6), "float32")
    x, g = _pair(a)
    vc, ic = tt.zeros((6, 6)), tt.zeros((6, 6), dtype=tt.int64)
    vg, ig = tt.zeros((6, 6), device="cuda"), tt.zeros((6, 6), dtype=tt.int64, device="cuda")
    tt.sort(x, 1, True, out=(vc[::2], ic[::2]))
    tt.sort(g, 1, True, out=(vg[::2], ig[::2]))
    _same((vc, ic), (vg, ig))
    kc, kic = tt.zeros((4, 2)), tt.zeros((4, 2), dtype=tt.int64)
    kg, kig = tt.zeros((4, 2), device="cuda"), tt.zeros((4, 2), dtype=tt.int64, device="cuda")
    tt.topk(x, 2, 1, out=(kc.t()[:, 1:], kic.t()[:, 1:]))
    tt.topk(g, 2, 1, out=(kg.t()[:, 1:], kig.t()[:, 1:]))
    _same((kc, kic), (kg, kig))
    mc, mic = tt.zeros(6), tt.zeros(6, dtype=tt.int64)
    mg, mig = tt.zeros(6, device="cuda"), tt.zeros(6, dtype=tt.int64, device="cuda")
    tt.median(x, 1, out=(mc[::2], mic[::2]))
    tt.median(g, 1, out=(mg[::2], mig[::2]))
    _same((mc, mic), (mg, mig))


def test_zero_d_and_empty():
    x, g = _pair(np.array(2.5, np.float32))
    _same(tuple(tt.sort(x)), tuple(tt.sort(g)))
    _same(tuple(tt.topk(x, 1)), tuple(tt.topk(g, 1)))
    _same(tuple(tt.kthvalue(x, 1)), tuple(tt.kthvalue(g, 1)))
    _same(tuple(tt.median(x, 0)), tuple(tt.median(g, 0)))
    _same(tt.median(x), tt.median(g))
    e, eg = _pair(np.zeros((0, 3), np.float32))
    _same(tuple(tt.sort(e, 0)), tuple(tt.sort(eg, 0)))
    _same(tuple(tt.topk(e, 2, 1)), tuple(tt.topk(eg, 2, 1)))
    _same(tt.median(e), tt.median(eg))
    ei, eig = _pair(np.zeros((0,), np.int64))
    with pytest.raises(ValueError):
        tt.median(ei)
    with pytest.raises(ValueError):
        tt.median(eig)


def test_gather_scatter_along_dim_match_cpu():
    a = RNG.standard_normal((4, 6))
    idx = np.argsort(RNG.random((4, 6)), axis=1)[:, :3]
    (x, g), (i, ig), (j, jg) = _pair(a), _pair(idx), _pair(idx % 3)
    _same(gather_along_dim(x[:, ::2], 1, j), gather_along_dim(g[:, ::2], 1, jg))
    _same(gather_along_dim(x.t(), 0, i.t()), gather_along_dim(g.t(), 0, ig.t()))
    s, sg = _pair(RNG.standard_normal((4, 3)).astype(np.float16))
    _same(scatter_along_dim(s, 1, i, (4, 6)), scatter_along_dim(sg, 1, ig, (4, 6)))
    _same(scatter_along_dim(s.t(), 0, i.t(), (6, 4)), scatter_along_dim(sg.t(), 0, ig.t(), (6, 4)))
