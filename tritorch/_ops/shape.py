"""View ops: new tensors over the same storage, computed from shape/strides alone.

Every op here is a registry op with ``view=True``: its meta returns
``(shape, strides, offset)`` in elements and the device's array API rebuilds the view,
so one implementation serves every device.  ``reshape``/``contiguous``/``flatten``
copy only when no view exists, as in PyTorch.
"""
import numbers

from ._common import (Tensor, def_op, Node, record, STATE, wrap_dim, normalize_shape, method, shape_str)
from .pointwise import sum_to, clone

__all__ = ["reshape", "permute", "transpose", "swapaxes", "swapdims", "t", "squeeze", "unsqueeze", "flatten",
           "unflatten", "narrow", "select", "chunk", "split", "tensor_split", "unbind", "as_strided", "movedim",
           "moveaxis", "broadcast_to", "broadcast_tensors", "atleast_1d", "atleast_2d", "diagonal"]
_E = {}


def _geom(t):
    return t._data.shape, t.stride(), t.storage_offset()


def contiguous_strides(shape):
    st = []
    acc = 1
    for s in reversed(shape):
        st.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(st))


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def infer_size(shape, numel, op="view"):
    """Resolve one -1 in ``shape`` against ``numel``; RuntimeError when impossible."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"{op}: invalid shape dimension {s}")
    known = _numel([s for s in shape if s != -1])
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape '{shape_str(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"{op}: shape '{shape_str(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def view_strides(oldshape, oldstride, newshape):
    """Strides making ``newshape`` a view of (oldshape, oldstride), or None (PyTorch's computeStride)."""
    if _numel(oldshape) == 0:
        return contiguous_strides(newshape)
    if not oldshape:
        oldshape, oldstride = (1,), (1,)
    newstride = [0] * len(newshape)
    view_d = len(newshape) - 1
    chunk = oldstride[-1]
    tensor_numel = view_numel = 1
    for td in range(len(oldshape) - 1, -1, -1):
        tensor_numel *= oldshape[td]
        if td == 0 or (oldshape[td - 1] != 1 and oldstride[td - 1] != tensor_numel * chunk):
            while view_d >= 0 and (view_numel < tensor_numel or newshape[view_d] == 1):
                newstride[view_d] = view_numel * chunk
                view_numel *= newshape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if td > 0:
                chunk = oldstride[td - 1]
                tensor_numel = view_numel = 1
    if view_d != -1:
        return None
    return tuple(newstride)


# ---- metas (all return (shape, strides, offset)) -------------------------------------------------
def _meta_view(t, shape):
    """view: same elements, new shape; only where strides allow (else use reshape)."""
    shape = infer_size(shape, t._data.size, "view")
    old, st, off = _geom(t)
    ns = view_strides(old, st, shape)
    if ns is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead.")
    return shape, ns, off


def _meta_permute(t, dims):
    """permute: reorder dims (a permutation of range(ndim))."""
    nd = t._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal "
                           f"to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, nd, "permute") for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError(f"permute: repeated dim in {list(dims)}")
    shape, st, off = _geom(t)
    return tuple(shape[d] for d in dims), tuple(st[d] for d in dims), off


def _meta_expand(t, sizes):
    """expand: broadcast size-1 dims (stride 0) and prepend new dims; -1 keeps a size."""
    shape, st, off = _geom(t)
    nd, n = len(shape), len(sizes)
    if n < nd:
        raise RuntimeError(f"expand: the number of sizes provided ({n}) must be greater or equal to the number "
                           f"of dimensions in the tensor ({nd})")
    out_shape, out_st = [], []
    for i in range(n):
        j = i - (n - nd)
        s = sizes[i]
        if j < 0:
            if s < 0:
                raise RuntimeError(f"expand: the expanded size of the tensor (-1) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            out_shape.append(s)
            out_st.append(0)
        else:
            if s == -1:
                s = shape[j]
            if shape[j] == s:
                out_shape.append(s)
                out_st.append(st[j])
            elif shape[j] == 1:
                out_shape.append(s)
                out_st.append(0)
            else:
                raise RuntimeError(
                    f"expand: the expanded size of the tensor ({s}) must match the existing size ({shape[j]}) at "
                    f"non-singleton dimension {i}.  Target sizes: {shape_str(sizes)}.  Tensor sizes: "
                    f"{shape_str(shape)}")
    return tuple(out_shape), tuple(out_st), off


def _meta_as_strided(t, size, stride, storage_offset):
    """as_strided: arbitrary geometry over the storage (bounds-checked)."""
    if len(size) != len(stride):
        raise RuntimeError(f"as_strided: mismatch in length of strides and shape ({len(size)} vs {len(stride)})")
    off = t.storage_offset() if storage_offset is None else storage_offset
    if any(s < 0 for s in stride) or any(s < 0 for s in size) or off < 0:
        raise RuntimeError("as_strided: negative sizes, strides or storage offset are not supported")
    need = off + (1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0)
    avail = t._storage.buf.nbytes // t._data.dtype.itemsize
    if need > avail:
        raise RuntimeError(f"as_strided: setStorage: sizes {shape_str(size)}, strides {shape_str(stride)}, storage "
                           f"offset {off} require a storage of {need} elements but it holds {avail}")
    return tuple(size), tuple(stride), off


def _meta_slice(t, dim, start, end, step):
    """slice: elements start:end:step (step > 0) along ``dim``."""
    shape, st, off = _geom(t)
    d = wrap_dim(dim, len(shape), "slice")
    n = shape[d]
    if step <= 0:
        raise ValueError("slice: step must be greater than zero")
    s0, e0, _ = slice(start, end, step).indices(n)
    length = max(0, (e0 - s0 + step - 1) // step)
    shape = shape[:d] + (length,) + shape[d + 1:]
    strides = st[:d] + (st[d] * step,) + st[d + 1:]
    return shape, strides, off + (s0 * st[d] if length else 0)


def _meta_select(t, dim, index):
    """select: the slice at ``index`` along ``dim`` (that dim removed)."""
    shape, st, off = _geom(t)
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape), "select")
    n = shape[d]
    if index < -n or index >= n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {shape_str(shape)} at dimension {d}")
    i = index + n if index < 0 else index
    return shape[:d] + shape[d + 1:], st[:d] + st[d + 1:], off + i * st[d]


def _meta_squeeze(t, dims):
    """squeeze: drop the given size-1 dims (all size-1 dims when ``dims`` is None)."""
    shape, st, off = _geom(t)
    nd = len(shape)
    if dims is None:
        keep = [i for i in range(nd) if shape[i] != 1]
    else:
        ds = {wrap_dim(d, nd, "squeeze") for d in dims}
        keep = [i for i in range(nd) if not (i in ds and shape[i] == 1)]
    return tuple(shape[i] for i in keep), tuple(st[i] for i in keep), off


def _meta_unsqueeze(t, dim):
    """unsqueeze: insert a size-1 dim at ``dim``."""
    shape, st, off = _geom(t)
    d = wrap_dim(dim, len(shape) + 1, "unsqueeze")
    new_st = st[d] * shape[d] if d < len(shape) else 1
    return shape[:d] + (1,) + shape[d:], st[:d] + (new_st,) + st[d:], off


def _meta_diagonal(t, offset, dim1, dim2):
    """diagonal: the (offset) diagonal of dims dim1, dim2, appended as the last dim."""
    shape, st, off = _geom(t)
    nd = len(shape)
    d1, d2 = wrap_dim(dim1, nd, "diagonal"), wrap_dim(dim2, nd, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if offset >= 0:
        n = max(0, min(shape[d1], shape[d2] - offset))
        o = off + (offset * st[d2] if n else 0)
    else:
        n = max(0, min(shape[d1] + offset, shape[d2]))
        o = off + (-offset * st[d1] if n else 0)
    keep = [i for i in range(nd) if i not in (d1, d2)]
    return (tuple(shape[i] for i in keep) + (n,), tuple(st[i] for i in keep) + (st[d1] + st[d2],), o)


_VIEW = def_op("view", _meta_view, view=True)
_PERMUTE = def_op("permute", _meta_permute, view=True)
_EXPAND = def_op("expand", _meta_expand, view=True)
_AS_STRIDED = def_op("as_strided", _meta_as_strided, view=True)
_SLICE = def_op("slice", _meta_slice, view=True)
_SELECT = def_op("select", _meta_select, view=True)
_SQUEEZE = def_op("squeeze", _meta_squeeze, view=True)
_UNSQUEEZE = def_op("unsqueeze", _meta_unsqueeze, view=True)
_DIAGONAL = def_op("diagonal", _meta_diagonal, view=True)


# ---- autograd of views --------------------------------------------------------------------------
class _ReshapeBackward(Node):
    def backward(self, g):
        return (g.reshape(self.in_shape),)


ViewBackward0 = type("ViewBackward0", (_ReshapeBackward,), {})
UnsafeViewBackward0 = type("UnsafeViewBackward0", (_ReshapeBackward,), {})
SqueezeBackward0 = type("SqueezeBackward0", (_ReshapeBackward,), {})
UnsqueezeBackward0 = type("UnsqueezeBackward0", (_ReshapeBackward,), {})


class PermuteBackward0(Node):
    def backward(self, g):
        inv = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inv[d] = i
        return (g.permute(inv),)


class ExpandBackward0(Node):
    def backward(self, g):
        return (sum_to(g, self.in_shape),)


class _ViewScatterBackward(Node):
    """Backward of a strided sub-view: scatter g into zeros of the input's shape."""

    def backward(self, g):
        return (view_scatter(g, self.in_shape, self.replay),)


SliceBackward0 = type("SliceBackward0", (_ViewScatterBackward,), {})
SelectBackward0 = type("SelectBackward0", (_ViewScatterBackward,), {})
AsStridedBackward0 = type("AsStridedBackward0", (_ViewScatterBackward,), {})
DiagonalBackward0 = type("DiagonalBackward0", (_ViewScatterBackward,), {})


class ViewScatterBackward0(Node):
    def backward(self, gg):
        return (self.replay(gg),)


def view_scatter(g, in_shape, replay):
    """zeros(in_shape) with ``replay(zeros)`` set to ``g``; differentiable in ``g``."""
    from .creation import zeros
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


def _view(op, t, args, node_cls=None, **node_attrs):
    v = op.run_view(t, args, _E)
    if STATE.enabled and t._requires_grad and node_cls is not None:
        n = node_cls()
        n.in_shape = t._data.shape
        for k, val in node_attrs.items():
            setattr(n, k, val)
        record(n, (t,), (v,))
    return v


# ---- public API -------------------------------------------------------------------------------------
@method()
def view(self, *shape):
    """A view with a new shape (one -1 inferred).  ``view(dtype)`` is not supported."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, numbers.Integral, Tensor)):
        raise TypeError(f"view(): argument 'size' must be tuple of ints, not {type(shape[0]).__name__}")
    return _view(_VIEW, self, (normalize_shape(shape, "view"),), ViewBackward0)


@method()
def view_as(self, other):
    return view(self, other.shape)


@method()
def reshape(input, *shape):
    """Like `view` when strides allow, else a contiguous copy with the new shape."""
    shape = infer_size(normalize_shape(shape, "reshape"), input._data.size, "reshape")
    old, st, _ = _geom(input)
    if view_strides(old, st, shape) is not None:
        return _view(_VIEW, input, (shape,), ViewBackward0)
    c = clone(input)
    v = _VIEW.run_view(c, (shape,), _E)
    if STATE.enabled and input._requires_grad:
        n = UnsafeViewBackward0()
        n.in_shape = input._data.shape
        record(n, (input,), (v,))
    return v


@method()
def reshape_as(self, other):
    return reshape(self, other.shape)


@method()
def contiguous(self, memory_format=None):
    """self if already contiguous, else a contiguous copy."""
    return self if self.is_contiguous() else clone(self)


@method()
def permute(input, *dims):
    dims = normalize_shape(dims, "permute")
    return _view(_PERMUTE, input, (dims,), PermuteBackward0, dims=tuple(wrap_dim(d, input.ndim, "permute")
                                                                          for d in dims))


@method()
def transpose(input, dim0, dim1):
    """Swap two dims (a view)."""
    nd = input._data.ndim
    if nd == 0:
        wrap_dim(dim0, 0, "transpose")
        return input.view(())
    d0, d1 = wrap_dim(dim0, nd, "transpose"), wrap_dim(dim1, nd, "transpose")
    dims = list(range(nd))
    dims[d0], dims[d1] = d1, d0
    return permute(input, dims)


swapaxes = swapdims = transpose
Tensor.swapaxes = Tensor.swapdims = transpose


@method()
def t(input):
    """Transpose a tensor of at most 2 dims."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return transpose(input, 0, 1) if input._data.ndim == 2 else input.view(input.shape)


Tensor.T = property(lambda self: permute(self, list(range(self._data.ndim))[::-1]))


def _mT(self):
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {self._data.ndim}-D tensor.")
    return transpose(self, -2, -1)


Tensor.mT = property(_mT)
Tensor.H = property(lambda self: t(self))
Tensor.mH = property(_mT)


@method()
def movedim(input, source, destination):
    nd = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
                           f"same number of dims as destination ({dst} dims)")
    src = [wrap_dim(d, nd, "movedim") for d in src]
    dst = [wrap_dim(d, nd, "movedim") for d in dst]
    order = [None] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(nd) if d not in src)
    order = [o if o is not None else next(rest) for o in order]
    return permute(input, order)


moveaxis = movedim
Tensor.moveaxis = movedim


@method()
def squeeze(input, dim=None):
    """Remove size-1 dims (all, or those in ``dim``: int or tuple)."""
    dims = None if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
    return _view(_SQUEEZE, input, (dims,), SqueezeBackward0)


@method()
def unsqueeze(input, dim):
    """Insert a size-1 dim at ``dim`` (in [-ndim-1, ndim])."""
    return _view(_UNSQUEEZE, input, (dim,), UnsqueezeBackward0)


@method()
def squeeze_(self, dim=None):
    v = squeeze(self, dim)
    self._data = v._data
    return self


@method()
def unsqueeze_(self, dim):
    v = unsqueeze(self, dim)
    self._data = v._data
    return self


@method()
def expand(self, *sizes):
    """Broadcast to ``sizes`` without copying (stride 0); -1 keeps a dim."""
    return _view(_EXPAND, self, (normalize_shape(sizes, "expand"),), ExpandBackward0)


@method()
def expand_as(self, other):
    return expand(self, other.shape)


def broadcast_to(input, size):
    return expand(input, tuple(size))


Tensor.broadcast_to = broadcast_to


def broadcast_tensors(*tensors):
    from ._common import broadcast_shapes
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shape = broadcast_shapes(*[t._data.shape for t in tensors], op="broadcast_tensors")
    return tuple(expand(t, shape) for t in tensors)


def broadcast_shapes_public(*shapes):
    from ._common import broadcast_shapes
    from .._size import Size
    return Size(broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes]))


@method()
def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim (a view when possible)."""
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, (1,))
    s, e = wrap_dim(start_dim, nd, "flatten"), wrap_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input._data.shape
    n = 1
    for x in shape[s:e + 1]:
        n *= x
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


@method()
def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one -1 allowed)."""
    nd = input._data.ndim
    d = wrap_dim(dim, nd, "unflatten")
    shape = input._data.shape
    sizes = infer_size(tuple(sizes), shape[d], "unflatten")
    return view(input, shape[:d] + sizes + shape[d + 1:]) if input.is_contiguous() else \
        reshape(input, shape[:d] + sizes + shape[d + 1:])


def slice_dim(input, dim, start, end, step=1):
    """``input[..., start:end:step, ...]`` along ``dim`` as a view."""
    replay = lambda z: slice_dim(z, dim, start, end, step)  # noqa: E731
    return _view(_SLICE, input, (dim, start, end, step), SliceBackward0, replay=replay)


@method()
def narrow(input, dim, start, length):
    """``length`` elements from ``start`` along ``dim`` (a view)."""
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
def select(input, dim, index):
    """The slice at ``index`` along ``dim``, with that dim removed (a view)."""
    if isinstance(index, Tensor):
        index = index.item()
    replay = lambda z: select(z, dim, index)  # noqa: E731
    return _view(_SELECT, input, (dim, index), SelectBackward0, replay=replay)


@method()
def as_strided(input, size, stride, storage_offset=None):
    """A view with explicit ``size``/``stride``/``storage_offset`` over the same storage.

    Its gradient assumes ``input`` is contiguous with storage offset 0 (the common case).
    """
    size, stride = tuple(size), tuple(stride)
    base_off = input.storage_offset()
    replay = lambda z: as_strided(z, size, stride, None if storage_offset is None else  # noqa: E731
                                  storage_offset - base_off)
    return _view(_AS_STRIDED, input, (size, stride, storage_offset), AsStridedBackward0, replay=replay)


@method()
def diagonal(input, offset=0, dim1=0, dim2=1):
    replay = lambda z: diagonal(z, offset, dim1, dim2)  # noqa: E731
    return _view(_DIAGONAL, input, (offset, dim1, dim2), DiagonalBackward0, replay=replay)


@method()
def split(tensor, split_size_or_sections, dim=0):
    """Chunks of ``split_size`` (last may be smaller) or of the listed sizes, along ``dim``."""
    d = wrap_dim(dim, tensor._data.ndim, "split")
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        if s <= 0 and not (s == 0 and n == 0):
            raise RuntimeError(f"split: split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [min(s, n - i) for i in range(0, n, s)] if s else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {d}), but got split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return tuple(out)


@method()
def chunk(input, chunks, dim=0):
    """At most ``chunks`` views of (nearly) equal size along ``dim``."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, input._data.ndim, "chunk")
    n = input._data.shape[d]
    size = -(-n // chunks) if n else 0
    if size == 0:
        return tuple(narrow(input, d, 0, 0) for _ in range(chunks)) if n == 0 else ()
    return split(input, size, d)


@method()
def tensor_split(input, indices_or_sections, dim=0):
    d = wrap_dim(dim, input._data.ndim, "tensor_split")
    n = input._data.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        return split(input, sizes, d)
    bounds = [0] + [min(max(int(i), 0), n) for i in indices_or_sections] + [n]
    return tuple(slice_dim(input, d, a, max(a, b)) for a, b in zip(bounds[:-1], bounds[1:]))


@method()
def unbind(input, dim=0):
    """All slices along ``dim``, that dim removed."""
    d = wrap_dim(dim, input._data.ndim, "unbind")
    return tuple(select(input, d, i) for i in range(input._data.shape[d]))


def atleast_1d(*tensors):
    r = tuple(t.reshape(1) if t.ndim == 0 else t for t in _seq(tensors))
    return r[0] if len(r) == 1 else r


def atleast_2d(*tensors):
    r = tuple(t.reshape(1, 1) if t.ndim == 0 else (t.unsqueeze(0) if t.ndim == 1 else t) for t in _seq(tensors))
    return r[0] if len(r) == 1 else r


def _seq(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tensors[0]
    return tensors


@method()
def sum_to_size(self, *size):
    return sum_to(self, normalize_shape(size, "sum_to_size"))


__all__ += ["broadcast_shapes_public", "slice_dim"]
