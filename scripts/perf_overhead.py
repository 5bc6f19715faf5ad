"""Measure tritorch's host overhead per op against PyTorch (CPU, same process) and write
`perf/results/overhead-cpu.md`.

Run with single-threaded BLAS/OpenMP for both frameworks (set here before imports):
    python scripts/perf_overhead.py
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import pathlib  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import tabulate  # noqa: E402
import torch  # noqa: E402

import tritorch as tt  # noqa: E402
from perf.overhead import cases, time_pair_us  # noqa: E402


def main():
    torch.set_num_threads(1)
    rows = []
    for name, f_tt, f_torch in cases(tt, torch):
        t_tt, t_torch = time_pair_us(f_tt, f_torch)
        rows.append([name, f"{t_tt:.2f}", f"{t_torch:.2f}", f"{t_tt / t_torch:.2f}x"])
    table = tabulate.tabulate(rows, headers=["case", "tritorch (us)", "PyTorch (us)", "ratio"], tablefmt="github")
    header = (f"# Host overhead per op, cpu\n\nMedian time per call over 15 alternating rounds (tritorch, "
              f"PyTorch, tritorch, ...), tiny tensors. PyTorch {torch.__version__} "
              f"eager CPU measured in the same process; Python {platform.python_version()}, numpy "
              f"{__import__('numpy').__version__}, {platform.processor() or platform.machine()}. "
              "OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1 and torch.set_num_threads(1) "
              "for both.\n\nTargets (issue 2): elementwise op on a 1-element tensor within 5x of PyTorch; "
              "small forward+backward within 3x.\n\n")
    out = pathlib.Path(__file__).resolve().parents[1] / "perf" / "results" / "overhead-cpu.md"
    out.write_text(header + table + "\n")
    print(table)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
