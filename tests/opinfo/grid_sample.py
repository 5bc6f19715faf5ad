"""Op-table entries of the grid_sample family: ``F.grid_sample`` (every mode x padding mode,
align_corners both ways, non-contiguous input and grid, empty batch; reference: PyTorch on CPU in
float64, since PyTorch's exact coordinate rules are the point; gradcheck and cuda-vs-cpu gradients
exercise ``grid_sample_backward`` for input and grid) and ``F.affine_grid`` (a composition: 2-D and
3-D, vs a float64 numpy reference; gradcheck w.r.t. theta)."""
import numpy as np
import torch
import torch.nn.functional as TF

import tritorch.nn.functional as F
from .core import OpInfo, Sample, make


def _grid(shape, dtype, device, noncontig=False):
    """Grid points in [-1.2, 1.2]: mostly inside, some outside the input (padding matters)."""
    return make(shape, dtype, device, low=-1.2, high=1.2, noncontig=noncontig)


def _samples(dtype, device):
    out = []
    for i, (mode, pad) in enumerate((("bilinear", "zeros"), ("bilinear", "border"), ("bilinear", "reflection"),
                                     ("nearest", "zeros"), ("nearest", "reflection"), ("bicubic", "zeros"),
                                     ("bicubic", "border"), ("bicubic", "reflection"))):
        align = i % 2 == 1
        out.append(Sample((make((2, 2, 3, 4), dtype, device), _grid((2, 3, 2, 2), dtype, device)),
                          {"mode": mode, "padding_mode": pad, "align_corners": align}, f"{mode}-{pad}-{align}"))
    x = make((1, 3, 4, 3), dtype, device).transpose(2, 3)
    out.append(Sample((x, _grid((1, 2, 3, 2), dtype, device, noncontig=True)), {"align_corners": False},
                      "noncontig"))
    out.append(Sample((make((0, 2, 3, 4), dtype, device), _grid((0, 2, 2, 2), dtype, device)),
                      {"align_corners": True}, "empty-batch"))
    return out


def _ref(x, grid, **kw):
    return TF.grid_sample(torch.from_numpy(x), torch.from_numpy(grid), **kw).numpy()


def _affine_samples(dtype, device):
    return [Sample((make((2, 2, 3), dtype, device, low=-1, high=1), (2, 3, 4, 5)), {"align_corners": False}, "2d"),
            Sample((make((1, 2, 3), dtype, device, low=-1, high=1), [1, 1, 3, 2]), {"align_corners": True},
                   "2d-align"),
            Sample((make((2, 3, 4), dtype, device, low=-1, high=1), (2, 1, 2, 3, 4)), {"align_corners": False},
                   "3d")]


def _axis(n, align):
    if n <= 1:
        return np.zeros(1)
    r = np.linspace(-1, 1, n)
    return r if align else r * (n - 1) / n


def _affine_ref(theta, size, align_corners):
    """Base grid of (x, y[, z], 1) pixel centres times theta^T, in float64."""
    spatial = list(size[2:])
    k = len(spatial)
    coords = np.meshgrid(*[_axis(n, align_corners) for n in spatial], indexing="ij")[::-1]
    base = np.stack(list(coords) + [np.ones(spatial)], -1).reshape(-1, k + 1)
    return np.einsum("pj,nij->npi", base, theta).reshape(size[0], *spatial, k)


OPS = [
    OpInfo("grid_sample", F.grid_sample, _ref, _samples, covers=("grid_sample", "grid_sample_backward")),
    OpInfo("affine_grid", F.affine_grid, _affine_ref, _affine_samples, covers=("__composite__",), grad_args=(0,)),
]
