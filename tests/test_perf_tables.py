"""`scripts/perf_tables.py --quick` runs every suite end to end (cpu against PyTorch and numpy;
cuda under the interpreter, correctness only) and writes the markdown and JSON tables."""
import importlib.util
import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("perf_tables", ROOT / "scripts" / "perf_tables.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _families():
    return sorted(p.stem for p in (ROOT / "perf" / "ops").glob("*.py") if p.stem != "__init__")


# The cuda run (every op case in Triton's interpreter, about 70 s) is marked slow, outside the
# default run; on a real GPU scripts/gpu_check.sh runs the full tables.
@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.slow)])
def test_quick_run_writes_tables(device, tmp_path):
    suite = "all" if device == "cpu" else "ops"
    rc = _script().main(["--device", device, "--quick", "--suite", suite, "--out", str(tmp_path)])
    name = "cpu" if device == "cpu" else "cuda-interpreter"
    data = json.loads((tmp_path / f"{name}.json").read_text())
    failed = [(r["family"], r["name"], r.get("tritorch error")) for s in ("ops", "models")
              for r in data["results"].get(s, []) if r.get("tritorch error")]
    assert failed == [] and rc == 0
    rows = data["results"]["ops"]
    assert {r["family"] for r in rows} >= set(_families())
    assert all(r["tritorch"] > 0 for r in rows)
    if device == "cpu":
        assert all(r["torch"] > 0 for r in rows)
        assert data["results"]["models"] and data["results"]["overhead"]
        assert any("numpy" in r for r in rows)
    md = (tmp_path / f"{name}.md").read_text()
    assert "## Measured peaks" in md and "tt/PyTorch time" in md
    assert data["environment"]["threads"]["OMP_NUM_THREADS"] == "1"


def test_bad_device_argument():
    with pytest.raises(SystemExit):
        _script().main(["--device", "tpu"])
