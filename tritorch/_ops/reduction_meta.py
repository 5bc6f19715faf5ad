"""What the reduction families share (``reduction``, ``reduction_stats``, ``reduction_compare``,
``reduction_scan``): dim normalisation, reduced shapes, the plain-reduction meta factory, the
gradient broadcast back to the input's shape, and PyTorch's dtype names for messages.

It sits below those families so they import it (and never each other in a circle).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from .._dtype import TORCH_NAMES
from ._common import Tensor, reduce_dims, check_keepdim

if TYPE_CHECKING:
    from .._dtype import dtype

__all__ = []


def torch_name(dt: dtype) -> str:
    """PyTorch's scalar-type name of a dtype (``Long``, ``Float`` ...), as used in its messages."""
    return TORCH_NAMES.get(dt, dt.name)


def reduce_shape(shape: Sequence[int], dims: Sequence[int], keepdim: bool) -> tuple[int, ...]:
    if keepdim:
        return tuple(1 if i in dims else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in dims)


def norm_dims(dim: int | Sequence[int] | None, ndim: int, op: str) -> tuple[int, ...]:
    """``dim`` -> sorted tuple of wrapped dims; None and an empty tuple/list mean every dim."""
    if dim is None or (dim.__class__ in (tuple, list) and len(dim) == 0):
        return tuple(range(ndim))
    return reduce_dims(dim, ndim, op)


def check_nonempty(x: Tensor, dims: Sequence[int], op: str) -> None:
    """PyTorch's IndexError for reducing a size-0 dim with an op that has no identity."""
    shape = x._data.shape
    for d in dims:
        if d < len(shape) and shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def reduce_meta(op: str, dtype_rule: Callable, nonempty: bool = False) -> Callable:
    """Meta factory: ``meta(x, dims, keepdim, dtype)`` -> (out shape, out dtype).

    ``dims`` is already a normalised tuple.  ``dtype_rule(x_dtype, dtype)`` picks the
    output dtype (or raises for unsupported dtypes); ``nonempty`` rejects reducing a size-0 dim
    (ops without an identity: amax, amin).
    """
    def meta(x, dims, keepdim, dtype=None):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
        check_keepdim(keepdim, op)
        if nonempty:
            check_nonempty(x, dims, op)
        return reduce_shape(x._data.shape, dims, keepdim), dtype_rule(x.dtype, dtype)
    meta.__doc__ = f"{op}: reduce over dims (tuple), keepdim; output shape drops or keeps them as size 1."
    return meta


def expand_back(g: Tensor, in_shape: tuple[int, ...], dims: Sequence[int], keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back to ``in_shape``."""
    if g._data.shape == in_shape:
        return g
    # A full reduction's 0-d gradient expands directly (expand prepends dims).
    if not keepdim and dims and len(in_shape) and g._data.ndim:
        shape = list(in_shape)
        for d in dims:
            shape[d] = 1
        g = g.reshape(tuple(shape))
    return g.expand(in_shape)
