"""tritorch.optim against torch.optim: identical weights, identical losses, trajectories equal
step by step (float64 to ~1e-12, float32 to float32 rounding); state dicts moving both ways
through tritorch.save / torch.load and back; LBFGS; hooks; argument errors."""
import re

import numpy as np
import pytest
import torch

import tritorch as tt
import tritorch.optim as optim
from tests.conftest import DEVICES

SHAPES = ((3, 4), (4,), (2, 1, 3), ())


def _weights(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SHAPES]


def _params(lib, ws, dtype, device="cpu"):
    if lib is tt:
        return [tt.tensor(w, dtype=getattr(tt, dtype), device=device, requires_grad=True) for w in ws]
    return [torch.tensor(w, dtype=getattr(torch, dtype), requires_grad=True) for w in ws]


def _loss(ps):
    """A smooth, well-conditioned loss (rounding differences stay at rounding level)."""
    total = 0
    for k, p in enumerate(ps):
        total = total + ((p - 0.5) ** 2 * (k + 1) + 0.1 * p.cos()).sum()
    return total


def _np(ps):
    return [p.detach().cpu().numpy().astype(np.float64) for p in ps]


def _close(a, b, dtype):
    rtol, atol = (1e-12, 1e-14) if dtype == "float64" else (2e-5, 2e-6)
    for x, y in zip(_np(a), _np(b)):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)


def _step(ps, opt, skip=None):
    opt.zero_grad()
    _loss(ps).backward()
    if skip is not None:
        ps[skip].grad = None
    opt.step()


CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.3, 0.9), maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("Adamax", dict(lr=0.05, weight_decay=0.1)),
    ("Adamax", dict(lr=0.05, maximize=True)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, momentum_decay=0.01)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adadelta", dict(lr=1.0, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.5, rho=0.8, maximize=True)),
]
_IDS = [f"{c}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for c, kw in CASES]


def _trajectory(name, kw, dtype, device, steps, skip_every=None):
    ws = _weights()
    tp, pp = _params(tt, ws, dtype, device), _params(torch, ws, dtype)
    to, po = getattr(optim, name)(tp, **kw), getattr(torch.optim, name)(pp, **kw)
    for i in range(steps):
        skip = 1 if skip_every and i % skip_every == 1 else None
        _step(tp, to, skip)
        _step(pp, po, skip)
        _close(tp, pp, dtype)
    return to, po


# On cuda (Triton's interpreter in CI) the loss dominates the time: one configuration per
# optimizer (the last one listed), for a few steps.
_CUDA_CASES = list({name: (name, kw) for name, kw in CASES}.values())


_F64_PARAMS = ([pytest.param(n, kw, "cpu", id=f"cpu-{i}") for (n, kw), i in zip(CASES, _IDS)]
               + [pytest.param(n, kw, d, id=f"{d}-{i}") for d in DEVICES if d != "cpu"
                  for (n, kw), i in zip(CASES, _IDS) if (n, kw) in _CUDA_CASES])


@pytest.mark.parametrize("name,kw,device", _F64_PARAMS)
def test_trajectory_float64(name, kw, device):
    _trajectory(name, kw, "float64", device, 20 if device == "cpu" else 4)


@pytest.mark.parametrize("name,kw", CASES, ids=_IDS)
def test_trajectory_float32_cpu(name, kw):
    _trajectory(name, kw, "float32", "cpu", 20)


@pytest.mark.parametrize("name", ["Adam", "NAdam", "RAdam", "Adagrad", "SGD"])
def test_missing_grads_keep_per_parameter_steps(name):
    """A param without a grad on some steps keeps its own step count (its own bias corrections)."""
    kw = dict(lr=0.05, momentum=0.9) if name == "SGD" else dict(lr=0.05)
    to, _ = _trajectory(name, kw, "float64", "cpu", 12, skip_every=3)
    if name != "SGD":
        steps = [to.state[p]["step"].item() for p in to.param_groups[0]["params"]]
        assert steps == [12.0, 8.0, 12.0, 12.0]


def test_tensor_lr_and_float32_steps():
    ws = _weights()
    tp, pp = _params(tt, ws, "float64"), _params(torch, ws, "float64")
    to = optim.Adam(tp, lr=tt.tensor(0.02), weight_decay=0.1)
    po = torch.optim.Adam(pp, lr=torch.tensor(0.02), weight_decay=0.1)
    for _ in range(10):
        _step(tp, to)
        _step(pp, po)
    _close(tp, pp, "float64")
    step = to.state[tp[0]]["step"]
    assert step.dtype is tt.float32 and step.dim() == 0 and step.device.type == "cpu" and step.item() == 10.0


def test_param_groups_with_different_lrs(device):
    ws = _weights()
    tp, pp = _params(tt, ws, "float64", device), _params(torch, ws, "float64")
    to = optim.SGD([{"params": tp[:2], "lr": 0.1}, {"params": tp[2:]}], lr=0.01, momentum=0.9)
    po = torch.optim.SGD([{"params": pp[:2], "lr": 0.1}, {"params": pp[2:]}], lr=0.01, momentum=0.9)
    for _ in range(5):
        _step(tp, to)
        _step(pp, po)
    _close(tp, pp, "float64")
    assert [g["lr"] for g in to.param_groups] == [0.1, 0.01]


def test_mixed_dtypes_in_one_group():
    """Params of two dtypes run as two fused groups."""
    ws = _weights()
    tp = [tt.tensor(w, dtype=tt.float64 if i % 2 else tt.float32, requires_grad=True) for i, w in enumerate(ws)]
    pp = [torch.tensor(w, dtype=torch.float64 if i % 2 else torch.float32, requires_grad=True) for i, w in enumerate(ws)]
    to, po = optim.Adam(tp, lr=0.05), torch.optim.Adam(pp, lr=0.05)
    for _ in range(5):
        _step(tp, to)
        _step(pp, po)
    _close(tp, pp, "float32")


def test_repr_matches_torch():
    ws = _weights()
    for name, kw in (("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", {}), ("AdamW", dict(amsgrad=True)),
                     ("RMSprop", {}), ("NAdam", {}), ("Adagrad", {}), ("LBFGS", {})):
        to = getattr(optim, name)(_params(tt, ws, "float64"), **kw)
        po = getattr(torch.optim, name)(_params(torch, ws, "float64"), **kw)
        assert repr(to) == repr(po)


# --- state dicts --------------------------------------------------------------------------------------

def _state_dict_cases():
    return [("Adam", dict(lr=0.05, amsgrad=True)), ("SGD", dict(lr=0.05, momentum=0.9)), ("NAdam", dict(lr=0.05)),
            ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)), ("Adagrad", dict(lr=0.1)),
            ("AdamW", dict(lr=0.05)), ("Adadelta", {}), ("Adamax", {}), ("RAdam", {})]


@pytest.mark.parametrize("name,kw", _state_dict_cases(), ids=[c[0] for c in _state_dict_cases()])
def test_state_dict_round_trip_with_torch(name, kw, tmp_path):
    ws = _weights()
    tp, pp = _params(tt, ws, "float64"), _params(torch, ws, "float64")
    to, po = getattr(optim, name)(tp, **kw), getattr(torch.optim, name)(pp, **kw)
    for _ in range(6):
        _step(tp, to)
        _step(pp, po)

    # tritorch -> torch: the checkpoint has torch's layout and loads into a torch optimizer
    sd = to.state_dict()
    ref = po.state_dict()
    assert sd["param_groups"] == ref["param_groups"]
    assert sd["state"].keys() == ref["state"].keys()
    for k in ref["state"]:
        assert list(sd["state"][k]) == list(ref["state"][k])
    tt.save(sd, tmp_path / "opt.pt")
    loaded = torch.load(tmp_path / "opt.pt", weights_only=True)
    for k, st in ref["state"].items():
        for key, v in st.items():
            got = loaded["state"][k][key]
            assert got.dtype == v.dtype and got.shape == v.shape, key
            np.testing.assert_allclose(got.numpy(), v.numpy(), rtol=1e-12, atol=1e-14)
    p2 = _params(torch, _np(tp), "float64")
    o2 = getattr(torch.optim, name)(p2, **kw)
    o2.load_state_dict(loaded)

    # torch -> tritorch: torch's checkpoint continues identically here
    torch.save(po.state_dict(), tmp_path / "torch.pt")
    t3 = _params(tt, _np(pp), "float64")
    o3 = getattr(optim, name)(t3, **kw)
    o3.load_state_dict(tt.load(tmp_path / "torch.pt"))
    # the reference for loaded checkpoints: torch loading its own (loading casts state such as
    # NAdam's float32 mu_product to the param's dtype, so it may differ from the unbroken run)
    p4 = _params(torch, _np(pp), "float64")
    o4 = getattr(torch.optim, name)(p4, **kw)
    o4.load_state_dict(torch.load(tmp_path / "torch.pt", weights_only=True))
    for _ in range(6):
        for ps, o in ((tp, to), (pp, po), (p2, o2), (t3, o3), (p4, o4)):
            _step(ps, o)
    _close(tp, pp, "float64")
    _close(p2, p4, "float64")
    _close(t3, p4, "float64")


def test_load_state_dict_casts_to_param_dtype_and_device(device):
    ws = _weights()
    t64 = _params(tt, ws, "float64")
    o64 = optim.Adam(t64, lr=0.05)
    _step(t64, o64)
    t32 = _params(tt, ws, "float32", device)
    o32 = optim.Adam(t32, lr=0.05)
    o32.load_state_dict(o64.state_dict())
    st = o32.state[t32[0]]
    assert st["exp_avg"].dtype is tt.float32 and st["exp_avg"].device.type == device
    assert st["step"].device.type == "cpu" and st["step"].item() == 1.0
    # a fused group's saved 'step' moves to the param's device as float32 (the saved groups decide)
    t64f = _params(tt, ws, "float64")
    o64f = optim.Adam(t64f, lr=0.05, fused=True)
    _step(t64f, o64f)
    o32f = optim.Adam(_params(tt, ws, "float32", device), lr=0.05, fused=True)
    o32f.load_state_dict(o64f.state_dict())
    step = o32f.state[o32f.param_groups[0]["params"][0]]["step"]
    assert step.dtype is tt.float32 and step.device.type == device


def test_load_state_dict_errors():
    ws = _weights()
    o = optim.SGD(_params(tt, ws, "float64"), lr=0.1)
    sd = o.state_dict()
    o2 = optim.SGD([{"params": _params(tt, ws, "float64")[:2]}, {"params": _params(tt, ws, "float64")[2:]}], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
        o2.load_state_dict(sd)
    o3 = optim.SGD(_params(tt, ws, "float64")[:2], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        o3.load_state_dict(sd)


# --- LBFGS ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_matches_torch(line_search_fn):
    ws = _weights(3)
    tp, pp = _params(tt, ws, "float64"), _params(torch, ws, "float64")
    kw = dict(lr=0.5 if line_search_fn is None else 1, max_iter=10, history_size=5, line_search_fn=line_search_fn)
    to, po = optim.LBFGS(tp, **kw), torch.optim.LBFGS(pp, **kw)
    for ps, o in ((tp, to), (pp, po)):
        def closure(ps=ps, o=o):
            o.zero_grad()
            loss = _loss(ps) + (ps[0][0, :3] * ps[1][:3] ** 2).sum()
            loss.backward()
            return loss
        losses = [float(o.step(closure)) for _ in range(4)]
        if ps is tp:
            t_losses = losses
        else:
            p_losses = losses
    np.testing.assert_allclose(t_losses, p_losses, rtol=1e-10)
    _close(tp, pp, "float64") if line_search_fn is None else [
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10) for a, b in zip(_np(tp), _np(pp))]
    ts, ps_ = to.state[tp[0]], po.state[pp[0]]
    assert ts["func_evals"] == ps_["func_evals"] and ts["n_iter"] == ps_["n_iter"]


def test_lbfgs_rejects_groups_and_unknown_line_search():
    ws = _weights()
    with pytest.raises(ValueError, match=re.escape("LBFGS doesn't support per-parameter options (parameter groups)")):
        optim.LBFGS([{"params": _params(tt, ws, "float64")[:1]}, {"params": _params(tt, ws, "float64")[1:]}])
    ps = _params(tt, ws, "float64")
    o = optim.LBFGS(ps, line_search_fn="armijo")

    def closure():
        o.zero_grad()
        loss = _loss(ps)
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        o.step(closure)


# --- closures, hooks, zero_grad -----------------------------------------------------------------------

def test_step_closure_returns_loss_and_runs_with_grad():
    ps = _params(tt, _weights(), "float64")
    o = optim.Adam(ps, lr=0.1)

    def closure():
        o.zero_grad()
        loss = _loss(ps)
        loss.backward()
        return loss
    with tt.no_grad():
        loss = o.step(closure)
    assert isinstance(loss, tt.Tensor) and loss.item() == pytest.approx(float(_loss(_params(torch, _weights(),
                                                                                             "float64"))))


def test_step_hooks():
    ps = _params(tt, _weights(), "float64")
    o = optim.SGD(ps, lr=0.1)
    calls = []
    h1 = o.register_step_pre_hook(lambda opt, args, kwargs: calls.append(("pre", opt is o, args[1:], kwargs)))
    o.register_step_post_hook(lambda opt, args, kwargs: calls.append(("post", opt is o)))
    g = optim.optimizer.register_optimizer_step_pre_hook(lambda opt, args, kwargs: calls.append("global"))
    _loss(ps).backward()
    o.step()
    assert calls == ["global", ("pre", True, (), {}), ("post", True)]
    h1.remove()
    g.remove()
    calls.clear()
    o.step()
    assert calls == [("post", True)]

    # a pre hook may replace the arguments
    def closure():
        return tt.tensor(7.0)
    o.register_step_pre_hook(lambda opt, args, kwargs: (args, {"closure": closure}))
    assert o.step().item() == 7.0
    o.register_step_pre_hook(lambda opt, args, kwargs: 3)
    with pytest.raises(RuntimeError, match="must return None or a tuple of"):
        o.step()


def test_state_dict_hooks():
    ps = _params(tt, _weights(), "float64")
    o = optim.Adam(ps, lr=0.1)
    _step(ps, o)
    seen = []
    o.register_state_dict_pre_hook(lambda opt: seen.append("pre"))
    o.register_state_dict_post_hook(lambda opt, sd: dict(sd, extra=1))
    o.register_state_dict_pre_hook(lambda opt: seen.append("first"), prepend=True)
    sd = o.state_dict()
    assert seen == ["first", "pre"] and sd["extra"] == 1
    loads = []

    def pre(opt, sd):
        loads.append("pre")
        sd = dict(sd)
        sd.pop("extra")
        return sd
    o.register_load_state_dict_pre_hook(pre)
    o.register_load_state_dict_post_hook(lambda opt: loads.append("post"))
    o.load_state_dict(sd)
    assert loads == ["pre", "post"]
    assert o.state[ps[0]]["step"].item() == 1.0


def test_zero_grad():
    ps = _params(tt, _weights(), "float64")
    o = optim.SGD(ps, lr=0.1)
    _loss(ps).backward()
    o.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.detach().numpy().any() for p in ps)
    o.zero_grad()
    assert all(p.grad is None for p in ps)
    o.step()  # no grads: nothing moves, no state
    assert len(o.state) == 0


def test_getstate_setstate():
    ps = _params(tt, _weights(), "float64")
    o = optim.Adam(ps, lr=0.1)
    _step(ps, o)
    st = o.__getstate__()
    assert set(st) == {"defaults", "state", "param_groups"}
    o2 = optim.Adam.__new__(optim.Adam)
    o2.__setstate__(dict(st))
    assert o2._optimizer_step_pre_hooks == {} and o2.param_groups[0]["lr"] == 0.1
    assert o2.state[ps[0]]["step"].item() == 1.0


def test_adagrad_state_created_up_front():
    ps = _params(tt, _weights(), "float64")
    o = optim.Adagrad(ps, initial_accumulator_value=0.5)
    assert o.state[ps[1]]["sum"].detach().numpy().tolist() == [0.5] * 4


def test_optim_exports():
    for name in ("Optimizer", "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta",
                 "LBFGS"):
        assert hasattr(optim, name) and name in optim.__all__
    assert tt.optim is optim


# --- argument errors (PyTorch's messages) --------------------------------------------------------------

BAD = [
    ("SGD", dict(lr=-1)), ("SGD", dict(lr=0.1, momentum=-0.5)), ("SGD", dict(lr=0.1, weight_decay=-1)),
    ("SGD", dict(lr=0.1, nesterov=True)), ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-0.1)), ("Adam", dict(eps=-1.0)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-1)), ("Adam", dict(betas=(0.9, 1))),
    ("AdamW", dict(betas=(1.5, 0.9))), ("Adamax", dict(betas=(0.9, 1.0))), ("NAdam", dict(momentum_decay=-1.0)),
    ("RAdam", dict(eps=-1e-8)), ("RMSprop", dict(alpha=-0.1)), ("RMSprop", dict(momentum=-1.0)),
    ("Adagrad", dict(lr_decay=-1.0)), ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adadelta", dict(rho=1.5)), ("LBFGS", dict(lr=-1)),
    ("Adam", dict(fused=True, foreach=True)), ("SGD", dict(fused=True, differentiable=True)),
]


@pytest.mark.parametrize("name,kw", BAD, ids=[f"{n}-{kw}" for n, kw in BAD])
def test_bad_arguments_match_torch(name, kw):
    with pytest.raises(Exception) as ref:
        getattr(torch.optim, name)(_params(torch, _weights(), "float32"), **kw)
    with pytest.raises(type(ref.value)) as got:
        getattr(optim, name)(_params(tt, _weights(), "float32"), **kw)
    assert str(got.value) == str(ref.value)


def test_tensor_lr_must_have_one_element():
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        optim.SGD(_params(tt, _weights(), "float32"), lr=tt.tensor([0.1, 0.2]))
    with pytest.raises(ValueError, match="lr as a Tensor is not supported for capturable=False and foreach=True"):
        optim.Adam(_params(tt, _weights(), "float32"), lr=tt.tensor(0.1), foreach=True)


def test_param_argument_errors():
    ps = _params(tt, _weights(), "float32")
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an iterable of Tensors "
                                        "or dicts, but got tritorch.FloatTensor"):
        optim.SGD(ps[0], lr=0.1)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="optimizer parameters need to be organized in ordered collections"):
        optim.SGD([{"params": set(ps)}], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the params is int"):
        optim.SGD([ps[0], 3], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([ps[0] * 2], lr=0.1)


def test_add_param_group():
    ps = _params(tt, _weights(), "float32")
    o = optim.SGD(ps[:2], lr=0.1, momentum=0.9)
    o.add_param_group({"params": ps[2], "lr": 0.5})
    assert o.param_groups[1]["lr"] == 0.5 and o.param_groups[1]["momentum"] == 0.9
    assert o.param_groups[1]["params"] == [ps[2]]
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        o.add_param_group({"params": [ps[0]]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        o.add_param_group([ps[3]])
    with pytest.raises(TypeError, match="ordered collections"):
        o.add_param_group({"params": {ps[3]}})
    with pytest.raises(ValueError, match="cannot add param group with names to the optimizer"):
        o.add_param_group({"params": [("w", ps[3])]})
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([ps[3], ps[3]], lr=0.1)


def test_named_parameters_are_kept():
    ps = _params(tt, _weights(), "float32")
    o = optim.Adam([(f"p{i}", p) for i, p in enumerate(ps)])
    assert o.param_groups[0]["param_names"] == ["p0", "p1", "p2", "p3"]
    assert o.state_dict()["param_groups"][0]["param_names"] == ["p0", "p1", "p2", "p3"]


# --- fused op argument checks -------------------------------------------------------------------------

def test_fused_op_checks_lists():
    from tritorch._ops import optim as O
    ps = _params(tt, _weights(), "float32")
    gs = [tt.zeros_like(p) for p in ps]
    kw = dict(lr=0.1, momentum=0.9, dampening=0, weight_decay=0, nesterov=False, maximize=False,
              is_first=[True] * 4)
    with pytest.raises(RuntimeError, match=r"_fused_sgd_: Tensor lists must have the same number of tensors, got 4 "
                                           r"and 3 \(grads\)"):
        O.fused_sgd_(ps, gs[:3], [tt.zeros_like(p) for p in ps], **kw)
    with pytest.raises(RuntimeError, match=re.escape("_fused_sgd_: grads[1] has shape [5], but params[1] has shape "
                                                     "[4]")):
        O.fused_sgd_(ps, [gs[0], tt.zeros(5), gs[2], gs[3]], [tt.zeros_like(p) for p in ps], **kw)
    with pytest.raises(RuntimeError, match=re.escape("_fused_sgd_: grads[0] has dtype Double, but params[0] "
                                                     "has dtype Float")):
        O.fused_sgd_(ps, [gs[0].double()] + gs[1:], [tt.zeros_like(p) for p in ps], **kw)
    with pytest.raises(RuntimeError, match="expected 4 values in 'is_first'"):
        O.fused_sgd_(ps, gs, [tt.zeros_like(p) for p in ps], **dict(kw, is_first=[True]))
