"""scripts/gpu_check: its dry run (every step, without a GPU), the no-GPU exit, the failure
summary, and the conftest options it relies on (--shard, --per-test-timeout)."""
import json
import os
import subprocess
import sys

import pytest


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import gpu_check  # noqa: E402


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env.update(extra)
    return env


def test_dry_run_runs_every_step(tmp_path):
    proc = subprocess.run(["bash", "scripts/gpu_check.sh", "--dry-run", "--out", str(tmp_path), "--budget", "400"],
                          cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = (tmp_path / "summary.md").read_text()
    for step in ("| env | ok |", "| smoke | ok |", "| tests | 12 passed, 0 failed", "| perf | ok (quick) |"):
        assert step in summary
    env = json.loads((tmp_path / "env.json").read_text())
    assert env["tritorch.cuda.mode"] == "interpreter" and env["triton"]
    assert "reloaded model test accuracy" in (tmp_path / "smoke.log").read_text()
    assert sorted(p.name for p in (tmp_path / "tests").iterdir()) == ["shard-0.log", "shard-1.log", "summary.md"]
    assert "| **all** | 12 | 0 | 0 | 0 | 0 |" in (tmp_path / "tests" / "summary.md").read_text()
    assert list((tmp_path / "perf").glob("*.md"))


def test_without_a_gpu_it_stops_with_the_reason(tmp_path):
    proc = subprocess.run([sys.executable, "scripts/gpu_check.py", "--out", str(tmp_path), "--budget", "120"],
                          cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "tritorch cannot use the GPU: no NVIDIA driver" in proc.stdout
    assert "| env | no usable GPU |" in (tmp_path / "summary.md").read_text()
    assert not (tmp_path / "smoke.log").exists()


def test_summary_groups_failures_by_family(tmp_path):
    log = tmp_path / "shard-0.log"
    log.write_text("\n".join([
        "tests/test_ops.py::test_forward_matches_reference[cuda-add-float32] PASSED [ 1%]",
        "tests/test_ops.py::test_forward_matches_reference[cuda-topk-float64] FAILED [ 2%]",
        "tests/test_ops.py::test_forward_matches_reference[cuda-topk-float16] FAILED [ 3%]",
        "tests/test_pointwise_cuda.py::test_strided[cuda] PASSED [ 4%]",
        "tests/test_softmax.py::test_long_rows[cuda-float16] ERROR [ 5%]",
        "tests/test_softmax.py::test_skip[cuda] SKIPPED (no bf16) [ 6%]",
        "tests/test_conv.py::test_conv2d[cuda-3]",
        "=========================== short test summary info ============================",
        "FAILED tests/test_ops.py::test_forward_matches_reference[cuda-topk-float64] - AssertionError: 3 != 4",
        "FAILED tests/test_ops.py::test_forward_matches_reference[cuda-topk-float16] - AssertionError: 7 != 9",
        "ERROR tests/test_softmax.py::test_long_rows[cuda-float16] - OutOfResources: out of resource: shared memory",
    ]) + "\n")
    counts, groups = gpu_check.summarize_tests([log])
    assert counts["ops:topk"] == {"FAILED": 2}
    assert counts["ops:add"] == {"PASSED": 1} and counts["pointwise"] == {"PASSED": 1}
    assert counts["softmax"] == {"ERROR": 1, "SKIPPED": 1}
    assert counts["conv"] == {"UNFINISHED": 1}
    assert groups[("ops:topk", "AssertionError: N != N")] == [
        "tests/test_ops.py::test_forward_matches_reference[cuda-topk-float64]",
        "tests/test_ops.py::test_forward_matches_reference[cuda-topk-float16]"]
    assert ("conv", "did not finish (hung or stopped by the budget)") in groups
    total = gpu_check.write_test_summary(counts, groups, tmp_path / "summary.md")
    assert (total["PASSED"], total["FAILED"], total["ERROR"], total["UNFINISHED"]) == (2, 2, 1, 1)
    text = (tmp_path / "summary.md").read_text()
    assert text.index("| ops:topk | 0 | 2 |") < text.index("| ops:add | 1 | 0 |")
    assert "- **softmax** (1): OutOfResources: out of resource: shared memory" in text


def _collect(*args):
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/test_promotion.py", *args],
                          cwd=ROOT, env=_env(TRITON_INTERPRET="0"), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:]
    return {line for line in proc.stdout.splitlines() if "::" in line}


@pytest.mark.slow  # three pytest collections in subprocesses; the dry run below exercises --shard too
def test_shards_partition_the_suite():
    every, first, second = _collect(), _collect("--shard=0/2"), _collect("--shard=1/2")
    assert len(every) > 10 and first and second
    assert first | second == every and not first & second


def test_per_test_timeout_fails_a_slow_test(tmp_path):
    (tmp_path / "test_slow.py").write_text("import time\n\ndef test_sleeps():\n    time.sleep(30)\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "--per-test-timeout=0.5",
                           str(tmp_path / "test_slow.py")], cwd=ROOT, env=_env(TRITON_INTERPRET="0"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "test exceeded the per-test timeout of 0.5 s" in proc.stdout


def test_bad_shard_is_a_usage_error():
    bad = "2/2"
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", f"--shard={bad}",
                           "tests/test_promotion.py"], cwd=ROOT, env=_env(TRITON_INTERPRET="0"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 4 and "expected K/N with 0 <= K < N" in proc.stderr
