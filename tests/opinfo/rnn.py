"""Op-table entry of the fused recurrence: one layer and direction (input projection + the
``rnn_recurrence`` op, and through the gradient checks ``rnn_recurrence_backward``) against a
float64 numpy loop over time steps, for every mode, packed and padded batch sizes, both
directions, LSTM with a projection and GRU without biases."""
import numpy as np

import tritorch as tt
from tritorch._ops.rnn import recurrence
from .core import OpInfo, Sample, make


def _layer(x, w_ih, w_hh, b_ih, b_hh, h0, c0=None, w_hr=None, *, mode, batch_sizes, reverse=False):
    y, hn, cn = recurrence(tt.nn.functional.linear(x, w_ih, b_ih), w_hh, b_hh, h0, c0, w_hr, batch_sizes, mode,
                           reverse)
    return (y, hn, cn) if mode == "lstm" else (y, hn)


def _sig(v):
    return 1 / (1 + np.exp(-v))


def _ref(x, w_ih, w_hh, b_ih, b_hh, h0, c0=None, w_hr=None, *, mode, batch_sizes, reverse=False):
    off = np.cumsum((0,) + batch_sizes)
    xp = x @ w_ih.T + (0 if b_ih is None else b_ih)
    bh = 0 if b_hh is None else b_hh
    h, c = h0.copy(), None if c0 is None else c0.copy()
    y = np.zeros((len(x), h0.shape[1]))
    order = range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))
    for t in order:
        n = batch_sizes[t]
        a = xp[off[t]:off[t] + n]
        hh = h[:n] @ w_hh.T + bh
        if mode == "lstm":
            i, f, g, o = np.split(a + hh, 4, axis=1)
            c[:n] = _sig(f) * c[:n] + _sig(i) * np.tanh(g)
            hn = _sig(o) * np.tanh(c[:n])
            h[:n] = hn if w_hr is None else hn @ w_hr.T
        elif mode == "gru":
            xr, xz, xn = np.split(a, 3, axis=1)
            hr, hz, hn = np.split(hh, 3, axis=1)
            r, z = _sig(xr + hr), _sig(xz + hz)
            n_ = np.tanh(xn + r * hn)
            h[:n] = (1 - z) * n_ + z * h[:n]
        else:
            pre = a + hh
            h[:n] = np.tanh(pre) if mode == "rnn_tanh" else np.maximum(pre, 0)
        y[off[t]:off[t] + n] = h[:n]
    return (y, h, c) if mode == "lstm" else (y, h)


def _samples(dtype, device):
    rng = np.random.default_rng(11)

    def t(*shape):
        return make(shape, dtype, device, low=-1, high=1, rng=rng)

    def case(mode, sizes, reverse=False, proj=0, bias=True, name=""):
        G = {"lstm": 4, "gru": 3}.get(mode, 1)
        I, H, B = 2, 3, sizes[0]
        K = proj or H
        args = [t(sum(sizes), I), t(G * H, I), t(G * H, K), t(G * H) if bias else None, t(G * H) if bias else None,
                t(B, K)]
        if mode == "lstm":
            args += [t(B, H), t(proj, H) if proj else None]
        return Sample(tuple(args), {"mode": mode, "batch_sizes": sizes, "reverse": reverse}, name)

    return [
        case("lstm", (3, 2, 1), name="lstm-packed"),
        case("lstm", (2, 2, 2), reverse=True, proj=2, name="lstm-padded-reverse-proj"),
        case("gru", (3, 3, 1), reverse=True, name="gru-packed-reverse"),
        case("gru", (2, 1), bias=False, name="gru-no-bias"),
        case("rnn_tanh", (2, 2, 2), name="rnn-tanh-padded"),
        case("rnn_relu", (3, 1, 1), reverse=True, name="rnn-relu-packed-reverse"),
    ]


OPS = [
    OpInfo("rnn_recurrence", _layer, _ref, _samples, covers=("rnn_recurrence", "rnn_recurrence_backward"),
           tol={tt.float16: (2e-2, 2e-2), tt.bfloat16: (8e-2, 8e-2)}),
]
