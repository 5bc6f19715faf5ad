"""tritorch.nn pooling, pixel / channel shuffle, upsampling, padding and distance layers against PyTorch:
the same module built in both libraries, outputs (and indices) and input gradients compared (float64, cpu
and cuda), plus repr and input-dim errors."""
import math

import numpy as np
import pytest
import torch

import tritorch as tt
import tritorch.nn as nn


def _tt(t, device, requires_grad=False):
    x = tt.tensor(t.detach().numpy(), device=device)
    return x.requires_grad_() if requires_grad else x


def _np(x):
    return x.detach().cpu().numpy()


def _modules(name, args, kwargs):
    tm, m = getattr(torch.nn, name)(*args, **kwargs), getattr(nn, name)(*args, **kwargs)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict()) == []
    return tm, m


def _compare(name, args, kwargs, shapes, device, fwd_extra=(), positive=False):
    """Forward the torch and tritorch modules on the same random float64 inputs (plus ``fwd_extra`` torch
    tensors passed as-is, converted for tritorch); compare the output (and the indices when the module
    returns a tuple), then the input gradients of sum(out * g) for a random g."""
    tm, m = _modules(name, args, kwargs)
    xs = [torch.randn(*s, dtype=torch.float64) for s in shapes]
    if positive:
        xs = [x.abs() + 0.1 for x in xs]
    xs = [x.requires_grad_() for x in xs]
    ys = [_tt(x, device, requires_grad=True) for x in xs]
    extra_t = [e for e in fwd_extra]
    extra = [_tt(e, device) if isinstance(e, torch.Tensor) else e for e in fwd_extra]
    tout, out = tm(*xs, *extra_t), m(*ys, *extra)
    if isinstance(tout, tuple):
        (tout, tidx), (out, idx) = tout, out
        assert idx.dtype == tt.int64
        np.testing.assert_array_equal(_np(idx), tidx.numpy())
    assert tuple(out.shape) == tuple(tout.shape)
    assert out.device.type == device
    np.testing.assert_allclose(_np(out), tout.detach().numpy(), rtol=1e-9, atol=1e-10)
    g = torch.randn(tout.shape, dtype=torch.float64)
    (tout * g).sum().backward()
    (out * _tt(g, device)).sum().backward()
    for x, y in zip(xs, ys):
        np.testing.assert_allclose(_np(y.grad), x.grad.numpy(), rtol=1e-9, atol=1e-10)


def _same_error(make_torch, make_tt, exc):
    with pytest.raises(exc) as te:
        make_torch()
    with pytest.raises(exc) as e:
        make_tt()
    assert str(e.value) == str(te.value)


# ---------------------------------------------------------------------------------------------------- pooling

POOL_CASES = [
    ("MaxPool1d", (3,), {}, (2, 2, 7)),
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}, (2, 9)),
    ("MaxPool1d", (2,), {"return_indices": True}, (1, 2, 6)),
    ("MaxPool2d", (2,), {}, (1, 2, 4, 5)),
    ("MaxPool2d", ((3, 2),), {"stride": (2, 1), "padding": 1, "ceil_mode": True, "return_indices": True},
     (2, 2, 5, 4)),
    ("MaxPool2d", (2,), {"dilation": (2, 1), "stride": 1}, (2, 5, 4)),
    ("MaxPool3d", (2,), {"return_indices": True}, (1, 2, 4, 4, 3)),
    ("MaxPool3d", ((2, 3, 2),), {"stride": 1, "padding": (1, 1, 0), "dilation": (1, 1, 2)}, (2, 3, 4, 5)),
    ("AvgPool1d", (3,), {}, (2, 2, 7)),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}, (2, 8)),
    ("AvgPool2d", (2,), {}, (1, 2, 4, 5)),
    ("AvgPool2d", ((3, 2),), {"stride": (2, 1), "padding": 1, "ceil_mode": True, "count_include_pad": False},
     (2, 2, 5, 4)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "divisor_override": 4}, (1, 6, 5)),
    ("AvgPool3d", (2,), {}, (1, 2, 4, 4, 3)),
    ("AvgPool3d", ((2, 3, 2),), {"stride": 1, "padding": (1, 1, 0), "count_include_pad": False,
                                 "divisor_override": 5}, (2, 3, 4, 5)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 2, 7)),
    ("AdaptiveAvgPool2d", ((2, 3),), {}, (1, 2, 5, 7)),
    ("AdaptiveAvgPool2d", ((None, 2),), {}, (2, 3, 5)),
    ("AdaptiveAvgPool3d", (2,), {}, (1, 2, 3, 4, 5)),
    ("AdaptiveMaxPool1d", (3,), {"return_indices": True}, (2, 2, 7)),
    ("AdaptiveMaxPool2d", ((2, 3),), {}, (1, 2, 5, 7)),
    ("AdaptiveMaxPool2d", (2,), {"return_indices": True}, (2, 3, 5)),
    ("AdaptiveMaxPool3d", ((2, None, 3),), {"return_indices": True}, (1, 2, 3, 4, 5)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", POOL_CASES)
def test_pooling(device, name, args, kwargs, shape):
    _compare(name, args, kwargs, [shape], device)


LP_CASES = [
    ("LPPool1d", (2, 3), {}, (2, 2, 7)),
    ("LPPool1d", (3.0, 2), {"stride": 1, "ceil_mode": True}, (2, 7)),
    ("LPPool2d", (2, 2), {}, (1, 2, 4, 5)),
    ("LPPool2d", (1.5, (3, 2)), {"stride": (2, 1)}, (2, 5, 4)),
    ("LPPool2d", (math.inf, 2), {}, (1, 2, 4, 4)),
    ("LPPool3d", (2, 2), {"stride": 1}, (1, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", LP_CASES)
def test_lp_pool(device, name, args, kwargs, shape):
    _compare(name, args, kwargs, [shape], device, positive=True)


@pytest.mark.parametrize("dims,kernel,kwargs,shape,output_size", [
    (1, 2, {}, (2, 2, 6), None),
    (1, 3, {"stride": 2, "padding": 1}, (1, 7), None),
    (2, 2, {}, (1, 2, 4, 5), [4, 5]),
    (2, (2, 3), {"stride": (2, 1), "padding": (0, 1)}, (2, 2, 5, 4), None),
    (3, 2, {}, (1, 2, 4, 4, 3), (1, 2, 5, 4, 3)),
])
def test_max_unpool(device, dims, kernel, kwargs, shape, output_size):
    pool = getattr(torch.nn, f"MaxPool{dims}d")(kernel, return_indices=True, **kwargs)
    pooled, indices = pool(torch.randn(*shape, dtype=torch.float64))
    tm, m = _modules(f"MaxUnpool{dims}d", (kernel,), kwargs)
    x = pooled.detach().requires_grad_()
    y = _tt(x, device, requires_grad=True)
    tout, out = tm(x, indices, output_size), m(y, _tt(indices, device), output_size)
    np.testing.assert_array_equal(_np(out), tout.detach().numpy())
    g = torch.randn(tout.shape, dtype=torch.float64)
    (tout * g).sum().backward()
    (out * _tt(g, device)).sum().backward()
    np.testing.assert_array_equal(_np(y.grad), x.grad.numpy())


@pytest.mark.parametrize("name,args,kwargs", [
    ("MaxPool1d", (3,), {"stride": 2, "return_indices": True}),
    ("MaxPool2d", ((3, 2),), {"padding": 1, "dilation": 2, "ceil_mode": True}),
    ("MaxPool3d", (2,), {}),
    ("MaxUnpool1d", (3,), {"stride": 2, "padding": 1}),
    ("MaxUnpool2d", ((3, 2),), {}),
    ("MaxUnpool3d", (2,), {"stride": (1, 2, 1)}),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1}),
    ("AvgPool2d", ((3, 2),), {"ceil_mode": True, "divisor_override": 2}),
    ("AvgPool3d", (2,), {"padding": 1}),
    ("LPPool1d", (2, 3), {}),
    ("LPPool2d", (1.5, (3, 2)), {"stride": 1, "ceil_mode": True}),
    ("LPPool3d", (2, 2), {}),
    ("AdaptiveAvgPool1d", (3,), {}),
    ("AdaptiveAvgPool2d", ((None, 3),), {}),
    ("AdaptiveAvgPool3d", (2,), {}),
    ("AdaptiveMaxPool1d", (3,), {"return_indices": True}),
    ("AdaptiveMaxPool2d", ((2, 3),), {}),
    ("AdaptiveMaxPool3d", (2,), {}),
])
def test_pooling_repr_attributes(name, args, kwargs):
    tm, m = _modules(name, args, kwargs)
    for attr in ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode", "count_include_pad",
                 "divisor_override", "norm_type", "output_size"):
        assert getattr(m, attr, None) == getattr(tm, attr, None), attr


# ------------------------------------------------------------------------------- pixel and channel shuffles

@pytest.mark.parametrize("name,factor,shape", [
    ("PixelShuffle", 2, (2, 8, 2, 3)),
    ("PixelShuffle", 3, (9, 2, 1)),
    ("PixelUnshuffle", 2, (1, 2, 4, 6)),
    ("PixelUnshuffle", 3, (2, 1, 2, 3, 6)),
])
def test_pixel_shuffle(device, name, factor, shape):
    _compare(name, (factor,), {}, [shape], device)


@pytest.mark.parametrize("groups,shape", [(2, (2, 4, 3)), (3, (1, 6, 2, 2))])
def test_channel_shuffle(device, groups, shape):
    _compare("ChannelShuffle", (groups,), {}, [shape], device)


def test_shuffle_repr():
    for name, attr in (("PixelShuffle", "upscale_factor"), ("PixelUnshuffle", "downscale_factor"),
                       ("ChannelShuffle", "groups")):
        tm, m = _modules(name, (3,), {})
        assert getattr(m, attr) == getattr(tm, attr) == 3


# --------------------------------------------------------------------------------------------------- upsampling

UPSAMPLE_CASES = [
    ("Upsample", (), {"scale_factor": 2}, (1, 2, 3)),
    ("Upsample", (), {"size": 5, "mode": "linear"}, (2, 2, 3)),
    ("Upsample", (), {"scale_factor": 1.5, "mode": "linear", "align_corners": True}, (1, 2, 4)),
    ("Upsample", (), {"scale_factor": (2, 1.5), "mode": "bilinear"}, (1, 2, 3, 4)),
    ("Upsample", (), {"scale_factor": 1.7, "mode": "bilinear", "recompute_scale_factor": True}, (1, 1, 3, 4)),
    ("Upsample", (), {"size": (4, 6), "mode": "nearest"}, (2, 1, 3, 4)),
    ("Upsample", (), {"scale_factor": 2, "mode": "trilinear", "align_corners": False}, (1, 1, 2, 2, 3)),
    ("Upsample", (), {"size": (3, 4, 2), "mode": "nearest"}, (1, 2, 2, 2, 3)),
    ("UpsamplingNearest2d", (), {"scale_factor": 2}, (1, 2, 3, 2)),
    ("UpsamplingNearest2d", ((5, 3),), {}, (1, 2, 3, 2)),
    ("UpsamplingBilinear2d", (), {"scale_factor": 2}, (1, 2, 3, 2)),
    ("UpsamplingBilinear2d", ((4, 5),), {}, (2, 1, 3, 3)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", UPSAMPLE_CASES)
def test_upsample(device, name, args, kwargs, shape):
    _compare(name, args, kwargs, [shape], device)


def test_upsample_attributes():
    for kwargs in ({"scale_factor": 2}, {"scale_factor": (2, 3)}, {"size": (3, 4), "mode": "bilinear"},
                   {"scale_factor": 0}, {"size": 3, "align_corners": True, "recompute_scale_factor": False}):
        tm, m = _modules("Upsample", (), kwargs)
        for attr in ("name", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"):
            assert getattr(m, attr) == getattr(tm, attr)
            assert type(getattr(m, attr)) is type(getattr(tm, attr))
    assert nn.UpsamplingBilinear2d(scale_factor=2).align_corners is True
    assert nn.UpsamplingNearest2d(size=3).name == "UpsamplingNearest2d"


# ----------------------------------------------------------------------------------------------------- padding

PAD_CASES = [
    ("ZeroPad1d", (2,), (2, 3, 4)),
    ("ZeroPad1d", ((1, -1),), (3, 4)),
    ("ZeroPad2d", ((1, 0, 2, 1),), (1, 2, 3, 3)),
    ("ZeroPad3d", (1,), (1, 2, 2, 2)),
    ("ConstantPad1d", ((2, 1), 3.5), (2, 2, 3)),
    ("ConstantPad2d", (1, -2.0), (2, 3, 3)),
    ("ConstantPad3d", ((1, 0, 0, 1, 2, 0), 1.0), (1, 1, 2, 2, 2)),
    ("ReflectionPad1d", ((2, 1),), (2, 2, 4)),
    ("ReflectionPad1d", (2,), (2, 3)),
    ("ReflectionPad2d", ((1, 2, 2, 0),), (1, 2, 3, 4)),
    ("ReflectionPad3d", (1,), (1, 1, 2, 3, 3)),
    ("ReplicationPad1d", ((3, 1),), (2, 2, 3)),
    ("ReplicationPad2d", (2,), (2, 3, 2)),
    ("ReplicationPad3d", ((1, 0, 2, 1, 0, 1),), (1, 2, 2, 2, 2)),
    ("CircularPad1d", ((2, 1),), (2, 2, 3)),
    ("CircularPad2d", ((1, 2, 0, 1),), (2, 3, 3)),
    ("CircularPad3d", (1,), (1, 1, 2, 2, 3)),
]


@pytest.mark.parametrize("name,args,shape", PAD_CASES)
def test_padding(device, name, args, shape):
    _compare(name, args, {}, [shape], device)


@pytest.mark.parametrize("name,args", [
    ("ZeroPad2d", (2,)), ("ZeroPad3d", ((1, 2, 3, 4, 5, 6),)), ("ConstantPad1d", (1, 0.5)), ("ConstantPad2d", (2, 1)),
    ("ReflectionPad3d", (2,)), ("ReplicationPad1d", ((1, 2),)), ("CircularPad2d", (1,)),
])
def test_padding_repr_attributes(name, args):
    tm, m = _modules(name, args, {})
    assert m.padding == tm.padding and type(m.padding) is tuple
    assert getattr(m, "value", None) == getattr(tm, "value", None)


@pytest.mark.parametrize("name,shape", [
    ("CircularPad1d", (1, 1, 2, 3)), ("CircularPad1d", (3,)), ("CircularPad2d", (3, 4)),
    ("CircularPad2d", (1, 1, 1, 3, 4)), ("CircularPad3d", (2, 3, 4)),
])
def test_circular_pad_dim_errors(name, shape):
    tm, m = _modules(name, (1,), {})
    _same_error(lambda: tm(torch.randn(shape)), lambda: m(tt.randn(*shape)), ValueError)


@pytest.mark.parametrize("name,args,shape", [
    ("ReflectionPad1d", (3,), (1, 2, 3)),  # reflection padding must be smaller than the dim
    ("ReflectionPad2d", (1,), (3, 4)),  # wrong input rank
    ("ReplicationPad3d", (1,), (2, 2, 2)),
])
def test_padding_input_errors(name, args, shape):
    tm, m = _modules(name, args, {})
    with pytest.raises(RuntimeError):
        tm(torch.randn(shape))
    with pytest.raises(RuntimeError):
        m(tt.randn(*shape))


# ---------------------------------------------------------------------------------------------------- distance

@pytest.mark.parametrize("kwargs,shapes", [
    ({}, [(3, 4), (3, 4)]),
    ({"p": 1.0, "keepdim": True}, [(3, 4), (3, 4)]),
    ({"p": 3.0, "eps": 1e-3}, [(2, 5), (1, 5)]),
    ({"p": math.inf}, [(4,), (4,)]),
])
def test_pairwise_distance(device, kwargs, shapes):
    _compare("PairwiseDistance", (), kwargs, shapes, device)


@pytest.mark.parametrize("kwargs,shapes", [
    ({}, [(3, 4), (3, 4)]),
    ({"dim": 0}, [(3, 4), (3, 4)]),
    ({"dim": -1, "eps": 1e-3}, [(2, 3, 5), (2, 1, 5)]),
])
def test_cosine_similarity(device, kwargs, shapes):
    _compare("CosineSimilarity", (), kwargs, shapes, device)


def test_distance_attributes():
    m, tm = nn.PairwiseDistance(p=3.0, eps=1e-4, keepdim=True), torch.nn.PairwiseDistance(p=3.0, eps=1e-4,
                                                                                          keepdim=True)
    assert (m.norm, m.eps, m.keepdim) == (tm.norm, tm.eps, tm.keepdim)
    assert repr(m) == repr(tm) == "PairwiseDistance()"
    m, tm = nn.CosineSimilarity(dim=0, eps=1e-3), torch.nn.CosineSimilarity(dim=0, eps=1e-3)
    assert (m.dim, m.eps) == (tm.dim, tm.eps) and repr(m) == repr(tm)
