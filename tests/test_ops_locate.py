"""``python -m tritorch.ops OP``: each op's meta, impls, callers and backward nodes, as file:line."""
import os
import subprocess
import sys

import pytest

import tritorch  # noqa: F401  (registers every op)
from tritorch._registry import OPS
from tritorch.ops import locate, main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _rows(name):
    return {kind: [(where, what) for k, where, what in locate(name) if k == kind]
            for kind in ("meta", "cpu", "cuda", "caller", "autograd")}


def _line_exists(where):
    path, line = where.rsplit(":", 1)
    with open(os.path.join(ROOT, path)) as f:
        return 1 <= int(line) <= len(f.read().splitlines())


def test_every_op_has_a_meta_and_both_impls_that_point_at_real_lines():
    missing = []
    for name in OPS:
        rows = _rows(name)
        for kind in ("meta", "cpu", "cuda"):
            (where, _), = rows[kind]
            if ":" not in where or not _line_exists(where):
                missing.append((name, kind, where))
    assert not missing


@pytest.mark.parametrize("name, meta, cpu, cuda, node", [
    ("cumsum", "tritorch/_ops/reduction_scan.py", "cpu_fallback/reduction_stats.py", "kernels/scan.py",
     "CumsumBackward0"),
    ("add", "tritorch/_ops/pointwise_meta.py", "cpu_fallback/pointwise.py", "kernels/pointwise.py", "AddBackward0"),
    ("sigmoid", "tritorch/_ops/pointwise_meta.py", "cpu_fallback/pointwise_unary.py", "kernels/pointwise_unary.py",
     "SigmoidBackward0"),
    ("fused_matmul", "tritorch/_ops/linear.py", "cpu_fallback/linear.py", "kernels/linear.py",
     "FusedMatmulBackward0"),
])
def test_known_ops_are_found_across_unpaired_file_names(name, meta, cpu, cuda, node):
    rows = _rows(name)
    assert rows["meta"][0][0].startswith(meta + ":")
    assert rows["cpu"][0][0].startswith(cpu + ":")
    assert rows["cuda"][0][0].startswith(cuda + ":")
    assert rows["caller"]
    assert node in [what for _, what in rows["autograd"]]


def test_unknown_op_is_a_clear_error_with_suggestions(capsys):
    assert main(["adds"]) == 1
    assert "adds: not a registered op; did you mean: add" in capsys.readouterr().err
    with pytest.raises(KeyError):
        locate("adds")


def test_module_runs_from_the_command_line():
    r = subprocess.run([sys.executable, "-m", "tritorch.ops", "mul"], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, TRITON_INTERPRET="1"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "mul"
    assert any(line.split()[0] == "cuda" and "kernels/pointwise.py:" in line for line in lines[1:])
