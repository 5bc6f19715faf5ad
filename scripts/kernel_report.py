"""Compile every Triton kernel tritorch launches, ahead of time, for sm_80 and sm_90, and report
registers, shared memory, spills and tensor-core instructions per specialisation.

    python scripts/kernel_report.py [--out perf/results/kernel-report.md] [--jobs 2]
                                    [--ops matmul,add] [--no-extra] [--targets 80,90]

No GPU is needed (Triton compiles for a named target; ptxas ships with Triton).

1. Record.  The op table (`tests.opinfo.all_opinfos()`: every entry's callable on its cuda samples,
   for each dtype) plus a few larger shapes that reach GPU-only tile configurations run in
   Triton's interpreter, split over ``--jobs`` subprocesses, with the launch recorder on
   (``TRITORCH_RECORD_LAUNCHES``, see kernels/_launch.py).  Launchers size blocks for the GPU in
   a recording run, so each launch records the exact specialisation a GPU would compile: the
   Triton signature (pointer dtypes, int widths, ints equal to 1 folded into constexprs), the
   16-divisibility hints, the constexprs and num_warps/num_stages.  Kernels run for real, so
   later ops see real results.  Ops without a cuda impl yet are skipped and listed, and so are
   samples over `SAMPLE_CAP` elements (the random ops' statistics samples: the same
   specialisations as the small ones, at ~100 interpreted programs per launch).
2. Compile.  Launches are grouped into families — same kernel, non-int constexprs (dtypes, jit
   functions, bools), launch options and, for kernels without a dtype constexpr, pointer dtypes
   (see `_family`) — and each family's representative, the variant recorded from its biggest
   launch (the closest to a GPU workload), is compiled for every target in ``--jobs`` worker
   processes (``--all`` compiles every exact specialisation instead).  A fresh Triton cache
   makes ptxas run and report: registers and spills come from its ``-v`` log (cuobjdump on the
   cubin where the log is missing), shared memory from Triton's metadata, mma / wgmma from the
   PTX.
3. Report a table (one row per specialisation and target), the kernels defined in kernels/*.py
   that no launch reached (helpers called from other kernels are compiled inside them and are
   not listed), and exit 1 if any specialisation failed to compile or the workload crashed.
"""
import argparse
import collections
import concurrent.futures
import contextlib
import importlib
import io
import json
import multiprocessing
import os
import pathlib
import pkgutil
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
MISSING_IMPL = re.compile(r"(\S+): no implementation for device type 'cuda'")
# Op-table samples bigger than this are there for statistics (random ops' moments); they launch
# the same specialisations as the small samples at a hundred interpreted programs per launch.
SAMPLE_CAP = 1 << 14


# --- 1. the recording workload (runs in interpreter subprocesses) ------------------------------

def _first_line(e):
    lines = str(e).strip().splitlines()
    return f"{type(e).__name__}: {lines[0][:200] if lines else ''}"


def _largest(x):
    if hasattr(x, "numel"):
        return x.numel()
    if isinstance(x, (list, tuple)):
        return max(map(_largest, x), default=0)
    if isinstance(x, dict):
        return _largest(list(x.values()))
    return 0


def _run_op_table(names, shard, nshards):
    from tests.opinfo import all_opinfos
    infos = [i for i in all_opinfos() if not names or i.name in names][shard::nshards]
    missing, errors, skipped = set(), {}, 0

    def note(where, e):
        m = MISSING_IMPL.search(str(e)) if isinstance(e, NotImplementedError) else None
        if m:
            missing.add(m.group(1))
        else:  # another family's kernel bug must not hide the rest: one line per entry and dtype
            errors.setdefault(where, f"{where}: {_first_line(e)}")

    for info in infos:
        for dt in info.dtypes:
            where = f"{info.name}[{dt.name}]"
            try:
                samples = info.samples(dt, "cuda")
            except Exception as e:
                note(where, e)
                continue
            for s in samples:
                if _largest([s.args, s.kwargs]) > SAMPLE_CAP:
                    skipped += 1
                    continue
                try:
                    info.fn(*s.args, **s.kwargs)
                except Exception as e:
                    note(where, e)
    return len(infos), skipped, missing, list(errors.values())


def _run_extra():
    """Shapes large enough for the GPU-only tile configurations (the op table's are tiny)."""
    import numpy as np
    import tritorch as tt
    from tritorch.backends import _precision
    from tritorch.kernels import linear
    rng = np.random.default_rng(0)

    def mm(sa, sb, dt, transpose_a=False):
        a = tt.tensor(rng.uniform(-1, 1, sa), dtype=dt, device="cuda")
        b = tt.tensor(rng.uniform(-1, 1, sb), dtype=dt, device="cuda")
        (a.transpose(-1, -2) if transpose_a else a) @ b

    for dt in (tt.float16, tt.bfloat16, tt.float32):
        mm((300, 64), (64, 300), dt)                    # 128x128 tiles
        mm((64, 96), (96, 64), dt)                      # 64x64 tiles
        mm((4, 96, 64), (4, 96, 64), dt, transpose_a=True)  # batched, A read transposed
    prev = _precision.get_float32_matmul_precision()
    _precision.set_float32_matmul_precision("high")
    try:
        mm((300, 64), (64, 300), tt.float32)
        mm((64, 96), (96, 64), tt.float32)
    finally:
        _precision.set_float32_matmul_precision(prev)
    for dt in (tt.float64, tt.int64, tt.int32, tt.int8):
        mm((64, 40), (40, 64), dt)                      # 32x32 CUDA-core tiles
    # int64 offsets are taken for operands spanning >= 2**31 elements; force them on small ones.
    choose = linear.needs_i64
    linear.needs_i64 = lambda *views, counts=(): True
    try:
        mm((300, 64), (64, 300), tt.float16)
        mm((64, 40), (40, 64), tt.float64)
    finally:
        linear.needs_i64 = choose
    # Long rows reach the split reductions, multi-pass scans and the tiled merge sort, which the
    # op table's tiny samples never do.
    x = tt.tensor(rng.uniform(-1, 1, (2, 5000)), dtype=tt.float32, device="cuda")
    for f in (lambda: x.sum(1), lambda: x.sum(), lambda: x.argmax(1), lambda: x.var(1),
              lambda: x.logsumexp(1), lambda: x.norm(3, dim=1), lambda: x.cumsum(1), lambda: x.cumprod(1),
              lambda: tt.sort(x, 1), lambda: tt.median(x[0]), lambda: tt.topk(x[:, :100], 5)):
        f()
    # Branches the op table's samples do not take.
    y = x[:, :8]
    b = tt.tensor([True, False], device="cuda")
    for f in (lambda: tt.sub(y, y, alpha=2), lambda: tt.round(y, decimals=-1), lambda: b ** True,
              lambda: y.index_put_((), tt.ones(8, device="cuda"), accumulate=True)):
        f()
    # Fused backward kernels run only under autograd.
    F = tt.nn.functional
    z = tt.tensor(rng.uniform(-1, 1, (4, 8)), dtype=tt.float32, device="cuda", requires_grad=True)
    w = tt.ones(8, device="cuda", requires_grad=True)
    (F.layer_norm(z, (8,), w, tt.zeros(8, device="cuda", requires_grad=True)).sum()
     + F.rms_norm(z, (8,), w).sum() + F.softmax(z, -1).sum() + F.log_softmax(z, 0).sum()).backward()
    x4 = tt.tensor(rng.uniform(-1, 1, (4, 6, 3, 5)), dtype=tt.float32, device="cuda", requires_grad=True)
    w6 = tt.ones(6, device="cuda", requires_grad=True)
    rm, rv = tt.zeros(6, device="cuda"), tt.ones(6, device="cuda")
    (F.batch_norm(x4, rm, rv, w6, training=True).sum() + F.batch_norm(x4, rm, rv, w6).sum()
     + F.group_norm(x4, 3, w6).sum()).backward()
    emb = tt.ones(50, 16, device="cuda", requires_grad=True)
    idx = tt.tensor([[1, 3], [3, 7]], device="cuda")
    F.embedding(idx, emb, padding_idx=1, scale_grad_by_freq=True).sum().backward()
    # The fused GEMM's large 16-bit tiles (wgmma on sm_90) with the full epilogue, forward and backward.
    a = tt.tensor(rng.uniform(-1, 1, (512, 512)), dtype=tt.float16, device="cuda", requires_grad=True)
    wt = tt.tensor(rng.uniform(-1, 1, (512, 512)), dtype=tt.float16, device="cuda", requires_grad=True)
    bias = tt.zeros(512, dtype=tt.float16, device="cuda")
    F.fused_linear(a, wt, bias, activation="gelu", residual=a).sum().backward()
    # Flash attention's backward kernels and in-kernel dropout.
    qa = tt.tensor(rng.standard_normal((1, 2, 256, 64)), dtype=tt.float16, device="cuda", requires_grad=True)
    F.scaled_dot_product_attention(qa, qa, qa, is_causal=True, dropout_p=0.1).sum().backward()
    keep = tt.ones(256, 256, dtype=tt.bool, device="cuda")
    F.scaled_dot_product_attention(qa, qa, qa, attn_mask=keep).sum().backward()


def workload_main(args):
    names = set(args.ops.split(",")) if args.ops else None
    n, skipped, missing, errors = _run_op_table(names, args.shard, args.nshards)
    if args.extra and args.shard == 0:
        try:
            _run_extra()
        except Exception as e:
            errors.append(f"extra shapes: {_first_line(e)}")
    print("WORKLOAD " + json.dumps({"infos": n, "skipped": skipped, "missing": sorted(missing), "errors": errors}))


def record(args, tmp):
    """Run the workload shards in parallel, each recording to its own file in ``tmp``.

    Returns (records, workload summary {"infos", "skipped"}, ops without a cuda impl, workload errors,
    crashed shards)."""
    env = dict(os.environ, TRITON_INTERPRET="1",
               PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--workload", "--nshards", str(args.jobs)]
    if args.ops:
        cmd += ["--ops", args.ops]
    if not args.extra:
        cmd += ["--no-extra"]
    paths = [pathlib.Path(tmp) / f"launches-{i}.jsonl" for i in range(args.jobs)]
    procs = [subprocess.Popen(cmd + ["--shard", str(i)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=dict(env, TRITORCH_RECORD_LAUNCHES=str(path)))
             for i, path in enumerate(paths)]
    missing, errors, crashed, counts = set(), [], [], {"infos": 0, "skipped": 0}
    for i, p in enumerate(procs):
        out, err = p.communicate()
        summary = [ln for ln in out.splitlines() if ln.startswith("WORKLOAD ")]
        if p.returncode != 0 or not summary:
            crashed.append(f"shard {i} exited {p.returncode}: {err.strip()[-2000:]}")
            continue
        s = json.loads(summary[-1][len("WORKLOAD "):])
        counts = {k: counts[k] + s[k] for k in counts}
        missing.update(s["missing"])
        errors += s["errors"]
    lines = [ln for path in paths if path.exists() for ln in path.read_text().splitlines()]
    return [json.loads(ln) for ln in dict.fromkeys(lines)], counts, missing, errors, crashed


def _family(r):
    """What a specialisation is merged by: kernel, launch options, the constexprs that are not plain
    ints (dtypes, jit functions, bools, floats) and the pointer dtypes — unless the kernel takes a
    dtype constexpr: it computes in that dtype, so its pointer dtypes only change the load/store
    conversions.  Int constexprs (block sizes, dim counts, operand kinds) and Triton's value
    specialisations (ints equal to 1, 16-divisibility) vary with the sample shapes."""
    consts = {k: v for k, v in r["constexprs"].items() if type(v) is not int}
    typed = any(isinstance(v, dict) and "dtype" in v for v in consts.values())
    ptrs = [] if typed else [t for t in r["signature"].values() if t.startswith("*")]
    return json.dumps([r["kernel"], ptrs, consts, r["options"]], sort_keys=True)


def _exact(r):
    return json.dumps([r["kernel"], r["signature"], r["constexprs"], r["divisible16"], r["options"]], sort_keys=True)


def as_on_gpu(r):
    """Record ``r`` with the constexprs a GPU launch passes.  The recording run is interpreted, where
    `kernels._dtypes.dot_types` widens bf16 dot operands to fp32 (the interpreter multiplies bf16
    bit patterns); on a GPU the same call passes ET=bf16 and its dots run on bf16 tensor cores, so
    that is the variant to compile."""
    c = r["constexprs"]
    if c.get("DOT") is True and c.get("ET") == {"dtype": "fp32"} and "*bf16" in r["signature"].values():
        return dict(r, constexprs=dict(c, ET={"dtype": "bf16"}))
    return r


def merge(records, exact=False):
    """One representative per family (per exact specialisation with ``exact``): the variant
    recorded from the biggest launch, the one closest to a GPU workload, then the most aligned;
    each as a GPU launches it (`as_on_gpu`)."""
    best, members = {}, collections.defaultdict(set)
    for r in map(as_on_gpu, records):
        key = _exact(r) if exact else _family(r)
        members[key].add(_exact(r))
        b = best.get(key)
        if b is None or (r["programs"], len(r["divisible16"])) > (b["programs"], len(b["divisible16"])):
            best[key] = r
    return [dict(r, variants=len(members[k])) for k, r in best.items()]


# --- 2. compiling (parent process and its workers; never interpreted) ---------------------------

def _resolve(qualified):
    module, _, name = qualified.partition(":")
    obj = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _constexpr(v):
    import triton.language as tl
    if isinstance(v, dict):
        if "dtype" in v:
            return tl.dtype(v["dtype"])
        if "jit" in v:
            return _resolve(v["jit"])
        raise TypeError(f"unsupported constexpr value {v['unsupported']} (only int/bool/float/tl.dtype/"
                        f"module-level @triton.jit functions can be compiled ahead of time)")
    return v


def _resources(cubin, log):
    """(registers, spill store bytes, spill load bytes, stack bytes) from ptxas -v, else cuobjdump."""
    m = re.search(r"Used (\d+) registers", log)
    if m:
        sp = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", log)
        return int(m.group(1)), int(sp.group(2)), int(sp.group(3)), int(sp.group(1))
    import triton
    tool = os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin", "cuobjdump")
    with tempfile.NamedTemporaryFile(suffix=".cubin") as f:
        f.write(cubin)
        f.flush()
        usage = subprocess.run([tool, "--dump-resource-usage", f.name], capture_output=True, text=True).stdout
    get = lambda key: int(re.search(key + r":(\d+)", usage).group(1))  # noqa: E731
    return get("REG"), get("LOCAL"), None, get("STACK")


def compile_one(rec, cc):
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource
    row = {"kernel": rec["kernel"], "target": f"sm_{cc}"}
    t0 = time.perf_counter()
    try:
        fn = _resolve(rec["kernel"])
        constexprs = {k: _constexpr(v) for k, v in rec["constexprs"].items()}
        attrs = {(fn.arg_names.index(n),): [["tt.divisibility", 16]] for n in rec["divisible16"]}
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            k = triton.compile(ASTSource(fn, rec["signature"], constexprs, attrs),
                               target=GPUTarget("cuda", cc, 32), options=dict(rec["options"]))
        regs, spill_st, spill_ld, stack = _resources(k.asm["cubin"], log.getvalue())
        ptx = k.asm["ptx"]
        row.update(warps=k.metadata.num_warps, stages=k.metadata.num_stages, regs=regs, smem=k.metadata.shared,
                   spill_st=spill_st, spill_ld=spill_ld, stack=stack, mma="mma.sync" in ptx, wgmma="wgmma." in ptx)
    except Exception as e:
        # Triton's messages put the source location first and the reason last.
        msg = [ln.strip() for ln in str(e).strip().splitlines() if ln.strip()]
        text = " ... ".join(dict.fromkeys([msg[0], msg[-1]])) if msg else ""
        row["error"] = f"{type(e).__name__}: {text}"[:400]
    row["seconds"] = time.perf_counter() - t0
    return row


def _worker_init():
    import triton
    if hasattr(triton.knobs, "nvidia") and hasattr(triton.knobs.nvidia, "dump_ptxas_log"):
        triton.knobs.nvidia.dump_ptxas_log = True


def compile_all(specs, targets, jobs):
    tasks = [(i, cc) for i in range(len(specs)) for cc in targets]
    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    rows = [None] * len(tasks)
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init) as ex:
        futs = {ex.submit(compile_one, specs[i], cc): n for n, (i, cc) in enumerate(tasks)}
        for f in concurrent.futures.as_completed(futs):
            n = futs[f]
            rows[n] = f.result()
            rows[n]["spec"] = tasks[n][0]
    return rows


# --- 3. the report -------------------------------------------------------------------------------

def _short(v):
    if isinstance(v, dict):
        return v.get("dtype") or (v.get("jit") or v.get("unsupported", "?")).rpartition(":")[2]
    return str(v)


def describe_spec(rec, declared):
    """Pointer dtypes, the declared constexprs, and the int args Triton folded to 1."""
    sig = rec["signature"]
    ptrs = ",".join(t[1:] for t in sig.values() if t.startswith("*"))
    consts = " ".join(f"{k}={_short(v)}" for k, v in rec["constexprs"].items() if k in declared)
    ones = [k for k, v in rec["constexprs"].items() if k not in declared and v == 1]
    text = f"[{ptrs}] {consts}"
    if ones:
        text += f" (=1: {','.join(ones)})"
    return text


def kernel_inventory():
    """Module-level @triton.jit functions of kernels/*.py: {"module:name": JITFunction}."""
    import triton
    import tritorch.kernels as pkg
    found = {}
    for m in pkgutil.iter_modules(pkg.__path__):
        mod = importlib.import_module(f"{pkg.__name__}.{m.name}")
        for name, obj in vars(mod).items():
            if isinstance(obj, triton.runtime.jit.JITFunction) and obj.fn.__module__ == mod.__name__:
                found[f"{mod.__name__}:{name}"] = obj
    return found


def never_launched(inventory, specs):
    """Defined kernels that no recorded launch reached, leaving out helpers: functions referenced
    from another jit function's body (called, or passed on as a scan/reduce combine function) or
    passed to a kernel as a constexpr."""
    launched = {r["kernel"] for r in specs}
    passed = {v["jit"] for r in specs for v in r["constexprs"].values() if isinstance(v, dict) and "jit" in v}
    sources = {k: f.src for k, f in inventory.items()}
    out = []
    for key, f in inventory.items():
        if key in launched or key in passed:
            continue
        name = f.fn.__name__
        call = re.compile(r"\b" + re.escape(name) + r"\b")
        if any(call.search(src) for other, src in sources.items() if other != key):
            continue
        out.append(key)
    return sorted(out)


def render(rows, specs, meta):
    import tabulate
    import triton
    declared_cache = {}

    def declared(kernel):
        if kernel not in declared_cache:
            fn = _resolve(kernel)
            declared_cache[kernel] = {p.name for p in fn.params if p.is_constexpr}
        return declared_cache[kernel]

    table = []
    for r in sorted(rows, key=lambda r: (r["kernel"], r["spec"], r["target"])):
        rec = specs[r["spec"]]
        kern = r["kernel"].replace("tritorch.kernels.", "")
        spec = describe_spec(rec, declared(r["kernel"]))
        if "error" in r:
            table.append([kern, spec, rec["variants"], r["target"]] + [""] * 6 + ["FAILED: " + r["error"], ""])
            continue
        spill = f"{r['spill_st']}/{r['spill_ld']}" if r["spill_ld"] is not None else f"{r['spill_st']} (local)"
        tc = "wgmma" if r["wgmma"] else "mma" if r["mma"] else ""
        table.append([kern, spec, rec["variants"], r["target"], r["warps"], r["stages"], r["regs"], r["smem"], spill,
                      r["stack"], tc, f"{r['seconds']:.2f}"])
    headers = ["kernel", "specialisation [pointer dtypes] constexprs", "variants", "target", "warps", "stages", "regs",
               "smem B", "spill st/ld B", "stack B", "tensor cores", "compile s"]
    failures = [r for r in rows if "error" in r]
    kernels = sorted({r["kernel"] for r in specs})
    lines = [
        "# Kernel report: ahead-of-time compiles for " + ", ".join(f"sm_{t}" for t in meta["targets"]),
        "",
        f"Triton {triton.__version__}; workload: {meta['counts']['infos']} op-table entries on device cuda "
        f"(interpreter, GPU block sizes; {meta['counts']['skipped']} samples over {SAMPLE_CAP} elements skipped)"
        f"{' + larger matmul shapes' if meta['extra'] else ''}.",
        "",
        f"- kernels launched: {len(kernels)}; specialisations compiled: {len(specs)} "
        f"({'every exact one' if meta['all'] else 'one per family'}, standing for "
        f"{sum(r['variants'] for r in specs)} distinct recorded ones); compiles: {len(rows)}; "
        f"**failures: {len(failures)}**",
        f"- time: workload {meta['t_record']:.1f} s, compile {meta['t_compile']:.1f} s "
        f"({meta['jobs']} processes), total {meta['t_total']:.1f} s",
        f"- specialisations with spills: {len({r['spec'] for r in rows if r.get('spill_st')})}; "
        f"using wgmma on sm_90: {len({r['spec'] for r in rows if r.get('wgmma')})}; "
        f"using mma.sync: {len({r['spec'] for r in rows if r.get('mma')})}",
    ]
    if meta["missing"]:
        lines.append(f"- ops skipped (no cuda impl yet): {', '.join(sorted(meta['missing']))}")
    if meta["never"]:
        lines.append(f"- WARNING kernels defined but never launched by the workload: {', '.join(meta['never'])}")
    for e in meta["errors"]:
        lines.append(f"- WARNING workload error: {e}")
    for c in meta["crashed"]:
        lines.append(f"- ERROR workload crashed: {c}")
    for r in failures:
        lines.append(f"- ERROR {r['kernel']} {r['target']} {describe_spec(specs[r['spec']], declared(r['kernel']))}: "
                     f"{r['error']}")
    return "\n".join(lines) + "\n\n" + tabulate.tabulate(table, headers=headers, tablefmt="github") + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", help="also write the report (markdown) to this path")
    p.add_argument("--jobs", type=int, default=2, help="workload and compile processes (default 2)")
    p.add_argument("--ops", help="comma-separated op-table entry names to run (default: all)")
    p.add_argument("--no-extra", dest="extra", action="store_false", help="skip the larger GPU-config shapes")
    p.add_argument("--targets", default="80,90", help="compute capabilities (default 80,90)")
    p.add_argument("--all", action="store_true",
                   help="compile every exact specialisation recorded, not one per family (slow)")
    p.add_argument("--save-records", help="copy the recorded launches (JSON lines) to this path")
    p.add_argument("--from-records",
                   help="compile launches recorded earlier (--save-records) instead of running the workload")
    p.add_argument("--workload", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--shard", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--nshards", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.workload:
        sys.path.insert(0, str(ROOT))
        workload_main(args)
        return 0
    # Kernels decide interpreter mode when defined: this process must compile real ones.
    os.environ.pop("TRITON_INTERPRET", None)
    os.environ.pop("TRITORCH_RECORD_LAUNCHES", None)
    os.environ.setdefault("TRITON_DEFAULT_FP_FUSION", "1")
    t0 = time.perf_counter()
    # The Triton cache is written and read back for every compile: keep it in memory if possible.
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="kernel-report-", dir=shm) as tmp:
        os.environ["TRITON_CACHE_DIR"] = os.path.join(tmp, "triton-cache")
        if args.from_records:
            records = [json.loads(ln) for ln in pathlib.Path(args.from_records).read_text().splitlines()]
            counts, missing, errors, crashed = {"infos": 0, "skipped": 0}, set(), [], []
        else:
            records, counts, missing, errors, crashed = record(args, tmp)
        if args.save_records:
            pathlib.Path(args.save_records).write_text("".join(json.dumps(r) + "\n" for r in records))
        t1 = time.perf_counter()
        sys.path.insert(0, str(ROOT))
        importlib.import_module("tritorch.kernels")  # every kernel module, once, before the workers fork
        specs = merge(records, exact=args.all)
        targets = [int(t) for t in args.targets.split(",")]
        rows = compile_all(specs, targets, args.jobs)
        t2 = time.perf_counter()
    # The never-launched list only means something for a full workload.
    never = never_launched(kernel_inventory(), specs) if not (args.ops or args.from_records) else []
    meta = dict(all=args.all, targets=targets, counts=counts, extra=args.extra, missing=missing, errors=errors,
                crashed=crashed, never=never, jobs=args.jobs, t_record=t1 - t0, t_compile=t2 - t1,
                t_total=time.perf_counter() - t0)
    text = render(rows, specs, meta)
    print(text)
    if args.out:
        out = pathlib.Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    failed = any("error" in r for r in rows) or crashed or not specs
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
