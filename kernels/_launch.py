"""Kernel launches: the one place that knows interpreter mode from a real GPU.

Launchers call ``launch(kernel, grid, *args, **meta)`` instead of ``kernel[grid](...)``.  On a
GPU the `CudaArray` arguments go straight to Triton (they have ``data_ptr()`` and ``dtype``).
In interpreter mode each is replaced by a `HostArg`, the torch-like storage protocol Triton's
interpreter needs; nothing is copied.

With ``TRITORCH_RECORD_LAUNCHES=<path>`` in the environment, ``launch`` also appends each new
(kernel, specialisation) to ``<path>`` as one JSON line — the Triton signature the launch
specialises to, its constexprs and launch options — for scripts/kernel_report.py to compile
ahead of time.  A recording run sizes blocks for the GPU (`SIZE_FOR_INTERPRETER` is False), so
what it records is what a GPU would compile.  Without the variable ``launch`` is the plain
launcher: recording costs nothing.
"""
import inspect
import json
import math
import os
import threading

import triton
import triton.language as tl

from tritorch.cuda import _runtime
from tritorch.cuda.array import CudaArray, HostArg

__all__ = ["launch", "INTERPRETED", "SIZE_FOR_INTERPRETER", "cdiv", "block_for", "span", "needs_i64", "select",
           "pad"]

INTERPRETED = _runtime.interpreted()
_RECORD_PATH = os.environ.get("TRITORCH_RECORD_LAUNCHES") or None
# Launchers size blocks and tiles for the interpreter (few, big programs) only when this is set.
SIZE_FOR_INTERPRETER = INTERPRETED and _RECORD_PATH is None


def cdiv(a, b):
    return -(-a // b)


def block_for(n, gpu_block, cap=1 << 16):
    """Elements per program.  The interpreter pays per program, not per element, so there a
    block covers as much of ``n`` as fits in ``cap`` (a power of two, as Triton requires)."""
    if not SIZE_FOR_INTERPRETER:
        return gpu_block
    return max(gpu_block, min(cap, triton.next_power_of_2(max(n, 1))))


# --- launch geometry: the one home of the int32/int64 offset choice and of view helpers -------

_I32_LIMIT = 2**31


def span(view):
    """The largest element offset ``view`` reaches from its data pointer: ``sum((n-1)*|stride|)``.

    ``view`` is an array (``.shape``, ``.strides``) or a ``(shape, strides)`` pair.  An empty view
    reaches nothing (0), so a zero-size dim never turns a negative term into a false "fits".
    The pointer a kernel receives already includes the view's own offset (``data_ptr()``).
    """
    shape, strides = (view.shape, view.strides) if hasattr(view, "strides") else view
    if any(n == 0 for n in shape):
        return 0
    return sum((n - 1) * abs(s) for n, s in zip(shape, strides))


def needs_i64(*views, counts=()):
    """Whether a kernel must compute offsets in int64: any loop extent in ``counts`` (element
    counts, index ranges, row counts -- with the last block's overshoot added by the caller) or
    any view's `span` reaches 2**31.  ``views``: arrays or ``(shape, strides)`` pairs; None is
    skipped (an absent optional operand)."""
    for c in counts:
        if c >= _I32_LIMIT:
            return True
    for v in views:
        if v is not None and span(v) >= _I32_LIMIT:
            return True
    return False


def select(a, dim, i):
    """The view ``a[..., i, ...]`` (index ``i`` of dim ``dim``), sharing ``a``'s memory."""
    return a.view_as(a.shape[:dim] + a.shape[dim + 1:], a.strides[:dim] + a.strides[dim + 1:],
                     a.offset + i * a.strides[dim])


def pad(seq, n, fill=0):
    """``seq`` as a list of exactly ``n`` items: cut, or padded with ``fill`` (the fixed-arity
    size/stride argument groups of kernels that take up to ``n`` dims)."""
    seq = list(seq)[:n]
    return seq + [fill] * (n - len(seq))


def _host(a):
    if a.__class__ is CudaArray:
        return HostArg(a.data_ptr(), a.dtype)
    return a


# Triton's interpreter patches triton.language's module globals while a kernel runs, so two
# threads interpreting at once break each other ("Did you forget to add @triton.jit ?").
_INTERPRETER_LOCK = threading.Lock()


def _launch_interpreted(kernel, grid, *args, **meta):
    args = [_host(a) for a in args]
    meta = {k: _host(v) for k, v in meta.items()}
    with _INTERPRETER_LOCK:
        kernel[grid](*args, **meta)


def _launch_gpu(kernel, grid, *args, **meta):
    kernel[grid](*args, **meta)


# --- opt-in launch recorder ------------------------------------------------------------------

_OPTIONS = ("num_warps", "num_stages", "num_ctas", "maxnreg")
# numpy / Triton dtype name -> Triton's type code (its own canonical names).
_CODES = {"float16": "fp16", "bfloat16": "bf16", "float32": "fp32", "float64": "fp64", "int8": "i8",
          "int16": "i16", "int32": "i32", "int64": "i64", "uint8": "u8", "uint16": "u16", "uint32": "u32",
          "uint64": "u64", "bool": "u1", "int1": "u1"}


def _annotation(p):
    a = p.annotation
    if a is inspect.Parameter.empty:
        return ""
    if isinstance(a, tl.dtype):
        return _CODES.get(a.name, a.name)
    name = a if isinstance(a, str) else getattr(a, "__name__", "")
    return "constexpr" if "constexpr" in name else ""


def _arg_type(v):
    """(Triton type, divisible-by-16) as Triton's launcher specialises a runtime argument:
    pointers by element type and 16-byte alignment, ints by width with 1 folded to a
    constexpr, floats as fp32, bools as u1."""
    if hasattr(v, "data_ptr"):
        return "*" + _CODES[v.dtype.name], v.data_ptr() % 16 == 0
    if isinstance(v, bool):
        return "u1", False
    if isinstance(v, int):
        if v == 1:
            return "constexpr", False
        ty = "i32" if -2**31 <= v < 2**31 else "i64" if -2**63 <= v < 2**63 else "u64"
        return ty, v % 16 == 0
    if isinstance(v, float):
        return "fp32", False
    if v is None:
        return "constexpr", False
    raise TypeError(f"launch recorder: unsupported kernel argument {v!r}")


def _constexpr(v):
    """A JSON form of a constexpr value that scripts/kernel_report.py turns back into it."""
    if isinstance(v, tl.dtype):
        return {"dtype": str(v)}
    fn = getattr(v, "fn", None)
    if fn is not None and callable(fn):
        return {"jit": f"{fn.__module__}:{fn.__qualname__}"}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return {"unsupported": repr(v)}


_PARAMS = {}  # kernel -> [(name, annotation, default)]


def describe(kernel, args, meta):
    """The record of one launch: kernel ``module:qualname``, ``signature`` (name -> Triton type or
    "constexpr"), ``constexprs``, ``divisible16`` (names of args Triton marks 16-divisible) and
    ``options`` (num_warps, ...)."""
    params = _PARAMS.get(kernel)
    if params is None:
        params = _PARAMS[kernel] = [(p.name, _annotation(p), p.default)
                                    for p in inspect.signature(kernel.fn).parameters.values()]
    values = dict(zip([p[0] for p in params], args))
    values.update({k: v for k, v in meta.items() if k not in _OPTIONS})
    signature, constexprs, divisible = {}, {}, []
    for name, ann, default in params:
        v = values.get(name, default)
        if ann == "constexpr":
            ty = "constexpr"
        elif ann.startswith(("fp", "bf")) or ann == "u1":
            ty = ann  # Triton never specialises annotated float/bool arguments
        else:
            ty, div = _arg_type(v)
            if ann:
                ty = ann  # an annotated int keeps its width (and is not folded when 1)
            if div and ty != "constexpr":
                divisible.append(name)
        signature[name] = ty
        if ty == "constexpr":
            constexprs[name] = _constexpr(v)
    return {"kernel": f"{kernel.fn.__module__}:{kernel.fn.__qualname__}", "signature": signature,
            "constexprs": constexprs, "divisible16": divisible,
            "options": {k: meta[k] for k in _OPTIONS if k in meta}}


def _recording(inner, path):
    largest = {}

    def launch_recorded(kernel, grid, *args, **meta):
        rec = describe(kernel, args, meta)
        key = json.dumps(rec)
        programs = math.prod(grid) if isinstance(grid, (tuple, list)) else 1
        # A line per new specialisation, and again when a bigger launch reaches it: the report
        # keeps the variant of the biggest launch as the representative of a family.
        if programs > largest.get(key, 0):
            largest[key] = programs
            with open(path, "a") as f:
                f.write(json.dumps(dict(rec, programs=programs)) + "\n")
        inner(kernel, grid, *args, **meta)

    return launch_recorded


launch = _launch_interpreted if INTERPRETED else _launch_gpu
if _RECORD_PATH is not None:
    launch = _recording(launch, _RECORD_PATH)
