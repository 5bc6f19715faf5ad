"""The GPU check: what to run first whenever an NVIDIA GPU is available (called by
scripts/gpu_check.sh, which installs the checkout first).

Steps, each bounded by what is left of the total budget, everything written under ``--out``:
  1. env    the card, driver, Triton, cuda-core, PyTorch, numpy versions and what
            `tritorch.cuda` reports (``env.json``).  Stops the check (exit 2) when tritorch
            cannot use the GPU, with the reason.
  2. smoke  the main job (scripts/quickstart.py) on cuda, a few epochs (``smoke.log``).
  3. tests  the test suite's cuda tests natively (interpreter off), in parallel shards with a
            per-test timeout (``tests/shard-K.log``); failures grouped by family in
            ``tests/summary.md``.
  4. perf   scripts/perf_tables.py --device cuda (``--quick`` when time is short) into ``perf/``.
``summary.md`` lists each step's status and time.  Exit status: 0 all steps passed, 1 a step
failed or ran out of time, 2 no usable GPU.

``--dry-run`` checks the steps on a machine without a GPU (CI does): the cuda device runs in
Triton's interpreter, the tests step runs two shards of a few cuda tests, and perf runs one
tiny suite.
"""
import argparse
import json
import os
import pathlib
import platform
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Seconds kept back from the budget for writing the summaries.
MARGIN = 15
STATUS = re.compile(r"^(tests/\S.*?) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b")
SHORT = re.compile(r"^(FAILED|ERROR) (tests/\S+?)(?: - (.*))?$")
STARTED = re.compile(r"^(tests/\S+::\S+)")


class Budget:
    """Seconds left until ``deadline`` (wall clock), less `MARGIN`."""

    def __init__(self, start, total):
        self.deadline = start + total - MARGIN

    def left(self):
        return max(0.0, self.deadline - time.time())


def run(cmd, log, timeout, env=None):
    """Run ``cmd`` with stdout+stderr to ``log``; on timeout interrupt it (SIGINT, so pytest still
    prints its summary), then kill it.  Returns (exit status or "timeout", seconds)."""
    t0 = time.time()
    with open(log, "w") as f:
        rc = _wait(_start(cmd, f, env), timeout)
    return rc, time.time() - t0


def _start(cmd, f, env):
    """``cmd`` started in its own process group, its output (after a ``$ cmd`` line) to file ``f``."""
    f.write("$ " + " ".join(map(str, cmd)) + "\n")
    f.flush()
    return subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, env=env, start_new_session=True)


def _wait(p, timeout):
    """The exit status of ``p``, or "timeout" (and ``p`` stopped) after ``timeout`` seconds."""
    try:
        return p.wait(timeout=max(1.0, timeout))
    except subprocess.TimeoutExpired:
        _stop(p)
        return "timeout"


def _stop(p):
    for sig, grace in ((signal.SIGINT, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            return
        try:
            p.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _version(module):
    try:
        m = __import__(module, fromlist=["__version__"])
        return getattr(m, "__version__", "installed")
    except Exception as e:  # noqa: BLE001 - reported, not fatal
        return f"missing ({type(e).__name__}: {e})"


def env_report(out, dry_run):
    """Versions and what tritorch sees; returns (report dict, usable)."""
    info = {"python": platform.python_version(), "machine": platform.machine()}
    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,compute_cap",
                              "--format=csv,noheader"], capture_output=True, text=True, timeout=30)
        info["nvidia-smi"] = smi.stdout.strip() or smi.stderr.strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        info["nvidia-smi"] = f"unavailable ({type(e).__name__})"
    for name, module in (("triton", "triton"), ("cuda-core", "cuda.core"), ("cuda-bindings", "cuda.bindings"),
                         ("numpy", "numpy"), ("ml_dtypes", "ml_dtypes"), ("torch", "torch"),
                         ("pytest", "pytest"), ("hypothesis", "hypothesis"), ("tabulate", "tabulate")):
        info[name] = _version(module)
    try:
        import torch
        info["torch.cuda"] = torch.cuda.is_available()
    except ImportError:
        pass
    import tritorch as tt
    from tritorch.cuda import _runtime
    info["tritorch.cuda.available"] = tt.cuda.is_available()
    info["tritorch.cuda.mode"] = _runtime.mode()
    info["tritorch.cuda.unavailable_reason"] = tt.cuda.unavailable_reason()
    v = _runtime.driver_version()
    info["driver CUDA version"] = f"{v // 1000}.{v % 1000 // 10}" if v else None
    if tt.cuda.is_available():
        p = tt.cuda.get_device_properties()
        info["device"] = {"name": p.name, "capability": f"{p.major}.{p.minor}", "total_memory": p.total_memory,
                          "multiprocessors": p.multi_processor_count}
        from triton.runtime import driver
        info["triton driver"] = type(driver.active).__name__ if _runtime.mode() == "gpu" else "interpreter"
    (out / "env.json").write_text(json.dumps(info, indent=1, default=str) + "\n")
    for k, v in info.items():
        print(f"  {k}: {v}")
    usable = info["tritorch.cuda.mode"] == ("interpreter" if dry_run else "gpu")
    return info, usable


def family(nodeid):
    """Which family a test belongs to: the op for the op table (tests/test_ops.py), else the test
    file without ``test_`` and ``_cuda``."""
    path, _, name = nodeid.partition("::")
    stem = pathlib.Path(path).stem.removeprefix("test_").removesuffix("_cuda")
    m = re.search(r"\[cuda-(.+?)-[a-z0-9]+\]$", name)
    return f"ops:{m.group(1)}" if stem == "ops" and m else stem


def _signature(message):
    """A failure message with numbers and quoted values blanked, to group alike failures."""
    head = (message or "").split("\n")[0][:160]
    return re.sub(r"\d+(\.\d+)?(e[-+]?\d+)?", "N", re.sub(r"'[^']*'", "'…'", head))


def summarize_tests(logs):
    """Per-family counts and failures grouped by (family, message signature) from pytest -v logs."""
    status, messages, unfinished = {}, {}, []
    for log in logs:
        last_started = None
        for line in pathlib.Path(log).read_text(errors="replace").splitlines():
            m = STATUS.match(line)
            if m:
                status[m.group(1)] = m.group(2) if status.get(m.group(1)) != "FAILED" else "FAILED"
                last_started = None
                continue
            m = SHORT.match(line)
            if m:
                status.setdefault(m.group(2), m.group(1))
                messages[m.group(2)] = m.group(3) or ""
                continue
            m = STARTED.match(line)
            if m and m.group(1) not in status:
                last_started = m.group(1)
        if last_started:
            unfinished.append(last_started)
    counts = defaultdict(Counter)
    groups = defaultdict(list)
    for nodeid, st in status.items():
        fam = family(nodeid)
        counts[fam][st] += 1
        if st in ("FAILED", "ERROR"):
            groups[(fam, _signature(messages.get(nodeid, "")))].append(nodeid)
    for nodeid in unfinished:
        counts[family(nodeid)]["UNFINISHED"] += 1
        groups[(family(nodeid), "did not finish (hung or stopped by the budget)")].append(nodeid)
    return counts, groups


def write_test_summary(counts, groups, path):
    cols = ("PASSED", "FAILED", "ERROR", "SKIPPED", "UNFINISHED")
    total = Counter()
    lines = ["# GPU check: tests", "", "| family | " + " | ".join(c.lower() for c in cols) + " |",
             "|---|" + "---:|" * len(cols)]
    for fam in sorted(counts, key=lambda f: (-(counts[f]["FAILED"] + counts[f]["ERROR"]), f)):
        c = counts[fam]
        total.update(c)
        lines.append(f"| {fam} | " + " | ".join(str(c[k]) for k in cols) + " |")
    lines.append("| **all** | " + " | ".join(str(total[k]) for k in cols) + " |")
    lines += ["", "## Failures by family and message", ""]
    for (fam, sig), ids in sorted(groups.items(), key=lambda kv: (kv[0][0], -len(kv[1]))):
        lines.append(f"- **{fam}** ({len(ids)}): {sig or '(no message)'}")
        lines += [f"  - `{i}`" for i in ids[:5]]
        if len(ids) > 5:
            lines.append(f"  - … and {len(ids) - 5} more")
    if not groups:
        lines.append("none")
    path.write_text("\n".join(lines) + "\n")
    return total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=float, default=540, help="total seconds for the whole check (default 540)")
    ap.add_argument("--start", type=float, default=None, help="when the budget started (epoch seconds; "
                    "gpu_check.sh passes its own start so the install counts)")
    ap.add_argument("--out", type=pathlib.Path, default=ROOT / "gpu_check_out")
    ap.add_argument("--jobs", type=int, default=max(1, min(8, (os.cpu_count() or 2) // 2)),
                    help="parallel test shards (Triton compiles kernels on the CPU)")
    ap.add_argument("--test-timeout", type=float, default=120, help="seconds per test")
    ap.add_argument("--perf-share", type=float, default=0.4, help="share of the time left after the smoke "
                    "test kept for the perf tables")
    ap.add_argument("--quick", action="store_true", help="perf tables with tiny sizes (always when time is short)")
    ap.add_argument("--dry-run", action="store_true", help="check the steps without a GPU (interpreter mode)")
    args = ap.parse_args(argv)

    budget = Budget(args.start or time.time(), args.budget)
    out = args.out
    (out / "tests").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if args.dry_run:
        env["TRITON_INTERPRET"] = "1"
        os.environ["TRITON_INTERPRET"] = "1"
    else:
        env.pop("TRITON_INTERPRET", None)
        os.environ.pop("TRITON_INTERPRET", None)
    env["PYTHONUNBUFFERED"] = "1"
    steps = []

    print("== env")
    t0 = time.time()
    info, usable = env_report(out, args.dry_run)
    steps.append(("env", usable, "ok" if usable else "no usable GPU", time.time() - t0))
    if not usable:
        print(f"gpu_check: tritorch cannot use the GPU: {info['tritorch.cuda.unavailable_reason']}")
        _write_summary(out, steps, info)
        return 2

    print("== smoke: the main job on cuda")
    epochs = ["--epochs", "1", "--subset", "32", "--workers", "0"] if args.dry_run else ["--epochs", "12"]
    rc, dt = run([sys.executable, "scripts/quickstart.py", "--device", "cuda", *epochs], out / "smoke.log",
                 min(240, budget.left() * 0.2), env)
    smoke_ok = rc == 0 and "reloaded model test accuracy" in (out / "smoke.log").read_text()
    steps.append(("smoke", smoke_ok, "ok" if smoke_ok else f"failed ({rc})", dt))
    print(f"  {steps[-1][2]} in {dt:.0f} s; tail:\n    " +
          "\n    ".join((out / "smoke.log").read_text().splitlines()[-4:]))

    perf_time = budget.left() * args.perf_share
    quick = args.quick or args.dry_run or perf_time < 300
    jobs = 2 if args.dry_run else args.jobs
    print(f"== tests: {jobs} shards, {args.test_timeout:g} s per test, {budget.left() - perf_time:.0f} s")
    select = ["tests/test_cuda_device.py", "-k", "queries or round_trip or repr"] if args.dry_run else \
        ["-m", "not slow", "-k", "cuda"]
    procs, logs = [], []
    t0 = time.time()
    ignore = [] if info["hypothesis"][0].isdigit() else \
        [f"--ignore={p.relative_to(ROOT)}" for p in sorted((ROOT / "tests").glob("test_*.py"))
         if "hypothesis" in p.read_text()]
    for k in range(jobs):
        log = out / "tests" / f"shard-{k}.log"
        logs.append(log)
        cmd = [sys.executable, "-m", "pytest", "-v", "--tb=short", "-rfE", f"--shard={k}/{jobs}",
               f"--per-test-timeout={args.test_timeout:g}", *ignore, *select]
        f = open(log, "w")
        procs.append((_start(cmd, f, env), f))
    test_deadline = time.time() + max(10.0, budget.left() - perf_time)
    rcs = []
    for p, f in procs:
        rcs.append(_wait(p, test_deadline - time.time()))
        f.close()
    counts, groups = summarize_tests(logs)
    total = write_test_summary(counts, groups, out / "tests" / "summary.md")
    bad = total["FAILED"] + total["ERROR"] + total["UNFINISHED"]
    ran_out = "timeout" in rcs
    tests_ok = not bad and not ran_out and total["PASSED"] > 0
    detail = (f"{total['PASSED']} passed, {total['FAILED']} failed, {total['ERROR']} errors, "
              f"{total['UNFINISHED']} unfinished, {total['SKIPPED']} skipped" +
              (", stopped by the budget" if ran_out else "") +
              (f"; hypothesis missing: {len(ignore)} files not run" if ignore else ""))
    steps.append(("tests", tests_ok, detail, time.time() - t0))
    print(f"  {detail}")

    print(f"== perf tables ({'quick, ' if quick else ''}{budget.left():.0f} s)")
    perf = [sys.executable, "scripts/perf_tables.py", "--device", "cuda", "--out", str(out / "perf")]
    if quick:
        perf.append("--quick")
    if args.dry_run:
        perf += ["--suite", "overhead", "--no-torch"]
    rc, dt = run(perf, out / "perf.log", budget.left(), env)
    steps.append(("perf", rc == 0, "ok" + (" (quick)" if quick else "") if rc == 0 else f"failed ({rc})", dt))
    print(f"  {steps[-1][2]} in {dt:.0f} s")
    _write_summary(out, steps, info)
    return 0 if all(ok for _, ok, _, _ in steps) else 1


def _write_summary(out, steps, info):
    lines = ["# GPU check", "", f"device: {info.get('device', info.get('nvidia-smi'))}",
             f"triton {info['triton']}, cuda-core {info['cuda-core']}, torch {info['torch']}, "
             f"driver CUDA {info['driver CUDA version']}", "", "| step | status | seconds |", "|---|---|---:|"]
    lines += [f"| {name} | {detail} | {dt:.0f} |" for name, _, detail, dt in steps]
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
