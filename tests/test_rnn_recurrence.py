"""The fused recurrence ops ``rnn_recurrence`` / ``rnn_recurrence_backward`` (one layer, one
direction; contract in tritorch/_ops/rnn.py) on both devices against a torch float64 reference of
the contract's math, one Python step at a time over the packed batch.

The reference is itself checked against torch.nn.LSTM / GRU / RNN (bidirectional: the forward and
the reverse direction) on a padded and a packed batch.  Its autograd gradients check the backward
op's outputs (dxproj, dh0, dc0) and the contract the autograd node relies on: the weight gradients
formed from the op's outputs, dW_hh = G^T H_prev, db_hh = sum(G), dW_hr = dhp^T hcell.
"""
import re

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

import tritorch as tt
from tritorch._registry import call
from tritorch._ops.rnn import plan

GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
PADDED, PACKED = (3, 3, 3), (3, 3, 2, 1)
H, P = 5, 3
TOL = {tt.float32: (1e-4, 2e-5), tt.float16: (1e-2, 1e-2), tt.bfloat16: (6e-2, 6e-2)}
ROUND = {tt.float32: np.float32, tt.float16: np.float16}


def _offsets(bs):
    return [sum(bs[:t]) for t in range(len(bs))]


def _order(bs, reverse):
    order = list(range(len(bs)))
    return order[::-1] if reverse else order


def reference(xproj, w_hh, b_hh, h0, c0, w_hr, bs, mode, reverse):
    """The contract's forward in torch ops: y (N, K), h_n (B, K), c_n (B, H) | None, reserve (N, R).
    The state of sequence b lives in row b of h / c; step t updates rows b < bs[t]."""
    off, h, c = _offsets(bs), h0, c0
    ys, res = [None] * len(bs), [None] * len(bs)
    for t in _order(bs, reverse):
        n = bs[t]
        x, hp = xproj[off[t]:off[t] + n], h[:n]
        a = hp @ w_hh.T + (0 if b_hh is None else b_hh)
        if mode == "lstm":
            i, f, g, o = (x + a).split(H, 1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            cell = f * c[:n] + i * g
            hcell = o * torch.tanh(cell)
            hnew = hcell if w_hr is None else hcell @ w_hr.T
            c = torch.cat([cell, c[n:]])
            res[t] = torch.cat([i, f, g, o, cell] + ([] if w_hr is None else [hcell]), 1)
        elif mode == "gru":
            (xr, xz, xn), (ar, az, an) = x.split(H, 1), a.split(H, 1)
            r, z = torch.sigmoid(xr + ar), torch.sigmoid(xz + az)
            nn = torch.tanh(xn + r * an)
            hnew = (1 - z) * nn + z * hp
            res[t] = torch.cat([r, z, nn, an], 1)
        else:
            hnew = torch.tanh(x + a) if mode == "rnn_tanh" else torch.relu(x + a)
            res[t] = x.new_zeros(n, 0)
        h = torch.cat([hnew, h[n:]])
        ys[t] = hnew
    return torch.cat(ys), h, c, torch.cat(res)


def _hprev(y, h0, bs, reverse):
    """Each row's previous state in packed row order: the previous step's row of y, else h0."""
    off, order, out = _offsets(bs), _order(bs, reverse), np.empty_like(y)
    for s, t in enumerate(order):
        n = bs[t]
        out[off[t]:off[t] + n] = h0[:n]
        if s:
            p = order[s - 1]
            m = min(bs[p], n)
            out[off[t]:off[t] + m] = y[off[p]:off[p] + m]
    return out


def _inputs(mode, bs, proj, bias, seed):
    rng = np.random.default_rng(seed)
    G, B, N = GATES[mode], bs[0], sum(bs)
    K = P if proj else H
    return {"xproj": rng.standard_normal((N, G * H)), "w_hh": 0.5 * rng.standard_normal((G * H, K)),
            "b_hh": 0.3 * rng.standard_normal(G * H) if bias else None, "h0": 0.5 * rng.standard_normal((B, K)),
            "c0": 0.5 * rng.standard_normal((B, H)) if mode == "lstm" else None,
            "w_hr": 0.5 * rng.standard_normal((P, H)) if proj else None}


def _tt(a, dtype, device, nc=False):
    if a is None:
        return None
    if not nc:
        return tt.tensor(a, dtype=dtype, device=device)
    if a.ndim == 1:  # every other element of a twice-as-long vector
        return tt.tensor(np.repeat(a, 2), dtype=dtype, device=device)[::2]
    return tt.tensor(np.ascontiguousarray(a.T), dtype=dtype, device=device).t()


def _np(t):
    return t.cpu().to(tt.float64).numpy()


def _close(got, want, dtype, name, scale=1):
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(_np(got) if isinstance(got, tt.Tensor) else got, want.detach().numpy(), rtol=rtol,
                               atol=atol * scale, err_msg=name)


def _check(device, mode, bs, reverse, proj=False, bias=True, nc=False, dtype=tt.float32, seed=0):
    arrs = _inputs(mode, bs, proj, bias, seed)
    if dtype in ROUND:  # the reference sees exactly the values the op gets
        arrs = {k: None if v is None else v.astype(ROUND[dtype]).astype(np.float64) for k, v in arrs.items()}
    else:
        arrs = {k: None if v is None else _np(tt.tensor(v, dtype=dtype)) for k, v in arrs.items()}
    names = ("xproj", "w_hh", "b_hh", "h0", "c0", "w_hr")
    ins = [_tt(arrs[k], dtype, device, nc) for k in names]
    if nc:
        assert not ins[0].is_contiguous() and not ins[1].is_contiguous()
    attrs = {"steps": plan(bs, reverse), "mode": mode}
    y, hn, cn, res = call("rnn_recurrence", *ins, **attrs)
    leaves = {k: None if v is None else torch.tensor(v, requires_grad=True) for k, v in arrs.items()}
    ry, rhn, rcn, rres = reference(*(leaves[k] for k in names), bs, mode, reverse)
    _close(y, ry, dtype, "y")
    _close(hn, rhn, dtype, "h_n")
    _close(res, rres, dtype, "reserve")
    if mode == "lstm":
        _close(cn, rcn, dtype, "c_n")
    else:
        assert tuple(cn.shape) == (0,)

    rng = np.random.default_rng(seed + 1)
    grads = [rng.standard_normal(tuple(t.shape)) for t in (ry, rhn)] + \
        ([rng.standard_normal(tuple(rcn.shape))] if mode == "lstm" else [])
    if dtype in ROUND:
        grads = [g.astype(ROUND[dtype]).astype(np.float64) for g in grads]
    loss = sum((o * torch.tensor(g)).sum() for o, g in zip((ry, rhn, rcn), grads))
    want = dict(zip([k for k in names if leaves[k] is not None],
                    torch.autograd.grad(loss, [v for v in leaves.values() if v is not None])))
    gins = [_tt(g, dtype, device) for g in grads] + ([None] if mode != "lstm" else [])
    dx, dgh, dh0, dc0, dhp = call("rnn_recurrence_backward", *gins, *ins[1:], y, res, **attrs)
    _close(dx, want["xproj"], dtype, "dxproj")
    _close(dh0, want["h0"], dtype, "dh0")
    if mode == "lstm":
        _close(dc0, want["c0"], dtype, "dc0")
    # the autograd node's weight gradients: one GEMM over all steps each, from the ops' outputs
    g = _np(dgh if mode == "gru" else dx)
    if mode != "gru":
        assert tuple(dgh.shape) == (0,)
    hprev = _hprev(_np(y), arrs["h0"], bs, reverse)
    _close(g.T @ hprev, want["w_hh"], dtype, "dW_hh = G^T H_prev", scale=3)
    if bias:
        _close(g.sum(0), want["b_hh"], dtype, "db_hh = sum(G)", scale=3)
    if proj:
        _close(_np(dhp).T @ _np(res)[:, 5 * H:], want["w_hr"], dtype, "dW_hr = dhp^T hcell", scale=3)
    else:
        assert tuple(dhp.shape) == (0,)


CASES = {f"{m}-{'packed' if bs is PACKED else 'padded'}{'-rev' if rev else ''}": (m, bs, rev)
         for m in GATES for bs in (PADDED, PACKED) for rev in (False, True)}


@pytest.mark.parametrize("case", CASES)
def test_recurrence(device, case):
    _check(device, *CASES[case])


@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
def test_lstm_proj_non_contiguous(device, reverse):
    """W_hr projection; transposed weights, strided xproj / state / bias; without b_hh in reverse."""
    _check(device, "lstm", PACKED, reverse, proj=True, bias=not reverse, nc=True)


def test_gru_no_bias(device):
    _check(device, "gru", PACKED, True, bias=False)


@pytest.mark.parametrize("mode,dtype", [("lstm", tt.float16), ("gru", tt.bfloat16)], ids=["lstm-f16", "gru-bf16"])
def test_half(device, mode, dtype):
    _check(device, mode, PACKED, False, dtype=dtype)


def test_bad_inputs(device):
    a = {k: _tt(v, tt.float32, device) for k, v in _inputs("lstm", PACKED, False, True, 0).items()}
    args = [a[k] for k in ("xproj", "w_hh", "b_hh", "h0", "c0", "w_hr")]
    with pytest.raises(RuntimeError, match=re.escape("rnn_recurrence: expected h0 of shape [3, 5], but got [2, 5]")):
        call("rnn_recurrence", *args[:3], a["h0"][:2], *args[4:], steps=plan(PACKED), mode="lstm")
    with pytest.raises(RuntimeError, match=re.escape("rnn_recurrence: batch_sizes must be positive and "
                                                     "non-increasing, but got [2, 3, 3, 1]")):
        plan((2, 3, 3, 1))
    with pytest.raises(RuntimeError, match="is not tritorch._ops.rnn.plan"):
        call("rnn_recurrence", *args, steps=plan(PACKED)[::-1], mode="lstm")


# ---- the reference against torch.nn ----------------------------------------------------------------
TORCH_MODULES = {"lstm": (torch.nn.LSTM, {}), "lstm-proj": (torch.nn.LSTM, {"proj_size": P}),
                 "gru": (torch.nn.GRU, {}), "rnn_tanh": (torch.nn.RNN, {"nonlinearity": "tanh"}),
                 "rnn_relu": (torch.nn.RNN, {"nonlinearity": "relu"})}


@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
@pytest.mark.parametrize("name", TORCH_MODULES)
def test_reference_matches_torch_nn(name, packed):
    """Bidirectional torch.nn layer vs the reference run once per direction with its weights."""
    torch.manual_seed(0)
    cls, kw = TORCH_MODULES[name]
    mode, proj = name.split("-")[0], "proj_size" in kw
    m = cls(4, H, bidirectional=True, dtype=torch.float64, **kw)
    bs = PACKED if packed else PADDED
    T, B, K = len(bs), bs[0], P if proj else H
    lengths = [sum(b < s for s in bs) for b in range(B)]
    x = torch.randn(T, B, 4, dtype=torch.float64)
    h0 = torch.randn(2, B, K, dtype=torch.float64)
    c0 = torch.randn(2, B, H, dtype=torch.float64)
    with torch.no_grad():
        if packed:
            xp = pack_padded_sequence(x, lengths)
            assert tuple(xp.batch_sizes.tolist()) == bs
            out, state = m(xp, (h0, c0) if mode == "lstm" else h0)
            xs, out = xp.data, out.data
        else:
            out, state = m(x, (h0, c0) if mode == "lstm" else h0)
            xs, out = x.reshape(T * B, 4), out.reshape(T * B, 2 * K)
        hn, cn = state if mode == "lstm" else (state, None)
        for d, sfx in enumerate(("", "_reverse")):
            w = {k: getattr(m, f"{k}_l0{sfx}") for k in ("weight_ih", "bias_ih", "weight_hh", "bias_hh")}
            xproj = xs @ w["weight_ih"].T + w["bias_ih"]
            y, h, c, _ = reference(xproj, w["weight_hh"], w["bias_hh"], h0[d], c0[d] if mode == "lstm" else None,
                                   getattr(m, f"weight_hr_l0{sfx}") if proj else None, bs, mode, bool(d))
            torch.testing.assert_close(y, out[:, d * K:(d + 1) * K], rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(h, hn[d], rtol=1e-12, atol=1e-12)
            if mode == "lstm":
                torch.testing.assert_close(c, cn[d], rtol=1e-12, atol=1e-12)
