"""Op-table entries of the batch_norm family: batch_norm (train / eval, with and without affine
and running stats) and group_norm; the gradient checks exercise the fused backward ops.  Running
stats travel as kwargs so gradcheck differentiates only input, weight and bias."""
import numpy as np

import tritorch.nn.functional as F
from .core import OpInfo, Sample, make, to_ref


def _bn(x, w=None, b=None, running_mean=None, running_var=None, **kw):
    return F.batch_norm(x, running_mean, running_var, w, b, **kw)


def _bn_ref(x, w=None, b=None, running_mean=None, running_var=None, training=False, momentum=0.1, eps=1e-5):
    dims = (0,) + tuple(range(2, x.ndim))
    bs = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        mu, var = x.mean(axis=dims, keepdims=True), x.var(axis=dims, keepdims=True)
    else:
        mu, var = to_ref(running_mean).reshape(bs), to_ref(running_var).reshape(bs)
    y = (x - mu) / np.sqrt(var + eps)
    if w is not None:
        y = y * w.reshape(bs)
    if b is not None:
        y = y + b.reshape(bs)
    return y


def _bn_samples(dtype, device):
    c = lambda s: make(s, dtype, device)  # noqa: E731
    pos = lambda s: make(s, dtype, device, low=0.5, high=2.0)  # noqa: E731
    return [Sample((c((4, 3, 5)), c((3,)), c((3,))), {"running_mean": c((3,)), "running_var": pos((3,)),
                                                        "training": True}, "train-3d-affine-running"),
            Sample((c((2, 3, 2, 2)), c((3,)), c((3,))), {"running_mean": c((3,)), "running_var": pos((3,))},
                   "eval-4d"),
            Sample((c((5, 4)),), {"training": True, "eps": 1e-3}, "train-2d-plain"),
            Sample((make((3, 2, 4), dtype, device, noncontig=True), None, c((2,))), {"training": True},
                   "train-noncontig-bias"),
            Sample((c((0, 3, 2)),), {"training": True}, "empty")]


def _gn_ref(x, num_groups, w=None, b=None, eps=1e-5):
    n, c = x.shape[:2]
    if not x.size:
        return x
    xg = x.reshape(n, num_groups, -1)
    y = ((xg - xg.mean(axis=2, keepdims=True)) / np.sqrt(xg.var(axis=2, keepdims=True) + eps)).reshape(x.shape)
    bs = (1, -1) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * w.reshape(bs)
    if b is not None:
        y = y + b.reshape(bs)
    return y


def _gn_samples(dtype, device):
    c = lambda s: make(s, dtype, device)  # noqa: E731
    return [Sample((c((2, 6, 3)), 3, c((6,)), c((6,))), {}, "affine"),
            Sample((c((3, 4)), 2), {}, "2d"),
            Sample((c((2, 4, 2, 3)), 1, c((4,))), {"eps": 1e-3}, "one-group"),
            Sample((make((2, 4, 3), dtype, device, noncontig=True), 4, None, c((4,))), {}, "groups=C-noncontig"),
            Sample((c((0, 4, 2)), 2), {}, "empty")]


OPS = [
    OpInfo("batch_norm", _bn, _bn_ref, _bn_samples, covers=("batch_norm", "batch_norm_backward")),
    OpInfo("group_norm", F.group_norm, _gn_ref, _gn_samples, covers=("group_norm", "group_norm_backward")),
]
