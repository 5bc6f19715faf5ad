"""Op-table entries of the distance family: normalize, cosine_similarity and pairwise_distance
(composed from registry ops: ``__composite__``)."""
import numpy as np

import tritorch.nn.functional as F
from .core import OpInfo, Sample, make


def _normalize_ref(x, p=2.0, dim=1, eps=1e-12):
    n = np.linalg.norm(np.moveaxis(x, dim, -1), ord=p, axis=-1) if x.size else np.zeros(())
    return x / np.maximum(np.expand_dims(n, dim), eps)


def _normalize_samples(dtype, device):
    return [Sample((make((3, 4), dtype, device),), {}, "default"),
            Sample((make((2, 3, 4), dtype, device),), {"p": 1.0, "dim": -1}, "p1"),
            Sample((make((4, 3), dtype, device, noncontig=True),), {"dim": 0, "p": 3.0}, "p3-noncontig")]


def _cos_ref(x1, x2, dim=1, eps=1e-8):
    x1, x2 = np.broadcast_arrays(x1, x2)
    n1 = np.maximum(np.sqrt((x1 * x1).sum(axis=dim, keepdims=True)), eps)
    n2 = np.maximum(np.sqrt((x2 * x2).sum(axis=dim, keepdims=True)), eps)
    return ((x1 / n1) * (x2 / n2)).sum(axis=dim)


def _cos_samples(dtype, device):
    return [Sample((make((3, 5), dtype, device), make((3, 5), dtype, device)), {}, "same"),
            Sample((make((2, 1, 4), dtype, device), make((3, 4), dtype, device)), {"dim": -1}, "broadcast"),
            Sample((make((4, 3), dtype, device, noncontig=True), make((4, 1), dtype, device)), {"dim": 0},
                   "noncontig")]


def _pd_ref(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return np.linalg.norm(x1 - x2 + eps, ord=p, axis=-1, keepdims=keepdim)


def _pd_samples(dtype, device):
    return [Sample((make((3, 5), dtype, device), make((3, 5), dtype, device)), {}, "p2"),
            Sample((make((2, 4), dtype, device), make((4,), dtype, device)), {"p": 1.0, "keepdim": True}, "p1")]


OPS = [
    OpInfo("normalize", F.normalize, _normalize_ref, _normalize_samples, covers=("__composite__",)),
    OpInfo("cosine_similarity", F.cosine_similarity, _cos_ref, _cos_samples, covers=("__composite__",)),
    OpInfo("pairwise_distance", F.pairwise_distance, _pd_ref, _pd_samples, covers=("__composite__",)),
]
