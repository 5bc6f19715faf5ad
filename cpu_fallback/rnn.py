"""numpy impls of the fused recurrence: ``rnn_recurrence`` (one RNN / LSTM / GRU layer, one
direction, every time step) and ``rnn_recurrence_backward`` (backward through time).  The op
contract (packed layout, reserve columns, outputs) is in tritorch/_ops/rnn.py.

The structure follows the cuda kernels.  The input projection xproj = x W_ih^T + b_ih is the
caller's; per step of the ``steps`` plan the active rows b < n (packed rows row0 .. row0+n-1)
do one GEMM of their previous state with W_hh^T (``np.matmul`` into a preallocated buffer) and
the gate math in place on it, writing the step's y / reserve rows directly.  The previous state of
rows b < n_prev is the previous step's y (and reserve cell) rows; rows n_prev <= b < n start from
h0 / c0; rows n_next <= b < n end here and go to h_n / c_n.

Forward, per step (a = h_prev W_hh^T + b_hh, x = the step's xproj rows):
  lstm: [i f g o] = [s s tanh s](x + a); c = f c_prev + i g; hcell = o tanh(c); h = hcell [W_hr^T]
  gru:  r, z = s(x_rz + a_rz); hn = a_n; n = tanh(x_n + r hn); h = n + z (h_prev - n)
  rnn:  h = tanh(x + a) | relu(x + a)
  with s(v) = 1 / (1 + exp(-v)) and LSTM's tanh(v) = 2 s(2v) - 1: the gate columns of W_hh^T and of
  x + b_hh are scaled by -1 (-2 for the tanh gate) once per call (exact in binary floating point),
  so one exp and one divide activate every gate (numpy's exp is twice as fast as its tanh).
Backward, per step s = T-1 .. 0: dH = grad_y + (G_{s+1} W_hh (+ gru: z_{s+1} dH_{s+1}) for rows
b < n_next, grad_hn[b] for the final rows); with W_hr: dhp = dH, dh = dH W_hr.  Then
  lstm: dC = carry + dh o (1 - tanh(c)^2); [di df dg do] = [dC g, dC c_prev, dC i, dh tanh(c)] * act';
        carry = dC f
  gru:  dn = dh (1 - z) (1 - n^2); dz = dh (h_prev - n) z (1 - z); dr = dn hn r (1 - r);
        dxproj = [dr dz dn], dgh = [dr dz dn r]
  rnn:  dxproj = dh (1 - y^2) | dh [y > 0]
  and one GEMM G_s W_hh (G = dgh for gru, else dxproj) gives the next step's recurrent gradient and,
  for the rows whose initial state is h0, dh0 (dc0 = the carry there).
Half types compute in float32 (work arrays) and round once per stored value; float64 stays float64.
"""
import numpy as np

from .pointwise_unary import compute_dtype

_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _work(a, ct):
    """``a`` itself when it holds the compute dtype, else a compute-dtype buffer rounded into it by `_store`."""
    return a if a.dtype == ct else np.empty(a.shape, ct)


def _store(a, w):
    if w is not a:
        np.copyto(a, w, casting="unsafe")


def _matmul_prev(prev, init, n_prev, n, w, out):
    """out[:n] = h_prev @ w, h_prev = prev's rows for b < n_prev, then init[n_prev:n]."""
    if n_prev:
        np.matmul(prev, w, out=out[:n_prev])
    if n_prev < n:
        np.matmul(init[n_prev:n], w, out=out[n_prev:n])


def _gate_scale(mode, H, ct):
    """Per-column factor folded into the gate pre-activations v: -1 for sigmoid gates, -2 for
    LSTM's tanh gate (then act = num / (1 + exp(v)) - [g gate] 1), 1 for GRU's n block."""
    scale = np.full(_GATES[mode] * H, -1, ct)
    scale[2 * H:3 * H] = -2 if mode == "lstm" else 1
    return scale


def rnn_recurrence(out, xproj, w_hh, b_hh, h0, c0, w_hr, steps, mode, tf32=False):
    """xproj (N, G*H), w_hh (G*H, K), b_hh (G*H,) | None, h0 (B, K), c0 (B, H) | None, w_hr (P, H)
    | None, ``steps`` (the plan of tritorch._ops.rnn.plan) -> y (N, K), h_n (B, K), c_n (B, H) | (0,),
    reserve (N, R).  ``tf32`` (the cuda
    launcher's TF32 choice) is accepted and ignored: the cpu computes IEEE fp32."""
    y, h_n, c_n, reserve = out
    ct = compute_dtype(y.dtype)
    G = _GATES[mode]
    H = w_hh.shape[0] // G
    B = h0.shape[0]
    yw, rw = _work(y, ct), _work(reserve, ct)
    h0w = np.ascontiguousarray(h0, dtype=ct)
    x = xproj.astype(ct, copy=False)
    w_t = w_hh.T.astype(ct, order="C")  # (K, G*H), a fresh contiguous copy: scaled in place below
    b = None if b_hh is None else b_hh.astype(ct, copy=False)
    with np.errstate(all="ignore"):
        if mode in ("lstm", "gru"):
            gates = np.empty((B, G * H), ct)  # the step's hidden GEMM, activated in place
            scale = _gate_scale(mode, H, ct)
            w_t *= scale
            xs = x * scale
            if b is not None:
                bx = b * scale
                if mode == "gru":
                    bx[2 * H:] = 0  # b_hn sits inside r * (W_hn h + b_hn)
                xs += bx
        if mode == "lstm":
            _lstm(steps, xs, w_t, scale, h0w, np.ascontiguousarray(c0, dtype=ct), w_hr, yw, rw, gates, h_n, c_n, H, ct)
        elif mode == "gru":
            _gru(steps, xs, w_t, None if b is None else b[2 * H:], h0w, yw, rw, gates, h_n, H)
        else:
            xs = x if b is None else x + b
            _rnn(steps, xs, w_t, h0w, yw, h_n, mode == "rnn_relu")
    _store(y, yw)
    _store(reserve, rw)


def _final(dst, src, lo, n):
    """dst[b] = src[b] for lo <= b < n, rounded into dst: the rows whose sequence ends (forward)
    or starts (backward: dh0, dc0) at this step."""
    if lo < n:
        np.copyto(dst[lo:n], src[lo:n], casting="unsafe")


def _lstm(steps, xs, w_t, scale, h0w, c0w, w_hr, yw, rw, gates, h_n, c_n, H, ct):
    num = np.where(scale == -2, 2, 1).astype(ct)  # s(v) = 1 / (1 + exp(-v)), tanh(v) = 2 s(2v) - 1
    tmp = np.empty((gates.shape[0], H), ct)
    whr_t = None if w_hr is None else w_hr.T.astype(ct, order="C")  # (H, P)
    for r0, n, p0, n_prev, _, n_next in steps:
        rows = slice(r0, r0 + n)
        a = gates[:n]
        _matmul_prev(yw[p0:p0 + n_prev], h0w, n_prev, n, w_t, a)
        a += xs[rows]
        np.exp(a, out=a)
        a += 1
        act = rw[rows, :4 * H]
        np.divide(num, a, out=act)
        i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
        g -= 1
        c = rw[rows, 4 * H:5 * H]
        if n_prev:
            np.multiply(f[:n_prev], rw[p0:p0 + n_prev, 4 * H:5 * H], out=c[:n_prev])
        if n_prev < n:
            np.multiply(f[n_prev:], c0w[n_prev:n], out=c[n_prev:])
        t = tmp[:n]
        np.multiply(i, g, out=t)
        c += t
        np.tanh(c, out=t)
        if whr_t is None:
            np.multiply(o, t, out=yw[rows])
        else:
            hcell = rw[rows, 5 * H:]
            np.multiply(o, t, out=hcell)
            np.matmul(hcell, whr_t, out=yw[rows])
        _final(h_n, yw[rows], n_next, n)
        _final(c_n, c, n_next, n)


def _gru(steps, xs, w_t, b_n, h0w, yw, rw, gates, h_n, H):
    for r0, n, p0, n_prev, _, n_next in steps:
        rows = slice(r0, r0 + n)
        a = gates[:n]
        _matmul_prev(yw[p0:p0 + n_prev], h0w, n_prev, n, w_t, a)
        arz = a[:, :2 * H]
        arz += xs[rows, :2 * H]
        np.exp(arz, out=arz)
        arz += 1
        rz = rw[rows, :2 * H]
        np.divide(1, arz, out=rz)
        hn = rw[rows, 3 * H:]
        if b_n is None:
            np.copyto(hn, a[:, 2 * H:])
        else:
            np.add(a[:, 2 * H:], b_n, out=hn)
        nn = rw[rows, 2 * H:3 * H]
        np.multiply(rz[:, :H], hn, out=nn)
        nn += xs[rows, 2 * H:]
        np.tanh(nn, out=nn)
        h = yw[rows]
        if n_prev:
            np.subtract(yw[p0:p0 + n_prev], nn[:n_prev], out=h[:n_prev])
        if n_prev < n:
            np.subtract(h0w[n_prev:n], nn[n_prev:], out=h[n_prev:])
        h *= rz[:, H:]
        h += nn
        _final(h_n, h, n_next, n)


def _rnn(steps, xs, w_t, h0w, yw, h_n, relu):
    for r0, n, p0, n_prev, _, n_next in steps:
        h = yw[r0:r0 + n]
        _matmul_prev(yw[p0:p0 + n_prev], h0w, n_prev, n, w_t, h)
        h += xs[r0:r0 + n]
        if relu:
            np.maximum(h, 0, out=h)
        else:
            np.tanh(h, out=h)
        _final(h_n, h, n_next, n)


def rnn_recurrence_backward(out, grad_y, grad_hn, grad_cn, w_hh, b_hh, h0, c0, w_hr, y, reserve, steps, mode,
                            tf32=False):
    """grad_y (N, K), grad_hn (B, K), grad_cn (B, H) | None, the forward's weights, initial state,
    y (N, K) and reserve (N, R) -> dxproj (N, G*H), dgh (N, G*H) | (0,), dh0 (B, K),
    dc0 (B, H) | (0,), dhp (N, P) | (0,).  ``b_hh`` is not needed (the reserve holds what it
    changed); ``tf32`` ignored as in the forward."""
    dxproj, dgh, dh0, dc0, dhp = out
    ct = compute_dtype(dxproj.dtype)
    G = _GATES[mode]
    H = w_hh.shape[0] // G
    B, K = h0.shape
    dxw = _work(dxproj, ct)
    whh = np.ascontiguousarray(w_hh, dtype=ct)
    gy = grad_y.astype(ct, copy=False)
    ghn = grad_hn.astype(ct, copy=False)
    rv = reserve.astype(ct, copy=False)
    rec = np.empty((B, K), ct)  # dH of the step being processed, then G_s W_hh for the step before
    with np.errstate(all="ignore"):
        if mode == "lstm":
            dhpw = None if w_hr is None else _work(dhp, ct)
            _lstm_bwd(steps, gy, ghn, grad_cn.astype(ct, copy=False), whh, np.ascontiguousarray(c0, dtype=ct),
                      None if w_hr is None else np.ascontiguousarray(w_hr, dtype=ct), rv, dxw, dhpw, rec, dh0, dc0,
                      H, ct)
            if dhpw is not None:
                _store(dhp, dhpw)
        elif mode == "gru":
            dghw = _work(dgh, ct)
            _gru_bwd(steps, gy, ghn, whh, np.ascontiguousarray(h0, dtype=ct), y.astype(ct, copy=False), rv, dxw, dghw,
                     rec, dh0, H, ct)
            _store(dgh, dghw)
        else:
            _rnn_bwd(steps, gy, ghn, whh, y.astype(ct, copy=False), dxw, rec, dh0, mode == "rnn_relu", ct)
    _store(dxproj, dxw)


def _grad_h(rec, gy, ghn, r0, n, n_next, out):
    """dH = grad_y + (rec for rows b < n_next, grad_hn[b] for the final rows) into ``out``."""
    if n_next < n:
        np.copyto(rec[n_next:n], ghn[n_next:n])
    return np.add(rec[:n], gy[r0:r0 + n], out=out)


def _lstm_bwd(steps, gy, ghn, gcn, whh, c0w, whr, rv, dxw, dhpw, rec, dh0, dc0, H, ct):
    B = rec.shape[0]
    shift = np.zeros(4 * H, ct)
    shift[2 * H:3 * H] = 1  # act' = (1 - act) (act + shift): s (1 - s) and 1 - tanh^2
    tc_buf, u_buf, carry = np.empty((B, H), ct), np.empty((B, H), ct), np.empty((B, H), ct)
    d_buf = np.empty((B, 4 * H), ct)
    dh_buf = None if whr is None else np.empty((B, H), ct)
    for r0, n, p0, n_prev, _, n_next in reversed(steps):
        rows = slice(r0, r0 + n)
        if whr is None:
            dh = _grad_h(rec, gy, ghn, r0, n, n_next, rec[:n])
        else:
            dh = np.matmul(_grad_h(rec, gy, ghn, r0, n, n_next, dhpw[rows]), whr, out=dh_buf[:n])
        act = rv[rows, :4 * H]
        o = act[:, 3 * H:]
        dx = dxw[rows]
        dx3 = dx.reshape(n, 4, H)
        tc, u = tc_buf[:n], u_buf[:n]
        np.tanh(rv[rows, 4 * H:5 * H], out=tc)
        np.multiply(dh, tc, out=dx3[:, 3])
        np.multiply(dx3[:, 3], tc, out=u)
        np.subtract(dh, u, out=u)
        u *= o
        dc = carry[:n]
        if n_next < n:
            np.copyto(dc[n_next:], gcn[n_next:n])
        dc += u
        # di = dC g, dg = dC i (gate blocks 0 and 2 read blocks 2 and 0): one call
        np.multiply(dc[:, None, :], act.reshape(n, 4, H)[:, 2::-2], out=dx3[:, 0:3:2])
        if n_prev:
            np.multiply(dc[:n_prev], rv[p0:p0 + n_prev, 4 * H:5 * H], out=dx3[:n_prev, 1])
        if n_prev < n:
            np.multiply(dc[n_prev:], c0w[n_prev:n], out=dx3[n_prev:, 1])
        d = d_buf[:n]
        np.subtract(1, act, out=d)
        dx *= d
        np.add(act, shift, out=d)
        dx *= d
        np.multiply(dc, act[:, H:2 * H], out=dc)
        _final(dc0, dc, n_prev, n)
        np.matmul(dx, whh, out=rec[:n])
        _final(dh0, rec, n_prev, n)


def _gru_bwd(steps, gy, ghn, whh, h0w, yv, rv, dxw, dghw, rec, dh0, H, ct):
    B = rec.shape[0]
    direct, t_buf, s_buf = np.empty((B, H), ct), np.empty((B, H), ct), np.empty((B, 2 * H), ct)
    for r0, n, p0, n_prev, _, n_next in reversed(steps):
        rows = slice(r0, r0 + n)
        dh = _grad_h(rec, gy, ghn, r0, n, n_next, rec[:n])
        res = rv[rows]
        rz, z, nn, hn = res[:, :2 * H], res[:, H:2 * H], res[:, 2 * H:3 * H], res[:, 3 * H:]
        dx = dxw[rows]
        dr, dz, dn = dx[:, :H], dx[:, H:2 * H], dx[:, 2 * H:]
        dd = direct[:n]
        np.multiply(dh, z, out=dd)
        np.subtract(dh, dd, out=dn)
        t = t_buf[:n]
        np.multiply(nn, nn, out=t)
        np.subtract(1, t, out=t)
        dn *= t
        if n_prev:
            np.subtract(yv[p0:p0 + n_prev], nn[:n_prev], out=dz[:n_prev])
        if n_prev < n:
            np.subtract(h0w[n_prev:n], nn[n_prev:], out=dz[n_prev:])
        dz *= dh
        np.multiply(dn, hn, out=dr)
        s = s_buf[:n]
        np.subtract(1, rz, out=s)
        s *= rz
        dx[:, :2 * H] *= s
        dg = dghw[rows]
        np.copyto(dg[:, :2 * H], dx[:, :2 * H])
        np.multiply(dn, rz[:, :H], out=dg[:, 2 * H:])
        np.matmul(dg, whh, out=rec[:n])
        rec[:n] += dd
        _final(dh0, rec, n_prev, n)


def _rnn_bwd(steps, gy, ghn, whh, yv, dxw, rec, dh0, relu, ct):
    t_buf = np.empty(rec.shape, ct)
    for r0, n, p0, n_prev, _, n_next in reversed(steps):
        dh = _grad_h(rec, gy, ghn, r0, n, n_next, rec[:n])
        h, dx = yv[r0:r0 + n], dxw[r0:r0 + n]
        if relu:
            # selects like PyTorch's threshold_backward: an inf gradient where y = 0 gives 0, not NaN
            dx.fill(0)
            np.copyto(dx, dh, where=h > 0)
        else:
            t = t_buf[:n]
            np.multiply(h, h, out=t)
            np.subtract(1, t, out=t)
            np.multiply(dh, t, out=dx)
        np.matmul(dx, whh, out=rec[:n])
        _final(dh0, rec, n_prev, n)


IMPLS = {"rnn_recurrence": rnn_recurrence, "rnn_recurrence_backward": rnn_recurrence_backward}
