"""The Triton fused recurrence (kernels/rnn.py) on the cuda device: ``rnn_recurrence`` and
``rnn_recurrence_backward`` against a float64 torch reference of the op contract (autograd gives the
gradients, including the hidden-product gradient dgh and the projected-state gradient dhp) and
against the numpy twin on the cpu device: every mode, reverse, packed batches, projection, no b_hh,
half types, strided inputs, several tiles per grid dim, launches per step and int64 offsets.

Precision: fp32 ``tl.dot`` is exact IEEE in Triton's interpreter whatever ``tf32`` says; on a GPU the
tf32 case would need tf32 tolerances (it only checks that the attr reaches the kernel here).
"""
import numpy as np
import pytest
import torch

import tritorch as tt
from tritorch._registry import call
from tritorch._ops.rnn import plan
from tests.conftest import DEVICES
from tests.launch_spy import BIG, record_launches, i64s

pytestmark = pytest.mark.skipif("cuda" not in DEVICES, reason="no cuda device (GPU or interpreter)")

GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
TOL = {tt.float64: 1e-10, tt.float32: 2e-5, tt.float16: 4e-3, tt.bfloat16: 3e-2}
FWD = ("y", "h_n", "c_n", "reserve")
BWD = ("dxproj", "dgh", "dh0", "dc0", "dhp")


def _data(mode, bs, H, P=0, bias=True, seed=0):
    """Inputs and output gradients (float64 numpy) of one layer: xproj, w_hh, b_hh, h0, c0, w_hr,
    then grad_y, grad_hn, grad_cn."""
    rng = np.random.default_rng(seed)
    G, B, N, K = GATES[mode], bs[0], sum(bs), P or H
    lstm = mode == "lstm"
    inputs = dict(xproj=rng.standard_normal((N, G * H)), w_hh=rng.standard_normal((G * H, K)) * 0.6,
                  b_hh=rng.standard_normal(G * H) if bias else None, h0=rng.standard_normal((B, K)),
                  c0=rng.standard_normal((B, H)) if lstm else None,
                  w_hr=rng.standard_normal((P, H)) * 0.6 if P else None)
    grads = dict(grad_y=rng.standard_normal((N, K)), grad_hn=rng.standard_normal((B, K)),
                 grad_cn=rng.standard_normal((B, H)) if lstm else None)
    return inputs, grads


def _reference(mode, bs, reverse, inputs, grads):
    """The op contract in float64 torch ops, step by step; returns {output name: numpy array}."""
    p = {k: None if v is None else torch.tensor(v, requires_grad=True) for k, v in inputs.items()}
    G, B, T = GATES[mode], bs[0], len(bs)
    H = inputs["w_hh"].shape[0] // G
    off = [sum(bs[:t]) for t in range(T)]
    order = list(range(T))[::-1] if reverse else list(range(T))
    ys, reserves, hidden = [None] * T, [None] * T, [None] * T
    h_n, c_n = [None] * B, [None] * B
    h = c = None
    for s, t in enumerate(order):
        n = bs[t]
        m = min(n, h.shape[0]) if s else 0
        hp = torch.cat([h[:m], p["h0"][m:n]]) if s else p["h0"][:n]
        a = hp @ p["w_hh"].T + (p["b_hh"] if p["b_hh"] is not None else 0)
        a.retain_grad()
        hidden[t] = a
        x = p["xproj"][off[t]:off[t] + n]
        if mode == "lstm":
            v = x + a
            i, f, o = (torch.sigmoid(v[:, k * H:(k + 1) * H]) for k in (0, 1, 3))
            g = torch.tanh(v[:, 2 * H:3 * H])
            c = f * (torch.cat([c[:m], p["c0"][m:n]]) if s else p["c0"][:n]) + i * g
            hc = o * torch.tanh(c)
            new = hc if p["w_hr"] is None else hc @ p["w_hr"].T
            reserves[t] = torch.cat([i, f, g, o, c] + ([hc] if p["w_hr"] is not None else []), 1)
        elif mode == "gru":
            r, z = torch.sigmoid(x[:, :H] + a[:, :H]), torch.sigmoid(x[:, H:2 * H] + a[:, H:2 * H])
            nn_ = torch.tanh(x[:, 2 * H:] + r * a[:, 2 * H:])
            new = (1 - z) * nn_ + z * hp
            reserves[t] = torch.cat([r, z, nn_, a[:, 2 * H:]], 1)
        else:
            new = torch.tanh(x + a) if mode == "rnn_tanh" else torch.relu(x + a)
            reserves[t] = x[:, :0]
        new.retain_grad()
        ys[t] = new
        n_next = min(bs[order[s + 1]], n) if s + 1 < T else 0
        for b in range(n_next, n):
            h_n[b] = new[b]
            c_n[b] = c[b] if c is not None else None
        h = new
    y, h_n = torch.cat(ys), torch.stack(h_n)
    loss = (y * torch.tensor(grads["grad_y"])).sum() + (h_n * torch.tensor(grads["grad_hn"])).sum()
    out = dict(y=y, h_n=h_n, reserve=torch.cat(reserves), c_n=torch.zeros(0))
    if mode == "lstm":
        out["c_n"] = torch.stack(c_n)
        loss = loss + (out["c_n"] * torch.tensor(grads["grad_cn"])).sum()
    loss.backward()
    out = {k: v.detach().numpy() for k, v in out.items()}
    empty = np.zeros(0)
    out.update(dxproj=p["xproj"].grad.numpy(), dh0=p["h0"].grad.numpy(),
               dgh=np.concatenate([a.grad.numpy() for a in hidden]) if mode == "gru" else empty,
               dc0=p["c0"].grad.numpy() if mode == "lstm" else empty,
               dhp=np.concatenate([v.grad.numpy() for v in ys]) if inputs["w_hr"] is not None else empty)
    return out


def _run(device, mode, bs, reverse, inputs, grads, dtype, strided=False, **attrs):
    """Forward and backward through the registry on ``device``; {output name: float64 numpy array}.
    ``strided``: xproj, w_hh, h0 and grad_y are non-contiguous views."""
    def mk(v, name):
        if v is None:
            return None
        if strided and name in ("xproj", "grad_y", "h0"):
            # Every other column of a wider array: a column stride of 2.
            wide = np.zeros((v.shape[0], 2 * v.shape[1]))
            wide[:, ::2] = v
            return tt.tensor(wide, dtype=dtype, device=device)[:, ::2]
        if strided and name == "w_hh":
            return tt.tensor(np.ascontiguousarray(v.T), dtype=dtype, device=device).t()
        return tt.tensor(v, dtype=dtype, device=device)

    t = {k: mk(v, k) for k, v in list(inputs.items()) + list(grads.items())}
    if strided:
        assert not t["xproj"].is_contiguous() and not t["w_hh"].is_contiguous()
    sizes = dict(steps=plan(bs, reverse), mode=mode, **attrs)
    fwd = call("rnn_recurrence", t["xproj"], t["w_hh"], t["b_hh"], t["h0"], t["c0"], t["w_hr"], **sizes)
    bwd = call("rnn_recurrence_backward", t["grad_y"], t["grad_hn"], t["grad_cn"], t["w_hh"], t["b_hh"], t["h0"],
               t["c0"], t["w_hr"], fwd[0], fwd[3], **sizes)
    assert all(o.device.type == device and o.dtype is dtype for o in fwd + bwd)
    return {k: o.cpu().numpy().astype(np.float64) for k, o in zip(FWD + BWD, fwd + bwd)}


def _check(mode, bs, reverse, H=5, P=0, bias=True, dtype=tt.float64, strided=False, twin=True, seed=0):
    inputs, grads = _data(mode, bs, H, P, bias, seed)
    if dtype is not tt.float64:
        # The reference starts from the values the half / single inputs hold.
        inputs = {k: None if v is None else tt.tensor(v, dtype=dtype).double().numpy() for k, v in inputs.items()}
        grads = {k: None if v is None else tt.tensor(v, dtype=dtype).double().numpy() for k, v in grads.items()}
    got = _run("cuda", mode, bs, reverse, inputs, grads, dtype, strided)
    exp = _reference(mode, bs, reverse, inputs, grads)
    tol = TOL[dtype]
    for k in FWD + BWD:
        assert got[k].shape == exp[k].shape, k
        np.testing.assert_allclose(got[k], exp[k], rtol=tol, atol=tol, err_msg=k)
    if twin:
        cpu = _run("cpu", mode, bs, reverse, inputs, grads, dtype)
        for k in FWD + BWD:
            np.testing.assert_allclose(got[k], cpu[k], rtol=tol, atol=tol, err_msg=k)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("mode", list(GATES))
def test_modes_packed(mode, reverse):
    _check(mode, (3, 2, 2, 1), reverse)


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_projection_no_bias(reverse):
    _check("lstm", (3, 3, 1), reverse, H=6, P=3, bias=False)


def test_padded_batch_float32_tf32_attr():
    # bs = (B,) * T: a padded batch; ``tf32`` is only honoured by GPU dots (exact in the interpreter).
    from tritorch.kernels._launch import INTERPRETED
    inputs, grads = _data("gru", (2, 2, 2), 4)
    got = _run("cuda", "gru", (2, 2, 2), False, inputs, grads, tt.float32, tf32=True)
    exp = _reference("gru", (2, 2, 2), False, inputs, grads)
    tol = 1e-4 if INTERPRETED else 1e-2
    for k in FWD + BWD:
        np.testing.assert_allclose(got[k], exp[k], rtol=tol, atol=tol, err_msg=k)


@pytest.mark.parametrize("dtype", [tt.float16, tt.bfloat16])
def test_half_types(dtype):
    # fp32 math, one rounding per stored value: the reference runs in float64 on the same inputs.
    _check("lstm", (3, 2, 1), False, H=4, dtype=dtype)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_strided_inputs(mode):
    _check(mode, (3, 2, 2), mode == "gru", H=4, strided=True)


@pytest.mark.parametrize("mode,P", [("lstm", 3), ("gru", 0)])
def test_several_tiles(monkeypatch, mode, P):
    """B = 17, H = 20 on 16 x 16 tiles with a 16-wide reduction chunk: two row blocks (the second
    one idle in the recurrent GEMM once fewer rows continue), two hidden-column blocks and two or
    more K chunks in every GEMM."""
    from tritorch.kernels import rnn
    monkeypatch.setattr(rnn, "_tiles", lambda *a: (16, 16, 16, 4, 1))
    _check(mode, (17, 9, 3), mode == "gru", H=20, P=P, twin=False)


def test_launches_per_step(monkeypatch):
    """One kernel per step; the GEMMs the contract allows come from the fused matmul: dh0 where rows
    start from h0, and with w_hr the projection (forward) per step; with w_hr the backward has two
    kernels per step."""
    from tritorch.kernels import rnn, linear, _elementwise
    t = {k: None if v is None else tt.tensor(v, device="cuda") for k, v in _data("lstm", (3, 2, 2), 4)[0].items()}
    y, r, gy = (tt.zeros(7, n, device="cuda", dtype=tt.float64) for n in (4, 24, 4))
    calls = record_launches(monkeypatch, rnn, linear, _elementwise)
    call("rnn_recurrence", t["xproj"], t["w_hh"], t["b_hh"], t["h0"], t["c0"], None, steps=plan((3, 2, 2), False),
         mode="lstm")
    assert [c[0].fn.__name__ for c in calls] == ["_fwd_step_kernel"] * 3
    calls.clear()
    call("rnn_recurrence_backward", gy, t["h0"], t["c0"], t["w_hh"], t["b_hh"], t["h0"], t["c0"], None, y, r[:, :20],
         steps=plan((3, 2, 2), True), mode="lstm")
    # reverse: rows start from h0 at each step where the batch grows (steps t = 2 and t = 0).
    assert [c[0].fn.__name__ for c in calls] == ["_bwd_step_kernel", "_fused_matmul_kernel", "_bwd_step_kernel",
                                                 "_bwd_step_kernel", "_fused_matmul_kernel"]
    # With w_hr: + the projection GEMM per step and, where sequences end (t = 0, 2), the copy to h_n;
    # the backward's dhp kernel before each step kernel.
    t = {k: None if v is None else tt.tensor(v, device="cuda") for k, v in _data("lstm", (3, 2, 2), 4, 2)[0].items()}
    calls.clear()
    call("rnn_recurrence", t["xproj"], t["w_hh"], t["b_hh"], t["h0"], t["c0"], t["w_hr"],
         steps=plan((3, 2, 2), False), mode="lstm")
    step = ["_fwd_step_kernel", "_fused_matmul_kernel"]
    assert [c[0].fn.__name__ for c in calls] == step + ["_pointwise_kernel"] + step + step + ["_pointwise_kernel"]
    calls.clear()
    call("rnn_recurrence_backward", gy[:, :2], t["h0"], t["c0"], t["w_hh"], t["b_hh"], t["h0"], t["c0"], t["w_hr"],
         y[:, :2], r[:, :24], steps=plan((3, 2, 2), False), mode="lstm")
    assert [c[0].fn.__name__ for c in calls] == ["_bwd_dh_kernel", "_bwd_step_kernel"] * 3 + ["_fused_matmul_kernel"]


def test_int64_offsets(monkeypatch):
    """Operands whose views reach element 2**31 switch the step kernels to int64 offsets."""
    from tritorch.kernels import rnn
    calls = record_launches(monkeypatch, rnn)
    buf = tt.zeros(8, device="cuda")._data
    out = [tt.zeros(n, device="cuda")._data for n in (4, 2, 1, 1)]
    y, h_n, c_n, res = out[0].view_as((2, 2), (2, 1)), out[1].view_as((1, 2), (2, 1)), out[2].view_as((0,), (1,)), \
        out[3].view_as((2, 0), (0, 1))
    small = buf.view_as((2, 2), (2, 1))
    for xproj in (buf.view_as((2, 2), (BIG, 1)), small):
        rnn.rnn_recurrence((y, h_n, c_n, res), xproj, small, None, buf.view_as((1, 2), (2, 1)), None, None,
                           steps=plan((1, 1), False), mode="rnn_tanh")
    assert i64s(calls) == [True, True, False, False]


def test_bad_input_message():
    t = {k: None if v is None else tt.tensor(v, device="cuda") for k, v in _data("gru", (2, 1), 3)[0].items()}
    with pytest.raises(RuntimeError, match=r"rnn_recurrence: expected h0 of shape \[2, 3\], but got \[1, 3\]"):
        call("rnn_recurrence", t["xproj"], t["w_hh"], t["b_hh"], t["h0"][:1], None, None, steps=plan((2, 1), False),
             mode="gru")
