"""Reductions, scans and isclose on the cuda device vs the cpu device on identical inputs:
every dtype, strided / transposed / offset / broadcast views, several dims and keepdim,
``out=`` into strided views, long rows that take the split (two-stage) path, NaN/inf
semantics, empty and 0-d inputs, and more non-mergeable dims than the kernels index directly.

Runs on a real GPU when present, else in Triton's interpreter (see conftest); sizes stay small.
"""
import math

import numpy as np
import pytest

import tritorch as tt
from tritorch._ops.reduction_scan import _cumsum
from tritorch.kernels import _reduce, scan

pytestmark = [pytest.mark.skipif(not tt.cuda.is_available(), reason="no cuda device (GPU or interpreter)"),
              pytest.mark.filterwarnings("ignore::RuntimeWarning"), pytest.mark.filterwarnings("ignore::UserWarning")]

FLOATS = [tt.float16, tt.bfloat16, tt.float32, tt.float64]
ALL = FLOATS + [tt.uint8, tt.int8, tt.int16, tt.int32, tt.int64, tt.bool]
TOL = {tt.float16: 2e-3, tt.bfloat16: 1.6e-2, tt.float32: 2e-5, tt.float64: 1e-12}


def data(shape, dtype, seed=0, low=-3, high=3):
    rng = np.random.default_rng(seed)
    if dtype is tt.bool:
        return rng.random(shape) > 0.5
    if dtype.is_floating_point:
        return rng.uniform(low, high, shape)
    return rng.integers(0 if dtype is tt.uint8 else low, high + 1, shape)


def pair(a, dtype):
    return tt.tensor(a, dtype=dtype), tt.tensor(a, dtype=dtype, device="cuda")


def same(c, g):
    """cpu result ``c`` vs cuda result ``g``: same dtype and shape; ints exact, floats close."""
    if isinstance(c, (tuple, list)):
        assert len(c) == len(g)
        for a, b in zip(c, g):
            same(a, b)
        return
    assert g.device.type == "cuda"
    assert c.dtype is g.dtype and tuple(c.shape) == tuple(g.shape), (c.dtype, g.dtype, c.shape, g.shape)
    a, b = c.numpy(), g.cpu().numpy()
    if c.dtype.is_floating_point:
        tol = TOL[c.dtype]
        np.testing.assert_allclose(b.astype(np.float64), a.astype(np.float64), rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(b, a)


def check(fn, *tensors):
    """Run ``fn`` on the cpu tensors and on (contiguous) cuda copies of them; compare."""
    same(fn(*tensors), fn(*[t.cuda() for t in tensors]))


@pytest.fixture
def splits(monkeypatch):
    """Records the grids of reduction/scan launches (a split launch has grid[1] > 1)."""
    grids = []
    for mod in (_reduce, scan):
        orig = mod.launch

        def rec(kernel, grid, *args, _orig=orig, **meta):
            grids.append(grid)
            return _orig(kernel, grid, *args, **meta)
        monkeypatch.setattr(mod, "launch", rec)
    return grids


def _ops_for(dtype):
    ops = [lambda x: x.sum((0, 2)), lambda x: x.prod(1), lambda x: x.amax(-1), lambda x: x.amin((0, 1), keepdim=True),
           lambda x: x.all(1), lambda x: x.any(), lambda x: tt.count_nonzero(x, 2),
           lambda x: tuple(x.max(1)), lambda x: tuple(x.min(0, keepdim=True)),
           lambda x: x.cumsum(2), lambda x: x.cumprod(0), lambda x: x.nansum(1),
           lambda x: tt.sum(x, 0, dtype=tt.float64)]
    if dtype is not tt.bool:  # PyTorch has no bool argmax/argmin/logsumexp
        ops += [lambda x: x.logsumexp(1), lambda x: x.argmax(), lambda x: x.argmin(1, keepdim=True)]
    if dtype.is_floating_point:
        ops += [lambda x: x.mean((1, 2)), lambda x: x.var(0), lambda x: x.std((0, 2), correction=0, keepdim=True),
                lambda x: x.norm(), lambda x: x.norm(1, dim=1), lambda x: x.norm(math.inf, dim=(0, 1)),
                lambda x: x.norm(-math.inf, dim=2), lambda x: x.norm(0, dim=0), lambda x: x.norm(0.5, dim=2)]
    return ops


@pytest.mark.parametrize("dtype", ALL, ids=lambda d: d.name)
def test_every_op_every_dtype_permuted_input(dtype):
    c, g = pair(data((5, 3, 2), dtype), dtype)
    c, g = c.permute(2, 1, 0), g.permute(2, 1, 0)  # (2, 3, 5), not contiguous
    for fn in _ops_for(dtype):
        same(fn(c), fn(g))


def test_strided_offset_and_broadcast_views():
    c, g = pair(data((6, 8, 5), tt.float32, 1), tt.float32)
    views = [lambda x: x[1:, ::3, 2:], lambda x: x.transpose(0, 2)[:, 1:7:2], lambda x: x.permute(1, 2, 0)[2:],
             lambda x: x[:, 3, 1:].unsqueeze(1).expand(6, 4, 4)]
    for view in views:
        for fn in (lambda x: x.sum(), lambda x: x.sum(0), lambda x: x.sum((0, 2), keepdim=True),
                   lambda x: x.amax((-1, 0)), lambda x: tuple(x.max(-1)), lambda x: x.argmin(), lambda x: x.var(1),
                   lambda x: x.cumsum(0), lambda x: x.cumprod(-1), lambda x: x.logsumexp((0, 1), keepdim=True)):
            same(fn(view(c)), fn(view(g)))


def test_out_into_strided_views():
    a = data((4, 6), tt.float64, 2)
    c, g = pair(a, tt.float64)

    def run(x):
        dev = x.device.type
        o = tt.tensor(np.full((5, 4), -1.0), device=dev)
        vals = tt.tensor(np.full((4, 3), -1.0), device=dev)
        idx = tt.tensor(np.full((3, 4), -1), device=dev)
        cs = tt.tensor(np.full((6, 8), -1.0), device=dev)
        tt.sum(x, 1, out=o[1:, 2])
        tt.var(x, 1, out=o[1:, 0])
        tt.max(x, 1, out=(vals[:, 1], idx[1]))
        tt.argmin(x, 1, out=idx[2])
        tt.cumsum(x, 1, out=cs[1:5, 1::1][:, :6].t().t())
        tt.cumprod(x.t(), 0, out=cs.t()[1:7, 5:9].t().t())
        return o, vals, idx, cs

    same(run(c), run(g))


def test_long_rows_take_the_split_path(splits):
    n = 5000
    a = data((3, n), tt.float32, 3)
    a[1, 100] = a[1, 4500] = 10.0    # tie across the split: the first index wins
    a[2, 4800] = np.nan              # NaN only in the second part: it wins
    c, g = pair(a, tt.float32)
    for fn in (lambda x: x.sum(1), lambda x: x.sum(), lambda x: x.mean(), lambda x: tuple(x.max(1)),
               lambda x: x.argmax(1), lambda x: x.argmin(), lambda x: x[:2].var(1), lambda x: x[:2].std(),
               lambda x: x[:2].logsumexp(1), lambda x: x[:2].norm(3, dim=1), lambda x: x[:2].norm(math.inf),
               lambda x: x[:2].t().sum(0)):
        splits.clear()
        same(fn(c), fn(g))
        assert any(grid[1] > 1 for grid in splits), "expected a split reduction"
    ints = data((2, n), tt.int32, 4, -1000, 1000)
    check(lambda x: (x.sum(1), x.sum(), x.prod(1), x.cumsum(1)), pair(ints, tt.int32)[0])
    check(lambda x: (x.sum(), x.mean(1), x.cumsum(1)), pair(a[:2], tt.bfloat16)[0])
    near_one = data((2, n), tt.float64, 5, 0.999, 1.001)
    splits.clear()
    check(lambda x: (x.prod(1), x.cumprod(1), x.cumsum(-1), _cumsum(x, 1, None, True)), pair(near_one, tt.float64)[0])
    assert any(grid[1] > 1 for grid in splits), "expected a split scan"


def test_nan_and_inf_semantics():
    inf, nan = math.inf, math.nan
    a = np.array([[1.0, nan, 2.0, nan], [-inf, -inf, -inf, -inf], [inf, 1.0, -2.0, inf], [1000.0, 1000.0, -5.0, 0.0],
                  [3.0, 3.0, -1.0, -1.0]])
    for dtype in (tt.float32, tt.bfloat16, tt.float64):
        check(lambda x: (x.amax(1), x.amin(1), x.argmax(1), x.argmin(1), tuple(x.max(1)), tuple(x.min(1)),
                         x.logsumexp(1), x.sum(1), x.nansum(1), x.prod(1), x.cumsum(1), x.norm(math.inf, dim=1),
                         x.norm(2, dim=1), x.all(1), x.any(1), tt.count_nonzero(x, 1), x.var(1)), pair(a, dtype)[0])
    check(lambda x: (x.argmax(), x.argmin(), x.amax(), x.amin()), pair(a, tt.float32)[0])


def test_empty_and_0d():
    empty = np.zeros((0, 3))
    for dtype in (tt.float32, tt.int64, tt.bool):
        fns = [lambda x: x.sum(0), lambda x: x.prod(0), lambda x: x.all(0), lambda x: x.any(0),
               lambda x: tt.count_nonzero(x, 0), lambda x: x.sum(), lambda x: x.cumsum(0), lambda x: x.amax(1)]
        if dtype is not tt.bool:
            fns.append(lambda x: x.logsumexp(0))
        if dtype.is_floating_point:
            fns += [lambda x: x.mean(0), lambda x: x.var(0), lambda x: x.norm(dim=0), lambda x: x.norm(0, dim=0),
                    lambda x: x.norm(math.inf, dim=1)]
        for fn in fns:
            check(fn, pair(empty, dtype)[0])
        scalar = pair(np.array(2.5 if dtype.is_floating_point else 1), dtype)[0]
        fns = [lambda x: x.sum(), lambda x: x.sum(0, keepdim=True), lambda x: x.prod(), lambda x: x.amax(),
               lambda x: tuple(x.max(0)),
               lambda x: x.cumsum(0), lambda x: x.cumprod(-1), lambda x: x.all(), lambda x: tt.count_nonzero(x)]
        if dtype is not tt.bool:  # PyTorch has no bool argmax/argmin
            fns += [lambda x: x.argmax(), lambda x: x.argmin(0, keepdim=True)]
        if dtype.is_floating_point:
            fns += [lambda x: x.mean(), lambda x: x.var(correction=0), lambda x: x.logsumexp(0), lambda x: x.norm(3)]
        for fn in fns:
            check(fn, scalar)
    c, g = pair(empty, tt.float32)
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        g.amax(0)
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        c.amax(0)


def test_more_dims_than_the_kernel_indexes(monkeypatch):
    calls = []
    orig = _reduce._reduce_permuted
    monkeypatch.setattr(_reduce, "_reduce_permuted", lambda *a: calls.append(1) or orig(*a))
    c, g = (t.permute(*reversed(range(6))) for t in pair(data((2, 3, 2, 3, 2, 3), tt.float32, 6), tt.float32))
    fn = lambda x: (x.sum((0, 1, 2, 3, 4)), x.amax(0, keepdim=True), x.argmax(), tuple(x.max(4)),  # noqa: E731
                    x.var((1, 2, 3, 4, 5)), x.cumsum(0))
    same(fn(c), fn(g))  # no two dims merge: amax, argmax and max copy x with the kept dims first
    assert len(calls) == 3


def test_int_and_bool_ties_and_promotions():
    a = np.array([[3, 1, 3, 0], [0, 0, 0, 0], [-5, 7, 7, -5]])
    for dtype in (tt.int8, tt.uint8, tt.int64, tt.bool):
        if dtype is not tt.bool:  # PyTorch has no bool argmax/argmin
            check(lambda x: (x.argmax(1), x.argmin(1)), pair(np.abs(a) if dtype is tt.uint8 else a, dtype)[0])
        check(lambda x: (tuple(x.max(0)), tuple(x.min(1)), x.sum(1), x.prod(0),
                         x.cumsum(0), x.cumprod(1), tt.sum(x, 1, dtype=tt.int16), tt.cumsum(x, 1, dtype=tt.float16),
                         tt.sum(x, 0, dtype=tt.bool), tt.prod(x, 1, dtype=tt.bool), tt.cumsum(x, 1, dtype=tt.bool)),
              pair(np.abs(a) if dtype is tt.uint8 else a, dtype)[0])


def test_isclose():
    a = np.array([[1.0, math.nan, math.inf, -math.inf, 1.0, 2.0], [0.0, 1e-9, -3.0, 5.0, 1.0, 7.0]])
    b = np.array([1.0, math.nan, math.inf, math.inf, 1.0 + 1e-6, 2.1])
    for dtype in (tt.float16, tt.bfloat16, tt.float32, tt.float64):
        x, y = pair(a, dtype)[0], pair(b, dtype)[0]
        check(lambda p, q: (tt.isclose(p, q), tt.isclose(p, q, equal_nan=True),
                            tt.isclose(p.t()[1:].t(), q[1:], 0.1, 1.0)), x, y)
    ints = np.array([[1, 5, -3], [100, 0, 7]])
    for dtype in (tt.int32, tt.uint8, tt.bool):
        v = np.abs(ints) if dtype is not tt.int32 else ints
        check(lambda p, q: (tt.isclose(p, q), tt.isclose(p, q, rtol=0.0, atol=2)), pair(v, dtype)[0],
              pair(v[::-1].copy(), dtype)[0])
