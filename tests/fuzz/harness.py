"""Core of the differential fuzz harness: input specs, running one call on each library, and the
comparison rule.

A *call* is an entry point (see ``entries.py``) plus arguments made of *specs*: ``TensorSpec``
(a tensor built identically on every side, including its view: transposed, sliced with a step,
expanded, offset), ``DType`` (a dtype name), ``Device`` (the side's device), and plain Python values
(ints, floats, None, str, lists and tuples of any of these).  ``Call.run(lib)`` materialises the
specs for one library and returns an ``Outcome`` (a normalised result, or the exception).

The comparison rule lives in ``compare`` (results) and ``exceptions_compatible`` /
``internal_error`` (failures); ``test_harness_selfcheck.py`` checks that it flags injected bugs.
"""
import math
import os
import warnings

import numpy as np

import tritorch as tt
import tritorch.nn.functional as ttF
import torch
import torch.nn.functional as torchF


# ----------------------------------------------------------------------------------------- libraries

class Lib:
    def __init__(self, name, mod, F, device):
        self.name, self.mod, self.F, self.device = name, mod, F, device

    @property
    def is_torch(self):
        return self.mod is torch

    def __repr__(self):
        return self.name


def _has_cuda():
    try:
        from tritorch.kernels import ARRAY
        return ARRAY is not None
    except ImportError:
        return False


TORCH = Lib("torch", torch, torchF, "cpu")
TT_CPU = Lib("tt-cpu", tt, ttF, "cpu")
TT_CUDA = Lib("tt-cuda", tt, ttF, "cuda") if _has_cuda() else None
TT_LIBS = [lib for lib in (TT_CPU, TT_CUDA) if lib is not None]


# --------------------------------------------------------------------------------------------- specs

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
INT_DTYPES = ("int64", "int32", "uint8")
ALL_DTYPES = FLOAT_DTYPES + INT_DTYPES + ("bool",)
_NP_STORAGE = {"float16": np.float16, "bfloat16": np.float32, "float32": np.float32, "float64": np.float64,
               "int64": np.int64, "int32": np.int32, "uint8": np.uint8, "bool": np.bool_,
               "int8": np.int8, "int16": np.int16}
VIEWS = ("contig", "t", "step", "expand", "offset")


class DType:
    """A dtype given by name: ``tt.float32`` on tritorch sides, ``torch.float32`` on torch."""

    def __init__(self, name):
        self.name = name

    def materialize(self, lib):
        return getattr(lib.mod, self.name)

    def __repr__(self):
        return f"{{mod}}.{self.name}"


class Device:
    """The device of the side running the call (for creation ops' ``device=``)."""

    def materialize(self, lib):
        return lib.device

    def __repr__(self):
        return "{device!r}"


def base_shape(shape, view):
    shape = tuple(shape)
    if view == "t":
        return shape[:-2] + (shape[-1], shape[-2])
    if view == "step":
        return shape[:-1] + (2 * shape[-1],)
    if view == "expand":
        k = _expand_dim(shape)
        return shape[:k] + (1,) + shape[k + 1:]
    if view == "offset":
        return (shape[0] + 1,) + shape[1:]
    return shape


def _expand_dim(shape):
    for k, n in enumerate(shape):
        if n > 1:
            return k
    return 0


def valid_view(shape, view):
    nd = len(shape)
    return (view == "contig" or (view == "t" and nd >= 2) or (view in ("step", "offset") and nd >= 1)
            or (view == "expand" and nd >= 1 and any(n > 1 for n in shape)))


class TensorSpec:
    """A tensor of ``dtype`` and ``shape``, seen through ``view`` of a base holding ``base`` (numpy,
    storage dtype; bfloat16 is stored as float32 and converted on each side)."""

    def __init__(self, dtype, shape, base, view="contig"):
        self.dtype, self.shape, self.base, self.view = dtype, tuple(shape), base, view
        assert base.shape == base_shape(self.shape, view), (base.shape, shape, view)

    @property
    def ndim(self):
        return len(self.shape)

    def numel(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def values(self):
        """The logical values (numpy, after the view)."""
        return _apply_view_np(self.base, self.shape, self.view)

    def materialize(self, lib):
        arr = np.ascontiguousarray(self.base)
        if lib.is_torch:
            t = torch.from_numpy(arr.copy())
        else:
            t = tt.tensor(arr, device=lib.device)
        if self.dtype == "bfloat16":
            t = t.to(getattr(lib.mod, "bfloat16"))
        return _apply_view(t, self.shape, self.view)

    def __repr__(self):
        npd = np.dtype(_NP_STORAGE[self.dtype]).name
        if self.base.ndim == 0:
            b = f"{{mod}}.tensor(np.{npd}({self.base.item()!r}), device={{device!r}})"
        elif 0 in self.base.shape:
            b = f"{{mod}}.tensor(np.zeros({tuple(self.base.shape)}, dtype=np.{npd}), device={{device!r}})"
        else:
            b = f"{{mod}}.tensor(np.array({self.base.tolist()!r}, dtype=np.{npd}), device={{device!r}})"
        if self.dtype == "bfloat16":
            b += ".to({mod}.bfloat16)"
        return b + _view_suffix(self.shape, self.view)


def _view_suffix(shape, view):
    if view == "t":
        return ".transpose(-2, -1)"
    if view == "step":
        return "[..., ::2]"
    if view == "expand":
        return f".expand{tuple(shape)}"
    if view == "offset":
        return "[1:]"
    return ""


def _apply_view(t, shape, view):
    if view == "t":
        return t.transpose(-2, -1)
    if view == "step":
        return t[..., ::2]
    if view == "expand":
        return t.expand(*shape)
    if view == "offset":
        return t[1:]
    return t


def _apply_view_np(a, shape, view):
    if view == "t":
        return np.swapaxes(a, -2, -1)
    if view == "step":
        return a[..., ::2]
    if view == "expand":
        return np.broadcast_to(a, shape)
    if view == "offset":
        return a[1:]
    return a


def materialize(obj, lib):
    if isinstance(obj, (TensorSpec, DType, Device)):
        return obj.materialize(lib)
    if isinstance(obj, list):
        return [materialize(o, lib) for o in obj]
    if isinstance(obj, tuple):
        return tuple(materialize(o, lib) for o in obj)
    if isinstance(obj, dict):
        return {k: materialize(v, lib) for k, v in obj.items()}
    return obj


def _source(obj):
    if isinstance(obj, (TensorSpec, DType, Device)):
        return repr(obj)
    if isinstance(obj, list):
        return "[" + ", ".join(_source(o) for o in obj) + "]"
    if isinstance(obj, tuple):
        return "(" + ", ".join(_source(o) for o in obj) + ("," if len(obj) == 1 else "") + ")"
    if isinstance(obj, float) and not math.isfinite(obj):
        return f"float('{obj}')"
    return repr(obj)


def iter_specs(obj):
    if isinstance(obj, TensorSpec):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from iter_specs(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from iter_specs(o)


# ---------------------------------------------------------------------------------------------- calls

class Outcome:
    def __init__(self, value=None, exc=None, inputs_after=None):
        self.value, self.exc, self.inputs_after = value, exc, inputs_after

    @property
    def ok(self):
        return self.exc is None

    def describe(self):
        if self.ok:
            return "ok"
        return f"{type(self.exc).__module__}.{type(self.exc).__name__}: {str(self.exc)[:200]}"


class Call:
    """One drawn call: ``entry`` applied in ``form`` ('fn', 'method', 'F' or 'custom') to ``args``
    and ``kwargs`` (specs)."""

    def __init__(self, entry, form, args, kwargs):
        self.entry, self.form, self.args, self.kwargs = entry, form, tuple(args), dict(kwargs)

    @property
    def name(self):
        return self.entry.name

    # -- helpers for KNOWN conditions
    def tensors(self):
        return list(iter_specs((self.args, self.kwargs)))

    @property
    def x(self):
        """The first tensor argument (or None)."""
        ts = self.tensors()
        return ts[0] if ts else None

    def arg(self, i, default=None):
        return self.args[i] if i < len(self.args) else default

    def kw(self, name, default=None):
        return self.kwargs.get(name, default)

    def any_dtype(self, *names):
        return any(t.dtype in names for t in self.tensors())

    def has_0d(self):
        return any(t.ndim == 0 for t in self.tensors())

    def has_empty(self):
        return any(t.numel() == 0 for t in self.tensors())

    def has_view(self, *views):
        return any(t.view in views for t in self.tensors())

    def has_nonfinite(self):
        for t in self.tensors():
            if t.dtype in FLOAT_DTYPES and not np.all(np.isfinite(t.base.astype(np.float64))):
                return True
        return False

    def scalars(self):
        out = []

        def walk(o):
            if isinstance(o, (list, tuple)):
                for v in o:
                    walk(v)
            elif isinstance(o, dict):
                for v in o.values():
                    walk(v)
            elif not isinstance(o, (TensorSpec, DType, Device)):
                out.append(o)
        walk((self.args, self.kwargs))
        return out

    def has_scalar(self, pred):
        for s in self.scalars():
            try:
                if pred(s):
                    return True
            except Exception:
                pass
        return False

    # -- running
    def target(self, lib):
        attr = self.entry.attr
        if self.form == "custom":
            return lambda *a, **k: self.entry.custom(lib, *a, **k)
        if self.form == "fn":
            return getattr(lib.mod, attr)
        if self.form == "F":
            return getattr(lib.F, attr)
        raise AssertionError(self.form)

    def run(self, lib):
        try:
            args = materialize(self.args, lib)
            kwargs = materialize(self.kwargs, lib)
        except Exception as e:  # building the inputs failed: report it as the outcome
            return Outcome(exc=e)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                if self.form == "method":
                    value = getattr(args[0], self.entry.attr)(*args[1:], **kwargs)
                else:
                    value = self.target(lib)(*args, **kwargs)
                res = normalize(value)
                after = normalize(args[0]) if self.entry.inplace and args else None
                return Outcome(value=res, inputs_after=after)
            except Exception as e:
                return Outcome(exc=e)

    def source(self, lib_name="tt", device="cpu"):
        mod = "tt" if lib_name == "tt" else "torch"
        fmod = "F"
        a = [_source(v) for v in self.args]
        a += [f"{k}={_source(v)}" for k, v in self.kwargs.items()]
        if self.form == "method":
            s = f"{a[0]}.{self.entry.attr}({', '.join(a[1:])})"
        elif self.form == "fn":
            s = f"{{mod}}.{self.entry.attr}({', '.join(a)})"
        elif self.form == "F":
            s = f"{fmod}.{self.entry.attr}({', '.join(a)})"
        else:
            s = f"{self.entry.name}<custom>({', '.join(a)})"
        return s.replace("{mod}", mod).replace("{device!r}", repr(device))

    def __repr__(self):
        return self.source()


# ------------------------------------------------------------------------------------ normalisation

class TensorResult:
    def __init__(self, dtype, shape, device, values):
        self.dtype, self.shape, self.device, self.values = dtype, shape, device, values

    def __repr__(self):
        return f"Tensor({self.dtype}, shape={self.shape}, device={self.device}, {self.values.tolist()!r})"


def _dtype_name(d):
    return str(d).split(".")[-1]


def normalize(v):
    if isinstance(v, (tt.Tensor, torch.Tensor)):
        dtype = _dtype_name(v.dtype)
        shape = tuple(int(n) for n in v.shape)
        dev = v.device.type
        if isinstance(v, torch.Tensor):
            t = v.detach()
            t = t.float() if dtype in ("bfloat16",) else t
            arr = t.cpu().numpy()
        else:
            t = v.detach()
            t = t.float() if dtype in ("bfloat16",) else t
            arr = t.cpu().numpy()
        return TensorResult(dtype, shape, dev, np.array(arr))
    if isinstance(v, (tt.dtype, torch.dtype)):
        return ("dtype", _dtype_name(v))
    if isinstance(v, (list, tuple)):
        return tuple(normalize(o) for o in v)
    if v is None or isinstance(v, (bool, int, float, complex, str)):
        return v
    if isinstance(v, np.generic):
        return ("numpy scalar", repr(v))
    return ("object", type(v).__name__)


# ------------------------------------------------------------------------------------- the rule

#: What a user catches.  Two exceptions are *compatible* when they are the same class, or both are
#: subclasses of the same one of these (so tritorch raising ValueError where torch raises a
#: ``torch._C._LinAlgError`` is not compatible, but ``NotImplementedError`` vs ``RuntimeError`` is).
USER_CATCH = (TypeError, ValueError, IndexError, RuntimeError)

#: Exception types that are never a deliberate API error in tritorch (unless torch raises the same).
INTERNAL_TYPES = (AttributeError, ZeroDivisionError, KeyError, AssertionError, UnboundLocalError, NameError,
                  RecursionError, FloatingPointError, OverflowError, MemoryError, SystemError)

#: Message fragments that expose implementation details.
INTERNAL_TEXT = ("_data", "tuple index out of range", "list index out of range", "object has no attribute",
                 "ndarray", "numpy", "np.", "triton", "axis ", "cannot reshape array", "array is too big",
                 "maximum allowed dimension", "cannot convert float nan to integer", "'nonetype' object",
                 "object is not subscriptable", "object is not iterable", "unhashable type",
                 "is not supported between instances", "object cannot be interpreted as an integer",
                 "zero-size array", "invalid literal for int()", "result type", "ufunc", "casting rule")

_INTERNAL_MODULES = ("numpy", "triton")


def exceptions_compatible(tt_exc, torch_exc):
    """Same class, or both subclasses of the same ``USER_CATCH`` class."""
    a, b = type(tt_exc), type(torch_exc)
    if a is b or a.__name__ == b.__name__ and issubclass(a, RuntimeError) and issubclass(b, RuntimeError):
        return True
    return any(issubclass(a, c) and issubclass(b, c) for c in USER_CATCH)


def _raised_in(exc):
    """Top-level package of the innermost Python frame that raised ``exc``."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    if last is None:
        return None
    for pkg in _INTERNAL_MODULES:
        if f"{os.sep}{pkg}{os.sep}" in last and f"{os.sep}tritorch{os.sep}" not in last:
            return pkg
    return None


def internal_error(call, exc, torch_exc=None):
    """Why ``exc`` (raised by tritorch for ``call``) leaks implementation details, or None.

    * its class comes from numpy or Triton (e.g. ``numpy.exceptions.AxisError``, Triton's
      ``CompilationError``), or it was raised by numpy/Triton code;
    * its class is one no API check raises (AttributeError, ZeroDivisionError, OverflowError, ...)
      and torch did not raise the same class;
    * its message contains implementation text ('_data', 'tuple index out of range', 'ndarray', ...)
      that torch's message does not, and it names neither the op nor an argument.
    """
    t = type(exc)
    mod = t.__module__.split(".")[0]
    if mod in _INTERNAL_MODULES:
        return f"{t.__module__}.{t.__name__} escaped"
    where = _raised_in(exc)
    if where:
        return f"{t.__name__} raised inside {where}"
    if isinstance(exc, INTERNAL_TYPES) and not (torch_exc is not None and type(torch_exc) is t):
        return f"{t.__name__} (internal type)"
    msg = str(exc).lower()
    tmsg = str(torch_exc).lower() if torch_exc is not None else ""
    for frag in INTERNAL_TEXT:
        if frag in msg and frag not in tmsg:
            names = {call.entry.attr.lower().strip("_")} | {k.lower() for k in call.kwargs}
            names |= set(a.lower() for a in call.entry.argnames)
            if any(f"'{n}'" in msg or f"{n}(" in msg or f"{n}:" in msg for n in names if n):
                continue
            return f"{t.__name__} with internal text {frag!r}"
    return None


_TOL = {"float16": (2e-3, 1e-3), "bfloat16": (1.6e-2, 1e-2), "float32": (1.3e-5, 1e-5), "float64": (1e-7, 1e-9)}


def _close(a, b, dtype, rtol_scale=1.0):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype == np.bool_ or np.issubdtype(a.dtype, np.integer) or dtype not in _TOL:
        if np.issubdtype(a.dtype, np.complexfloating):
            return np.allclose(a, b, equal_nan=True)
        return np.array_equal(a.astype(np.float64) if a.dtype.kind == "f" else a,
                              b.astype(np.float64) if b.dtype.kind == "f" else b, equal_nan=a.dtype.kind == "f")
    rtol, atol = _TOL[dtype]
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    na, nb = np.isnan(a), np.isnan(b)
    if not np.array_equal(na, nb):
        return False
    ia, ib = np.isinf(a), np.isinf(b)
    if not np.array_equal(ia, ib) or not np.array_equal(a[ia], b[ib]):
        return False
    fin = ~(na | ia)
    scale = max(1.0, float(np.max(np.abs(b[fin]), initial=0.0))) if rtol_scale > 1 else 1.0
    return bool(np.allclose(a[fin], b[fin], rtol=rtol * rtol_scale, atol=atol * rtol_scale * scale))


def compare_values(got, want, path="result", ties=False, rtol_scale=1.0):
    """Mismatch descriptions (category, detail) between two normalised values; [] when equal."""
    if isinstance(want, TensorResult):
        if not isinstance(got, TensorResult):
            return [("type", f"{path}: expected a tensor, got {got!r}"[:300])]
        out = []
        if got.dtype != want.dtype:
            out.append(("dtype", f"{path}: dtype {got.dtype} != {want.dtype}"))
        if got.shape != want.shape:
            out.append(("shape", f"{path}: shape {got.shape} != {want.shape}"))
            return out
        if ties:
            return out
        if not _close(got.values, want.values, want.dtype, rtol_scale):
            out.append(("value", f"{path}: {np.array2string(got.values, threshold=20)} != "
                                 f"{np.array2string(want.values, threshold=20)}"))
        return out
    if isinstance(want, tuple):
        if not isinstance(got, tuple) or len(got) != len(want):
            return [("type", f"{path}: {got!r} != {want!r}"[:300])]
        out = []
        for i, (g, w) in enumerate(zip(got, want)):
            out += compare_values(g, w, f"{path}[{i}]", ties=ties and i > 0, rtol_scale=rtol_scale)
        return out
    if isinstance(want, bool) or isinstance(got, bool):
        return [] if type(got) is type(want) and got == want else [("value", f"{path}: {got!r} != {want!r}")]
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        if type(got) is not type(want):
            return [("type", f"{path}: {type(got).__name__} {got!r} != {type(want).__name__} {want!r}")]
        if isinstance(want, float) and _close(np.float64(got), np.float64(want), "float64"):
            return []
        return [] if got == want else [("value", f"{path}: {got!r} != {want!r}")]
    return [] if got == want else [("value", f"{path}: {got!r} != {want!r}"[:300])]


class Mismatch:
    def __init__(self, call, side, category, detail):
        self.call, self.side, self.category, self.detail = call, side, category, detail

    @property
    def key(self):
        """Coarse category for the long profile's summary."""
        return f"{self.call.name} [{self.side}] {self.category}"

    def __repr__(self):
        return f"{self.key}: {self.detail}\n    reproducer: {self.call.source('tt', 'cuda' if 'cuda' in self.side else 'cpu')}"


def _ties(call):
    if not call.entry.ties:
        return False
    x = call.x
    if x is None:
        return False
    v = x.values().astype(np.float64).ravel()
    v = v[~np.isnan(v)]
    return len(np.unique(v)) != len(v) or np.isnan(x.values().astype(np.float64)).any()


def compare_pair(call, got, want, side, strict_exc=False):
    """Mismatches of outcome ``got`` (tritorch) against reference ``want`` for ``call``."""
    out = []
    if not got.ok and want.ok:
        out.append(("status", f"tritorch raised {got.describe()}; reference succeeded"))
    elif got.ok and not want.ok:
        out.append(("status", f"tritorch succeeded; reference raised {want.describe()}"))
    elif not got.ok:
        same = type(got.exc) is type(want.exc) if strict_exc else exceptions_compatible(got.exc, want.exc)
        if not same:
            out.append(("exception", f"{type(got.exc).__name__} vs {type(want.exc).__name__}: "
                                     f"{str(got.exc)[:150]!r} / {str(want.exc)[:150]!r}"))
    else:
        out += compare_values(got.value, want.value, ties=_ties(call), rtol_scale=call.entry.rtol_scale)
        if call.entry.inplace and want.inputs_after is not None:
            out += compare_values(got.inputs_after, want.inputs_after, "input after", rtol_scale=call.entry.rtol_scale)
    return out


def _devices_of(v):
    if isinstance(v, TensorResult):
        yield v.device
    elif isinstance(v, tuple):
        for o in v:
            yield from _devices_of(o)


def compare(call, outcomes):
    """All mismatches for ``call`` given ``outcomes`` ({lib name: Outcome}, 'torch' is the reference).

    The rule: each tritorch side must (1) succeed iff torch succeeds, (2) on failure raise an
    exception compatible with torch's (``exceptions_compatible``) that leaks no internals
    (``internal_error``), (3) on success return the same structure, dtypes, shapes and values
    (NaN-aware, dtype-aware tolerance; index outputs of sort-like ops are not compared when the
    input has ties), with tensors on the side's device.  tritorch cpu and cuda must also agree with
    each other (same exception class, same values)."""
    want = outcomes["torch"]
    mism = []
    for lib in TT_LIBS:
        got = outcomes.get(lib.name)
        if got is None:
            continue
        if not got.ok:
            why = internal_error(call, got.exc, want.exc)
            if why:
                mism.append(Mismatch(call, lib.name, "internal", f"{why}: {got.describe()}"))
                continue
        for cat, detail in compare_pair(call, got, want, lib.name):
            mism.append(Mismatch(call, lib.name, cat, detail))
        if got.ok and lib.device == "cuda" and any(d != "cuda" for d in _devices_of(got.value)):
            if call.entry.name not in ("Tensor.cpu", "Tensor.tolist"):
                mism.append(Mismatch(call, lib.name, "device", "a tensor result is not on cuda"))
    if TT_CUDA is not None and TT_CUDA.name in outcomes and TT_CPU.name in outcomes:
        a, b = outcomes[TT_CUDA.name], outcomes[TT_CPU.name]
        if not any(m.side == TT_CUDA.name for m in mism) or not any(m.side == TT_CPU.name for m in mism):
            for cat, detail in compare_pair(call, a, b, "cpu/cuda", strict_exc=True):
                mism.append(Mismatch(call, "cuda vs cpu", cat, detail))
    return mism


def run_all(call, libs=None):
    libs = [TORCH] + TT_LIBS if libs is None else libs
    return {lib.name: call.run(lib) for lib in libs}
