"""Op-table entry of scaled dot-product attention: the functional's forward vs a float64 numpy
reference (and, through the gradient checks, the fused backward op) on tiny shapes: broadcast
batch dims, bool/float masks (with a fully masked row), is_causal with L != S, custom scale,
odd head dims, 2-D inputs, a non-contiguous query, grouped-query attention, empty inputs."""
import numpy as np

import tritorch as tt
import tritorch.nn.functional as F
from .core import OpInfo, Sample, make, to_ref


def _ref(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
    if enable_gqa and q.shape[-3] != k.shape[-3]:
        k = np.repeat(k, q.shape[-3] // k.shape[-3], axis=-3)
        v = np.repeat(v, q.shape[-3] // v.shape[-3], axis=-3)
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    attn_mask = to_ref(attn_mask)  # kwargs reach the reference as tensors
    s = q @ np.swapaxes(k, -1, -2) * scale
    L, S = s.shape[-2:]
    if is_causal:
        s = np.where(np.tri(L, S, dtype=bool), s, -np.inf)
    if attn_mask is not None:
        s = np.where(attn_mask, s, -np.inf) if attn_mask.dtype == bool else s + attn_mask
    if S == 0:
        return np.zeros(s.shape[:-1] + (v.shape[-1],))
    m = s.max(-1, keepdims=True)
    dead = m == -np.inf
    e = np.exp(s - np.where(dead, 0, m))
    p = e / np.where(dead, 1, e.sum(-1, keepdims=True))
    return p @ v


def _samples(dtype, device):
    rng = np.random.default_rng(7)

    def t(*shape):
        return make(shape, dtype, device, low=-2, high=2, rng=rng)

    bmask = rng.random((4, 6)) > 0.4
    bmask[1] = False  # a fully masked row: out 0, gradients 0
    fmask = np.where(rng.random((1, 2, 4, 6)) > 0.3, rng.uniform(-1, 1, (1, 2, 4, 6)), -np.inf)
    fmask[0, 1, 2] = -np.inf
    qt = make((1, 4, 2, 8), dtype, device, rng=rng).transpose(1, 2)  # (B, L, H, E) storage
    return [
        Sample((t(1, 2, 4, 8), t(1, 2, 6, 8), t(1, 2, 6, 4)), {}, "basic"),
        Sample((t(1, 2, 7, 4), t(1, 2, 5, 4), t(1, 2, 5, 4)), {"is_causal": True}, "causal-L>S"),
        Sample((t(2, 3, 4), t(2, 6, 4), t(2, 6, 4)), {"is_causal": True, "scale": 0.3}, "causal-L<S-scale"),
        Sample((t(1, 2, 4, 5), t(1, 2, 6, 5), t(1, 2, 6, 3)), {"attn_mask": tt.tensor(bmask, device=device)},
               "bool-mask-broadcast"),
        Sample((t(1, 2, 4, 3), t(1, 2, 6, 3), t(1, 2, 6, 4)),
               {"attn_mask": tt.tensor(fmask, dtype=dtype, device=device), "scale": 0.7}, "float-mask"),
        Sample((t(2, 1, 3, 4), t(1, 2, 5, 4), t(2, 2, 5, 4)), {}, "broadcast-batch"),
        Sample((t(5, 20), t(3, 20), t(3, 4)), {}, "2d-odd-E"),
        Sample((qt, t(1, 2, 3, 8), t(1, 2, 3, 8)), {}, "noncontig-query"),
        Sample((t(1, 4, 3, 4), t(1, 2, 5, 4), t(1, 2, 5, 4)), {"enable_gqa": True}, "gqa"),
        Sample((t(1, 0, 4), t(1, 3, 4), t(1, 3, 4)), {}, "empty-L"),
        Sample((t(1, 2, 4), t(1, 0, 4), t(1, 0, 4)), {}, "empty-S"),
    ]


OPS = [
    OpInfo("scaled_dot_product_attention", F.scaled_dot_product_attention, _ref, _samples,
           covers=("scaled_dot_product_attention", "scaled_dot_product_attention_backward"), grad_args=(0, 1, 2)),
]
