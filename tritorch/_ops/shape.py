"""View ops: new tensors over the same storage, computed from shape/strides alone.

Every registry op here is declared with ``view=True`` (metas in `shape_meta.py`): the
meta returns ``(shape, strides, offset)`` in elements and the device's array API
rebuilds the view, so one implementation serves every device.  Composites (`reshape`,
`flatten`, `split`, `movedim`, ...) are built on them; ``reshape``/``contiguous``/
``flatten`` copy only when no view exists, as in PyTorch.  Gradients: `shape_grad.py`.
"""
from __future__ import annotations

import numbers
import warnings
from typing import TYPE_CHECKING, Any

from .. import _dtype
from .._size import Size
from ._common import (Tensor, attach, record, STATE, wrap_dim, normalize_shape, method, int_arg, int_list,
                      broadcast_shapes)
from .pointwise_copy import sum_to, clone
from .reduction_meta import torch_name
from .shape_meta import (contiguous_strides, infer_size, view_strides, permute_dims, VIEW as _VIEW,
                         PERMUTE as _PERMUTE, EXPAND as _EXPAND, AS_STRIDED as _AS_STRIDED, SLICE as _SLICE,
                         SELECT as _SELECT, SQUEEZE as _SQUEEZE, UNSQUEEZE as _UNSQUEEZE, DIAGONAL as _DIAGONAL)
from .shape_grad import (ViewBackward0, UnsafeViewBackward0, SqueezeBackward0, UnsqueezeBackward0,
                         PermuteBackward0, ExpandBackward0, SliceBackward0, SelectBackward0, DiagonalBackward0,
                         AsStridedBackward0, view_scatter)

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["reshape", "permute", "transpose", "swapaxes", "swapdims", "t", "squeeze", "unsqueeze", "flatten",
           "unflatten", "narrow", "select", "chunk", "split", "tensor_split", "unbind", "as_strided", "movedim",
           "moveaxis", "broadcast_to", "broadcast_tensors", "atleast_1d", "atleast_2d", "atleast_3d", "diagonal"]
_E = {}
# Names other modules import from here.
_REEXPORTS = (contiguous_strides, infer_size, view_scatter)


def _view(op, t, args, node_cls=None, **node_attrs):
    v = op.run_view(t, args, _E)
    # Checked here, not only in attach: views are the hottest no-grad path (every transpose).
    if node_cls is not None and t._requires_grad and STATE.enabled:
        attach(node_cls, (t,), v, in_shape=t._data.shape, **node_attrs)
    return v


# ---- public API -------------------------------------------------------------------------------------
@method()
def view(self: Tensor, *shape: int | Sequence[int]) -> Tensor:
    """A view with a new shape (one -1 inferred).  ``view(dtype)`` is not supported."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, numbers.Integral, Tensor)):
        raise TypeError(f"view(): argument 'size' must be tuple of ints, not {type(shape[0]).__name__}")
    return _view(_VIEW, self, (normalize_shape(shape, "view"),), ViewBackward0)


@method()
def view_as(self: Tensor, other: Tensor) -> Tensor:
    return view(self, other.shape)


@method()
def reshape(input: Tensor, *shape: int | Sequence[int]) -> Tensor:
    """Like `view` when strides allow, else a contiguous copy with the new shape."""
    shape = infer_size(normalize_shape(shape, "reshape"), input._data.size, "reshape")
    if view_strides(input._data.shape, input.stride(), shape) is not None:
        return _view(_VIEW, input, (shape,), ViewBackward0)
    prev = STATE.enabled
    STATE.enabled = False
    try:
        c = clone(input)
    finally:
        STATE.enabled = prev
    v = _VIEW.run_view(c, (shape,), _E)
    v._base = None  # a copy, not a view of ``input``
    if prev and input._requires_grad:
        n = UnsafeViewBackward0()
        n.in_shape = input._data.shape
        record(n, (input,), (v,))
    return v


@method()
def reshape_as(self: Tensor, other: Tensor) -> Tensor:
    return reshape(self, other.shape)


@method()
def contiguous(self: Tensor, memory_format: object = None) -> Tensor:
    """self if already contiguous, else a contiguous copy."""
    return self if self.is_contiguous() else clone(self)


@method()
def permute(input: Tensor, *dims: int | Sequence[int]) -> Tensor:
    """Reorder the dims (a view). Output shape: ``[input.shape[d] for d in dims]``."""
    return _permuted(input, permute_dims(input._data.ndim, normalize_shape(dims, "permute")))


def _permuted(input, dims):
    v = _PERMUTE.run_permuted(input, dims)
    if STATE.enabled and input._requires_grad:
        n = PermuteBackward0()
        n.in_shape = input._data.shape
        n.dims = dims
        record(n, (input,), (v,))
    return v


@method()
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims (a view)."""
    nd = input._data.ndim
    if nd == 0:  # dims -1/0 only, as for a 1-d tensor
        wrap_dim(dim0, 0, "transpose")
        wrap_dim(dim1, 0, "transpose")
        return input.view(())
    d0 = dim0 + nd if dim0.__class__ is int and -nd <= dim0 < 0 else dim0
    d1 = dim1 + nd if dim1.__class__ is int and -nd <= dim1 < 0 else dim1
    if not (d0.__class__ is int and d1.__class__ is int and 0 <= d0 < nd and 0 <= d1 < nd):
        d0, d1 = wrap_dim(dim0, nd, "transpose"), wrap_dim(dim1, nd, "transpose")
    dims = list(range(nd))
    dims[d0], dims[d1] = d1, d0
    return _permuted(input, tuple(dims))


swapaxes = swapdims = transpose
method("swapaxes", "swapdims")(transpose)


@method()
def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dims."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return transpose(input, 0, 1) if input._data.ndim == 2 else input.view(input.shape)


def _T(self: Tensor) -> Tensor:
    return permute(self, list(range(self._data.ndim))[::-1])


method("T")(property(_T))


def _mT(self: Tensor, name: str = "mT", deprecation: str = "This function is the identity in these cases.") -> Tensor:
    if self._data.ndim == 0:  # PyTorch: the identity, deprecated
        warnings.warn(f"Tensor.{name} is deprecated on 0-D tensors. {deprecation}", UserWarning, stacklevel=3)
        return self
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    return transpose(self, -2, -1)


method("mT")(property(_mT))
def _H(self: Tensor) -> Tensor:
    if self._data.ndim not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self._data.ndim}-D tensor.")
    return t(self)


method("H")(property(_H))
def _mH(self: Tensor) -> Tensor:
    return _mT(self, "mH", "Consider using x.conj().")


method("mH")(property(_mH))


@method()
def movedim(input: Tensor, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    nd = input._data.ndim
    src, dst = int_list(source, "movedim", "source", 2), int_list(destination, "movedim", "destination", 3)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
                           f"same number of dims as destination ({dst} dims)")
    wsrc = [wrap_dim(d, nd, "movedim") for d in src]
    wdst = [wrap_dim(d, nd, "movedim") for d in dst]
    for name, ds, ws in (("source", src, wsrc), ("destination", dst, wdst)):
        if len(set(ws)) != len(ws):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({ds})")
    src, dst = wsrc, wdst
    if nd == 0:  # dims -1/0 of a scalar: nothing moves (PyTorch returns an alias)
        return permute(input, ())
    order = [None] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(nd) if d not in src)
    order = [o if o is not None else next(rest) for o in order]
    return permute(input, order)


moveaxis = movedim
method("moveaxis")(movedim)


# squeeze() with no dim squeezes every size-1 dim; an explicit None is PyTorch's TypeError.
_ALL_DIMS: Any = object()


@method()
def squeeze(input: Tensor, dim: int | Sequence[int] = _ALL_DIMS) -> Tensor:
    """Remove size-1 dims (all, or those in ``dim``: int or tuple)."""
    if dim is None:
        raise TypeError("squeeze(): argument 'dim' must be int or tuple of ints, not NoneType")
    dims = None if dim is _ALL_DIMS else ((dim,) if isinstance(dim, int) else tuple(dim))
    return _view(_SQUEEZE, input, (dims,), SqueezeBackward0)


@method()
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim`` (in [-ndim-1, ndim])."""
    return _view(_UNSQUEEZE, input, (dim,), UnsqueezeBackward0)


def _rebase_inplace_view(self, v):
    """In-place view op: ``self`` takes ``v``'s geometry (and history, when it has one)."""
    if STATE.enabled and self._requires_grad and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    self._data = v._data
    self._offset = v._offset
    if v.grad_fn is not None:
        self.grad_fn, self._output_nr = v.grad_fn, v._output_nr
    return self


@method()
def squeeze_(self: Tensor, dim: int | Sequence[int] = _ALL_DIMS) -> Tensor:
    return _rebase_inplace_view(self, squeeze(self, dim))


@method()
def unsqueeze_(self: Tensor, dim: int) -> Tensor:
    return _rebase_inplace_view(self, unsqueeze(self, dim))


@method()
def t_(self: Tensor) -> Tensor:
    return _rebase_inplace_view(self, t(self))


@method()
def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    return _rebase_inplace_view(self, transpose(self, dim0, dim1))


@method()
def expand(self: Tensor, *sizes: int | Sequence[int]) -> Tensor:
    """Broadcast to ``sizes`` without copying (stride 0); -1 keeps a dim."""
    return _view(_EXPAND, self, (normalize_shape(sizes, "expand"),), ExpandBackward0)


@method()
def expand_as(self: Tensor, other: Tensor) -> Tensor:
    return expand(self, other.shape)


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"broadcast_to(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return expand(input, tuple(size))


method("broadcast_to")(broadcast_to)


def broadcast_tensors(*tensors: Tensor | Sequence[Tensor]) -> tuple[Tensor, ...]:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shape = broadcast_shapes(*[t._data.shape for t in tensors], op="broadcast_tensors")
    return tuple(expand(t, shape) for t in tensors)


def broadcast_shapes_public(*shapes: int | Sequence[int]) -> Size:
    return Size(broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes]))


@method()
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim (a view when possible)."""
    start_dim, end_dim = int_arg(start_dim, "flatten", "start_dim"), int_arg(end_dim, "flatten", "end_dim")
    nd = input._data.ndim
    if nd == 0:  # dims -1/0 only
        wrap_dim(start_dim, 0, "flatten")
        wrap_dim(end_dim, 0, "flatten")
        return reshape(input, (1,))
    s, e = wrap_dim(start_dim, nd, "flatten"), wrap_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input._data.shape
    n = 1
    for x in shape[s:e + 1]:
        n *= x
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


def _no_dims(d):
    """PyTorch's message for a (wrapped) dim of a 0-d tensor, where an op needs a real dim."""
    return f"Dimension specified as {d} but tensor has no dimensions"


@method()
def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one -1 allowed)."""
    nd = input._data.ndim
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    d = wrap_dim(dim, nd, "unflatten")
    if nd == 0:
        raise RuntimeError(f"unflatten got an unexpected error:\n{_no_dims(d)}")
    shape = input._data.shape
    sizes = infer_size(tuple(sizes), shape[d], "unflatten")
    # Splitting one dim is always expressible as a view.
    return view(input, shape[:d] + sizes + shape[d + 1:])


def slice_dim(input: Tensor, dim: int, start: int, end: int, step: int = 1) -> Tensor:
    """``input[..., start:end:step, ...]`` along ``dim`` as a view."""
    replay = lambda z: slice_dim(z, dim, start, end, step)  # noqa: E731
    return _view(_SLICE, input, (dim, start, end, step), SliceBackward0, replay=replay)


@method()
def narrow(input: Tensor, dim: int, start: int | Tensor, length: int) -> Tensor:
    """``length`` elements from ``start`` along ``dim`` (a view)."""
    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input._data.ndim, "narrow")
    n = input._data.shape[d]
    if isinstance(start, Tensor):
        start = start.item()
    if start < -n or start > n:
        raise IndexError(f"narrow(): start ({start}) is out of bounds for dimension {d} of size {n}")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return slice_dim(input, d, start, start + length, 1)


@method()
def select(input: Tensor, dim: int, index: int | Tensor) -> Tensor:
    """The slice at ``index`` along ``dim``, with that dim removed (a view)."""
    if isinstance(index, Tensor):
        index = index.item()
    replay = lambda z: select(z, dim, index)  # noqa: E731
    return _view(_SELECT, input, (dim, index), SelectBackward0, replay=replay)


@method()
def as_strided(input: Tensor, size: Sequence[int], stride: Sequence[int],
               storage_offset: int | None = None) -> Tensor:
    """A view with explicit ``size``/``stride``/``storage_offset`` (elements, absolute in the
    storage; default: ``input``'s offset) over ``input``'s storage.  Outputs may overlap
    (their gradients are summed); inputs with overlapping memory have no gradient."""
    size, stride = normalize_shape((size,), "as_strided"), normalize_shape((stride,), "as_strided")
    v = _view(_AS_STRIDED, input, (size, stride, storage_offset))
    if STATE.enabled and input._requires_grad:
        n = AsStridedBackward0()
        n.in_geom = (input._data.shape, input.stride(), input.storage_offset())
        n.out_geom = (size, stride, v.storage_offset())
        record(n, (input,), (v,))
    return v


@method()
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    replay = lambda z: diagonal(z, offset, dim1, dim2)  # noqa: E731
    return _view(_DIAGONAL, input, (offset, dim1, dim2), DiagonalBackward0, replay=replay)


@method()
def split(tensor: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """Chunks of ``split_size`` (last may be smaller) or of the listed sizes, along ``dim``."""
    if not isinstance(split_size_or_sections, numbers.Integral) or isinstance(split_size_or_sections, bool):
        split_size_or_sections = int_list(split_size_or_sections, "split_with_sizes", "split_sizes", 2)
    if tensor._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, tensor._data.ndim, "split")
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral):
        s = int(split_size_or_sections)
        if s < 0 or (s == 0 and n != 0):
            raise RuntimeError(f"split expects split_size be non-negative, and only 0 if the dimension size is 0, "
                               f"but got split_size={s} for dimension {d} of size {n}")
        # PyTorch: at least one piece, the last one possibly smaller.
        k = max(-(-n // s), 1) if s else 1
        sizes = [s] * (k - 1) + [n - s * (k - 1)]
    else:
        sizes = [int(x) for x in split_size_or_sections]
        if sum(sizes) != n or any(x < 0 for x in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {d}), but got split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return tuple(out)


@method()
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` views of (nearly) equal size along ``dim``."""
    chunks = int_arg(chunks, "chunk", "chunks", 1)
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, input._data.ndim, "chunk")
    n = input._data.shape[d]
    size = -(-n // chunks) if n else 0
    if size == 0:
        return tuple(narrow(input, d, 0, 0) for _ in range(chunks)) if n == 0 else ()
    return split(input, size, d)


@method()
def tensor_split(input: Tensor, indices_or_sections: int | Sequence[int] | Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """``sections`` (int, or a 0-d int64 tensor) nearly equal pieces, the first ``n % sections`` one
    longer; or the pieces between ``indices`` (a list, or a 1-d int64 tensor), each sliced like
    Python's ``x[a:b]`` (negative indices count from the end; out-of-range ones clamp)."""
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError(f"tensor_split expected at least a 1-dimensional tensor, but got a tensor with {nd} dims")
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.device.type != "cpu":
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be on cpu, but it's on "
                               f"{ios.device}")
        if ios.dtype is not _dtype.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{torch_name(ios.dtype)}")
        if ios._data.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {ios._data.ndim} dims")
        ios = ios.item() if ios._data.ndim == 0 else ios.tolist()
    d = wrap_dim(dim, nd, "tensor_split")
    n = input._data.shape[d]
    if isinstance(ios, numbers.Integral) and not isinstance(ios, bool):
        k = int(ios)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        return split(input, sizes, d)
    if not isinstance(ios, (tuple, list)) or not all(
            isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in ios):
        raise TypeError(f"tensor_split() received an invalid combination of arguments - got "
                        f"({type(indices_or_sections).__name__}), but expected one of:\n"
                        " * (tuple of ints indices, int dim = 0)\n"
                        " * (Tensor tensor_indices_or_sections, int dim = 0)\n"
                        " * (int sections, int dim = 0)\n")

    def clamp(i):  # Python slice bounds: wrap a negative index once, then clamp into [0, n]
        i = int(i)
        return min(max(i + n if i < 0 else i, 0), n)
    bounds = [0] + [clamp(i) for i in ios] + [n]
    return tuple(slice_dim(input, d, a, max(a, b)) for a, b in zip(bounds[:-1], bounds[1:]))


@method()
def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """All slices along ``dim``, that dim removed."""
    d = wrap_dim(dim, input._data.ndim, "unbind")
    if input._data.ndim == 0:
        raise IndexError(_no_dims(d))
    return tuple(select(input, d, i) for i in range(input._data.shape[d]))


def atleast_1d(*tensors: Tensor | Sequence[Tensor]) -> Tensor | tuple[Tensor, ...]:
    r = tuple(t.reshape(1) if t.ndim == 0 else t for t in _seq(tensors))
    return r[0] if len(r) == 1 else r


def atleast_2d(*tensors: Tensor | Sequence[Tensor]) -> Tensor | tuple[Tensor, ...]:
    r = tuple(t.reshape(1, 1) if t.ndim == 0 else (t.unsqueeze(0) if t.ndim == 1 else t) for t in _seq(tensors))
    return r[0] if len(r) == 1 else r


def atleast_3d(*tensors: Tensor | Sequence[Tensor]) -> Tensor | tuple[Tensor, ...]:
    def up(t):
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.reshape(1, -1, 1)
        return t.unsqueeze(-1) if t.ndim == 2 else t
    r = tuple(up(t) for t in _seq(tensors))
    return r[0] if len(r) == 1 else r


def _seq(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tensors[0]
    return tensors


@method()
def sum_to_size(self: Tensor, *size: int | Sequence[int]) -> Tensor:
    return sum_to(self, normalize_shape(size, "sum_to_size"))


__all__ += ["broadcast_shapes_public", "slice_dim"]
