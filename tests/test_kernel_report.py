"""The launch recorder (kernels/_launch.py) and the ahead-of-time kernel report
(scripts/kernel_report.py).  The full report is its own CI step; the tests that compile run it on
a tiny subset and are marked slow."""
import inspect
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import triton.language as tl

import tritorch as tt
from tests.conftest import DEVICES

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "kernel_report.py"
needs_cuda = pytest.mark.skipif("cuda" not in DEVICES, reason="no cuda device (GPU or interpreter)")


def _capture(monkeypatch, module, fn):
    """Run ``fn`` and return the (kernel, args, meta) of every launch made through ``module.launch``."""
    seen = []
    real = module.launch

    def spy(kernel, grid, *args, **meta):
        seen.append((kernel, args, meta))
        real(kernel, grid, *args, **meta)

    monkeypatch.setattr(module, "launch", spy)
    fn()
    return seen


@needs_cuda
def test_recorded_signature_is_tritons_specialisation(monkeypatch):
    """Each runtime argument's recorded type is what Triton's own launcher specialises it to
    (pointer dtype, i32/i64, 1 folded to a constexpr), annotated params keep their annotation."""
    native = pytest.importorskip("triton._C.libtriton").native_specialize_impl
    from triton.backends.compiler import BaseBackend
    from triton.runtime.jit import _normalize_ty
    from tritorch.kernels import _launch, linear, _elementwise

    a = tt.tensor(np.ones((4, 3)), dtype=tt.bfloat16, device="cuda")
    b = tt.tensor(np.ones((3, 5)), dtype=tt.bfloat16, device="cuda")
    c = tt.tensor(np.zeros((5, 3)), dtype=tt.bfloat16, device="cuda")
    launches = _capture(monkeypatch, linear, lambda: a @ b)
    launches += _capture(monkeypatch, _elementwise, lambda: _elementwise.assign(c._data, b.t()._data))
    kinds = {k.fn.__name__ for k, _, _ in launches}
    assert kinds == {"_fused_matmul_kernel", "_pointwise_kernel"}
    for kernel, args, meta in launches:
        rec = _launch.describe(kernel, args, meta)
        assert rec["kernel"] == f"{kernel.fn.__module__}:{kernel.fn.__qualname__}"
        names = list(rec["signature"])
        params = inspect.signature(kernel.fn).parameters
        for name, v in zip(kernel.arg_names, args):
            ty = rec["signature"][name]
            if isinstance(params[name].annotation, tl.dtype):
                assert ty == _normalize_ty(params[name].annotation)  # kept, even for 0 or 1
            else:
                want, attr = native(BaseBackend, v, False, True, True)
                assert ty == want, (name, v)
                assert (name in rec["divisible16"]) == (attr == "D"), name
                if ty == "constexpr":
                    assert rec["constexprs"][name] == v
        for name, v in meta.items():
            if name in ("num_warps", "num_stages"):
                assert rec["options"][name] == v
            else:
                assert rec["signature"][name] == "constexpr" and name in names
    mm = next(_launch.describe(k, a_, m) for k, a_, m in launches if k.fn.__name__ == "_fused_matmul_kernel")
    assert mm["constexprs"]["DOT"] is True and mm["constexprs"]["BM"] >= 16
    pw = next(_launch.describe(k, a_, m) for k, a_, m in launches if k.fn.__name__ == "_pointwise_kernel")
    assert pw["constexprs"]["FN"] == {"jit": "tritorch.kernels._elementwise:identity"}
    assert pw["constexprs"]["CT"] == {"dtype": "bf16"}
    assert pw["signature"]["out"] == "*bf16"


def _toy(x, n, m: tl.int64, f: tl.float64, FN: tl.constexpr, DT: tl.constexpr, BLOCK: tl.constexpr):
    """Stands in for a kernel's Python function: the recorder reads only its signature and name."""


class _Toy:
    fn = staticmethod(_toy)


def test_recorder_writes_each_specialisation_once_and_again_for_bigger_launches(tmp_path):
    from tritorch.kernels import _launch, _elementwise
    calls = []
    path = tmp_path / "launches.jsonl"
    rec = _launch._recording(lambda kernel, grid, *args, **meta: calls.append(grid), str(path))
    x = tt.tensor(np.zeros(4, np.float16), device="cuda")._data
    grids = [(4,), (4,), (2, 2), (3,), (8, 2)]
    for grid in grids:
        rec(_Toy(), grid, x, 2**31, 1, 0.5, FN=_elementwise.identity, DT=tl.int64, BLOCK=1024, num_warps=4)
    rec(_Toy(), (1,), x, 1, 1, 0.5, FN=_elementwise.identity, DT=tl.int64, BLOCK=1024, num_warps=4)
    lines = [json.loads(ln) for ln in path.read_text().splitlines()]
    assert calls == grids + [(1,)]                      # every launch still runs
    assert [ln["programs"] for ln in lines] == [4, 16, 1]
    first, last = lines[0], lines[2]
    assert first["kernel"] == f"{__name__}:_toy"
    assert first["signature"] == {"x": "*fp16", "n": "i64", "m": "i64", "f": "fp64", "FN": "constexpr",
                                  "DT": "constexpr", "BLOCK": "constexpr"}
    assert first["constexprs"] == {"FN": {"jit": "tritorch.kernels._elementwise:identity"}, "DT": {"dtype": "int64"},
                                   "BLOCK": 1024}
    assert first["options"] == {"num_warps": 4} and "x" in first["divisible16"]
    assert last["signature"]["n"] == "constexpr" and last["constexprs"]["n"] == 1   # Triton folds 1


def _report(*argv, timeout=600):
    env = {k: v for k, v in os.environ.items() if k not in ("TRITON_INTERPRET", "TRITORCH_RECORD_LAUNCHES")}
    return subprocess.run([sys.executable, str(SCRIPT), *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.slow
def test_report_on_a_small_subset(tmp_path):
    out = tmp_path / "report.md"
    records = tmp_path / "launches.jsonl"
    r = _report("--ops", "dot", "--no-extra", "--out", str(out), "--save-records", str(records))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    text = out.read_text()
    assert text == r.stdout.rstrip("\n") + "\n" or text.strip() in r.stdout
    assert "**failures: 0**" in text
    rows = [ln for ln in text.splitlines() if ln.startswith("| linear:_fused_matmul_kernel")]
    # 9 dtypes, each compiled for both targets; fp16/bf16 take tensor cores, fp64/ints never do.
    assert len({ln.split("|")[2] for ln in rows}) >= 9
    assert sum("sm_80" in ln for ln in rows) == sum("sm_90" in ln for ln in rows) == len(rows) // 2
    assert any("[fp16,fp16,fp16," in ln and "mma" in ln for ln in rows)
    assert not any("[fp64,fp64,fp64," in ln and "mma" in ln for ln in rows)
    assert all(json.loads(ln)["kernel"].endswith(":_fused_matmul_kernel") for ln in records.read_text().splitlines())


@pytest.mark.slow
def test_report_fails_when_a_specialisation_does_not_compile(tmp_path):
    """A recorded specialisation that cannot compile (here a 24-row tile: tl.arange needs powers
    of two) fails the report with the kernel named.  ``--all``: by default the two would be one
    family (they differ in an int constexpr only) and only the first would compile."""
    good = {"kernel": "tritorch.kernels.linear:_fused_matmul_kernel", "programs": 1, "divisible16": [],
            "options": {},
            "constexprs": {"ACT": {"jit": "tritorch.kernels._activation:identity"}, "HAS_BIAS": False,
                           "BIAS_ROW": False, "HAS_RES": False, "STORE_Z": False, "DOT": True, "TF32": False,
                           "EVEN_K": True, "I64": False, "BM": 16, "BN": 16, "BK": 16, "GROUP_M": 8},
            "signature": {"a": "*fp16", "b": "*fp16", "c": "*fp16", "bias": "*fp16", "res": "*fp16", "zo": "*fp16"}}
    from tritorch.kernels import linear
    for name in inspect.signature(linear._fused_matmul_kernel.fn).parameters:
        good["signature"].setdefault(name, "constexpr" if name in good["constexprs"] else "i32")
    bad = json.loads(json.dumps(good))
    bad["constexprs"]["BM"] = 24
    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    r = _report("--from-records", str(path), "--targets", "90", "--jobs", "1", "--all")
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr[-3000:]
    assert "**failures: 1**" in r.stdout
    assert "ERROR tritorch.kernels.linear:_fused_matmul_kernel sm_90" in r.stdout and "BM=24" in r.stdout


def test_bf16_dot_kernels_are_compiled_as_a_gpu_launches_them():
    """Interpreted recording widens bf16 dot operands to fp32 (`dot_types`); the report compiles
    the ET=bf16 variant a GPU launch passes, and leaves other records alone."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("kernel_report", SCRIPT)
    kr = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kr)
    rec = {"kernel": "k", "signature": {"X": "*bf16", "W": "*fp32", "ET": "constexpr"},
           "constexprs": {"DOT": True, "ET": {"dtype": "fp32"}, "BB": 16}}
    assert kr.as_on_gpu(rec)["constexprs"] == {"DOT": True, "ET": {"dtype": "bf16"}, "BB": 16}
    for other in (dict(rec, signature={"X": "*fp32"}), dict(rec, constexprs={"DOT": False, "ET": {"dtype": "fp32"}})):
        assert kr.as_on_gpu(other) is other
