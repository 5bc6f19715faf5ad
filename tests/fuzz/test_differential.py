"""Differential fuzzing: tritorch (cpu, and cuda in Triton's interpreter) against PyTorch CPU.

Each example draws one call from the entry-point table (``entries.py``), runs it on every side
(``harness.run_all``) and checks the comparison rule (``harness.compare``): same success/failure,
compatible exception types, no leaked internals, equal dtype/shape/values.

Profiles (hypothesis settings profiles):

* ``tritorch-fuzz-ci`` (default): derandomized, ``TRITORCH_FUZZ_CI_EXAMPLES`` (default 40) examples
  per family; calls covered by ``known.KNOWN`` are skipped.  About two minutes on two cores.
* ``tritorch-fuzz-long`` (``TRITORCH_FUZZ=long``): random, ``TRITORCH_FUZZ_EXAMPLES`` (default 2000)
  examples per family; every call runs, every mismatch is recorded, and a summary of mismatch
  categories (with one reproducer each, known ones marked) is printed and written to
  ``TRITORCH_FUZZ_REPORT`` (default ``fuzz-report.txt`` in the current directory).  The test of a
  family fails if it found a mismatch that KNOWN does not cover.  Run with ``-s`` to see the summary.
"""
import collections
import os

import pytest
from hypothesis import HealthCheck, assume, given, note, settings

from . import known
from .entries import FAMILIES, calls
from .harness import compare, run_all

LONG = os.environ.get("TRITORCH_FUZZ", "").lower() == "long"

settings.register_profile(
    "tritorch-fuzz-ci", max_examples=int(os.environ.get("TRITORCH_FUZZ_CI_EXAMPLES", 40)), derandomize=True,
    deadline=None, database=None, print_blob=False, suppress_health_check=list(HealthCheck))
settings.register_profile(
    "tritorch-fuzz-long", max_examples=int(os.environ.get("TRITORCH_FUZZ_EXAMPLES", 2000)), derandomize=False,
    deadline=None, database=None, suppress_health_check=list(HealthCheck))
PROFILE = settings.get_profile("tritorch-fuzz-long" if LONG else "tritorch-fuzz-ci")

#: long profile: category key -> [count, first reproducer, detail, known reason or None]
SUMMARY = {}
KNOWN_HITS = collections.Counter()


def _record(mismatches, k):
    for m in mismatches:
        rec = SUMMARY.setdefault(m.key, [0, m.call.source("tt", "cuda" if "cuda" in m.side else "cpu"), m.detail,
                                         k.reason if k else None])
        rec[0] += 1
    if k is not None and mismatches:
        KNOWN_HITS[repr(k)] += 1


def format_summary():
    lines = [f"{len(SUMMARY)} mismatch categories ({sum(r[0] for r in SUMMARY.values())} mismatches)"]
    for key, (n, src, detail, reason) in sorted(SUMMARY.items(), key=lambda kv: (kv[1][3] is not None, kv[0])):
        tag = f"KNOWN ({reason})" if reason else "NEW"
        lines.append(f"[{tag}] {key} x{n}\n    {detail}\n    {src}")
    lines.append("known entries that fired: " + ", ".join(f"{k} x{n}" for k, n in KNOWN_HITS.items()))
    unused = [repr(k) for k in known.KNOWN if repr(k) not in KNOWN_HITS]
    if unused:
        lines.append("known entries that never fired (fixed? or not drawn): " + ", ".join(unused))
    return "\n".join(lines)


def check_call(call):
    """Run ``call`` everywhere; return its mismatches (harness.Mismatch)."""
    note(f"call: {call.source('tt', 'cpu')}")
    return compare(call, run_all(call))


@pytest.mark.parametrize("family", FAMILIES)
def test_differential(family):
    new = []

    @PROFILE
    @given(call=calls(family=family))
    def ci(call):
        assume(known.match(call) is None)
        mism = check_call(call)
        assert not mism, "tritorch differs from torch:\n" + "\n".join(map(repr, mism))

    @PROFILE
    @given(call=calls(family=family))
    def long(call):
        k = known.match(call)
        mism = check_call(call)
        _record(mism, k)
        if k is None:
            new.extend(mism)

    if not LONG:
        ci()
        return
    long()
    report = format_summary()
    print(report)
    with open(os.environ.get("TRITORCH_FUZZ_REPORT", "fuzz-report.txt"), "w") as f:
        f.write(report + "\n")
    assert not new, f"{len(new)} new mismatches in family {family}; first: {new[0]!r}"
