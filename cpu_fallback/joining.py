"""numpy impls of the joining / tiling / reordering ops: cat, stack, repeat, flip, roll,
tril, triu and the index generator of repeat_interleave.

Pure data movement: results are written straight into the registry-allocated ``out``
(mixed input dtypes are cast on the way, PyTorch-promoted by the meta).
"""
import numpy as np


def cat(out, tensors, dim):
    # PyTorch's legacy rule: 1-d empty tensors are skipped whatever the other shapes.
    arrs = [a for a in tensors if not (a.ndim == 1 and a.shape[0] == 0)]
    if arrs:
        np.concatenate(arrs, axis=dim, out=out, casting="unsafe")


def stack(out, tensors, dim):
    np.stack(tensors, axis=dim, out=out, casting="unsafe")


def repeat(out, x, repeats):
    """out = x tiled ``repeats`` times per dim (leading new dims when len(repeats) > x.ndim)."""
    shape = (1,) * (len(repeats) - x.ndim) + x.shape
    if out.flags.c_contiguous:
        # Interleaved (r0, s0, r1, s1, ...) view of out: one broadcast copy, no temporary.
        inter = tuple(v for r, s in zip(repeats, shape) for v in (r, s))
        src = x.reshape(tuple(v for s in shape for v in (1, s)))
        out.reshape(inter)[...] = src
    else:
        out[...] = np.tile(x.reshape(shape), repeats)


def flip(out, x, dims):
    out[...] = np.flip(x, axis=dims) if dims else x


def roll(out, x, shifts, dims):
    out[...] = np.roll(x, shifts, axis=dims)


def _tri_mask(x, diagonal, lower):
    n, m = x.shape[-2], x.shape[-1]
    return np.tri(n, m, k=diagonal, dtype=bool) if lower else ~np.tri(n, m, k=diagonal - 1, dtype=bool)


def tril(out, x, diagonal=0):
    if out is not x:
        out[...] = x
    out[..., ~_tri_mask(x, diagonal, True)] = 0


def triu(out, x, diagonal=0):
    if out is not x:
        out[...] = x
    out[..., ~_tri_mask(x, diagonal, False)] = 0


def repeat_interleave(repeats):
    """Dynamic: ``[0]*repeats[0] + [1]*repeats[1] + ...`` (int64)."""
    if repeats.size and repeats.min() < 0:
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    return np.repeat(np.arange(repeats.shape[0], dtype=np.int64), repeats)


IMPLS = {"cat": cat, "stack": stack, "repeat": repeat, "flip": flip, "roll": roll, "tril": tril,
         "triu": triu, "repeat_interleave": repeat_interleave}
