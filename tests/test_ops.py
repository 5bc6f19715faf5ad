"""Runs the op table (tests/opinfo): forward vs numpy reference for every dtype and sample,
float64 gradcheck, and the registry-completeness check."""
import numpy as np
import pytest

import tritorch as tt
from tritorch._registry import OPS, array_api
from tests.opinfo import all_opinfos
from tests.opinfo.core import assert_close, to_ref

OPINFOS = all_opinfos()


def _cases():
    for info in OPINFOS:
        for dt in info.dtypes:
            yield pytest.param(info, dt, id=f"{info.name}-{dt.name}")


@pytest.mark.parametrize("info,dtype", list(_cases()))
def test_forward_matches_reference(info, dtype, device):
    samples = info.samples(dtype, device)
    assert samples, f"{info.name}: no samples for {dtype}"
    for s in samples:
        out = info.fn(*s.args, **s.kwargs)
        expected = info.ref(*to_ref(s.args), **s.kwargs)
        if info.compare is not None:
            info.compare(out, expected, dtype)
        else:
            assert_close(out, expected, dtype, info.tol)


@pytest.mark.parametrize("info", [i for i in OPINFOS if i.grad and tt.float64 in i.dtypes], ids=repr)
def test_gradcheck(info):
    for s in info.samples(tt.float64, "cpu"):
        idx = info.grad_args
        if idx is None:
            idx = [i for i, a in enumerate(s.args) if isinstance(a, tt.Tensor) and a.dtype.is_floating_point]
        if not idx or any(s.args[i].numel() == 0 for i in idx):
            continue
        args = list(s.args)
        for i in idx:
            args[i] = args[i].detach().clone().requires_grad_(True)
        assert tt.autograd.gradcheck(lambda *a: info.fn(*a, **s.kwargs), tuple(args)), s.name


def _to(x, device):
    if isinstance(x, tt.Tensor):
        return x.detach().to(device)
    if isinstance(x, (list, tuple)):
        return type(x)(_to(v, device) for v in x)
    return x


def _grads(info, s, idx, device, weights):
    args = [_to(a, device) for a in s.args]
    kwargs = {k: _to(v, device) for k, v in s.kwargs.items()}
    for i in idx:
        args[i].requires_grad_(True)
    out = info.fn(*args, **kwargs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    loss = None
    for o, w in zip(outs, weights):
        if isinstance(o, tt.Tensor) and o.dtype.is_floating_point and o.requires_grad:
            term = (o * w.to(device)).sum()
            loss = term if loss is None else loss + term
    if loss is None:
        return None
    gs = tt.autograd.grad(loss, [args[i] for i in idx], allow_unused=True)
    return [None if g is None else g.cpu().numpy() for g in gs]


@pytest.mark.skipif("cuda" not in __import__("tests.conftest", fromlist=["DEVICES"]).DEVICES, reason="no cuda device")
@pytest.mark.parametrize("info", [i for i in OPINFOS if i.grad and tt.float64 in i.dtypes], ids=repr)
def test_cuda_gradients_match_cpu(info):
    """Backward on cuda (same inputs, same upstream weights) equals backward on cpu in float64."""
    rng = np.random.default_rng(1)
    for s in info.samples(tt.float64, "cpu"):
        idx = info.grad_args
        if idx is None:
            idx = [i for i, a in enumerate(s.args) if isinstance(a, tt.Tensor) and a.dtype.is_floating_point]
        if not idx:
            continue
        out = info.fn(*s.args, **s.kwargs)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        weights = [tt.tensor(rng.uniform(0.5, 1.5, size=tuple(o.shape))) if isinstance(o, tt.Tensor) else None
                   for o in outs]
        g_cpu = _grads(info, s, idx, "cpu", weights)
        g_cuda = _grads(info, s, idx, "cuda", weights)
        if g_cpu is None:
            continue
        for a, b in zip(g_cpu, g_cuda):
            assert (a is None) == (b is None), s.name
            if a is not None:
                np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12, err_msg=f"{info.name} {s.name}")


def test_every_registry_op_has_impl_and_table_entry():
    covered = set()
    for info in OPINFOS:
        covered.update(info.covers)
    missing_entry = sorted(set(OPS) - covered)
    assert not missing_entry, f"registry ops without an op-table entry: {missing_entry}"
    devices = ["cpu"] + (["cuda"] if "cuda" in __import__("tests.conftest", fromlist=["DEVICES"]).DEVICES else [])
    for d in devices:
        array_api(d)  # backends attach their impls when first loaded
    missing_impl = [(name, d) for name, op in OPS.items() if not op.view for d in devices if d not in op.impls]
    assert not missing_impl, f"registry ops without an implementation: {missing_impl}"


def test_op_table_covers_only_real_ops():
    unknown = sorted({c for info in OPINFOS for c in info.covers} - set(OPS) - {"__composite__"})
    assert not unknown, f"op-table entries cover ops that are not in the registry: {unknown}"
