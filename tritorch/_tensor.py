"""`tritorch.Tensor`: a raw array (numpy on cpu, a device array on cuda) plus autograd state.

Views share a `Storage` (root buffer, device, version counter), so in-place changes
through any view bump the version every view sees.  Op methods (`add`, `sum`, `view`,
...) are attached by `tritorch._ops`; this module holds the state, conversions and the
autograd entry points.
"""
import gc
import numbers

import numpy as np

from . import _dtype, _registry
from ._device import as_device, CPU
from ._size import Size
from ._tensor_str import tensor_repr
from .autograd import backward as _backward, graph
from .autograd.grad_mode import no_grad
from .cpu_fallback import _array as _cpu_array

__all__ = ["Tensor", "Storage"]


class Storage:
    """Memory shared by a tensor and its views: root array, device, version counter."""

    __slots__ = ("root", "device", "version", "_buf", "_buf_address")

    def __init__(self, root, device):
        self.root = root
        self.device = device
        self.version = 0
        self._buf = None
        self._buf_address = None

    # How `share_memory_` backs memory: tritorch.multiprocessing's sharing strategy, which
    # `set_sharing_strategy` writes here.
    sharing_strategy = "file_descriptor"

    @property
    def buf_address(self):
        a = self._buf_address
        if a is None:
            a = self._buf_address = _registry.array_api(self.device.type).address(self.buf)
        return a

    @property
    def buf(self):
        """Flat byte buffer over the whole allocation (what views are rebuilt from)."""
        b = self._buf
        if b is None:
            b = self._buf = _registry.array_api(self.device.type).root_of(self.root)
            if b is None:
                raise RuntimeError("tensor memory is not backed by a single buffer; cannot make a strided view")
        return b

    def is_shared(self):
        """True when the memory is a shared mapping (cpu storages only)."""
        if self.device.type != "cpu":
            return False
        return _cpu_array.shared_map_of(self.buf) is not None

    def share_memory_(self):
        """Move a cpu storage into shared memory in place (a memfd, or a /dev/shm file under the
        'file_system' strategy), repointing every tensor on it; a no-op when already shared and for
        device storages."""
        if self.device.type != "cpu" or self.is_shared():
            return
        old = self.buf
        new = _cpu_array.shared_empty(old.nbytes, file_system=Storage.sharing_strategy == "file_system")
        new[...] = old
        # Storages made by `Tensor.data` share the root object: they move too.
        storages = [o for o in gc.get_referrers(self.root) if isinstance(o, Storage) and o.root is self.root
                    and o.device.type == "cpu"]
        if self not in storages:
            storages.append(self)
        old_address = _cpu_array.Array.address(old)
        for t in _tensors_on(storages):
            raw = t._data
            off = _cpu_array.Array.address(raw) - old_address
            r = np.ndarray(raw.shape, raw.dtype, buffer=new, offset=off, strides=raw.strides)
            if not raw.flags.writeable:
                r.flags.writeable = False
            t._data = r
        for s in storages:
            s.root = new
            s._buf = new
            s._buf_address = None


def _tensors_on(storages):
    """Every live tensor whose storage is one of ``storages`` (found through the garbage
    collector's referrer lists: moving memory is rare, tracking views on every op is not)."""
    ids = {id(s) for s in storages}
    return [o for o in gc.get_referrers(*storages) if isinstance(o, Tensor) and id(o._storage) in ids]


_new = object.__new__


def _make(raw, storage, cls=None):
    """A tensor (of class ``cls``, default Tensor) over ``raw`` in ``storage``, out of the graph."""
    t = _new(cls or Tensor)
    t._data = raw
    t._storage = storage
    t._requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._output_nr = 0
    t._base = None
    t._grad_acc = None
    t._extra = None
    t._offset = None
    return t


def _wrap(raw, device):
    """A tensor over ``raw`` (a fresh array of ``device``) with its own storage."""
    return _make(raw, Storage(raw, device))


class Tensor:
    """A multi-dimensional array with autograd (PyTorch's `torch.Tensor`).

    `Tensor(data)` (legacy spelling) builds a float tensor from data; `Tensor(*sizes)`
    an uninitialised one.  Prefer `tritorch.tensor`.
    """

    __slots__ = ("_data", "_storage", "_requires_grad", "_grad", "grad_fn", "_output_nr", "_base",
                 "_grad_acc", "_extra", "_offset", "__weakref__")
    __array_priority__ = 1000

    # `Tensor(data)` / `Tensor(*sizes)`: __new__ is attached by tritorch._ops.creation, `to` and the
    # op methods by the other tritorch._ops modules.
    _make = staticmethod(_make)

    def _set_raw(self, raw):
        """Point this tensor at fresh memory (resize for `out=`); bumps version."""
        v = self._storage.version
        self._data = raw
        self._offset = None
        self._storage = Storage(raw, self._storage.device)
        self._storage.version = v + 1

    # ---- basic properties ------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size", wrap_scalar=False)]

    @property
    def dtype(self):
        return _dtype._FROM_NP[self._data.dtype]

    @property
    def device(self):
        return self._storage.device

    @property
    def is_cuda(self):
        return self._storage.device.type == "cuda"

    @property
    def is_cpu(self):
        return self._storage.device.type == "cpu"

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.dtype.itemsize

    @property
    def itemsize(self):
        return self._data.dtype.itemsize

    @property
    def nbytes(self):
        return self._data.size * self._data.dtype.itemsize

    def stride(self, dim=None):
        s = _registry.array_api(self._storage.device.type).strides(self._data)
        if self._data.size == 0 and s and not any(s):
            # numpy zeroes the strides of empty arrays it allocates; report PyTorch's contiguous ones.
            s = _contiguous_strides(self._data.shape)
        if dim is None:
            return s
        return s[_wrap_dim(dim, self._data.ndim, "stride", wrap_scalar=False)]

    def storage_offset(self):
        # Views record their offset when made (see OpDef.run_view); others compute it once.
        o = self._offset
        if o is None:
            st = self._storage
            api = _registry.array_api(st.device.type)
            o = self._offset = (api.address(self._data) - st.buf_address) // self._data.dtype.itemsize
        return o

    def data_ptr(self):
        return _registry.array_api(self._storage.device.type).address(self._data)

    def is_contiguous(self, memory_format=None):
        shape = self._data.shape
        if self._data.size == 0:
            return True
        strides = self.stride()
        expected = 1
        for n, s in zip(reversed(shape), reversed(strides)):
            if n != 1 and s != expected:
                return False
            expected *= n
        return True

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return False

    def is_signed(self):
        return self.dtype.is_signed

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def _version(self):
        return self._storage.version

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(bool(flag))

    def requires_grad_(self, requires_grad=True):
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a "
                    "computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach().")
            return self
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError(
                f"only Tensors of floating point and complex dtype can require gradients (got {self.dtype})")
        self._requires_grad = requires_grad
        return self

    def is_inference(self):
        """Always False: tritorch's `inference_mode` only disables recording (no inference tensors)."""
        return False

    # ---- data access -------------------------------------------------------------
    def _host_numpy(self):
        return _registry.array_api(self._storage.device.type).to_numpy(self._data)

    def numpy(self, *, force=False):
        """The numpy array sharing this tensor's memory (cpu only, as in PyTorch)."""
        if self._storage.device.type != "cpu":
            if not force:
                raise TypeError(
                    f"can't convert {self._storage.device.type} device type tensor to numpy. "
                    "Use Tensor.cpu() to copy the tensor to host memory first.")
            return self._host_numpy()
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.detach().numpy(force=True)
        return a if dtype is None else a.astype(dtype)

    def _scalar_for_conversion(self):
        """``float(x)`` / ``int(x)`` / ``complex(x)``: PyTorch raises ValueError for other than one element."""
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        v = _registry.array_api(self._storage.device.type).scalar(self._data)
        if self._data.dtype.kind not in "biuf":  # bfloat16 scalars
            v = float(v)
        return v

    def tolist(self):
        a = self._host_numpy()
        if a.dtype.kind not in "biuf":
            a = a.astype(np.float32)
        return a.tolist()

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                "Boolean value of Tensor with more than one value is ambiguous" if self._data.size
                else "Boolean value of Tensor with no values is ambiguous")
        return bool(self.item())

    def __float__(self):
        return float(self._scalar_for_conversion())

    def __int__(self):
        return int(self._scalar_for_conversion())

    def __index__(self):
        if self.dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self._scalar_for_conversion())

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    __hash__ = object.__hash__

    def __repr__(self):
        return tensor_repr(self)

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        # Values, device, requires_grad and the class (e.g. nn.Parameter); not the graph or .grad.
        return (_rebuild, (self.detach().cpu().numpy().copy(), str(self.device), self._requires_grad,
                           type(self)))

    # ---- shared memory (tritorch.multiprocessing) -------------------------------------------
    def share_memory_(self):
        """Moves the storage to shared memory in place (every view follows); a no-op when it
        already is shared and for cuda tensors. Returns self."""
        self._storage.share_memory_()
        return self

    def is_shared(self):
        """True when the storage is in shared memory (cpu tensors only)."""
        return self._storage.is_shared()

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.")
        with no_grad():
            r = self.clone()
        r._requires_grad = self._requires_grad
        cls = type(self)
        if cls is not Tensor:
            if _accepts_requires_grad(cls):
                r = cls(r, requires_grad=self._requires_grad)
            else:
                r = Tensor._make(r._data, r._storage, cls)
                r._requires_grad = self._requires_grad
        if self.grad is not None:
            r.grad = self.grad.clone()
        memo[id(self)] = r
        return r

    # ---- type / device conversions ----------------------------------------------------
    def type(self, dtype=None, non_blocking=False):
        """Without arguments: the legacy type string ('tritorch.FloatTensor'); else cast."""
        if dtype is None:
            name = _LEGACY_NAMES[self.dtype]
            return f"tritorch.{'cuda.' if self.is_cuda else ''}{name}"
        if isinstance(dtype, str):
            key = dtype.replace("torch.", "tritorch.").split(".")[-1]
            if key not in _LEGACY_BY_NAME:
                raise ValueError(f"type(): invalid type '{dtype}'")
            dtype = _LEGACY_BY_NAME[key]
        elif isinstance(dtype, type) and hasattr(dtype, "_legacy_dtype"):
            dtype = dtype._legacy_dtype
        return self.to(dtype)

    def cpu(self):
        return self.to(CPU)

    def cuda(self, device=None, non_blocking=False):
        if isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(as_device("cuda" if device is None else device))

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def bfloat16(self):
        return self.to(_dtype.bfloat16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def short(self):
        return self.to(_dtype.int16)

    def char(self):
        return self.to(_dtype.int8)

    def byte(self):
        return self.to(_dtype.uint8)

    def bool(self):
        return self.to(_dtype.bool)

    def type_as(self, other):
        return self.to(other.dtype)

    # ---- autograd ------------------------------------------------------------------------
    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, g):
        # PyTorch's THPVariable_set_grad: checks, messages and their order.
        if g is not None:
            if not isinstance(g, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(g).__name__}")
            if g is self:
                raise RuntimeError("can't assign Variable as its own grad")
            sdt, gdt = self.dtype, g.dtype
            if gdt is not sdt:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_CPP_NAMES[gdt]}' to a tensor with grad_dtype "
                    f"'{_dtype.TORCH_NAMES[sdt]}'. The gradient must match the tensor's grad_dtype (defaults to "
                    f"the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or "
                    f"None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and "
                    f"its gradient may break downstream systems that assume they match.")
            sd, gd = self._storage.device, g._storage.device
            if gd is not sd:
                if gd.type != sd.type:
                    raise RuntimeError(f"attempting to assign a gradient with device type '{gd.type}' to a tensor "
                                       f"with device type '{sd.type}'. Please ensure that the gradient and the tensor "
                                       f"are on the same device")
                gi, si = (-1 if gd.index is None else gd.index), (-1 if sd.index is None else sd.index)
                if gi != si:
                    raise RuntimeError(f"attempting to assign a gradient located on device with index '{gi}' to a "
                                       f"tensor located on device with index '{si}'. Please ensure that the gradient "
                                       f"and the tensor are on the same device")
            if g._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(g._data.shape)}' to a tensor of "
                                   f"size '{list(self._data.shape)}'. Please ensure that the gradient and the tensor "
                                   f"are the same size")
        self._grad = g

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def data(self):
        """A tensor sharing memory but not history (nor the version counter) with self."""
        t = Tensor._make(self._data, Storage(self._storage.root, self._storage.device))
        t._storage._buf = self._storage._buf
        return t

    @data.setter
    def data(self, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(other).__name__}")
        self._data = other._data
        self._storage = other._storage
        self._offset = other._offset

    def detach(self):
        """A new tensor sharing storage (and version counter) with self, out of the graph."""
        t = Tensor._make(self._data, self._storage)
        return t

    def detach_(self):
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self):
        graph.retain_grad(self)

    @property
    def retains_grad(self):
        return bool(self._extra and self._extra.get("retains_grad"))

    def _extras(self):
        if self._extra is None:
            self._extra = {}
        return self._extra

    def register_hook(self, hook):
        """`hook(grad) -> Tensor or None`, called when the gradient for self is computed."""
        return graph.register_tensor_hook(self, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaves) into their `.grad` (see `tritorch.autograd.backward`)."""
        _backward(self, gradient, retain_graph, create_graph, inputs=inputs)


def _accepts_requires_grad(cls):
    return getattr(cls, "_accepts_requires_grad", False)


def _rebuild(arr, dev, requires_grad, cls=None):
    """Unpickle what `Tensor.__reduce_ex__` saved (``arr``: a contiguous copy of the values)."""
    dev = as_device(dev)
    t = _wrap(_registry.array_api(dev.type).from_numpy(arr), dev)
    if cls is not None and cls is not Tensor:
        if _accepts_requires_grad(cls):
            return cls(t, requires_grad=requires_grad)
        t = Tensor._make(t._data, t._storage, cls)
    return t.requires_grad_(requires_grad) if requires_grad else t


def _contiguous_strides(shape):
    st, acc = [], 1
    for n in reversed(shape):
        st.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(st))


def _wrap_dim(dim: int, ndim: int, op: str = "dim", wrap_scalar: bool = True) -> int:
    """Normalise a possibly negative dim; IndexError naming the valid range.

    A 0-d tensor accepts dims -1 and 0 as if it had one dim (PyTorch's ``wrap_scalar``), except
    with ``wrap_scalar=False`` (``size``/``stride``, which index the shape itself): there PyTorch
    raises "Dimension specified as -1 but tensor has no dimensions"."""
    if dim.__class__ is not int and (not isinstance(dim, numbers.Integral) or isinstance(dim, bool)):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    if ndim == 0 and not wrap_scalar:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    n = ndim if ndim > 0 else 1
    if dim < -n or dim >= n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


_LEGACY_NAMES = {
    _dtype.float32: "FloatTensor", _dtype.float64: "DoubleTensor", _dtype.float16: "HalfTensor",
    _dtype.bfloat16: "BFloat16Tensor", _dtype.int64: "LongTensor", _dtype.int32: "IntTensor",
    _dtype.int16: "ShortTensor", _dtype.int8: "CharTensor", _dtype.uint8: "ByteTensor",
    _dtype.bool: "BoolTensor",
}
_LEGACY_BY_NAME = {v: k for k, v in _LEGACY_NAMES.items()}
# The C++ type names PyTorch's grad-assignment errors use (with c10's ScalarType names, TORCH_NAMES).
_CPP_NAMES = {
    _dtype.float32: "float", _dtype.float64: "double", _dtype.float16: "c10::Half", _dtype.bfloat16: "c10::BFloat16",
    _dtype.int64: "long int", _dtype.int32: "int", _dtype.int16: "short int", _dtype.int8: "signed char",
    _dtype.uint8: "unsigned char", _dtype.bool: "bool"}
for _d in _dtype.ALL_DTYPES:
    _LEGACY_BY_NAME[_d.name] = _d


_registry._Tensor = Tensor
_registry._wrap = _wrap
