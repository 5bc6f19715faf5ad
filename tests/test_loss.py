"""Losses vs PyTorch (CPU) on both devices: cross_entropy (every option: weight, ignore_index incl.
everywhere-ignored, label_smoothing with/without weight, probability targets, K-dim targets, reductions),
nll_loss, the pointwise losses; outputs and input/target gradients on identical inputs; large-logit
stability, odd and multi-chunk class counts, errors with messages, double backward, grad_fn names."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tritorch as tt
import tritorch.nn.functional as F
import tritorch.kernels.loss as K

TT = {tt.float16: torch.float16, tt.bfloat16: torch.bfloat16, tt.float32: torch.float32, tt.float64: torch.float64}
TOL = {tt.float16: 5e-3, tt.bfloat16: 3e-2, tt.float32: 1e-5, tt.float64: 1e-10}


def _np(t):
    return t.detach().cpu().to(tt.float64).numpy() if isinstance(t, tt.Tensor) else t.detach().double().numpy()


def _pair(a, device, dtype=tt.float64, grad=False):
    a = np.asarray(a)
    if a.dtype.kind in "iu":
        return tt.tensor(a, device=device), torch.tensor(a)
    x, y = tt.tensor(a, dtype=dtype, device=device), torch.tensor(a, dtype=TT[dtype])
    return (x.requires_grad_(True), y.requires_grad_(True)) if grad else (x, y)


def _run(fn_tt, fn_torch, args, kwargs, device, dtype=tt.float64, grad_idx=(0,), tol=None):
    """Call both libraries on identical inputs; compare the loss and the grads of args[grad_idx]."""
    a_tt, a_th = [], []
    for i, a in enumerate(args):
        x, y = _pair(a, device, dtype, grad=i in grad_idx)
        a_tt.append(x)
        a_th.append(y)
    kw_tt = {k: _pair(v, device, dtype)[0] if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    kw_th = {k: _pair(v, device, dtype)[1] if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    la, lb = fn_tt(*a_tt, **kw_tt), fn_torch(*a_th, **kw_th)
    tol = TOL[dtype] if tol is None else tol
    assert la.device.type == device and la.dtype is {v: k for k, v in TT.items()}[lb.dtype]
    np.testing.assert_allclose(_np(la), _np(lb), rtol=tol, atol=tol, equal_nan=True)
    g = np.random.default_rng(5).uniform(0.5, 1.5, tuple(lb.shape))
    (la * tt.tensor(g, dtype=la.dtype, device=device)).sum().backward()
    (lb * torch.tensor(g, dtype=lb.dtype)).sum().backward()
    for i in grad_idx:
        np.testing.assert_allclose(_np(a_tt[i].grad), _np(a_th[i].grad), rtol=tol, atol=tol, equal_nan=True,
                                   err_msg=f"grad of arg {i}")
    return la


_rng = np.random.default_rng(0)
X = _rng.standard_normal((6, 7))
T = _rng.integers(0, 7, 6)
T[1] = 3
W = _rng.uniform(0.5, 2.0, 7)
P = _rng.uniform(0, 1, (6, 7))
P /= P.sum(1, keepdims=True)

CE_CASES = {   # name: (kwargs, target, reductions)
    "plain": ({}, T, ("mean", "none")),
    "weight": ({"weight": W}, T, ("sum",)),
    "ignore": ({"ignore_index": 3}, T, ("none",)),
    "weight-ignore": ({"weight": W, "ignore_index": 3}, T, ("mean",)),
    "smooth": ({"label_smoothing": 0.25}, T, ("sum",)),
    "smooth-weight-ignore": ({"weight": W, "label_smoothing": 0.1, "ignore_index": 3}, T, ("mean", "none")),
    "ignore-everywhere": ({"ignore_index": 4}, np.full(6, 4), ("mean", "sum")),
    "ignore-everywhere-smooth": ({"ignore_index": 4, "weight": W, "label_smoothing": 0.2}, np.full(6, 4), ("mean",)),
    "prob": ({}, P, ("mean",)),
    "prob-weight-smooth": ({"weight": W, "label_smoothing": 0.3}, P, ("none", "sum")),
    "smooth-one": ({"label_smoothing": 1.0}, T, ("mean",)),
}


@pytest.mark.parametrize("case", list(CE_CASES))
def test_cross_entropy_matches_torch(case, device):
    kw, t, reductions = CE_CASES[case]
    for reduction in reductions:
        _run(F.cross_entropy, TF.cross_entropy, (X, t), dict(kw, reduction=reduction), device,
             grad_idx=(0, 1) if t.dtype.kind == "f" else (0,))


@pytest.mark.parametrize("dtype", [tt.float16, tt.bfloat16], ids=str)
def test_cross_entropy_dtypes(dtype, device):
    _run(F.cross_entropy, TF.cross_entropy, (X, T), {"weight": W, "label_smoothing": 0.1, "ignore_index": 3}, device,
         dtype)
    _run(F.cross_entropy, TF.cross_entropy, (X, P), {"reduction": "none"}, device, dtype, grad_idx=(0, 1))


def test_cross_entropy_kdim_and_strided(device):
    """(N, C, d1, d2) with C at dim 1 read through strides, a transposed (non-contiguous) input, 1-d input."""
    x = _rng.standard_normal((2, 5, 3, 2))
    t = _rng.integers(0, 5, (2, 3, 2))
    for kw in ({}, {"weight": W[:5], "label_smoothing": 0.2, "ignore_index": 1}, {"reduction": "none"}):
        _run(F.cross_entropy, TF.cross_entropy, (x, t), kw, device)
    p = _rng.uniform(0, 1, (2, 5, 3))
    _run(F.cross_entropy, TF.cross_entropy, (p * 3, p), {"reduction": "none"}, device, grad_idx=(0, 1))
    a = tt.tensor(X.T.copy(), device=device).t().requires_grad_(True)   # classes strided, rows contiguous
    b = torch.tensor(X, requires_grad=True)
    la = F.cross_entropy(a, tt.tensor(T, device=device), label_smoothing=0.1)
    lb = TF.cross_entropy(b, torch.tensor(T), label_smoothing=0.1)
    la.backward()
    lb.backward()
    np.testing.assert_allclose(_np(la), _np(lb), rtol=1e-10)
    np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=1e-10, atol=1e-12)
    _run(F.cross_entropy, TF.cross_entropy, (X[0], np.array(2)), {"weight": W}, device)


@pytest.mark.parametrize("C", [13, 37])
def test_cross_entropy_multi_chunk_odd_classes(C, device, monkeypatch):
    """The chunked class loop (vocab-sized rows): tiles of 4 / 8 classes, C not a multiple of the tile; the
    running max grows across chunks (A is re-based), leading -inf logits."""
    monkeypatch.setattr(K, "CHUNK", 4 if C == 13 else 8)
    x = _rng.standard_normal((5, C)) * 3
    x[0] = np.linspace(-20, 20, C)          # max grows every chunk
    x[1, :6] = -np.inf
    t = _rng.integers(6, C, 5)
    p = _rng.uniform(0, 1, (5, C))
    for kw in ({}, {"weight": _rng.uniform(0.5, 2, C), "label_smoothing": 0.2}):
        _run(F.cross_entropy, TF.cross_entropy, (x, t), dict(kw, reduction="none"), device)
    _run(F.cross_entropy, TF.cross_entropy, (x[2:], p[2:]), {"label_smoothing": 0.1}, device, grad_idx=(0, 1))
    _run(F.nll_loss, TF.nll_loss, (x[2:], t[2:]), {}, device)


@pytest.mark.parametrize("dtype", [tt.float32, tt.float64], ids=str)
def test_cross_entropy_large_logits(dtype, device):
    """Logits of magnitude 1e4: stable (the shift by the row max is exact), matches float64 torch."""
    x = _rng.standard_normal((4, 9)) * 1e4
    x[0, 3] = 1e4
    x[0, 5] = 1e4 - 1
    tol = 1e-4 if dtype is tt.float32 else 1e-10
    for kw in ({}, {"label_smoothing": 0.1, "weight": W[:9] if len(W) >= 9 else None}):
        kw = {k: v for k, v in kw.items() if v is not None}
        a = tt.tensor(x, dtype=dtype, device=device, requires_grad=True)
        b = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        la = F.cross_entropy(a, tt.tensor(T[:4], device=device), reduction="none", **kw)
        lb = TF.cross_entropy(b, torch.tensor(T[:4]), reduction="none",
                              **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()})
        assert np.isfinite(_np(la)).all()
        np.testing.assert_allclose(_np(la), _np(lb), rtol=tol, atol=tol * 10)
        la.sum().backward()
        lb.sum().backward()
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=tol, atol=tol)


def test_nll_loss_matches_torch(device):
    lp = np.log(P)
    for kw in ({}, {"weight": W}, {"ignore_index": 3, "weight": W, "reduction": "sum"}, {"reduction": "none"},
               {"ignore_index": 4}):
        t = np.full(6, 4) if kw.get("ignore_index") == 4 else T
        _run(F.nll_loss, TF.nll_loss, (lp, t), kw, device)
    x = _rng.standard_normal((2, 4, 3, 2))
    t = _rng.integers(0, 4, (2, 3, 2))
    _run(F.nll_loss, TF.nll_loss, (x, t), {"reduction": "none"}, device)
    _run(F.nll_loss, TF.nll_loss, (x[0, :, 0, 0], np.array(1)), {}, device)
    _run(F.nll_loss, TF.nll_loss, (lp, T), {}, device, tt.bfloat16)


def test_uint8_targets(device):
    _run(F.cross_entropy, TF.cross_entropy, (X, T.astype(np.uint8)), {"label_smoothing": 0.1}, device)
    _run(F.nll_loss, TF.nll_loss, (X, T.astype(np.uint8)), {}, device)


# --- pointwise losses --------------------------------------------------------------------------

A = _rng.standard_normal((4, 5))
B = _rng.standard_normal((4, 5))
PA = _rng.uniform(0.02, 0.98, (4, 5))
PB = _rng.uniform(0, 1, (4, 5))

PW_CASES = [
    ("mse_loss", A, B, {}), ("mse_loss", A, B, {"weight": PB}), ("l1_loss", A, B, {"reduction": "none"}),
    ("l1_loss", A, B, {"weight": PB, "reduction": "sum"}), ("l1_loss", A, B, {"weight": PB}),
    ("smooth_l1_loss", A, B, {}), ("smooth_l1_loss", A, B, {"beta": 0.3, "reduction": "none"}),
    ("smooth_l1_loss", A, B, {"beta": 0.0, "reduction": "sum"}),
    ("huber_loss", A, B, {"delta": 0.5, "reduction": "none"}), ("huber_loss", A, B, {"weight": PB}),
    ("binary_cross_entropy", PA, PB, {}), ("binary_cross_entropy", PA, PB, {"weight": PB[0], "reduction": "none"}),
    ("binary_cross_entropy_with_logits", A * 10, PB, {"reduction": "sum"}),
    ("binary_cross_entropy_with_logits", A * 10, PB, {"weight": PB[:, :1], "pos_weight": PB[0] * 3}),
    ("kl_div", np.log(PA), PB, {"reduction": "batchmean"}), ("kl_div", np.log(PA), PB, {"reduction": "none"}),
    ("kl_div", np.log(PA), np.log(PB), {"log_target": True, "reduction": "sum"}),
]


@pytest.mark.parametrize("name,x,t,kw", PW_CASES, ids=[f"{c[0]}-{'-'.join(c[3]) or 'plain'}" for c in PW_CASES])
def test_pointwise_losses_match_torch(name, x, t, kw, device):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _run(getattr(F, name), getattr(TF, name), (x, t), kw, device, grad_idx=(0, 1))


def test_pointwise_broadcast_warning_and_half(device):
    with pytest.warns(UserWarning, match="different to the input size"):
        _run(F.mse_loss, TF.mse_loss, (A, B[:, :1]), {}, device, grad_idx=(0, 1))
    with pytest.warns(UserWarning, match="different to the input size"):
        F.l1_loss(tt.tensor(A, device=device), tt.tensor(B[0], device=device))
    _run(F.mse_loss, TF.mse_loss, (A, B), {}, device, tt.bfloat16, grad_idx=(0, 1))
    _run(F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, (A, PB), {}, device, tt.float16)


def test_bce_clamps_log(device):
    """Inputs 0 and 1: logs clamped at -100, as in PyTorch."""
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    a = F.binary_cross_entropy(tt.tensor(x, device=device), tt.tensor(t, device=device), reduction="none")
    b = TF.binary_cross_entropy(torch.tensor(x), torch.tensor(t), reduction="none")
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12)


def test_kl_div_mean_warning(device):
    x, t = tt.tensor(np.log(PA), device=device), tt.tensor(PB, device=device)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        r = F.kl_div(x, t)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        want = TF.kl_div(torch.tensor(np.log(PA)), torch.tensor(PB), reduction="mean")
    np.testing.assert_allclose(_np(r), _np(want), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        F.kl_div(x, t, reduction="batchmean")


def test_legacy_reduction_args(device):
    x, t = tt.tensor(X, device=device), tt.tensor(T, device=device)
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        a = F.cross_entropy(x, t, size_average=False)
    with pytest.warns(UserWarning, match="please use reduction='none' instead"):
        b = F.nll_loss(x, t, reduce=False)
    with pytest.warns(UserWarning, match="please use reduction='sum'"):
        c = F.mse_loss(x, x * 2, size_average=False)
    np.testing.assert_allclose(_np(a), _np(TF.cross_entropy(torch.tensor(X), torch.tensor(T), reduction="sum")))
    np.testing.assert_allclose(_np(b), _np(TF.nll_loss(torch.tensor(X), torch.tensor(T), reduction="none")))
    np.testing.assert_allclose(_np(c), (X * X).sum())


# --- errors --------------------------------------------------------------------------------------

def test_errors(device):
    x = tt.tensor(X, device=device)
    t = tt.tensor(T, device=device)
    for bad in (7, -1, 100):
        tb = T.copy()
        tb[2] = bad
        for fn in (F.cross_entropy, F.nll_loss):
            with pytest.raises(IndexError, match=f"Target {bad} is out of bounds."):
                fn(x, tt.tensor(tb, device=device))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(6\) to match target batch_size \(5\)"):
        F.cross_entropy(x, t[:5])
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 3\], got \[2, 2\]"):
        F.nll_loss(tt.zeros(2, 4, 3, device=device), tt.zeros(2, 2, dtype=tt.int64, device=device))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Int"):
        F.cross_entropy(x, t.to(tt.int32))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Float"):
        F.cross_entropy(x, t.to(tt.float32))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 7 classes"):
        F.cross_entropy(x, t, weight=tt.ones(3, dtype=tt.float64, device=device))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.cross_entropy(x, t, reduction="foo")
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(x, tt.tensor(P, device=device), ignore_index=1)
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.cross_entropy(t.reshape(2, 3), t[:2])
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F.nll_loss(x, t, weight=tt.ones(7, dtype=tt.float64, device=device, requires_grad=True))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(tt.tensor([0.5, 1.5], device=device), tt.tensor([1.0, 0.0], device=device))
    with pytest.raises(ValueError, match="that is different to the input size"):
        F.binary_cross_entropy(tt.tensor([0.5, 0.5], device=device), tt.tensor([1.0], device=device))
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(tt.tensor([0.5, 0.5], device=device), tt.tensor([1.0], device=device))
    with pytest.raises(RuntimeError, match="does not support negative values for beta"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="does not support non-positive values for delta"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        F.mse_loss(x, x, weight=tt.ones(7, dtype=tt.float64, device=device))


# --- autograd ------------------------------------------------------------------------------------

def test_grad_fn_names():
    x = tt.tensor(X, requires_grad=True)
    t = tt.tensor(T)
    assert F.nll_loss(x, t).grad_fn.name() == "NllLossBackward0"
    assert F.nll_loss(tt.zeros(2, 3, 4, 5, requires_grad=True), tt.zeros(2, 4, 5, dtype=tt.int64)).grad_fn.name() == \
        "NllLoss2DBackward0"
    assert F.cross_entropy(x, t).grad_fn.name() == "CrossEntropyLossBackward0"
    names = {"mse_loss": "MseLossBackward0", "l1_loss": "L1LossBackward0", "smooth_l1_loss": "SmoothL1LossBackward0",
             "huber_loss": "HuberLossBackward0", "binary_cross_entropy": "BinaryCrossEntropyBackward0",
             "binary_cross_entropy_with_logits": "BinaryCrossEntropyWithLogitsBackward0"}
    p = tt.tensor(PA, requires_grad=True)
    for fn, name in names.items():   # PyTorch's names (its l1_loss / kl_div show their last composed op)
        assert getattr(F, fn)(p, tt.tensor(PB)).grad_fn.name() == name
    assert F.kl_div(p, tt.tensor(PB), reduction="sum").grad_fn.name() == "KlDivBackward0"


@pytest.mark.parametrize("case", ["plain", "smooth-weight-ignore", "prob-weight-smooth", "kdim"])
def test_cross_entropy_gradgradcheck(case):
    if case == "kdim":
        x, t, kw = _rng.standard_normal((2, 4, 3)), _rng.integers(0, 4, (2, 3)), {"reduction": "none"}
    else:
        (kw, t, _), x = CE_CASES[case], X[:3]
        t = t[:3]
    kw = {k: tt.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    a = tt.tensor(x, requires_grad=True)
    b = tt.tensor(t, requires_grad=t.dtype.kind == "f")
    args = (a, b) if t.dtype.kind == "f" else (a,)
    fn = (lambda a, b: F.cross_entropy(a, b, **kw)) if len(args) == 2 else (lambda a: F.cross_entropy(a, b, **kw))
    assert tt.autograd.gradcheck(fn, args)
    assert tt.autograd.gradgradcheck(fn, args)


def test_nll_and_pointwise_gradgradcheck():
    a = tt.tensor(X[:3], requires_grad=True)
    t = tt.tensor(T[:3])
    w = tt.tensor(W)
    assert tt.autograd.gradgradcheck(lambda a: F.nll_loss(a, t, weight=w, ignore_index=3), (a,))
    x, y = tt.tensor(A[:2], requires_grad=True), tt.tensor(B[:2], requires_grad=True)
    for fn in (F.mse_loss, lambda a, b: F.smooth_l1_loss(a, b, beta=0.5),
               lambda a, b: F.binary_cross_entropy_with_logits(a, b.sigmoid(), pos_weight=tt.tensor(W[:5]))):
        assert tt.autograd.gradgradcheck(fn, (x, y))


def test_double_backward_matches_torch(device):
    a = tt.tensor(X, device=device, requires_grad=True)
    b = torch.tensor(X, requires_grad=True)
    kw = {"label_smoothing": 0.2, "ignore_index": 3}
    ga, = tt.autograd.grad(F.cross_entropy(a, tt.tensor(T, device=device), weight=tt.tensor(W, device=device), **kw),
                           (a,), create_graph=True)
    gb, = torch.autograd.grad(TF.cross_entropy(b, torch.tensor(T), weight=torch.tensor(W), **kw), (b,),
                              create_graph=True)
    (ga * ga).sum().backward()
    (gb * gb).sum().backward()
    np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=1e-9, atol=1e-12)


def test_cross_entropy_vocab_sized_rows(device):
    """A 70000-class row walks several class tiles in every mode (the interpreter's tile is 64K classes);
    float32 compared with float64 PyTorch (the fused kernel is more accurate than PyTorch's float32 here)."""
    x = _rng.standard_normal((2, 70000)) * 4
    t = np.array([69999, 12345])
    a = tt.tensor(x, dtype=tt.float32, device=device, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    la = F.cross_entropy(a, tt.tensor(t, device=device), label_smoothing=0.1, reduction="none")
    lb = TF.cross_entropy(b, torch.tensor(t), label_smoothing=0.1, reduction="none")
    la.sum().backward()
    lb.sum().backward()
    np.testing.assert_allclose(_np(la), _np(lb), rtol=1e-6)
    np.testing.assert_allclose(_np(a.grad), _np(b.grad), atol=2e-6)


def test_strided_weight_and_target(device):
    w2 = np.repeat(W, 2)
    t2 = np.repeat(T, 2)
    a = tt.tensor(X, device=device)
    for fn, tfn in ((F.cross_entropy, TF.cross_entropy), (F.nll_loss, TF.nll_loss)):
        r = fn(a, tt.tensor(t2, device=device)[::2], weight=tt.tensor(w2, device=device)[::2], reduction="none")
        np.testing.assert_allclose(_np(r), _np(tfn(torch.tensor(X), torch.tensor(T), weight=torch.tensor(W),
                                                    reduction="none")), rtol=1e-12)
