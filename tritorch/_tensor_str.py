"""PyTorch-style `repr` of tensors: `tensor([1., 2.], requires_grad=True)`."""
import numpy as np

from . import _dtype

PRINT_OPTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Subset of PyTorch's `set_printoptions`."""
    if profile == "default":
        PRINT_OPTS.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "full":
        PRINT_OPTS.update(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80)
    elif profile == "short":
        PRINT_OPTS.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            PRINT_OPTS[k] = v
    PRINT_OPTS["sci_mode"] = sci_mode


def _float_formatter(values):
    prec = PRINT_OPTS["precision"]
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda x: _special(x) or f"{x:.{prec}f}"
    ints = np.all(finite == np.round(finite))
    amax, amin = np.abs(finite).max(), np.abs(finite).min()
    sci = PRINT_OPTS["sci_mode"]
    if sci is None:
        sci = amax >= 1e8 or (amin != 0 and amax / max(amin, 1e-300) > 1000.0 and not ints) or (amax != 0 and amax < 1e-4)
    if sci:
        return lambda x: _special(x) or f"{x:.{prec}e}"
    if ints:
        return lambda x: _special(x) or f"{x:.0f}."
    return lambda x: _special(x) or f"{x:.{prec}f}"


def _special(x):
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return None


def _body(arr, dt):
    if arr.size == 0:
        return "[]" if arr.ndim else "[]"
    if dt is _dtype.bool:
        fmt = {"bool": lambda x: "True" if x else "False"}
        vals = arr
    elif dt.is_floating_point:
        vals = arr.astype(np.float64)
        f = _float_formatter(vals.reshape(-1) if vals.size <= PRINT_OPTS["threshold"] else
                             np.concatenate([vals.reshape(-1)[:1000], vals.reshape(-1)[-1000:]]))
        fmt = {"float_kind": f}
    else:
        vals = arr
        fmt = {"int": lambda x: str(int(x))}
    summarize = arr.size > PRINT_OPTS["threshold"]
    return np.array2string(vals, separator=", ", formatter=fmt, prefix="tensor(",
                           threshold=0 if summarize else max(arr.size, 1),
                           edgeitems=PRINT_OPTS["edgeitems"], max_line_width=PRINT_OPTS["linewidth"])


def tensor_repr(t):
    arr = t._host_numpy()
    dt = t.dtype
    body = _body(arr, dt)
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    if t.numel() == 0 and t.ndim != 1:
        extras.append(f"size={tuple(t.shape)}")
    default_ok = dt is _dtype.int64 or dt is _dtype.bool or (dt is _dtype.get_default_dtype())
    if not default_ok or (t.numel() == 0 and dt is not _dtype.get_default_dtype() and dt is not _dtype.int64):
        if not default_ok:
            extras.append(f"dtype={dt}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body] + extras) + ")"
