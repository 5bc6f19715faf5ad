"""Convolutions (im2col + GEMM), transposed convolutions, unfold / fold vs PyTorch (CPU) on both
devices: outputs and input / weight / bias gradients on identical inputs, stride / padding /
dilation / groups combinations, depthwise, "same" (asymmetric) / "valid", odd sizes, strided
inputs, half dtypes, unbatched inputs, bad-input errors, double backward."""
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tritorch as tt
import tritorch.nn.functional as F

# torch's own performance note for even kernels with padding="same"; tritorch pads in the gather.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

TT = {tt.float16: torch.float16, tt.bfloat16: torch.bfloat16, tt.float32: torch.float32, tt.float64: torch.float64}
TOL = {tt.float16: 1e-2, tt.bfloat16: 5e-2, tt.float32: 1e-4, tt.float64: 1e-10}


def _np(t):
    return t.detach().cpu().to(tt.float64).numpy() if isinstance(t, tt.Tensor) else t.detach().double().numpy()


def _pair(arrays, device, dtype, grad=True):
    """The same values as tritorch tensors on ``device`` and torch tensors, requiring grad."""
    a = [None if x is None else tt.tensor(x, dtype=dtype, device=device).requires_grad_(grad) for x in arrays]
    b = [None if x is None else torch.tensor(x, dtype=TT[dtype]).requires_grad_(grad) for x in arrays]
    return a, b


def _check(fn, tfn, arrays, device, dtype=tt.float64, tol=None, **kw):
    """fn(*arrays, **kw) on tritorch vs torch: output, then the gradients of sum(y * g)."""
    a, b = _pair(arrays, device, dtype)
    y = fn(*a, **kw)
    yt = tfn(*b, **kw)
    assert tuple(y.shape) == tuple(yt.shape) and y.dtype is dtype and y.device.type == device
    tol = TOL[dtype] if tol is None else tol
    scale = max(1.0, float(np.abs(_np(yt)).max())) if yt.numel() else 1.0
    np.testing.assert_allclose(_np(y), _np(yt), rtol=tol, atol=tol * scale)
    g = np.random.default_rng(5).standard_normal(tuple(yt.shape))
    (y * tt.tensor(g, dtype=dtype, device=device)).sum().backward()
    (yt * torch.tensor(g, dtype=TT[dtype])).sum().backward()
    for u, v in zip(a, b):
        if u is not None:
            assert u.grad.dtype is dtype and u.grad.device.type == device
            s = max(1.0, float(np.abs(_np(v.grad)).max()))
            np.testing.assert_allclose(_np(u.grad), _np(v.grad), rtol=tol, atol=tol * s)
    return y


def _rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


CONV = [  # (d, input shape, weight shape, bias?, kwargs)
    (1, (2, 4, 9), (6, 4, 3), True, dict(stride=2, padding=1)),
    (1, (2, 4, 10), (4, 2, 4), False, dict(padding="same", dilation=3, groups=2)),
    (2, (2, 3, 7, 6), (5, 3, 3, 2), True, dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2))),
    (2, (1, 6, 5, 7), (6, 1, 3, 3), True, dict(groups=6, padding=1)),            # depthwise
    (2, (2, 4, 6, 5), (6, 2, 4, 2), True, dict(padding="same", groups=2)),       # even kernel: asymmetric
    (2, (2, 3, 7, 5), (4, 3, 3, 3), False, dict(padding="valid", stride=3)),
    (2, (2, 4, 5, 5), (3, 4, 1, 1), True, dict(stride=2)),                      # 1x1 strided: no im2col
    (3, (1, 2, 5, 4, 6), (3, 2, 2, 3, 2), True, dict(stride=(1, 2, 2), padding=(1, 0, 1), dilation=(2, 1, 1))),
]


@pytest.mark.parametrize("case", CONV, ids=[f"{c[0]}d-{i}" for i, c in enumerate(CONV)])
def test_conv_matches_torch(case, device):
    d, xs, ws, bias, kw = case
    arrays = [_rand(*xs), _rand(*ws, seed=1), _rand(ws[0], seed=2) if bias else None]
    _check(getattr(F, f"conv{d}d"), getattr(TF, f"conv{d}d"), arrays, device, **kw)


@pytest.mark.parametrize("dtype", [tt.float32, tt.float16, tt.bfloat16], ids=str)
def test_conv2d_dtypes(dtype, device):
    arrays = [_rand(2, 3, 6, 5), _rand(4, 3, 3, 3, seed=1) / 3, _rand(4, seed=2)]
    _check(F.conv2d, TF.conv2d, arrays, device, dtype, padding=1, stride=(1, 2))


def test_conv_unbatched_and_strided_inputs(device):
    x, w, b = _rand(3, 6, 7), _rand(4, 3, 2, 3, seed=1), _rand(4, seed=2)
    _check(F.conv2d, TF.conv2d, [x, w, b], device, padding=(1, 0))
    xb = _rand(2, 7, 6, 3)
    a = tt.tensor(xb, device=device).permute(0, 3, 2, 1)[:, :, ::2]   # (2, 3, 3, 7), channels-last + slice
    wt = tt.tensor(_rand(3, 2, 3, 3, seed=1), device=device).transpose(0, 1)   # (2, 3, 3, 3) strided weight
    t = torch.tensor(xb).permute(0, 3, 2, 1)[:, :, ::2]
    np.testing.assert_allclose(_np(F.conv2d(a, wt, padding=1)),
                               _np(TF.conv2d(t, torch.tensor(_rand(3, 2, 3, 3, seed=1)).transpose(0, 1), padding=1)),
                               rtol=1e-10, atol=1e-10)
    assert F.conv2d(a, wt, padding=1).is_contiguous()


def _node_names(t):
    seen, todo = {}, [t.grad_fn]
    while todo:
        n = todo.pop()
        if n is not None and id(n) not in seen:
            seen[id(n)] = n.name()
            todo.extend(f for f, _ in n.next_functions)
    return set(seen.values())


def test_graph_uses_im2col_except_for_1x1(device):
    x = tt.tensor(_rand(2, 3, 5, 5), device=device, requires_grad=True)
    names = _node_names(F.conv2d(x, tt.tensor(_rand(4, 3, 3, 3), device=device),
                                 tt.zeros(4, dtype=tt.float64, device=device)))
    assert {"Im2ColBackward0", "FusedMatmulBackward0"} <= names
    assert "Im2ColBackward0" not in _node_names(F.conv2d(x, tt.tensor(_rand(4, 3, 1, 1), device=device), stride=2))
    assert "Col2ImBackward0" in _node_names(F.conv_transpose2d(x, tt.tensor(_rand(3, 2, 2, 2), device=device)))


def test_conv_empty_and_tensor_api(device):
    w = tt.tensor(_rand(4, 3, 3, 3), device=device)
    y = F.conv2d(tt.zeros(0, 3, 5, 5, dtype=tt.float64, device=device), w)
    assert tuple(y.shape) == (0, 4, 3, 3)
    x = tt.tensor(_rand(1, 3, 5, 5), device=device)
    np.testing.assert_allclose(_np(tt.conv2d(x, w)), _np(F.conv2d(x, w)))


CONV_T = [  # (d, input, weight (Cin, Cout/G, *k), bias?, kwargs)
    (2, (2, 4, 5, 4), (4, 3, 3, 3), True, dict(stride=2, padding=1, output_padding=1)),
    (2, (1, 4, 3, 5), (4, 2, 2, 3), False, dict(stride=(2, 3), output_padding=(1, 2), groups=2)),
    (2, (2, 2, 4, 4), (2, 3, 3, 2), True, dict(dilation=2, output_padding=1)),    # output_padding < dilation
    (1, (2, 3, 6), (3, 2, 4), True, dict(stride=3, padding=2, output_padding=2)),
    (3, (1, 2, 3, 2, 3), (2, 2, 2, 3, 2), True, dict(stride=2, padding=(0, 1, 1))),
]


@pytest.mark.parametrize("case", CONV_T, ids=[f"{c[0]}d-{i}" for i, c in enumerate(CONV_T)])
def test_conv_transpose_matches_torch(case, device):
    d, xs, ws, bias, kw = case
    g = kw.get("groups", 1)
    arrays = [_rand(*xs), _rand(*ws, seed=1), _rand(ws[1] * g, seed=2) if bias else None]
    _check(getattr(F, f"conv_transpose{d}d"), getattr(TF, f"conv_transpose{d}d"), arrays, device, **kw)


def test_unfold_fold_match_torch_and_round_trip(device):
    x = _rand(2, 3, 7, 6)
    kw = dict(kernel_size=(3, 2), dilation=(1, 2), padding=1, stride=(2, 1))
    _check(F.unfold, TF.unfold, [x], device, **kw)
    cols = _rand(2, 18, 4 * 6)
    _check(lambda c: F.fold(c, (7, 6), **kw), lambda c: TF.fold(c, (7, 6), **kw), [cols], device)
    # fold(unfold(x)) = x * (number of blocks covering each pixel) = x * fold(unfold(ones)).
    a = tt.tensor(x, device=device)
    cover = F.fold(F.unfold(tt.ones(2, 3, 7, 6, dtype=tt.float64, device=device), **kw), (7, 6), **kw)
    np.testing.assert_allclose(_np(F.fold(F.unfold(a, **kw), (7, 6), **kw)), x * _np(cover), rtol=1e-12)
    u = F.unfold(tt.tensor(x[0], device=device), 2)                           # unbatched
    np.testing.assert_allclose(_np(u), TF.unfold(torch.tensor(x[0]), 2).numpy())


def _errors():
    x = lambda *s: tt.zeros(*s, dtype=tt.float32)   # noqa: E731
    X, W = (2, 3, 5, 5), (4, 3, 3, 3)
    return [
        (lambda d: F.conv2d(x(*X).to(d), x(4, 4, 3, 3).to(d)), RuntimeError,
         re.escape("expected input[2, 3, 5, 5] to have 4 channels, but got 3 channels instead")),
        (lambda d: F.conv2d(x(*X).to(d), x(4, 3, 3).to(d)), RuntimeError, "4-dimensional weight"),
        (lambda d: F.conv2d(x(*X).to(d), x(4, 1, 3, 3).to(d), groups=3), RuntimeError,
         "expected weight to be divisible by 3 at dimension 0"),
        (lambda d: F.conv2d(x(*X).to(d), x(4, 3, 7, 7).to(d)), RuntimeError,
         re.escape("Calculated padded input size per channel: (5 x 5). Kernel size: (7 x 7). Kernel size can't be")),
        (lambda d: F.conv2d(x(*X).to(d), x(*W).to(d), padding=-1), RuntimeError, "negative padding is not supported"),
        (lambda d: F.conv2d(x(*X).to(d), x(*W).to(d), stride=0), RuntimeError, "non-positive stride"),
        (lambda d: F.conv2d(x(*X).to(d), x(*W).to(d), dilation=0), RuntimeError, "non-positive dilation"),
        (lambda d: F.conv2d(x(*X).to(d), x(*W).to(d), groups=0), RuntimeError, "non-positive groups"),
        (lambda d: F.conv2d(x(*X).to(d), x(*W).to(d), padding="same", stride=2), RuntimeError,
         "padding='same' is not supported for strided convolutions"),
        (lambda d: F.conv2d(x(*X).to(d), x(*W).to(d), padding="full"), RuntimeError, "Invalid padding string: 'full'"),
        (lambda d: F.conv2d(x(*X).to(d), x(*W).to(d), padding=(1, 1, 1)), RuntimeError,
         "expected padding to be a single integer value or a list of 2 values"),
        (lambda d: F.conv2d(x(*X).to(d), x(*W).to(d), x(3).to(d)), RuntimeError,
         re.escape("expected bias to be 1-dimensional with 4 elements, but got bias of size [3]")),
        (lambda d: F.conv2d(x(*X).to(d).double(), x(*W).to(d)), RuntimeError,
         "expected scalar type Double but found Float"),
        (lambda d: F.conv2d(x(*X).to(d), x(*W).to(d), x(4).to(d).double()), RuntimeError,
         re.escape("Input type (float) and bias type (double) should be the same")),
        (lambda d: F.conv2d(x(2, 3, 4, 5, 5).to(d), x(*W).to(d)), RuntimeError,
         re.escape("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3, 4, 5, 5]")),
        (lambda d: F.conv2d(x(*X).to(d), x(0, 3, 3, 3).to(d)), RuntimeError, "expected weight to be at least 1"),
        (lambda d: F.conv2d(x(*X).to(d).long(), x(*W).to(d).long()), NotImplementedError, "floating"),
        (lambda d: F.conv_transpose2d(x(*X).to(d), x(3, 2, 3, 3).to(d), stride=2, output_padding=2), RuntimeError,
         "output padding must be smaller than either stride or dilation, but got output_padding_height: 2"),
        (lambda d: F.conv_transpose2d(x(*X).to(d), x(4, 2, 3, 3).to(d)), RuntimeError,
         "Given transposed=1, weight of size \\[4, 2, 3, 3\\], expected input\\[2, 3, 5, 5\\] to have 4 channels"),
        (lambda d: F.conv_transpose2d(x(*X).to(d), x(3, 2, 3, 3).to(d), padding=5), RuntimeError,
         "Output size is too small"),
        (lambda d: F.conv_transpose2d(x(*X).to(d), x(3, 2, 3, 3).to(d), padding="same"), TypeError,
         "must be tuple of ints, not str"),
        (lambda d: F.unfold(x(2, 3, 4, 5, 5).to(d), 3), RuntimeError, "Expected 3D or 4D \\(batch mode\\) tensor"),
        (lambda d: F.unfold(x(*X).to(d), 7), RuntimeError,
         re.escape("calculated shape of the array of sliding blocks as (-1, -1), but its components must be at")),
        (lambda d: F.unfold(x(*X).to(d), 3, padding=-1), RuntimeError, "padding should be non-negative"),
        (lambda d: F.unfold(x(*X).to(d), 0), RuntimeError, "kernel size should be greater than zero"),
        (lambda d: F.unfold(x(*X).to(d), (3, 3, 3)), RuntimeError,
         "It is expected kernel_size equals to 2, but got size 3"),
        (lambda d: F.unfold(x(*X).to(d).long(), 3), NotImplementedError, "not implemented for 'Long'"),
        (lambda d: F.fold(x(2, 27, 9).to(d), (5, 5), 2), RuntimeError,
         re.escape("divisible by the product of kernel_size, but got input.size(1)=27 and kernel_size=(2, 2)")),
        (lambda d: F.fold(x(2, 27, 9).to(d), (6, 5), 3), RuntimeError,
         re.escape("calculated number of sliding blocks 4 * 3 = 12, but got input.size(2)=9")),
        (lambda d: F.fold(x(2, 2, 27, 9).to(d), (5, 5), 3), RuntimeError, "Expected 2D or 3D \\(batch mode\\) tensor"),
    ]


def test_errors_match_torch_messages(device):
    for fn, exc, pattern in _errors():
        with pytest.raises(exc, match=pattern):
            fn(device)


def test_device_mismatch_and_int64_indexing(device, monkeypatch):
    import tritorch.kernels.conv as K
    x, w, b = _rand(2, 3, 5, 4), _rand(4, 3, 3, 2, seed=1), _rand(4, seed=2)
    if device == "cuda":
        with pytest.raises(RuntimeError, match="expected all tensors to be on the same device"):
            F.conv2d(tt.tensor(x, device="cuda"), tt.tensor(w))
        monkeypatch.setattr(K, "needs_i64", lambda *a, **k: True)   # force the int64-offset kernels
    _check(F.conv2d, TF.conv2d, [x, w, b], device, padding=(2, 1), stride=(1, 2))
    _check(F.conv_transpose2d, TF.conv_transpose2d, [x, _rand(3, 2, 2, 3, seed=3)], device, stride=2)


def test_double_backward():
    rng = np.random.default_rng(3)
    x = tt.tensor(rng.standard_normal((1, 2, 4, 3)), requires_grad=True)
    w = tt.tensor(rng.standard_normal((2, 1, 2, 2)), requires_grad=True)
    b = tt.tensor(rng.standard_normal(2), requires_grad=True)
    assert tt.autograd.gradgradcheck(lambda *a: F.conv2d(*a, padding=(1, 0), stride=(2, 1), groups=2), (x, w, b))
    wt = tt.tensor(rng.standard_normal((2, 2, 2, 2)), requires_grad=True)
    assert tt.autograd.gradgradcheck(lambda a, v: F.conv_transpose2d(a, v, stride=2, output_padding=1), (x, wt))
