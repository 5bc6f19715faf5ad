"""numpy impls of the grid_sample family: ``grid_sample`` (4-D input sampled at a (N, H_out,
W_out, 2) grid of normalised (x, y) points) and ``grid_sample_backward`` (gradients for input and
grid), vectorised over every output point at once.

Per output point the grid value is unnormalised to a source pixel coordinate (``align_corners``:
-1/+1 are the corner pixels' centres, else their outer edges), then the padding mode folds it in
(``border``: clipped; ``reflection``: mirrored about the borders, then clipped; ``zeros``: taps
outside read 0), as PyTorch's ``grid_sampler_compute_source_index``.  Bilinear reads the 4 taps
around it, nearest the tap at ``rint`` (round half to even, as ``nearbyint``), bicubic the 4 x 4
taps ``floor - 1 .. floor + 2`` of the unnormalised (unpadded) point, each tap folded by the
padding mode, with the cubic convolution weights of A = -0.75.  Taps are gathered from the input
flattened to (N, C, H*W); the input gradient is the matching scatter, one ``bincount`` per tap set
(float64 accumulation); the grid gradient is sum over channels of tap value x grad_output x the
weight's derivative, times the chain factor of unnormalising and padding.  Half types compute in
float32 and round once at the end.
"""
import numpy as np

from .pointwise_unary import compute_dtype

_A = -0.75  # PyTorch's cubic convolution coefficient


def _unnormalize(c, size, align_corners):
    """Source coordinate of normalised ``c`` and d(source)/d(c)."""
    if align_corners:
        return (c + 1) / 2 * (size - 1), (size - 1) / 2
    return ((c + 1) * size - 1) / 2, size / 2


def _reflect(c, twice_low, twice_high):
    """``c`` mirrored into [twice_low / 2, twice_high / 2] and the sign of d(result)/d(c)."""
    if twice_low == twice_high:
        return np.zeros_like(c), np.zeros_like(c)
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    d = c - lo
    sign = np.where(d < 0, -1.0, 1.0)
    d = np.abs(d)
    extra = np.fmod(d, span)
    even = np.floor(d / span) % 2 == 0
    return np.where(even, extra + lo, span - extra + lo), np.where(even, sign, -sign)


def _pad(c, size, padding_mode, align_corners):
    """``c`` folded by the padding mode, and d(result)/d(c)."""
    g = np.ones_like(c)
    if padding_mode == "zeros":
        return c, g
    if padding_mode == "reflection":
        c, g = _reflect(c, 0, 2 * (size - 1)) if align_corners else _reflect(c, -1, 2 * size - 1)
    inside = (c > 0) & (c < size - 1)
    return np.clip(c, 0, size - 1), g * inside


def _source(c, size, padding_mode, align_corners):
    c, m = _unnormalize(c, size, align_corners)
    c, g = _pad(c, size, padding_mode, align_corners)
    return c, m * g


def cubic_weights(t):
    """(4, ...) weights of taps floor-1 .. floor+2 at fraction ``t`` and their d/dt."""
    def near(x):
        return ((_A + 2) * x - (_A + 3)) * x * x + 1

    def far(x):
        return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A

    def dnear(x):
        return (3 * (_A + 2) * x - 2 * (_A + 3)) * x

    def dfar(x):
        return (3 * _A * x - 10 * _A) * x + 8 * _A
    w = np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)])
    dw = np.stack([dfar(t + 1), dnear(t), -dnear(1 - t), -dfar(2 - t)])
    return w, dw


def _taps(x, grid, mode, padding_mode, align_corners, ct):
    """Every tap of every output point: a list of (flat index (N, P), in-bounds weight (N, P),
    d weight / d gx, d weight / d gy), P = H_out * W_out, all chain factors included."""
    H, W = x.shape[2:]
    gx = grid[..., 0].reshape(grid.shape[0], -1).astype(ct)
    gy = grid[..., 1].reshape(grid.shape[0], -1).astype(ct)
    taps = []
    if mode == "bicubic":
        ix, mx = _unnormalize(gx, W, align_corners)
        iy, my = _unnormalize(gy, H, align_corners)
        x0, y0 = np.floor(ix), np.floor(iy)
        wx, dwx = cubic_weights(ix - x0)
        wy, dwy = cubic_weights(iy - y0)
        for j in range(4):
            yc = _pad(y0 - 1 + j, H, padding_mode, align_corners)[0]
            for i in range(4):
                xc = _pad(x0 - 1 + i, W, padding_mode, align_corners)[0]
                ok = (xc >= 0) & (xc <= W - 1) & (yc >= 0) & (yc <= H - 1)
                idx = np.where(ok, yc.astype(np.int64) * W + xc.astype(np.int64), 0)
                taps.append((idx, ok * wx[i] * wy[j], ok * dwx[i] * wy[j] * mx, ok * wx[i] * dwy[j] * my))
        return taps
    ix, mx = _source(gx, W, padding_mode, align_corners)
    iy, my = _source(gy, H, padding_mode, align_corners)
    if mode == "nearest":
        xn, yn = np.rint(ix), np.rint(iy)
        ok = (xn >= 0) & (xn <= W - 1) & (yn >= 0) & (yn <= H - 1)
        idx = np.where(ok, yn.astype(np.int64, copy=False) * W + xn.astype(np.int64, copy=False), 0)
        zero = np.zeros_like(ix)
        return [(idx, ok.astype(ct), zero, zero)]
    x0, y0 = np.floor(ix), np.floor(iy)
    fx, fy = ix - x0, iy - y0
    for dy in (0, 1):
        wy, sy = (1 - fy, -1.0) if dy == 0 else (fy, 1.0)
        for dx in (0, 1):
            wx, sx = (1 - fx, -1.0) if dx == 0 else (fx, 1.0)
            xc, yc = x0 + dx, y0 + dy
            ok = (xc >= 0) & (xc <= W - 1) & (yc >= 0) & (yc <= H - 1)
            idx = np.where(ok, yc.astype(np.int64) * W + xc.astype(np.int64), 0)
            taps.append((idx, ok * wx * wy, ok * sx * wy * mx, ok * wx * sy * my))
    return taps


def grid_sample(out, x, grid, mode, padding_mode, align_corners):
    """Input: (N, C, H, W); grid: (N, H_out, W_out, 2); out: (N, C, H_out, W_out)."""
    if out.size == 0:
        return
    ct = compute_dtype(out.dtype)
    N, C = x.shape[:2]
    flat = np.asarray(x, dtype=ct).reshape(N, C, -1)
    acc = np.zeros((N, C, out.shape[2] * out.shape[3]), ct)
    for idx, w, _, _ in _taps(x, np.asarray(grid), mode, padding_mode, align_corners, ct):
        acc += np.take_along_axis(flat, idx[:, None, :], axis=2) * w[:, None, :]
    np.copyto(out, acc.reshape(out.shape), casting="unsafe")


def grid_sample_backward(out, grad, x, grid, mode, padding_mode, align_corners):
    """grad: (N, C, H_out, W_out) -> out = (grad_input (N, C, H, W), grad_grid (N, H_out, W_out, 2))."""
    g_in, g_grid = out
    ct = compute_dtype(g_in.dtype)
    N, C, H, W = x.shape
    P = grid.shape[1] * grid.shape[2]
    g = np.asarray(grad, dtype=ct).reshape(N, C, P)
    flat = np.asarray(x, dtype=ct).reshape(N, C, H * W)
    gi = np.zeros(N * C * H * W, np.float64)
    gx = np.zeros((N, P), ct)
    gy = np.zeros((N, P), ct)
    base = (np.arange(N * C) * (H * W)).reshape(N, C, 1)
    if g.size and flat.size:
        for idx, w, dx, dy in _taps(x, np.asarray(grid), mode, padding_mode, align_corners, ct):
            gi += np.bincount((base + idx[:, None, :]).ravel(), weights=(g * w[:, None, :]).ravel(),
                              minlength=gi.size)
            s = (np.take_along_axis(flat, idx[:, None, :], axis=2) * g).sum(axis=1)
            gx += s * dx
            gy += s * dy
    np.copyto(g_in, gi.reshape(g_in.shape), casting="unsafe")
    np.copyto(g_grid, np.stack([gx, gy], axis=-1).reshape(g_grid.shape), casting="unsafe")


IMPLS = {"grid_sample": grid_sample, "grid_sample_backward": grid_sample_backward}
