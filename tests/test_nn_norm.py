"""Normalization layers (tritorch.nn BatchNorm*, InstanceNorm*, LayerNorm, GroupNorm, RMSNorm,
LocalResponseNorm) against torch.nn on both devices: weights copied through state dicts, outputs,
input/parameter gradients and running buffers over several training steps, eval mode, repr,
state-dict keys, default init, the old-checkpoint upgrades and torch's errors."""
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch

import tritorch as tt

TOL = 1e-9


def _np(t):
    """A tritorch or torch tensor as a numpy array."""
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return t.detach().cpu().numpy()


def _copy_state(tm, m):
    """Loads torch module ``tm``'s state dict into ``m`` (proves keys and shapes agree)."""
    m.load_state_dict({k: tt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _randomize(tm, seed=0):
    """Non-trivial affine parameters in the torch module (copied over afterwards)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.rand(p.shape, generator=gen, dtype=p.dtype) + 0.5)


def _pair(torch_cls, tt_cls, device, *args, **kwargs):
    tm = torch_cls(*args, **kwargs).double()
    m = tt_cls(*args, **kwargs, device=device, dtype=tt.float64)
    _randomize(tm)
    _copy_state(tm, m)
    return tm, m


def _step(tm, m, x, device, seed=0):
    """One forward + backward on both; compares output, input grad, parameter grads, buffers."""
    g = np.random.default_rng(seed + 100).standard_normal(x.shape)
    xt = torch.tensor(x, requires_grad=True)
    yt = tm(xt)
    yt.backward(torch.tensor(g))
    xx = tt.tensor(x, device=device, requires_grad=True)
    y = m(xx)
    assert y.device.type == device and y.shape == tuple(yt.shape)
    y.backward(tt.tensor(g, device=device))
    np.testing.assert_allclose(_np(y), _np(yt), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(_np(xx.grad), _np(xt.grad), rtol=1e-8, atol=1e-8)
    params = dict(m.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(_np(params[name].grad), _np(p.grad), rtol=1e-8, atol=1e-8, err_msg=name)
        params[name].grad = None
        p.grad = None
    _check_buffers(tm, m)


def _check_buffers(tm, m):
    bufs = dict(m.named_buffers())
    assert sorted(bufs) == sorted(n for n, _ in tm.named_buffers())
    for name, b in tm.named_buffers():
        assert str(bufs[name].dtype).split(".")[-1] == str(b.dtype).split(".")[-1], name
        np.testing.assert_allclose(_np(bufs[name]), _np(b), rtol=TOL, atol=TOL, err_msg=name)


def _rand(shape, seed=0):
    return np.random.default_rng(seed).uniform(-2, 3, shape)


# ---- BatchNorm ---------------------------------------------------------------------------------------------

BN_CASES = [("BatchNorm1d", (4, 3)), ("BatchNorm1d", (3, 3, 4)), ("BatchNorm2d", (2, 3, 2, 3)),
            ("BatchNorm3d", (2, 3, 2, 1, 2))]


@pytest.mark.parametrize("momentum", [0.1, None], ids=["m0.1", "cma"])
@pytest.mark.parametrize("name,shape", BN_CASES, ids=lambda c: c if isinstance(c, str) else "x".join(map(str, c)))
def test_batchnorm_train_steps_then_eval(name, shape, momentum, device):
    tm, m = _pair(getattr(torch.nn, name), getattr(tt.nn, name), device, 3, momentum=momentum)
    for step in range(3):
        _step(tm, m, _rand(shape, step), device, step)
    assert int(m.num_batches_tracked) == 3 and m.num_batches_tracked.dtype == tt.int64
    tm.eval()
    m.eval()
    _step(tm, m, _rand(shape, 9), device, 9)
    assert int(m.num_batches_tracked) == 3  # eval steps are not counted


@pytest.mark.parametrize("kwargs", [dict(affine=False), dict(track_running_stats=False), dict(bias=False),
                                    dict(affine=False, track_running_stats=False, eps=1e-3)],
                         ids=["no_affine", "no_stats", "no_bias", "neither"])
def test_batchnorm_options(kwargs, device):
    tm, m = _pair(torch.nn.BatchNorm1d, tt.nn.BatchNorm1d, device, 2, **kwargs)
    assert list(m.state_dict()) == list(tm.state_dict())
    for step in range(2):
        _step(tm, m, _rand((3, 2, 2), step), device, step)
    tm.eval()
    m.eval()
    # Without running stats eval mode still normalizes with the batch's own statistics.
    _step(tm, m, _rand((3, 2, 2), 5), device, 5)


def test_batchnorm_repr_keys_and_init():
    for kwargs in [{}, dict(eps=1e-3, momentum=None), dict(affine=False), dict(track_running_stats=False),
                   dict(bias=False)]:
        for name in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d"):
            tm, m = getattr(torch.nn, name)(4, **kwargs), getattr(tt.nn, name)(4, **kwargs)
            assert repr(m) == repr(tm)
            assert list(m.state_dict()) == list(tm.state_dict())
            for k, v in tm.state_dict().items():
                np.testing.assert_array_equal(_np(m.state_dict()[k]), v.numpy())
    m = tt.nn.BatchNorm2d(3)
    assert m.state_dict()._metadata[""]["version"] == 2
    assert m.num_batches_tracked.shape == () and m.running_mean.dtype == tt.float32
    assert m.weight.requires_grad and not m.running_var.requires_grad
    assert tt.nn.BatchNorm1d(2, track_running_stats=False).running_mean is None


def test_batchnorm_reset_running_stats(device):
    m = tt.nn.BatchNorm1d(2, device=device)
    m(tt.tensor(_rand((4, 2)), dtype=tt.float32, device=device))
    assert int(m.num_batches_tracked) == 1 and not np.allclose(_np(m.running_mean), 0)
    m.reset_running_stats()
    np.testing.assert_array_equal(_np(m.running_mean), [0, 0])
    np.testing.assert_array_equal(_np(m.running_var), [1, 1])
    assert int(m.num_batches_tracked) == 0
    with tt.no_grad():
        m.weight.fill_(3)
    m.reset_parameters()
    np.testing.assert_array_equal(_np(m.weight), [1, 1])


@pytest.mark.parametrize("version", [None, 1])
def test_batchnorm_old_state_dict_gets_num_batches_tracked(version):
    """A checkpoint from before version 2 has no num_batches_tracked: the module keeps its own."""
    tm, m = torch.nn.BatchNorm1d(2), tt.nn.BatchNorm1d(2)
    x = _rand((4, 2))
    for _ in range(2):
        tm(torch.tensor(x, dtype=torch.float32))
        m(tt.tensor(x, dtype=tt.float32))
    old_t = OrderedDict((k, v) for k, v in tm.state_dict().items() if k != "num_batches_tracked")
    old = OrderedDict((k, tt.tensor(v.numpy())) for k, v in old_t.items())
    if version is not None:
        old_t._metadata = OrderedDict({"": {"version": version}})
        old._metadata = OrderedDict({"": {"version": version}})
    tm.load_state_dict(old_t)
    m.load_state_dict(old)
    assert int(m.num_batches_tracked) == int(tm.num_batches_tracked) == 2
    # A fresh module gets 0, inside a container too (prefixed key).
    seq = tt.nn.Sequential(tt.nn.BatchNorm1d(2))
    seq.load_state_dict(OrderedDict(("0." + k, v) for k, v in old.items()))
    assert int(seq[0].num_batches_tracked) == 0


def test_batchnorm_new_state_dict_missing_key_is_an_error():
    m = tt.nn.BatchNorm1d(2)
    sd = m.state_dict()
    del sd["num_batches_tracked"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "num_batches_tracked"'):
        m.load_state_dict(sd)


@pytest.mark.parametrize("name,bad,msg", [("BatchNorm1d", (2, 2, 2, 2), "expected 2D or 3D input (got 4D input)"),
                                          ("BatchNorm1d", (2,), "expected 2D or 3D input (got 1D input)"),
                                          ("BatchNorm2d", (2, 2, 2), "expected 4D input (got 3D input)"),
                                          ("BatchNorm3d", (2, 2, 2, 2), "expected 5D input (got 4D input)")])
def test_batchnorm_dim_errors(name, bad, msg):
    with pytest.raises(ValueError) as e_torch:
        getattr(torch.nn, name)(2)(torch.zeros(bad))
    with pytest.raises(ValueError) as e:
        getattr(tt.nn, name)(2)(tt.zeros(bad))
    assert str(e.value) == str(e_torch.value) == msg


# ---- InstanceNorm --------------------------------------------------------------------------------------------

IN_CASES = [("InstanceNorm1d", (2, 3, 4)), ("InstanceNorm1d", (3, 5)), ("InstanceNorm2d", (2, 3, 2, 3)),
            ("InstanceNorm3d", (3, 2, 1, 3))]


@pytest.mark.parametrize("kwargs", [{}, dict(affine=True, track_running_stats=True),
                                    dict(track_running_stats=True, momentum=None)],
                         ids=["default", "affine_stats", "stats_cma"])
@pytest.mark.parametrize("name,shape", IN_CASES, ids=lambda c: c if isinstance(c, str) else "x".join(map(str, c)))
def test_instancenorm(name, shape, kwargs, device):
    tm, m = _pair(getattr(torch.nn, name), getattr(tt.nn, name), device, 3, **kwargs)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    for step in range(2):
        _step(tm, m, _rand(shape, step), device, step)
    tm.eval()
    m.eval()
    _step(tm, m, _rand(shape, 4), device, 4)


def test_instancenorm_num_features_mismatch():
    x = _rand((2, 4, 3))
    with pytest.warns(UserWarning) as w_torch:
        torch.nn.InstanceNorm1d(3)(torch.tensor(x))
    with pytest.warns(UserWarning) as w:
        y = tt.nn.InstanceNorm1d(3)(tt.tensor(x))
    assert str(w[0].message) == str(w_torch[0].message)
    assert "input's size at dim=1 does not match num_features" in str(w[0].message)
    np.testing.assert_allclose(_np(y), _np(torch.nn.functional.instance_norm(torch.tensor(x))), atol=1e-9)
    with pytest.raises(ValueError) as e_torch:
        torch.nn.InstanceNorm2d(3, affine=True)(torch.zeros(5, 2, 2))
    with pytest.raises(ValueError) as e:
        tt.nn.InstanceNorm2d(3, affine=True)(tt.zeros(5, 2, 2))
    assert str(e.value) == str(e_torch.value) == \
        "expected input's size at dim=0 to match num_features (3), but got: 5."
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tt.nn.InstanceNorm1d(4)(tt.tensor(x))


@pytest.mark.parametrize("name,bad", [("InstanceNorm1d", (2, 2, 2, 2)), ("InstanceNorm2d", (2, 2)),
                                      ("InstanceNorm3d", (2, 2, 2))])
def test_instancenorm_dim_errors(name, bad):
    with pytest.raises(ValueError) as e_torch:
        getattr(torch.nn, name)(2)(torch.zeros(bad))
    with pytest.raises(ValueError) as e:
        getattr(tt.nn, name)(2)(tt.zeros(bad))
    assert str(e.value) == str(e_torch.value)


def test_instancenorm_old_checkpoint_with_running_stats():
    """Pre-0.4 checkpoints (no version) carry running stats that a default InstanceNorm lacks."""
    sd = OrderedDict(running_mean=tt.zeros(3), running_var=tt.ones(3))
    sd_t = OrderedDict(running_mean=torch.zeros(3), running_var=torch.ones(3))
    with pytest.raises(RuntimeError) as e_torch:
        torch.nn.InstanceNorm1d(3).load_state_dict(sd_t)
    with pytest.raises(RuntimeError) as e:
        tt.nn.InstanceNorm1d(3).load_state_dict(sd)
    assert str(e.value) == str(e_torch.value)
    assert 'Unexpected running stats buffer(s) "running_mean" and "running_var"' in str(e.value)
    # With a version the keys are ordinary unexpected keys.
    sd._metadata = OrderedDict({"": {"version": 2}})
    with pytest.raises(RuntimeError, match="Unexpected key"):
        tt.nn.InstanceNorm1d(3).load_state_dict(sd)


# ---- LayerNorm / GroupNorm / RMSNorm ----------------------------------------------------------------------------

@pytest.mark.parametrize("args,kwargs,shape", [((4,), {}, (2, 4)), (([3, 2],), dict(eps=1e-3), (2, 3, 2)),
                                               ((3,), dict(bias=False), (2, 2, 3)),
                                               ((3,), dict(elementwise_affine=False), (4, 3))],
                         ids=["plain", "2d_eps", "no_bias", "no_affine"])
def test_layernorm(args, kwargs, shape, device):
    tm, m = _pair(torch.nn.LayerNorm, tt.nn.LayerNorm, device, *args, **kwargs)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    assert m.normalized_shape == tm.normalized_shape
    _step(tm, m, _rand(shape), device)


@pytest.mark.parametrize("args,kwargs,shape", [((2, 4), {}, (2, 4, 3)), ((3, 3), dict(eps=1e-2), (2, 3, 2, 2)),
                                               ((1, 2), dict(affine=False), (3, 2)),
                                               ((2, 2), dict(bias=False), (2, 2, 3))],
                         ids=["plain", "eps", "no_affine", "no_bias"])
def test_groupnorm(args, kwargs, shape, device):
    tm, m = _pair(torch.nn.GroupNorm, tt.nn.GroupNorm, device, *args, **kwargs)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    _step(tm, m, _rand(shape), device)


def test_groupnorm_divisibility_error():
    with pytest.raises(ValueError) as e_torch:
        torch.nn.GroupNorm(3, 4)
    with pytest.raises(ValueError) as e:
        tt.nn.GroupNorm(3, 4)
    assert str(e.value) == str(e_torch.value) == "num_channels (4) must be divisible by num_groups (3)"


@pytest.mark.parametrize("args,kwargs,shape", [((4,), {}, (2, 4)), (((2, 3),), dict(eps=1e-2), (2, 2, 3)),
                                               ((3,), dict(elementwise_affine=False), (4, 3))],
                         ids=["plain", "eps", "no_affine"])
def test_rmsnorm(args, kwargs, shape, device):
    tm, m = _pair(torch.nn.RMSNorm, tt.nn.RMSNorm, device, *args, **kwargs)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    _step(tm, m, _rand(shape), device)


def test_affine_default_init():
    for m in (tt.nn.LayerNorm((2, 3)), tt.nn.GroupNorm(2, 4), tt.nn.RMSNorm(3), tt.nn.BatchNorm1d(3),
              tt.nn.InstanceNorm1d(3, affine=True)):
        np.testing.assert_array_equal(_np(m.weight), np.ones(m.weight.shape))
        if getattr(m, "bias", None) is not None:
            np.testing.assert_array_equal(_np(m.bias), np.zeros(m.bias.shape))
        assert m.weight.dtype == tt.float32
    m = tt.nn.LayerNorm(3, dtype=tt.float64)
    assert m.weight.dtype == m.bias.dtype == tt.float64


# ---- LocalResponseNorm ---------------------------------------------------------------------------------------

def test_local_response_norm_repr():
    assert repr(tt.nn.LocalResponseNorm(3)) == repr(torch.nn.LocalResponseNorm(3))
    assert repr(tt.nn.LocalResponseNorm(2, 1e-3, 0.5, 2.0)) == repr(torch.nn.LocalResponseNorm(2, 1e-3, 0.5, 2.0))


@pytest.mark.parametrize("args,shape", [((2,), (2, 4, 3)), ((3, 1e-2, 0.5, 2.0), (1, 5, 2, 2))])
def test_local_response_norm(args, shape, device):
    _step(torch.nn.LocalResponseNorm(*args), tt.nn.LocalResponseNorm(*args), _rand(shape), device)
