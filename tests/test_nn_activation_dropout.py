"""Activation, dropout and embedding layers (tritorch.nn) against torch.nn on both devices: outputs and
gradients (float64), inplace variants, repr, constructor errors; dropout statistics and scaling in
training and the identity in eval; Embedding / EmbeddingBag lookups, padding_idx, max_norm,
from_pretrained and default init."""
import warnings

import numpy as np
import pytest
import torch

import tritorch as tt

TOL = 1e-9


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return t.detach().cpu().numpy()


def _copy_state(tm, m):
    m.load_state_dict({k: tt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _rand(shape, seed=0, lo=-3, hi=3):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


# ---- activations ------------------------------------------------------------------------------------------------

ACTS = [  # (class name, args, kwargs)
    ("ReLU", (), {}), ("ReLU6", (), {}), ("LeakyReLU", (), {}), ("LeakyReLU", (0.2,), {}),
    ("PReLU", (), {}), ("PReLU", (4,), dict(init=0.1)), ("RReLU", (), {}), ("RReLU", (0.1, 0.3), {}),
    ("ELU", (), {}), ("ELU", (0.5,), {}), ("SELU", (), {}), ("CELU", (), {}), ("CELU", (2.0,), {}),
    ("GELU", (), {}), ("GELU", ("tanh",), {}), ("SiLU", (), {}), ("Mish", (), {}), ("Softplus", (), {}),
    ("Softplus", (2.0, 1.0), {}), ("Softsign", (), {}), ("Hardtanh", (), {}), ("Hardtanh", (-2.0, 0.5), {}),
    ("Hardsigmoid", (), {}), ("Hardswish", (), {}), ("Tanh", (), {}), ("Sigmoid", (), {}),
    ("LogSigmoid", (), {}), ("Tanhshrink", (), {}), ("Softshrink", (), {}), ("Softshrink", (1.0,), {}),
    ("Hardshrink", (), {}), ("Hardshrink", (1.5,), {}), ("Threshold", (0.5, -1.0), {}), ("GLU", (), {}),
    ("GLU", (1,), {}), ("Softmax", (1,), {}), ("Softmax", (-1,), {}), ("LogSoftmax", (1,), {}),
    ("Softmin", (0,), {}), ("Softmax2d", (), {}),
]
INPLACE = [("ReLU", ()), ("ReLU6", ()), ("LeakyReLU", (0.2,)), ("RReLU", ()), ("ELU", (0.5,)), ("SELU", ()),
           ("CELU", (2.0,)), ("SiLU", ()), ("Mish", ()), ("Hardtanh", (-2.0, 0.5)), ("Hardsigmoid", ()),
           ("Hardswish", ()), ("Threshold", (0.5, -1.0))]


def _act_id(c):
    return c[0] + "".join(f"-{a}" for a in c[1]) + "".join(f"-{k}{v}" for k, v in c[2].items())


def _make(name, args, kwargs, device=None):
    tm = getattr(torch.nn, name)(*args, **kwargs).double()
    if name == "PReLU":
        m = tt.nn.PReLU(*args, **kwargs, device=device, dtype=tt.float64)
        with torch.no_grad():
            tm.weight.copy_(torch.linspace(-0.5, 0.5, tm.weight.numel(), dtype=torch.float64))
        _copy_state(tm, m)
    else:
        m = getattr(tt.nn, name)(*args, **kwargs)
    tm.eval()   # RReLU: the deterministic slope
    m.eval()
    return tm, m


@pytest.mark.parametrize("case", ACTS, ids=_act_id)
def test_activation_matches_torch(case, device):
    name, args, kwargs = case
    tm, m = _make(name, args, kwargs, device)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    x = _rand((2, 4, 1, 2))
    xt = torch.tensor(x, requires_grad=True)
    yt = tm(xt)
    g = _rand(tuple(yt.shape), 1)
    yt.backward(torch.tensor(g))
    xx = tt.tensor(x, device=device, requires_grad=True)
    y = m(xx)
    y.backward(tt.tensor(g, device=device))
    np.testing.assert_allclose(_np(y), _np(yt), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(_np(xx.grad), _np(xt.grad), rtol=1e-8, atol=1e-8)
    if name == "PReLU":
        np.testing.assert_allclose(_np(m.weight.grad), _np(tm.weight.grad), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("name,args", INPLACE, ids=lambda c: c if isinstance(c, str) else "")
def test_activation_inplace(name, args, device):
    tm = getattr(torch.nn, name)(*args, inplace=True).eval()
    m = getattr(tt.nn, name)(*args, inplace=True).eval()
    assert repr(m) == repr(tm)   # Hardsigmoid / Hardswish print no arguments, as in PyTorch
    x = _rand((3, 4))
    xt = torch.tensor(x, requires_grad=True)
    at = xt * 1.0
    yt = tm(at)
    yt.sum().backward()
    xx = tt.tensor(x, device=device, requires_grad=True)
    a = xx * 1.0
    y = m(a)
    assert y is a    # the same tensor, modified in place
    y.sum().backward()
    np.testing.assert_allclose(_np(a), _np(at), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(_np(xx.grad), _np(xt.grad), rtol=1e-8, atol=1e-8)
    # Not inplace: the input is left alone.
    b = tt.tensor(x, device=device)
    getattr(tt.nn, name)(*args).eval()(b)
    np.testing.assert_array_equal(_np(b), x)


def test_rrelu_training_slopes(device):
    m = tt.nn.RReLU(0.1, 0.3)
    x = -tt.ones(2000, dtype=tt.float64, device=device)
    y = _np(m(x))
    assert np.all(y <= -0.1) and np.all(y >= -0.3)
    assert len(np.unique(y)) > 100 and abs(y.mean() + 0.2) < 0.01


def test_prelu_default_init_and_keys():
    m, tm = tt.nn.PReLU(), torch.nn.PReLU()
    np.testing.assert_array_equal(_np(m.weight), [0.25])
    np.testing.assert_array_equal(_np(tt.nn.PReLU(4, init=-0.5).weight), [-0.5] * 4)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["weight"]
    assert m.weight.requires_grad and m.weight.dtype == tt.float32


def test_activation_constructor_errors_and_deprecations():
    with pytest.raises(AssertionError) as e_torch:
        torch.nn.Hardtanh(1.0, 1.0)
    with pytest.raises(AssertionError) as e:
        tt.nn.Hardtanh(1.0, 1.0)
    assert str(e.value) == str(e_torch.value) == "max_val (1.0) must be greater than min_val (1.0)"
    with pytest.warns(FutureWarning) as rec:
        m = tt.nn.Hardtanh(min_value=-3.0, max_value=2.0)
    assert [str(w.message) for w in rec] == [
        "keyword argument `min_value` is deprecated and renamed to `min_val`",
        "keyword argument `max_value` is deprecated and renamed to `max_val`"]
    assert (m.min_val, m.max_val) == (-3.0, 2.0)
    with pytest.raises(ValueError) as e_torch:
        torch.nn.Softmax2d()(torch.zeros(2, 2))
    with pytest.raises(ValueError) as e:
        tt.nn.Softmax2d()(tt.zeros(2, 2))
    assert str(e.value) == str(e_torch.value) == "Softmax2d: expected input to be 3D or 4D, got 2D instead"


def test_softmax_default_dim_and_reprs():
    x = _rand((3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("Softmax", "LogSoftmax", "Softmin"):
            tm, m = getattr(torch.nn, name)(), getattr(tt.nn, name)()
            assert repr(m) == repr(tm) == f"{name}(dim=None)"
            np.testing.assert_allclose(_np(m(tt.tensor(x))), _np(tm(torch.tensor(x))), rtol=TOL, atol=TOL)
    for name in ("Sigmoid", "Tanh", "Softsign", "LogSigmoid", "Tanhshrink", "Softmax2d", "SELU", "Hardswish"):
        assert repr(getattr(tt.nn, name)()) == repr(getattr(torch.nn, name)())


# ---- dropout ------------------------------------------------------------------------------------------------------

DROPOUTS = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


@pytest.mark.parametrize("name", DROPOUTS)
def test_dropout_repr_and_p_check(name):
    for args in [(), (0.2,), (0.3, True)]:
        assert repr(getattr(tt.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError) as e_torch:
            getattr(torch.nn, name)(p)
        with pytest.raises(ValueError) as e:
            getattr(tt.nn, name)(p)
        assert str(e.value) == str(e_torch.value) == f"dropout probability has to be between 0 and 1, but got {p}"


@pytest.mark.parametrize("name,shape", [("Dropout", (40, 50)), ("Dropout1d", (8, 50, 5)),
                                        ("Dropout2d", (8, 50, 2, 3)), ("Dropout3d", (4, 100, 2, 1, 2))])
def test_dropout_train_statistics_and_eval_identity(name, shape, device):
    p = 0.3
    m = getattr(tt.nn, name)(p)
    x = tt.tensor(_rand(shape, lo=1, hi=2), device=device, requires_grad=True)
    y = m(x)
    y.sum().backward()
    yn, xn = _np(y), _np(x)
    kept = yn != 0
    np.testing.assert_allclose(yn[kept], xn[kept] / (1 - p), rtol=1e-6)
    assert abs(1 - kept.mean() - p) < 0.08
    # The gradient is the mask times the scale.
    np.testing.assert_allclose(_np(x.grad), kept / (1 - p), rtol=1e-6)
    if name != "Dropout":   # whole channels: every (n, c) slice is all kept or all dropped
        per_channel = kept.reshape(shape[0], shape[1], -1)
        assert np.all(per_channel.all(-1) | (~per_channel).all(-1))
    m.eval()
    np.testing.assert_array_equal(_np(m(x)), xn)


def test_dropout_inplace_and_extremes(device):
    x = tt.tensor(_rand((20, 30), lo=1, hi=2), device=device)
    before = _np(x).copy()
    y = tt.nn.Dropout(0.5, inplace=True)(x)
    assert y is x and np.any(_np(x) == 0) and np.all((_np(x) == 0) | np.isclose(_np(x), 2 * before))
    z = tt.tensor(before, device=device)
    np.testing.assert_array_equal(_np(tt.nn.Dropout(0.0)(z)), before)
    np.testing.assert_array_equal(_np(tt.nn.Dropout(1.0)(z)), np.zeros_like(before))


@pytest.mark.parametrize("name,shape", [("AlphaDropout", (100, 100)), ("FeatureAlphaDropout", (50, 200, 4))])
def test_alpha_dropout_keeps_mean_and_variance(name, shape, device):
    m = getattr(tt.nn, name)(0.2)
    x = np.random.default_rng(3).standard_normal(shape)
    y = _np(m(tt.tensor(x, device=device)))
    assert not np.allclose(y, x)
    assert abs(y.mean()) < 0.1 and abs(y.std() - 1) < 0.1
    if name == "FeatureAlphaDropout":   # the dropped channels are constant
        dropped = np.isclose(y, y.reshape(shape[0], shape[1], -1)[..., :1]).all(-1)
        assert 0.1 < dropped.mean() < 0.3
    m.eval()
    np.testing.assert_array_equal(_np(m(tt.tensor(x, device=device))), x)


# ---- Embedding ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [{}, dict(padding_idx=1), dict(padding_idx=-2), dict(scale_grad_by_freq=True)],
                         ids=["plain", "pad", "pad_neg", "freq"])
def test_embedding_matches_torch(kwargs, device):
    tm = torch.nn.Embedding(6, 3, **kwargs).double()
    m = tt.nn.Embedding(6, 3, **kwargs, device=device, dtype=tt.float64)
    assert repr(m) == repr(tm)
    assert m.padding_idx == tm.padding_idx
    assert list(m.state_dict()) == list(tm.state_dict())
    _copy_state(tm, m)
    idx = np.array([[0, 1, 4], [4, 3, 1]])
    yt = tm(torch.tensor(idx))
    g = _rand(tuple(yt.shape), 2)
    yt.backward(torch.tensor(g))
    y = m(tt.tensor(idx, device=device))
    y.backward(tt.tensor(g, device=device))
    np.testing.assert_allclose(_np(y), _np(yt), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(_np(m.weight.grad), _np(tm.weight.grad), rtol=1e-8, atol=1e-8)
    if m.padding_idx is not None:
        np.testing.assert_array_equal(_np(m.weight.grad)[m.padding_idx], 0)


def test_embedding_init_and_errors():
    m = tt.nn.Embedding(400, 50, padding_idx=3)
    w = _np(m.weight)
    np.testing.assert_array_equal(w[3], 0)
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02 and m.weight.requires_grad
    assert not tt.nn.Embedding(3, 2, _freeze=True).weight.requires_grad
    for bad in (5, -6):
        with pytest.raises(AssertionError) as e_torch:
            torch.nn.Embedding(5, 2, padding_idx=bad)
        with pytest.raises(AssertionError) as e:
            tt.nn.Embedding(5, 2, padding_idx=bad)
        assert str(e.value) == str(e_torch.value) == "Padding_idx must be within num_embeddings"
    with pytest.raises(AssertionError, match="Shape of weight does not match num_embeddings and embedding_dim"):
        tt.nn.Embedding(3, 2, _weight=tt.zeros(2, 3))
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        tt.nn.Embedding.from_pretrained(tt.zeros(3))
    for kwargs in [dict(max_norm=1.0), dict(norm_type=1.0), dict(scale_grad_by_freq=True), dict(sparse=True),
                   dict(padding_idx=0, max_norm=2.0, norm_type=3.0)]:
        assert repr(tt.nn.Embedding(4, 2, **kwargs)) == repr(torch.nn.Embedding(4, 2, **kwargs))


def test_embedding_from_pretrained(device):
    w = tt.tensor(_rand((4, 3)), device=device)
    m = tt.nn.Embedding.from_pretrained(w)
    assert not m.weight.requires_grad and m.num_embeddings == 4 and m.embedding_dim == 3
    np.testing.assert_array_equal(_np(m(tt.tensor([2, 0], device=device))), _np(w)[[2, 0]])
    with tt.no_grad():
        w[1].fill_(7.0)   # the weight shares the given tensor's storage, as in PyTorch
    np.testing.assert_array_equal(_np(m.weight)[1], 7.0)
    m2 = tt.nn.Embedding.from_pretrained(w, freeze=False, padding_idx=1)
    assert m2.weight.requires_grad and m2.padding_idx == 1
    m2(tt.tensor([1, 2], device=device)).sum().backward()
    np.testing.assert_array_equal(_np(m2.weight.grad)[1], 0)   # pretrained padding row is kept, gets no grad
    np.testing.assert_array_equal(_np(m2.weight)[1], 7.0)


def test_embedding_max_norm_renormalizes_weight(device):
    tm = torch.nn.Embedding(5, 3, max_norm=1.5, norm_type=2.0).double()
    m = tt.nn.Embedding(5, 3, max_norm=1.5, device=device, dtype=tt.float64)
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(_rand((5, 3), 4)))
    _copy_state(tm, m)
    idx = np.array([0, 2, 2, 4])
    yt = tm(torch.tensor(idx))
    y = m(tt.tensor(idx, device=device))
    np.testing.assert_allclose(_np(y), _np(yt), rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(_np(m.weight), _np(tm.weight), rtol=1e-7, atol=1e-7)
    assert np.all(np.linalg.norm(_np(m.weight)[[0, 2, 4]], axis=1) <= 1.5 + 1e-6)


# ---- EmbeddingBag --------------------------------------------------------------------------------------------------

def test_embedding_bag_repr_init_and_errors():
    for kwargs in [{}, dict(mode="sum"), dict(mode="max", padding_idx=2), dict(max_norm=1.0, norm_type=1.0),
                   dict(scale_grad_by_freq=True, include_last_offset=True)]:
        m, tm = tt.nn.EmbeddingBag(5, 3, **kwargs), torch.nn.EmbeddingBag(5, 3, **kwargs)
        assert repr(m) == repr(tm)
        assert list(m.state_dict()) == list(tm.state_dict())
    m = tt.nn.EmbeddingBag(5, 3, padding_idx=-1)
    assert m.padding_idx == 4
    np.testing.assert_array_equal(_np(m.weight)[4], 0)
    with pytest.raises(AssertionError) as e_torch:
        torch.nn.EmbeddingBag(5, 2, padding_idx=7)
    with pytest.raises(AssertionError) as e:
        tt.nn.EmbeddingBag(5, 2, padding_idx=7)
    assert str(e.value) == str(e_torch.value) == "padding_idx must be within num_embeddings"
    m = tt.nn.EmbeddingBag.from_pretrained(tt.ones(3, 2), mode="sum")
    assert not m.weight.requires_grad and m.mode == "sum"
    assert tt.nn.EmbeddingBag.from_pretrained(tt.ones(3, 2), freeze=False).weight.requires_grad


EMBAG_CASES = [  # (kwargs, input, offsets, per_sample_weights)
    (dict(mode="mean"), [[0, 2, 1], [3, 3, 4]], None, False),
    (dict(mode="sum"), [0, 2, 1, 3, 3, 4, 1], [0, 2, 2, 5], False),
    (dict(mode="max"), [0, 2, 1, 3, 3, 4, 1], [0, 3], False),
    (dict(mode="sum"), [0, 2, 1, 3, 4], [0, 1], True),
    (dict(mode="mean", include_last_offset=True), [0, 2, 1, 3, 4], [0, 2, 5], False),
    (dict(mode="mean", padding_idx=2), [[0, 2, 1], [2, 2, 4]], None, False),
]


@pytest.mark.parametrize("case", EMBAG_CASES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c[0].items()))
def test_embedding_bag_matches_torch(case, device):
    kwargs, inp, offsets, psw = case
    tm = torch.nn.EmbeddingBag(5, 3, **kwargs).double()
    m = tt.nn.EmbeddingBag(5, 3, **kwargs, device=device, dtype=tt.float64)
    _copy_state(tm, m)
    w = _rand((len(inp),), 5) if psw else None
    yt = tm(torch.tensor(inp), None if offsets is None else torch.tensor(offsets),
            None if w is None else torch.tensor(w))
    g = _rand(tuple(yt.shape), 6)
    yt.backward(torch.tensor(g))
    y = m(tt.tensor(inp, device=device), None if offsets is None else tt.tensor(offsets, device=device),
          None if w is None else tt.tensor(w, device=device))
    y.backward(tt.tensor(g, device=device))
    np.testing.assert_allclose(_np(y), _np(yt), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(_np(m.weight.grad), _np(tm.weight.grad), rtol=1e-8, atol=1e-8)
