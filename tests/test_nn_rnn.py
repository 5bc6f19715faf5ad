"""Recurrent layers and cells against PyTorch with PyTorch's weights loaded through state dicts:
outputs, final states, input and parameter gradients on padded, packed (sorted and unsorted) and
unbatched inputs, multi-layer bidirectional stacks with a projection; construction errors, input
checks, repr and initialisation; a gradient through 1,000 time steps."""
import math

import numpy as np
import pytest
import torch

import tritorch as tt
from tritorch.nn.utils import rnn as rnn_utils


def _pair(torch_cls, tt_cls, device, *args, **kwargs):
    torch.manual_seed(0)
    ref = torch_cls(*args, **kwargs).double()
    mod = tt_cls(*args, **kwargs, dtype=tt.float64, device=device)
    mod.load_state_dict({k: tt.tensor(v.detach().numpy(), device=device) for k, v in ref.state_dict().items()})
    return ref, mod


def _leaf(a, device):
    return tt.tensor(a, dtype=tt.float64, device=device, requires_grad=True)


def _close(got, want, tol=1e-9):
    np.testing.assert_allclose(got.detach().cpu().numpy(), want.detach().numpy(), rtol=tol, atol=tol)


def _check_grads(ref, mod, pairs, tol=1e-9):
    for a, b in pairs:
        _close(b.grad, a.grad, tol)
    sd = dict(ref.named_parameters())
    for name, p in mod.named_parameters():
        assert p.grad is not None, name
        _close(p.grad, sd[name].grad, tol)


def _flat(out):
    """All tensors of a layer's result: output (or its packed data) and the final states."""
    o, h = out
    o = o.data if hasattr(o, "batch_sizes") else o
    return [o] + (list(h) if isinstance(h, tuple) else [h])


def _run_both(ref, mod, device, x, hx=None, pack=None):
    """Forward both with the same inputs; backward of a weighted sum of every output; returns the
    leaves [(torch, tritorch)] for the gradient check."""
    rng = np.random.default_rng(5)
    xt, xm = torch.tensor(x, requires_grad=True), _leaf(x, device)
    leaves = [(xt, xm)]
    ht = hm = None
    if hx is not None:
        hts = [torch.tensor(h, requires_grad=True) for h in hx]
        hms = [_leaf(h, device) for h in hx]
        leaves += list(zip(hts, hms))
        ht, hm = (tuple(hts), tuple(hms)) if len(hx) == 2 else (hts[0], hms[0])
    it, im = xt, xm
    if pack is not None:
        lengths, batch_first, enforce = pack
        it = torch.nn.utils.rnn.pack_padded_sequence(xt, lengths, batch_first=batch_first, enforce_sorted=enforce)
        im = rnn_utils.pack_padded_sequence(xm, lengths, batch_first=batch_first, enforce_sorted=enforce)
    ot, om = _flat(ref(it, ht)), _flat(mod(im, hm))
    if pack is not None:
        assert om[0].shape == ot[0].shape
    for a, b in zip(ot, om):
        _close(b, a)
    ws = [rng.uniform(0.5, 1.5, tuple(a.shape)) for a in ot]
    sum((a * torch.tensor(w)).sum() for a, w in zip(ot, ws)).backward()
    sum((b * tt.tensor(w, device=device)).sum() for b, w in zip(om, ws)).backward()
    return leaves


def test_lstm_stack_proj_bidirectional_batch_first(device):
    ref, mod = _pair(torch.nn.LSTM, tt.nn.LSTM, device, 3, 4, num_layers=2, bidirectional=True, proj_size=2,
                     batch_first=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 3))
    hx = (rng.standard_normal((4, 2, 2)), rng.standard_normal((4, 2, 4)))
    _check_grads(ref, mod, _run_both(ref, mod, device, x, hx))


def test_gru_packed_unsorted_bidirectional(device):
    ref, mod = _pair(torch.nn.GRU, tt.nn.GRU, device, 2, 3, bidirectional=True)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 2))
    hx = (rng.standard_normal((2, 3, 3)),)
    _check_grads(ref, mod, _run_both(ref, mod, device, x, hx, pack=([2, 4, 1], False, False)))


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_two_layers_no_bias_unbatched(nonlinearity):
    ref, mod = _pair(torch.nn.RNN, tt.nn.RNN, "cpu", 3, 4, 2, nonlinearity, False)
    rng = np.random.default_rng(2)
    _check_grads(ref, mod, _run_both(ref, mod, "cpu", rng.standard_normal((5, 3)), (rng.standard_normal((2, 4)),)))


def test_lstm_packed_sorted_default_state():
    ref, mod = _pair(torch.nn.LSTM, tt.nn.LSTM, "cpu", 2, 3, num_layers=2)
    x = np.random.default_rng(3).standard_normal((3, 5, 2))
    _check_grads(ref, mod, _run_both(ref, mod, "cpu", x, pack=([5, 3, 2], True, True)))


def test_gru_and_rnn_packed_unsorted_batch_first_padded_output():
    for torch_cls, tt_cls in ((torch.nn.GRU, tt.nn.GRU), (torch.nn.RNN, tt.nn.RNN)):
        ref, mod = _pair(torch_cls, tt_cls, "cpu", 2, 3, batch_first=True, bidirectional=True)
        x = np.random.default_rng(4).standard_normal((3, 4, 2))
        pt = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), [2, 4, 3], batch_first=True,
                                                     enforce_sorted=False)
        pm = rnn_utils.pack_padded_sequence(tt.tensor(x), [2, 4, 3], batch_first=True, enforce_sorted=False)
        yt, lt = torch.nn.utils.rnn.pad_packed_sequence(ref(pt)[0], batch_first=True)
        ym, lm = rnn_utils.pad_packed_sequence(mod(pm)[0], batch_first=True)
        _close(ym, yt)
        assert lm.tolist() == lt.tolist()


@pytest.mark.parametrize("kind", ["LSTMCell", "GRUCell", "RNNCell"])
def test_cells_match_torch(kind, device):
    ref, mod = _pair(getattr(torch.nn, kind), getattr(tt.nn, kind), device, 3, 4)
    rng = np.random.default_rng(6)
    for batched in (True, False):
        shape = (2,) if batched else ()
        x = rng.standard_normal(shape + (3,))
        hs = [rng.standard_normal(shape + (4,)) for _ in range(2 if kind == "LSTMCell" else 1)]
        xt, xm = torch.tensor(x, requires_grad=True), _leaf(x, device)
        hts, hms = [torch.tensor(h, requires_grad=True) for h in hs], [_leaf(h, device) for h in hs]
        ot = ref(xt, tuple(hts) if kind == "LSTMCell" else hts[0])
        om = mod(xm, tuple(hms) if kind == "LSTMCell" else hms[0])
        ot, om = (ot, om) if kind == "LSTMCell" else ((ot,), (om,))
        for a, b in zip(ot, om):
            _close(b, a)
        sum(((i + 1) * a).sum() for i, a in enumerate(ot)).backward()
        sum(((i + 1) * b).sum() for i, b in enumerate(om)).backward()
        _check_grads(ref, mod, [(xt, xm)] + list(zip(hts, hms)))
        ref.zero_grad()
        mod.zero_grad()


def test_cell_default_state_and_nonlinearity():
    ref, mod = _pair(torch.nn.RNNCell, tt.nn.RNNCell, "cpu", 3, 2, nonlinearity="relu")
    x = np.random.default_rng(7).standard_normal((4, 3))
    _close(mod(tt.tensor(x)), ref(torch.tensor(x)))
    assert repr(mod) == repr(ref) == "RNNCell(3, 2, nonlinearity=relu)"


def test_state_dict_keys_repr_and_init_bounds():
    for args, kw in (((3, 5), dict(num_layers=2, bidirectional=True, proj_size=2)), ((3, 5), dict(bias=False)),
                     ((4, 6), dict(batch_first=True, dropout=0.5, num_layers=3))):
        for name in ("LSTM", "GRU", "RNN"):
            if name != "LSTM" and "proj_size" in kw:
                continue
            ref, mod = getattr(torch.nn, name)(*args, **kw), getattr(tt.nn, name)(*args, **kw)
            assert repr(mod) == repr(ref)
            assert [(k, tuple(v.shape)) for k, v in mod.state_dict().items()] == \
                [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
            bound = 1 / math.sqrt(args[1])
            for p in mod.parameters():
                a = p.detach().numpy()
                assert np.abs(a).max() <= bound and a.std() > bound / 4
    assert len(tt.nn.LSTM(2, 3, num_layers=2, bidirectional=True).all_weights) == 4
    tt.nn.GRU(2, 3).flatten_parameters()


def test_construction_errors():
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        tt.nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        tt.nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        tt.nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        tt.nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(TypeError, match="hidden_size should be of type int, got: float"):
        tt.nn.GRU(3, 4.0)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        tt.nn.LSTM(3, 4, dropout=0.2)


def test_forward_input_errors():
    lstm = tt.nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 2, 4\), got \[1, 2, 4\]"):
        lstm(tt.zeros(5, 2, 3), (tt.zeros(1, 2, 4), tt.zeros(2, 2, 4)))
    with pytest.raises(RuntimeError, match=r"input.size\(-1\) must be equal to input_size. Expected 3, got 2"):
        lstm(tt.zeros(5, 2, 2))
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        lstm(tt.zeros(1, 5, 2, 3))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D but got 2-D tensor"):
        tt.nn.GRU(3, 4)(tt.zeros(5, 2, 3), tt.zeros(2, 4))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
        tt.nn.RNN(3, 4)(tt.zeros(5, 2, 3), tt.zeros(1, 3, 4))
    with pytest.raises(ValueError, match=r"RNN input dtype \(tritorch.float64\) does not match weight dtype"):
        tt.nn.RNN(3, 4)(tt.zeros(5, 2, 3, dtype=tt.float64))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 2, expected 3"):
        tt.nn.GRUCell(3, 4)(tt.zeros(2, 2))
    with pytest.raises(ValueError, match=r"LSTMCell: Expected hx\[1\] to be 1D or 2D, got 3D instead"):
        tt.nn.LSTMCell(3, 4)(tt.zeros(2, 3), (tt.zeros(2, 4), tt.zeros(1, 2, 4)))


def test_dropout_between_layers():
    tt.manual_seed(0)
    mod = tt.nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = tt.randn(4, 2, 3)
    mod.eval()
    a = mod(x)[0]
    assert tt.equal(a, mod(x)[0])
    mod.train()
    b, c = mod(x)[0], mod(x)[0]
    assert not tt.allclose(a, b) and not tt.allclose(b, c)


def test_thousand_steps_gradient():
    """One fused layer over 1,000 steps and a Python loop of 1,000 cell steps: no recursion limit."""
    rng = np.random.default_rng(8)
    lstm, cell = tt.nn.LSTM(2, 3), tt.nn.GRUCell(2, 3)
    x = tt.tensor(rng.standard_normal((1000, 1, 2)), dtype=tt.float32, requires_grad=True)
    lstm(x)[0].sum().backward()
    assert x.grad.shape == (1000, 1, 2) and bool(tt.isfinite(x.grad).all()) and float(x.grad[0].abs().sum()) > 0
    h = None
    for t in range(1000):
        h = cell(x[t], h)
    h.sum().backward()
    assert bool(tt.isfinite(cell.weight_hh.grad).all())


def test_double_backward_through_layer_and_cell():
    """create_graph=True re-runs the recurrence in tensor ops: gradgradcheck on a packed reverse
    LSTM with a projection and on a GRU cell."""
    from tritorch._ops.rnn import recurrence
    rng = np.random.default_rng(9)

    def t(*shape):
        return tt.tensor(rng.uniform(-1, 1, shape), dtype=tt.float64, requires_grad=True)

    args = (t(4, 8), t(8, 1), t(8), t(2, 1), t(2, 2), t(1, 2))
    assert tt.autograd.gradgradcheck(lambda *a: recurrence(*a, (2, 1, 1), "lstm", True), args)
    cell = tt.nn.GRUCell(2, 2, dtype=tt.float64)
    assert tt.autograd.gradgradcheck(lambda x, h: cell(x, h), (t(2, 2), t(2, 2)))


def test_empty_batch_and_empty_sequence():
    out, (h, c) = tt.nn.LSTM(3, 4, bidirectional=True, proj_size=2)(tt.randn(3, 0, 3))
    assert out.shape == (3, 0, 4) and h.shape == (2, 0, 2) and c.shape == (2, 0, 4)
    assert tt.nn.GRU(3, 4, batch_first=True)(tt.randn(0, 3, 3))[1].shape == (1, 0, 4)
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0 in RNN"):
        tt.nn.LSTM(3, 4)(tt.randn(0, 2, 3))
