"""The op registry: op name -> meta function + one implementation per device type.

Contract (see DESIGN.md):
  * ``meta(*args, **attrs)`` sees Tensors (shape, dtype, device) and Python values.  It
    raises every user error and returns the output spec ``(shape, dtype)``, or a tuple
    of specs when the op has several outputs.
  * ``impl(out, *raw_args, **attrs)`` sees raw arrays (numpy on cpu, device arrays on
    cuda) and fills ``out`` (a raw array, or a tuple of them), which the registry
    allocated from the spec.  This is what makes ``out=`` and in-place variants free.
  * Ops with data-dependent output shapes (``dynamic=True``) skip allocation: the impl
    returns its result arrays itself.
  * Backends register by exposing ``IMPLS = {op_name: impl}`` and ``ARRAY`` (the
    array API: empty/view/strides/offset/...) in ``tritorch.cpu_fallback`` (device
    type ``cpu``) and ``tritorch.kernels`` (``cuda``), loaded on first use so that
    ``import tritorch`` never imports Triton.

Internal overlap: the in-place and ``out=`` paths refuse to write into a tensor in which
several elements share one memory location (a stride-0 dim of size > 1, as ``expand`` makes),
PyTorch's ``assert_no_internal_overlap`` rule; see ``_NO_OVERLAP_CHECK`` / ``_OVERLAP_WARN``
for the ops PyTorch exempts.

Partial overlap: the same paths refuse an input that shares some, but not all, of its memory
with a written tensor (``add(a[1:], 1, out=a[:-1])``), PyTorch's ``assert_no_partial_overlap``;
an input that is exactly the written tensor (same start, extent and strides) is fine, and, as in
PyTorch, layouts that are not non-overlapping-and-dense are not judged.  ``_NO_PARTIAL_CHECK``
lists the ops PyTorch exempts.

An impl that runs out of host memory (numpy's MemoryError from a temporary) surfaces as
tritorch's OutOfMemoryError naming the op, like a failed result allocation.

Dispatch is a dict look-up and a few attribute reads; nothing here inspects signatures.
"""
import importlib
import warnings

from ._dtype import can_cast, TORCH_NAMES
from ._errors import OutOfMemoryError

__all__ = ["OpDef", "def_op", "OPS", "array_api", "allocate", "impl_for", "call", "split_args"]

OPS = {}
_BACKEND_MODULES = {"cpu": "tritorch.cpu_fallback", "cuda": "tritorch.kernels"}
_ARRAY = {}
# Set by tritorch._tensor at import (the registry wraps raw results into Tensors).
_Tensor = None
_wrap = None


def array_api(device_type):
    """The raw-array API (empty, view, strides, offset, to_numpy, ...) of a device type."""
    api = _ARRAY.get(device_type)
    if api is None:
        api = _load_backend(device_type)
    return api


def _load_backend(device_type):
    modname = _BACKEND_MODULES.get(device_type)
    if modname is None:
        raise RuntimeError(f"no backend for device type '{device_type}'")
    mod = importlib.import_module(modname)
    if mod.ARRAY is None:
        raise RuntimeError(f"the {device_type} device is not available: {mod.UNAVAILABLE}")
    for name, fn in mod.IMPLS.items():
        op = OPS.get(name)
        if op is None:
            raise RuntimeError(f"{modname} implements '{name}', which is not a registered op")
        op.impls[device_type] = fn
    _ARRAY[device_type] = mod.ARRAY
    return mod.ARRAY


def allocate(device_type, shape, dtype):
    """A new raw array from the device's array API; a failed host allocation (the cpu backend's
    MemoryError, with PyTorch's allocator text) becomes tritorch's OutOfMemoryError."""
    try:
        return (_ARRAY.get(device_type) or array_api(device_type)).empty(shape, dtype)
    except MemoryError as e:
        raise OutOfMemoryError(str(e)) from None


def impl_for(op, device_type):
    fn = op.impls.get(device_type)
    if fn is None:
        if device_type not in _ARRAY:
            _load_backend(device_type)
            fn = op.impls.get(device_type)
        if fn is None:
            raise NotImplementedError(f"{op.name}: no implementation for device type '{device_type}'")
    return fn


OVERLAP_MSG = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
               "location. Please clone() the tensor before performing the operation.")

# Ops whose in-place / out= paths PyTorch 2.13 does not check for internal overlap (its
# reductions build their TensorIterator without the check; fill, eye, tril/triu and
# embedding_renorm_ write without one): writing into an expanded tensor is accepted there.
_NO_OVERLAP_CHECK = frozenset({
    "sum", "nansum", "prod", "amax", "amin", "all", "any", "argmax", "argmin", "var", "std", "norm",
    "count_nonzero", "fill", "eye", "tril", "triu", "embedding_renorm"})
# Ops PyTorch accepts on an expanded self with a deprecation warning (the advanced-indexing fills).
_OVERLAP_WARN = {"masked_fill": "tensor[mask] = scalar", "index_fill": "tensor[mask] = scalar",
                 "index_put": "tensor[indices] = tensor"}
_CHECK, _SKIP, _WARN = 0, 1, 2
PARTIAL_OVERLAP_MSG = ("unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
                       "single memory location. Please clone() the tensor before performing the operation.")
# Ops whose in-place / out= paths PyTorch 2.13 does not check for an input partially overlapping
# the written tensor: the reductions and matmuls (their out= goes through a temporary), the
# triangle copies, and the fills (their value is read once before writing).
_NO_PARTIAL_CHECK = _NO_OVERLAP_CHECK | frozenset({
    "mean", "logsumexp", "matmul", "fused_matmul", "fused_matmul_z", "fused_matmul_dz", "masked_fill",
    "index_fill"})


def has_internal_overlap(raw):
    """PyTorch's ``has_internal_overlap(...) == YES``: some dim of size > 1 has stride 0 (other
    self-overlapping layouts are TOO_HARD to prove, and PyTorch lets them through too)."""
    st = raw.strides
    if 0 not in st:
        return False
    for n, s in zip(raw.shape, st):
        if s == 0 and n > 1:
            return raw.size != 0
    return False


def _dense_span(t):
    """``(first byte, end byte, strides)`` of Tensor ``t`` when it is non-overlapping and dense
    (its elements fill one contiguous block, in any dim order), else None (PyTorch's TOO_HARD)."""
    st = t.stride()
    shape = t._data.shape
    expected = 1
    for s, n in sorted((s, n) for s, n in zip(st, shape) if n != 1):
        if s != expected:
            return None
        expected *= n
    begin = t.data_ptr()
    return begin, begin + t._data.size * t._data.dtype.itemsize, st


def check_partial_overlap(written, args):
    """PyTorch's ``assert_no_partial_overlap(written, input)`` for every Tensor input in ``args``
    (one level of list nesting): raise its RuntimeError when an input shares memory with
    ``written`` without being exactly it.  Cheap when nothing aliases: storages are compared
    first, and byte ranges only computed for inputs on ``written``'s storage."""
    storage = written._storage
    w = None
    for a in args:
        if a.__class__ is list or a.__class__ is tuple:
            for x in a:
                if isinstance(x, _Tensor) and x._storage is storage and x is not written:
                    w = _partial(written, x, w)
        elif isinstance(a, _Tensor) and a._storage is storage and a is not written:
            w = _partial(written, a, w)


def _partial(written, x, w):
    """Raise when ``x`` partially overlaps ``written``; returns ``written``'s span (computed once)."""
    if w is None:
        if written._data.size == 0:
            return False
        w = _dense_span(written) or False
    if not w or x._data.size == 0:
        return w
    r = _dense_span(x)
    if r is None:
        return w
    if r[0] == w[0] and r[1] == w[1]:
        if r[2] != w[2]:
            raise RuntimeError(PARTIAL_OVERLAP_MSG)
    elif r[0] < w[1] and w[0] < r[1]:
        raise RuntimeError(PARTIAL_OVERLAP_MSG)
    return w


def _out_of_memory(op, e):
    """The OutOfMemoryError for numpy's MemoryError ``e`` raised inside ``op``'s impl."""
    return OutOfMemoryError(f"{op}: DefaultCPUAllocator: not enough memory: {e}")


def _mixed(name, a, b):
    raise RuntimeError(f"{name}: expected all tensors to be on the same device, but found at least two "
                       f"devices, {a} and {b}")


def split_args(name, args):
    """``(device, raw_args)``: the device every Tensor in ``args`` shares (one level of list
    nesting, as in ``cat``), and ``args`` with Tensors replaced by their raw arrays."""
    T = _Tensor
    dev = None
    raw = []
    for a in args:
        if isinstance(a, T):
            d = a._storage.device
            if d is not dev:
                if dev is not None:
                    _mixed(name, dev, d)
                dev = d
            raw.append(a._data)
        elif (a.__class__ is list or a.__class__ is tuple) and any(isinstance(x, T) for x in a):
            items = []
            for x in a:
                if isinstance(x, T):
                    d = x._storage.device
                    if d is not dev:
                        if dev is not None:
                            _mixed(name, dev, d)
                        dev = d
                    items.append(x._data)
                else:
                    items.append(x)
            raw.append(items)
        else:
            raw.append(a)
    return dev, raw


class OpDef:
    """One registry op.  ``run`` is the only entry point the Tensor layer uses."""

    __slots__ = ("name", "meta", "impls", "nout", "dynamic", "view", "doc", "overlap", "partial")

    def __init__(self, name, meta, nout=1, dynamic=False, view=False, doc=None):
        self.name = name
        self.meta = meta
        self.impls = {}
        self.nout = nout
        self.dynamic = dynamic
        # View ops have no per-device impl: meta returns (shape, strides, offset) and the
        # device's array API rebuilds a view of the same storage.
        self.view = view
        self.doc = doc or meta.__doc__
        # How the in-place / out= paths treat an internally overlapping destination.
        self.overlap = _SKIP if name in _NO_OVERLAP_CHECK else _WARN if name in _OVERLAP_WARN else _CHECK
        # Whether inputs partially overlapping the written tensor are refused (internal ops such as
        # the fused optimizer steps write state they also read and are exempt).
        self.partial = name not in _NO_PARTIAL_CHECK and not name.startswith("_")

    def __repr__(self):
        return f"<op {self.name}>"

    def run(self, args, attrs, device=None):
        """Validate, allocate, dispatch; returns a Tensor (or tuple of Tensors)."""
        dev, raw = split_args(self.name, args)
        spec = self.meta(*args, **attrs)
        if dev is None:
            dev = device
        fn = self.impls.get(dev.type) or impl_for(self, dev.type)
        wrap = _wrap
        if self.dynamic:
            try:
                res = fn(*raw, **attrs)
            except MemoryError as e:
                raise _out_of_memory(self.name, e) from None
            if self.nout == 1:
                return wrap(res, dev)
            return tuple(wrap(r, dev) for r in res)
        empty = (_ARRAY.get(dev.type) or array_api(dev.type)).empty
        try:
            outs = empty(spec[0], spec[1]) if self.nout == 1 else tuple(empty(s, d) for s, d in spec)
        except MemoryError as e:  # the cpu backend's: PyTorch's text, tritorch's error class
            raise OutOfMemoryError(str(e)) from None
        try:
            fn(outs, *raw, **attrs)
        except MemoryError as e:  # a temporary inside the impl
            raise _out_of_memory(self.name, e) from None
        if self.nout == 1:
            return wrap(outs, dev)
        return tuple(wrap(o, dev) for o in outs)

    def run_view(self, t, args, attrs):
        """View ops: a new Tensor over ``t``'s storage with the geometry meta computes."""
        shape, strides, offset = self.meta(t, *args, **attrs)
        st = t._storage
        raw = array_api(st.device.type).view(st.buf, shape, strides, offset, t.dtype)
        v = _Tensor._make(raw, st)
        v._base = t._base if t._base is not None else t
        v._offset = offset
        return v

    def run_permuted(self, t, dims):
        """The permute view with ``dims`` already validated: the device's array API permutes the
        raw array directly (the hot path of every transpose in linear layers' backward)."""
        if t._data.size == 0:  # numpy zeroes empty arrays' strides; the general path keeps PyTorch's
            return self.run_view(t, (dims,), {})
        st = t._storage
        v = _Tensor._make((_ARRAY.get(st.device.type) or array_api(st.device.type)).permute(t._data, dims), st)
        v._base = t._base if t._base is not None else t
        v._offset = t._offset
        return v

    def run_out(self, args, attrs, out):
        """``out=`` variant: fill the given tensor(s), resizing them like PyTorch does."""
        outs = out if self.nout > 1 else (out,)
        if len(outs) != self.nout or not all(isinstance(o, _Tensor) for o in outs):
            raise TypeError(f"{self.name}(): argument 'out' must be {'a tuple of ' + str(self.nout) + ' Tensors' if self.nout > 1 else 'a Tensor'}")
        dev, raw = split_args(self.name, args)
        for o in outs:
            if dev is None:
                dev = o._storage.device
            elif o._storage.device is not dev:
                _mixed(self.name, dev, o._storage.device)
        spec = self.meta(*args, **attrs)
        if self.overlap is not _SKIP:
            for o in outs:
                if has_internal_overlap(o._data):
                    self._overlapping(o)
        if self.partial:
            for o in outs:
                check_partial_overlap(o, args)
        specs = spec if self.nout > 1 else (spec,)
        fn = self.impls.get(dev.type) or impl_for(self, dev.type)
        api = array_api(dev.type)
        targets = []
        for o, (shape, dt) in zip(outs, specs):
            if o.dtype is not dt and not can_cast(dt, o.dtype):
                raise RuntimeError(f"{self.name}: result type {TORCH_NAMES[dt]} can't be cast to the desired output "
                                   f"type {TORCH_NAMES[o.dtype]}")
            if tuple(o._data.shape) != tuple(shape):
                o._set_raw(allocate(dev.type, shape, o.dtype))
            targets.append(o._data if o.dtype is dt else allocate(dev.type, shape, dt))
        try:
            fn(targets[0] if self.nout == 1 else tuple(targets), *raw, **attrs)
        except MemoryError as e:
            raise _out_of_memory(self.name, e) from None
        for o, t in zip(outs, targets):
            if t is not o._data:
                api.copy_into(o._data, t)
            o._storage.version += 1
        return out

    def _overlapping(self, t):
        """``t`` (being written) has internal overlap: raise PyTorch's error, or (for the ops it
        merely deprecates) warn and return True."""
        if self.overlap is not _WARN:
            raise RuntimeError(OVERLAP_MSG)
        warnings.warn(f"Use of {self.name}_ on expanded tensors is deprecated. Please clone() the tensor before "
                      f"performing this operation. This also applies to advanced indexing e.g. "
                      f"{_OVERLAP_WARN[self.name]}", UserWarning, stacklevel=4)
        return True

    def run_inplace(self, self_tensor, args, attrs, allow_overlap=False):
        """In-place variant: the result must have ``self_tensor``'s shape; bumps its version.

        ``allow_overlap``: skip the internal-overlap check (``fill_``, which PyTorch allows on
        an expanded tensor)."""
        _, raw = split_args(self.name, args)
        shape, dt = self.meta(*args, **attrs)
        aliased = (not allow_overlap and self.overlap is not _SKIP and has_internal_overlap(self_tensor._data)
                   and self._overlapping(self_tensor))
        s = self_tensor._data.shape
        if tuple(shape) != s:
            raise RuntimeError(
                f"{self.name}_: output with shape {list(s)} doesn't match the broadcast shape {list(shape)}")
        sdt = self_tensor.dtype
        if dt is not sdt and not can_cast(dt, sdt):
            raise RuntimeError(f"{self.name}_: result type {TORCH_NAMES[dt]} can't be cast to the desired output "
                               f"type {TORCH_NAMES[sdt]}")
        if self.partial:
            check_partial_overlap(self_tensor, args)
        dev = self_tensor._storage.device
        try:
            if aliased and dev.type != "cpu":
                _run_aliased_on_host(self, self_tensor, raw, attrs)
            else:
                fn = self.impls.get(dev.type) or impl_for(self, dev.type)
                fn(self_tensor._data, *raw, **attrs)
        except MemoryError as e:
            raise _out_of_memory(self.name, e) from None
        self_tensor._storage.version += 1
        return self_tensor


def _run_aliased_on_host(op, t, raw, attrs):
    """Run in-place ``op`` on a device tensor ``t`` whose elements alias (an expanded tensor)
    with the cpu impl's sequential semantics (PyTorch's CPU result), not a device kernel's
    racing writes: the memory ``t`` covers (its stride-0 dims collapsed) is copied to the host,
    the op runs on a host view with the same aliasing, and the memory is copied back."""
    dev_api, cpu = array_api(t._storage.device.type), array_api("cpu")
    fn = op.impls.get("cpu") or impl_for(op, "cpu")
    d = t._data
    strides = dev_api.strides(d)
    cshape = tuple(1 if s == 0 else n for n, s in zip(d.shape, strides))
    footprint = dev_api.view(t._storage.buf, cshape, strides, t.storage_offset(), t.dtype)
    host = dev_api.to_numpy(footprint)  # a fresh contiguous host copy
    hstrides, acc = [], 1
    for n, s in zip(reversed(cshape), reversed(strides)):
        hstrides.append(0 if s == 0 else acc)
        acc *= n
    hview = cpu.view(cpu.root_of(host), d.shape, tuple(reversed(hstrides)), 0, t.dtype)
    raw_type = type(d)

    def to_host(a):
        if type(a) is raw_type:
            return dev_api.to_numpy(a)
        if a.__class__ is list or a.__class__ is tuple:
            return a.__class__(to_host(x) for x in a)
        return a
    fn(hview, hview, *(to_host(a) for a in raw[1:]), **attrs)
    dev_api.copy_into(footprint, dev_api.from_numpy(host))


def def_op(name, meta, *, nout=1, dynamic=False, view=False, doc=None):
    """Declare a registry op; returns its OpDef."""
    if name in OPS:
        raise RuntimeError(f"op '{name}' is registered twice")
    op = OpDef(name, meta, nout, dynamic, view, doc)
    OPS[name] = op
    return op


def call(name, *args, **attrs):
    """Run registry op ``name`` (no autograd); convenience for tests and tools."""
    return OPS[name].run(args, attrs)
