"""Where an op lives: ``python -m tritorch.ops OP [OP ...]``.

An op is declared once (its meta, in ``tritorch/_ops/``), implemented once per device (numpy in
``cpu_fallback/``, Triton in ``kernels/``) and differentiated by backward nodes beside its
meta — but family file names do not always pair (``cumsum``'s meta is in ``reduction_scan.py``,
its cpu impl in ``reduction_stats.py``, its kernel in ``scan.py``).  This prints, straight from
the registry, ``file:line`` of each piece:

    $ python -m tritorch.ops cumsum
    cumsum
      meta      tritorch/_ops/reduction_scan.py:40  _scan_meta
      cpu       cpu_fallback/reduction_stats.py:57  impl
      cuda      kernels/scan.py:139  cumsum
      caller    tritorch/_ops/reduction_scan.py:70  cumsum
      autograd  tritorch/_ops/reduction_scan.py:20  CumsumBackward0

``caller`` rows are the functions of the op layer that run the op; ``autograd`` rows the backward
node classes those functions record (found by reading their source: a name they use that is a
node class, or a table of them).  A view op has no impl: its cpu and cuda rows name the array
API's ``view``, which rebuilds the view from the meta's geometry.  With no argument it lists the
registered ops.  The cuda row
needs Triton importable; without it the row says so.
"""
import ast
import difflib
import functools
import importlib
import inspect
import os
import pkgutil
import sys

from . import _ops
from ._registry import OPS
from .autograd.graph import Node

__all__ = ["locate", "main"]

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@functools.lru_cache(maxsize=None)
def _class_lines(path):
    """``{class name: line}`` of the classes a source file defines (read once)."""
    with open(path) as f:
        tree = ast.parse(f.read())
    return {n.name: n.lineno for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}


def _where(obj):
    """``(path relative to the source root, first line)`` of a function or class.  A class made
    at run time (``type(name, bases, ...)``, as the families make their node classes) has no
    source of its own: its ``backward`` method's place is given instead."""
    obj = inspect.unwrap(obj)
    if inspect.isclass(obj):
        path = inspect.getsourcefile(obj)
        line = _class_lines(path).get(obj.__name__)
        if line is None:
            return _where(obj.backward)
    elif inspect.ismodule(obj):
        path, line = obj.__file__, 1
    else:
        path, line = obj.__code__.co_filename, obj.__code__.co_firstlineno
    return os.path.relpath(os.path.realpath(path), _ROOT), line


def _impl(device_module, name):
    try:
        table = importlib.import_module(device_module).IMPLS
    except Exception as e:  # the cuda backend needs Triton; report why instead of failing
        return f"unavailable ({type(e).__name__}: {e})"
    fn = table.get(name)
    return fn if fn is not None else "not implemented"


def _op_modules():
    for info in pkgutil.iter_modules(_ops.__path__):
        yield importlib.import_module(f"{_ops.__name__}.{info.name}")


def _node_classes(value):
    """Node subclasses that a module-level name refers to (a class, or a table of classes)."""
    if isinstance(value, type):
        return [value] if issubclass(value, Node) and value is not Node else []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, type) and issubclass(v, Node) and v is not Node]
    return []


def _closure(fn):
    return [c.cell_contents for c in (getattr(fn, "__closure__", None) or ()) if c.cell_contents is not None]


@functools.lru_cache(maxsize=None)
def _index():
    """Per op-layer module: its functions (AST) and the names each uses; read once."""
    index = []
    for mod in _op_modules():
        tree = ast.parse(inspect.getsource(mod))
        fns = [(fn, {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)})
               for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))]
        made = {}  # functions a factory made, with what their closures hold
        for value in vars(mod).values():
            if inspect.isfunction(value) and value.__closure__:
                made[id(value)] = (value, _closure(value))
        index.append((mod, fns, list(made.values())))
    return index


def _users(op):
    """``[(module, caller, [node classes])]``: the op layer's functions that use ``op``, by name
    (``caller`` an ``ast.FunctionDef``) or, for functions a factory made, through their closure
    (``caller`` the function)."""
    found = []
    seen = set()
    for mod, fns, made in _index():
        namespace = vars(mod)
        for value, cells in made:
            if id(value) not in seen and any(c is op for c in cells):
                seen.add(id(value))
                nodes = [cls for c in cells for cls in _node_classes(c)]
                found.append((mod, value, nodes))
        names = {n for n, v in namespace.items() if v is op}
        if not names:
            continue
        for fn, used in fns:
            if not used & names:
                continue
            nodes = []
            for n in sorted(used):
                for cls in _node_classes(namespace.get(n)):
                    if cls not in nodes:
                        nodes.append(cls)
            found.append((mod, fn, nodes))
    return found


def _where_view(device_module):
    try:
        return importlib.import_module(device_module + "._array").ARRAY.view
    except Exception as e:
        return f"unavailable ({type(e).__name__}: {e})"


def locate(name):
    """Rows ``(kind, "path:line", qualified name)`` for op ``name``: its meta, cpu and cuda impls,
    the op-layer functions that run it and the backward nodes they record.  Raises KeyError
    for an unknown op."""
    op = OPS[name]
    rows = []

    def add(kind, obj):
        if isinstance(obj, str):
            rows.append((kind, obj, ""))
        else:
            path, line = _where(obj)
            rows.append((kind, f"{path}:{line}", obj.__qualname__))

    add("meta", op.meta)
    for kind, module in (("cpu", "tritorch.cpu_fallback"), ("cuda", "tritorch.kernels")):
        # A view op has no impl: each device's array API rebuilds a view from the meta's geometry.
        add(kind, _where_view(module) if op.view else _impl(module, name))
    nodes = []
    for mod, fn, fn_nodes in _users(op):
        if isinstance(fn, ast.AST):
            path, _ = _where(mod)
            rows.append(("caller", f"{path}:{fn.lineno}", fn.name))
        else:
            add("caller", fn)
        nodes += [c for c in fn_nodes if c not in nodes]
    for cls in nodes:
        add("autograd", cls)
    return rows


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[0])
        print(f"{len(OPS)} registered ops: " + " ".join(sorted(OPS)))
        return 0
    status = 0
    for name in argv:
        if name not in OPS:
            close = difflib.get_close_matches(name, OPS, n=5)
            hint = f"; did you mean: {', '.join(close)}" if close else ""
            print(f"{name}: not a registered op{hint}", file=sys.stderr)
            status = 1
            continue
        print(name)
        for kind, where, what in locate(name):
            print(f"  {kind:<9} {where}  {what}".rstrip())
    return status


if __name__ == "__main__":
    sys.exit(main())
