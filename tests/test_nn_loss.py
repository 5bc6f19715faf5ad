"""Loss layers (tritorch.nn) against torch.nn on both devices, float64: loss values and input gradients for
every reduction, class weights / pos_weight copied through state dicts (so buffer names and shapes match),
ignore_index, label_smoothing, probability targets and K-dim inputs for CrossEntropyLoss / NLLLoss; repr and
state-dict keys; invalid reduction strings (the functional's error at call time, as in torch); the legacy
size_average / reduce mapping with its warning; constructor errors."""
import warnings

import numpy as np
import pytest
import torch

import tritorch as tt

RTOL, ATOL = 1e-7, 1e-10
REDUCTIONS = ("none", "mean", "sum")


def _rng(seed):
    return np.random.default_rng(seed)


def _randn(shape, seed):
    return _rng(seed).normal(size=shape)


def _uniform(shape, seed, lo, hi):
    return _rng(seed).uniform(lo, hi, shape)


def _softmax(x, axis=1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x, axis=1):
    return np.log(_softmax(x, axis))


def _signs(shape, seed):
    return np.where(_rng(seed).random(shape) < 0.5, -1.0, 1.0)


def _classes(shape, c, seed):
    return _rng(seed).integers(0, c, shape).astype(np.int64)


class _Cosine:
    """A distance_function built in each library: 1 - cosine_similarity(x, y)."""

    @staticmethod
    def build(lib):
        fn = lib.nn.functional.cosine_similarity
        return lambda x, y: 1.0 - fn(x, y)


# (id, class name, constructor kwargs (numpy arrays become buffers), inputs (numpy arrays / floats),
#  indices of differentiable inputs, reductions)
CASES = [
    ("L1", "L1Loss", {}, [_randn((2, 3), 0), _randn((2, 3), 1)], (0, 1), REDUCTIONS),
    ("MSE", "MSELoss", {}, [_randn((2, 3), 0), _randn((2, 3), 1)], (0, 1), REDUCTIONS),
    ("SmoothL1", "SmoothL1Loss", {}, [_randn((2, 3), 0), _randn((2, 3), 1)], (0, 1), REDUCTIONS),
    ("SmoothL1-beta", "SmoothL1Loss", dict(beta=0.5), [_randn((2, 3), 0), _randn((2, 3), 1)], (0, 1), REDUCTIONS),
    ("SmoothL1-beta0", "SmoothL1Loss", dict(beta=0.0), [_randn((2, 3), 0), _randn((2, 3), 1)], (0, 1),
     REDUCTIONS),
    ("Huber", "HuberLoss", {}, [_randn((2, 3), 0), _randn((2, 3), 1)], (0, 1), REDUCTIONS),
    ("Huber-delta", "HuberLoss", dict(delta=0.7), [_randn((2, 3), 0), _randn((2, 3), 1)], (0, 1), REDUCTIONS),
    ("CE", "CrossEntropyLoss", {}, [_randn((3, 4), 0), _classes(3, 4, 1)], (0,), REDUCTIONS),
    ("CE-1d", "CrossEntropyLoss", {}, [_randn(4, 0), np.array(2)], (0,), REDUCTIONS),
    ("CE-weight", "CrossEntropyLoss", dict(weight=_uniform(4, 2, 0.5, 2)),
     [_randn((3, 4), 0), _classes(3, 4, 1)], (0,), REDUCTIONS),
    ("CE-ignore", "CrossEntropyLoss", dict(ignore_index=1), [_randn((4, 3), 0), np.array([1, 0, 2, 1])], (0,),
     REDUCTIONS),
    ("CE-smooth", "CrossEntropyLoss", dict(label_smoothing=0.2), [_randn((3, 4), 0), _classes(3, 4, 1)], (0,),
     REDUCTIONS),
    ("CE-weight-ignore-smooth", "CrossEntropyLoss",
     dict(weight=_uniform(3, 2, 0.5, 2), ignore_index=2, label_smoothing=0.1),
     [_randn((4, 3), 0), np.array([2, 0, 1, 2])], (0,), REDUCTIONS),
    ("CE-prob", "CrossEntropyLoss", {}, [_randn((3, 4), 0), _softmax(_randn((3, 4), 1))], (0, 1), REDUCTIONS),
    ("CE-prob-weight-smooth", "CrossEntropyLoss", dict(weight=_uniform(4, 2, 0.5, 2), label_smoothing=0.3),
     [_randn((3, 4), 0), _softmax(_randn((3, 4), 1))], (0, 1), REDUCTIONS),
    ("CE-kdim", "CrossEntropyLoss", {}, [_randn((2, 3, 2, 2), 0), _classes((2, 2, 2), 3, 1)], (0,), REDUCTIONS),
    ("CE-kdim-weight-ignore-smooth", "CrossEntropyLoss",
     dict(weight=_uniform(3, 2, 0.5, 2), ignore_index=0, label_smoothing=0.15),
     [_randn((2, 3, 2, 2), 0), _classes((2, 2, 2), 3, 1)], (0,), REDUCTIONS),
    ("CE-kdim-prob", "CrossEntropyLoss", {}, [_randn((2, 3, 2, 2), 0), _softmax(_randn((2, 3, 2, 2), 1))], (0,),
     REDUCTIONS),
    ("NLL", "NLLLoss", {}, [_log_softmax(_randn((3, 4), 0)), _classes(3, 4, 1)], (0,), REDUCTIONS),
    ("NLL-weight", "NLLLoss", dict(weight=_uniform(4, 2, 0.5, 2)),
     [_log_softmax(_randn((3, 4), 0)), _classes(3, 4, 1)], (0,), REDUCTIONS),
    ("NLL-ignore", "NLLLoss", dict(ignore_index=3, weight=_uniform(4, 2, 0.5, 2)),
     [_log_softmax(_randn((4, 4), 0)), np.array([3, 0, 3, 2])], (0,), REDUCTIONS),
    ("NLL-kdim", "NLLLoss", dict(weight=_uniform(3, 2, 0.5, 2), ignore_index=1),
     [_log_softmax(_randn((2, 3, 2, 2), 0)), _classes((2, 2, 2), 3, 1)], (0,), REDUCTIONS),
    ("BCE", "BCELoss", {}, [_uniform((2, 3), 0, 0.05, 0.95), _uniform((2, 3), 1, 0, 1)], (0, 1), REDUCTIONS),
    ("BCE-weight", "BCELoss", dict(weight=_uniform(3, 2, 0.5, 2)),
     [_uniform((2, 3), 0, 0.05, 0.95), _uniform((2, 3), 1, 0, 1)], (0, 1), REDUCTIONS),
    ("BCELogits", "BCEWithLogitsLoss", {}, [_randn((2, 3), 0), _uniform((2, 3), 1, 0, 1)], (0, 1), REDUCTIONS),
    ("BCELogits-weights", "BCEWithLogitsLoss",
     dict(weight=_uniform((2, 1), 2, 0.5, 2), pos_weight=_uniform(3, 3, 0.5, 3)),
     [_randn((2, 3), 0), _uniform((2, 3), 1, 0, 1)], (0, 1), REDUCTIONS),
    ("KLDiv", "KLDivLoss", {}, [_log_softmax(_randn((3, 4), 0)), _softmax(_randn((3, 4), 1))], (0, 1),
     REDUCTIONS + ("batchmean",)),
    ("KLDiv-logtarget", "KLDivLoss", dict(log_target=True),
     [_log_softmax(_randn((3, 4), 0)), _log_softmax(_randn((3, 4), 1))], (0, 1), REDUCTIONS + ("batchmean",)),
    ("PoissonNLL", "PoissonNLLLoss", {}, [_randn((2, 3), 0), _uniform((2, 3), 1, 0, 4)], (0, 1), REDUCTIONS),
    ("PoissonNLL-rate-full", "PoissonNLLLoss", dict(log_input=False, full=True, eps=1e-6),
     [_uniform((2, 3), 0, 0.2, 3), np.array([[0.0, 1.0, 2.5], [4.0, 0.5, 3.0]])], (0,), REDUCTIONS),
    ("GaussianNLL", "GaussianNLLLoss", {},
     [_randn((3, 2), 0), _randn((3, 2), 1), _uniform((3, 2), 2, 0.2, 2)], (0, 1, 2), REDUCTIONS),
    ("GaussianNLL-full-var1", "GaussianNLLLoss", dict(full=True, eps=1e-3),
     [_randn((3, 2), 0), _randn((3, 2), 1), _uniform((3, 1), 2, 0.2, 2)], (0, 1, 2), REDUCTIONS),
    ("GaussianNLL-varfloat", "GaussianNLLLoss", {}, [_randn((3, 2), 0), _randn((3, 2), 1), 0.7], (0, 1),
     REDUCTIONS),
    ("MarginRanking", "MarginRankingLoss", dict(margin=0.5), [_randn(4, 0), _randn(4, 1), _signs(4, 2)], (0, 1),
     REDUCTIONS),
    ("HingeEmbedding", "HingeEmbeddingLoss", dict(margin=0.8),
     [_uniform((2, 3), 0, 0, 1.5), _signs((2, 3), 1)], (0,), REDUCTIONS),
    ("CosineEmbedding", "CosineEmbeddingLoss", dict(margin=0.2),
     [_randn((3, 4), 0), _randn((3, 4), 1), np.array([1.0, -1.0, -1.0])], (0, 1), REDUCTIONS),
    ("SoftMargin", "SoftMarginLoss", {}, [_randn((2, 3), 0), _signs((2, 3), 1)], (0,), REDUCTIONS),
    ("MultiLabelSoftMargin", "MultiLabelSoftMarginLoss", dict(weight=_uniform(4, 2, 0.5, 2)),
     [_randn((3, 4), 0), (_rng(1).random((3, 4)) < 0.5).astype(np.float64)], (0,), REDUCTIONS),
    ("MultiLabelMargin", "MultiLabelMarginLoss", {},
     [_randn((2, 4), 0), np.array([[3, 0, -1, 1], [1, 2, 3, -1]])], (0,), REDUCTIONS),
    ("MultiMargin", "MultiMarginLoss", {}, [_randn((3, 4), 0), _classes(3, 4, 1)], (0,), REDUCTIONS),
    ("MultiMargin-p2-weight", "MultiMarginLoss", dict(p=2, margin=0.5, weight=_uniform(4, 2, 0.5, 2)),
     [_randn((3, 4), 0), _classes(3, 4, 1)], (0,), REDUCTIONS),
    ("TripletMargin", "TripletMarginLoss", {}, [_randn((3, 4), 0), _randn((3, 4), 1), _randn((3, 4), 2)],
     (0, 1, 2), REDUCTIONS),
    ("TripletMargin-p1-swap", "TripletMarginLoss", dict(margin=2.0, p=1.0, swap=True),
     [_randn((3, 4), 0), _randn((3, 4), 1), _randn((3, 4), 2)], (0, 1, 2), REDUCTIONS),
    ("TripletDistance", "TripletMarginWithDistanceLoss", {},
     [_randn((3, 4), 0), _randn((3, 4), 1), _randn((3, 4), 2)], (0, 1, 2), REDUCTIONS),
    ("TripletDistance-cos-swap", "TripletMarginWithDistanceLoss",
     dict(distance_function=_Cosine, margin=0.5, swap=True),
     [_randn((3, 4), 0), _randn((3, 4), 1), _randn((3, 4), 2)], (0, 1, 2), REDUCTIONS),
    ("CTC", "CTCLoss", {},
     [_log_softmax(_randn((5, 2, 4), 0), 2), np.array([[1, 2, 2], [3, 1, 0]]), np.array([5, 4]), np.array([3, 2])],
     (0,), REDUCTIONS),
    ("CTC-blank-zeroinf", "CTCLoss", dict(blank=3, zero_infinity=True),
     [_log_softmax(_randn((4, 2, 4), 0), 2), np.array([[0, 1, 1], [2, 2, 0]]), np.array([4, 3]), np.array([3, 2])],
     (0,), REDUCTIONS),
]


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return t.detach().cpu().numpy()


def _kwargs(lib, kwargs, device=None):
    """Constructor kwargs for ``lib``: arrays become buffers (tritorch: zero placeholders on ``device``,
    filled from torch's state dict), _Cosine each library's distance function."""
    out = {}
    for k, v in kwargs.items():
        if isinstance(v, np.ndarray):
            v = torch.tensor(v) if lib is torch else tt.zeros(v.shape, dtype=tt.float64, device=device)
        elif v is _Cosine:
            v = v.build(lib)
        out[k] = v
    return out


def _make(name, kwargs, device):
    tm = getattr(torch.nn, name)(**_kwargs(torch, kwargs))
    m = getattr(tt.nn, name)(**_kwargs(tt, kwargs, device))
    m.load_state_dict({k: tt.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, m


def _inputs(lib, arrays, grad, device=None):
    out = []
    for i, a in enumerate(arrays):
        if not isinstance(a, np.ndarray):
            out.append(a)
        elif lib is torch:
            out.append(torch.tensor(a, requires_grad=i in grad))
        else:
            out.append(tt.tensor(a, device=device, requires_grad=i in grad))
    return out


def _functional_exists(name):
    fn = {"L1Loss": "l1_loss", "MSELoss": "mse_loss", "SmoothL1Loss": "smooth_l1_loss", "HuberLoss": "huber_loss",
          "CrossEntropyLoss": "cross_entropy", "NLLLoss": "nll_loss", "BCELoss": "binary_cross_entropy",
          "BCEWithLogitsLoss": "binary_cross_entropy_with_logits", "KLDivLoss": "kl_div",
          "PoissonNLLLoss": "poisson_nll_loss", "GaussianNLLLoss": "gaussian_nll_loss",
          "MarginRankingLoss": "margin_ranking_loss", "HingeEmbeddingLoss": "hinge_embedding_loss",
          "CosineEmbeddingLoss": "cosine_embedding_loss", "SoftMarginLoss": "soft_margin_loss",
          "MultiLabelSoftMarginLoss": "multilabel_soft_margin_loss", "MultiLabelMarginLoss": "multilabel_margin_loss",
          "MultiMarginLoss": "multi_margin_loss", "TripletMarginLoss": "triplet_margin_loss",
          "TripletMarginWithDistanceLoss": "triplet_margin_with_distance_loss", "CTCLoss": "ctc_loss"}[name]
    return hasattr(tt.nn.functional, fn)


PARAMS = [pytest.param(c, r, id=f"{c[0]}-{r}") for c in CASES for r in c[5]]


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
@pytest.mark.parametrize("case,reduction", PARAMS)
def test_loss_matches_torch(case, reduction, device):
    _, name, kwargs, arrays, grad, _ = case
    kwargs = dict(kwargs, reduction=reduction)
    tm, m = _make(name, kwargs, device)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    if not _functional_exists(name):
        pytest.skip(f"tritorch.nn.functional lacks the functional of {name}")
    xs_t = _inputs(torch, arrays, grad)
    xs = _inputs(tt, arrays, grad, device)
    yt = tm(*xs_t)
    y = m(*xs)
    assert y.dtype == tt.float64 and tuple(y.shape) == tuple(yt.shape)
    np.testing.assert_allclose(_np(y), _np(yt), rtol=RTOL, atol=ATOL)
    g = _randn(tuple(yt.shape), 9)
    yt.backward(torch.tensor(g))
    y.backward(tt.tensor(g, device=device))
    for i in grad:
        assert xs[i].grad is not None, f"input {i} got no gradient"
        np.testing.assert_allclose(_np(xs[i].grad), _np(xs_t[i].grad), rtol=RTOL, atol=ATOL,
                                   err_msg=f"gradient of input {i}")


def test_every_torch_loss_is_here():
    skip = {"LinearCrossEntropyLoss"}   # tritorch has no F.linear_cross_entropy
    names = set(torch.nn.modules.loss.__all__) - skip
    assert names == set(tt.nn.modules.loss.__all__)
    assert {c[1] for c in CASES} == names - {"NLLLoss2d"}
    for n in names:
        assert getattr(tt.nn, n) is getattr(tt.nn.modules.loss, n)
        assert getattr(tt.nn, n).__doc__


def test_weight_buffers_follow_module(device):
    m = tt.nn.BCEWithLogitsLoss(weight=tt.ones(3, dtype=tt.float64), pos_weight=tt.full((3,), 2.0,
                                                                                          dtype=tt.float64))
    assert dict(m.named_buffers()).keys() == {"weight", "pos_weight"}
    m.to(device)
    assert m.weight.device.type == device and m.pos_weight.device.type == device
    assert not list(m.parameters())


def test_constants_and_attributes():
    for name, kwargs in [("CrossEntropyLoss", dict(ignore_index=3, label_smoothing=0.1)), ("NLLLoss", {}),
                         ("SmoothL1Loss", dict(beta=0.3)), ("HuberLoss", dict(delta=2)),
                         ("PoissonNLLLoss", dict(log_input=False, full=True, eps=1e-3)),
                         ("GaussianNLLLoss", dict(full=True, eps=1e-2)), ("KLDivLoss", dict(log_target=True)),
                         ("MultiMarginLoss", dict(p=2, margin=0.3)), ("TripletMarginLoss", dict(p=1.0, swap=True)),
                         ("TripletMarginWithDistanceLoss", dict(margin=0.5, swap=True)),
                         ("CTCLoss", dict(blank=2, zero_infinity=True)), ("CosineEmbeddingLoss", dict(margin=0.1)),
                         ("MarginRankingLoss", {}), ("HingeEmbeddingLoss", {})]:
        tm, m = getattr(torch.nn, name)(**kwargs), getattr(tt.nn, name)(**kwargs)
        for attr in list(getattr(tm, "__constants__", [])) + list(kwargs):
            assert getattr(m, attr) == getattr(tm, attr), (name, attr)
        assert list(getattr(m, "__constants__", [])) == list(getattr(tm, "__constants__", [])), name
        assert repr(m) == repr(tm)


# ---- bad input ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", [c for c in CASES if c[0] in {
    "L1", "MSE", "SmoothL1", "Huber", "CE", "CE-prob", "NLL", "BCE", "BCELogits", "KLDiv", "PoissonNLL", "GaussianNLL",
    "MarginRanking", "HingeEmbedding", "CosineEmbedding", "SoftMargin", "MultiLabelSoftMargin", "MultiLabelMargin",
    "MultiMargin", "TripletMargin", "TripletDistance", "CTC"}], ids=lambda c: c[0])
def test_invalid_reduction_raises_like_torch(case):
    _, name, kwargs, arrays, grad, _ = case
    if not _functional_exists(name):
        pytest.skip(f"tritorch.nn.functional lacks the functional of {name}")
    kwargs = dict(kwargs, reduction="bogus")
    tm, m = _make(name, kwargs, "cpu")   # like torch, the constructor accepts it; the call raises
    with pytest.raises(Exception) as et:
        tm(*_inputs(torch, arrays, grad))
    with pytest.raises(type(et.value)) as e:
        m(*_inputs(tt, arrays, grad, "cpu"))
    assert str(e.value) == str(et.value) and "bogus" in str(e.value)


LEGACY = [(None, False), (False, None), (True, False), (False, True), (True, True), (None, True), (True, None),
          (False, False)]


@pytest.mark.parametrize("size_average,reduce", LEGACY)
@pytest.mark.parametrize("name", ["L1Loss", "MSELoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "KLDivLoss",
                                  "MultiMarginLoss", "SmoothL1Loss", "PoissonNLLLoss", "MarginRankingLoss",
                                  "TripletMarginLoss", "BCEWithLogitsLoss", "MultiLabelSoftMarginLoss"])
def test_legacy_size_average_reduce(name, size_average, reduce):
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        tm = getattr(torch.nn, name)(size_average=size_average, reduce=reduce, reduction="sum")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m = getattr(tt.nn, name)(size_average=size_average, reduce=reduce, reduction="sum")
    assert m.reduction == tm.reduction
    assert [(x.category, str(x.message)) for x in w] == [(x.category, str(x.message)) for x in wt]
    assert len(w) == 1 and "please use reduction=" in str(w[0].message)


def test_legacy_mapping_values():
    expect = {(None, None): "sum", (None, False): "none", (False, None): "sum", (True, False): "none",
              (False, True): "sum", (True, True): "mean", (False, False): "none"}
    for (sa, rd), red in expect.items():
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m = tt.nn.MSELoss(size_average=sa, reduce=rd, reduction="sum")
        assert m.reduction == red
        assert len(w) == (0 if (sa, rd) == (None, None) else 1)
        if w:
            assert str(w[0].message) == (f"size_average and reduce args will be deprecated, please use "
                                         f"reduction='{red}' instead.")


def test_legacy_reduce_false_forward(device):
    x, t = _randn((2, 3), 0), _randn((2, 3), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m, tm = tt.nn.L1Loss(reduce=False), torch.nn.L1Loss(reduce=False)
    y = m(tt.tensor(x, device=device), tt.tensor(t, device=device))
    np.testing.assert_allclose(_np(y), _np(tm(torch.tensor(x), torch.tensor(t))), rtol=RTOL, atol=ATOL)


def test_nllloss2d_deprecated():
    with pytest.warns(FutureWarning) as wt:
        tm = torch.nn.NLLLoss2d(ignore_index=2)
    with pytest.warns(FutureWarning) as w:
        m = tt.nn.NLLLoss2d(ignore_index=2)
    assert str(w[0].message) == str(wt[0].message)
    assert isinstance(m, tt.nn.NLLLoss) and m.ignore_index == 2 and repr(m) == repr(tm)


@pytest.mark.parametrize("name,kwargs", [
    ("HuberLoss", dict(delta="1")), ("HuberLoss", dict(delta=None)), ("MultiMarginLoss", dict(p=3)),
    ("TripletMarginLoss", dict(margin=0.0)), ("TripletMarginLoss", dict(margin=-1)),
    ("TripletMarginWithDistanceLoss", dict(margin=0)), ("TripletMarginWithDistanceLoss", dict(margin=-0.5)),
])
def test_constructor_errors(name, kwargs):
    with pytest.raises(Exception) as et:
        getattr(torch.nn, name)(**kwargs)
    with pytest.raises(type(et.value)) as e:
        getattr(tt.nn, name)(**kwargs)
    assert str(e.value) == str(et.value)


def test_multimargin_weight_dim_error():
    with pytest.raises(ValueError) as et:
        torch.nn.MultiMarginLoss(weight=torch.ones(2, 2))
    with pytest.raises(ValueError) as e:
        tt.nn.MultiMarginLoss(weight=tt.ones(2, 2))
    assert str(e.value) == str(et.value)


def test_keyword_only_arguments():
    for lib in (torch, tt):
        with pytest.raises(TypeError):
            lib.nn.GaussianNLLLoss(True)
        with pytest.raises(TypeError):
            lib.nn.TripletMarginWithDistanceLoss(None)
