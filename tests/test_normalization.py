"""layer_norm / rms_norm against torch CPU on both devices: outputs, input/weight/bias gradients,
odd sizes, strided inputs, the long-row (looped) kernel path, eps (explicit and the default, on
inputs small enough for it to matter), errors, double backward."""
import numpy as np
import pytest
import torch

import tritorch as tt
import tritorch.nn.functional as F
import tritorch.kernels.normalization as KN  # the module the registry runs (not a top-level copy)

TT2TORCH = {tt.float16: torch.float16, tt.bfloat16: torch.bfloat16, tt.float32: torch.float32,
            tt.float64: torch.float64}
TOL = {tt.float16: 2e-2, tt.bfloat16: 5e-2, tt.float32: 1e-4, tt.float64: 1e-10}


def _run(lib, x, ns, w, b, g, dtype, device, rms, eps, transpose):
    if lib is torch:
        mk = lambda a: torch.tensor(a, dtype=TT2TORCH[dtype])  # noqa: E731
        f = torch.nn.functional
    else:
        mk = lambda a: tt.tensor(a, dtype=dtype, device=device)  # noqa: E731
        f = F
    xt = mk(x)
    if transpose:
        xt = xt.transpose(-1, -2)
    xt.requires_grad_(True)
    wt = mk(w).requires_grad_(True) if w is not None else None
    bt = mk(b).requires_grad_(True) if b is not None else None
    # eps None: not passed at all, so each library's own default is what is compared.
    kw = {} if eps is None else {"eps": eps}
    if rms:
        y = f.rms_norm(xt, ns, wt, **kw)
    else:
        y = f.layer_norm(xt, ns, wt, bt, **kw)
    ins = [t for t in (xt, wt, bt) if t is not None]
    gs = (torch if lib is torch else tt).autograd.grad(y, ins, mk(g))
    return [np.asarray((v.detach().float() if lib is torch else v.detach().cpu().float()).numpy())
            for v in (y,) + tuple(gs)]


CASES = [  # (shape, normalized_shape, weight, bias, eps, transpose)
    ((3, 5), (5,), True, True, None, False),
    ((2, 3, 7), (3, 7), True, False, 1e-3, False),
    ((5, 13), (13,), False, True, None, False),
    ((4, 6, 3), (6,), False, False, 0.5, True),      # rows of a transposed (strided) input
    ((2, 3, 4), (4, 3), True, True, None, True),      # normalized dims not collapsible: temp copy
    ((1, 33), [33], True, True, None, False),
]


@pytest.mark.parametrize("rms", [False, True], ids=["layer_norm", "rms_norm"])
@pytest.mark.parametrize("dtype", [tt.float32, tt.float64, tt.float16, tt.bfloat16], ids=lambda d: d.name)
@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c[0])))
def test_matches_torch(case, dtype, rms, device):
    shape, ns, hw, hb, eps, tr = case
    rng = np.random.default_rng(7)
    x = rng.uniform(-3, 3, shape)
    if tr:
        shape = shape[:-2] + (shape[-1], shape[-2])
    ns_t = tuple(ns)
    w = rng.uniform(-2, 2, ns_t) if hw else None
    b = rng.uniform(-2, 2, ns_t) if hb and not rms else None
    g = rng.standard_normal(shape)
    ours = _run(tt, x, ns, w, b, g, dtype, device, rms, eps, tr)
    ref = _run(torch, x, ns, w, b, g, dtype, device, rms, eps, tr)
    for o, r in zip(ours, ref):
        np.testing.assert_allclose(o, r, rtol=TOL[dtype], atol=TOL[dtype] * max(1.0, np.abs(r).max()))


@pytest.mark.parametrize("rms", [False, True], ids=["layer_norm", "rms_norm"])
def test_long_row_path(rms, device, monkeypatch):
    """Rows longer than MAX_FUSED_N take the looped kernels (forced small here: 37 columns in
    chunks of 8).  The threshold is patched on the module the registry runs, and the launches are
    recorded to prove that the forward and backward kernels really ran their looped variant."""
    monkeypatch.setattr(KN, "MAX_FUSED_N", 8)
    launches = []
    real_launch = KN.launch

    def spy(kernel, grid, *args, **kw):
        launches.append((kernel, kw.get("ONE_PASS")))
        return real_launch(kernel, grid, *args, **kw)
    monkeypatch.setattr(KN, "launch", spy)
    rng = np.random.default_rng(3)
    x, w, b, g = rng.standard_normal((5, 37)) + 4.0, rng.standard_normal(37), rng.standard_normal(37), \
        rng.standard_normal((5, 37))
    ours = _run(tt, x, (37,), w, None if rms else b, g, tt.float32, device, rms, None, False)
    ref = _run(torch, x, (37,), w, None if rms else b, g, tt.float32, device, rms, None, False)
    for o, r in zip(ours, ref):
        np.testing.assert_allclose(o, r, rtol=1e-4, atol=1e-4)
    if device == "cuda":
        import tritorch._registry as R
        name = "rms_norm" if rms else "layer_norm"
        assert R.OPS[name].impls["cuda"] is getattr(KN, name)
        assert R.OPS[name + "_backward"].impls["cuda"] is getattr(KN, name + "_backward")
        assert (KN._fwd, False) in launches and (KN._bwd, False) in launches, launches
        assert not [k for k, one_pass in launches if k in (KN._fwd, KN._bwd) and one_pass], launches
    else:
        assert not launches


@pytest.mark.parametrize("rms", [False, True], ids=["layer_norm", "rms_norm"])
@pytest.mark.parametrize("dtype", [tt.float32, tt.float64, tt.float16, tt.bfloat16], ids=lambda d: d.name)
def test_default_eps_matches_torch(dtype, rms, device):
    """No eps passed: layer_norm's 1e-5 and rms_norm's dtype-dependent default, on inputs whose
    mean square is of the order of that default, so a wrong (or missing) default changes the output."""
    tdt = TT2TORCH[dtype]
    default = (torch.finfo(torch.float32 if dtype in (tt.float16, tt.bfloat16) else tdt).eps if rms else 1e-5)
    rng = np.random.default_rng(17)
    scale = np.sqrt(default) * 1.5  # mean(x^2) (or the variance) = 0.75 * default
    x = rng.uniform(-scale, scale, (3, 2, 8))
    w = rng.uniform(0.5, 1.5, (8,))
    b = rng.uniform(-1, 1, (8,))
    g = rng.standard_normal((3, 2, 8))
    ours = _run(tt, x, (8,), w, None if rms else b, g, dtype, device, rms, None, False)
    ref = _run(torch, x, (8,), w, None if rms else b, g, dtype, device, rms, None, False)
    # The inputs make eps matter: torch with eps=0 gives clearly different outputs.
    no_eps = _run(torch, x, (8,), w, None if rms else b, g, dtype, device, rms, 0.0, False)
    assert np.abs(no_eps[0] - ref[0]).max() > 0.1 * np.abs(ref[0]).max()
    explicit = _run(torch, x, (8,), w, None if rms else b, g, dtype, device, rms, default, False)
    np.testing.assert_allclose(explicit[0], ref[0], rtol=TOL[dtype], atol=TOL[dtype])
    for o, r in zip(ours, ref):
        np.testing.assert_allclose(o, r, rtol=TOL[dtype], atol=TOL[dtype] * max(1.0, np.abs(r).max()))


def test_large_mean_is_stable(device):
    x = tt.tensor(np.array([[1e4 + 1, 1e4 + 2, 1e4 + 3]]), dtype=tt.float32, device=device)
    y = F.layer_norm(x, (3,))
    np.testing.assert_allclose(y.cpu().numpy(), [[-1.2247, 0.0, 1.2247]], atol=1e-3)


def test_saved_stats(device):
    x = tt.tensor(np.random.default_rng(1).standard_normal((2, 3, 8)), dtype=tt.float16, device=device)
    y, mean, rstd = tt._ops.normalization._LN.run((x, (8,), None, None, 1e-5), {})
    assert mean.dtype is tt.float32 and rstd.dtype is tt.float32 and tuple(mean.shape) == (2, 3)
    xf = x.cpu().float().numpy()
    np.testing.assert_allclose(mean.cpu().numpy(), xf.mean(-1), atol=1e-5)
    np.testing.assert_allclose(rstd.cpu().numpy(), 1 / np.sqrt(xf.var(-1) + 1e-5), rtol=1e-4)


def test_exports():
    assert tt.layer_norm is F.layer_norm and tt.rms_norm is F.rms_norm
    x = tt.ones(2, 3, requires_grad=True)
    assert F.layer_norm(x, (3,)).grad_fn.name() == "NativeLayerNormBackward0"
    assert F.rms_norm(x, (3,)).grad_fn.name() == "RmsNormBackward0"


def test_errors(device):
    x = tt.zeros(2, 3, device=device)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], "
                                           r"but got input of size\[2, 3\]"):
        F.layer_norm(x, (4,))
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[2, 2\]"):
        F.rms_norm(x, [2, 2])
    with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape as normalized_shape, but got "
                                           r"weight of shape \[2\] and normalized_shape = \[3\]"):
        F.layer_norm(x, (3,), tt.ones(2, device=device))
    with pytest.raises(RuntimeError, match=r"Expected bias to be of same shape"):
        F.layer_norm(x, (3,), None, tt.ones(4, device=device))
    with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape"):
        F.rms_norm(x, (3,), tt.ones(3, 1, device=device))
    with pytest.raises(TypeError, match="normalized_shape"):
        F.layer_norm(x, "3")
    with pytest.raises(RuntimeError, match="floating point"):
        F.layer_norm(tt.zeros(2, 3, dtype=tt.int64, device=device), (3,))


@pytest.mark.parametrize("rms", [False, True], ids=["layer_norm", "rms_norm"])
def test_gradgradcheck(rms):
    rng = np.random.default_rng(5)
    x = tt.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    w = tt.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    b = tt.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    if rms:
        assert tt.autograd.gradgradcheck(lambda x, w: F.rms_norm(x, (2, 4), w, eps=1e-3), (x, w))
    else:
        assert tt.autograd.gradgradcheck(lambda x, w, b: F.layer_norm(x, (2, 4), w, b), (x, w, b))
        assert tt.autograd.gradgradcheck(lambda x: F.layer_norm(x, (4,)), (x,))


def test_double_backward_cuda_matches_cpu(device):
    rng = np.random.default_rng(9)
    xs, ws = rng.standard_normal((3, 5)), rng.standard_normal(5)
    res = []
    for dev in ("cpu", device):
        x = tt.tensor(xs, device=dev, requires_grad=True)
        w = tt.tensor(ws, device=dev, requires_grad=True)
        gx, = tt.autograd.grad(F.layer_norm(x, (5,), w).pow(2).sum(), [x], create_graph=True)
        res.append([t.detach().cpu().numpy() for t in tt.autograd.grad(gx.sum(), [x, w])])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
