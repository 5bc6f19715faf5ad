"""The fused matmul, F.linear and F.fused_linear vs PyTorch (CPU) on both devices: outputs and
input/weight/bias/residual gradients on identical inputs for every activation and float dtype,
batch broadcasting, transposed/non-contiguous operands, odd sizes, bias along the rows, strided
and aliased outputs, errors with torch's messages, double backward, and the autotuner."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tritorch as tt
import tritorch.nn.functional as F
from tritorch._ops.linear import fused_matmul, _FUSED

TT = {tt.float16: torch.float16, tt.bfloat16: torch.bfloat16, tt.float32: torch.float32, tt.float64: torch.float64}
TOL = {tt.float16: 1e-2, tt.bfloat16: 5e-2, tt.float32: 1e-5, tt.float64: 1e-11}
ACTS = (None, "relu", "gelu", "gelu_tanh", "silu", "tanh", "sigmoid")
TORCH_ACT = {None: lambda x: x, "relu": torch.relu, "gelu": TF.gelu,
             "gelu_tanh": lambda x: TF.gelu(x, approximate="tanh"), "silu": TF.silu, "tanh": torch.tanh,
             "sigmoid": torch.sigmoid}


def _np(t):
    return t.detach().cpu().to(tt.float64).numpy() if isinstance(t, tt.Tensor) else t.detach().double().numpy()


def _pair(x, dtype, device, grad=True):
    a = tt.tensor(x, dtype=dtype, device=device)
    b = torch.tensor(x, dtype=TT[dtype])
    if grad:
        a.requires_grad_(True)
        b.requires_grad_(True)
    return a, b


def _close(got, want, tol):
    np.testing.assert_allclose(_np(got), _np(want), rtol=tol, atol=tol)


def _check_grads(y, yt, pairs, tol, seed=1):
    g = np.random.default_rng(seed).standard_normal(tuple(yt.shape))
    (y * tt.tensor(g, dtype=y.dtype, device=y.device.type)).sum().backward()
    (yt * torch.tensor(g, dtype=yt.dtype)).sum().backward()
    for a, b in pairs:
        assert a.grad is not None and a.grad.dtype is a.dtype
        scale = max(1.0, float(np.abs(_np(b.grad)).max(initial=0.0)))
        _close(a.grad, b.grad, tol * scale * 4)


@pytest.mark.parametrize("dtype,act", [(tt.float32, a) for a in ACTS]
                         + [(d, a) for d in (tt.float64, tt.float16, tt.bfloat16) for a in (None, "gelu")],
                         ids=str)
def test_fused_linear_matches_torch(dtype, act, device):
    rng = np.random.default_rng(0)
    x, w, b, r = (rng.uniform(-1, 1, s) for s in ((2, 5, 7), (9, 7), (9,), (5, 9)))
    (xa, xb), (wa, wb), (ba, bb), (ra, rb) = (_pair(v, dtype, device) for v in (x, w, b, r))
    y = F.fused_linear(xa, wa, ba, activation=act, residual=ra)
    yt = TORCH_ACT[act](TF.linear(xb, wb, bb)) + rb
    assert y.dtype is dtype and y.device.type == device and tuple(y.shape) == (2, 5, 9)
    _close(y, yt, TOL[dtype])
    _check_grads(y, yt, [(xa, xb), (wa, wb), (ba, bb), (ra, rb)], TOL[dtype])


@pytest.mark.parametrize("case", ["2d", "3d", "1d", "nobias", "noncontig", "odd", "bias-bcast", "empty"])
def test_linear_matches_torch(case, device):
    rng = np.random.default_rng(3)
    xs, ws, bs = {"2d": ((4, 6), (3, 6), (3,)), "3d": ((2, 4, 6), (3, 6), (3,)), "1d": ((6,), (3, 6), (3,)),
                  "nobias": ((4, 6), (3, 6), None), "noncontig": ((6, 4), (6, 3), (3,)),
                  "odd": ((37, 19), (23, 19), (23,)), "bias-bcast": ((4, 6), (3, 6), (1,)),
                  "empty": ((0, 6), (3, 6), (3,))}[case]
    xa, xb = _pair(rng.standard_normal(xs), tt.float32, device)
    wa, wb = _pair(rng.standard_normal(ws), tt.float32, device)
    pairs = [(xa, xb), (wa, wb)]
    if case == "noncontig":  # transposed views: read through strides
        xa, xb, wa, wb = xa.t(), xb.t(), wa.t(), wb.t()
        pairs = []
    ba = bb = None
    if bs is not None:
        ba, bb = _pair(rng.standard_normal(bs), tt.float32, device)
        pairs.append((ba, bb))
    y = F.linear(xa, wa, ba)
    yt = TF.linear(xb, wb, bb)
    assert tuple(y.shape) == tuple(yt.shape)
    _close(y, yt, 1e-5)
    _check_grads(y, yt, pairs, 1e-5)


def test_bias_rows_batched_broadcast_and_transposed(device):
    """bias_dim=-2 (a length-M bias, as the conv family uses), batch dims broadcast on both sides,
    b transposed, residual broadcast over the batch."""
    rng = np.random.default_rng(5)
    (aa, at), (ba, bt), (ca, ct), (ra, rt) = (_pair(rng.standard_normal(s), tt.float32, device)
                                              for s in ((2, 1, 5, 3), (1, 3, 4, 3), (5,), (5, 4)))
    y = fused_matmul(aa, ba.transpose(-1, -2), ca, "silu", ra, bias_dim=-2)
    yt = TF.silu(at @ bt.transpose(-1, -2) + ct[:, None]) + rt
    assert tuple(y.shape) == (2, 3, 5, 4)
    _close(y, yt, 1e-5)
    _check_grads(y, yt, [(aa, at), (ba, bt), (ca, ct), (ra, rt)], 1e-5)


def test_out_strided_and_aliased(device):
    """The op writes through a strided ``out`` (the conv family's use) and survives an ``out`` that
    is also the residual (computed through a temporary)."""
    rng = np.random.default_rng(7)
    a, b, bias = (tt.tensor(rng.standard_normal(s), dtype=tt.float32, device=device) for s in ((5, 3), (3, 4), (4,)))
    want = TF.gelu(torch.tensor(a.cpu().numpy()) @ torch.tensor(b.cpu().numpy()) + torch.tensor(bias.cpu().numpy()))
    big = tt.zeros((4, 10), device=device)
    out = big.t()[::2]  # (5, 4) with strides (2, 10)
    _FUSED.run_out((a, b, bias, None), {"activation": "gelu", "bias_dim": -1}, out)
    _close(out, want, 1e-5)
    assert float(big.t()[1::2].abs().sum()) == 0.0
    res = tt.tensor(rng.standard_normal((5, 4)), dtype=tt.float32, device=device)
    want_res = want + torch.tensor(res.cpu().numpy())
    _FUSED.run_out((a, b, bias, res), {"activation": "gelu", "bias_dim": -1}, res)
    _close(res, want_res, 1e-5)


@pytest.mark.parametrize("act", ACTS)
def test_double_backward(act):
    rng = np.random.default_rng(11)
    x, w, b, r = (tt.tensor(rng.uniform(-1, 1, s), dtype=tt.float64, requires_grad=True)
                  for s in ((3, 4), (2, 4), (2,), (3, 2)))
    assert tt.autograd.gradgradcheck(lambda *t: F.fused_linear(t[0], t[1], t[2], activation=act, residual=t[3]),
                                     (x, w, b, r))


def test_double_backward_cuda_matches_cpu():
    rng = np.random.default_rng(12)
    vals = [rng.uniform(-1, 1, s) for s in ((3, 4), (2, 4), (2,))]
    res = []
    for dev in ("cpu", "cuda"):
        x, w, b = (tt.tensor(v, dtype=tt.float64, device=dev, requires_grad=True) for v in vals)
        y = F.fused_linear(x, w, b, activation="gelu")
        gx, = tt.autograd.grad(y.sum(), [x], create_graph=True)
        res.append([_np(g) for g in tt.autograd.grad((gx * gx).sum(), [x, w, b])])
    for c, g in zip(*res):
        np.testing.assert_allclose(g, c, rtol=1e-9, atol=1e-12)


def test_tf32_switch_runs(device):
    rng = np.random.default_rng(13)
    a, b = (tt.tensor(rng.standard_normal(s), dtype=tt.float32, device=device) for s in ((8, 16), (16, 8)))
    prev = tt.get_float32_matmul_precision()
    try:
        tt.set_float32_matmul_precision("high")
        y = fused_matmul(a, b)
    finally:
        tt.set_float32_matmul_precision(prev)
    _close(y, torch.tensor(a.cpu().numpy()) @ torch.tensor(b.cpu().numpy()), 2e-2)


def test_integer_linear_composes(device):
    x = tt.tensor([[1, 2], [3, 4]], device=device)
    w = tt.tensor([[1, 0], [1, 1], [2, -1]], device=device)
    y = F.linear(x, w, tt.tensor([1, 1, 1], device=device))
    assert y.dtype is tt.int64
    assert y.cpu().tolist() == [[2, 4, 1], [4, 8, 3]]


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e)
    return None, None


@pytest.mark.parametrize("case", ["shape", "shape-3d", "shape-1d", "dtype", "bias-dtype", "0d", "3d-weight",
                                  "type", "bias-shape"])
def test_linear_errors_match_torch(case):
    r = np.random.default_rng(0).standard_normal
    args = {"shape": ((2, 3), (4, 5), None), "shape-3d": ((2, 2, 3), (4, 5), (4,)), "shape-1d": ((3,), (4, 5), None),
            "dtype": ((2, 3), (4, 3), None), "bias-dtype": ((2, 3), (4, 3), (4,)), "0d": ((), (4, 3), None),
            "3d-weight": ((2, 3), (2, 4, 3), None), "bias-shape": ((2, 3), (4, 3), (5,)),
            "type": ("list", (4, 3), None)}[case]

    def build(lib):
        x = [1.0] if args[0] == "list" else lib.tensor(r(args[0]), dtype=lib.float32)
        w = lib.tensor(r(args[1]), dtype=lib.float64 if case == "dtype" else lib.float32)
        b = None if args[2] is None else lib.tensor(r(args[2]), dtype=lib.float64 if case == "bias-dtype" else lib.float32)
        return x, w, b

    te, tm = _err(lambda: TF.linear(*build(torch)))
    oe, om = _err(lambda: F.linear(*build(tt)))
    assert te is not None and oe is te, (case, oe, om, te, tm)
    assert om == tm, (case, om, tm)


def test_fused_matmul_errors():
    a, b = tt.ones((2, 3)), tt.ones((3, 4))
    with pytest.raises(ValueError, match="activation must be one of"):
        fused_matmul(a, b, activation="swish")
    with pytest.raises(RuntimeError, match=r"expected bias of shape \(4,\)"):
        fused_matmul(a, b, tt.ones(3))
    with pytest.raises(RuntimeError, match=r"expected bias of shape \(2,\) \(bias_dim=-2\)"):
        fused_matmul(a, b, tt.ones(4), bias_dim=-2)
    with pytest.raises(RuntimeError, match="does not broadcast to the output"):
        fused_matmul(a, b, residual=tt.ones((3, 4)))
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        fused_matmul(a, tt.ones((2, 4)))
    with pytest.raises(RuntimeError, match="at least 2-D"):
        fused_matmul(tt.ones(3), b)
    with pytest.raises(RuntimeError, match="floating point dtype"):
        fused_matmul(tt.ones((2, 3), dtype=tt.int64), tt.ones((3, 4), dtype=tt.int64))
    with pytest.raises(RuntimeError, match="same dtype"):
        fused_matmul(a, b.double())
    with pytest.raises(ValueError, match="activation must be one of"):
        F.fused_linear(a, tt.ones((4, 3)), activation="elu")


def test_autotune_candidates_and_untimed_choice():
    import tritorch.kernels.linear as K
    from tritorch.kernels._autotune import Tuner
    big = K._candidates(4096, 4096, 4096, K.F16)
    assert (128, 256, 64, 8, 3) in big and (128, 128, 64, 4, 4) in big  # wgmma- and mma.sync-sized
    assert all(c[0] <= 16 for c in K._candidates(8, 4096, 4096, K.F16))
    ran = []
    t = Tuner("test")
    assert t.pick("k", [(1,), (2,)], ran.append, (2,)) == (2,)  # interpreter: the default, untimed
    assert ran == [(2,)] and not t.cache


def test_weight_grad_is_contiguous(device):
    """F.linear's weight (used transposed) gets a contiguous gradient, as in PyTorch."""
    x = tt.ones((2, 3, 4), device=device, requires_grad=True)
    w = tt.ones((5, 4), device=device, requires_grad=True)
    F.fused_linear(x, w, activation="gelu").sum().backward()
    assert w.grad.is_contiguous() and x.grad.is_contiguous()
    wt = torch.ones((5, 4), requires_grad=True)
    TF.gelu(TF.linear(torch.ones((2, 3, 4)), wt)).sum().backward()
    _close(w.grad, wt.grad, 1e-5)
