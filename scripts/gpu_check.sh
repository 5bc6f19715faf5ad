#!/usr/bin/env bash
# The GPU check: run it first whenever an NVIDIA GPU is available.
#
#   scripts/gpu_check.sh [--budget SECONDS] [--out DIR] [--quick] [--jobs N] [--dry-run]
#
# Installs this checkout without dependencies (the GPU machine has PyTorch, Triton, cuda-core
# and ml_dtypes preinstalled and no network), then runs scripts/gpu_check.py: versions, a smoke
# test of the main job on cuda, the cuda tests natively in parallel shards with a per-test
# timeout, and scripts/perf_tables.py --device cuda, all within --budget seconds counted from
# here (default 540).  Everything lands under --out (default gpu_check_out/): summary.md,
# env.json, smoke.log, tests/summary.md (failures grouped by family), perf/<card>.md.
#
# Test tools the GPU machine may lack (pytest, hypothesis, tabulate) install offline from
# .wheelhouse/ when that folder exists; fill it on a machine with network with
#   pip download -d .wheelhouse pytest hypothesis tabulate
# and carry it along.  --dry-run (CI) skips the install and checks every step without a GPU.
set -uo pipefail
start=$(date +%s)
cd "$(dirname "$0")/.."
dry_run=0
for a in "$@"; do [ "$a" = "--dry-run" ] && dry_run=1; done
if [ "$dry_run" = 0 ]; then
    echo "== install"
    python -m pip install -q --no-deps --no-build-isolation -e . || exit 1
    if [ -d .wheelhouse ]; then
        python -m pip install -q --no-index --find-links .wheelhouse pytest hypothesis tabulate \
            || echo "gpu_check: offline install from .wheelhouse failed; going on with what is installed"
    fi
fi
exec python scripts/gpu_check.py --start "$start" "$@"
