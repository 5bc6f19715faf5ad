"""The fused recurrence of RNN / LSTM / GRU layers: one registry op per layer and direction.

Registry ops:
  * ``rnn_recurrence(xproj, w_hh, b_hh, h0, c0, w_hr, steps=, mode=)`` ->
    (y, h_n, c_n, reserve).  ``xproj`` (N, G*H) is the input projection x W_ih^T + b_ih of every
    time step, computed up front by one fused GEMM (`F.linear`); the op runs the time loop: per
    step one fused kernel on cuda does the hidden-state GEMM h_{t-1} W_hh^T (+ b_hh) and the gate
    math (LSTM's four gates and cell update, GRU's reset/update/new gates, tanh/relu RNN).
    ``reserve`` keeps what the backward needs (LSTM: activated gates i, f, g, o, the cell c_t and,
    with a projection, o * tanh(c_t); GRU: r, z, n and W_hn h + b_hn; RNN: nothing, y suffices).
  * ``rnn_recurrence_backward(grad_y, grad_hn, grad_cn, w_hh, b_hh, h0, c0, w_hr, y, reserve, ...)``
    -> (dxproj, dgh, dh0, dc0, dhp): backward through time, one fused kernel per step (the
    recurrent GEMM and the gate gradients together).  `RnnRecurrenceBackward0` then forms the
    weight gradients as one GEMM over all steps each: dW_hh = G^T H_prev, db_hh = sum(G),
    dW_hr = dhp^T hcell; dxproj flows on to the projection's own backward (dW_ih, db_ih, dx).

Packed layout (PyTorch's PackedSequence): ``batch_sizes`` is a tuple of non-increasing ints, one
per time step; step t holds the first batch_sizes[t] sequences at rows off[t] = sum(batch_sizes[:t])
of every (N, ...) array, so a packed batch computes nothing on padding, and a padded (T, B) batch is
batch_sizes = (B,) * T.  Steps are processed in time order, or backwards with ``reverse``.  At
processing step s, rows b < min(bs_{s-1}, bs_s) continue from step s-1's rows; the others start from
h0[b] / c0[b] (a reverse pass starts each sequence at its own last element); rows b >=
min(bs_{s+1}, bs_s) end at step s and write h_n[b] / c_n[b], so every final state is taken at its
sequence's true length.  The backward mirrors this: rows that end at step s receive grad_hn /
grad_cn there, rows that start there send their state gradient to dh0 / dc0.  The ops take this
bookkeeping as their ``steps`` attribute, `plan(batch_sizes, reverse)`: its one home, which both
backends read instead of deriving it again.

Modes: ``"lstm"`` (G = 4, gates i, f, g, o), ``"gru"`` (G = 3, r, z, n), ``"rnn_tanh"``,
``"rnn_relu"`` (G = 1).  The fused backward is not itself differentiable; with ``create_graph=True``
the node re-runs the recurrence in differentiable tensor ops (`_composed`, from the saved inputs) and
differentiates that, so double backward works through layers and cells alike (at eager-op speed).
"""
from __future__ import annotations

import functools
from collections.abc import Sequence

from .. import _dtype as _D
from .._dtype import TORCH_NAMES
from ..backends import _precision
from ._common import Tensor, def_op, Node, STATE, attach, check_tensor, shape_str, FLOATS
from .creation import zeros, tensor
from .dropout import dropout as _dropout
from .gather_scatter import index_select
from .joining import cat, stack
from .linear import linear
from ..autograd import grad as _autograd_grad

__all__ = ["lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"]

MODES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
_OP = "rnn_recurrence"


def _check_sizes(batch_sizes):
    if not isinstance(batch_sizes, tuple) or not batch_sizes:
        raise RuntimeError(f"{_OP}: expected a non-empty tuple of batch sizes (one per time step), but got "
                           f"{batch_sizes!r}")
    prev = batch_sizes[0]
    for b in batch_sizes:
        if type(b) is not int or b < 1 or b > prev:
            raise RuntimeError(f"{_OP}: batch_sizes must be positive and non-increasing, but got "
                               f"{list(batch_sizes)}")
        prev = b


@functools.lru_cache(maxsize=256)
def plan(batch_sizes: tuple[int, ...], reverse: bool = False) -> tuple[tuple[int, int, int, int, int, int], ...]:
    """The ops' ``steps`` attribute: per processing step s, (row0, n, prev_row0, n_prev, next_row0,
    n_next): the step's first packed row and row count, the previous processing step's first row and
    how many of this step's rows continue from it (the rest start from h0 / c0), and the same towards
    the next processing step (rows b >= n_next end here).  Cached: a training loop sees the same few
    batch layouts again and again."""
    _check_sizes(batch_sizes)
    off, n = [], 0
    for b in batch_sizes:
        off.append(n)
        n += b
    order = list(range(len(batch_sizes)))[::-1] if reverse else list(range(len(batch_sizes)))
    out = []
    for s, t in enumerate(order):
        n = batch_sizes[t]
        p = order[s - 1] if s else None
        q = order[s + 1] if s + 1 < len(order) else None
        out.append((off[t], n, 0 if p is None else off[p], 0 if p is None else min(batch_sizes[p], n),
                    0 if q is None else off[q], 0 if q is None else min(batch_sizes[q], n)))
    return tuple(out)


def _check_plan(op, steps):
    """``steps`` must be what `plan` returns; (B, N) = (batch, packed rows)."""
    try:
        return _checked_plan(op, steps)
    except TypeError:  # unhashable: not a plan
        raise RuntimeError(f"{op}: expected the step plan tritorch._ops.rnn.plan(batch_sizes, reverse), but got "
                           f"{steps!r}") from None


@functools.lru_cache(maxsize=256)
def _checked_plan(op, steps):
    if (not isinstance(steps, tuple) or not steps
            or any(not isinstance(x, tuple) or len(x) != 6 or not all(type(v) is int for v in x) for x in steps)):
        raise RuntimeError(f"{op}: expected the step plan tritorch._ops.rnn.plan(batch_sizes, reverse), but got "
                           f"{steps!r}")
    rows = sorted((x[0], x[1]) for x in steps)
    sizes = tuple(n for _, n in rows)
    if plan(sizes, len(steps) > 1 and steps[0][0] > steps[-1][0]) != steps:
        raise RuntimeError(f"{op}: the step plan {steps!r} is not tritorch._ops.rnn.plan(batch_sizes, reverse) of "
                           f"any batch sizes")
    return sizes[0], sum(sizes)


def _want(op, t, name, shape, dtype):
    check_tensor(t, op, name)
    if tuple(t._data.shape) != shape:
        raise RuntimeError(f"{op}: expected {name} of shape {shape_str(shape)}, but got {shape_str(t._data.shape)}")
    if t.dtype is not dtype:
        raise RuntimeError(f"{op}: expected {name} of dtype {TORCH_NAMES[dtype]}, but got {TORCH_NAMES[t.dtype]}")


def _geometry(op, xproj, w_hh, b_hh, h0, c0, w_hr, steps, mode):
    """Check the shared arguments; returns (B, N, G, H, K, P) (P = 0 without projection)."""
    if mode not in MODES:
        raise ValueError(f"{op}: mode must be one of {', '.join(map(repr, MODES))}, but got {mode!r}")
    B, N = _check_plan(op, steps)
    G = MODES[mode]
    check_tensor(w_hh, op, "w_hh")
    dt = w_hh.dtype
    if dt not in FLOATS:
        raise RuntimeError(f"{op}: expected a floating point dtype, but got {TORCH_NAMES[dt]}")
    if w_hh._data.ndim != 2 or w_hh._data.shape[0] % G:
        raise RuntimeError(f"{op}: expected w_hh of shape ({G} * hidden_size, state size), but got "
                           f"{shape_str(w_hh._data.shape)}")
    H, K = w_hh._data.shape[0] // G, w_hh._data.shape[1]
    P = 0
    if w_hr is not None:
        if mode != "lstm":
            raise RuntimeError(f"{op}: a projection (w_hr) is only supported by mode 'lstm'")
        P = K
        _want(op, w_hr, "w_hr", (P, H), dt)
    elif K != H:
        raise RuntimeError(f"{op}: w_hh of shape {shape_str(w_hh._data.shape)} needs state size {H} (the hidden "
                           f"size) without a projection")
    if xproj is not None:
        _want(op, xproj, "xproj", (N, G * H), dt)
    if b_hh is not None:
        _want(op, b_hh, "b_hh", (G * H,), dt)
    _want(op, h0, "h0", (B, K), dt)
    if mode == "lstm":
        if c0 is None:
            raise RuntimeError(f"{op}: mode 'lstm' needs the initial cell state c0")
        _want(op, c0, "c0", (B, H), dt)
    elif c0 is not None:
        raise RuntimeError(f"{op}: mode {mode!r} has no cell state, but c0 was given")
    return B, N, G, H, K, P


def _reserve_cols(mode, H, P):
    return {"lstm": 5 * H + (H if P else 0), "gru": 4 * H}.get(mode, 0)


def _meta(xproj, w_hh, b_hh, h0, c0, w_hr, steps=(), mode="lstm", tf32=False):
    """rnn_recurrence: xproj (N, G*H), w_hh (G*H, K), b_hh (G*H,) or None, h0 (B, K), c0 (B, H)
    (lstm) or None, w_hr (P, H) or None (lstm) -> y (N, K), h_n (B, K), c_n (B, H) (lstm; else
    (0,)), reserve (N, R) (lstm: activated gates, cell, [hcell]; gru: r, z, n, hn; rnn: R = 0)."""
    B, N, G, H, K, P = _geometry(_OP, xproj, w_hh, b_hh, h0, c0, w_hr, steps, mode)
    dt = w_hh.dtype
    return ((N, K), dt), ((B, K), dt), ((B, H) if mode == "lstm" else (0,), dt), \
        ((N, _reserve_cols(mode, H, P)), dt)


def _meta_bwd(grad_y, grad_hn, grad_cn, w_hh, b_hh, h0, c0, w_hr, y, reserve, steps=(), mode="lstm", tf32=False):
    """rnn_recurrence_backward -> dxproj (N, G*H), dgh (N, G*H) (gru; else (0,)), dh0 (B, K),
    dc0 (B, H) (lstm; else (0,)), dhp (N, P) (with w_hr; else (0,))."""
    op = _OP + "_backward"
    B, N, G, H, K, P = _geometry(op, None, w_hh, b_hh, h0, c0, w_hr, steps, mode)
    dt = w_hh.dtype
    _want(op, grad_y, "grad_y", (N, K), dt)
    _want(op, grad_hn, "grad_hn", (B, K), dt)
    if mode == "lstm":
        _want(op, grad_cn, "grad_cn", (B, H), dt)
    _want(op, y, "y", (N, K), dt)
    _want(op, reserve, "reserve", (N, _reserve_cols(mode, H, P)), dt)
    return ((N, G * H), dt), ((N, G * H) if mode == "gru" else (0,), dt), ((B, K), dt), \
        ((B, H) if mode == "lstm" else (0,), dt), ((N, P) if P else (0,), dt)


_REC = def_op(_OP, _meta, nout=4)
_REC_BWD = def_op(_OP + "_backward", _meta_bwd, nout=5)


@functools.lru_cache(maxsize=64)
def _prev_rows(steps, device):
    """For each packed row, the row of ``cat([y, h0])`` holding the state it started from: the
    previous processing step's row of the same sequence, or row N + b (h0[b]) where the sequence
    starts.  An int64 tensor on ``device``, cached like the plan."""
    N = sum(x[1] for x in steps)
    rows = [0] * N
    for row0, n, prev0, n_prev, _, _ in steps:
        for b in range(n):
            rows[row0 + b] = prev0 + b if b < n_prev else N + b
    return tensor(rows, dtype=_D.int64, device=device)


def _prev_states(y, h0, steps):
    """H_prev (N, K): the state each packed row started from (a gather from y and h0; two slices
    when every step has the whole batch)."""
    B = h0.shape[0]
    if all(x[1] == B for x in steps):
        return cat([y[B:], h0]) if steps[0][0] else cat([h0, y[:y.shape[0] - B]])
    return index_select(cat([y, h0]), 0, _prev_rows(steps, y.device))


class RnnRecurrenceBackward0(Node):
    """Backward through time (one fused kernel per step), then the weight gradients as one GEMM
    over all steps each: dW_hh = G^T H_prev, db_hh = sum(G), dW_hr = dhp^T hcell."""

    def backward(self, gy, ghn, gcn, _):
        xproj, w_hh, b_hh, h0, c0, w_hr, y, reserve = self.saved_tensors
        if STATE.enabled:
            return self._differentiable(xproj, w_hh, b_hh, h0, c0, w_hr, (gy, ghn, gcn))
        lstm = self.mode == "lstm"
        gy = zeros(y.shape, dtype=y.dtype, device=y.device) if gy is None else gy
        ghn = zeros(h0.shape, dtype=h0.dtype, device=h0.device) if ghn is None else ghn
        if lstm and gcn is None:
            gcn = zeros(c0.shape, dtype=c0.dtype, device=c0.device)
        dx, dgh, dh0, dc0, dhp = _REC_BWD.run(
            (gy, ghn, gcn if lstm else None, w_hh, b_hh, h0, c0, w_hr, y, reserve),
            dict(steps=self.steps, mode=self.mode, **_precision.op_attrs()))
        need = self.needs_input_grad
        g = dgh if self.mode == "gru" else dx
        dw_hh = db_hh = dw_hr = None
        if need[1]:
            dw_hh = g.t() @ _prev_states(y, h0, self.steps)
        if need[2]:
            db_hh = g.sum(0)
        if need[5]:
            H = w_hr.shape[1]
            dw_hr = dhp.t() @ reserve[:, 5 * H:6 * H]
        return dx, dw_hh, db_hh, dh0, dc0 if lstm else None, dw_hr

    def _differentiable(self, *args):
        """create_graph: gradients of `_composed` (tensor ops) at the saved inputs, themselves differentiable."""
        *inputs, grads = args
        outs = _composed(*inputs, self.steps, self.mode)
        pairs = [(o, g) for o, g in zip(outs, grads) if o is not None and g is not None]
        wrt = [t for t, need in zip(inputs, self.needs_input_grad) if need]
        got = iter(_autograd_grad([o for o, _ in pairs], wrt, [g for _, g in pairs], create_graph=True,
                                  allow_unused=True))
        return tuple(next(got) if need else None for need in self.needs_input_grad)


def _composed(xproj, w_hh, b_hh, h0, c0, w_hr, steps, mode):
    """The recurrence in differentiable tensor ops, step by step (the double-backward path):
    (y, h_n, c_n or None) as the registry op computes them."""
    h, c = h0, c0
    ys = {}
    for row0, n, _, _, _, _ in steps:
        x = xproj[row0:row0 + n]
        hp = h[:n]
        a = linear(hp, w_hh, b_hh)
        if mode == "lstm":
            i, f, g, o = (x + a).chunk(4, 1)
            cn = f.sigmoid() * c[:n] + i.sigmoid() * g.tanh()
            hn = o.sigmoid() * cn.tanh()
            if w_hr is not None:
                hn = linear(hn, w_hr)
            c = cat([cn, c[n:]]) if n < c.shape[0] else cn
        elif mode == "gru":
            xr, xz, xn = x.chunk(3, 1)
            ar, az, an = a.chunk(3, 1)
            r, z = (xr + ar).sigmoid(), (xz + az).sigmoid()
            hn = (1 - z) * (xn + r * an).tanh() + z * hp
        else:
            hn = (x + a).tanh() if mode == "rnn_tanh" else (x + a).relu()
        h = cat([hn, h[n:]]) if n < h.shape[0] else hn
        ys[row0] = hn
    return cat([ys[r] for r in sorted(ys)]), h, c


def recurrence(xproj, w_hh, b_hh, h0, c0, w_hr, batch_sizes, mode, reverse):
    """One layer, one direction, every time step: (y (N, K), h_n (B, K), c_n (B, H) or (0,))."""
    inputs = (xproj, w_hh, b_hh, h0, c0, w_hr)
    steps = plan(batch_sizes, reverse)
    out = _REC.run(inputs, dict(steps=steps, mode=mode, **_precision.op_attrs()))
    y, hn, cn, reserve = out
    attach(RnnRecurrenceBackward0, inputs, out, save=(xproj, w_hh, b_hh, h0, c0, w_hr, y, reserve), differentiable=3,
           steps=steps, mode=mode)
    return y, hn, cn


def _layers(mode, x, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional):
    """The multi-layer, (bi)directional stack over packed data x (N, I): PyTorch's flat ``params``
    order (per layer, per direction: w_ih, w_hh[, b_ih, b_hh][, w_hr])."""
    D = 2 if bidirectional else 1
    h0, c0 = hx if mode == "lstm" else (hx, None)
    per = 2 + 2 * bool(has_biases)
    if mode == "lstm" and len(params) == num_layers * D * (per + 1):
        per += 1
    elif len(params) != num_layers * D * per:
        raise RuntimeError(f"{mode}: expected {num_layers * D * per} parameter tensors ({num_layers} layers, {D} "
                           f"directions), but got {len(params)}")
    layer_input, hs, cs = x, [], []
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            i = layer * D + d
            w = params[i * per:(i + 1) * per]
            b_ih, b_hh = (w[2], w[3]) if has_biases else (None, None)
            w_hr = w[-1] if per in (3, 5) else None
            xproj = linear(layer_input, w[0], b_ih)
            y, hn, cn = recurrence(xproj, w[1], b_hh, h0[i], None if c0 is None else c0[i], w_hr, batch_sizes,
                                   mode, d == 1)
            outs.append(y)
            hs.append(hn)
            cs.append(cn)
        layer_input = outs[0] if D == 1 else cat(outs, -1)
        if dropout and train and layer < num_layers - 1:
            layer_input = _dropout(layer_input, dropout, True)
    hn = stack(hs)
    return layer_input, ((hn, stack(cs)) if mode == "lstm" else hn)


def _sizes(batch_sizes):
    if isinstance(batch_sizes, Tensor):
        return tuple(int(b) for b in batch_sizes.tolist())
    return tuple(int(b) for b in batch_sizes)


def _entry(mode, args):
    """PyTorch's two overloads: (input, hx, params, has_biases, num_layers, dropout, train,
    bidirectional, batch_first) on a padded (T, B, *) batch, and (data, batch_sizes, hx, params,
    has_biases, num_layers, dropout, train, bidirectional) on packed data."""
    if len(args) == 9 and isinstance(args[3], (list, tuple)):
        data, batch_sizes, hx, params, has_biases, num_layers, p, train, bidir = args
        out, h = _layers(mode, data, _sizes(batch_sizes), hx, list(params), has_biases, num_layers, p, train, bidir)
        return (out,) + (h if mode == "lstm" else (h,))
    if len(args) != 9:
        raise TypeError(f"{mode}() takes 9 arguments, but {len(args)} were given")
    x, hx, params, has_biases, num_layers, p, train, bidir, batch_first = args
    check_tensor(x, mode, "input")
    if x.dim() != 3:
        raise RuntimeError(f"{mode}: expected a 3-D input (seq_len, batch, input_size), but got {x.dim()}-D")
    if batch_first:
        x = x.transpose(0, 1)
    T, B = x.shape[0], x.shape[1]
    if T == 0:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    if B == 0:  # no sequences: empty outputs, and the (empty) initial states are the final ones
        K = params[1].shape[1]
        out = x.new_zeros((T, 0, (2 if bidir else 1) * K))
        return (out.transpose(0, 1) if batch_first else out,) + (tuple(hx) if mode == "lstm" else (hx,))
    out, h = _layers(mode, x.reshape(T * B, x.shape[2]), (B,) * T, hx, list(params), has_biases, num_layers, p,
                     train, bidir)
    out = out.reshape(T, B, out.shape[-1])
    if batch_first:
        out = out.transpose(0, 1)
    return (out,) + (h if mode == "lstm" else (h,))


def lstm(*args: object) -> tuple[Tensor, Tensor, Tensor]:
    """``torch.lstm``: (output, h_n, c_n) of a multi-layer LSTM; see `_entry` for the overloads.
    hx = (h0 (L*D, B, K), c0 (L*D, B, H)); output (T, B, D*K) (or packed data (N, D*K))."""
    return _entry("lstm", args)


def gru(*args: object) -> tuple[Tensor, Tensor]:
    """``torch.gru``: (output, h_n); hx (L*D, B, H)."""
    return _entry("gru", args)


def rnn_tanh(*args: object) -> tuple[Tensor, Tensor]:
    """``torch.rnn_tanh``: (output, h_n) of an Elman RNN with tanh; hx (L*D, B, H)."""
    return _entry("rnn_tanh", args)


def rnn_relu(*args: object) -> tuple[Tensor, Tensor]:
    """``torch.rnn_relu``: (output, h_n) of an Elman RNN with relu; hx (L*D, B, H)."""
    return _entry("rnn_relu", args)


def _cell(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One time step of a batch: x (B, I), h (B, H) [, c (B, H)] through the fused recurrence."""
    for t, name in ((x, "input"), (h, "hx"), (w_ih, "w_ih"), (w_hh, "w_hh")):
        check_tensor(t, mode + "_cell", name)
    if x.dim() != 2 or x.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {x.shape[-1]}, expected {w_ih.shape[1]}")
    for i, state in enumerate((h,) if c is None else (h, c)):
        if state.dim() != 2 or state.shape[0] != x.shape[0]:
            raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{i} batch size "
                               f"{state.shape[0] if state.dim() else 1}")
        if state.shape[1] != w_hh.shape[1]:
            raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {state.shape[1]}, expected "
                               f"{w_hh.shape[1]}")
    y, hn, cn = recurrence(linear(x, w_ih, b_ih), w_hh, b_hh, h, c, None, (x.shape[0],), mode, False)
    return (hn, cn) if mode == "lstm" else hn


def lstm_cell(input: Tensor, hx: Sequence[Tensor], w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """``torch.lstm_cell``: input (B, I), hx = (h (B, H), c (B, H)) -> (h', c')."""
    return _cell("lstm", input, hx[0], hx[1], w_ih, w_hh, b_ih, b_hh)


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """``torch.gru_cell``: input (B, I), hx (B, H) -> h'."""
    return _cell("gru", input, hx, None, w_ih, w_hh, b_ih, b_hh)


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """``torch.rnn_tanh_cell``: input (B, I), hx (B, H) -> tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return _cell("rnn_tanh", input, hx, None, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """``torch.rnn_relu_cell``: input (B, I), hx (B, H) -> relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return _cell("rnn_relu", input, hx, None, w_ih, w_hh, b_ih, b_hh)
