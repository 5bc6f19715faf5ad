"""The margin / embedding / likelihood losses vs PyTorch (CPU) on both devices (outputs and the gradients of
every differentiable argument, legacy size_average/reduce, reductions, bad input with PyTorch's messages),
and PyTorch's argument-check order and dtype rules of the regression and class losses (mse / l1 / smooth_l1
/ huber operand promotion, cross_entropy probability targets: promoted result dtype, empty inputs, -inf
logits; nll / cross_entropy target checks)."""
import re
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tritorch as tt
import tritorch.nn.functional as F

TT = {tt.float16: torch.float16, tt.bfloat16: torch.bfloat16, tt.float32: torch.float32, tt.float64: torch.float64}
FROM_TORCH = {v: k for k, v in TT.items()}

_rng = np.random.default_rng(11)
A, B, C = (_rng.standard_normal((4, 5)) for _ in range(3))
SIGN = np.sign(_rng.standard_normal((4, 5)))
SIGN1 = np.array([1.0, -1.0, -1.0, 1.0])
LABELS = np.array([1, 0, 4, 2])
MULTI = np.array([[3, 0, -1, 1, 2], [0, 1, 2, 3, 4], [-1, 1, 1, 1, 1], [4, 4, -1, 0, 0]])


def _np(t):
    return t.detach().cpu().to(tt.float64).numpy() if isinstance(t, tt.Tensor) else t.detach().double().numpy()


def _conv(v, device, lib, dtype, grad=False):
    if not isinstance(v, np.ndarray):
        return v
    if v.dtype.kind in "iub":
        return tt.tensor(v, device=device) if lib is tt else torch.tensor(v)
    if lib is tt:
        return tt.tensor(v, dtype=dtype, device=device, requires_grad=grad)
    return torch.tensor(v, dtype=TT[dtype], requires_grad=grad)


def _run(name, args, kwargs, device, grad_idx=(0,), dtype=tt.float64, tol=1e-10):
    """Call F.name on both libraries with identical inputs; compare values, dtype, shape and grads."""
    a = [_conv(v, device, tt, dtype, i in grad_idx) for i, v in enumerate(args)]
    b = [_conv(v, device, torch, dtype, i in grad_idx) for i, v in enumerate(args)]
    ka = {k: _conv(v, device, tt, dtype) for k, v in kwargs.items()}
    kb = {k: _conv(v, device, torch, dtype) for k, v in kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        la, lb = getattr(F, name)(*a, **ka), getattr(TF, name)(*b, **kb)
    assert la.device.type == device and la.dtype is FROM_TORCH[lb.dtype] and tuple(la.shape) == tuple(lb.shape)
    np.testing.assert_allclose(_np(la), _np(lb), rtol=tol, atol=tol)
    w = np.random.default_rng(2).uniform(0.5, 1.5, tuple(lb.shape))
    (la * tt.tensor(w, dtype=la.dtype, device=device)).sum().backward()
    (lb * torch.tensor(w, dtype=lb.dtype)).sum().backward()
    for i in grad_idx:
        np.testing.assert_allclose(_np(a[i].grad), _np(b[i].grad), rtol=tol, atol=tol, err_msg=f"grad of arg {i}")
    return la


CASES = [   # (name, args, kwargs, differentiable args)
    ("poisson_nll_loss", (A, np.abs(B) * 3), {}, (0, 1)),
    ("poisson_nll_loss", (np.abs(A), np.abs(B) * 3), {"log_input": False, "full": True, "reduction": "none"}, (0, 1)),
    ("poisson_nll_loss", (A, np.abs(B)), {"eps": 0.1, "reduction": "sum", "full": True}, (0,)),
    ("gaussian_nll_loss", (A, B, np.abs(C)), {"full": True}, (0, 1, 2)),
    ("gaussian_nll_loss", (A, B, np.abs(C[:, 0])), {"reduction": "sum"}, (0, 1, 2)),
    ("gaussian_nll_loss", (A, B, np.abs(C[:1]) * 1e-3), {"reduction": "none", "eps": 0.01}, (0, 1, 2)),
    ("gaussian_nll_loss", (A, B, np.abs(C[:, :1])), {}, (0, 1, 2)),
    ("margin_ranking_loss", (A[:, 0], B[:, 0], SIGN1), {"margin": 0.3}, (0, 1, 2)),
    ("margin_ranking_loss", (A, B, SIGN), {"reduction": "none"}, (0, 1, 2)),
    ("hinge_embedding_loss", (A, SIGN), {"margin": 0.5, "reduction": "none"}, (0,)),
    ("hinge_embedding_loss", (A, SIGN), {}, (0,)),
    ("soft_margin_loss", (A * 3, SIGN), {}, (0,)),
    ("soft_margin_loss", (A, SIGN), {"reduction": "none"}, (0,)),
    ("multilabel_soft_margin_loss", (A, (SIGN > 0) * 1.0), {"weight": np.abs(B[0])}, (0, 1)),
    ("multilabel_soft_margin_loss", (A * 20, (SIGN > 0) * 1.0), {"reduction": "none"}, (0, 1)),
    ("cosine_embedding_loss", (A, B, SIGN1), {"margin": 0.2}, (0, 1)),
    ("cosine_embedding_loss", (A, B, SIGN1), {"reduction": "none", "margin": -0.5}, (0, 1)),
    ("cosine_embedding_loss", (A[0], B[0], np.array(-1.0)), {"reduction": "none"}, (0, 1)),
    ("multi_margin_loss", (A, LABELS), {}, (0,)),
    ("multi_margin_loss", (A, LABELS), {"p": 2, "margin": 0.7, "weight": np.abs(B[0]), "reduction": "none"}, (0,)),
    ("multi_margin_loss", (A[0], np.array(3)), {"reduction": "none"}, (0,)),
    ("multi_margin_loss", (A[0], np.array([3])), {"reduction": "none", "weight": np.abs(B[0])}, (0,)),
    ("multilabel_margin_loss", (A, MULTI), {}, (0,)),
    ("multilabel_margin_loss", (A, MULTI), {"reduction": "none"}, (0,)),
    ("multilabel_margin_loss", (A[0], MULTI[0]), {"reduction": "sum"}, (0,)),
    ("triplet_margin_loss", (A, B, C), {}, (0, 1, 2)),
    ("triplet_margin_loss", (A, B, C), {"p": 1, "swap": True, "margin": 2.0, "reduction": "none"}, (0, 1, 2)),
    ("triplet_margin_loss", (A[0], B[0], C[0]), {"p": 3, "eps": 1e-3}, (0, 1, 2)),
    ("triplet_margin_with_distance_loss", (A, B, C), {"swap": True}, (0, 1, 2)),
]


@pytest.mark.parametrize("name,args,kw,gi", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_torch(name, args, kw, gi, device):
    _run(name, args, kw, device, gi)


def test_custom_distance_and_float32(device):
    a, b, c = (tt.tensor(v, device=device, requires_grad=True) for v in (A, B, C))
    x, y, z = (torch.tensor(v, requires_grad=True) for v in (A, B, C))
    la = F.triplet_margin_with_distance_loss(a, b, c, distance_function=lambda u, v: 1 - F.cosine_similarity(u, v),
                                             margin=0.5, reduction="sum")
    lb = TF.triplet_margin_with_distance_loss(x, y, z, distance_function=lambda u, v: 1 - TF.cosine_similarity(u, v),
                                              margin=0.5, reduction="sum")
    la.backward()
    lb.backward()
    np.testing.assert_allclose(_np(la), _np(lb), rtol=1e-12)
    for u, v in ((a, x), (b, y), (c, z)):
        np.testing.assert_allclose(_np(u.grad), _np(v.grad), atol=1e-12)
    for name, args, kw, gi in (CASES[0], CASES[15], CASES[19], CASES[22]):
        _run(name, args, kw, device, gi, dtype=tt.float32, tol=2e-5)


def test_legacy_reduction_args(device):
    x, t = tt.tensor(A, device=device), tt.tensor(SIGN, device=device)
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        r = F.soft_margin_loss(x, t, size_average=False)
    np.testing.assert_allclose(_np(r), _np(TF.soft_margin_loss(torch.tensor(A), torch.tensor(SIGN), reduction="sum")))
    with pytest.warns(UserWarning, match="please use reduction='none' instead"):
        r = F.multi_margin_loss(x, tt.tensor(LABELS, device=device), reduce=False)
    assert tuple(r.shape) == (4,)
    with pytest.warns(UserWarning, match="please use reduction='mean' instead"):
        F.poisson_nll_loss(x, t.abs(), size_average=True)
    with pytest.warns(UserWarning, match="'elementwise_mean' is deprecated"):
        r = F.hinge_embedding_loss(x, t, reduction="elementwise_mean")
    np.testing.assert_allclose(_np(r), _np(TF.hinge_embedding_loss(torch.tensor(A), torch.tensor(SIGN))))


def test_gradgradcheck():
    x, y = tt.tensor(A[:2, :3], requires_grad=True), tt.tensor(np.abs(B[:2, :3]) + 0.5, requires_grad=True)
    for fn in (lambda a, b: F.poisson_nll_loss(a, b, full=True), lambda a, b: F.gaussian_nll_loss(a, a * 0.5, b),
               lambda a, b: F.triplet_margin_loss(a, b, b * 0.3), lambda a, b: F.multi_margin_loss(a, tt.tensor([0, 2]),
                                                                                                 p=2, margin=3.0)):
        assert tt.autograd.gradcheck(fn, (x, y)) and tt.autograd.gradgradcheck(fn, (x, y))


def _raises(exc, msg, fn, *args, **kw):
    with pytest.raises(exc, match=re.escape(msg)):
        fn(*args, **kw)


def test_errors(device):
    def t(v, **k):
        return tt.tensor(np.asarray(v), device=device, **k)
    x, s = t(A), t(SIGN)
    _raises(ValueError, "bad is not a valid value for reduction", F.poisson_nll_loss, x, x, reduction="bad")
    _raises(ValueError, "bad is not a valid value for reduction", F.margin_ranking_loss, x, x, s, reduction="bad")
    _raises(ValueError, "bad is not valid", F.gaussian_nll_loss, x, x, x.abs(), reduction="bad")
    _raises(ValueError, "bad is not valid", F.multilabel_soft_margin_loss, x, s, reduction="bad")
    _raises(ValueError, "var has negative entry/entries", F.gaussian_nll_loss, x, x, x)
    _raises(ValueError, "var has negative entry/entries", F.gaussian_nll_loss, x, x, -1.0)
    _raises(ValueError, "var is of incorrect size", F.gaussian_nll_loss, x, x, t(np.ones((4, 2))))
    _raises(RuntimeError, "margin_ranking_loss : All input tensors should have same dimension", F.margin_ranking_loss,
            x, x, s[0])
    _raises(RuntimeError, "0D or 1D target tensor expected, multi-target not supported", F.cosine_embedding_loss,
            x, x, s)
    _raises(RuntimeError, "1D target tensor expects 2D input tensors, but found inputs with sizes [5] and [4, 5].",
            F.cosine_embedding_loss, x[0], x, s[:, 0])
    _raises(RuntimeError, "The function 'soft_margin_loss' is not differentiable with respect to argument 'target'",
            F.soft_margin_loss, x, t(SIGN, requires_grad=True))
    lab = t(LABELS)
    _raises(ValueError, "only p == 1 and p == 2 supported", F.multi_margin_loss, x, lab, p=3)
    _raises(ValueError, "weight must be one-dimensional", F.multi_margin_loss, x, lab, weight=x)
    _raises(RuntimeError, "inconsistent weight size, expected 5 but got [3]", F.multi_margin_loss, x, lab,
            weight=x[0, :3])
    _raises(RuntimeError, "multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
            "samples (batch size). Expected target size [4], but got [2]. Input has shape [4, 5].",
            F.multi_margin_loss, x, lab[:2])
    _raises(RuntimeError, "target out of range", F.multi_margin_loss, x, t([0, 5, 1, 1]))
    _raises(RuntimeError, "expected scalar type Long but found Int", F.multi_margin_loss, x, lab.int())
    _raises(RuntimeError, "Expected non-empty vector or matrix with optional 0-dim batch size, but got: [4, 0]",
            F.multi_margin_loss, x[:, :0], lab)
    _raises(RuntimeError, "Expected non-empty vector or matrix with optional 0-dim batch size, but got: [1, 4, 5]",
            F.multilabel_margin_loss, x[None], t(MULTI)[None])
    _raises(RuntimeError, "inconsistent target size: [2, 5] for input of size: [4, 5]", F.multilabel_margin_loss, x,
            t(MULTI[:2]))
    _raises(RuntimeError, "argument #2 'target' is out of range", F.multilabel_margin_loss, x, t(MULTI - 1))
    _raises(RuntimeError, "expected scalar type Long but found Double", F.multilabel_margin_loss, x, t(MULTI * 1.0))
    _raises(ValueError, "margin must be greater than 0, got 0", F.triplet_margin_loss, x, x, x, margin=0)
    _raises(ValueError, "margin must be greater than 0, got -1", F.triplet_margin_with_distance_loss, x, x, x,
            margin=-1)
    _raises(RuntimeError, "The anchor, positive, and negative tensors are expected to have the same number of "
            "dimensions, but got: anchor 2D, positive 2D, and negative 1D inputs", F.triplet_margin_loss, x, x, x[0])
    _raises(ValueError, "foo is not a valid value for reduction", F.triplet_margin_with_distance_loss, x, x, x,
            reduction="foo")


def test_error_classes_agree_with_torch():
    """Each bad call above raises in PyTorch too, with the same class (spot checks of the odd ones)."""
    x = torch.tensor(A)
    with pytest.raises(RuntimeError, match="target out of range"):
        TF.multi_margin_loss(x, torch.tensor([0, 5, 1, 1]))
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input tensors"):
        TF.cosine_embedding_loss(x[0], x, torch.tensor(SIGN[:, 0]))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        TF.gaussian_nll_loss(x, x, torch.ones(4, 2))


# --- PyTorch's check order and dtype rules of the existing losses ----------------------------------------

@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_shapes_checked_before_reduction(name, device):
    x = tt.tensor(A, device=device)
    with pytest.raises(RuntimeError, match=r"(?i)the size of tensor a \(5\) must match the size of tensor b \(3\)"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            getattr(F, name)(x, x[:, :3], reduction="bad")
    b = tt.tensor([True, False], device=device)
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):   # before the dtype check
        getattr(F, name)(b, b, reduction="bad")


@pytest.mark.parametrize("name,kernel", [("mse_loss", "mse_cpu"), ("smooth_l1_loss", "smooth_l1_cpu"),
                                         ("huber_loss", "huber_cpu")])
def test_regression_operand_dtypes(name, kernel, device):
    """Bool / integer next to a floating operand promote (PyTorch accepts); all-integer raises like its CPU kernel."""
    for other in (SIGN > 0, LABELS[:, None] * np.ones((4, 5), np.int64)):
        if name == "huber_loss":   # PyTorch's own huber backward fails on a bool / integer target: values only
            r = F.huber_loss(tt.tensor(A, device=device), tt.tensor(other, device=device))
            want = TF.huber_loss(torch.tensor(A), torch.tensor(other))
            assert r.dtype is tt.float64
            np.testing.assert_allclose(_np(r), _np(want), rtol=1e-12)
            continue
        _run(name, (A, other), {}, device, grad_idx=(0,))
        _run(name, (other, A), {}, device, grad_idx=(1,))
    _raises(NotImplementedError, f"\"{kernel}\" not implemented for 'Long'", getattr(F, name),
            tt.tensor(LABELS, device=device), tt.tensor(LABELS, device=device))
    _raises(NotImplementedError, f"\"{kernel}\" not implemented for 'Bool'", getattr(F, name),
            tt.tensor(LABELS > 1, device=device), tt.tensor(LABELS > 2, device=device))
    _run(name, (A, A[0]), {"reduction": "sum"}, device, grad_idx=(0, 1), dtype=tt.float32, tol=1e-5)
    half = _run(name, (A, B), {}, device, grad_idx=(0,), dtype=tt.float16, tol=5e-3)
    assert half.dtype is tt.float16


def test_cross_entropy_probability_targets(device):
    """Result dtype promoted over input, target and weight; empty inputs give nan ('mean') / zeros; no classes
    gives 0 per row; -inf logits with a positive probability give inf (0 * -inf elsewhere gives nan, as in
    PyTorch); ignore_index may be negative."""
    P = np.abs(B) / np.abs(B).sum(1, keepdims=True)
    for xd, td in ((tt.float16, tt.float32), (tt.float32, tt.float64), (tt.bfloat16, tt.float32)):
        a = tt.tensor(A, dtype=xd, device=device, requires_grad=True)
        b = torch.tensor(A, dtype=TT[xd], requires_grad=True)
        la = F.cross_entropy(a, tt.tensor(P, dtype=td, device=device))
        lb = TF.cross_entropy(b, torch.tensor(P, dtype=TT[td]))
        assert la.dtype is FROM_TORCH[lb.dtype] is td
        np.testing.assert_allclose(_np(la), _np(lb), rtol=2e-2)
        la.backward()
        lb.backward()
        assert a.grad.dtype is xd
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), atol=2e-2)
    w = np.abs(C[0]) + 0.5
    _run("cross_entropy", (A, P), {"weight": w, "reduction": "none"}, device, grad_idx=(0, 1))
    _run("cross_entropy", (A, P), {"ignore_index": -5, "label_smoothing": 0.2}, device, grad_idx=(0, 1))
    for x, p, kw in ((A[:0], P[:0], {}), (A[:0], P[:0], {"reduction": "sum"}), (A[:, :0], P[:, :0], {}),
                     (A[:, :0], P[:, :0], {"reduction": "none"}), (A[:, :0], P[:, :0], {"weight": w[:0]}),
                     (A[:, :0], P[:, :0], {"label_smoothing": 0.1, "reduction": "none"})):
        ka = {k: tt.tensor(v, device=device) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        r = F.cross_entropy(tt.tensor(x, device=device), tt.tensor(p, device=device), **ka)
        want = TF.cross_entropy(torch.tensor(x), torch.tensor(p), **{
            k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()})
        assert tuple(r.shape) == tuple(want.shape)
        np.testing.assert_array_equal(_np(r), _np(want))
    r = F.cross_entropy(tt.zeros((2, 0), dtype=tt.float16, device=device), tt.zeros((2, 0), device=device),
                        label_smoothing=0.1)   # mixed dtypes, no classes
    assert r.dtype is tt.float32 and np.isnan(_np(r))
    inf = np.inf
    for x, p in (([[-inf, 0.0]], [[0.5, 0.5]]), ([[-inf, 0.0]], [[0.0, 1.0]]), ([[inf, 0.0]], [[0.5, 0.5]])):
        r = F.cross_entropy(tt.tensor(x, device=device), tt.tensor(p, device=device))
        np.testing.assert_array_equal(_np(r), _np(TF.cross_entropy(torch.tensor(x), torch.tensor(p))))
    # an empty integer input: PyTorch's log_softmax skips its dtype check, the result has the promoted dtype
    for red in ("mean", "none", "sum"):
        r = F.cross_entropy(tt.zeros((0, 3), dtype=tt.int64, device=device), tt.zeros((0, 3), device=device),
                            reduction=red)
        want = TF.cross_entropy(torch.zeros((0, 3), dtype=torch.int64), torch.zeros((0, 3)), reduction=red)
        assert r.dtype is tt.float32 and tuple(r.shape) == tuple(want.shape)
        np.testing.assert_array_equal(_np(r), _np(want))
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(tt.tensor(A, device=device), tt.tensor(P, device=device), ignore_index=0)
    with pytest.raises(RuntimeError, match="Expected floating point type for target with class probabilities, got "
                                           "Long"):
        F.cross_entropy(tt.tensor(A, device=device), tt.tensor(MULTI, device=device))


def test_class_target_check_order(device):
    """PyTorch's nll_loss_nd order: batch size, 1-d target of a 1-d input (size 1 accepted), target rank, weight
    shape, then the target dtype; cross_entropy checks the input dtype first, nll_loss last."""
    x = tt.tensor(A, device=device)
    for fn in (F.nll_loss, F.cross_entropy):
        _raises(ValueError, "Expected input batch_size (4) to match target batch_size (3).", fn, x,
                tt.tensor([0, 1, 1], device=device).int())
        _raises(ValueError, "For 1D input, 1D target must have size 1, but got target size: 2", fn, x[0],
                tt.tensor([0, 1], device=device))
        _raises(RuntimeError, "0D or 1D target tensor expected, multi-target not supported", fn, x[0],
                tt.tensor([[1]], device=device))
        _raises(RuntimeError, "weight tensor should be defined either for all 5 classes", fn, x,
                tt.tensor(LABELS, device=device).int(), weight=tt.ones(4, dtype=tt.float64, device=device))
        _raises(IndexError, "Target 7 is out of bounds.", fn, x[0], tt.tensor([7], device=device))
    _raises(ValueError, "Expected input batch_size (4) to match target batch_size (3).", F.nll_loss,
            x.long(), tt.tensor([0, 1, 1], device=device))
    _raises(NotImplementedError, "not implemented for 'Long'", F.cross_entropy, x.long(),
            tt.tensor([0, 1, 1], device=device))
    _raises(ValueError, "Expected 1 or more dimensions (got 0)", F.nll_loss, x[0, 0], tt.tensor(1, device=device))
    for fn in (F.nll_loss, F.cross_entropy):   # unbatched input: the target dtype before its size
        _raises(RuntimeError, "expected target dtype to be Long or Byte, but got Int", fn, x[0],
                tt.tensor([1, 2, 0, 1], dtype=tt.int32, device=device))
        _raises(ValueError, "For 1D input, 1D target must have size 1, but got target size: 4", fn, x[0],
                tt.tensor([1, 2, 0, 1], device=device), weight=tt.ones(4, dtype=tt.float64, device=device))
    for fn in (F.nll_loss, F.cross_entropy):   # K-dim inputs (PyTorch's nll_loss2d) take int64 targets only
        _raises(RuntimeError, "expected scalar type Long but found Byte", fn, tt.zeros(2, 3, 2, device=device),
                tt.tensor([[0, 0], [2, 6]], dtype=tt.uint8, device=device))
    p = tt.tensor(np.full((4, 5), 0.2), dtype=tt.float32, device=device)
    _raises(RuntimeError, "ignore_index is not supported for floating point target", F.cross_entropy,
            x.to(tt.bfloat16), p, ignore_index=0)   # the mixed-dtype path checks too
    for fn, tfn in ((F.nll_loss, TF.nll_loss), (F.cross_entropy, TF.cross_entropy)):
        for kw in ({}, {"reduction": "none"}):
            r = fn(x[0], tt.tensor([3], device=device), **kw)
            want = tfn(torch.tensor(A[0]), torch.tensor([3]), **kw)
            assert tuple(r.shape) == tuple(want.shape) == ()
            np.testing.assert_allclose(_np(r), _np(want), rtol=1e-12)


def test_no_classes_with_weight(device):
    """(N, 0) input, every target ignored, a (0,) weight: nan like PyTorch (no numpy IndexError)."""
    x = tt.tensor(A[:, :0], device=device)
    t = tt.zeros(4, dtype=tt.int64, device=device)
    w = tt.ones(0, dtype=tt.float64, device=device)
    for fn in (F.nll_loss, F.cross_entropy):
        assert np.isnan(_np(fn(x, t, weight=w, ignore_index=0)))
        np.testing.assert_array_equal(_np(fn(x, t, weight=w, ignore_index=0, reduction="none")), np.zeros(4))
        with pytest.raises(IndexError, match="Target 0 is out of bounds."):
            fn(x, t, weight=w)
