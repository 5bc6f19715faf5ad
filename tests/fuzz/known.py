"""Known discrepancies between tritorch and PyTorch that the bounded (CI) fuzz profile skips.

Each entry is ``Known(entry name, condition, reason)``: ``condition(call)`` is a predicate on a
``harness.Call`` (helpers: ``call.x`` first tensor, ``call.kw(name)``, ``call.has_0d()``,
``call.any_dtype(...)``, ``call.has_view(...)``, ``call.has_scalar(pred)`` ...).  Keep conditions as
narrow as the bug; delete an entry as soon as its bug is fixed (the long profile,
``TRITORCH_FUZZ=long``, runs known calls too and reports which known entries still fire).
"""


class Known:
    def __init__(self, name, condition, reason):
        self.name, self.condition, self.reason = name, condition, reason

    def matches(self, call):
        if self.name != "*" and call.name != self.name:
            return False
        try:
            return bool(self.condition(call))
        except Exception:
            return False

    def __repr__(self):
        return f"Known({self.name}: {self.reason})"


def _big(s):
    """A Python number no integer (or half) tensor can hold: |int| >= 2**31, nan/inf, |float| >= 1e20."""
    if isinstance(s, bool):
        return False
    if isinstance(s, int):
        return abs(s) >= 2 ** 31
    return isinstance(s, float) and (s != s or abs(s) >= 1e20)


# PyTorch skips its half-range check when full() makes a single element (inf), not for more.
_HALF_FULL = ["full", "full_like"]

KNOWN = [
    *[Known(n, lambda c: c.has_scalar(_big), "single-element full() to a half type: torch gives inf, no error")
      for n in _HALF_FULL],
    # issue 12 item 12: accepted where torch rejects / rejected where torch accepts
    Known("F.hardtanh", lambda c: c.any_dtype("uint8", "bool"), "unsigned input with negative limits accepted"),
    # issue 12 item 10: exception types that differ because checks run in a different order
    Known("narrow", lambda c: c.has_0d(), "0-d input: dim range checked before the length sign"),
    Known("take_along_dim", lambda c: c.args[1].dtype == "int32", "int32 indices rejected (torch accepts)"),
    Known("Tensor.__setitem__", lambda c: hasattr(c.args[2], "dtype") and c.args[2].dtype != c.args[0].dtype,
          "index_put checks bounds before dtypes"),
    Known("std", lambda c: not c.x.dtype.startswith(("float", "bfloat")), "dim range checked before the dtype"),
    Known("var", lambda c: not c.x.dtype.startswith(("float", "bfloat")), "dim type/range checked before dtype"),
    Known("F.layer_norm", lambda c: not c.x.dtype.startswith(("float", "bfloat")),
          "integer input: dtype checked before the normalized_shape type"),
    Known("F.cross_entropy", lambda c: c.x.dtype not in ("float32", "float64", "float16", "bfloat16"),
          "integer input: NotImplementedError before the batch-size check"),
    # PyTorch's half/bf16 log_softmax rounds differently (softmax family, not the loss)
    Known("F.cross_entropy", lambda c: c.args[1].dtype in ("float16", "bfloat16", "float32", "float64")
          and c.x.dtype in ("float16", "bfloat16"), "probability targets with half logits: log_softmax rounding"),
    # PyTorch itself fails here ("output with shape [] doesn't match the broadcast shape [1]")
    Known("F.cross_entropy", lambda c: c.x.ndim == 1 and c.kw("label_smoothing") not in (None, 0, 0.0),
          "1-d input with label_smoothing: PyTorch raises, tritorch computes"),
    Known("F.one_hot", lambda c: c.has_empty() and c.kw("num_classes") in (0, -1, None), "empty input, no classes"),
    Known("roll", lambda c: c.has_empty(), "empty input: dims not range-checked by torch"),
    Known("logsumexp", lambda c: c.kw("dim") == (), "dim=() (torch itself errors on expanded input)"),
    Known("gather", lambda c: c.args[2].numel() == 0 and c.args[2].ndim != c.args[0].ndim,
          "empty index of another rank rejected (torch accepts)"),
]


def match(call):
    """The first KNOWN entry that covers ``call``, or None."""
    for k in KNOWN:
        if k.matches(call):
            return k
    return None
