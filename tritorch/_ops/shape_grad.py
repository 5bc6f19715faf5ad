"""Backward nodes of the view ops.

Reshapes and permutations map the gradient back with the inverse view; `expand` sums
over the broadcast dims; strided sub-views (slice, select, diagonal) scatter the
gradient into zeros of the input's shape through the same view (`view_scatter`).
`as_strided` works in storage space: the gradient is scatter-*added* into a flat
buffer (overlapping outputs sum their contributions) and read back with the input's
geometry.  Every formula is made of differentiable tensor ops or records its own
node, so double backward works.
"""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from ._common import Node, record, STATE
from .creation import zeros
from .shape_meta import non_overlapping, storage_extent

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .._tensor import Tensor

__all__ = ["ViewBackward0", "UnsafeViewBackward0", "SqueezeBackward0", "UnsqueezeBackward0", "PermuteBackward0",
           "ExpandBackward0", "SliceBackward0", "SelectBackward0", "DiagonalBackward0", "AsStridedBackward0",
           "CopySlices", "view_scatter", "strided_scatter_add", "rebase_view_history"]


class _ReshapeBackward(Node):
    def backward(self, g):
        return (g.reshape(self.in_shape),)


class ViewBackward0(_ReshapeBackward):
    pass


class UnsafeViewBackward0(_ReshapeBackward):
    pass


class SqueezeBackward0(_ReshapeBackward):
    pass


class UnsqueezeBackward0(_ReshapeBackward):
    pass


class PermuteBackward0(Node):
    def backward(self, g):
        inv = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inv[d] = i
        return (g.permute(inv),)


class ExpandBackward0(Node):
    def backward(self, g):
        return (g.sum_to_size(self.in_shape),)


class _ViewScatterBackward(Node):
    """Backward of a strided sub-view: ``g`` scattered into zeros of the input's shape."""

    def backward(self, g):
        return (view_scatter(g, self.in_shape, self.replay),)


class SliceBackward0(_ViewScatterBackward):
    pass


class SelectBackward0(_ViewScatterBackward):
    pass


class DiagonalBackward0(_ViewScatterBackward):
    pass


class ViewScatterBackward0(Node):
    """Adjoint of `view_scatter`: take the same view of the incoming gradient."""

    def backward(self, gg):
        return (self.replay(gg),)


def view_scatter(g: Tensor, in_shape: Sequence[int], replay: Callable[[Tensor], Tensor]) -> Tensor:
    """zeros(in_shape) with the view ``replay(zeros)`` set to ``g``; differentiable in ``g``.

    ``replay(t)`` must rebuild, on a tensor of ``in_shape``, the (non-overlapping) view
    whose gradient ``g`` is.
    """
    z = zeros(in_shape, dtype=g.dtype, device=g.device)
    prev = STATE.enabled
    STATE.enabled = False
    try:
        replay(z).copy_(g)
    finally:
        STATE.enabled = prev
    if prev and g._requires_grad:
        n = ViewScatterBackward0()
        n.replay = replay
        record(n, (g,), (z,))
    return z


def _loop_dims(size, stride):
    """Fewest iterations (a set of dims to loop over) leaving a non-overlapping geometry."""
    dims = [d for d in range(len(size)) if size[d] > 1]
    best, best_n = None, None
    for mask in range(1 << len(dims)):
        loop = [dims[k] for k in range(len(dims)) if mask >> k & 1]
        n = 1
        for d in loop:
            n *= size[d]
        if best is not None and n >= best_n:
            continue
        if non_overlapping(size, stride, [d for d in dims if d not in loop]):
            best, best_n = loop, n
    return best


class StridedScatterAddBackward0(Node):
    """Adjoint of `strided_scatter_add`: read the flat gradient with the scattered geometry."""

    def backward(self, gg):
        if gg.storage_offset() != 0 or not gg.is_contiguous():
            gg = gg.clone()
        return (gg.as_strided(self.size, self.stride, self.offset),)


def strided_scatter_add(g: Tensor, numel: int, size: Sequence[int], stride: Sequence[int], offset: int) -> Tensor:
    """A flat ``(numel,)`` tensor of zeros into which ``g`` (shape ``size``) is added at the
    storage positions of geometry ``(size, stride, offset)``; positions hit several times
    receive the sum.  Loops only over the few dims that make the geometry overlap
    (e.g. the kernel taps of an unfold), each step a strided add."""
    z = zeros(numel, dtype=g.dtype, device=g.device)
    prev = STATE.enabled
    STATE.enabled = False
    try:
        if g._data.size:
            src, sz = g, list(size)
            bcast = [d for d in range(len(sz)) if stride[d] == 0 and sz[d] > 1]
            if bcast:  # an expanded output: sum those dims first
                src = src.sum(bcast, keepdim=True)
                for d in bcast:
                    sz[d] = 1
            loop = _loop_dims(sz, stride)
            keep = [d for d in range(len(sz)) if d not in loop]
            sub_size = tuple(sz[d] for d in keep)
            sub_stride = tuple(stride[d] for d in keep)
            for idx in itertools.product(*(range(sz[d]) for d in loop)):
                part = src
                for d, i in sorted(zip(loop, idx), reverse=True):
                    part = part.select(d, i)
                off = offset + sum(i * stride[d] for d, i in zip(loop, idx))
                z.as_strided(sub_size, sub_stride, off).add_(part)
    finally:
        STATE.enabled = prev
    if prev and g._requires_grad:
        n = StridedScatterAddBackward0()
        n.size, n.stride, n.offset = tuple(size), tuple(stride), offset
        record(n, (g,), (z,))
    return z


class AsStridedBackward0(Node):
    """Storage-space gradient: scatter-add into the storage, read with the input's geometry."""

    def backward(self, g):
        in_size, in_stride, in_off = self.in_geom
        if not non_overlapping(in_size, in_stride):
            raise RuntimeError("as_strided backward: the input's elements overlap in memory (e.g. it comes from "
                               "expand); call .contiguous() on it before as_strided")
        size, stride, off = self.out_geom
        n = max(storage_extent(in_size, in_stride, in_off), storage_extent(size, stride, off))
        flat = strided_scatter_add(g, n, size, stride, off)
        return (flat.as_strided(in_size, in_stride, in_off),)


class CopySlices(Node):
    """Base's history after an in-place op wrote ``result`` into its view region.

    Inputs: (the base's previous history, ``result``).  The base gradient keeps
    everything outside the region; the region's gradient flows to ``result``.
    """

    def backward(self, g):
        base_geom, view_geom, n = self.base_geom, self.view_geom, self.numel
        flat = strided_scatter_add(g, n, *base_geom)
        g_view = flat.as_strided(*view_geom)
        need_base, need_res = self.needs_input_grad
        g_base = None
        if need_base:
            g_base = (flat - strided_scatter_add(g_view, n, *view_geom)).as_strided(*base_geom)
        return g_base, (g_view.clone() if need_res else None)


def rebase_view_history(view: Tensor, result: Tensor) -> Tensor:
    """After ``view`` (a view of ``view._base``) was overwritten in place with ``result``'s
    values: give the base a `CopySlices` history and ``view`` a history through the base,
    so gradients through either see the in-place op (PyTorch's CopySlices).

    For `_inplace` helpers: call instead of copying ``result.grad_fn`` onto ``view``.
    """
    base = view._base
    if base.grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    base_geom = (base._data.shape, base.stride(), base.storage_offset())
    view_geom = (view._data.shape, view.stride(), view.storage_offset())
    if not non_overlapping(base_geom[0], base_geom[1]) or not non_overlapping(view_geom[0], view_geom[1]):
        raise RuntimeError("in-place operation on a view whose elements overlap in memory (e.g. from expand) "
                           "is not differentiable; clone() it first")
    n = CopySlices()
    n.base_geom, n.view_geom = base_geom, view_geom
    n.numel = max(storage_extent(*base_geom), storage_extent(*view_geom))
    record(n, (base if base._requires_grad else None, result), (base,))
    a = AsStridedBackward0()
    a.in_geom, a.out_geom = base_geom, view_geom
    record(a, (base,), (view,))
    return view
