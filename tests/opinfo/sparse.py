"""Op-table entries of the sparse family: embedding (its backward through the gradient checks),
embedding_renorm (the registry op, out of place) and one_hot.  A referenced padding_idx row and
scale_grad_by_freq over repeated indices are NOT true gradients (by PyTorch's definition), so the
table's samples avoid them (gradcheck); tests/test_sparse.py checks both against torch."""
import numpy as np

import tritorch as tt
import tritorch.nn.functional as F
from tritorch._ops.sparse import _RENORM
from .core import OpInfo, Sample, make, to_ref


def _emb(w, idx, **kw):
    return F.embedding(idx, w, **kw)


def _emb_ref(w, idx, **kw):
    return w[idx]


def _idx(a, device, dtype=tt.int64):
    return tt.tensor(np.array(a), dtype=dtype, device=device)


def _emb_samples(dtype, device):
    w = lambda: make((6, 4), dtype, device)  # noqa: E731
    return [Sample((w(), _idx([[1, 3, 1], [5, 0, 1]], device)), {}, "2d-repeats"),
            Sample((w(), _idx([3, 3, 4, 0], device, tt.int32)), {"padding_idx": 2}, "int32-padding"),
            Sample((w(), _idx([1, 0, 3], device)), {"scale_grad_by_freq": True, "padding_idx": -1}, "freq"),
            Sample((make((5, 3), dtype, device, noncontig=True), _idx(4, device)), {}, "0d-index-noncontig"),
            Sample((w(), _idx(np.zeros((0, 2), np.int64), device)), {}, "empty")]


def _renorm(w, idx, max_norm, norm_type):
    return _RENORM.run((w, idx, max_norm, norm_type), {})


def _renorm_ref(w, idx, max_norm, norm_type):
    out = w.copy()
    u = np.unique(idx)
    rows = out[u]
    norm = np.linalg.norm(rows, ord=norm_type, axis=1)
    scale = np.where(norm > max_norm, max_norm / (norm + 1e-7), 1.0)
    out[u] = rows * scale[:, None]
    return out


def _renorm_samples(dtype, device):
    w = lambda: make((6, 5), dtype, device)  # noqa: E731
    return [Sample((w(), _idx([1, 3, 1], device), 2.0, 2.0), {}, "p2"),
            Sample((w(), _idx([[0, 5], [5, 2]], device), 3.0, 1.0), {}, "p1"),
            Sample((w(), _idx([4], device), 1.0, float("inf")), {}, "pinf"),
            Sample((w(), _idx([0, 2], device), 1.5, 3.0), {}, "p3")]


def _one_hot_samples(dtype, device):
    return [Sample((_idx([[1, 0], [3, 2]], device),), {}, "infer"),
            Sample((_idx([1, 0, 4], device), 6), {}, "classes"),
            Sample((_idx(2, device), 3), {}, "0d"),
            Sample((_idx(np.zeros(0, np.int64), device), 2), {}, "empty")]


def _one_hot_ref(x, num_classes=-1):
    k = int(x.max()) + 1 if num_classes == -1 else num_classes
    return (x[..., None] == np.arange(k)).astype(np.int64)


def _bag(idx, w, off, **kw):
    return F.embedding_bag(idx, w, off, **kw)


def _bag_ref(idx, w, off, mode="mean", per_sample_weights=None, padding_idx=None):
    per_sample_weights = to_ref(per_sample_weights)  # kwargs reach the reference unconverted
    ends = list(off[1:]) + [len(idx)]
    out = np.zeros((len(off), w.shape[1]))
    for b, (s, e) in enumerate(zip(off, ends)):
        keep = [j for j in range(s, e) if idx[j] != padding_idx]
        if not keep:
            continue
        rows = w[idx[keep]]
        if per_sample_weights is not None:
            rows = rows * per_sample_weights[keep][:, None]
        out[b] = rows.sum(0) if mode == "sum" else rows.mean(0) if mode == "mean" else rows.max(0)
    return out


def _bag_samples(dtype, device):
    w = lambda: make((6, 4), dtype, device)  # noqa: E731
    idx = _idx([1, 3, 1, 5, 0, 2, 4], device)
    off = _idx([0, 3, 3, 5], device)
    return [Sample((idx, w(), off), {"mode": "sum"}, "sum"),
            Sample((idx, w(), off), {"mode": "mean", "padding_idx": 1}, "mean-padding"),
            Sample((idx, make((6, 4), dtype, device, noncontig=True), off), {"mode": "max"}, "max-noncontig"),
            Sample((idx, w(), off), {"mode": "sum", "per_sample_weights": make((7,), dtype, device)}, "psw"),
            Sample((_idx(np.zeros(0, np.int64), device), w(), _idx([0, 0], device)), {"mode": "sum"}, "empty")]


OPS = [
    OpInfo("embedding", _emb, _emb_ref, _emb_samples, covers=("embedding", "embedding_backward")),
    OpInfo("embedding_renorm", _renorm, _renorm_ref, _renorm_samples, grad=False,
           tol={tt.float16: (2e-3, 2e-3), tt.bfloat16: (1e-2, 1e-2), tt.float32: (1e-5, 1e-5),
                tt.float64: (1e-10, 1e-10)}),
    OpInfo("embedding_bag", _bag, _bag_ref, _bag_samples, grad_args=(1,)),
    OpInfo("one_hot", F.one_hot, _one_hot_ref, _one_hot_samples, dtypes=(tt.int64,), grad=False),
]
