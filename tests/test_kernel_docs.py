"""Readable kernels: every ``@triton.jit`` kernel that a launcher starts (``launch(NAME, grid, ...)``)
has a docstring that names its grid and its argument groups, in the manner of the Triton
tutorials (read with ``ast``; nothing is compiled)."""
import ast
import re
from pathlib import Path

KERNELS = Path(__file__).resolve().parent.parent / "kernels"


def _launched_kernels():
    for path in sorted(KERNELS.glob("*.py")):
        src = path.read_text()
        launched = set(re.findall(r"\blaunch\((\w+)", src))
        for node in ast.parse(src).body:
            if (isinstance(node, ast.FunctionDef) and node.name in launched
                    and any("jit" in ast.unparse(d) for d in node.decorator_list)):
                yield path.name, node


def test_launched_kernels_document_grid_and_argument_groups():
    kernels = list(_launched_kernels())
    assert len(kernels) > 50
    bad = []
    for file, node in kernels:
        doc = (ast.get_docstring(node) or "").lower()
        if "grid" not in doc or not any(word in doc for word in ("pointer", "ptr", "sizes", "strides")):
            bad.append(f"{file}:{node.lineno} {node.name}")
    assert not bad, "kernels without a grid / argument-group docstring:\n" + "\n".join(bad)
