"""Packaging and architecture checks: import hygiene, the design's rooms, the package mapping."""
import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_import_does_not_pull_triton_or_torch():
    code = ("import sys, tritorch as tt; tt.ones(2) + 1; "
            "bad = [m for m in ('torch', 'triton') if m in sys.modules]; "
            "assert not bad, bad")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_backends_install_under_tritorch():
    import tritorch.cpu_fallback as cf
    import tritorch.kernels as k
    assert pathlib.Path(cf.__file__).resolve().parent == ROOT / "cpu_fallback"
    assert pathlib.Path(k.__file__).resolve().parent == ROOT / "kernels"


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # relative import: resolve against the file's package
                pkg = path.relative_to(ROOT).parent.parts[: len(path.relative_to(ROOT).parent.parts) - node.level + 1]
                yield ".".join(pkg + ((node.module,) if node.module else ()))
            elif node.module:
                yield node.module


ROOMS = [  # folder, forbidden import prefixes
    ("cpu_fallback", ("tritorch", "triton", "torch")),
    ("kernels", ("tritorch.autograd", "tritorch.nn", "tritorch.optim", "tritorch._tensor", "torch")),
    ("tritorch/autograd", ("tritorch.kernels", "tritorch.cpu_fallback", "triton", "torch")),
    ("tritorch/_registry.py", ("triton", "torch", "numpy")),
]


@pytest.mark.parametrize("folder,forbidden", ROOMS, ids=[r[0] for r in ROOMS])
def test_rooms(folder, forbidden):
    bad = []
    files = [ROOT / folder] if folder.endswith(".py") else (ROOT / folder).rglob("*.py")
    for f in files:
        for mod in _imports(f):
            if any(mod == p or mod.startswith(p + ".") for p in forbidden):
                bad.append(f"{f.relative_to(ROOT)} imports {mod}")
    assert not bad, bad


def test_runtime_never_imports_torch():
    bad = []
    for folder in ("tritorch", "cpu_fallback", "kernels"):
        for f in (ROOT / folder).rglob("*.py"):
            for mod in _imports(f):
                if mod == "torch" or mod.startswith("torch."):
                    bad.append(str(f.relative_to(ROOT)))
    assert not bad, bad


def test_every_package_is_listed_in_pyproject():
    """A regular (non-editable) install ships only the packages pyproject lists."""
    import tomllib
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "tritorch").rglob("__init__.py")}
    found |= {"tritorch.kernels", "tritorch.cpu_fallback"}
    assert found == listed
