"""Import cycles among the project's own modules (tritorch, kernels, cpu_fallback).

Reads every module with ``ast`` (nothing is imported), builds the graph of imports between
project modules and prints its strongly connected components of more than one module: each is
a cycle (or a knot of them).  ``--top-level`` counts only imports at module level (those that
run at import time); by default imports inside functions count too, since they are the usual
way a cycle is held together.  A package's ``__init__`` re-exports its submodules, so every
module that imports the package would sit in one cycle with it: package modules are left out
unless ``--with-packages`` is given.

    python scripts/import_cycles.py [--top-level] [--with-packages] [--quiet]

Exit status 0; the count is the last line (``cycles: N``).
"""
import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tritorch", "kernels", "cpu_fallback")


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules():
    found = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            found[module_name(path)] = path
    return found


def _resolve(mod, is_pkg, node):
    """Absolute module names an ``import``/``from ... import`` statement refers to."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    if node.level:
        base = base[:len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module
    return [prefix] + [f"{prefix}.{a.name}" for a in node.names]


def graph(top_level, with_packages=False):
    mods = modules()
    edges = {m: set() for m in mods}
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(), str(path))
        nodes = tree.body if top_level else ast.walk(tree)
        for node in nodes:
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for name in _resolve(mod, path.name == "__init__.py", node):
                # the deepest project module the name reaches
                while name and name not in mods:
                    name = name.rpartition(".")[0]
                if name and name != mod:
                    edges[mod].add(name)
    if not with_packages:
        packages = {m for m, path in mods.items() if path.name == "__init__.py"}
        edges = {m: out - packages for m, out in edges.items() if m not in packages}
    return edges


def strongly_connected(edges):
    """Tarjan's algorithm, iterative."""
    index, low, on_stack, stack, comps = {}, {}, set(), [], []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        comps.append(sorted(comp))
    return comps


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--top-level", action="store_true", help="only module-level imports")
    p.add_argument("--with-packages", action="store_true", help="keep package __init__ modules")
    p.add_argument("--quiet", action="store_true", help="print only the count")
    args = p.parse_args(argv)
    comps = strongly_connected(graph(args.top_level, args.with_packages))
    if not args.quiet:
        for c in sorted(comps, key=len, reverse=True):
            print(f"{len(c)} modules: {' '.join(c)}")
    print(f"cycles: {len(comps)} (modules in them: {sum(map(len, comps))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
