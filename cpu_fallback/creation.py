"""numpy impls of the creation ops: fill, arange, linspace, eye."""
import numpy as np

from ._chunks import chunks


def fill(out, shape, dtype, value=0):
    # Through int64 for integers so that e.g. -1 wraps into uint8 as in PyTorch.
    v = np.array(int(value) if out.dtype.kind in "iu" and not isinstance(value, bool) else value)
    out[...] = v.astype(out.dtype)


def arange(out, start, end, step, dtype):
    if out.dtype.kind in "iu":
        # PyTorch converts the bounds and step to int64 first (a step of 0.5 is 0), then
        # computes start + i * step in int64 (wrapping) and converts.
        start, step, ct = int(start), int(step), np.int64
    else:
        # PyTorch computes start + i * step in double, then converts.
        ct = np.float64
    for dst, i, n in chunks(out.reshape(-1)):
        v = np.arange(i, i + n, dtype=ct)
        v *= step
        v += start
        np.copyto(dst, v, casting="unsafe")


def _fma(a, b, c):
    """``a * b + c`` rounded once (float64 arrays; ``b`` integer-valued): the product's rounding
    error by Dekker's split, the sum's by Knuth's two-sum, added back before the one rounding."""
    p = a * b
    ah, bh = _split(a), _split(b)
    al, bl = a - ah, b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = c + p
    bb = s - c
    t = (c - (s - bb)) + (p - bb)
    return s + (t + e)


def _split(x):
    h = x * 134217729.0  # 2**27 + 1
    return h - (h - x)


def linspace_ends(start, end, steps, dtype):
    """PyTorch's linspace scalars for an output of numpy ``dtype``: (start, end, step) as numpy
    scalars of the compute type.  Integer outputs first convert the ends to the output type
    (truncating, wrapping as C casts do) and step in double between those; float outputs step in
    their own type (half types included, each operation rounded to it)."""
    if dtype.kind in "iu":
        s, e = (np.float64(np.array(int(v)).astype(dtype)) for v in (start, end))
        return s, e, (e - s) / np.float64(steps - 1)
    s, e = dtype.type(start), dtype.type(end)
    return s, e, (e - s) / dtype.type(steps - 1)


def linspace(out, start, end, steps, dtype):
    """PyTorch's kernel: ``start + step * i`` for ``i < steps // 2``, ``end - step * (steps - 1 - i)``
    after (exact at both ends), converted to ``out``'s type.  float32/float64 and integer outputs:
    PyTorch's x86 kernels contract each into one fused multiply-add (in float32 resp. double),
    emulated here exactly (float32: the double result of an exact product, rounded once); half
    types round after every operation, as c10::Half/BFloat16 arithmetic does."""
    if steps == 0:
        return
    if steps == 1:
        out[...] = start
        return
    dt = out.dtype
    s, e, step = linspace_ends(start, end, steps, dt)
    half = steps // 2
    for dst, i, n in chunks(out.reshape(-1)):
        idx = np.arange(i, i + n, dtype=np.int64)
        rest = steps - 1 - idx
        k = max(0, min(n, half - i))  # the first k of this chunk are in the first half
        if dt.kind == "f" and dt.itemsize == 2 or dt.kind == "V":
            v = s + step * idx.astype(dt)
            v[k:] = e - step * rest[k:].astype(dt)
        elif dt == np.float32:
            v = np.float64(s) + np.float64(step) * idx
            v[k:] = np.float64(e) - np.float64(step) * rest[k:]
        else:
            f = np.float64
            v = _fma(np.full(n, f(step)), idx.astype(f), np.full(n, f(s)))
            v[k:] = _fma(np.full(n - k, -f(step)), rest[k:].astype(f), np.full(n - k, f(e)))
            if dt.kind in "iu":  # double -> integer truncates toward zero, then wraps (x86's C cast)
                v = v.astype(np.int64)
        np.copyto(dst, v, casting="unsafe")


def eye(out, n, m, dtype):
    out.fill(0)
    k = min(n, m)
    out[np.arange(k), np.arange(k)] = 1


IMPLS = {"fill": fill, "arange": arange, "linspace": linspace, "eye": eye}
