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

Dispatch is a dict look-up and a few attribute reads; nothing here inspects signatures.
"""
import importlib

from ._dtype import can_cast, TORCH_NAMES

__all__ = ["OpDef", "def_op", "OPS", "array_api", "impl_for", "call", "split_args"]

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


def impl_for(op, device_type):
    fn = op.impls.get(device_type)
    if fn is None:
        if device_type not in _ARRAY:
            _load_backend(device_type)
            fn = op.impls.get(device_type)
        if fn is None:
            raise NotImplementedError(f"{op.name}: no implementation for device type '{device_type}'")
    return fn


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

    __slots__ = ("name", "meta", "impls", "nout", "dynamic", "view", "doc")

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
            res = fn(*raw, **attrs)
            if self.nout == 1:
                return wrap(res, dev)
            return tuple(wrap(r, dev) for r in res)
        empty = (_ARRAY.get(dev.type) or array_api(dev.type)).empty
        if self.nout == 1:
            o = empty(spec[0], spec[1])
            fn(o, *raw, **attrs)
            return wrap(o, dev)
        outs = tuple(empty(s, d) for s, d in spec)
        fn(outs, *raw, **attrs)
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
        specs = spec if self.nout > 1 else (spec,)
        fn = self.impls.get(dev.type) or impl_for(self, dev.type)
        api = array_api(dev.type)
        targets = []
        for o, (shape, dt) in zip(outs, specs):
            if o.dtype is not dt and not can_cast(dt, o.dtype):
                raise RuntimeError(f"{self.name}: result type {TORCH_NAMES[dt]} can't be cast to the desired output "
                                   f"type {TORCH_NAMES[o.dtype]}")
            if tuple(o._data.shape) != tuple(shape):
                o._set_raw(api.empty(shape, o.dtype))
            targets.append(o._data if o.dtype is dt else api.empty(shape, dt))
        fn(targets[0] if self.nout == 1 else tuple(targets), *raw, **attrs)
        for o, t in zip(outs, targets):
            if t is not o._data:
                api.copy_into(o._data, t)
            o._storage.version += 1
        return out

    def run_inplace(self, self_tensor, args, attrs):
        """In-place variant: the result must have ``self_tensor``'s shape; bumps its version."""
        _, raw = split_args(self.name, args)
        shape, dt = self.meta(*args, **attrs)
        s = self_tensor._data.shape
        if tuple(shape) != s:
            raise RuntimeError(
                f"{self.name}_: output with shape {list(s)} doesn't match the broadcast shape {list(shape)}")
        sdt = self_tensor.dtype
        if dt is not sdt and not can_cast(dt, sdt):
            raise RuntimeError(f"{self.name}_: result type {TORCH_NAMES[dt]} can't be cast to the desired output "
                               f"type {TORCH_NAMES[sdt]}")
        dev = self_tensor._storage.device
        fn = self.impls.get(dev.type) or impl_for(self, dev.type)
        fn(self_tensor._data, *raw, **attrs)
        self_tensor._storage.version += 1
        return self_tensor


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
