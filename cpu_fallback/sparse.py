"""numpy impls of embedding (gather, scatter-add backward, renorm), embedding_bag (segment
sum / mean / max) and one_hot.  Half types accumulate in float32 and round once."""
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


def _check_offsets(off, n):
    if off[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {int(off[0])}")
    if off[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n}, but got {int(off[-1])}")


def embedding_bag(outs, weight, indices, offsets, per_sample_weights, mode, padding_idx):
    out, offset2bag, bag_size, max_idx = outs
    idx = np.asarray(indices, np.int64)
    off = np.asarray(offsets, np.int64)
    n, nb = idx.size, off.size - 1
    _check_offsets(off, n)
    _check_range(idx, weight.shape[0])
    pos = np.arange(n)
    # each position's bag: the last bag whose start is <= pos (ties: empty bags are skipped)
    # (the last bag runs to the end of the input, as PyTorch's cpu kernel: offsets[-1] is only checked)
    bag = np.searchsorted(off[1:-1], pos, side="right") if nb else np.full(n, -1)
    bag = bag.astype(np.int64)
    offset2bag[...] = bag
    ok = (bag >= 0) & (idx != padding_idx)
    cnt = np.bincount(bag[ok], minlength=nb)[:nb]
    bag_size[...] = cnt
    ct = compute_dtype(weight.dtype)
    d = weight.shape[1]
    rows = _up(weight[idx[ok]]).astype(ct, copy=False).reshape(-1, d)
    b = bag[ok]
    if mode == "max":
        acc = np.full((nb, d), -np.inf, ct)
        np.maximum.at(acc, b, rows)
        # the first position in each bag reaching the max (PyTorch's strict '>' keeps the first)
        first = np.full((nb, d), n, np.int64)
        hit = rows == acc[b]
        np.minimum.at(first, b, np.where(hit, pos[ok][:, None], n))
        empty = cnt == 0
        acc[empty] = 0
        max_idx[...] = np.where(empty[:, None], -1, idx[np.minimum(first, max(n - 1, 0))] if n else -1)
    else:
        if per_sample_weights is not None:
            rows = rows * _up(per_sample_weights).astype(ct, copy=False)[ok][:, None]
        acc = np.zeros((nb, d), ct)
        np.add.at(acc, b, rows)
        if mode == "mean":
            acc /= np.maximum(cnt, 1).astype(ct)[:, None]
    np.copyto(out, acc, casting="unsafe")


IMPLS = {"embedding_bag": embedding_bag, "embedding": embedding, "embedding_backward": embedding_backward, "embedding_renorm": embedding_renorm,
         "one_hot": one_hot}
