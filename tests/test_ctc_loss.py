"""F.ctc_loss vs PyTorch (CPU) on both devices: padded and concatenated targets, lengths as tensors or
tuples, every reduction, zero_infinity and impossible alignments, repeated labels, blank != 0, unbatched
input, zero-length inputs and targets; losses and gradients (through log_softmax and w.r.t. log_probs
directly, PyTorch's formula), gradcheck, and bad input with PyTorch's messages."""
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tritorch as tt
import tritorch.nn.functional as F
from tests.opinfo.ctc_loss import ctc_reference

_rng = np.random.default_rng(7)
X = _rng.standard_normal((7, 3, 5))
TGT = np.array([[1, 2, 2, 4], [3, 1, 0, 0], [4, 4, 4, 4]])
IL, TL = (7, 5, 6), (4, 2, 3)
TT = {tt.float32: torch.float32, tt.float64: torch.float64}


def _np(t):
    return t.detach().cpu().to(tt.float64).numpy() if isinstance(t, tt.Tensor) else t.detach().double().numpy()


def _both(x, targets, il, tl, device, dtype=tt.float64, softmax=True, lengths="tuple", **kw):
    """Loss and d/dx on both libraries; ``lengths``: 'tuple', 'list' or 'tensor'."""
    a = tt.tensor(x, dtype=dtype, device=device, requires_grad=True)
    b = torch.tensor(x, dtype=TT[dtype], requires_grad=True)
    conv = {"tuple": tuple, "list": list, "tensor": np.asarray}[lengths]
    il_a, il_b = (tt.tensor(np.asarray(il), device=device), torch.tensor(np.asarray(il))) if lengths == "tensor" \
        else (conv(il), conv(il))
    tl_a, tl_b = (tt.tensor(np.asarray(tl), device=device), torch.tensor(np.asarray(tl))) if lengths == "tensor" \
        else (conv(tl), conv(tl))
    la = F.ctc_loss(a.log_softmax(-1) if softmax else a, tt.tensor(targets, device=device), il_a, tl_a, **kw)
    lb = TF.ctc_loss(b.log_softmax(-1) if softmax else b, torch.tensor(targets), il_b, tl_b, **kw)
    w = np.random.default_rng(3).uniform(0.5, 1.5, tuple(lb.shape))
    (la * tt.tensor(w, dtype=la.dtype, device=device)).sum().backward()
    (lb * torch.tensor(w, dtype=lb.dtype)).sum().backward()
    assert la.device.type == device and la.dtype is dtype and tuple(la.shape) == tuple(lb.shape)
    return (_np(la), _np(a.grad)), (_np(lb), _np(b.grad))


def _check(res, tol=1e-10):
    (la, ga), (lb, gb) = res
    np.testing.assert_allclose(la, lb, rtol=tol, atol=tol)
    np.testing.assert_allclose(ga, gb, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_padded_targets_match_torch(reduction, device):
    _check(_both(X, TGT, IL, TL, device, reduction=reduction))


@pytest.mark.parametrize("lengths", ["tuple", "list", "tensor"])
def test_concatenated_targets_and_length_kinds(lengths, device):
    cat = np.concatenate([TGT[b, :n] for b, n in enumerate(TL)])
    _check(_both(X, cat, IL, TL, device, lengths=lengths, reduction="none"))
    # the same losses as with padded targets
    (la, _), _ = _both(X, cat, IL, TL, device, lengths=lengths, reduction="none")
    (lp, _), _ = _both(X, TGT, IL, TL, device, reduction="none")
    np.testing.assert_allclose(la, lp, rtol=1e-12)


def test_matches_textbook_recursion(device):
    lp = X - np.log(np.exp(X).sum(-1, keepdims=True))
    want = ctc_reference(lp, TGT, IL, TL)
    got = F.ctc_loss(tt.tensor(lp, device=device), tt.tensor(TGT, device=device), IL, TL, reduction="none")
    np.testing.assert_allclose(_np(got), want, rtol=1e-12)


def test_gradient_wrt_log_probs_is_torchs(device):
    """A leaf log_probs gets PyTorch's gradient exp(lp) - posterior (the logits' gradient), not d loss / d lp."""
    lp = X - np.log(np.exp(X).sum(-1, keepdims=True))
    _check(_both(lp, TGT, IL, TL, device, softmax=False, reduction="sum"))
    _check(_both(X, TGT, IL, TL, device, softmax=False, reduction="mean"))   # unnormalised log_probs too


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_impossible_alignments(zero_infinity, device):
    """[1, 1, 1] needs 5 frames (1, -, 1, -, 1): inf (nan gradients) or 0 with zero_infinity; an input of length 0
    gives 0 for an empty target and inf otherwise."""
    tg = np.array([[1, 1, 1], [2, 3, 0], [0, 0, 0], [1, 0, 0]])
    x = _rng.standard_normal((4, 4, 5))
    for red in ("none", "mean", "sum"):
        res = _both(x, tg, (4, 3, 0, 0), (3, 2, 0, 1), device, zero_infinity=zero_infinity, reduction=red)
        _check(res)
    (la, ga), _ = _both(x, tg, (4, 3, 0, 0), (3, 2, 0, 1), device, zero_infinity=zero_infinity, reduction="none")
    assert (la[[0, 3]] == (0 if zero_infinity else np.inf)).all() and la[2] == 0 and np.isfinite(la[1])
    assert np.isnan(ga[:, 0]).all() != zero_infinity and (ga[:, 2:] == 0).all()


def test_blank_repeats_and_float32(device):
    x = _rng.standard_normal((9, 2, 6))
    tg = np.array([[0, 0, 2, 2, 0], [1, 2, 3, 4, 0]])
    _check(_both(x, tg, (9, 8), (5, 4), device, blank=5, reduction="none"))
    _check(_both(x, tg, (9, 8), (5, 4), device, dtype=tt.float32, blank=5, reduction="mean"), tol=2e-5)


def test_unbatched(device):
    x = _rng.standard_normal((6, 4))
    for kw in ({"reduction": "none"}, {}):
        a = tt.tensor(x, device=device, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        la = F.ctc_loss(a.log_softmax(-1), tt.tensor([1, 3], device=device), tt.tensor(6), tt.tensor(2), **kw)
        lb = TF.ctc_loss(b.log_softmax(-1), torch.tensor([1, 3]), torch.tensor(6), torch.tensor(2), **kw)
        assert tuple(la.shape) == tuple(lb.shape) == ()
        la.backward()
        lb.backward()
        np.testing.assert_allclose(_np(la), _np(lb), rtol=1e-12)
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), atol=1e-12)


def test_targets_of_other_dtypes_and_grad_fn(device):
    for dt in (tt.int32, tt.uint8):
        r = F.ctc_loss(tt.tensor(X, device=device).log_softmax(-1), tt.tensor(TGT, device=device).to(dt), IL, TL)
        want = TF.ctc_loss(torch.tensor(X).log_softmax(-1), torch.tensor(TGT), IL, TL)
        np.testing.assert_allclose(_np(r), _np(want), rtol=1e-12)
    lp = tt.tensor(X, requires_grad=True)
    assert F.ctc_loss(lp, tt.tensor(TGT), IL, TL, reduction="none").grad_fn.name() == "CtcLossBackward0"


def test_gradcheck_through_log_softmax():
    x = tt.tensor(_rng.standard_normal((5, 2, 4)), requires_grad=True)
    tg = tt.tensor([[1, 1], [2, 3]])
    assert tt.autograd.gradcheck(lambda x: F.ctc_loss(x.log_softmax(2), tg, (5, 4), (2, 2)), (x,))


def test_errors(device):
    lp = tt.tensor(X, device=device).log_softmax(-1)
    tg = tt.tensor(TGT, device=device)
    c = " (while checking arguments for ctc_loss_allocate_outputs)"
    cases = [
        (NotImplementedError, "\"ctc_loss_cpu\" not implemented for 'Half'", (lp.half(), tg, IL, TL), {}),
        (RuntimeError, "Expected 3-dimensional tensor, but got 2-dimensional tensor for argument #1 'log_probs'" + c,
         (lp[0, 0], tg, IL, TL), {}),
        (RuntimeError, "Expected 1 to 2 dimensions, but got 3-dimensional tensor for argument #2 'targets'" + c,
         (lp, tg[None], IL, TL), {}),
        (RuntimeError, "log_probs tensor must not be empty", (lp[:, :0], tg[:0], (), ()), {}),
        (RuntimeError, "blank must be in label range", (lp, tg, IL, TL), {"blank": 5}),
        (RuntimeError, "input_lengths must be of size batch_size", (lp, tg, IL[:2], TL), {}),
        (RuntimeError, "target_lengths must be of size batch_size", (lp, tg, IL, TL[:2]), {}),
        (RuntimeError, "Expected target_lengths to have value at least 0, but got value -1" + c,
         (lp, tg, IL, (4, -1, 3)), {}),
        (RuntimeError, "Expected tensor to have size at least 5 at dimension 1, but got size 4 for argument #2 "
                       "'targets'" + c, (lp, tg, IL, (5, 2, 3)), {}),
        (RuntimeError, "Expected tensor to have size 9 at dimension 0, but got size 12 for argument #2 'targets'" + c,
         (lp, tg.reshape(-1), IL, TL), {}),
        (RuntimeError, "Expected input_lengths to have value at most 7, but got value 8" + c, (lp, tg, (8, 5, 6), TL),
         {}),
        (RuntimeError, "Expected input_lengths to have value at least 0, but got value -1" + c,
         (lp, tg, (7, -1, 6), TL), {}),
        (RuntimeError, "input_lengths must be integral", (lp, tg, tt.tensor([7.0, 5, 6]), tt.tensor(TL)), {}),
        (RuntimeError, "target_lengths must be integral", (lp, tg, tt.tensor(IL), tt.tensor([True, True, True])), {}),
        (ValueError, "bad is not a valid value for reduction", (lp, tg, IL, TL), {"reduction": "bad"}),
        (TypeError, "argument 'input_lengths' must be a tuple of ints", (lp, tg, (7.0, 5, 6), TL), {}),
        (TypeError, "argument 'blank' must be int", (lp, tg, IL, TL), {"blank": 1.0}),
    ]
    for exc, msg, args, kw in cases:
        with pytest.raises(exc, match=re.escape(msg)):
            F.ctc_loss(*args, **kw)
        # PyTorch agrees (its argument parser words TypeErrors differently)
        with pytest.raises(exc, match=None if exc is TypeError else re.escape(msg[:30])):
            TF.ctc_loss(*[torch.from_numpy(np.array(a.cpu().numpy())) if isinstance(a, tt.Tensor) else a
                          for a in args], **kw)
