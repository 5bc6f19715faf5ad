"""The allow-list unpickler of `tritorch.load`: torch's weights-only globals resolve to tritorch
objects, every other global is refused, and only allowed callables ever run."""
import collections
import pickle
import warnings
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING

import numpy as np

from .. import _dtype
from .._device import device as _device_cls
from .._size import Size
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from .format import _STORAGE_DTYPES


class _StorageType:
    """What ``torch.<Type>Storage`` resolves to: only its dtype is used (in persistent ids)."""

    __slots__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype


_STORAGE_TYPES = {n: _StorageType(d) for n, d in _STORAGE_DTYPES.items()}
_STORAGE_TYPES["UntypedStorage"] = _StorageType(_dtype.uint8)
_TENSOR_TYPE = object()  # torch.Tensor, as _rebuild_from_type_v2's type argument


def _encode(obj, encoding="latin1"):
    """``_codecs.encode`` as pickles of bytes use it: a str, latin-1 encoded."""
    if type(obj) is not str or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode is only allowed for latin1-encoded bytes")
    return obj.encode("latin1")


def _bytes(*args):
    if args and not (len(args) == 1 and isinstance(args[0], (bytes, bytearray))):
        raise pickle.UnpicklingError("builtins.bytes is only allowed with no argument or bytes")
    return bytes(*args)


def _bytearray(*args):
    if args and not (len(args) == 1 and isinstance(args[0], (bytes, bytearray))):
        raise pickle.UnpicklingError("builtins.bytearray is only allowed with no argument or bytes")
    return bytearray(*args)


def _checked_ints(name, v, n=None):
    if not isinstance(v, (tuple, list)) or not all(type(x) is int for x in v) or (n is not None and len(v) != n):
        raise pickle.UnpicklingError(f"tritorch.load: malformed tensor record: {name} {v!r}")
    return tuple(v)


class _Unpickler(pickle._Unpickler):
    """The allow-list unpickler: `find_class` maps the globals of torch's weights-only format to
    tritorch objects and refuses the rest; only allowed callables run (REDUCE, NEWOBJ) and BUILD
    only fills OrderedDict/Counter, so nothing a file names beyond the list is ever called.
    (The pure-Python unpickler is used because only its opcodes can be restricted.)"""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, load_storage, weights_only):
        super().__init__(file, encoding="utf-8")
        self._load_storage = load_storage
        self._storages = {}  # key -> flat storage tensor
        self._storage_ids = set()
        self._weights_only = weights_only
        self._globals = self._allowed_globals(weights_only)
        self._callables = {id(v) for v in self._globals.values() if callable(v)}

    def _allowed_globals(self, weights_only):
        from ..nn.parameter import Parameter
        from .. import _tensor
        g = {
            "collections.OrderedDict": collections.OrderedDict,
            "collections.Counter": collections.Counter,
            "torch._utils._rebuild_tensor": self._rebuild_tensor,
            "torch._utils._rebuild_tensor_v2": self._rebuild_tensor_v2,
            "torch._utils._rebuild_parameter": self._rebuild_parameter,
            "torch._utils._rebuild_parameter_with_state": self._rebuild_parameter_with_state,
            "torch._tensor._rebuild_from_type_v2": self._rebuild_from_type_v2,
            "torch.nn.parameter.Parameter": self._new_parameter,
            "torch.Tensor": _TENSOR_TYPE,
            "torch.Size": Size,
            "torch.device": _device_cls,
            "_codecs.encode": _encode,
            "builtins.bytes": _bytes,
            "builtins.bytearray": _bytearray,
            "builtins.set": set,
            "builtins.frozenset": frozenset,
            "builtins.complex": complex,
        }
        for d in _dtype.ALL_DTYPES:
            g["torch." + d.name] = d
        for n, st in _STORAGE_TYPES.items():
            g["torch." + n] = st
        g["torch.storage.UntypedStorage"] = _STORAGE_TYPES["UntypedStorage"]
        if not weights_only:
            mu = (getattr(np, "_core", None) or np.core).multiarray  # numpy 2 / numpy 1.26
            g.update({"tritorch._tensor._rebuild": _tensor._rebuild, "tritorch._tensor.Tensor": Tensor,
                      "tritorch.nn.parameter.Parameter": Parameter, "tritorch._size.Size": Size,
                      "tritorch._device.device": _device_cls,
                      "numpy.ndarray": np.ndarray, "numpy.dtype": np.dtype,
                      "numpy.core.multiarray._reconstruct": mu._reconstruct,
                      "numpy._core.multiarray._reconstruct": mu._reconstruct,
                      "numpy.core.multiarray.scalar": mu.scalar,
                      "numpy._core.multiarray.scalar": mu.scalar})
            for d in _dtype.ALL_DTYPES:
                g["tritorch._dtype." + d.name] = d
        return g

    def find_class(self, module, name):
        if self.proto < 3:  # protocol-2 pickles name Python 2 modules (__builtin__, copy_reg)
            if (module, name) in NAME_MAPPING:
                module, name = NAME_MAPPING[(module, name)]
            elif module in IMPORT_MAPPING:
                module = IMPORT_MAPPING[module]
        full = f"{module}.{name}"
        try:
            return self._globals[full]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Unsupported global: GLOBAL {full} was not an allowed global: tritorch.load resolves only the "
                "globals of tensor checkpoints (torch's weights_only format) and never imports or calls "
                "other names from a file") from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and type(pid[1]) is _StorageType and type(pid[2]) is str and type(pid[3]) is str
                and type(pid[4]) is int and pid[4] >= 0):
            raise pickle.UnpicklingError(f"tritorch.load: unsupported persistent id {pid!r}")
        _, stype, key, location, numel = pid
        st = self._storages.get(key)
        if st is None:
            st = self._storages[key] = self._load_storage(key, stype.dtype, numel, location)
            self._storage_ids.add(id(st))
        return st

    # -- rebuild functions (what torch._utils' names resolve to) --
    def _rebuild_tensor(self, storage, storage_offset, size, stride):
        if type(storage) is not Tensor or id(storage) not in self._storage_ids:
            raise pickle.UnpicklingError("tritorch.load: a tensor record must name a storage of the archive")
        if type(storage_offset) is not int:
            raise pickle.UnpicklingError(f"tritorch.load: malformed tensor record: storage offset {storage_offset!r}")
        size = _checked_ints("size", size)
        stride = _checked_ints("stride", stride, len(size))
        with no_grad():
            # as_strided checks the geometry against the storage (offsets are absolute there).
            v = storage.as_strided(size, stride, storage.storage_offset() + storage_offset)
        t = Tensor._make(v._data, v._storage)  # a leaf over the storage, as torch's set_() makes
        t._offset = v._offset
        return t

    def _rebuild_tensor_v2(self, storage, storage_offset, size, stride, requires_grad, backward_hooks,
                           metadata=None):
        t = self._rebuild_tensor(storage, storage_offset, size, stride)
        if metadata and metadata.get("neg"):
            with no_grad():
                t = t.neg()
        if metadata and metadata.get("conj"):
            raise pickle.UnpicklingError("tritorch.load: conjugated (complex) tensors are not supported")
        if requires_grad:
            t.requires_grad_(True)
        return t

    def _new_parameter(self, data=None, requires_grad=True):
        from ..nn.parameter import Parameter
        if not isinstance(data, Tensor) and data is not None:
            raise pickle.UnpicklingError("tritorch.load: Parameter data must be a tensor")
        return Parameter(data, bool(requires_grad))

    def _rebuild_parameter(self, data, requires_grad, backward_hooks):
        return self._new_parameter(data, requires_grad)

    def _rebuild_parameter_with_state(self, data, requires_grad, backward_hooks, state):
        p = self._new_parameter(data, requires_grad)
        if isinstance(state, tuple) and len(state) == 2:  # (dict state, slot state), Python's layout
            state = {**(state[0] or {}), **(state[1] or {})}
        if state:
            if not isinstance(state, dict) or not all(type(k) is str for k in state):
                raise pickle.UnpicklingError("tritorch.load: malformed Parameter state")
            p.__dict__.update(state)  # plain attributes only: the type's slots and properties win
        return p

    def _rebuild_from_type_v2(self, func, new_type, args, state):
        if func not in (self._rebuild_tensor, self._rebuild_tensor_v2, self._rebuild_parameter,
                        self._rebuild_parameter_with_state) or not isinstance(args, tuple):
            raise pickle.UnpicklingError("tritorch.load: _rebuild_from_type_v2 must rebuild a tensor")
        t = func(*args)
        if new_type == self._new_parameter and type(t) is Tensor:
            t = self._new_parameter(t, t.requires_grad)
        elif new_type is not _TENSOR_TYPE and new_type != self._new_parameter:
            raise pickle.UnpicklingError("tritorch.load: only Tensor and Parameter types can be rebuilt")
        if state:
            if hasattr(t, "__dict__") and isinstance(state, dict):
                t.__dict__.update({k: v for k, v in state.items() if type(k) is str})
            else:
                warnings.warn("tritorch.load: dropped the Python attributes of a saved tensor "
                              "(tritorch tensors have no __dict__)", stacklevel=3)
        return t

    # -- restricted opcodes --
    def load_reduce(self):
        stack = self.stack
        args = stack.pop()
        func = stack[-1]
        if id(func) not in self._callables:
            raise pickle.UnpicklingError(f"tritorch.load: refusing to call {func!r}: not an allowed global")
        if not isinstance(args, tuple):
            raise pickle.UnpicklingError("tritorch.load: malformed REDUCE arguments")
        stack[-1] = func(*args)

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, {}))

    def load_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, kwargs))

    def _new(self, cls, args, kwargs):
        if cls == self._new_parameter:
            return self._new_parameter(*args, **kwargs)
        if not isinstance(cls, type) or id(cls) not in self._callables:
            raise pickle.UnpicklingError(f"tritorch.load: refusing to create {cls!r}: not an allowed class")
        return cls.__new__(cls, *args, **kwargs)

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) in (collections.OrderedDict, collections.Counter) and isinstance(state, dict):
            inst.__dict__.update(state)
        elif isinstance(inst, (np.ndarray, np.dtype)) and not self._weights_only:
            inst.__setstate__(state)
        else:
            raise pickle.UnpicklingError(f"tritorch.load: refusing to set the state of a {type(inst).__name__}")

    def load_inst(self):
        raise pickle.UnpicklingError("tritorch.load: the INST opcode (protocol 0 instances) is not allowed")

    def load_obj(self):
        raise pickle.UnpicklingError("tritorch.load: the OBJ opcode (protocol 1 instances) is not allowed")

    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex
    dispatch[pickle.BUILD[0]] = load_build
    dispatch[pickle.INST[0]] = load_inst
    dispatch[pickle.OBJ[0]] = load_obj
