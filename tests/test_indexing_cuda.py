"""Indexing and gather/scatter on the cuda device against the cpu device on identical inputs:
strided / offset / broadcast views in and out, negative and int32 indices, duplicates with
accumulation (every dtype, including the float32 / int32 accumulation of half and 8/16-bit
types), in-place variants, dynamic ops (nonzero, masked_select), empty and 0-d cases, and
IndexError parity (same class and message, raised before an in-place op touches its tensor).

Runs on a real GPU when present, else in Triton's interpreter (see conftest)."""
import ml_dtypes
import numpy as np
import pytest

import tritorch as tt

pytestmark = pytest.mark.skipif(not tt.cuda.is_available(), reason="no cuda device (GPU or interpreter)")

RNG = np.random.default_rng(3)
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def _np_dtype(name):
    return np.dtype(ml_dtypes.bfloat16) if name == "bfloat16" else np.dtype(name)


def _data(shape, dtype="float32"):
    lo, hi = (0, 2) if dtype == "bool" else (0, 5) if dtype == "uint8" else (-4, 5)
    return RNG.integers(lo, hi, size=shape).astype(_np_dtype(dtype))


def _pair(a):
    return tt.tensor(a), tt.tensor(a, device="cuda")


def _idx(a, dtype=np.int64):
    return _pair(np.asarray(a, dtype=dtype))


def _same(c, g, exact=True):
    assert g.device.type == "cuda" and tuple(c.shape) == tuple(g.shape) and c.dtype is g.dtype
    a, b = c.numpy(), g.cpu().numpy()
    if exact or a.dtype.kind not in "fV":
        np.testing.assert_array_equal(a, b)
    else:  # atomic float sums may add in another order
        np.testing.assert_allclose(b.astype(np.float64), a.astype(np.float64), rtol=1e-6, atol=1e-6)


def _raises_same(fn_cpu, fn_cuda):
    """Both devices raise the same error (IndexError, or RuntimeError where PyTorch's kernel does)
    with the same message."""
    with pytest.raises((IndexError, RuntimeError)) as ec:
        fn_cpu()
    with pytest.raises((IndexError, RuntimeError)) as eg:
        fn_cuda()
    assert type(ec.value) is type(eg.value) and str(ec.value) == str(eg.value)
    return str(eg.value)


# ---- advanced indexing ------------------------------------------------------------------------------
KEYS = [
    lambda i: (i([2, -1, 0, 2]),),
    lambda i: (i([[0], [-3]]), slice(1, 3), i([1, -5, 4])),
    lambda i: (slice(None), i([3, 0]), i([[1], [-1]])),
    lambda i: (Ellipsis, i([0, 4, 4], np.int32)),
    lambda i: (i([[1, 2]], np.int16), i([3]), i(2)),
    lambda i: (slice(None), i(np.zeros(0, np.int64))),
]


@pytest.mark.parametrize("k", range(len(KEYS)))
def test_index_matches_cpu(k):
    x, g = _pair(_data((3, 4, 6), "float64"))
    key = KEYS[k]
    kc = key(lambda v, dt=np.int64: _idx(v, dt)[0])
    kg = key(lambda v, dt=np.int64: _idx(v, dt)[1])
    _same(x[..., :5][kc], g[..., :5][kg])
    _same(x.permute(2, 0, 1)[1:].permute(1, 2, 0)[kc], g.permute(2, 0, 1)[1:].permute(1, 2, 0)[kg])


@pytest.mark.parametrize("dtype", DTYPES)
def test_index_and_mask_every_dtype(dtype):
    x, g = _pair(_data((4, 6), dtype))
    (i, ig), (m, mg) = _idx([3, -4, 1]), _pair(RNG.random((4, 6)) > 0.5)
    _same(x[:, ::2][i], g[:, ::2][ig])
    _same(x[m], g[mg])


def test_index_out_of_range_parity():
    x, g = _pair(_data((3, 4)))
    msg = _raises_same(lambda: x[_idx([0, 3])[0]], lambda: g[_idx([0, 3])[1]])
    assert msg == "index 3 is out of bounds for dimension 0 with size 3"
    _raises_same(lambda: x[_idx([0, -4])[0]], lambda: g[_idx([0, -4])[1]])
    # the first bad index tensor in dim order is reported, as on the cpu
    _raises_same(lambda: x[_idx([5])[0], _idx([9])[0]], lambda: g[_idx([5])[1], _idx([9])[1]])
    _raises_same(lambda: x[_idx([1])[0], _idx([-9])[0]], lambda: g[_idx([1])[1], _idx([-9])[1]])
    # an empty broadcast result still checks every index tensor
    _raises_same(lambda: x[_idx(np.zeros(0))[0], _idx([7])[0]], lambda: g[_idx(np.zeros(0))[1], _idx([7])[1]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_index_put_accumulate_duplicates(dtype):
    x, g = _pair(_data((4, 3), dtype))
    (i, ig), (j, jg) = _idx([1, 1, 3, -3, 1]), _idx([0, 0, 2, 0, 0])
    v, vg = _pair(_data((5,), dtype))
    _same(tt.index_put(x, (i, j), v, accumulate=True), tt.index_put(g, (ig, jg), vg, accumulate=True), exact=False)
    rows, rows_g = _pair(_data((5, 3), dtype))
    _same(tt.index_put(x, (i,), rows, accumulate=True), tt.index_put(g, (ig,), rows_g, accumulate=True),
          exact=False)


def test_index_put_store_and_in_place_strided():
    a = _data((4, 6), "float32")
    x, g = _pair(a)
    (i, ig), (v, vg) = _idx([2, -1]), _pair(_data((2, 1), "float32"))
    xc, gc = x[:, 1::2], g[:, 1::2]
    xc.index_put_((i,), v)
    gc.index_put_((ig,), vg)
    _same(x, g)
    # duplicates without accumulate: one of the written values lands
    z = tt.zeros(3, device="cuda")
    z.index_put_((_idx([1, 1])[1],), tt.tensor([5.0, 6.0], device="cuda"))
    assert z.cpu().tolist()[1] in (5.0, 6.0)
    # broadcast value, mask index
    m, mg = _pair(a > 0)
    _same(tt.index_put(x, (m,), tt.tensor(7.0)), tt.index_put(g, (mg,), tt.tensor(7.0, device="cuda")))


def test_index_put_error_leaves_tensor_untouched():
    a = _data((3, 4), "int64")
    x, g = _pair(a)
    v, vg = _pair(np.ones(2, np.int64))
    _raises_same(lambda: x.index_put_((_idx([0, 3])[0],), v[:1], accumulate=True),
                 lambda: g.index_put_((_idx([0, 3])[1],), vg[:1], accumulate=True))
    np.testing.assert_array_equal(g.cpu().numpy(), a)


# ---- nonzero / masked ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_nonzero_matches_cpu(dtype):
    a = _data((3, 2, 4), dtype)
    if dtype.startswith(("float", "bfloat")):
        a[0, 0, :3] = [np.nan, -0.0, 0.0]
    x, g = _pair(a)
    _same(tt.nonzero(x), tt.nonzero(g))
    _same(tt.nonzero(x.permute(2, 0, 1)[1:]), tt.nonzero(g.permute(2, 0, 1)[1:]))
    for t, tg in zip(tt.nonzero(x[1], as_tuple=True), tt.nonzero(g[1], as_tuple=True)):
        _same(t, tg)


def test_nonzero_zero_d_and_empty():
    for a in (np.array(3.0), np.array(0), np.zeros((0, 3)), np.zeros((2, 0, 1), bool)):
        x, g = _pair(a)
        _same(tt.nonzero(x), tt.nonzero(g))


@pytest.mark.parametrize("dtype", ["bool", "int8", "bfloat16", "float64"])
def test_masked_select_and_fill_broadcast(dtype):
    x, g = _pair(_data((3, 4), dtype))
    m, mg = _pair(RNG.random(4) > 0.4)
    _same(tt.masked_select(x, m), tt.masked_select(g, mg))
    _same(tt.masked_select(x.t()[1:], m[1:, None]), tt.masked_select(g.t()[1:], mg[1:, None]))
    _same(tt.masked_select(x[0, 0], m), tt.masked_select(g[0, 0], mg))  # 0-d input broadcast
    _same(tt.masked_fill(x, m, 1), tt.masked_fill(g, mg, 1))
    _same(tt.masked_fill(x[0], m[:, None], 0.0), tt.masked_fill(g[0], mg[:, None], 0.0))  # output broadcast
    xs, gs = x[:, ::2], g[:, ::2]
    xs.masked_fill_(m[::2], tt.tensor(2, dtype=x.dtype))
    gs.masked_fill_(mg[::2], tt.tensor(2, dtype=x.dtype, device="cuda"))
    _same(x, g)
    e, eg = _pair(np.zeros((0, 4), _np_dtype(dtype)))
    _same(tt.masked_select(e, m), tt.masked_select(eg, mg))


# ---- gather / scatter family ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_scatter_every_dtype(dtype):
    x, g = _pair(_data((3, 5), dtype))
    (i, ig), (s, sg) = _idx([[0, 4, 4], [2, 2, 1]]), _pair(_data((2, 4), dtype))
    _same(tt.gather(x, 1, i), tt.gather(g, 1, ig))
    j, jg = _idx([[0, 4, 2], [3, 1, 0]])  # distinct per row: plain scatter is deterministic
    _same(tt.scatter(x, 1, j, s), tt.scatter(g, 1, jg, sg))
    _same(tt.scatter(x, 1, j, True if dtype == "bool" else 3), tt.scatter(g, 1, jg, True if dtype == "bool" else 3))
    if dtype != "bool":
        _same(tt.scatter_add(x, 1, i, s), tt.scatter_add(g, 1, ig, sg), exact=False)
    _same(tt.scatter(x, 1, i, s, reduce="add"), tt.scatter(g, 1, ig, sg, reduce="add"), exact=False)
    _same(tt.scatter(x, 1, i, s, reduce="multiply"), tt.scatter(g, 1, ig, sg, reduce="multiply"), exact=False)


def test_gather_scatter_strided_and_out():
    a = _data((4, 6), "float32")
    x, g = _pair(a)
    (i, ig) = _idx([[3, 0], [1, 1], [0, 2]])
    _same(tt.gather(x[:, 1::2], 0, i), tt.gather(g[:, 1::2], 0, ig))
    oc, og = tt.zeros((3, 4)), tt.zeros((3, 4), device="cuda")
    tt.gather(x.t(), 1, i, out=oc[:, ::2])
    tt.gather(g.t(), 1, ig, out=og[:, ::2])
    _same(oc, og)
    s, sg = _pair(_data((3, 2), "float32"))
    xs, gs = x[:, ::2], g[:, ::2]
    xs.scatter_add_(0, i, s)
    gs.scatter_add_(0, ig, sg)
    _same(x, g)
    x.scatter_(0, _idx([[1, 0], [0, 1]])[0], s[:2], reduce="multiply")
    g.scatter_(0, _idx([[1, 0], [0, 1]])[1], sg[:2], reduce="multiply")
    _same(x, g)


def test_scatter_many_dims_split():
    # 7 dims that no collapse can merge: the host splits the leading dims.
    a = RNG.standard_normal((2,) * 7 + (3,))
    x, g = _pair(a)
    perm = (7, 6, 5, 4, 3, 2, 1, 0)
    idx = RNG.integers(0, 2, size=(3,) + (2,) * 7)
    i, ig = _idx(idx)
    _same(tt.gather(x.permute(*perm), 1, i), tt.gather(g.permute(*perm), 1, ig))
    _same(tt.scatter_add(x.permute(*perm), 1, i, x.permute(*perm)),
          tt.scatter_add(g.permute(*perm), 1, ig, g.permute(*perm)), exact=False)


@pytest.mark.parametrize("dtype", ["uint8", "int16", "int64", "float16", "bfloat16", "float64", "bool"])
def test_index_select_add_fill(dtype):
    x, g = _pair(_data((4, 3), dtype))
    (i, ig), (i32, i32g) = _idx([3, 0, 3]), _idx([2, 0], np.int32)
    _same(tt.index_select(x, 0, i), tt.index_select(g, 0, ig))
    _same(tt.index_select(x.t(), 1, i32), tt.index_select(g.t(), 1, i32g))
    src, srcg = _pair(_data((3, 3), dtype))
    alpha = {} if dtype == "bool" else {"alpha": 2}
    _same(tt.index_add(x, 0, i, src, **alpha), tt.index_add(g, 0, ig, srcg, **alpha), exact=False)
    xc, gc = x.t()[:, 1:], g.t()[:, 1:]
    xc.index_add_(1, i32, src[:, :2])
    gc.index_add_(1, i32g, srcg[:, :2])
    _same(x, g, exact=False)
    n, ng = _idx([-1, 0])
    _same(tt.index_fill(x, 1, n, 1), tt.index_fill(g, 1, ng, 1))
    v = tt.tensor(np.array(0, _np_dtype(dtype)))
    _same(tt.index_fill(x.t(), 0, n, v), tt.index_fill(g.t(), 0, ng, v.cuda()))


def test_float_alpha_and_zero_d():
    x, g = _pair(RNG.standard_normal((4, 2)).astype(np.float16))
    s, sg = _pair(RNG.standard_normal((2, 2)).astype(np.float16))
    i, ig = _idx([1, 1])
    _same(tt.index_add(x, 0, i, s, alpha=0.5), tt.index_add(g, 0, ig, sg, alpha=0.5))
    z, zg = _pair(np.array(1.5))
    zi, zig = _idx(0)
    _same(tt.gather(z, 0, zi), tt.gather(zg, 0, zig))
    _same(tt.scatter_add(z, 0, zi, z), tt.scatter_add(zg, 0, zig, zg))
    _same(tt.index_select(z, 0, _idx([0])[0]), tt.index_select(zg, 0, _idx([0])[1]))
    _same(tt.index_select(x[:, 0], 0, zi), tt.index_select(g[:, 0], 0, zig))


def test_out_of_range_parity_and_in_place_untouched():
    a = _data((3, 4), "float32")
    x, g = _pair(a)
    (i, ig), (s, sg) = _idx([[0, 4]]), _pair(np.ones((1, 2), np.float32))
    assert _raises_same(lambda: tt.gather(x, 1, i), lambda: tt.gather(g, 1, ig)) == \
        "index 4 is out of bounds for dimension 1 with size 4"
    _raises_same(lambda: tt.gather(x, 1, -i), lambda: tt.gather(g, 1, -ig))
    _raises_same(lambda: x.scatter_(1, i, s), lambda: g.scatter_(1, ig, sg))
    _raises_same(lambda: x.scatter_add_(1, i, s), lambda: g.scatter_add_(1, ig, sg))
    _raises_same(lambda: x.scatter_(1, i, s, reduce="multiply"), lambda: g.scatter_(1, ig, sg, reduce="multiply"))
    r, rg = _idx([1, 3])
    src, srcg = _pair(np.ones((2, 4), np.float32))
    _raises_same(lambda: x.index_add_(0, r, src), lambda: g.index_add_(0, rg, srcg))
    _raises_same(lambda: tt.index_select(x, 0, r), lambda: tt.index_select(g, 0, rg))
    n, ng = _idx([-5])
    _raises_same(lambda: x.index_fill_(1, n, 2.0), lambda: g.index_fill_(1, ng, 2.0))
    np.testing.assert_array_equal(g.cpu().numpy(), a)
    _same(x, g)
    # no check when there is nothing to scatter
    e, eg = _idx(np.zeros((1, 0)))
    _same(tt.scatter(x, 1, e, s[:, :0]), tt.scatter(g, 1, eg, sg[:, :0]))
