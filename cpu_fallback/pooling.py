"""numpy impls of the pooling family (max / avg / adaptive pools over 1-3 trailing spatial dims).

Every op walks the window taps (at most prod(kernel) iterations, row-major like torch) and handles
the whole output per tap with one fancy-index gather of the input: vectorised over all elements.
Per dim a window is ``(start[o], step, taps, length[o])``: regular pools start at ``o*stride -
padding`` and step by ``dilation``; adaptive pools start at ``floor(o*In/Out)`` with length
``ceil((o+1)*In/Out) - start``.  Taps outside the input are padding (never the max; zeros for avg).
Backward ops scatter-add with one ``np.bincount`` per tap (max: one in total, through the indices).
Half types compute in float32 and round once.
"""
import itertools

import numpy as np

from ._rowsum import sum_last
from .pointwise_unary import compute_dtype


def _regular(sp_in, sp_out, kernel, stride, padding, dilation):
    return [(np.arange(o) * s - p, d, k, None, n)
            for n, o, k, s, p, d in zip(sp_in, sp_out, kernel, stride, padding, dilation)]


def _adaptive(sp_in, sp_out):
    wins = []
    for n, o in zip(sp_in, sp_out):
        r = np.arange(o)
        start = (r * n) // o
        length = ((r + 1) * n + o - 1) // o - start
        wins.append((start, 1, int(length.max()) if o else 0, length, n))
    return wins


def _taps(wins):
    """Per tap (row-major): broadcastable per-dim positions (clipped), validity, flat plane index."""
    D = len(wins)
    sizes = [w[4] for w in wins]
    pstride = [int(np.prod(sizes[d + 1:])) for d in range(D)]
    for js in itertools.product(*[range(w[2]) for w in wins]):
        pos, valid, flat = [], True, 0
        for d, (j, (start, step, _, length, n)) in enumerate(zip(js, wins)):
            shape = [1] * D
            shape[d] = -1
            p = (start + j * step).reshape(shape)
            v = (p >= 0) & (p < n)
            if length is not None:
                v = v & (j < length.reshape(shape))
            pc = np.clip(p, 0, n - 1)
            pos.append(pc)
            valid = valid & v
            flat = flat + pc * pstride[d]
        yield tuple(pos), valid, flat


def _max(out, x, wins):
    vals, idx = out
    if vals.size == 0:
        return
    a = np.asarray(x)
    a = a.astype(compute_dtype(a.dtype), copy=False)
    m = np.full(vals.shape, -np.inf, a.dtype)
    mi = np.full(vals.shape, -1, np.int64)
    with np.errstate(invalid="ignore"):
        for pos, valid, flat in _taps(wins):
            v = a[(Ellipsis,) + pos]
            upd = valid & ((v > m) | np.isnan(v) | (mi < 0))
            m = np.where(upd, v, m)
            mi = np.where(upd, flat, mi)
    np.copyto(vals, m, casting="unsafe")
    np.copyto(idx, mi, casting="unsafe")


def _max_backward(out, grad, indices, D):
    if out.size == 0:
        return
    plane = int(np.prod(out.shape[out.ndim - D:]))
    lead = int(np.prod(out.shape[:out.ndim - D]))
    g = np.asarray(grad).astype(np.float64).reshape(lead, -1)
    i = np.asarray(indices).reshape(lead, -1) + (np.arange(lead) * plane)[:, None]
    np.copyto(out, np.bincount(i.ravel(), g.ravel(), lead * plane).reshape(out.shape), casting="unsafe")


def _divisors(wins, kernel=None, padding=None, count_include_pad=True, divisor_override=None):
    """The avg divisor of every output, broadcastable over the spatial dims."""
    D = len(wins)
    div = 1
    for d, (start, _, _, length, n) in enumerate(wins):
        shape = [1] * D
        shape[d] = -1
        if length is not None:
            c = length
        elif count_include_pad:
            c = np.minimum(start + kernel[d], n + padding[d]) - start
        else:
            c = np.minimum(start + kernel[d], n) - np.maximum(start, 0)
        div = div * c.reshape(shape)
    if divisor_override is not None:
        div = np.full_like(div, divisor_override)
    return div


def _avg(out, x, wins, div):
    if out.size == 0:
        return
    a = np.asarray(x)
    ct = compute_dtype(a.dtype)
    a = a.astype(ct, copy=False)
    acc = np.zeros(out.shape, ct)
    for pos, valid, _ in _taps(wins):
        acc += np.where(valid, a[(Ellipsis,) + pos], 0)
    np.copyto(out, acc / div.astype(ct), casting="unsafe")


def _avg_backward(out, grad, wins, div):
    if out.size == 0:
        return
    D = len(wins)
    g = np.asarray(grad)
    ct = compute_dtype(g.dtype)
    g = g.astype(ct) / div.astype(ct)
    plane = int(np.prod(out.shape[out.ndim - D:]))
    lead = int(np.prod(out.shape[:out.ndim - D]))
    base = (np.arange(lead) * plane).reshape(out.shape[:out.ndim - D] + (1,) * D)
    acc = np.zeros(lead * plane)
    for _, valid, flat in _taps(wins):
        valid = np.broadcast_to(valid, g.shape)
        acc += np.bincount(np.broadcast_to(base + flat, g.shape)[valid], g[valid], lead * plane)
    np.copyto(out, acc.reshape(out.shape), casting="unsafe")


# --- regular windows: each tap is a strided slice of a padded copy (views, no gathers) ------------

def _padded(a, kernel, stride, padding, dilation, sp_out, fill):
    """``a`` in a buffer with ``padding`` on the left and enough on the right for every window
    (ceil_mode's last window may overhang), filled with ``fill``; and the per-tap slicer."""
    D = len(kernel)
    sp = a.shape[a.ndim - D:]
    size = [max(n + p, (o - 1) * s + (k - 1) * d + 1) for n, o, k, s, p, d in
            zip(sp, sp_out, kernel, stride, padding, dilation)]
    buf = np.full(a.shape[:a.ndim - D] + tuple(size), fill, a.dtype)
    buf[(Ellipsis,) + tuple(slice(p, p + n) for p, n in zip(padding, sp))] = a

    def tap(js):
        return (Ellipsis,) + tuple(slice(j * d, j * d + (o - 1) * s + 1, s)
                                   for j, o, s, d in zip(js, sp_out, stride, dilation))
    return buf, tap


def _is_global(shape, kernel, padding, sp_out):
    """One window covering each whole plane (global pooling): a plain reduction over the plane."""
    D = len(kernel)
    return not any(padding) and all(o == 1 for o in sp_out) and tuple(shape[len(shape) - D:]) == tuple(kernel)


def _regular_max(out, x, kernel, stride, padding, dilation):
    """The max is a running ``np.maximum`` over the taps (NaN propagates, as in torch); the
    winning tap is then the first tap equal to it, found with bool/int8 arithmetic (masked
    copies cost several times more per element).  Windows whose max is NaN report their last
    NaN tap and all -inf windows their first tap inside the input, as torch's ``>`` / ``isnan``
    scan does.  Flat indices are a per-output base plus a per-tap offset."""
    vals, idx = out
    if vals.size == 0:
        return
    D = len(kernel)
    a = np.asarray(x)
    a = a.astype(compute_dtype(a.dtype), copy=False)
    sp_in, sp_out = a.shape[a.ndim - D:], vals.shape[vals.ndim - D:]
    buf, tap = _padded(a, kernel, stride, padding, dilation, sp_out, -np.inf)
    taps = list(itertools.product(*[range(k) for k in kernel]))
    views = [buf[tap(js)] for js in taps]
    m = views[0].copy()
    for v in views[1:]:
        np.maximum(m, v, out=m)
    wt = np.int8 if len(taps) < 128 else np.int32
    win = np.zeros(vals.shape, wt)
    found = np.equal(views[0], m)
    hit = np.empty(vals.shape, bool)
    for t, v in enumerate(views[1:], 1):
        np.equal(v, m, out=hit)
        np.greater(hit, found, out=hit)
        found |= hit
        win += hit.view(np.int8).astype(wt, copy=False) * wt(t)
    nan = np.isnan(m)
    if nan.any():
        for t, v in enumerate(views):
            np.copyto(win, t, where=nan & np.isnan(v))
    pstride = [int(np.prod(sp_in[d + 1:])) for d in range(D)]
    off = np.array([sum(j * dl * ps for j, dl, ps in zip(js, dilation, pstride)) for js in taps], np.int64)
    base, first = 0, 0
    for d in range(D):
        shape = [1] * D
        shape[d] = -1
        start = (np.arange(sp_out[d]) * stride[d] - padding[d]).reshape(shape)
        base = base + start * pstride[d]
        j0 = -(-np.maximum(-start, 0) // dilation[d])  # the first tap inside the input
        first = first + (start + j0 * dilation[d]) * pstride[d]
    flat = np.take(off, win) + base
    ninf = m == -np.inf
    if ninf.any():
        flat = np.where(ninf, first, flat)
    np.copyto(vals, m, casting="unsafe")
    np.copyto(idx, flat, casting="unsafe")


def _regular_avg(out, x, kernel, stride, padding, div):
    if out.size == 0:
        return
    D = len(kernel)
    a = np.asarray(x)
    ct = compute_dtype(a.dtype)
    a = a.astype(ct, copy=False)
    if _is_global(a.shape, kernel, padding, out.shape[out.ndim - D:]):
        acc = sum_last(a.reshape(out.shape[:out.ndim - D] + (-1,))).reshape(out.shape)
        np.copyto(out, acc / div.astype(ct), casting="unsafe")
        return
    buf, tap = _padded(a, kernel, stride, padding, (1,) * D, out.shape[out.ndim - D:], 0)
    acc = np.zeros(out.shape, ct)
    for js in itertools.product(*[range(k) for k in kernel]):
        acc += buf[tap(js)]
    np.copyto(out, acc / div.astype(ct), casting="unsafe")


def _regular_avg_backward(out, grad, kernel, stride, padding, div):
    if out.size == 0:
        return
    D = len(kernel)
    g = np.asarray(grad)
    ct = compute_dtype(g.dtype)
    g = g.astype(ct) / div.astype(ct)
    if _is_global(out.shape, kernel, padding, g.shape[g.ndim - D:]):
        np.copyto(out, g, casting="unsafe")  # broadcasts over the plane
        return
    buf, tap = _padded(np.zeros(out.shape, ct), kernel, stride, padding, (1,) * D, g.shape[g.ndim - D:], 0)
    for js in itertools.product(*[range(k) for k in kernel]):
        buf[tap(js)] += g  # one tap's windows never share an element
    sp = out.shape[out.ndim - D:]
    np.copyto(out, buf[(Ellipsis,) + tuple(slice(p, p + n) for p, n in zip(padding, sp))], casting="unsafe")


def _as_regular(sp_in, sp_out):
    """Adaptive windows are regular (kernel = stride = In/Out) when every Out divides In."""
    if all(o and n % o == 0 for n, o in zip(sp_in, sp_out)):
        k = tuple(n // o for n, o in zip(sp_in, sp_out))
        return k, k, (0,) * len(k)
    return None


def max_pool(out, x, kernel, stride, padding, dilation, ceil_mode):
    """``ceil_mode`` is spent by the meta on the output length (``out``'s shape); a last window that
    overhangs the input + padding only has more masked (-inf) taps, so it is not read here."""
    _regular_max(out, x, kernel, stride, padding, dilation)


def max_pool_backward(out, grad, indices, input_shape, kernel, stride, padding, dilation):
    _max_backward(out, grad, indices, len(kernel))


def avg_pool(out, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """``ceil_mode`` is spent by the meta on the output length (``out``'s shape).  Where it matters,
    the divisor of ceil_mode's overhanging last window, torch clips the window to ``input +
    padding`` (``count_include_pad``) or to the input, and so do the divisors here: it is not read."""
    D = len(kernel)
    wins = _regular(x.shape[-D:], out.shape[-D:], kernel, stride, padding, (1,) * D)
    _regular_avg(out, x, kernel, stride, padding, _divisors(wins, kernel, padding, count_include_pad, divisor_override))


def avg_pool_backward(out, grad, input_shape, kernel, stride, padding, ceil_mode, count_include_pad,
                      divisor_override):
    """``ceil_mode``: as in `avg_pool`, carried by ``grad``'s shape (checked by the meta); not read."""
    D = len(kernel)
    wins = _regular(tuple(input_shape)[-D:], grad.shape[-D:], kernel, stride, padding, (1,) * D)
    _regular_avg_backward(out, grad, kernel, stride, padding,
                          _divisors(wins, kernel, padding, count_include_pad, divisor_override))


def adaptive_max_pool(out, x, output_size):
    D = len(output_size)
    reg = _as_regular(x.shape[-D:], tuple(output_size))
    if reg is not None:
        _regular_max(out, x, *reg, (1,) * D)
    else:
        _max(out, x, _adaptive(x.shape[-D:], tuple(output_size)))


def adaptive_max_pool_backward(out, grad, indices, input_shape, dims):
    _max_backward(out, grad, indices, dims)


def adaptive_avg_pool(out, x, output_size):
    D = len(output_size)
    wins = _adaptive(x.shape[-D:], tuple(output_size))
    reg = _as_regular(x.shape[-D:], tuple(output_size))
    if reg is not None:
        _regular_avg(out, x, *reg, _divisors(wins))
    else:
        _avg(out, x, wins, _divisors(wins))


def adaptive_avg_pool_backward(out, grad, input_shape, dims):
    wins = _adaptive(tuple(input_shape)[-dims:], grad.shape[-dims:])
    reg = _as_regular(tuple(input_shape)[-dims:], grad.shape[-dims:])
    if reg is not None:
        _regular_avg_backward(out, grad, *reg, _divisors(wins))
    else:
        _avg_backward(out, grad, wins, _divisors(wins))


IMPLS = {"max_pool": max_pool, "max_pool_backward": max_pool_backward, "avg_pool": avg_pool,
         "avg_pool_backward": avg_pool_backward, "adaptive_max_pool": adaptive_max_pool,
         "adaptive_max_pool_backward": adaptive_max_pool_backward, "adaptive_avg_pool": adaptive_avg_pool,
         "adaptive_avg_pool_backward": adaptive_avg_pool_backward}
