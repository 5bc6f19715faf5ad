"""PyTorch-style `repr` of tensors: `tensor([1., 2.], requires_grad=True)`.

A port of PyTorch's ``torch/_tensor_str.py`` layout rules over a host numpy copy:
one formatter per tensor picks int / fixed / scientific notation from the non-zero
finite values and pads every element to the same width; tensors with more than
``threshold`` elements are summarised with ``...`` keeping ``edgeitems`` per side.
Formatting loops over printed elements only (at most ~2 * edgeitems per dim when
summarised).
"""
import math

import numpy as np

from . import _dtype

__all__ = ["set_printoptions", "get_printoptions", "tensor_repr"]

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
PRINT_OPTS = dict(_DEFAULTS)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """PyTorch's `set_printoptions`: profiles 'default', 'short', 'full' and individual options."""
    if profile == "default":
        PRINT_OPTS.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "short":
        PRINT_OPTS.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    elif profile == "full":
        PRINT_OPTS.update(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            PRINT_OPTS[k] = v
    PRINT_OPTS["sci_mode"] = sci_mode


def get_printoptions():
    return dict(PRINT_OPTS)


class _Formatter:
    """Chooses the notation and the common width from the values that will be printed."""

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        prec = PRINT_OPTS["precision"]
        flat = values.reshape(-1)
        if not floating:
            if flat.size:
                self.max_width = max(len(str(flat.min().item())), len(str(flat.max().item())))
            return
        nz = flat[np.isfinite(flat) & (flat != 0)]
        if nz.size:
            a = np.abs(nz)
            lo, hi = float(a.min()), float(a.max())
            self.int_mode = bool(np.all(nz == np.ceil(nz)))
            if self.int_mode:
                self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8
                fmt = (lambda v: f"{v:.{prec}e}") if self.sci_mode else (lambda v: f"{v:.0f}.")
            else:
                self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
                fmt = (lambda v: f"{v:.{prec}e}") if self.sci_mode else (lambda v: f"{v:.{prec}f}")
            self.max_width = max(len(fmt(v)) for v in nz.tolist())
        if PRINT_OPTS["sci_mode"] is not None:
            self.sci_mode = PRINT_OPTS["sci_mode"]

    def format(self, value):
        if self.floating:
            prec = PRINT_OPTS["precision"]
            v = float(value)
            if self.sci_mode:
                s = f"{v:{self.max_width}.{prec}e}"
            elif self.int_mode:
                s = f"{v:.0f}"
                if not (math.isinf(v) or math.isnan(v)):
                    s += "."
            else:
                s = f"{v:.{prec}f}"
        else:
            s = str(value)
        return (self.max_width - len(s)) * " " + s


def _summarized(a):
    """The elements shown when summarising (edge items of every dim)."""
    e = PRINT_OPTS["edgeitems"]
    if a.ndim == 0:
        return a
    if not e:
        return a[(slice(0, 0),) * a.ndim]
    idx = []
    for n in a.shape:
        idx.append(np.r_[0:e, n - e:n] if n > 2 * e else np.arange(n))
    return a[np.ix_(*idx)]


def _vector_str(a, indent, summarize, fmt):
    element_length = fmt.max_width + 2
    per_line = max(1, int(math.floor((PRINT_OPTS["linewidth"] - indent) / element_length)))
    e = PRINT_OPTS["edgeitems"]
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = [fmt.format(v) for v in a[:e].tolist()] + [" ..."] + [fmt.format(v) for v in a[-e:].tolist()]
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e = PRINT_OPTS["edgeitems"]
    n = a.shape[0]
    if summarize and n > 2 * e:
        slices = ([_tensor_str(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."]
                  + [_tensor_str(a[i], indent + 1, summarize, fmt) for i in range(n - e, n)])
    else:
        slices = [_tensor_str(a[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if last_line_len + len(s) + 2 > PRINT_OPTS["linewidth"]:
            parts.append(",\n" + " " * indent + s)
            last_line_len = indent + len(s)
        else:
            parts.append(", " + s)
            last_line_len += len(s) + 2
    parts.append(")")
    return "".join(parts)


def _host_values(t):
    a = t._host_numpy()
    dt = t.dtype
    if dt is _dtype.bool:
        return a, False
    if dt.is_floating_point:
        # Half types print through float32, like PyTorch; formatting then sees Python floats.
        return a.astype(np.float32 if dt.itemsize < 4 else a.dtype), True
    return a, False


def tensor_repr(t):
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    dt = t.dtype
    default = _dtype.get_default_dtype()
    if t.numel() == 0:
        if t.ndim != 1:
            suffixes.append(f"size={tuple(t.shape)}")
        if dt is not default:
            suffixes.append(f"dtype={dt}")
        body = "[]"
    else:
        if dt is not default and dt is not _dtype.int64 and dt is not _dtype.bool:
            suffixes.append(f"dtype={dt}")
        a, floating = _host_values(t)
        summarize = a.size > PRINT_OPTS["threshold"]
        fmt = _Formatter(_summarized(a) if summarize else a, floating)
        body = _tensor_str(a, indent, summarize, fmt)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
