"""int32 / int64 offset choice of the launchers in conv, grid_sample, padding, pooling, upsampling,
normalization and random (kernels/_launch.py's `needs_i64`).

Each family's launcher gets an operand view whose element offsets pass 2**31 over a tiny real
buffer, and must ask for 64-bit offsets; with an ordinary small view it must not.  `launch` is
replaced by a recorder, so no kernel runs and the huge view is never read.  (batch_norm, sparse and
random's row-wise kernels compute offsets in int64 unconditionally: no switch to check.)

Also: avg_pool's divisor at ceil_mode's overhanging last window, against PyTorch (issue 15 item 7).
"""
import numpy as np
import pytest
import torch

import tritorch as tt
import tritorch.nn.functional as F
from tritorch.kernels import conv, grid_sample, normalization, padding, pooling, random, upsampling

BIG = 2**31


def _cuda(n=8, dtype=tt.float32):
    return tt.zeros(n, dtype=dtype, device="cuda")._data


def _small(shape, dtype=tt.float32):
    return tt.zeros(*shape, dtype=dtype, device="cuda")._data


def _huge(shape, dtype=tt.float32):
    """A ``shape`` view over 8 real elements whose last dim steps by 2**31 elements."""
    strides = (0,) * (len(shape) - 1) + (BIG,)
    return _cuda(8, dtype).view_as(tuple(shape), strides)


@pytest.fixture
def launches(monkeypatch):
    """``record(module)`` fakes ``module.launch``; returns the list of recorded launch metas."""
    metas = []

    def record(module):
        monkeypatch.setattr(module, "launch", lambda kernel, grid, *args, **meta: metas.append(meta))
        return metas
    return record


def _i64(metas, run):
    metas.clear()
    run()
    assert metas, "no launch recorded"
    return metas[0]["I64"]


@pytest.mark.parametrize("make", [_small, _huge])
def test_conv(launches, make):
    metas = launches(conv)
    geom = ((1,), (1,), ((0, 0),), (1,))
    assert _i64(metas, lambda: conv.im2col(_small((1, 1, 2)), make((1, 1, 2)), *geom)) is (make is _huge)
    assert _i64(metas, lambda: conv.col2im(_small((1, 1, 2)), make((1, 1, 2)), (2,), *geom)) is (make is _huge)


@pytest.mark.parametrize("make", [_small, _huge])
def test_grid_sample(launches, make):
    metas = launches(grid_sample)
    grid = _small((1, 1, 1, 2))
    args = ("bilinear", "zeros", False)
    assert _i64(metas, lambda: grid_sample.grid_sample(_small((1, 1, 1, 1)), make((1, 1, 2, 2)), grid, *args)) \
        is (make is _huge)
    out = (_small((1, 1, 2, 2)), _small((1, 1, 1, 2)))
    assert _i64(metas, lambda: grid_sample.grid_sample_backward(out, _small((1, 1, 1, 1)), make((1, 1, 2, 2)), grid,
                                                                 *args)) is (make is _huge)


@pytest.mark.parametrize("make", [_small, _huge])
def test_padding(launches, make):
    metas = launches(padding)
    assert _i64(metas, lambda: padding.pad(_small((4,)), make((2,)), [(1, 1)], "reflect")) is (make is _huge)
    assert _i64(metas, lambda: padding.pad_backward(_small((2,)), make((4,)), [(1, 1)], "reflect", (2,))) \
        is (make is _huge)


@pytest.mark.parametrize("make", [_small, _huge])
def test_pooling(launches, make):
    metas = launches(pooling)
    out = (_small((1, 1, 1)), _small((1, 1, 1), tt.int64))
    assert _i64(metas, lambda: pooling.max_pool(out, make((1, 1, 2)), (2,), (2,), (0,), (1,), False)) \
        is (make is _huge)
    assert _i64(metas, lambda: pooling.avg_pool_backward(_small((1, 1, 2)), make((1, 1, 1)), (1, 1, 2), (2,), (2,),
                                                         (0,), False, True, None)) is False  # size-1 dims reach nothing
    assert _i64(metas, lambda: pooling.avg_pool_backward(_small((1, 1, 4)), make((1, 1, 2)), (1, 1, 4), (2,), (2,),
                                                         (0,), False, True, None)) is (make is _huge)


@pytest.mark.parametrize("make", [_small, _huge])
def test_upsampling(launches, make):
    metas = launches(upsampling)
    assert _i64(metas, lambda: upsampling.upsample(_small((1, 1, 4)), make((1, 1, 2)), (4,), "linear", False,
                                                   (None,))) is (make is _huge)
    assert _i64(metas, lambda: upsampling.upsample_backward(_small((1, 1, 2)), make((1, 1, 4)), (1, 1, 2), "linear",
                                                            False, (None,))) is (make is _huge)
    assert _i64(metas, lambda: upsampling.upsample(_small((1, 1, 4, 4)), make((1, 1, 2, 2)), (4, 4), "cubic", False,
                                                   (None, None))) is (make is _huge)


@pytest.mark.parametrize("make", [_small, _huge])
def test_normalization(launches, make):
    """A row whose column stride makes it span 2**31 elements needs 64-bit column offsets (row bases
    are always int64): before issue 15 the column offsets were int32 regardless."""
    metas = launches(normalization)
    x = make((1, 2))
    y, mean, rstd = _small((1, 2)), _small((1,)), _small((1,))
    assert _i64(metas, lambda: normalization.layer_norm((y, mean, rstd), x, (2,), None, None, 1e-5)) is (make is _huge)
    out = (_small((1, 2)), _small((2,)), _small((2,)))
    assert _i64(metas, lambda: normalization.layer_norm_backward(out, _small((1, 2)), x, mean, rstd, None, (2,))) \
        is (make is _huge)


@pytest.mark.parametrize("make", [_small, _huge])
def test_random(launches, make):
    metas = launches(random)
    assert _i64(metas, lambda: random.uniform(make((2,)), (2,), tt.float32, seed=0, offset=0)) is (make is _huge)


def test_avg_pool_ceil_mode_divisor(device):
    """ceil_mode's last window overhangs input + padding (width 8, kernel 3, stride 2, padding 1:
    the 5th window covers columns 7..9 of a padded width 10 with 9 real-or-padding columns); the
    output shape carries ceil_mode, and the divisor clips at input + padding as torch's does."""
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 8))
    for include_pad in (True, False):
        a = tt.tensor(x, device=device, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        y = F.avg_pool2d(a, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=include_pad)
        yt = torch.nn.functional.avg_pool2d(b, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=include_pad)
        assert tuple(y.shape) == tuple(yt.shape) == (1, 2, 3, 5)
        np.testing.assert_allclose(y.detach().cpu().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
        g = np.random.default_rng(1).standard_normal(tuple(yt.shape))
        y.backward(tt.tensor(g, device=device))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(a.grad.cpu().numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)
