"""Measure tritorch against PyTorch (same device, same run) and numpy (cpu), and write the tables.

    python scripts/perf_tables.py --device cpu            # all suites -> perf/results/cpu.md (+ .json, .png)
    python scripts/perf_tables.py --device cuda --suite ops --quick

Suites: ``ops`` (every family in `perf/ops/`), ``models`` (training steps, `perf/models.py`),
``overhead`` (host time per op on tiny tensors, `perf/overhead.py`).  Before the suites the
script measures the device's peaks — copy bandwidth and a large matmul's TFLOP/s — and reports
each kernel as a fraction of them.  BLAS/OpenMP threads are pinned to 1 for every framework
(set before any import), because these machines stall badly with more.

Timing (`perf/timing.py`): warm-up calls first (compilation and autotuning stay outside the
timed region), then the median of many repetitions; cuda uses CUDA events through cuda.core.
Inputs are rotated among several copies so that the working set exceeds the last-level cache
and steady-state numbers are DRAM numbers.  Data are seeded standard normals, never zeros.
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import pathlib  # noqa: E402
import pkgutil  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import tabulate  # noqa: E402

import tritorch as tt  # noqa: E402
from perf import models as perf_models, overhead as perf_overhead  # noqa: E402
from perf import ops as perf_ops  # noqa: E402
from perf.timing import Timer  # noqa: E402

ROTATE_BYTES = 64 << 20  # above an H100's 50 MB L2 and a typical cpu's last-level cache


def _torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def device_name(device):
    """'cpu', the card's name for cuda, or 'cuda-interpreter' when Triton's interpreter stands in."""
    if device == "cpu":
        return "cpu"
    if tt.cuda.is_interpreted():
        return "cuda-interpreter"
    return re.sub(r"[^a-z0-9]+", "-", tt.cuda.get_device_name(0).lower()).strip("-")


def _sync(lib, device):
    if device == "cuda":
        return lib.cuda.synchronize
    return None


class Bench:
    """Times steps for one framework on one device."""

    def __init__(self, lib, device, quick):
        self.lib, self.device = lib, device
        self.timer = Timer(device, _sync(lib, device))
        self.kw = dict(min_time=0.002, repeat=3, warmup=1) if quick else dict(min_time=0.05, repeat=11, warmup=3)

    def time_case(self, case):
        lib = self.lib
        sets = [case.setup(lib, self.device, case.dtype)]
        if case.bytes and not case.flops:
            want = min(8, math.ceil(ROTATE_BYTES / case.bytes))
            sets += [case.setup(lib, self.device, case.dtype) for _ in range(want - 1)]
        it = [0]

        def call():
            i = it[0]
            it[0] = i + 1
            case.step(lib, sets[i % len(sets)])
        return self.timer.measure(call, **self.kw)


def measure_peaks(device, torch, quick):
    """Copy bandwidth (GB/s, read + write) and matmul TFLOP/s per dtype, by the fastest framework
    available on the device: numpy on cpu, PyTorch (else tritorch) on cuda."""
    n = (1 << 20) if quick else (1 << 26)
    mm = 256 if quick else (8192 if device == "cuda" else 2048)
    peaks = {}
    if device == "cpu":
        src, dst = np.ones(n, np.float32) * 1.5, np.empty(n, np.float32)
        t = Timer("cpu").measure(lambda: np.copyto(dst, src), min_time=0.01 if quick else 0.1)
        peaks["copy GB/s"] = 2 * 4 * n / t / 1e9
        a = np.random.default_rng(0).standard_normal((mm, mm), dtype=np.float32)
        t = Timer("cpu").measure(lambda: a @ a, min_time=0.01 if quick else 0.2, repeat=3 if quick else 5)
        peaks["matmul TFLOP/s float32"] = 2 * mm ** 3 / t / 1e12
        peaks["by"] = f"numpy {np.__version__}"
        return peaks
    lib = torch if torch is not None and torch.cuda.is_available() else tt
    x = lib.ones(n, device="cuda") * 1.5
    t = Timer("cuda", lib.cuda.synchronize).measure(lambda: x.clone(), min_time=0.01 if quick else 0.1)
    peaks["copy GB/s"] = 2 * 4 * n / t / 1e9
    for dt in ("float32", "bfloat16", "float16"):
        a = (lib.ones(mm, mm, device="cuda") * 0.5).to(getattr(lib, dt))
        t = Timer("cuda", lib.cuda.synchronize).measure(lambda: a @ a, min_time=0.01 if quick else 0.2,
                                                        repeat=3 if quick else 5)
        peaks[f"matmul TFLOP/s {dt}"] = 2 * mm ** 3 / t / 1e12
    peaks["by"] = "PyTorch (cuBLAS, copy kernel)" if lib is torch else "tritorch (no PyTorch with cuda here)"
    return peaks


def load_op_cases(device, quick, families=None):
    out = []
    for mod in pkgutil.iter_modules(perf_ops.__path__):
        if families and mod.name not in families:
            continue
        out.extend(importlib.import_module(f"perf.ops.{mod.name}").cases(device, quick))
    return out


def _fmt_ms(t):
    return "" if t is None else f"{t * 1e3:.3f}"


def _rate(case, t, peaks):
    """(achieved, % of peak) strings for a step of ``t`` seconds."""
    if t is None:
        return "", ""
    if case.flops:
        tf = case.flops / t / 1e12
        peak = peaks.get(f"matmul TFLOP/s {case.dtype}") or peaks.get("matmul TFLOP/s float32")
        return f"{tf:.2f} TFLOP/s", f"{100 * tf / peak:.0f}%" if peak else ""
    if case.bytes:
        gb = case.bytes / t / 1e9
        return f"{gb:.1f} GB/s", f"{100 * gb / peaks['copy GB/s']:.0f}%"
    return "", ""


def run_cases(cases, device, benches, quick, peaks, log):
    """Times every case with every framework; a failure is recorded, not raised."""
    rows = []
    for case in cases:
        rec = {"family": case.family, "name": case.name, "shape": case.shape, "dtype": case.dtype,
               "flops": case.flops, "bytes": case.bytes}
        for fw, bench in benches.items():
            try:
                rec[fw] = bench.time_case(case)
            except Exception as e:  # noqa: BLE001 - a case that fails is reported in the table
                rec[fw] = None
                rec[f"{fw} error"] = f"{type(e).__name__}: {e}"[:200]
        if device == "cpu" and case.numpy is not None:
            fn = case.numpy(case.dtype)
            rec["numpy"] = Timer("cpu").measure(fn, **benches["tritorch"].kw)
        log(f"  {case.family:14s} {case.name:32s} {case.shape:22s} {case.dtype:9s} "
            + " ".join(f"{k}={_fmt_ms(rec.get(k))}ms" for k in ("tritorch", "torch", "numpy") if rec.get(k))
            + "".join(f" [{k}]" for k in rec if k.endswith(" error")))
        rows.append(rec)
    return rows


def _ratio(a, b):
    return f"{a / b:.2f}" if a and b else ""


def table(rows, peaks, title_speed):
    out = []
    for r in rows:
        ach_tt, pct_tt = _rate(_Shim(r), r.get("tritorch"), peaks)
        ach_torch, pct_torch = _rate(_Shim(r), r.get("torch"), peaks)
        err = r.get("tritorch error", "")
        out.append([r["family"], r["name"], r["shape"], r["dtype"], _fmt_ms(r.get("tritorch")) or f"failed: {err}",
                    _fmt_ms(r.get("torch")), _fmt_ms(r.get("numpy")), _ratio(r.get("tritorch"), r.get("torch")),
                    _ratio(r.get("tritorch"), r.get("numpy")), ach_tt, pct_tt, ach_torch, pct_torch])
    return tabulate.tabulate(out, headers=["family", "op", "shape", "dtype", "tritorch ms", "PyTorch ms", "numpy ms",
                                           "tt/PyTorch time", "tt/numpy time", "tritorch rate", "% peak",
                                           "PyTorch rate", "% peak"], tablefmt="github")


class _Shim:
    def __init__(self, r):
        self.flops, self.bytes, self.dtype = r["flops"], r["bytes"], r["dtype"]


def run_overhead(device, torch, quick):
    """Host time per call (us) of tiny ops, tritorch vs PyTorch, on ``device``."""
    if torch is None:
        return []
    tt.set_default_device(device)
    torch.set_default_device(device)
    try:
        rows = []
        for name, f_tt, f_torch in perf_overhead.cases(tt, torch):
            a, b = perf_overhead.time_pair_us(f_tt, f_torch, min_time=0.005 if quick else 0.05,
                                              repeat=3 if quick else 15, warmup=2 if quick else 100)
            rows.append({"name": name, "tritorch us": a, "torch us": b})
        return rows
    finally:
        tt.set_default_device("cpu")
        torch.set_default_device("cpu")


def environment(device, torch):
    env = {"python": platform.python_version(), "numpy": np.__version__, "tritorch": tt.__version__,
           "torch": torch.__version__ if torch else None, "machine": platform.machine(),
           "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
           "threads": {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                       "MKL_NUM_THREADS")},
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if device == "cuda":
        import triton
        env["triton"] = triton.__version__
        env["card"] = tt.cuda.get_device_name(0)
        env["interpreted"] = tt.cuda.is_interpreted()
    return env


def plot(path, rows, peaks, device):
    """Roofline-style bars: each kernel's achieved rate as a fraction of the measured peak,
    tritorch and PyTorch side by side.  Skipped when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    items = []
    for r in rows:
        label = f"{r['name']} {r['shape']} {r['dtype']}"
        fr = []
        for fw in ("tritorch", "torch"):
            _, pct = _rate(_Shim(r), r.get(fw), peaks)
            fr.append(float(pct[:-1]) if pct else 0.0)
        if any(fr):
            items.append((label, *fr))
    if not items:
        return False
    h = max(3.0, 0.22 * len(items) + 1.5)
    fig, ax = plt.subplots(figsize=(10, h))
    y = np.arange(len(items))
    ax.barh(y - 0.2, [i[1] for i in items], 0.4, label="tritorch")
    ax.barh(y + 0.2, [i[2] for i in items], 0.4, label="PyTorch")
    ax.axvline(100, color="k", lw=0.8)
    ax.set_yticks(y, [i[0] for i in items], fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel("% of measured peak (copy bandwidth for memory-bound ops, matmul TFLOP/s for GEMM-bound)")
    ax.set_title(f"tritorch vs PyTorch on {device}: achieved fraction of measured peak")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_markdown(path, name, env, peaks, results, quick):
    lines = [f"# tritorch performance: {name}", ""]
    lines.append(f"Generated by `python scripts/perf_tables.py --device {env['device']}` on {env['date']}"
                 + (" (`--quick`: sizes that only check the cases run; not a measurement)" if quick else "") + ".")
    lines.append("")
    lines.append(f"Environment: Python {env['python']}, numpy {env['numpy']}, PyTorch {env['torch']}, tritorch "
                 f"{env['tritorch']}" + (f", Triton {env['triton']}, card {env['card']}" if "card" in env else "")
                 + f"; {env['processor']}, {env['cpus']} cpus. OMP_NUM_THREADS=OPENBLAS_NUM_THREADS="
                 "MKL_NUM_THREADS=1 and torch.set_num_threads(1) for every framework.")
    lines.append("")
    lines.append("Times are medians of many repetitions after warm-up, inputs rotated across copies larger "
                 "than the last-level cache; `tt/PyTorch time` < 1 means tritorch is faster. Rates are per "
                 "step: GB/s of minimal DRAM traffic or TFLOP/s, as a % of the peaks measured below.")
    lines.append("")
    lines.append("## Measured peaks")
    lines.append("")
    lines.append(tabulate.tabulate([[k, f"{v:.2f}" if isinstance(v, float) else v] for k, v in peaks.items()],
                                   headers=["peak", "value"], tablefmt="github"))
    for suite in ("ops", "models"):
        if results.get(suite):
            lines += ["", f"## {suite}", "", table(results[suite], peaks, suite)]
    if results.get("overhead"):
        rows = [[r["name"], f"{r['tritorch us']:.2f}", f"{r['torch us']:.2f}",
                 _ratio(r["tritorch us"], r["torch us"])] for r in results["overhead"]]
        lines += ["", "## overhead (host time per call on tiny tensors)", "",
                  tabulate.tabulate(rows, headers=["case", "tritorch us", "PyTorch us", "tt/PyTorch time"],
                                    tablefmt="github")]
    failed = [r for s in ("ops", "models") for r in results.get(s, []) if r.get("tritorch error")]
    if failed:
        lines += ["", "## failures", ""]
        lines += [f"- {r['family']} {r['name']} {r['shape']} {r['dtype']}: {r['tritorch error']}" for r in failed]
    path.write_text("\n".join(lines) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--suite", choices=("ops", "models", "overhead", "all"), default="all")
    ap.add_argument("--quick", action="store_true", help="tiny sizes and few repetitions (checks the cases run)")
    ap.add_argument("--families", nargs="*", help="only these op families (perf/ops/<family>.py)")
    ap.add_argument("--out", type=pathlib.Path, default=ROOT / "perf" / "results")
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch baseline")
    args = ap.parse_args(argv)

    torch = None if args.no_torch else _torch()
    if args.device == "cuda" and not tt.cuda.is_available():
        sys.exit("perf_tables: --device cuda needs a GPU with cuda-core, or TRITON_INTERPRET=1")
    if torch is not None and args.device == "cuda" and not torch.cuda.is_available():
        torch_bench = None
    else:
        torch_bench = torch
    name = device_name(args.device)
    env = dict(environment(args.device, torch), device=args.device)
    log = print
    log(f"perf_tables: {name}, suite={args.suite}{' (quick)' if args.quick else ''}")
    peaks = measure_peaks(args.device, torch_bench, args.quick)
    log("  peaks: " + ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in peaks.items()))
    benches = {"tritorch": Bench(tt, args.device, args.quick)}
    if torch_bench is not None:
        benches["torch"] = Bench(torch_bench, args.device, args.quick)
    results = {}
    if args.suite in ("ops", "all"):
        results["ops"] = run_cases(load_op_cases(args.device, args.quick, args.families), args.device, benches,
                                   args.quick, peaks, log)
    if args.suite in ("models", "all"):
        results["models"] = run_cases(perf_models.cases(args.device, args.quick), args.device, benches,
                                      args.quick, peaks, log)
    if args.suite in ("overhead", "all"):
        results["overhead"] = run_overhead(args.device, torch_bench, args.quick)
    args.out.mkdir(parents=True, exist_ok=True)
    md, js, png = (args.out / f"{name}{ext}" for ext in (".md", ".json", ".png"))
    write_markdown(md, name, env, peaks, results, args.quick)
    js.write_text(json.dumps({"environment": env, "peaks": peaks, "results": results, "quick": args.quick},
                             indent=1, default=str) + "\n")
    plotted = plot(png, results.get("ops", []) + results.get("models", []), peaks, name)
    log(f"wrote {md}, {js}" + (f", {png}" if plotted else " (no plot: matplotlib not installed)"))
    failures = [r for s in ("ops", "models") for r in results.get(s, []) if r.get("tritorch error")]
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
