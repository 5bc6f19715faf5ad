"""F.pad vs PyTorch (CPU) on both devices: every mode and rank, asymmetric and negative pads,
non-contiguous and offset inputs, dtypes, input gradients on identical inputs, autograd node names,
double backward, and PyTorch's errors."""
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tritorch as tt
import tritorch.nn.functional as F

TT = {tt.float16: torch.float16, tt.bfloat16: torch.bfloat16, tt.float32: torch.float32, tt.float64: torch.float64,
      tt.int64: torch.int64, tt.uint8: torch.uint8, tt.bool: torch.bool}
TOL = {tt.float16: 1e-3, tt.bfloat16: 1e-2, tt.float32: 1e-6, tt.float64: 1e-12}

CASES = [  # (shape, pad, mode, value)
    ((2, 3, 5), (2, 1), "reflect", None),
    ((3, 5), (-1, 3), "reflect", None),
    ((1, 2, 4, 5), (2, 1, 1, 3), "reflect", None),
    ((1, 3, 3, 4), (0, 3, 2, 1, -1, 2), "reflect", None),
    ((2, 4), (3, 1), "replicate", None),
    ((1, 2, 4, 5), (-2, 3, 1, -1), "replicate", None),
    ((1, 1, 2, 3, 4), (2, 0, 1, 3, 2, 1), "replicate", None),
    ((2, 3, 4), (1, 3, 2, 2), "circular", None),
    ((1, 2, 4, 5), (-2, 3, 1, -1), "circular", None),
    ((1, 2, 3, 2, 4), (4, 1, 2, 0, 1, 3), "circular", None),
    ((2, 3, 4), (2, 1, 1, 3, -1, 2), "constant", 1.5),
    ((2, 3, 4, 2), (1, 1, -1, 2, 1, 0, 2, -1), "constant", None),
    ((3, 4), (-3, -1), "constant", -2.0),
    ((5,), (0, -5), "constant", None),
]


def _np(t):
    return t.detach().cpu().to(tt.float64).numpy() if isinstance(t, tt.Tensor) else t.detach().double().numpy()


def _check(x, pad, mode, value, device, dtype=tt.float64, view=None, grad=True):
    a = tt.tensor(x, dtype=dtype, device=device)
    b = torch.tensor(x, dtype=TT[dtype])
    if view is not None:
        a, b = view(a), view(b)
    if grad:
        a.requires_grad_(True)
        b.requires_grad_(True)
    y = F.pad(a, pad, mode=mode, value=value)
    yt = TF.pad(b, pad, mode=mode, value=value)
    assert tuple(y.shape) == tuple(yt.shape) and y.dtype is dtype and y.device.type == device
    tol = TOL.get(dtype, 0)
    np.testing.assert_allclose(_np(y), _np(yt), rtol=tol, atol=tol)
    if grad:
        g = np.random.default_rng(1).standard_normal(tuple(yt.shape))
        y.backward(tt.tensor(g, dtype=dtype, device=device))
        yt.backward(torch.tensor(g, dtype=TT[dtype]))
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=tol, atol=tol * 4)
    return y


@pytest.mark.parametrize("shape,pad,mode,value", CASES,
                         ids=[f"{c[2]}-{len(c[1]) // 2}d-{i}" for i, c in enumerate(CASES)])
def test_matches_torch(shape, pad, mode, value, device):
    x = np.random.default_rng(0).standard_normal(shape)
    _check(x, pad, mode, value, device)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_noncontiguous_and_offset_views(mode, device):
    x = np.random.default_rng(2).standard_normal((2, 5, 6))
    _check(x, (2, 1, 1, 2), mode, None, device, view=lambda t: t.transpose(1, 2))
    _check(x, (1, 2), mode, None, device, view=lambda t: t[:, 1:4, ::2])


@pytest.mark.parametrize("dtype", [tt.float32, tt.float16, tt.bfloat16], ids=str)
def test_half_and_float_dtypes(dtype, device):
    x = np.random.default_rng(3).standard_normal((1, 2, 3, 4))
    _check(x, (1, 2, 2, 1), "reflect", None, device, dtype)
    _check(x, (1, 2, -1, 1), "constant", 0.5, device, dtype)


def test_integer_and_bool_dtypes(device):
    x = np.random.default_rng(4).integers(0, 9, (2, 3, 4))
    for dt in (tt.int64, tt.uint8):
        _check(x, (1, 2, 1, -1), "constant", 7.9, device, dt, grad=False)
        _check(x, (2, 1), "reflect", None, device, dt, grad=False)
        _check(x, (2, 1, 1, 1), "replicate", None, device, dt, grad=False)
    _check(x > 4, (2, 1), "constant", 1, device, tt.bool, grad=False)
    _check(x > 4, (2, 1, 1, 2), "circular", None, device, tt.bool, grad=False)


def test_empty_and_zero_d(device):
    _check(np.zeros((0, 2, 3)), (1, 1), "reflect", None, device, grad=False)
    _check(np.zeros((2, 0)), (1, 2), "constant", 3.0, device)
    _check(np.array(1.5), (), "constant", None, device)


@pytest.mark.parametrize("mode,k,name", [("constant", 2, "ConstantPadNdBackward0"),
                                         ("reflect", 1, "ReflectionPad1DBackward0"),
                                         ("reflect", 3, "ReflectionPad3DBackward0"),
                                         ("replicate", 2, "ReplicationPad2DBackward0"),
                                         ("circular", 2, "CircularPad2DBackward0")])
def test_node_names_and_double_backward(mode, k, name):
    x = tt.tensor(np.random.default_rng(5).standard_normal((1, 1, 2, 3, 3)[5 - k - 2:]), requires_grad=True)
    pad = (1, 2, 2, 0, 1, 1)[:2 * k]
    y = F.pad(x, pad, mode=mode)
    assert y.grad_fn.name() == name
    assert tt.autograd.gradcheck(lambda t: F.pad(t, pad, mode=mode), (x,))
    assert tt.autograd.gradgradcheck(lambda t: F.pad(t, pad, mode=mode), (x,))
    if mode != "constant":
        (g,) = tt.autograd.grad(y, x, tt.ones_like(y).requires_grad_(True), create_graph=True)
        assert g.grad_fn.name() == name.replace("Backward0", "BackwardBackward0")


def _err(t_call, tt_call):
    with pytest.raises(Exception) as et:
        t_call()
    with pytest.raises(type(et.value)) as e:
        tt_call()
    return str(et.value), str(e.value)


@pytest.mark.parametrize("shape,pad,mode,value,match", [
    ((1, 1, 3), (3, 3), "reflect", None,
     r"Argument #4: Padding size should be less than the corresponding input dimension, but got: padding \(3, 3\) at "
     r"dimension 2 of input \[1, 1, 3\]"),
    ((1, 2, 3, 4), (1, 1, 3, 3), "reflect", None, r"Argument #6: .*padding \(3, 3\) at dimension 2"),
    ((3,), (1, 1), "replicate", None, r"Padding size 2 is not supported for 1D input tensor"),
    ((1, 2, 3, 4, 5), (1, 1, 1, 1), "reflect", None, r"Padding size 4 is not supported for 5D input tensor"),
    ((2, 3), (1, 1, 1), "constant", None, r"Padding length must be divisible by 2"),
    ((2, 3), (1, 1, 1, 1, 1, 1), "constant", None,
     r"Padding length should be less than or equal to two times the input dimension but got padding length 6 and "
     r"input of dimension 2"),
    ((2, 3), (-2, -2), "constant", None, r"narrow\(\): length must be non-negative"),
    ((1, 2, 3), (1, 1), "foo", None, r"Unrecognised padding mode foo"),
    ((1, 2, 3), (1, 1), "reflect", 1.0, r'Padding mode "reflect" doesn\'t take in value argument'),
    ((1, 3, 4), (5, 1), "circular", None, r"Padding value causes wrapping around more than once"),
    ((1, 2, 3), (-2, -2), "circular", None, r"Negative padding value is resulting in an empty dimension"),
    ((1, 2, 3), (-2, -2), "replicate", None, r"input \(W: 3\) is too small. Calculated output W: -1"),
    ((1, 0, 3), (1, 1), "reflect", None,
     r"Expected 2D or 3D \(batch mode\) tensor with possibly 0 batch size and other non-zero dimensions for input, "
     r"but got: \[1, 0, 3\]"),
])
def test_errors_match_torch(shape, pad, mode, value, match, device):
    x = np.zeros(shape)
    te, me = _err(lambda: TF.pad(torch.tensor(x), pad, mode=mode, value=value),
                  lambda: F.pad(tt.tensor(x, device=device), pad, mode=mode, value=value))
    assert re.search(match, te), te  # the pattern is PyTorch's own message
    assert re.search(match, me), me


def test_bad_argument_types():
    x = tt.zeros((2, 3))
    with pytest.raises(TypeError, match="must be tuple of ints, not int"):
        F.pad(x, 5)
    with pytest.raises(TypeError, match="found element of type float at pos 0"):
        F.pad(x, (1.5, 1))
    with pytest.raises(NotImplementedError, match="\"reflection_pad1d\" not implemented for 'Bool'"):
        F.pad(tt.zeros((1, 2, 3), dtype=tt.bool), (1, 1), mode="reflect")
