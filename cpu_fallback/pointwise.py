"""numpy impls of the elementwise ops (binary, ternary, casts and copies; unary ops are in
`pointwise_unary.py` and merged into ``IMPLS`` here).

Every impl writes into the registry-allocated ``out``; inputs broadcast through numpy's
ufunc machinery without copies.  The registry's meta already chose the result dtype, so
each impl computes in ``compute_dtype(out.dtype)``: half types (float16, bfloat16) compute
in float32 and round once when stored into ``out``.  Python-number operands are converted
to that dtype first, integers wrapping like C casts (uint8 tensor + -3 wraps, as in PyTorch).
"""
import numpy as np

from ._select import where
from .pointwise_unary import UNARY_IMPLS, compute_dtype, _up, _F32, _BF16  # noqa: F401  (re-exported)

_F64 = np.dtype(np.float64)


def _s(x, ct):
    """An operand in compute dtype ``ct``: arrays pass (halves widened), Python numbers
    become 0-d arrays of ``ct`` (integers wrap, as PyTorch's scalar casts do)."""
    if isinstance(x, np.ndarray):
        return _up(x)
    if ct.kind in "iu" and not isinstance(x, (bool, np.bool_)):
        return np.array(int(x), dtype=np.int64).astype(ct)
    return np.array(x, dtype=ct)


def _ufunc2(uf):
    def impl(out, a, b):
        ct = compute_dtype(out.dtype)
        uf(_s(a, ct), _s(b, ct), out=out, dtype=ct, casting="unsafe")
    return impl


def _weak(x, other):
    # PyTorch compares in the promoted dtype, where Python numbers and 0-d tensors only
    # raise the category: an integer number/0-d array against an integer array takes the
    # array's dtype (wrapping), a 0-d float array against a float array likewise.
    if not isinstance(other, np.ndarray) or other.ndim == 0:
        return x
    k = other.dtype.kind
    if isinstance(x, np.ndarray):
        if x.ndim == 0 and x.dtype.kind == k or (x.dtype.kind in "iu" and k in "iu"):
            return x.astype(other.dtype) if x.ndim == 0 else x
        return x
    if k in "iu" and isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        return np.array(int(x), dtype=np.int64).astype(other.dtype)
    return x


def _cmp(uf):
    def impl(out, a, b):
        a, b = _weak(a, b), _weak(b, a)
        uf(_up(a), _up(b), out=out, casting="unsafe")
    return impl


def _add_like(uf):
    def impl(out, a, b, alpha=1):
        ct = compute_dtype(out.dtype)
        b = _s(b, ct)
        if alpha != 1:
            b = np.multiply(b, _s(alpha, ct), dtype=ct, casting="unsafe")
        uf(_s(a, ct), b, out=out, dtype=ct, casting="unsafe")
    return impl


def _int_operands(a, b, ct):
    a = np.asarray(_s(a, ct)).astype(ct, copy=False)
    b = np.asarray(_s(b, ct)).astype(ct, copy=False)
    if np.any(b == 0):
        raise RuntimeError("ZeroDivisionError")
    return a, b


def div(out, a, b, rounding_mode=None):
    ct = compute_dtype(out.dtype)
    if rounding_mode is None:
        np.true_divide(_s(a, ct), _s(b, ct), out=out, dtype=ct, casting="unsafe")
    elif ct.kind in "iu":
        a, b = _int_operands(a, b, ct)
        if rounding_mode == "floor":
            np.floor_divide(a, b, out=out, casting="unsafe")
        else:
            q, r = np.divmod(a, b)
            # floor -> trunc: one up where the quotient is negative and inexact.
            np.add(q, (r != 0) & ((a < 0) != (b < 0)), out=out, casting="unsafe")
    elif rounding_mode == "floor":
        # numpy's floor_divide is Python's (fmod-based) floor division, as PyTorch's.
        np.floor_divide(_s(a, ct), _s(b, ct), out=out, dtype=ct, casting="unsafe")
    else:
        np.trunc(np.true_divide(_s(a, ct), _s(b, ct), dtype=ct), out=out, casting="unsafe")


def _modulo(uf):
    def impl(out, a, b):
        ct = compute_dtype(out.dtype)
        if ct.kind in "iu":
            a, b = _int_operands(a, b, ct)
        uf(_s(a, ct), _s(b, ct), out=out, dtype=ct, casting="unsafe")
    return impl


def pow(out, a, b):
    if out.dtype == np.bool_:  # bool tensor ** bool number
        np.logical_or(a, not b, out=out)
        return
    ct = compute_dtype(out.dtype)
    a, b = _s(a, ct), _s(b, ct)
    if ct.kind not in "iu":
        np.power(a, b, out=out, dtype=ct, casting="unsafe")
        return
    a = np.asarray(a).astype(ct, copy=False)
    b = np.asarray(b).astype(ct, copy=False)
    neg = b < 0
    if not np.any(neg):
        np.power(a, b, out=out, casting="unsafe")
        return
    # Negative integer exponents (elementwise, from a tensor): 1 for base 1, +-1 for base -1,
    # else 0 -- PyTorch's integer pow.
    r = np.power(a, np.where(neg, 0, b))
    if ct.kind == "i":
        special = np.where(a == 1, 1, np.where(a == -1, np.where(b % 2 == 0, 1, -1), 0))
    else:
        special = a == 1
    np.copyto(out, np.where(neg, special, r), casting="unsafe")


def _shift(uf):
    def impl(out, a, b):
        uf(_s(a, out.dtype), _s(b, out.dtype), out=out, dtype=out.dtype, casting="unsafe")
    return impl


# ---- ternary ---------------------------------------------------------------------------------------
def _where(out, cond, a, b):
    a, b = (v.astype(out.dtype, copy=False) if isinstance(v, np.ndarray) else _s(v, out.dtype) for v in (a, b))
    np.copyto(out, where(cond, a, b), casting="unsafe")


def lerp(out, a, b, w):
    ct = compute_dtype(out.dtype)
    a, b, w = _up(a), _up(b), _s(w, ct)
    d = np.subtract(b, a, dtype=ct)
    # PyTorch's formulation: exact at w == 1 and stable on both halves of [0, 1].
    r = where(np.abs(w) < 0.5, a + w * d, b - d * (1 - w))
    np.copyto(out, r, casting="unsafe")


def clamp(out, x, lo, hi):
    ct = compute_dtype(out.dtype)
    r = _up(x).astype(ct, copy=False)
    if lo is not None:
        r = np.maximum(r, _s(lo, ct), dtype=ct, casting="unsafe")
    if hi is not None:
        r = np.minimum(r, _s(hi, ct), dtype=ct, casting="unsafe")
    np.copyto(out, r, casting="unsafe")


# ---- casts and copies -------------------------------------------------------------------------------
def assign(out, x):
    """``out[...] = x`` with C-style conversion; bfloat16 goes through float32/float64."""
    if isinstance(x, np.ndarray) and (x.dtype == _BF16) != (out.dtype == _BF16):
        x = x.astype(_F32) if x.dtype == _BF16 else x.astype(_F64)
    np.copyto(out, x, casting="unsafe")


def to_copy(out, x, dtype=None):
    assign(out, x)


def copy_(out, dst, src):
    assign(out, src)


def clone(out, x):
    np.copyto(out, x)


IMPLS = {
    "add": _add_like(np.add), "sub": _add_like(np.subtract), "mul": _ufunc2(np.multiply), "div": div,
    "remainder": _modulo(np.remainder), "fmod": _modulo(np.fmod), "pow": pow,
    "maximum": _ufunc2(np.maximum), "minimum": _ufunc2(np.minimum), "fmax": _ufunc2(np.fmax),
    "fmin": _ufunc2(np.fmin), "atan2": _ufunc2(np.arctan2), "hypot": _ufunc2(np.hypot),
    "eq": _cmp(np.equal), "ne": _cmp(np.not_equal), "lt": _cmp(np.less), "le": _cmp(np.less_equal),
    "gt": _cmp(np.greater), "ge": _cmp(np.greater_equal),
    "logical_and": _cmp(np.logical_and), "logical_or": _cmp(np.logical_or), "logical_xor": _cmp(np.logical_xor),
    "bitwise_and": _ufunc2(np.bitwise_and), "bitwise_or": _ufunc2(np.bitwise_or),
    "bitwise_xor": _ufunc2(np.bitwise_xor),
    "bitwise_left_shift": _shift(np.left_shift), "bitwise_right_shift": _shift(np.right_shift),
    "where": _where, "lerp": lerp, "clamp": clamp,
    "to_copy": to_copy, "copy_": copy_, "clone": clone,
}
IMPLS.update(UNARY_IMPLS)
