"""tritorch.optim.swa_utils against torch.optim.swa_utils: AveragedModel (SWA by default, EMA and
custom averaging functions, use_buffers) fed the same sequence of model states, the averaging
functions themselves, update_bn's recomputed BatchNorm statistics, SWALR's schedule, state dicts
and torch's errors."""
import pickle
import warnings

import numpy as np
import pytest
import torch
import torch.optim.swa_utils as TS
from torch.optim import lr_scheduler as TL

import tritorch as tt
import tritorch.optim.swa_utils as S
from tritorch.optim import SGD, lr_scheduler as L


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach().cpu().numpy()


def _models(device="cpu"):
    """The same float64 Linear-BatchNorm-ReLU-Linear model in torch and tritorch."""
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4, momentum=0.3), torch.nn.ReLU(),
                             torch.nn.Linear(4, 2)).double()
    m = tt.nn.Sequential(tt.nn.Linear(3, 4), tt.nn.BatchNorm1d(4, momentum=0.3), tt.nn.ReLU(), tt.nn.Linear(4, 2))
    m = m.to(device=device, dtype=tt.float64)
    _sync(tm, m)
    return tm, m


def _sync(tm, m):
    """Loads torch module ``tm``'s state into ``m``."""
    device = next(m.parameters()).device
    m.load_state_dict({k: tt.tensor(v.detach().numpy(), device=device) for k, v in tm.state_dict().items()})


def _train_step(tm, m, step):
    """New parameter values and one training forward (moving the BN buffers), identical on both."""
    gen = torch.Generator().manual_seed(100 + step)
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype))
    tm.train()
    tm(torch.randn(5, 3, generator=gen, dtype=torch.float64))
    _sync(tm, m)


def _assert_state_close(avg, th_avg, rtol=1e-12):
    sd, th_sd = avg.state_dict(), th_avg.state_dict()
    assert list(sd) == list(th_sd)
    for k in th_sd:
        assert sd[k].dtype.is_floating_point == th_sd[k].dtype.is_floating_point, k
        np.testing.assert_allclose(_np(sd[k]), _np(th_sd[k]), rtol=rtol, atol=1e-14, err_msg=k)


AVERAGING = {
    "swa": ({}, {}),
    "swa_buffers": ({"use_buffers": True}, {"use_buffers": True}),
    "ema_multi": ({"multi_avg_fn": S.get_ema_multi_avg_fn(0.9)}, {"multi_avg_fn": TS.get_ema_multi_avg_fn(0.9)}),
    "ema_multi_buffers": ({"multi_avg_fn": S.get_ema_multi_avg_fn(0.8), "use_buffers": True},
                          {"multi_avg_fn": TS.get_ema_multi_avg_fn(0.8), "use_buffers": True}),
    "ema": ({"avg_fn": S.get_ema_avg_fn(0.7)}, {"avg_fn": TS.get_ema_avg_fn(0.7)}),
    "swa_multi": ({"multi_avg_fn": S.get_swa_multi_avg_fn()}, {"multi_avg_fn": TS.get_swa_multi_avg_fn()}),
    "custom": ({"avg_fn": lambda a, p, n: 0.5 * a + 0.5 * p}, {"avg_fn": lambda a, p, n: 0.5 * a + 0.5 * p}),
}


@pytest.mark.parametrize("name", list(AVERAGING))
def test_averaged_model_matches_torch(name):
    kw, th_kw = AVERAGING[name]
    tm, m = _models()
    avg, th_avg = S.AveragedModel(m, **kw), TS.AveragedModel(tm, **th_kw)
    assert avg.module is not m and avg.module[0].weight is not m[0].weight
    _assert_state_close(avg, th_avg)
    for step in range(6):
        _train_step(tm, m, step)
        avg.update_parameters(m)
        th_avg.update_parameters(tm)
        _assert_state_close(avg, th_avg)
    assert int(avg.n_averaged) == 6 and avg.n_averaged.dtype == tt.int64
    x = np.random.default_rng(0).standard_normal((4, 3))
    avg.eval()
    th_avg.eval()
    np.testing.assert_allclose(_np(avg(tt.tensor(x))), _np(th_avg(torch.tensor(x))), rtol=1e-10)


def test_averaged_model_is_the_mean():
    """SWA over k states is their plain mean; the first update copies."""
    _, m = _models()
    avg = S.AveragedModel(m)
    states = []
    for step in range(4):
        with tt.no_grad():
            for p in m.parameters():
                p.fill_(float(step * step))
        states.append(float(step * step))
        avg.update_parameters(m)
        for p in avg.parameters():
            np.testing.assert_allclose(p.detach().numpy(), np.mean(states))


def test_averaged_model_device(device):
    tm, m = _models()
    avg = S.AveragedModel(m, device=device)
    th_avg = TS.AveragedModel(tm)
    assert avg.n_averaged.device.type == device and avg.module[0].weight.device.type == device
    for step in range(3):
        _train_step(tm, m, step)
        avg.update_parameters(m)
        th_avg.update_parameters(tm)
    _assert_state_close(avg, th_avg)


def test_averaged_model_state_dict_round_trip():
    tm, m = _models()
    avg = S.AveragedModel(m, multi_avg_fn=S.get_ema_multi_avg_fn(0.5))
    for step in range(3):
        _train_step(tm, m, step)
        avg.update_parameters(m)
    avg2 = S.AveragedModel(m, multi_avg_fn=S.get_ema_multi_avg_fn(0.5))
    avg2.load_state_dict(avg.state_dict())
    assert int(avg2.n_averaged) == 3
    _train_step(tm, m, 9)
    avg.update_parameters(m)
    avg2.update_parameters(m)
    for a, b in zip(avg.state_dict().values(), avg2.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_averaged_model_both_fns_error():
    _, m = _models()
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn should be provided"):
        S.AveragedModel(m, avg_fn=S.get_swa_avg_fn(), multi_avg_fn=S.get_swa_multi_avg_fn())


@pytest.mark.parametrize("decay", [-0.1, 1.5])
@pytest.mark.parametrize("fn", ["get_ema_multi_avg_fn", "get_ema_avg_fn"])
def test_decay_errors(fn, decay):
    with pytest.raises(ValueError) as te:
        getattr(TS, fn)(decay)
    with pytest.raises(ValueError) as e:
        getattr(S, fn)(decay)
    assert str(e.value) == str(te.value)


def test_avg_fns_match_torch():
    rng = np.random.default_rng(1)
    a, p = rng.standard_normal((2, 3, 4))
    for fn, th_fn in ((S.get_swa_avg_fn(), TS.get_swa_avg_fn()), (S.get_ema_avg_fn(0.3), TS.get_ema_avg_fn(0.3))):
        for n in (1, 4):
            got = fn(tt.tensor(a), tt.tensor(p), tt.tensor(n))
            np.testing.assert_allclose(got.numpy(), th_fn(torch.tensor(a), torch.tensor(p), torch.tensor(n)).numpy(),
                                       rtol=1e-14)
    for fn, th_fn in ((S.get_swa_multi_avg_fn(), TS.get_swa_multi_avg_fn()),
                      (S.get_ema_multi_avg_fn(0.3), TS.get_ema_multi_avg_fn(0.3))):
        ours, theirs = [tt.tensor(a), tt.tensor(p)], [torch.tensor(a), torch.tensor(p)]
        fn(ours, [tt.tensor(p), tt.tensor(a)], tt.tensor(3))
        th_fn(theirs, [torch.tensor(p), torch.tensor(a)], torch.tensor(3))
        for x, y in zip(ours, theirs):
            np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-14)


def test_multi_avg_fns_integer_tensors():
    """EMA of integer tensors as torch; SWA of integer tensors (which torch's multi-tensor form
    rejects) as the per-tensor form: true division, truncated into the integer tensor."""
    a, p = np.array([1, 2, 3, -4]), np.array([4, 8, 10, 7])
    ours, theirs = [tt.tensor(a)], [torch.tensor(a)]
    S.get_ema_multi_avg_fn(0.5)(ours, [tt.tensor(p)], 1)
    TS.get_ema_multi_avg_fn(0.5)(theirs, [torch.tensor(p)], 1)
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
    ours = [tt.tensor(a)]
    S.get_swa_multi_avg_fn()(ours, [tt.tensor(p)], tt.tensor(2))
    expected = torch.tensor(a)
    expected.copy_(TS.get_swa_avg_fn()(expected, torch.tensor(p), torch.tensor(2)))
    np.testing.assert_array_equal(ours[0].numpy(), expected.numpy())
    assert ours[0].dtype == tt.int64


# ---------------------------------------------------------------- update_bn


def _loader(tuples):
    gen = torch.Generator().manual_seed(7)
    xs = [torch.randn(6, 3, generator=gen, dtype=torch.float64) * 2 + 1 for _ in range(4)]
    if tuples:
        return [(x, torch.zeros(6)) for x in xs], [(tt.tensor(x.numpy()), tt.zeros(6)) for x in xs]
    return xs, [tt.tensor(x.numpy()) for x in xs]


@pytest.mark.parametrize("tuples", [False, True])
@pytest.mark.parametrize("training", [False, True])
def test_update_bn_matches_torch(tuples, training):
    tm, m = _models()
    for step in range(2):
        _train_step(tm, m, step)
    tm.train(training)
    m.train(training)
    th_loader, loader = _loader(tuples)
    TS.update_bn(th_loader, tm)
    S.update_bn(loader, m)
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(_np(m.state_dict()[k]), _np(v), rtol=1e-12, err_msg=k)
    assert int(m[1].num_batches_tracked) == 4
    assert m[1].momentum == 0.3
    assert m.training == training and m[1].training == training
    assert not tt.is_grad_enabled() or all(p.grad is None for p in m.parameters())


def test_update_bn_device(device):
    tm, m = _models(device)
    th_loader, _ = _loader(False)
    TS.update_bn(th_loader, tm)
    S.update_bn([tt.tensor(x.numpy()) for x in th_loader], m, device=device)
    for k in ("1.running_mean", "1.running_var"):
        np.testing.assert_allclose(_np(m.state_dict()[k]), _np(tm.state_dict()[k]), rtol=1e-12)


def test_update_bn_without_batchnorm_is_a_no_op():
    m = tt.nn.Sequential(tt.nn.Linear(3, 2))
    m.eval()
    calls = []

    class Loader:
        def __iter__(self):
            calls.append(1)
            return iter([tt.ones(2, 3)])

    S.update_bn(Loader(), m)
    assert calls == [] and not m.training


# ---------------------------------------------------------------- SWALR


def _opts(lrs=(0.1, 0.05)):
    tt_groups = [{"params": [tt.nn.Parameter(tt.zeros(2))], "lr": lr} for lr in lrs]
    th_groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs]
    return SGD(tt_groups, lr=0.5, momentum=0.9), torch.optim.SGD(th_groups, lr=0.5, momentum=0.9)


def _assert_same(sched, th_sched, opt, th_opt):
    assert sched.get_last_lr() == pytest.approx(th_sched.get_last_lr(), rel=1e-12, abs=1e-15)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([g["lr"] for g in th_opt.param_groups], rel=1e-12,
                                                                abs=1e-15)


SWALRS = {
    "cos": lambda m, o: m.SWALR(o, swa_lr=0.01, anneal_epochs=5),
    "linear_list": lambda m, o: m.SWALR(o, swa_lr=[0.02, 0.2], anneal_epochs=3, anneal_strategy="linear"),
    "no_anneal": lambda m, o: m.SWALR(o, swa_lr=0.03, anneal_epochs=0),
    "one_epoch": lambda m, o: m.SWALR(o, swa_lr=0.03, anneal_epochs=1, anneal_strategy="linear"),
}


@pytest.mark.parametrize("name", list(SWALRS))
def test_swalr_matches_torch(name):
    opt, th_opt = _opts()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched, th_sched = SWALRS[name](S, opt), SWALRS[name](TS, th_opt)
        _assert_same(sched, th_sched, opt, th_opt)
        for _ in range(10):
            opt.step()
            th_opt.step()
            sched.step()
            th_sched.step()
            _assert_same(sched, th_sched, opt, th_opt)
    assert [g["swa_lr"] for g in opt.param_groups] == [g["swa_lr"] for g in th_opt.param_groups]


def test_swalr_after_cosine_schedule():
    """The usual SWA recipe: a cosine schedule, then SWALR from epoch 5 on."""
    opt, th_opt = _opts()
    sched, th_sched = L.CosineAnnealingLR(opt, T_max=20), TL.CosineAnnealingLR(th_opt, T_max=20)
    swa, th_swa = S.SWALR(opt, swa_lr=0.02, anneal_epochs=4), TS.SWALR(th_opt, swa_lr=0.02, anneal_epochs=4)
    for epoch in range(12):
        opt.step()
        th_opt.step()
        if epoch < 5:
            sched.step()
            th_sched.step()
        else:
            swa.step()
            th_swa.step()
        assert [g["lr"] for g in opt.param_groups] == pytest.approx([g["lr"] for g in th_opt.param_groups],
                                                                    rel=1e-12)


def test_swalr_state_dict_round_trip():
    opt, th_opt = _opts()
    sched = S.SWALR(opt, swa_lr=0.01, anneal_epochs=6, anneal_strategy="linear")
    th_sched = TS.SWALR(th_opt, swa_lr=0.01, anneal_epochs=6, anneal_strategy="linear")
    for _ in range(3):
        opt.step()
        sched.step()
        th_opt.step()
        th_sched.step()
    sd = sched.state_dict()
    assert set(sd) == set(th_sched.state_dict()) and "anneal_func" not in sd
    opt2, _ = _opts()
    sched2 = S.SWALR(opt2, swa_lr=0.5, anneal_epochs=2)
    sched2.load_state_dict(pickle.loads(pickle.dumps(sd)))
    assert sched2.anneal_func is S.SWALR._linear_anneal
    for g, h in zip(opt.param_groups, opt2.param_groups):
        h.update({k: v for k, v in g.items() if k != "params"})
    for _ in range(6):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert sched2.get_last_lr() == sched.get_last_lr()


SWALR_BAD = {
    "strategy": lambda m, o: m.SWALR(o, 0.01, anneal_strategy="exp"),
    "epochs_negative": lambda m, o: m.SWALR(o, 0.01, anneal_epochs=-1),
    "epochs_float": lambda m, o: m.SWALR(o, 0.01, anneal_epochs=2.0),
    "swa_lr_len": lambda m, o: m.SWALR(o, [0.01, 0.02, 0.03]),
}


@pytest.mark.parametrize("name", list(SWALR_BAD))
def test_swalr_bad_arguments(name):
    opt, th_opt = _opts()
    with pytest.raises(ValueError) as te:
        SWALR_BAD[name](TS, th_opt)
    with pytest.raises(ValueError) as e:
        SWALR_BAD[name](S, opt)
    assert str(e.value) == str(te.value)


def test_swalr_get_lr_warns():
    opt, _ = _opts()
    sched = S.SWALR(opt, 0.01)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_all():
    assert set(S.__all__) == set(TS.__all__)
