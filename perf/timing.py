"""Timers: medians of many repetitions, warm-up first, never the first (compiling/tuning) call.

cpu: ``time.perf_counter`` around a batch of calls, sized so each sample lasts >= ``min_time``.
cuda: CUDA events recorded through cuda.core on the device's default stream, which both
tritorch and PyTorch (legacy default stream) launch on; the events bracket a batch of calls so
that launch gaps count as they would in a real program.  Interpreter mode (no real GPU) times
with the host clock: its numbers only check that a case runs.
"""
import statistics
import time

__all__ = ["Timer", "median_time"]


class Timer:
    """``Timer(device, sync)``: ``sync()`` waits for the device (framework-specific)."""

    def __init__(self, device, sync=None):
        self.device = device
        self.sync = sync or (lambda: None)
        self._events = None
        if device == "cuda":
            from tritorch.cuda import _runtime
            if _runtime.mode() == "gpu":
                from tritorch._device import cuda_index
                self._stream = _runtime.stream(cuda_index())
                self._opts = _runtime.event_options(timing=True)
                self._events = True

    def _batch(self, fn, n):
        """Seconds for ``n`` calls of ``fn``."""
        if self._events:
            self.sync()
            start = self._stream.record(options=self._opts)
            for _ in range(n):
                fn()
            end = self._stream.record(options=self._opts)
            end.sync()
            return (end - start) / 1e3
        self.sync()
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        self.sync()
        return time.perf_counter() - t0

    def measure(self, fn, min_time=0.02, repeat=11, warmup=2):
        """Median seconds per call of ``fn`` over ``repeat`` samples of >= ``min_time`` each."""
        for _ in range(warmup):
            fn()
        n = 1
        while True:
            t = self._batch(fn, n)
            if t >= min_time or n >= 1 << 16:
                break
            n = n * 2 if t <= 0 else max(n * 2, min(int(n * min_time / t * 1.2) + 1, n * 64))
        return statistics.median(self._batch(fn, n) / n for _ in range(repeat))


def median_time(fn, device="cpu", sync=None, **kw):
    """Median seconds per call of ``fn`` on ``device`` (see ``Timer.measure``)."""
    return Timer(device, sync).measure(fn, **kw)
