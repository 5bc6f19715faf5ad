"""A small, generic launch-config tuner: key -> candidate configs -> timed choice, cached.

Usage (a launcher)::

    _TUNER = Tuner("fused_matmul")
    cfg = _TUNER.pick(key, candidates, run, default)

``key`` is any hashable describing a *bucket* of problems that should share a config (e.g.
pow2-rounded M, N, K, dtype and layout flags); ``candidates`` is a list of hashable configs;
``run(cfg)`` launches the kernel once with ``cfg`` (it must be safe to repeat: the caller makes
sure the output does not alias an input); ``default`` is the config used without timing.

On a real GPU the first call for a key runs every candidate once to compile it, then times a
few launches of each between two cuda.core events on tritorch's stream (no torch involved),
and caches the fastest; candidates that fail to launch (e.g. out of shared memory on a smaller
GPU) are skipped; the winner then runs once more for the caller.  Later calls with that key
cost one dict lookup.  Timing happens on the caller's real arguments, which is why ``run``
must be idempotent.

In the interpreter, or while `_launch` records launches for the kernel report, nothing is
timed: ``default`` runs (the report compiles what a GPU would launch by default).
Set ``TRITORCH_AUTOTUNE=0`` to always use ``default`` on a GPU too (reproducible timings).
"""
import os

from tritorch.cuda import _runtime
from ._launch import INTERPRETED, _RECORD_PATH

__all__ = ["Tuner"]

_ENABLED = (not INTERPRETED and _RECORD_PATH is None
            and os.environ.get("TRITORCH_AUTOTUNE", "1") != "0")
_REPS = 3  # launches timed per candidate (after one untimed, compiling launch)


class Tuner:
    """Per-kernel cache of the fastest config per key (see module docstring)."""

    def __init__(self, name):
        self.name = name
        self.cache = {}

    def pick(self, key, candidates, run, default, device_index=0):
        """Run ``run`` with the best config for ``key`` (timing the candidates on first use);
        returns the config used."""
        cfg = self.cache.get(key)
        if cfg is not None:
            run(cfg)
            return cfg
        if not _ENABLED or len(candidates) <= 1:
            cfg = default if not candidates or default in candidates else candidates[0]
            run(cfg)
            return cfg
        cfg = self._time(candidates, run, device_index)
        self.cache[key] = cfg
        run(cfg)
        return cfg

    def _time(self, candidates, run, device_index):
        stream = _runtime.stream(device_index)
        opts = _runtime.event_options(timing=True)
        best, best_t = None, float("inf")
        for cfg in candidates:
            try:
                run(cfg)  # compiles; excluded from the timing
            except Exception:  # noqa: BLE001 - a config this GPU cannot run is just skipped
                continue
            start = stream.record(options=opts)
            for _ in range(_REPS):
                run(cfg)
            end = stream.record(options=opts)
            end.sync()
            t = end - start
            if t < best_t:
                best, best_t = cfg, t
        if best is None:
            raise RuntimeError(f"{self.name}: no launch configuration could run on this device")
        return best
