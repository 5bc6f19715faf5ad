"""tritorch.nn linear, convolution, fold and flatten layers against PyTorch: the same module built in
both libraries, weights copied through state dicts, outputs and input / parameter gradients compared
(float64, cpu and cuda), plus repr, default init bounds and constructor errors."""
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


def _pair_modules(name, args, kwargs, device):
    """The torch module and the tritorch module with torch's weights (float64, on ``device``)."""
    tm = getattr(torch.nn, name)(*args, **kwargs).double()
    m = getattr(nn, name)(*args, **kwargs).double()
    assert list(m.state_dict()) == list(tm.state_dict())
    m.load_state_dict({k: tt.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, m.to(device)


def _compare(tm, m, shapes, device, fwd_kwargs=None, atol=1e-10):
    """Forward both modules on the same random inputs; compare outputs, then input and parameter gradients
    of sum(out * g) for a random g."""
    fwd_kwargs = fwd_kwargs or {}
    xs = [torch.randn(*s, dtype=torch.float64, requires_grad=True) for s in shapes]
    ys = [_tt(x, device, requires_grad=True) for x in xs]
    tout, out = tm(*xs, **fwd_kwargs), m(*ys, **fwd_kwargs)
    assert tuple(out.shape) == tuple(tout.shape)
    assert out.device.type == device
    np.testing.assert_allclose(_np(out), tout.detach().numpy(), rtol=1e-9, atol=atol)
    g = torch.randn(tout.shape, dtype=torch.float64)
    (tout * g).sum().backward()
    (out * _tt(g, device)).sum().backward()
    for x, y in zip(xs, ys):
        np.testing.assert_allclose(_np(y.grad), x.grad.numpy(), rtol=1e-9, atol=atol)
    tparams = dict(tm.named_parameters())
    for k, p in m.named_parameters():
        np.testing.assert_allclose(_np(p.grad), tparams[k].grad.numpy(), rtol=1e-9, atol=atol, err_msg=k)


def _same_error(make_torch, make_tt, exc):
    with pytest.raises(exc) as te:
        make_torch()
    with pytest.raises(exc) as e:
        make_tt()
    assert str(e.value) == str(te.value).replace("torch.Size", "tritorch.Size")


def _repr(module):
    return repr(module).replace("torch", "tritorch").replace("tritritorch", "tritorch")


# ----------------------------------------------------------------------------------------------------- linear

def test_identity(device):
    m = nn.Identity(3, foo="bar")
    x = tt.randn(2, 3, device=device)
    assert m(x) is x
    assert repr(m) == repr(torch.nn.Identity(3, foo="bar")) == "Identity()"
    assert list(m.state_dict()) == []


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(3, 4), (2, 1, 4), (4,)])
def test_linear(device, bias, shape):
    tm, m = _pair_modules("Linear", (4, 5), {"bias": bias}, device)
    _compare(tm, m, [shape], device)


def test_linear_repr_init_factory():
    assert repr(nn.Linear(3, 4)) == repr(torch.nn.Linear(3, 4))
    assert repr(nn.Linear(3, 4, bias=False)) == repr(torch.nn.Linear(3, 4, bias=False))
    m = nn.Linear(50, 400, dtype=tt.float64)
    assert m.weight.dtype == tt.float64 and m.bias.dtype == tt.float64
    assert tuple(m.weight.shape) == (400, 50) and tuple(m.bias.shape) == (400,)
    assert m.weight.requires_grad and isinstance(m.weight, nn.Parameter)
    bound = 1 / math.sqrt(50)
    w, b = _np(m.weight), _np(m.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01  # U(-b, b) has std b / sqrt(3)
    assert abs(w.mean()) < 0.01
    with pytest.warns(UserWarning, match="zero-element"):
        z = nn.Linear(0, 3)  # zero fan-in: empty weight, zero bias (PyTorch's bound 0)
    assert tuple(z.weight.shape) == (3, 0) and np.all(_np(z.bias) == 0)
    assert m.in_features == 50 and m.out_features == 400


def test_linear_device_kwarg(device):
    m = nn.Linear(3, 2, device=device)
    assert m.weight.device.type == device and m.bias.device.type == device
    assert m(tt.randn(4, 3, device=device)).shape == (4, 2)


def test_bilinear_init_repr():
    m = nn.Bilinear(20, 3, 300, dtype=tt.float64)
    tm = torch.nn.Bilinear(20, 3, 300)
    assert repr(m) == repr(tm)
    assert repr(nn.Bilinear(2, 3, 4, bias=False)) == repr(torch.nn.Bilinear(2, 3, 4, bias=False))
    assert list(m.state_dict()) == list(tm.state_dict())
    assert tuple(m.weight.shape) == (300, 20, 3) and tuple(m.bias.shape) == (300,)
    bound = 1 / math.sqrt(20)
    w = _np(m.weight)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(_np(m.bias)).max() <= bound
    _same_error(lambda: torch.nn.Bilinear(0, 3, 4), lambda: nn.Bilinear(0, 3, 4), ValueError)


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear(device, bias):
    tm, m = _pair_modules("Bilinear", (3, 4, 5), {"bias": bias}, device)
    _compare(tm, m, [(2, 3), (2, 4)], device)


# ------------------------------------------------------------------------------------------------------- conv

CONV_CASES = [
    ("Conv1d", (2, 4, 3), {}, (2, 2, 7)),
    ("Conv1d", (2, 4, 3), {"stride": 2, "padding": 1, "bias": False}, (2, 2, 8)),
    ("Conv1d", (4, 4, 3), {"padding": "same", "dilation": 2, "groups": 2}, (1, 4, 7)),
    ("Conv1d", (2, 3, 4), {"padding": "same"}, (2, 7)),  # unbatched, asymmetric 'same'
    ("Conv1d", (2, 3, 3), {"padding": 2, "padding_mode": "reflect"}, (1, 2, 6)),
    ("Conv1d", (2, 3, 3), {"padding": 1, "padding_mode": "circular", "stride": 2}, (1, 2, 6)),
    ("Conv2d", (2, 3, 3), {"padding": "valid"}, (1, 2, 5, 4)),
    ("Conv2d", (2, 4, (3, 2)), {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)}, (2, 2, 6, 5)),
    ("Conv2d", (4, 6, 3), {"groups": 2, "padding": 1, "padding_mode": "replicate"}, (1, 4, 4, 4)),
    ("Conv2d", (3, 3, 3), {"groups": 3, "padding": "same", "padding_mode": "reflect"}, (3, 4, 5)),
    ("Conv2d", (2, 2, 2), {"padding": (1, 2), "padding_mode": "circular"}, (1, 2, 3, 4)),
    ("Conv3d", (2, 2, 2), {"padding": 1, "stride": 2}, (1, 2, 3, 4, 3)),
    ("Conv3d", (2, 4, (1, 2, 2)), {"groups": 2, "bias": False, "padding": "same",
                                   "padding_mode": "replicate"}, (1, 2, 2, 3, 3)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", CONV_CASES)
def test_conv(device, name, args, kwargs, shape):
    tm, m = _pair_modules(name, args, kwargs, device)
    _compare(tm, m, [shape], device)


CONV_T_CASES = [
    ("ConvTranspose1d", (2, 4, 3), {}, (2, 2, 5), None),
    ("ConvTranspose1d", (2, 4, 3), {"stride": 2, "padding": 1, "output_padding": 1, "bias": False}, (1, 2, 4), None),
    ("ConvTranspose1d", (4, 2, 3), {"stride": 3, "groups": 2, "dilation": 2}, (4, 3), [11]),
    ("ConvTranspose2d", (2, 3, 3), {"stride": 2}, (1, 2, 3, 2), [8, 6]),
    ("ConvTranspose2d", (4, 6, (2, 3)), {"stride": (2, 1), "padding": (1, 0), "output_padding": (1, 0),
                                         "groups": 2, "dilation": (2, 1)}, (1, 4, 3, 3), None),
    ("ConvTranspose2d", (2, 2, 3), {"stride": 2, "padding": 1}, (2, 2, 3, 3), [2, 2, 6, 5]),
    ("ConvTranspose3d", (2, 2, 2), {"stride": 2, "output_padding": (1, 0, 1)}, (1, 2, 2, 2, 2), None),
    ("ConvTranspose3d", (2, 2, 2), {"stride": 2}, (2, 2, 2, 1), [5, 4, 3]),
]


@pytest.mark.parametrize("name,args,kwargs,shape,output_size", CONV_T_CASES)
def test_conv_transpose(device, name, args, kwargs, shape, output_size):
    tm, m = _pair_modules(name, args, kwargs, device)
    _compare(tm, m, [shape], device, fwd_kwargs={"output_size": output_size})


@pytest.mark.parametrize("name,args,kwargs", [
    ("Conv1d", (2, 4, 3), {}),
    ("Conv1d", (2, 4, 3), {"padding": "same", "bias": False}),
    ("Conv2d", (4, 6, (3, 2)), {"stride": 2, "padding": (1, 0), "dilation": 2, "groups": 2,
                                "padding_mode": "circular"}),
    ("Conv2d", (4, 6, 3), {"padding": "valid"}),
    ("Conv3d", (2, 2, 3), {"padding": 1, "padding_mode": "reflect"}),
    ("ConvTranspose1d", (2, 4, 3), {"output_padding": 1, "stride": 2}),
    ("ConvTranspose2d", (4, 2, 3), {"groups": 2, "dilation": 3, "padding": 1, "bias": False}),
    ("ConvTranspose3d", (2, 2, (1, 2, 3)), {}),
])
def test_conv_repr_state_dict(name, args, kwargs):
    tm, m = getattr(torch.nn, name)(*args, **kwargs), getattr(nn, name)(*args, **kwargs)
    assert repr(m) == repr(tm)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    for attr in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "transposed",
                 "output_padding", "groups", "padding_mode", "_reversed_padding_repeated_twice"):
        assert getattr(m, attr) == getattr(tm, attr), attr


@pytest.mark.parametrize("name,args,kwargs,fan_in", [
    ("Conv2d", (4, 300, (3, 2)), {}, 4 * 6),
    ("Conv1d", (6, 300, 5), {"groups": 3}, 2 * 5),
    ("ConvTranspose2d", (300, 4, 3), {}, 4 * 9),  # weight (C_in, C_out / groups, k, k): fan_in from C_out
])
def test_conv_init(name, args, kwargs, fan_in):
    m = getattr(nn, name)(*args, dtype=tt.float64, **kwargs)
    bound = 1 / math.sqrt(fan_in)
    w, b = _np(m.weight), _np(m.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.8 * bound


def test_conv_device_dtype_kwargs(device):
    m = nn.Conv2d(2, 3, 2, device=device, dtype=tt.float64)
    assert m.weight.device.type == device and m.weight.dtype == tt.float64 and m.bias.dtype == tt.float64
    assert m(tt.randn(1, 2, 3, 3, device=device, dtype=tt.float64)).shape == (1, 3, 2, 2)


@pytest.mark.parametrize("name,args,kwargs", [
    ("Conv2d", (4, 4, 3), {"groups": 0}),
    ("Conv2d", (4, 4, 3), {"groups": -1}),
    ("Conv2d", (3, 4, 3), {"groups": 2}),
    ("Conv1d", (4, 3, 3), {"groups": 2}),
    ("Conv1d", (4, 4, 3), {"padding": "full"}),
    ("Conv2d", (4, 4, 3), {"padding": "same", "stride": 2}),
    ("Conv3d", (4, 4, 3), {"padding_mode": "mirror"}),
    ("ConvTranspose2d", (4, 4, 3), {"padding_mode": "reflect"}),
    ("ConvTranspose1d", (3, 4, 3), {"groups": 2}),
])
def test_conv_constructor_errors(name, args, kwargs):
    if kwargs.get("padding_mode") == "mirror":  # the message prints a set: compare its parts
        with pytest.raises(ValueError, match="padding_mode must be one of .*but got padding_mode='mirror'"):
            getattr(nn, name)(*args, **kwargs)
        return
    if kwargs.get("padding") == "full":
        with pytest.raises(ValueError, match=r"Invalid padding string 'full', should be one of \{'"):
            getattr(nn, name)(*args, **kwargs)
        return
    _same_error(lambda: getattr(torch.nn, name)(*args, **kwargs), lambda: getattr(nn, name)(*args, **kwargs),
                ValueError)


@pytest.mark.parametrize("name,args,kwargs,shape,output_size", [
    ("ConvTranspose2d", (2, 2, 3), {"stride": 2}, (1, 2, 3, 3), [8]),
    ("ConvTranspose2d", (2, 2, 3), {"stride": 2}, (2, 3, 3), [1, 2, 8, 8]),
    ("ConvTranspose2d", (2, 2, 3), {"stride": 2}, (1, 2, 3, 3), [6, 7]),
    ("ConvTranspose2d", (2, 2, 3), {"stride": 2}, (1, 2, 3, 3), [8, 9]),
    ("ConvTranspose1d", (2, 2, 3), {"stride": 3, "dilation": 2}, (1, 2, 2), [11]),
])
def test_conv_transpose_output_size_errors(name, args, kwargs, shape, output_size):
    tm, m = getattr(torch.nn, name)(*args, **kwargs), getattr(nn, name)(*args, **kwargs)
    _same_error(lambda: tm(torch.randn(shape), output_size), lambda: m(tt.randn(*shape), output_size), ValueError)


def test_conv_forward_bad_padding_mode_after_construction():
    m, tm = nn.ConvTranspose1d(2, 2, 3), torch.nn.ConvTranspose1d(2, 2, 3)
    m.padding_mode = tm.padding_mode = "reflect"
    _same_error(lambda: tm(torch.randn(1, 2, 4)), lambda: m(tt.randn(1, 2, 4)), ValueError)


# ------------------------------------------------------------------------------------------- fold and flatten

@pytest.mark.parametrize("args,kwargs,shape", [
    ((2,), {}, (2, 3, 4, 5)),
    (((2, 3),), {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}, (1, 2, 4, 5)),
    ((3,), {"stride": 2}, (2, 5, 5)),
])
def test_unfold(device, args, kwargs, shape):
    tm, m = _pair_modules("Unfold", args, kwargs, device)
    assert repr(m) == repr(tm)
    _compare(tm, m, [shape], device)


@pytest.mark.parametrize("args,kwargs,shape", [
    (((4, 5), 2), {}, (2, 12, 12)),
    (((4, 5), (2, 3)), {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}, (1, 12, 9)),
    ((5, 3), {"stride": 2}, (9, 4)),
])
def test_fold(device, args, kwargs, shape):
    tm, m = _pair_modules("Fold", args, kwargs, device)
    assert repr(m) == repr(tm)
    _compare(tm, m, [shape], device)


@pytest.mark.parametrize("name,args,shape", [
    ("Flatten", (), (2, 3, 4)),
    ("Flatten", (0, 1), (2, 3, 4)),
    ("Flatten", (-2,), (2, 3, 4, 1)),
    ("Unflatten", (1, (2, 3)), (4, 6, 2)),
    ("Unflatten", (-1, [2, -1]), (3, 4)),
])
def test_flatten_unflatten(device, name, args, shape):
    tm, m = _pair_modules(name, args, {}, device)
    assert repr(m) == repr(tm)
    _compare(tm, m, [shape], device)


def test_unflatten_errors():
    _same_error(lambda: torch.nn.Unflatten(1, 6), lambda: nn.Unflatten(1, 6), TypeError)
    _same_error(lambda: torch.nn.Unflatten(1, (2, 3.0)), lambda: nn.Unflatten(1, (2, 3.0)), TypeError)
    assert nn.Flatten(2, 3).start_dim == 2 and nn.Flatten(2, 3).end_dim == 3


def test_sequential_cnn(device):
    """A small CNN built from these layers matches PyTorch end to end."""
    def build(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(2, 4, 3, padding=1), lib.nn.Conv2d(4, 4, 2, stride=2, groups=2),
                                 lib.nn.Flatten(), lib.nn.Linear(16, 3))
    tm = build(torch).double()
    m = build(tt).double()
    assert list(m.state_dict()) == list(tm.state_dict())
    m.load_state_dict({k: tt.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    _compare(tm, m.to(device), [(2, 2, 4, 4)], device)
