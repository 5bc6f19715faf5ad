"""Op-table entries of the pooling family: max / avg / adaptive pools in 1-3 spatial dims (forward,
and through the gradient checks the fused backward ops) and the backward ops called directly
(forward vs reference, and gradcheck of the backward op itself, i.e. double backward).

References: PyTorch CPU in float64 (PyTorch's exact output-size, divisor and index rules are the
point); the max-pool backward reference is a numpy scatter-add."""
import numpy as np

import tritorch as tt
import tritorch.nn.functional as F
from tritorch._ops.pooling import (max_pool_backward, avg_pool_backward, adaptive_max_pool_backward,
                                   adaptive_avg_pool_backward)
from .core import OpInfo, Sample, make

_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
_AMAX = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
_AAVG = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}


def _torch_fn(kind, D):
    import torch.nn.functional as TF
    return getattr(TF, {"max": "max_pool", "avg": "avg_pool", "amax": "adaptive_max_pool",
                        "aavg": "adaptive_avg_pool"}[kind] + f"{D}d")


def _torch_ref(kind, **fixed):
    def ref(x, D, *args, **kw):
        import torch
        r = _torch_fn(kind, D)(torch.tensor(x), *args, **fixed, **kw)
        return tuple(t.numpy() for t in r) if isinstance(r, tuple) else r.numpy()
    return ref


def _nc(shape, dtype, device):
    """A non-contiguous (sliced) view with ``shape``."""
    return make(shape, dtype, device, noncontig=True)


def _max_samples(dtype, device):
    return [Sample((make((2, 1, 7, 6), dtype, device), 2, 3), {"stride": 2, "padding": 1}, "2d-3x3/2-pad"),
            Sample((make((1, 2, 6, 7), dtype, device), 2, (2, 3)), {"stride": (1, 2), "ceil_mode": True}, "2d-ceil"),
            Sample((make((1, 2, 7, 7), dtype, device), 2, 2), {"stride": 1, "padding": 1, "dilation": 2}, "2d-dil"),
            Sample((_nc((2, 2, 5, 5), dtype, device), 2, 2), {}, "2d-noncontig"),
            Sample((make((2, 9), dtype, device), 1, 3), {"stride": 2, "padding": 1, "ceil_mode": True}, "1d-unbatched"),
            Sample((make((1, 1, 3, 5, 4), dtype, device), 3, 2), {"stride": (1, 2, 2), "padding": (0, 1, 1)}, "3d"),
            Sample((make((0, 2, 4, 4), dtype, device), 2, 2), {}, "empty-batch")]


def _avg_samples(dtype, device):
    return [Sample((make((2, 1, 7, 6), dtype, device), 2, 3), {"stride": 2, "padding": 1}, "2d-pad"),
            Sample((make((1, 2, 7, 6), dtype, device), 2, 3),
                   {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}, "2d-ceil-exclpad"),
            Sample((make((1, 2, 6, 7), dtype, device), 2, (2, 3)), {"stride": (1, 2), "ceil_mode": True}, "2d-ceil"),
            Sample((make((1, 2, 5, 5), dtype, device), 2, 3), {"padding": 1, "divisor_override": 4}, "2d-divisor"),
            Sample((_nc((2, 2, 5, 5), dtype, device), 2, 2), {"stride": 1}, "2d-noncontig"),
            Sample((make((2, 9), dtype, device), 1, 3), {"stride": 2, "padding": 1, "ceil_mode": True}, "1d-unbatched"),
            Sample((make((1, 1, 3, 5, 4), dtype, device), 3, 2), {"stride": (1, 2, 2), "padding": (0, 1, 1)}, "3d"),
            Sample((make((0, 2, 4, 4), dtype, device), 2, 2), {}, "empty-batch")]


def _adaptive_samples(dtype, device):
    return [Sample((make((2, 1, 7, 6), dtype, device), 2, (3, 4)), {}, "2d-shrink"),
            Sample((make((1, 1, 3, 4), dtype, device), 2, (5, 7)), {}, "2d-grow"),
            Sample((_nc((1, 2, 5, 6), dtype, device), 2, (1, 3)), {}, "2d-noncontig"),
            Sample((make((2, 5, 4), dtype, device), 2, (2, None)), {}, "2d-unbatched-None"),
            Sample((make((2, 1, 10), dtype, device), 1, 4), {}, "1d"),
            Sample((make((1, 1, 3, 5, 4), dtype, device), 3, (2, 3, 2)), {}, "3d")]


def _fwd(table, **fixed):
    def fn(x, D, *args, **kw):
        return table[D](x, *args, **fixed, **kw)
    return fn


_BWD_SAMPLES = {"max": ("2d-3x3/2-pad", "2d-dil", "3d"), "avg": ("2d-ceil", "2d-divisor", "1d-unbatched"),
                "amax": ("2d-shrink", "2d-grow", "3d"), "aavg": ("2d-grow", "1d", "3d")}


def _bwd_samples(kind):
    def samples(dtype, device):
        out = []
        for s in (_max_samples if kind == "max" else _avg_samples if kind == "avg" else _adaptive_samples)(
                tt.float64, "cpu"):
            x, D = s.args[0], s.args[1]
            if x.numel() == 0 or s.name not in _BWD_SAMPLES[kind]:
                continue
            fwd = {"max": _MAX, "avg": _AVG, "amax": _AMAX, "aavg": _AAVG}[kind][D]
            extra = {"return_indices": True} if kind in ("max", "amax") else {}
            r = fwd(x, *s.args[2:], **s.kwargs, **extra)
            y, idx = r if extra else (r, None)
            g = make(tuple(y.shape), dtype, device)
            shape = tuple(x.shape)
            if kind == "max":
                kw = s.kwargs
                k, st, p, d = _geom(D, s.args[2], kw.get("stride"), kw.get("padding", 0), kw.get("dilation", 1))
                out.append(Sample((g, idx.to(device), shape, k, st, p, d), {}, s.name))
            elif kind == "avg":
                kw = s.kwargs
                k, st, p, _ = _geom(D, s.args[2], kw.get("stride"), kw.get("padding", 0), 1)
                out.append(Sample((g, shape, k, st, p, kw.get("ceil_mode", False), kw.get("count_include_pad", True),
                                   kw.get("divisor_override")), {}, s.name))
            elif kind == "amax":
                out.append(Sample((g, idx.to(device), shape, D), {}, s.name))
            else:
                out.append(Sample((g, shape, D), {}, s.name))
        return out
    return samples


def _geom(D, k, s, p, d):
    t = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,) * D  # noqa: E731
    return t(k), t(k if s is None else s), t(p), t(d)


def _max_bwd_ref(g, idx, shape, *geom_or_dims):
    D = geom_or_dims[0] if len(geom_or_dims) == 1 else len(geom_or_dims[0])
    lead = int(np.prod(shape[:len(shape) - D]))
    plane = int(np.prod(shape[len(shape) - D:]))
    flat = idx.reshape(lead, -1) + (np.arange(lead) * plane)[:, None]
    dx = np.bincount(flat.ravel(), g.reshape(lead, -1).ravel(), lead * plane)
    return dx.reshape(shape)


def _vjp_ref(kind):
    """The input gradient of the torch pool at ``grad`` (the input values do not matter)."""
    def ref(g, shape, *args):
        import torch
        x = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
        if kind == "avg":
            k, s, p, ceil, incl, div = args
            kw = {"ceil_mode": ceil, "count_include_pad": incl}
            if len(k) > 1:
                kw["divisor_override"] = div
            y = _torch_fn("avg", len(k))(x, k, s, p, **kw)
        else:
            D = args[0]
            y = _torch_fn("aavg", D)(x, tuple(g.shape[g.ndim - D:]))
        return torch.autograd.grad(y, x, torch.tensor(g))[0].numpy()
    return ref


OPS = [
    OpInfo("max_pool", _fwd(_MAX, return_indices=True), _torch_ref("max", return_indices=True), _max_samples,
           covers=("max_pool", "max_pool_backward")),
    OpInfo("avg_pool", _fwd(_AVG), _torch_ref("avg"), _avg_samples, covers=("avg_pool", "avg_pool_backward")),
    OpInfo("adaptive_max_pool", _fwd(_AMAX, return_indices=True), _torch_ref("amax", return_indices=True), _adaptive_samples,
           covers=("adaptive_max_pool", "adaptive_max_pool_backward")),
    OpInfo("adaptive_avg_pool", _fwd(_AAVG), _torch_ref("aavg"), _adaptive_samples,
           covers=("adaptive_avg_pool", "adaptive_avg_pool_backward")),
    OpInfo("max_pool_backward", max_pool_backward, _max_bwd_ref, _bwd_samples("max"), grad_args=(0,)),
    OpInfo("avg_pool_backward", avg_pool_backward, _vjp_ref("avg"), _bwd_samples("avg"), grad_args=(0,)),
    OpInfo("adaptive_max_pool_backward", adaptive_max_pool_backward, _max_bwd_ref, _bwd_samples("amax"),
           grad_args=(0,)),
    OpInfo("adaptive_avg_pool_backward", adaptive_avg_pool_backward, _vjp_ref("aavg"), _bwd_samples("aavg"),
           grad_args=(0,)),
]
