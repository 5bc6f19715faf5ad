"""Autograd: engine, backward/grad options, higher order, grad modes, hooks, custom
Functions, gradcheck itself; gradients compared with torch (CPU oracle)."""
import time

import numpy as np
import pytest
import torch

import tritorch as tt
from tritorch.autograd.gradcheck import GradcheckError

RNG = np.random.default_rng(0)


def _pair(shape, requires_grad=True):
    a = RNG.normal(size=shape)
    return (tt.tensor(a, dtype=tt.float64, requires_grad=requires_grad),
            torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad))


def _close(x, y):
    np.testing.assert_allclose(x.detach().numpy(), y.detach().numpy(), rtol=1e-10, atol=1e-12)


# ---- gradients of small compositions vs torch ---------------------------------------------------
COMPOSITIONS = [
    ("mul_add_broadcast", (2, 3), (3,), lambda a, b: (a * b + b).sum()),
    ("div_sub_broadcast", (4, 1), (1, 5), lambda a, b: ((a - b) / (b * b + 1)).mean()),
    ("exp_tanh_chain", (3, 3), (3,), lambda a, b: (a.exp() * b.tanh()).sum()),
    ("view_permute_mix", (2, 3, 4), (4,), lambda a, b: (a.permute(2, 0, 1).reshape(4, 6) * b.view(4, 1)).sum()),
    ("shared_input_twice", (3,), (3,), lambda a, b: (a * a * b + a).sum()),
    ("diamond", (3,), (1,), lambda a, b: ((a + b) * (a - b)).sum()),
    ("expand_sum", (3, 1), (1,), lambda a, b: (a.expand(3, 4) * b).pow(2).sum()),
    ("select_narrow", (4, 3), (3,), lambda a, b: (a.select(0, 1) * b + a.narrow(0, 2, 2).sum(0)).sum()),
]


@pytest.mark.parametrize("name,sa,sb,fn", COMPOSITIONS, ids=[c[0] for c in COMPOSITIONS])
def test_gradients_match_torch(name, sa, sb, fn):
    a, ta = _pair(sa)
    b, tb = _pair(sb)
    fn(a, b).backward()
    fn(ta, tb).backward()
    _close(a.grad, ta.grad)
    _close(b.grad, tb.grad)


def test_broadcast_undone_by_summing_in_grad():
    a = tt.ones(3, 1, requires_grad=True)
    b = tt.ones(4, requires_grad=True)
    (a * b).sum().backward()
    assert tuple(a.grad.shape) == (3, 1) and np.all(a.grad.numpy() == 4)
    assert tuple(b.grad.shape) == (4,) and np.all(b.grad.numpy() == 3)


# ---- engine -------------------------------------------------------------------------------------
def test_long_chain_backprops_iteratively_and_fast():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = x
    t0 = time.perf_counter()
    for _ in range(10000):
        y = y * 1.0001
    y.sum().backward()
    assert time.perf_counter() - t0 < 10
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 10000] * 2, rtol=1e-3)  # float32 steps


def test_gradient_accumulates_across_backward_calls():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_leaf_grads_from_same_tensor_do_not_alias():
    a = tt.zeros(3, requires_grad=True)
    b = tt.zeros(3, requires_grad=True)
    (a + b).sum().backward()  # AddBackward passes one gradient tensor to both leaves
    assert a.grad is not b.grad
    a.grad.add_(1)
    np.testing.assert_array_equal(b.grad.numpy(), [1, 1, 1])


def test_backward_with_gradient_argument_and_retain_graph():
    x, tx = _pair((3,))
    g = RNG.normal(size=3)
    y, ty = x * x, tx * tx
    y.backward(tt.tensor(g), retain_graph=True)
    y.backward(tt.tensor(g))
    ty.backward(torch.tensor(g), retain_graph=True)
    ty.backward(torch.tensor(g))
    _close(x.grad, tx.grad)


def test_backward_inputs_restricts_accumulation():
    a = tt.tensor([1.0], requires_grad=True)
    b = tt.tensor([2.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


def test_autograd_grad_returns_without_touching_dot_grad():
    x, tx = _pair((3,))
    y, ty = (x.sin() * x).sum(), (tx.sin() * tx).sum()
    g, = tt.autograd.grad(y, x)
    tg, = torch.autograd.grad(ty, tx)
    _close(g, tg)
    assert x.grad is None


def test_autograd_grad_of_non_leaf_and_grad_outputs():
    x, tx = _pair((3,))
    h, th = x * 2, tx * 2
    y, ty = h.exp(), th.exp()
    go = RNG.normal(size=3)
    gh, = tt.autograd.grad(y, h, grad_outputs=tt.tensor(go))
    tgh, = torch.autograd.grad(ty, th, grad_outputs=torch.tensor(go))
    _close(gh, tgh)


def test_autograd_grad_allow_unused():
    x = tt.ones(2, requires_grad=True)
    z = tt.ones(2, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        tt.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = tt.autograd.grad(y, [x, z], allow_unused=True, retain_graph=True)
    assert gz is None and np.all(gx.numpy() == 2)
    gx, gz = tt.autograd.grad(y, [x, z], materialize_grads=True)
    assert np.all(gz.numpy() == 0)


def test_second_derivative_via_create_graph_matches_torch():
    x, tx = _pair((4,))
    for t, mod in ((x, tt), (tx, torch)):
        y = (t ** 3 * t.sin()).sum()
        g, = mod.autograd.grad(y, t, create_graph=True)
        g.sum().backward()
    _close(x.grad, tx.grad)


def test_third_derivative():
    x = tt.tensor(1.5, dtype=tt.float64, requires_grad=True)
    y = x ** 4
    g1, = tt.autograd.grad(y, x, create_graph=True)
    g2, = tt.autograd.grad(g1, x, create_graph=True)
    g3, = tt.autograd.grad(g2, x)
    assert g3.item() == pytest.approx(24 * 1.5)


@pytest.mark.parametrize("fn", [
    lambda x: x * x, lambda x: x.exp() * x.sin(), lambda x: (x / (x * x + 1)).sum(),
    lambda x: x.reshape(2, 3).t() * x.view(3, 2), lambda x: x.tanh().sum(0).expand(3, 3),
])
def test_gradgradcheck_on_ops(fn):
    x = tt.tensor(RNG.normal(size=6), dtype=tt.float64, requires_grad=True)
    assert tt.autograd.gradcheck(fn, (x,))
    assert tt.autograd.gradgradcheck(fn, (x,))


def test_backward_create_graph_grad_has_history():
    x = tt.tensor([2.0], dtype=tt.float64, requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    g2, = tt.autograd.grad(x.grad.sum(), x)
    assert g2.item() == pytest.approx(12.0)


# ---- grad modes --------------------------------------------------------------------------------
def test_no_grad_enable_grad_nesting():
    x = tt.ones(2, requires_grad=True)
    with tt.no_grad():
        y = x * 2
        with tt.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad
    assert tt.is_grad_enabled()


def test_grad_modes_as_decorators():
    x = tt.ones(2, requires_grad=True)

    @tt.no_grad()
    def f1(t):
        return t * 2

    @tt.no_grad
    def f2(t):
        return t * 2

    @tt.set_grad_enabled(False)
    def f3(t):
        return t * 2

    @tt.inference_mode()
    def f4(t):
        return t * 2

    @tt.enable_grad()
    def f5(t):
        return t * 2

    assert tt.is_grad_enabled()  # defining the decorators switched nothing
    for f in (f1, f2, f3, f4):
        assert not f(x).requires_grad
    with tt.no_grad():
        assert f5(x).requires_grad
    assert tt.is_grad_enabled()


def test_set_grad_enabled_function_and_context_forms():
    x = tt.ones(2, requires_grad=True)
    tt.set_grad_enabled(False)
    try:
        assert not tt.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        tt.set_grad_enabled(True)
    with tt.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert tt.is_grad_enabled()
    with tt.set_grad_enabled(True):
        assert (x * 2).requires_grad


def test_inference_mode():
    x = tt.ones(2, requires_grad=True)
    with tt.inference_mode():
        assert tt.is_inference_mode_enabled() and not (x * 2).requires_grad
    assert not tt.is_inference_mode_enabled()
    with tt.inference_mode(False):
        assert (x * 2).requires_grad


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with tt.no_grad():
            raise ValueError("boom")
    assert tt.is_grad_enabled()


# ---- hooks and retain_grad ---------------------------------------------------------------------
def test_leaf_hook_modifies_grad_and_can_be_removed():
    x = tt.ones(3, requires_grad=True)
    seen = []
    h = x.register_hook(lambda g: (seen.append(g.numpy().copy()), g * 10)[1])
    (x * 2).sum().backward()
    np.testing.assert_array_equal(seen[0], [2, 2, 2])
    np.testing.assert_array_equal(x.grad.numpy(), [20, 20, 20])
    h.remove()
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 2])
    assert len(seen) == 1


def test_non_leaf_hook_modifies_upstream_gradient():
    x = tt.ones(3, requires_grad=True)
    y = x * 3
    h = y.register_hook(lambda g: g + 1)
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [9, 9, 9])  # (2 + 1) * 3
    h.remove()


def test_retain_grad_on_non_leaf_sees_hooked_gradient():
    x, tx = _pair((3,))
    outs = []
    for t in (x, tx):
        y = t * 2
        y.retain_grad()
        y.register_hook(lambda g: g * 3)
        (y * y).sum().backward()
        outs.append(y.grad)
    _close(outs[0], outs[1])
    assert y.retains_grad


def test_hook_applies_to_autograd_grad_of_leaf():
    x, tx = _pair((2,))
    x.register_hook(lambda g: g * 2)
    tx.register_hook(lambda g: g * 2)
    g, = tt.autograd.grad((x * x).sum(), x)
    tg, = torch.autograd.grad((tx * tx).sum(), tx)
    _close(g, tg)


def test_register_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tt.ones(2).register_hook(lambda g: g)


# ---- custom Function ----------------------------------------------------------------------------
class Cube(tt.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x ** 3 * k

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False)
        return g * 3 * x * x * ctx.k, None


class WrongCube(tt.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 2 * x * x  # deliberately wrong: should be 3 x^2


def test_custom_function_forward_backward_and_name():
    x = tt.tensor([1.0, 2.0], dtype=tt.float64, requires_grad=True)
    y = Cube.apply(x, 2.0)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 24.0])
    assert tt.autograd.gradcheck(lambda t: Cube.apply(t, 2.0), (x.detach().requires_grad_(),))
    assert tt.autograd.gradgradcheck(lambda t: Cube.apply(t, 2.0), (x.detach().requires_grad_(),))


def test_gradcheck_detects_wrong_backward():
    x = tt.tensor([0.5, -1.5, 2.0], dtype=tt.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        tt.autograd.gradcheck(WrongCube.apply, (x,))
    assert tt.autograd.gradcheck(WrongCube.apply, (x,), raise_exception=False) is False


def test_gradgradcheck_detects_wrong_double_backward():
    class WrongSquare(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 2 * x.detach()  # first derivative right, second wrong (not differentiable in x)

    x = tt.tensor([0.5, 1.5], dtype=tt.float64, requires_grad=True)
    assert tt.autograd.gradcheck(WrongSquare.apply, (x,))
    assert not tt.autograd.gradgradcheck(WrongSquare.apply, (x,), raise_exception=False)


def test_gradcheck_requires_float64():
    with pytest.raises(GradcheckError, match="float64"):
        tt.autograd.gradcheck(lambda t: t * 2, (tt.ones(2, requires_grad=True),))


def test_mark_non_differentiable_and_multiple_outputs():
    class SortLike(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = tt.arange(x.numel())
            ctx.mark_non_differentiable(idx)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            assert g_idx is None or float(g_idx.abs().sum().item()) == 0
            return g * 2

    x = tt.ones(3, requires_grad=True)
    y, idx = SortLike.apply(x)
    assert y.requires_grad and not idx.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 2])


def test_set_materialize_grads_false_passes_none():
    class Two(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            assert g2 is None
            return g1

    x = tt.ones(2, requires_grad=True)
    a, _ = Two.apply(x)
    a.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1])


def test_materialized_grads_are_zeros_by_default():
    class Two(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            assert g2 is not None and float(g2.abs().sum().item()) == 0
            return g1 + g2

    x = tt.ones(2, requires_grad=True)
    Two.apply(x)[0].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1])


def test_custom_function_saved_tensor_version_check():
    x = tt.ones(2, requires_grad=True)
    h = x * 1
    y = Cube.apply(h, 1.0)
    h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_custom_function_wrong_number_of_grads():
    class Bad(tt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = tt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(x).sum().backward()


# ---- tensor-level autograd API ------------------------------------------------------------------
def test_is_leaf_grad_fn_and_requires_grad_flags():
    x = tt.ones(2, requires_grad=True)
    y = x + 1
    assert x.is_leaf and not y.is_leaf
    assert y.grad_fn.name() == "AddBackward0" and y.grad_fn.next_functions[0][0].variable is x
    assert tt.ones(2).is_leaf
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d._version == y._version
    y.detach_()
    assert y.is_leaf and not y.requires_grad


def test_data_shares_memory_but_not_history():
    x = tt.ones(2, requires_grad=True)
    d = x.data
    assert not d.requires_grad
    d.mul_(3)  # allowed: .data is outside autograd
    np.testing.assert_array_equal(x.detach().numpy(), [3, 3])
    x.data = tt.zeros(2)
    np.testing.assert_array_equal(x.detach().numpy(), [0, 0])
    assert x.requires_grad


def test_variable_is_tensor():
    v = tt.autograd.Variable(tt.ones(2), requires_grad=True)
    assert isinstance(v, tt.Tensor) and v.requires_grad


def test_version_counter_bumps_on_inplace():
    x = tt.zeros(3)
    v = x._version
    x.add_(1)
    x[0:1].mul_(2) if hasattr(tt.Tensor, "__getitem__") else x.narrow(0, 0, 1).mul_(2)
    assert x._version == v + 2


# ---- grad/backward w.r.t. non-leaf inputs: only the graph up to the inputs runs ----------------
def _counted(mod):
    """A custom Function (in tritorch or torch) doubling its input; ``calls[0]`` counts backwards."""
    calls = [0]

    class Double(mod.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            calls[0] += 1
            return g * 2
    return Double, calls


@pytest.mark.parametrize("op", ["mul", "exp"])
def test_grad_wrt_non_leaf_leaves_the_graph_beyond_it(op):
    res = []
    for t, mod in zip(_pair((3,)), (tt, torch)):
        y = t * 2 if op == "mul" else t.exp()
        g, = mod.autograd.grad((y * 3).sum(), y)
        (y * 4).sum().backward()  # y's grad_fn was neither run nor freed by grad()
        res.append((g, t.grad))
    _close(res[0][0], res[1][0])
    _close(res[0][1], res[1][1])


def test_grad_wrt_mix_of_leaf_and_non_leaf_inputs():
    res = []
    for t, mod in zip(_pair((3,)), (tt, torch)):
        h = t.exp()
        out = (h * t).sin().sum()
        res.append(mod.autograd.grad(out, [h, t]))
    for a, b in zip(*res):
        _close(a, b)


def test_backward_inputs_non_leaf_then_backward_through_the_rest():
    res = []
    for t in _pair((3,)):
        y = t * t
        (y * 3).sum().backward(inputs=[y], retain_graph=True)
        assert t.grad is None
        gy = y.grad.clone()
        (y * 4).sum().backward()
        res.append((gy, t.grad))
    _close(res[0][0], res[1][0])
    _close(res[0][1], res[1][1])


def test_backward_inputs_engine_semantics_match_torch():
    """``backward(inputs=[y])`` in PyTorch runs a non-leaf y's own grad_fn (and retains y's grad)
    but nothing beyond it; the engine does the same when asked to accumulate into inputs."""
    from tritorch.autograd.engine import run_backward
    def backward_inputs(mod, z, y):
        if mod is tt:
            run_backward((z,), [tt.ones(())], False, False, inputs=(y,))
        else:
            z.backward(inputs=[y])

    outs = []
    for t, mod in zip(_pair((3,)), (tt, torch)):
        Double, calls = _counted(mod)
        y = Double.apply(t)
        backward_inputs(mod, (y * 3).sum(), y)
        assert calls[0] == 1 and t.grad is None and y.retains_grad
        y = Double.apply(t).exp()
        backward_inputs(mod, (y * 3).sum(), y)
        assert calls[0] == 1 and t.grad is None  # ExpBackward0 ran (and was freed), Double did not
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            (y * 4).sum().backward()
        outs.append(y.grad)
    _close(outs[0], outs[1])


def test_grad_wrt_non_leaf_and_retain_graph():
    res = []
    for t, mod in zip(_pair((3,)), (tt, torch)):
        y = t.exp()
        z = (y * y).sum()
        g1, = mod.autograd.grad(z, y, retain_graph=True)
        g2, = mod.autograd.grad(z, y, retain_graph=True)
        _close(g1, g2)
        z.backward()  # the retained graph, and y's never-run grad_fn, still backprop to t
        res.append((g1, t.grad))
        z = (y * y).sum()
        mod.autograd.grad(z, y)
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            z.backward()  # the part grad() ran was freed
    _close(res[0][0], res[1][0])
    _close(res[0][1], res[1][1])


def test_create_graph_double_grad_through_non_leaf_input():
    res = []
    for t, mod in zip(_pair((4,)), (tt, torch)):
        h = t.sin()
        z = (h ** 3).sum()
        gh, = mod.autograd.grad(z, h, create_graph=True)  # 3 h^2, with h's history
        gx, = mod.autograd.grad((gh * gh).sum(), t)
        res.append((gh, gx))
    _close(res[0][0], res[1][0])
    _close(res[0][1], res[1][1])


def test_nodes_not_leading_to_inputs_are_not_executed():
    for t, mod in zip(_pair((3,)), (tt, torch)):
        Double, calls = _counted(mod)
        y = Double.apply(t)
        w = y * 3
        mod.autograd.grad(w.sum(), y, retain_graph=True)
        assert calls[0] == 0  # y's grad_fn lies beyond the input
        mod.autograd.grad(w.sum(), w, retain_graph=True)
        assert calls[0] == 0
        s = t.detach().requires_grad_()
        mod.autograd.grad((Double.apply(t) + s).sum(), s)
        assert calls[0] == 0  # a branch that does not reach the input
        mod.autograd.grad(w.sum(), [y, t])
        assert calls[0] == 1  # needed on the way to t


def test_tensor_hook_and_retain_grad_apply_to_captured_non_leaf():
    res = []
    for t, mod in zip(_pair((3,)), (tt, torch)):
        y = t * 2
        y.retain_grad()
        y.register_hook(lambda g: g * 10)
        g, = mod.autograd.grad((y * 3).sum(), y)
        res.append((g, y.grad))
    _close(res[0][0], res[1][0])
    _close(res[0][1], res[1][1])


# ---- saved outputs: no tensor -> grad_fn -> saved tensor reference cycle -------------------------
def test_graph_freed_without_cycle_collector(device):
    import gc
    import weakref
    base = tt.cuda.memory_allocated() if device == "cuda" else None
    x = tt.ones(64, requires_grad=True, device=device)
    gc.disable()
    try:
        a = x.tanh()
        b = a.exp()
        y = b.sigmoid()
        refs = [weakref.ref(o) for o in (a, b, y, a.grad_fn, b.grad_fn, y.grad_fn)]
        del a, b, y
        assert all(r() is None for r in refs)  # freed by refcounting alone, as in PyTorch
        if base is not None:
            assert tt.cuda.memory_allocated() == base + 64 * 4  # only x is left
    finally:
        gc.enable()


def test_saved_output_version_check_and_double_backward():
    x = tt.ones(3, requires_grad=True)
    y = x.tanh()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    res = []
    for t, mod in zip(_pair((3,)), (tt, torch)):
        y = t.sigmoid().exp()
        g, = mod.autograd.grad(y.sum(), t, create_graph=True)
        assert g.grad_fn is not None
        gg, = mod.autograd.grad(g.sum(), t)
        res.append((g, gg))
    _close(res[0][0], res[1][0])
    _close(res[0][1], res[1][1])
