"""numpy impls of embedding (gather, scatter-add backward, renorm) and one_hot.  Half types
accumulate in float32 and round once."""
import numpy as np

from .pointwise_unary import compute_dtype, _up


def _check_range(idx, n):
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")


def embedding(out, weight, indices):
    idx = np.asarray(indices, np.int64)
    _check_range(idx, weight.shape[0])
    flat = idx.reshape(-1)
    if out.flags.c_contiguous:
        np.take(weight, flat, axis=0, out=out.reshape(flat.size, weight.shape[1]))
    else:
        np.copyto(out, weight[flat].reshape(out.shape))


def embedding_backward(out, grad, indices, num_weights, padding_idx, scale_grad_by_freq):
    ct = compute_dtype(grad.dtype)
    idx = np.asarray(indices, np.int64).reshape(-1)
    _check_range(idx, num_weights)
    rows = _up(grad).astype(ct, copy=False).reshape(idx.size, grad.shape[-1])
    if scale_grad_by_freq:
        cnt = np.bincount(idx, minlength=num_weights).astype(ct)
        rows = rows / cnt[idx][:, None]
    if padding_idx >= 0:
        rows = np.where((idx == padding_idx)[:, None], ct.type(0), rows)
    out[...] = 0
    if idx.size:
        # k-th occurrences of the indices form a set of distinct rows: assign the first ones, then
        # add level by level in token order (deterministic; far faster than np.add.at / reduceat
        # when most indices are distinct)
        order = np.argsort(idx, kind="stable")
        sidx = idx[order]
        first = np.concatenate(([True], sidx[1:] != sidx[:-1]))
        starts = np.flatnonzero(first)
        rank = np.arange(idx.size) - starts[np.cumsum(first) - 1]
        acc = np.zeros((num_weights, rows.shape[1]), ct) if out.dtype != ct else out
        acc[sidx[first]] = rows[order[first]]
        for r in range(1, int(rank.max()) + 1):
            sel = rank == r
            acc[sidx[sel]] += rows[order[sel]]
        if acc is not out:
            np.copyto(out, acc, casting="unsafe")


def _pnorm(rows, p):
    a = np.abs(rows)
    if p == np.inf:
        return a.max(axis=1) if a.shape[1] else np.zeros(a.shape[0], a.dtype)
    if p == 0:
        return (a != 0).sum(axis=1).astype(a.dtype)
    return (a ** p).sum(axis=1) ** (1.0 / p)


def embedding_renorm(out, weight, indices, max_norm, norm_type):
    if out is not weight:
        np.copyto(out, weight)
    idx = np.unique(np.asarray(indices, np.int64).reshape(-1))
    _check_range(idx, weight.shape[0])
    ct = compute_dtype(weight.dtype)
    rows = _up(out[idx]).astype(ct)
    with np.errstate(all="ignore"):
        norm = _pnorm(rows, norm_type)
        scale = np.where(norm > max_norm, ct.type(max_norm) / (norm + ct.type(1e-7)), ct.type(1))
    out[idx] = (rows * scale[:, None]).astype(out.dtype)


def one_hot(out, indices, num_classes):
    idx = np.asarray(indices, np.int64)
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if idx.size and idx.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    np.copyto(out, (idx[..., None] == np.arange(num_classes)).astype(np.int64))


IMPLS = {"embedding": embedding, "embedding_backward": embedding_backward, "embedding_renorm": embedding_renorm,
         "one_hot": one_hot}
