"""tritorch.optim.lr_scheduler against torch.optim.lr_scheduler: every scheduler driven with the
same optimizer setup (two param groups, SGD with momentum or Adam) over many steps, comparing
get_last_lr() and the groups' lr / momentum / betas at each step; the deprecated step(epoch)
closed forms; state_dict round trips (same keys as torch, restored schedulers continue
identically); 0-d tensor learning rates (filled in place); torch's warnings and its errors for
bad arguments."""
import copy
import math
import pickle
import warnings

import pytest
import torch
import torch.optim.lr_scheduler as T

import tritorch as tt
import tritorch.optim.lr_scheduler as L
from tritorch.optim import SGD, Adam

LRS = [0.1, 0.05]


def _opts(kind="sgd", lrs=LRS, tensor_lr=False):
    """The same two-group optimizer in tritorch and torch."""
    tt_groups = [{"params": [tt.nn.Parameter(tt.zeros(2))], "lr": tt.tensor(lr) if tensor_lr else lr} for lr in lrs]
    th_groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": torch.tensor(lr) if tensor_lr else lr}
                 for lr in lrs]
    if kind == "sgd":
        return SGD(tt_groups, lr=0.5, momentum=0.9), torch.optim.SGD(th_groups, lr=0.5, momentum=0.9)
    return (Adam(tt_groups, lr=0.5, betas=(0.9, 0.99)),
            torch.optim.Adam(th_groups, lr=0.5, betas=(0.9, 0.99), foreach=False))


def _f(x):
    return float(x) if isinstance(x, (tt.Tensor, torch.Tensor)) else x


def _assert_same(sched, th_sched, opt, th_opt, rel=1e-12):
    assert [_f(v) for v in sched.get_last_lr()] == pytest.approx([_f(v) for v in th_sched.get_last_lr()], rel=rel,
                                                                  abs=1e-15)
    for g, tg in zip(opt.param_groups, th_opt.param_groups, strict=True):
        assert _f(g["lr"]) == pytest.approx(_f(tg["lr"]), rel=rel, abs=1e-15)
        if "momentum" in tg:
            assert g["momentum"] == pytest.approx(tg["momentum"], rel=rel, abs=1e-15)
        if "betas" in tg:
            assert g["betas"] == pytest.approx(tg["betas"], rel=rel, abs=1e-15)


def _run(make, kind="sgd", steps=30, tensor_lr=False, rel=1e-12):
    opt, th_opt = _opts(kind, tensor_lr=tensor_lr)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched, th_sched = make(L, opt), make(T, th_opt)
        _assert_same(sched, th_sched, opt, th_opt, rel)
        for _ in range(steps):
            opt.step()
            th_opt.step()
            sched.step()
            th_sched.step()
            _assert_same(sched, th_sched, opt, th_opt, rel)
    return sched, opt


class CallableLambda:
    """A picklable lr_lambda with state (saved in state_dict, unlike plain functions)."""

    def __init__(self, base):
        self.base = base

    def __call__(self, epoch):
        return self.base ** epoch


class Triangle:
    """A stateful custom CyclicLR scale_fn."""

    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        return 1.0 / (1.0 + self.k * x)


SCHEDULERS = {
    "lambda": lambda m, o: m.LambdaLR(o, lambda e: 0.95 ** e),
    "lambda_list": lambda m, o: m.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1.0 / (e + 1)]),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9),
    "step": lambda m, o: m.StepLR(o, 3, 0.5),
    "multistep": lambda m, o: m.MultiStepLR(o, [2, 5, 5, 9], 0.3),
    "constant": lambda m, o: m.ConstantLR(o, 0.5, 4),
    "linear": lambda m, o: m.LinearLR(o, 0.25, 0.9, 6),
    "exponential": lambda m, o: m.ExponentialLR(o, 0.9),
    "polynomial": lambda m, o: m.PolynomialLR(o, 6, 2.0),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, 5, 0.01),
    "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, 3, 2, 0.001),
    "warm_restarts_mult1": lambda m, o: m.CosineAnnealingWarmRestarts(o, 4),
    "cyclic": lambda m, o: m.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=4, step_size_down=3),
    "cyclic2": lambda m, o: m.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=3, mode="triangular2"),
    "cyclic_exp": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.95,
                                          base_momentum=[0.7, 0.75], max_momentum=0.95),
    "cyclic_scale_fn": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=2, scale_fn=Triangle(0.5),
                                               scale_mode="iterations"),
    "cyclic_no_momentum": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=2, cycle_momentum=False),
    "onecycle": lambda m, o: m.OneCycleLR(o, [0.1, 0.2], total_steps=31),
    "onecycle_linear": lambda m, o: m.OneCycleLR(o, 0.1, epochs=5, steps_per_epoch=7, anneal_strategy="linear",
                                                 pct_start=0.4),
    "onecycle_three": lambda m, o: m.OneCycleLR(o, 0.1, total_steps=33, three_phase=True, div_factor=10.0,
                                                final_div_factor=100.0, base_momentum=[0.8, 0.7]),
    "sequential": lambda m, o: m.SequentialLR(o, [m.ConstantLR(o, 0.5, 4), m.ExponentialLR(o, 0.9),
                                                  m.StepLR(o, 2, 0.5)], milestones=[3, 8]),
    "chained": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, 0.5, 4), m.ExponentialLR(o, 0.9),
                                                m.CosineAnnealingLR(o, 7)]),
    "chained_opt": lambda m, o: m.ChainedScheduler([m.StepLR(o, 2), m.LinearLR(o)], optimizer=o),
}


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_matches_torch(name, kind):
    _run(SCHEDULERS[name], kind)


@pytest.mark.parametrize("name", ["step", "exponential", "cosine", "lambda", "cyclic", "onecycle", "warm_restarts",
                                  "linear", "multiplicative"])
def test_tensor_lr(name):
    """0-d tensor lrs stay the same tensor objects, filled in place; returned lrs are copies."""
    sched, opt = _run(SCHEDULERS[name], tensor_lr=True, rel=1e-6)
    lr = opt.param_groups[0]["lr"]
    assert isinstance(lr, tt.Tensor)
    last = sched.get_last_lr()[0]
    assert isinstance(last, tt.Tensor) and last is not lr
    if name not in ("cyclic", "onecycle"):  # these two take their base lrs from their arguments
        assert isinstance(sched.base_lrs[0], tt.Tensor) and sched.base_lrs[0] is not lr


def test_tensor_lr_fill_keeps_identity():
    opt, _ = _opts(tensor_lr=True)
    lrs = [g["lr"] for g in opt.param_groups]
    sched = L.StepLR(opt, 1, 0.5)
    opt.step()
    sched.step()
    assert all(g["lr"] is lr for g, lr in zip(opt.param_groups, lrs))
    assert float(lrs[0]) == pytest.approx(0.05)
    assert opt.param_groups[0]["initial_lr"] is not lrs[0]


CLOSED_FORM = {
    "step": SCHEDULERS["step"], "multistep": SCHEDULERS["multistep"], "constant": SCHEDULERS["constant"],
    "linear": SCHEDULERS["linear"], "exponential": SCHEDULERS["exponential"],
    "polynomial": SCHEDULERS["polynomial"], "cosine": SCHEDULERS["cosine"], "lambda": SCHEDULERS["lambda"],
}


@pytest.mark.parametrize("name", list(CLOSED_FORM))
def test_step_with_epoch_matches_torch(name):
    """step(epoch) warns, jumps, and uses the closed form (get_lr where there is none)."""
    opt, th_opt = _opts()
    sched, th_sched = CLOSED_FORM[name](L, opt), CLOSED_FORM[name](T, th_opt)
    for epoch in [3, 1, 7, 12, 12, 4]:
        opt.step()
        th_opt.step()
        with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
            sched.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            th_sched.step(epoch)
        assert sched.last_epoch == th_sched.last_epoch == epoch
        _assert_same(sched, th_sched, opt, th_opt)


def test_warm_restarts_fractional_epochs():
    for t_mult in (1, 2, 3):
        opt, th_opt = _opts()
        sched = L.CosineAnnealingWarmRestarts(opt, 2, t_mult, eta_min=0.005)
        th_sched = T.CosineAnnealingWarmRestarts(th_opt, 2, t_mult, eta_min=0.005)
        iters = 4
        for epoch in range(9):
            for i in range(iters):
                opt.step()
                th_opt.step()
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    sched.step(epoch + i / iters)
                th_sched.step(epoch + i / iters)
                assert (sched.T_cur, sched.T_i, sched.last_epoch) == pytest.approx(
                    (th_sched.T_cur, th_sched.T_i, th_sched.last_epoch))
                _assert_same(sched, th_sched, opt, th_opt)
        # Interleaving a plain step() continues from the jumped-to epoch.
        sched.step(26)
        th_sched.step(26)
        sched.step()
        th_sched.step()
        _assert_same(sched, th_sched, opt, th_opt)


def test_cosine_resumed_first_step_uses_closed_form():
    """last_epoch > 0 at the first step (resuming): CosineAnnealingLR jumps to the closed form."""
    opt, th_opt = _opts()
    for g, tg in zip(opt.param_groups, th_opt.param_groups):
        g["initial_lr"] = tg["initial_lr"] = g["lr"]
    sched, th_sched = L.CosineAnnealingLR(opt, 10, 0.001, last_epoch=4), T.CosineAnnealingLR(th_opt, 10, 0.001,
                                                                                              last_epoch=4)
    _assert_same(sched, th_sched, opt, th_opt)
    for _ in range(8):
        opt.step()
        th_opt.step()
        sched.step()
        th_sched.step()
        _assert_same(sched, th_sched, opt, th_opt)


def test_resume_with_last_epoch_needs_initial_lr():
    opt, th_opt = _opts()
    with pytest.raises(KeyError) as e:
        L.StepLR(opt, 3, last_epoch=5)
    with pytest.raises(KeyError) as te:
        T.StepLR(th_opt, 3, last_epoch=5)
    assert str(e.value) == str(te.value)
    assert "param 'initial_lr' is not specified in param_groups[0]" in str(e.value)


def test_resume_with_last_epoch():
    opt, th_opt = _opts()
    for g, tg in zip(opt.param_groups, th_opt.param_groups):
        g["initial_lr"] = tg["initial_lr"] = 0.2
    sched = L.ExponentialLR(opt, 0.5, last_epoch=3)
    th_sched = T.ExponentialLR(th_opt, 0.5, last_epoch=3)
    assert sched.last_epoch == th_sched.last_epoch == 4
    assert sched.base_lrs == th_sched.base_lrs == [0.2, 0.2]
    _assert_same(sched, th_sched, opt, th_opt)


def _copy_groups(src, dst):
    """What optimizer.load_state_dict restores for the scheduler: every group entry but params."""
    for g, h in zip(src.param_groups, dst.param_groups, strict=True):
        for k, v in g.items():
            if k != "params":
                h[k] = v.clone() if isinstance(v, tt.Tensor) else copy.deepcopy(v)


STATEFUL = dict(SCHEDULERS)
STATEFUL["lambda_callable"] = lambda m, o: m.LambdaLR(o, [CallableLambda(0.9), CallableLambda(0.8)])
STATEFUL["multiplicative_callable"] = lambda m, o: m.MultiplicativeLR(o, CallableLambda(0.95))


@pytest.mark.parametrize("name", list(STATEFUL))
def test_state_dict_round_trip(name):
    make = STATEFUL[name]
    opt, th_opt = _opts("adam" if "onecycle" in name else "sgd")
    sched, th_sched = make(L, opt), make(T, th_opt)
    for _ in range(7):
        opt.step()
        th_opt.step()
        sched.step()
        th_sched.step()
    sd = sched.state_dict()
    th_sd = th_sched.state_dict()
    assert set(sd) == set(th_sd)
    if "_schedulers" in sd:
        assert [set(s) for s in sd["_schedulers"]] == [set(s) for s in th_sd["_schedulers"]]
    assert "optimizer" not in sd
    sd = pickle.loads(pickle.dumps(sd)) if "lambda" not in name and name not in (
        "multiplicative", "cyclic_scale_fn") else sd

    opt2, _ = _opts("adam" if "onecycle" in name else "sgd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched2 = make(L, opt2)
    if "lr_lambdas" in sd:
        for fn in sched2.lr_lambdas:
            if isinstance(fn, CallableLambda):
                fn.base = 0.0  # must be restored from the state dict
    keys = set(sd)
    sched2.load_state_dict(sd)
    assert set(sd) == keys  # the caller's dict is left as it was
    _copy_groups(opt, opt2)
    for _ in range(12):
        for o in (opt, opt2):
            o.step()
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert getattr(sched2, "last_epoch", None) == getattr(sched, "last_epoch", None)
        for g, h in zip(opt.param_groups, opt2.param_groups):
            assert (g["lr"], g.get("momentum"), g.get("betas")) == (h["lr"], h.get("momentum"), h.get("betas"))


def test_lambda_state_dict_skips_functions():
    opt, _ = _opts()
    sched = L.LambdaLR(opt, [lambda e: 1.0, CallableLambda(0.5)])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [None, {"base": 0.5}]


def test_cyclic_state_dict_custom_scale_fn():
    opt, _ = _opts()
    sched = L.CyclicLR(opt, 0.01, 0.1, scale_fn=Triangle(0.25))
    sd = sched.state_dict()
    assert sd["_scale_fn_custom"] == {"k": 0.25} and "_scale_fn_ref" not in sd
    assert L.CyclicLR(opt, 0.01, 0.1, scale_fn=lambda x: 1.0).state_dict()["_scale_fn_custom"] is None
    assert "_scale_fn_ref" not in L.CyclicLR(opt, 0.01, 0.1).state_dict()


def test_lr_scheduler_alias():
    assert issubclass(L._LRScheduler, L.LRScheduler) and L._LRScheduler.__name__ == "_LRScheduler"
    assert set(L.__all__) == set(T.__all__)


# ---------------------------------------------------------------- ReduceLROnPlateau

METRICS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.7, 0.45, 0.4499, 0.45, 0.46, 0.47,
           0.48, 0.49, 0.5, 0.51, 0.52, 0.3, 0.31, 0.32, 0.33, 0.34, 0.35, 0.36]

PLATEAU = [
    {},
    {"patience": 2},
    {"mode": "max", "patience": 1, "factor": 0.5},
    {"mode": "min", "threshold_mode": "abs", "threshold": 0.01, "patience": 1, "cooldown": 2},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.05, "patience": 0},
    {"patience": 0, "factor": 0.5, "min_lr": [0.02, 0.01]},
    {"patience": 1, "factor": 0.5, "min_lr": 0.03, "cooldown": 1},
    {"patience": 0, "factor": 0.9, "eps": 0.006},
    {"patience": 0, "threshold": 0.2},
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default")
@pytest.mark.parametrize("tensor_lr", [False, True])
def test_reduce_on_plateau(kwargs, tensor_lr):
    opt, th_opt = _opts(tensor_lr=tensor_lr)
    sched, th_sched = L.ReduceLROnPlateau(opt, **kwargs), T.ReduceLROnPlateau(th_opt, **kwargs)
    _assert_same(sched, th_sched, opt, th_opt)
    for i, metric in enumerate(METRICS):
        opt.step()
        th_opt.step()
        # Metrics may also be 1-element tensors.
        sched.step(tt.tensor([metric]) if i % 3 == 0 else metric)
        th_sched.step(metric)
        assert (sched.best, sched.num_bad_epochs, sched.cooldown_counter, sched.last_epoch) == (
            th_sched.best, th_sched.num_bad_epochs, th_sched.cooldown_counter, th_sched.last_epoch)
        _assert_same(sched, th_sched, opt, th_opt, rel=1e-6 if tensor_lr else 1e-12)
    if tensor_lr:
        assert isinstance(opt.param_groups[0]["lr"], tt.Tensor)


def test_reduce_on_plateau_epoch_and_state_dict():
    opt, th_opt = _opts()
    sched, th_sched = L.ReduceLROnPlateau(opt, patience=1), T.ReduceLROnPlateau(th_opt, patience=1)
    with pytest.warns(UserWarning, match="The epoch parameter"):
        sched.step(1.0, epoch=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        th_sched.step(1.0, epoch=5)
    assert sched.last_epoch == th_sched.last_epoch == 5
    for m in METRICS[:5]:
        sched.step(m)
    sd = sched.state_dict()
    assert set(sd) == set(th_sched.state_dict())
    opt2, _ = _opts()
    sched2 = L.ReduceLROnPlateau(opt2, mode="max")
    sched2.load_state_dict(pickle.loads(pickle.dumps(sd)))
    _copy_groups(opt, opt2)
    assert sched2.mode == "min" and sched2.mode_worse == math.inf
    for m in METRICS[5:]:
        sched.step(m)
        sched2.step(m)
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_reduce_on_plateau_new_param_group():
    opt, th_opt = _opts()
    sched = L.ReduceLROnPlateau(opt, patience=0, min_lr=0.001)
    opt.add_param_group({"params": [tt.nn.Parameter(tt.zeros(1))], "lr": 0.3})
    sched.step(1.0)
    sched.step(2.0)
    assert sched.min_lrs == [0.001] * 3
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.01, 0.005, 0.03])

    sched = L.ReduceLROnPlateau(th_opt_like := _opts()[0], patience=0, min_lr=[0.0, 0.0])
    th_opt_like.add_param_group({"params": [tt.nn.Parameter(tt.zeros(1))], "lr": 0.3})
    th = T.ReduceLROnPlateau(th_opt, patience=0, min_lr=[0.0, 0.0])
    th_opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.3})
    sched.step(1.0)
    th.step(1.0)
    with pytest.raises(RuntimeError) as e:
        sched.step(2.0)
    with pytest.raises(RuntimeError) as te:
        th.step(2.0)
    assert str(e.value) == str(te.value)


# ---------------------------------------------------------------- warnings


def test_no_warning_in_the_right_order():
    opt, _ = _opts()
    sched = L.StepLR(opt, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.step()
            sched.step()


def test_warns_scheduler_step_before_optimizer_step():
    opt, _ = _opts()
    sched = L.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        sched.step()
    # Only the first step is checked.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()


def test_warns_optimizer_step_overridden():
    opt, _ = _opts()
    sched = L.ExponentialLR(opt, 0.9)
    opt.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="Seems like `optimizer.step\\(\\)` has been overridden after learning rate"):
        sched.step()


def test_step_wrapper_installed_once_and_weak():
    opt, _ = _opts()
    L.StepLR(opt, 2)
    wrapped = opt.step
    assert getattr(wrapped, "_wrapped_by_lr_sched", False)
    L.ExponentialLR(opt, 0.9)
    assert opt.step is wrapped
    assert not getattr(opt, "_opt_called", False)
    opt.step()
    assert opt._opt_called


def test_warns_get_lr_outside_step():
    opt, _ = _opts()
    sched = L.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


# ---------------------------------------------------------------- bad arguments


class NotAnOptimizer:
    param_groups = [{"lr": 0.1}]


BAD = {
    "not_optimizer": lambda m, o: m.StepLR(NotAnOptimizer(), 3),
    "plateau_not_optimizer": lambda m, o: m.ReduceLROnPlateau(NotAnOptimizer()),
    "cyclic_not_optimizer": lambda m, o: m.CyclicLR(NotAnOptimizer(), 0.1, 0.2),
    "onecycle_not_optimizer": lambda m, o: m.OneCycleLR(NotAnOptimizer(), 0.1, 10),
    "lambda_count": lambda m, o: m.LambdaLR(o, [lambda e: 1.0]),
    "multiplicative_count": lambda m, o: m.MultiplicativeLR(o, [lambda e: 1.0] * 3),
    "multiplicative_not_callable": lambda m, o: m.MultiplicativeLR(o, 0.9),
    "constant_factor": lambda m, o: m.ConstantLR(o, factor=1.5),
    "constant_factor_neg": lambda m, o: m.ConstantLR(o, factor=-0.1),
    "linear_start": lambda m, o: m.LinearLR(o, start_factor=0),
    "linear_end": lambda m, o: m.LinearLR(o, end_factor=1.5),
    "sequential_empty": lambda m, o: m.SequentialLR(o, [], []),
    "sequential_milestones": lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.StepLR(o, 3)], [1, 2]),
    "sequential_plateau": lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.ReduceLROnPlateau(o)], [2]),
    "sequential_no_optimizer": lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), object()], [2]),
    "chained_empty": lambda m, o: m.ChainedScheduler([]),
    "chained_plateau": lambda m, o: m.ChainedScheduler([m.ReduceLROnPlateau(o)], optimizer=o),
    "plateau_factor": lambda m, o: m.ReduceLROnPlateau(o, factor=1.0),
    "plateau_mode": lambda m, o: m.ReduceLROnPlateau(o, mode="avg"),
    "plateau_threshold_mode": lambda m, o: m.ReduceLROnPlateau(o, threshold_mode="pct"),
    "plateau_min_lr": lambda m, o: m.ReduceLROnPlateau(o, min_lr=[0.1]),
    "cyclic_mode": lambda m, o: m.CyclicLR(o, 0.01, 0.1, mode="square"),
    "cyclic_base_lr_len": lambda m, o: m.CyclicLR(o, [0.01], 0.1),
    "cyclic_max_lr_len": lambda m, o: m.CyclicLR(o, 0.01, (0.1, 0.2, 0.3)),
    "cyclic_momentum_len": lambda m, o: m.CyclicLR(o, 0.01, 0.1, base_momentum=[0.8]),
    "warm_t0": lambda m, o: m.CosineAnnealingWarmRestarts(o, 0),
    "warm_t0_float": lambda m, o: m.CosineAnnealingWarmRestarts(o, 2.0),
    "warm_tmult": lambda m, o: m.CosineAnnealingWarmRestarts(o, 2, 0),
    "warm_eta_min": lambda m, o: m.CosineAnnealingWarmRestarts(o, 2, 1, "0"),
    "onecycle_total_steps": lambda m, o: m.OneCycleLR(o, 0.1, total_steps=0),
    "onecycle_epochs": lambda m, o: m.OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=3),
    "onecycle_steps_per_epoch": lambda m, o: m.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=1.5),
    "onecycle_missing": lambda m, o: m.OneCycleLR(o, 0.1, epochs=2),
    "onecycle_pct": lambda m, o: m.OneCycleLR(o, 0.1, total_steps=10, pct_start=1.2),
    "onecycle_pct_int": lambda m, o: m.OneCycleLR(o, 0.1, total_steps=10, pct_start=0),
    "onecycle_anneal": lambda m, o: m.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="exp"),
    "onecycle_max_lr_len": lambda m, o: m.OneCycleLR(o, [0.1], total_steps=10),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_arguments_match_torch(name):
    opt, th_opt = _opts()
    with pytest.raises(Exception) as te:
        BAD[name](T, th_opt)
    with pytest.raises(type(te.value)) as e:
        BAD[name](L, opt)
    assert type(e.value) is type(te.value)
    assert str(e.value) == str(te.value)


def test_different_optimizer_errors():
    opt, _ = _opts()
    opt2, _ = _opts()
    with pytest.raises(ValueError, match="SequentialLR expects all schedulers to belong to the same optimizer, but "
                                         "got scheduler StepLR at index 1 has"):
        L.SequentialLR(opt, [L.StepLR(opt, 2), L.StepLR(opt2, 2)], [2])
    with pytest.raises(ValueError, match="ChainedScheduler expects all schedulers to belong to the same optimizer"):
        L.ChainedScheduler([L.StepLR(opt, 2), L.StepLR(opt2, 2)])


def test_momentum_errors():
    class NoMomentum(SGD):
        pass

    opt = NoMomentum([tt.nn.Parameter(tt.zeros(1))], lr=0.1)
    del opt.defaults["momentum"]
    th = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    del th.defaults["momentum"]
    for name in ("CyclicLR", "OneCycleLR"):
        args = (0.01, 0.1) if name == "CyclicLR" else (0.1, 10)
        with pytest.raises(ValueError) as e:
            getattr(L, name)(opt, *args)
        with pytest.raises(ValueError) as te:
            getattr(T, name)(th, *args)
        assert str(e.value) == str(te.value)
        getattr(L, name)(opt, *args, cycle_momentum=False)


def test_onecycle_too_many_steps():
    opt, th_opt = _opts()
    sched, th_sched = L.OneCycleLR(opt, 0.1, total_steps=3), T.OneCycleLR(th_opt, 0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
        th_opt.step()
        th_sched.step()
    with pytest.raises(ValueError) as e:
        sched.step()
    with pytest.raises(ValueError) as te:
        th_sched.step()
    assert str(e.value) == str(te.value) == "Tried to step 4 times. The specified number of total steps is 3"


def test_warm_restarts_negative_epoch():
    opt, _ = _opts()
    sched = L.CosineAnnealingWarmRestarts(opt, 2)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        sched.step(-1)
