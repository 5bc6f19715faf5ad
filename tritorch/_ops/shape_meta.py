"""View-op metas: the geometry ``(shape, strides, offset)`` (in elements) each view op
produces from its input's geometry, and their registry declarations (``view=True``).

No data moves here: the device's array API rebuilds a view of the same storage from
the geometry, so one declaration serves every device.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ._common import def_op, wrap_dim, shape_str, Shape

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["contiguous_strides", "infer_size", "view_strides", "non_overlapping", "storage_extent",
           "VIEW", "PERMUTE", "EXPAND", "AS_STRIDED", "SLICE", "SELECT", "SQUEEZE", "UNSQUEEZE", "DIAGONAL"]


def _geom(t):
    return t._data.shape, t.stride(), t.storage_offset()


def _empty_offset(t, shape, off):
    """PyTorch lets an empty view's offset pass the end of the storage; array APIs don't, so clamp."""
    if 0 in shape:
        return min(off, t._storage.buf.nbytes // t._data.dtype.itemsize)
    return off


def storage_extent(size: Sequence[int], stride: Sequence[int], offset: int) -> int:
    """Elements of storage a geometry needs (0 when it holds no element)."""
    if not all(size):
        return 0
    return offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))


def non_overlapping(size: Sequence[int], stride: Sequence[int], dims: Sequence[int] | None = None) -> bool:
    """True when no two indices of ``dims`` (default: all) address the same element.

    Sufficient test used by PyTorch: sorted by stride, each stride exceeds the farthest
    offset the smaller-stride dims reach.
    """
    dims = [d for d in (range(len(size)) if dims is None else dims) if size[d] > 1]
    reach = 0
    for d in sorted(dims, key=lambda d: stride[d]):
        if stride[d] <= reach:
            return False
        reach += stride[d] * (size[d] - 1)
    return True


def contiguous_strides(shape: Sequence[int]) -> Shape:
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


# numpy (which holds every cpu array and the interpreter's device buffers) cannot describe an
# array of 2**63 bytes or more, even as a stride-0 view; PyTorch can (``zeros(1).expand(2**62)``).
_MAX_VIEW_BYTES = (1 << 63) - 1


def check_view_size(shape: Sequence[int], itemsize: int, op: str) -> Sequence[int]:
    """RuntimeError naming tritorch's size limit for a view whose logical size is 2**63 bytes or more."""
    n = _numel(shape)
    if n * itemsize > _MAX_VIEW_BYTES:
        raise RuntimeError(f"{op}: a view of shape {shape_str(shape)} ({n} elements of {itemsize} bytes) exceeds "
                           f"tritorch's limit of 2**63 - 1 bytes per tensor (numpy's); PyTorch allows such views")
    return shape


def infer_size(shape: Sequence[int], numel: int, op: str = "view") -> Shape:
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


def view_strides(oldshape: Sequence[int], oldstride: Sequence[int], newshape: Sequence[int]) -> Shape | None:
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


def permute_dims(nd: int, dims: Sequence[int]) -> Shape:
    """``dims`` checked to be a permutation of range(nd), negatives wrapped (permute's validation)."""
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal "
                           f"to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, nd, "permute") for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError(f"permute(): duplicate dims are not allowed (got {list(dims)})")
    return dims


def _meta_permute(t, dims):
    """permute: reorder dims (a permutation of range(ndim))."""
    dims = permute_dims(t._data.ndim, dims)
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
            elif s < 0:
                raise RuntimeError(f"expand: invalid size {s} at dimension {i} (sizes must be >= 0, or -1 to "
                                   f"keep the existing size); target sizes: {shape_str(sizes)}")
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
    return check_view_size(tuple(out_shape), t._data.dtype.itemsize, "expand"), tuple(out_st), off


def _meta_as_strided(t, size, stride, storage_offset):
    """as_strided: arbitrary geometry over the storage (bounds-checked)."""
    if len(size) != len(stride):
        raise RuntimeError(f"as_strided: mismatch in length of strides and shape ({len(size)} vs {len(stride)})")
    off = t.storage_offset() if storage_offset is None else storage_offset
    if any(s < 0 for s in stride) or any(s < 0 for s in size) or off < 0:
        raise RuntimeError("as_strided: negative sizes, strides or storage offset are not supported")
    need = storage_extent(size, stride, off)
    avail = t._storage.buf.nbytes // t._data.dtype.itemsize
    if need > avail:
        raise RuntimeError(f"as_strided: setStorage: sizes {shape_str(size)}, strides {shape_str(stride)}, storage "
                           f"offset {off} require a storage of {need} elements but it holds {avail}")
    return check_view_size(tuple(size), t._data.dtype.itemsize, "as_strided"), tuple(stride), off


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
    # PyTorch moves the offset to ``start`` even for an empty slice.
    return shape, strides, _empty_offset(t, shape, off + s0 * st[d])


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
    shape_out = shape[:d] + shape[d + 1:]
    return shape_out, st[:d] + st[d + 1:], _empty_offset(t, shape_out, off + i * st[d])


def _meta_squeeze(t, dims):
    """squeeze: drop the given size-1 dims (all size-1 dims when ``dims`` is None)."""
    shape, st, off = _geom(t)
    nd = len(shape)
    if dims is None:
        keep = [i for i in range(nd) if shape[i] != 1]
    else:
        ds = set()
        for d in dims:
            w = wrap_dim(d, nd, "squeeze")
            if w in ds:
                raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
            ds.add(w)
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


VIEW = def_op("view", _meta_view, view=True)
PERMUTE = def_op("permute", _meta_permute, view=True)
EXPAND = def_op("expand", _meta_expand, view=True)
AS_STRIDED = def_op("as_strided", _meta_as_strided, view=True)
SLICE = def_op("slice", _meta_slice, view=True)
SELECT = def_op("select", _meta_select, view=True)
SQUEEZE = def_op("squeeze", _meta_squeeze, view=True)
UNSQUEEZE = def_op("unsqueeze", _meta_unsqueeze, view=True)
DIAGONAL = def_op("diagonal", _meta_diagonal, view=True)


