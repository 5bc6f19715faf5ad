"""tritorch.utils.checkpoint: the same gradients as without checkpointing (args, closure tensors,
dropout under preserve_rng_state, nested, autograd.grad, double backward), activations freed
after the forward (cuda.memory_allocated, weakrefs), non-tensor args/outputs, kwargs, and
argument errors with PyTorch's messages."""
import contextlib
import gc
import weakref

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as TC

import tritorch as tt
import tritorch.nn.functional as F
from tritorch.utils.checkpoint import checkpoint, checkpoint_sequential, CheckpointError


def _np(t):
    return t.detach().to(tt.float64).cpu().numpy()


def _leaf(shape, device, seed):
    a = np.random.default_rng(seed).standard_normal(shape)
    return tt.tensor(a, dtype=tt.float32, device=device).requires_grad_()


def _setup(device):
    x = _leaf((4, 6), device, 0)
    w1 = _leaf((6, 6), device, 1)
    w2 = _leaf((6, 3), device, 2)
    h = _leaf((4, 6), device, 3)
    return x, w1, w2, h


def _block(w1, w2, hh, p=0.0):
    """x -> dropout(tanh(x @ w1) * hh) @ w2, closing over w1, w2 and the non-leaf hh."""
    def f(x):
        y = (x @ w1).tanh() * hh
        return F.dropout(y, p) @ w2
    return f


def _grads(device, ck, p=0.0, **kw):
    x, w1, w2, h = _setup(device)
    hh = h * 2  # an activation computed before the checkpoint, captured by closure
    f = _block(w1, w2, hh, p)
    tt.manual_seed(11)
    out = checkpoint(f, x, use_reentrant=False, **kw) if ck else f(x)
    (out * out).sum().backward()
    return [_np(out)] + [_np(t.grad) for t in (x, w1, w2, h)]


@pytest.mark.parametrize("p", [0.0, 0.5])
def test_same_gradients_as_without_checkpoint(device, p):
    for a, b in zip(_grads(device, False, p), _grads(device, True, p)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_without_preserved_rng_masks_differ_and_outer_stream_is_kept(device):
    ref = _grads(device, False, 0.5)
    got = _grads(device, True, 0.5, preserve_rng_state=False)
    np.testing.assert_array_equal(ref[0], got[0])  # the forward itself is unchanged
    assert not np.allclose(ref[1], got[1])  # the recomputation drew another mask
    # With preserve_rng_state the recomputation leaves the surrounding stream where it was.
    x = _leaf((8, 8), device, 0)
    tt.manual_seed(3)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    after_plain = _np(tt.rand(5, device=device))
    tt.manual_seed(3)
    y = checkpoint(lambda t: F.dropout(t, 0.5), x, use_reentrant=False)
    y.sum().backward()
    np.testing.assert_array_equal(_np(tt.rand(5, device=device)), after_plain)


def test_autograd_grad_and_backward_inputs_reach_closure_tensors(device):
    x, w1, w2, h = _setup(device)
    hh = h * 2
    f = _block(w1, w2, hh)
    ref = tt.autograd.grad(f(x).sum(), [w1, w2, h, x], retain_graph=True)  # hh's graph is used again
    got = tt.autograd.grad(checkpoint(f, x, use_reentrant=False).sum(), [w1, w2, h, x], retain_graph=True)
    for a, b in zip(ref, got):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6, atol=1e-6)
    assert x.grad is None and w1.grad is None  # autograd.grad accumulates nothing
    out = checkpoint(f, x, use_reentrant=False)
    out.sum().backward(inputs=[w2])
    np.testing.assert_allclose(_np(w2.grad), _np(ref[1]), rtol=1e-6)
    assert w1.grad is None and x.grad is None


def test_closure_only_function(device):
    # No tensor arg at all: gradients still reach the parameters (PyTorch's use_reentrant=False).
    _, w1, w2, _ = _setup(device)
    out = checkpoint(lambda: (w1 @ w2).sum(), use_reentrant=True)
    out.backward()
    np.testing.assert_allclose(_np(w1.grad), _np(w2).sum(1)[None, :].repeat(6, 0), rtol=1e-6)


def test_activations_are_freed_cuda_memory():
    x = _leaf((64, 64), "cuda", 0)

    def f(t):
        for _ in range(6):
            t = (t * 1.01).tanh()
        return t
    gc.collect()
    base = tt.cuda.memory_allocated()
    plain = f(x)
    kept_plain = tt.cuda.memory_allocated() - base
    del plain
    gc.collect()  # a node saving its own output forms a cycle with it
    gc.disable()  # checkpoint must free its activations without the cycle collector
    try:
        base = tt.cuda.memory_allocated()
        ck = checkpoint(f, x, use_reentrant=False)
        kept_ck = tt.cuda.memory_allocated() - base
    finally:
        gc.enable()
    assert kept_ck == 64 * 64 * 4  # the output only
    assert kept_plain >= 6 * kept_ck
    ck.sum().backward()
    np.testing.assert_allclose(_np(x.grad), _np(tt.autograd.grad(f(x).sum(), x)[0]), rtol=1e-6)


def test_activations_are_freed_weakrefs():
    refs = []

    def f(t):
        y = t.exp()
        z = y.sin()
        refs.extend([weakref.ref(y), weakref.ref(z)])
        return z.sum()
    x = _leaf((3,), "cpu", 0)
    out_plain = f(x)
    assert refs[0]() is not None  # y = exp(x) is saved for backward
    refs.clear()
    out = checkpoint(f, x, use_reentrant=False)
    assert all(r() is None for r in refs)
    assert out_plain.item() == out.item()
    out.backward()
    np.testing.assert_allclose(_np(x.grad), (np.cos(np.exp(_np(x))) * np.exp(_np(x))), rtol=1e-6)


def test_nested(device):
    x, w1, w2, h = _setup(device)
    hh = h * 2

    def inner(t):
        return (t @ w1).tanh() * hh

    def outer(t):
        y = checkpoint(inner, t, use_reentrant=False)
        return checkpoint(lambda u: (u @ w2).sin(), y, use_reentrant=False) + 1

    ref = tt.autograd.grad((outer(x) ** 2).sum(), [x, w1, w2, h], retain_graph=True)
    got = tt.autograd.grad((checkpoint(outer, x, use_reentrant=False) ** 2).sum(), [x, w1, w2, h])
    for a, b in zip(ref, got):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6, atol=1e-6)


def test_non_tensor_args_outputs_and_kwargs(device):
    x, w1, _, _ = _setup(device)
    k = tt.tensor([1, 2], device=device)  # an integer tensor arg: saved, no gradient

    def f(a, n, *, scale, extra=None):
        y = a @ w1 * scale
        return {"y": y, "pair": (y.sum(), n + 1, None), "same": a, "idx": k + n, "extra": extra}
    out = checkpoint(f, x, 3, scale=2.0, extra="tag", use_reentrant=False)
    assert out["pair"][1] == 4 and out["pair"][2] is None and out["extra"] == "tag"
    assert out["same"] is x  # an arg returned unchanged keeps its own history
    assert out["idx"].tolist() == [4, 5] and not out["idx"].requires_grad
    (out["y"].sum() + out["pair"][0] * 2 + out["same"].sum()).backward()
    ref_x = 3 * _np(w1).sum(1) * 2 + 1
    np.testing.assert_allclose(_np(x.grad), np.broadcast_to(ref_x, (4, 6)), rtol=1e-5)
    np.testing.assert_allclose(_np(w1.grad), 6 * np.broadcast_to(_np(x).sum(0)[:, None], (6, 6)), rtol=1e-5)


def test_retain_graph_and_second_backward(device):
    x, w1, _, _ = _setup(device)
    out = checkpoint(lambda t: (t @ w1).tanh().sum(), x, use_reentrant=False)
    out.backward(retain_graph=True)
    g1 = _np(x.grad).copy()
    out.backward()
    np.testing.assert_allclose(_np(x.grad), 2 * g1, rtol=1e-6)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        out.backward()


def test_modified_input_is_detected(device):
    x = _leaf((3,), device, 0) * 1.0  # non-leaf, so it can be changed in place
    out = checkpoint(lambda t: t.exp().sum(), x, use_reentrant=False)
    with tt.no_grad():
        x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_double_backward(device):
    x = _leaf((5,), device, 0)
    y = checkpoint(lambda t: (t ** 3).sum(), x, use_reentrant=False)
    (g,) = tt.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(_np(g), 3 * _np(x) ** 2, rtol=1e-6)
    (gg,) = tt.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(_np(gg), 6 * _np(x), rtol=1e-6)


def test_no_grad_mode_runs_plainly():
    x = _leaf((3,), "cpu", 0)
    with tt.no_grad():
        out = checkpoint(lambda t: t * 2, x, use_reentrant=False)
    assert not out.requires_grad and out.grad_fn is None


def test_context_fn_wraps_forward_and_recompute():
    log = []

    @contextlib.contextmanager
    def tag(name):
        log.append(name)
        yield

    x = _leaf((3,), "cpu", 0)
    out = checkpoint(lambda t: t.sin().sum(), x, use_reentrant=False,
                     context_fn=lambda: (tag("forward"), tag("recompute")))
    assert log == ["forward"]
    out.backward()
    assert log == ["forward", "recompute"]


def test_determinism_check():
    calls = []

    def f(t):
        calls.append(1)
        return t[: len(calls)].exp()  # a different shape on recomputation
    x = _leaf((3,), "cpu", 0)
    out = checkpoint(f, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="Recomputed values for the following tensors have different metadata"):
        out.sum().backward()
    assert issubclass(CheckpointError, RuntimeError) and issubclass(TC.CheckpointError, RuntimeError)


def test_checkpoint_sequential(device):
    x, w1, w2, _ = _setup(device)
    w3 = _leaf((3, 6), device, 4)
    fns = [lambda t: t @ w1, lambda t: t.tanh(), lambda t: t @ w2, lambda t: t.sin(), lambda t: t @ w3]
    ref = tt.autograd.grad(checkpoint_sequential(fns, 1, x, use_reentrant=False).sum(), [x, w1, w2, w3])
    for segments in (2, 3, 5):
        out = checkpoint_sequential(fns, segments, x, use_reentrant=False)
        got = tt.autograd.grad(out.sum(), [x, w1, w2, w3])
        for a, b in zip(ref, got):
            np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6, atol=1e-6)


# ---- argument errors and warnings vs PyTorch ------------------------------------------------------
def _same_error(ours, theirs, exc=ValueError):
    with pytest.raises(exc) as a:
        ours()
    with pytest.raises(exc) as b:
        theirs()
    assert str(a.value) == str(b.value)


def test_use_reentrant_not_passed_warns():
    x, tx = _leaf((2,), "cpu", 0), torch.ones(2, requires_grad=True)
    msg = "the use_reentrant parameter should be passed explicitly"
    with pytest.warns(UserWarning, match=msg):
        checkpoint(lambda t: t * 2, x)
    with pytest.warns(UserWarning, match=msg):
        TC.checkpoint(lambda t: t * 2, tx)
    with pytest.warns(UserWarning, match=msg):
        checkpoint_sequential([lambda t: t * 2], 1, x)
    with pytest.warns(UserWarning, match=msg):
        TC.checkpoint_sequential([lambda t: t * 2], 1, tx)


def test_argument_errors_match_torch():
    x, tx = _leaf((2,), "cpu", 0), torch.ones(2, requires_grad=True)
    f = lambda t, scale=1: t * scale  # noqa: E731
    for reentrant in (True, None):
        with pytest.warns(UserWarning) if reentrant is None else contextlib.nullcontext():
            _same_error(lambda: checkpoint(f, x, use_reentrant=reentrant, scale=2, other=3),
                        lambda: TC.checkpoint(f, tx, use_reentrant=True, scale=2, other=3))
    _same_error(lambda: checkpoint(f, x, use_reentrant=True, context_fn=lambda: None),
                lambda: TC.checkpoint(f, tx, use_reentrant=True, context_fn=lambda: None))
    _same_error(lambda: checkpoint(f, x, use_reentrant=True, debug=True),
                lambda: TC.checkpoint(f, tx, use_reentrant=True, debug=True))
    _same_error(lambda: checkpoint(f, x, use_reentrant=False, determinism_check="shape"),
                lambda: TC.checkpoint(f, tx, use_reentrant=False, determinism_check="shape"))
    ctx = lambda: (contextlib.nullcontext(), contextlib.nullcontext())  # noqa: E731
    _same_error(lambda: checkpoint(f, x, use_reentrant=False, debug=True, context_fn=ctx),
                lambda: TC.checkpoint(f, tx, use_reentrant=False, debug=True, context_fn=ctx))
    _same_error(lambda: checkpoint_sequential([f], 1, x, use_reentrant=False, bogus=1),
                lambda: TC.checkpoint_sequential([f], 1, tx, use_reentrant=False, bogus=1))
