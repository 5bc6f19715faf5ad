"""Op-table entries of the conv family: the im2col / col2im registry ops called directly (1-3
spatial dims, asymmetric and negative-high padding, strided inputs, empty batches) and the
functionals built on them (conv1d/2d/3d, conv_transpose1d/2d/3d, unfold, fold), against float64
numpy references written tap by tap (independent of the sliding-window impl)."""
import itertools
import math

import numpy as np

import tritorch as tt
import tritorch.nn.functional as F
from tritorch._ops.conv import im2col, col2im
from .core import OpInfo, Sample, make

_COVERS = ("im2col", "col2im")
_TOL = {tt.float16: (1e-2, 2e-2), tt.bfloat16: (2e-2, 6e-2), tt.float32: (1e-5, 1e-5), tt.float64: (1e-10, 1e-10)}


def _m(shape, dtype, device, noncontig=False):
    return make(shape, dtype, device, low=-1.0, high=1.0, noncontig=noncontig)


def _blocks(n, k, d, p, s):
    return (n + p[0] + p[1] - d * (k - 1) - 1) // s + 1


def _ref_im2col(x, kernel_size, dilation, padding, stride, transposed=False):
    n, c = x.shape[:2]
    sp = x.shape[2:]
    blocks = [_blocks(*a) for a in zip(sp, kernel_size, dilation, padding, stride)]
    out = np.zeros((n, c) + tuple(kernel_size) + tuple(blocks))
    for tap in itertools.product(*(range(k) for k in kernel_size)):
        for pos in itertools.product(*(range(b) for b in blocks)):
            src = [o * s - p[0] + t * d for o, s, p, t, d in zip(pos, stride, padding, tap, dilation)]
            if all(0 <= h < m for h, m in zip(src, sp)):
                out[(slice(None), slice(None)) + tap + pos] = x[(slice(None), slice(None)) + tuple(src)]
    out = out.reshape(n, c * math.prod(kernel_size), math.prod(blocks))
    return out.transpose(1, 0, 2) if transposed else out


def _ref_col2im(cols, output_size, kernel_size, dilation, padding, stride):
    n, ck, _ = cols.shape
    c = ck // math.prod(kernel_size)
    blocks = [_blocks(*a) for a in zip(output_size, kernel_size, dilation, padding, stride)]
    cols = cols.reshape((n, c) + tuple(kernel_size) + tuple(blocks))
    out = np.zeros((n, c) + tuple(output_size))
    for tap in itertools.product(*(range(k) for k in kernel_size)):
        for pos in itertools.product(*(range(b) for b in blocks)):
            dst = [o * s - p[0] + t * d for o, s, p, t, d in zip(pos, stride, padding, tap, dilation)]
            if all(0 <= h < m for h, m in zip(dst, output_size)):
                out[(slice(None), slice(None)) + tuple(dst)] += cols[(slice(None), slice(None)) + tap + pos]
    return out


# (input shape, kernel_size, dilation, padding pairs, stride, name)
_GEOMS = [((2, 3, 7), (3,), (1,), ((1, 1),), (2,), "1d"),
          ((2, 2, 5, 6), (3, 2), (1, 2), ((1, 0), (2, 1)), (1, 2), "2d-asym"),
          ((1, 2, 4, 3, 5), (2, 2, 3), (1, 1, 1), ((0, 0), (1, 1), (1, 2)), (2, 1, 2), "3d"),
          ((2, 2, 6, 5), (3, 3), (1, 1), ((1, -1), (1, 0)), (2, 1), "2d-crop"),
          ((0, 2, 4, 4), (2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1), "empty-batch")]


def _im2col_samples(dtype, device):
    out = [Sample((_m(shape, dtype, device), k, d, p, s), {}, name) for shape, k, d, p, s, name in _GEOMS]
    out.append(Sample((_m((2, 3, 5, 4), dtype, device, noncontig=True), (2, 2), (2, 1), ((1, 1), (0, 0)), (1, 1)),
                      {}, "noncontig"))
    out.append(Sample((_m((2, 2, 4, 5), dtype, device), (2, 3), (1, 1), ((1, 0), (0, 1)), (1, 2)), {"transposed": True},
                      "transposed-layout"))
    return out


def _col2im_samples(dtype, device):
    out = []
    for shape, k, d, p, s, name in _GEOMS:
        blocks = [_blocks(*a) for a in zip(shape[2:], k, d, p, s)]
        cols = _m((shape[0], shape[1] * math.prod(k), math.prod(blocks)), dtype, device)
        out.append(Sample((cols, shape[2:], k, d, p, s), {}, name))
    cols = _m((2, 4, 12), dtype, device).transpose(1, 2)
    out.append(Sample((cols, (4, 4), (2, 3), (1, 1), ((0, 0), (1, 1)), (2, 2)), {}, "strided-cols"))
    return out


def _ref_conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    d = w.ndim - 2
    unbatched = x.ndim == d + 1
    x = x[None] if unbatched else x
    st = (stride,) * d if isinstance(stride, int) else tuple(stride)
    dl = (dilation,) * d if isinstance(dilation, int) else tuple(dilation)
    k = w.shape[2:]
    if padding == "valid":
        pad = ((0, 0),) * d
    elif padding == "same":
        pad = tuple((dd * (kk - 1) // 2, dd * (kk - 1) - dd * (kk - 1) // 2) for dd, kk in zip(dl, k))
    else:
        pad = tuple((p, p) for p in ((padding,) * d if isinstance(padding, int) else padding))
    cols = _ref_im2col(x, k, dl, pad, st)
    n, g, cout = x.shape[0], groups, w.shape[0]
    cols = cols.reshape(n, g, cols.shape[1] // g, cols.shape[-1])
    out = np.einsum("gok,ngkl->ngol", w.reshape(g, cout // g, -1), cols).reshape(n, cout, cols.shape[-1])
    if b is not None:
        out = out + b[:, None]
    blocks = [_blocks(*a) for a in zip(x.shape[2:], k, dl, pad, st)]
    out = out.reshape((n, cout) + tuple(blocks))
    return out[0] if unbatched else out


def _ref_conv_t(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    d = w.ndim - 2
    unbatched = x.ndim == d + 1
    x = x[None] if unbatched else x
    tup = (lambda v: (v,) * d if isinstance(v, int) else tuple(v))
    st, p, op, dl = tup(stride), tup(padding), tup(output_padding), tup(dilation)
    n, cin = x.shape[:2]
    k = w.shape[2:]
    cout = w.shape[1] * groups
    osz = [(i - 1) * s - 2 * pp + dd * (kk - 1) + o + 1 for i, s, pp, dd, kk, o in zip(x.shape[2:], st, p, dl, k, op)]
    out = np.zeros((n, cout) + tuple(osz))
    cg, og = cin // groups, cout // groups
    for gi in range(groups):
        xg = x[:, gi * cg:(gi + 1) * cg]
        wg = w[gi * cg:(gi + 1) * cg]
        for tap in itertools.product(*(range(kk) for kk in k)):
            for pos in itertools.product(*(range(i) for i in x.shape[2:])):
                dst = [q * s - pp + t * dd for q, s, pp, t, dd in zip(pos, st, p, tap, dl)]
                if all(0 <= h < m for h, m in zip(dst, osz)):
                    out[(slice(None), slice(gi * og, (gi + 1) * og)) + tuple(dst)] += np.einsum(
                        "nc,co->no", xg[(slice(None), slice(None)) + pos], wg[(slice(None), slice(None)) + tap])
    if b is not None:
        out = out + b.reshape((cout,) + (1,) * d)
    return out[0] if unbatched else out


def _ref_unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    t2 = (lambda v: (v, v) if isinstance(v, int) else tuple(v))
    unbatched = x.ndim == 3
    r = _ref_im2col(x[None] if unbatched else x, t2(kernel_size), t2(dilation), tuple((p, p) for p in t2(padding)),
                    t2(stride))
    return r[0] if unbatched else r


def _ref_fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    t2 = (lambda v: (v, v) if isinstance(v, int) else tuple(v))
    unbatched = x.ndim == 2
    r = _ref_col2im(x[None] if unbatched else x, t2(output_size), t2(kernel_size), t2(dilation),
                    tuple((p, p) for p in t2(padding)), t2(stride))
    return r[0] if unbatched else r


def _conv_samples(d):
    def samples(dtype, device):
        sp = (6, 5, 4)[:d] if d < 3 else (4, 3, 3)
        m = (lambda *s, nc=False: _m(s, dtype, device, noncontig=nc))
        k = (3, 2, 3)[:d] if d < 3 else (2, 2, 2)
        return [
            Sample((m(2, 3, *sp), m(4, 3, *k), m(4)), {"stride": 2, "padding": 1}, "stride-pad-bias"),
            Sample((m(1, 4, *sp), m(6, 2, *k)), {"dilation": 2, "padding": "same", "groups": 2}, "same-dil-groups"),
            Sample((m(2, 3, *sp), m(3, 1, *k), m(3)), {"groups": 3, "padding": "valid"}, "depthwise"),
            Sample((m(3, *sp), m(2, 3, *((1,) * d)), m(2)), {"stride": 2}, "unbatched-1x1-strided"),
            Sample((m(2, 3, *sp, nc=True), m(2, 3, *((1,) * d))), {}, "noncontig-1x1"),
            Sample((m(0, 2, *sp), m(2, 2, *k)), {}, "empty-batch"),
        ]
    return samples


def _conv_t_samples(d):
    def samples(dtype, device):
        sp = (4, 3, 3)[:d] if d < 3 else (3, 2, 2)
        m = (lambda *s: _m(s, dtype, device))
        k = (3, 2, 2)[:d] if d < 3 else (2, 2, 2)
        return [
            Sample((m(2, 4, *sp), m(4, 3, *k), m(3)), {"stride": 2, "padding": 1, "output_padding": 1}, "outpad"),
            Sample((m(1, 4, *sp), m(4, 1, *k)), {"groups": 2, "dilation": 2, "output_padding": 1}, "groups-dil"),
            Sample((m(2, *sp), m(2, 2, *k), m(2)), {}, "unbatched"),
        ]
    return samples


def _unfold_samples(dtype, device):
    return [Sample((_m((2, 3, 5, 4), dtype, device), 2), {"padding": 1, "stride": (2, 1)}, "batched"),
            Sample((_m((2, 4, 5), dtype, device), (2, 3)), {"dilation": (2, 1)}, "unbatched")]


def _fold_samples(dtype, device):
    return [Sample((_m((2, 12, 15), dtype, device), (5, 4), 2), {"padding": 1, "stride": (2, 1)}, "batched"),
            Sample((_m((12, 4), dtype, device), 4, (2, 3)), {"stride": (2, 1)}, "unbatched")]


OPS = [
    OpInfo("im2col", im2col, _ref_im2col, _im2col_samples, covers=_COVERS, tol=_TOL),
    OpInfo("col2im", col2im, _ref_col2im, _col2im_samples, covers=_COVERS, tol=_TOL),
    OpInfo("unfold", F.unfold, _ref_unfold, _unfold_samples, covers=_COVERS, tol=_TOL),
    OpInfo("fold", F.fold, _ref_fold, _fold_samples, covers=_COVERS, tol=_TOL),
] + [OpInfo(f"conv{d}d", getattr(F, f"conv{d}d"), _ref_conv, _conv_samples(d), covers=_COVERS, tol=_TOL)
     for d in (1, 2, 3)] + [
    OpInfo(f"conv_transpose{d}d", getattr(F, f"conv_transpose{d}d"), _ref_conv_t, _conv_t_samples(d), covers=_COVERS,
           tol=_TOL) for d in (1, 2, 3)]
