"""PyTorch type promotion: result dtypes of elementwise ops over operand combinations
(tensor-tensor, tensor-scalar, 0-d tensors, int/float/bool), with torch as the oracle.

Each test walks every combination and asserts the list of mismatches is empty, so one
failure reports all the combinations that differ.
"""
import itertools

import numpy as np
import pytest
import torch

import tritorch as tt

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
SCALARS = [True, 3, -2, 2.5]


def _pair(name, shape=(2, 3), value=None):
    """The same small tensor in torch and tritorch (values 1 and 0/True for bools)."""
    if value is not None:
        a = np.array(value)
    elif name == "bool":
        a = np.array([[True, False, True], [False, True, True]])[: shape[0] if shape else 1]
    else:
        a = np.array([[1, 2, 3], [4, 5, 1]])
    if shape == ():
        a = a.reshape(-1)[0]
    t = torch.tensor(np.asarray(a).tolist(), dtype=getattr(torch, name))
    x = tt.tensor(np.asarray(a).tolist(), dtype=getattr(tt, name))
    return t, x


def _outcome(fn):
    try:
        r = fn()
    except (RuntimeError, TypeError) as e:
        return type(e).__name__ if not isinstance(e, RuntimeError) else "RuntimeError"
    return str(r.dtype).split(".")[-1]


def _compare(op_t, op_x, cases):
    bad = []
    for desc, targs, xargs in cases:
        want = _outcome(lambda: op_t(*targs))
        got = _outcome(lambda: op_x(*xargs))
        if want != got:
            bad.append(f"{desc}: torch {want}, tritorch {got}")
    assert not bad, "\n".join(bad)


def _tensor_tensor_cases():
    for n1, n2 in itertools.product(NAMES, NAMES):
        t1, x1 = _pair(n1)
        t2, x2 = _pair(n2, (1, 3))
        yield f"{n1} x {n2}", (t1, t2), (x1, x2)


def _tensor_scalar_cases():
    for n1, s in itertools.product(NAMES, SCALARS):
        t1, x1 = _pair(n1)
        yield f"{n1} x {s!r}", (t1, s), (x1, s)
        yield f"{s!r} x {n1}", (s, t1), (s, x1)


def _zero_dim_cases():
    for n1, n2 in itertools.product(NAMES, NAMES):
        t1, x1 = _pair(n1)
        t0, x0 = _pair(n2, ())
        yield f"{n1} x 0-d {n2}", (t1, t0), (x1, x0)
        yield f"0-d {n2} x {n1}", (t0, t1), (x0, x1)
        s1, y1 = _pair(n1, ())
        yield f"0-d {n1} x 0-d {n2}", (s1, t0), (y1, x0)


ARITH = ["add", "sub", "mul", "div", "floor_divide", "remainder", "pow", "maximum", "minimum", "atan2",
         "eq", "lt", "logical_and", "bitwise_and", "hypot", "fmod", "true_divide", "bitwise_left_shift"]


@pytest.mark.parametrize("op", ARITH)
def test_tensor_tensor(op):
    _compare(getattr(torch, op), getattr(tt, op), _tensor_tensor_cases())


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "floor_divide", "remainder", "pow", "eq", "gt",
                                "bitwise_or", "fmod", "true_divide"])
def test_tensor_scalar(op):
    # Python scalars only raise the category; operators cover the reflected forms.
    _compare(getattr(torch, op), getattr(tt, op), _tensor_scalar_cases())


@pytest.mark.parametrize("op", ["add", "mul", "div", "maximum", "eq", "bitwise_xor"])
def test_zero_dim_tensors(op):
    _compare(getattr(torch, op), getattr(tt, op), _zero_dim_cases())


@pytest.mark.parametrize("sym", ["+", "-", "*", "/", "//", "%", "**", "<", "==", "&", "|", "^", "<<", ">>"])
def test_operators_with_scalars(sym):
    f = eval(f"lambda a, b: a {sym} b")
    _compare(f, f, _tensor_scalar_cases())


def test_named_examples():
    assert (tt.tensor([1, 2]) + 2.5).dtype is tt.float32
    assert (tt.tensor([1], dtype=tt.uint8) + tt.tensor([1], dtype=tt.int8)).dtype is tt.int16
    assert (tt.ones(2, dtype=tt.float16) + tt.ones(2, dtype=tt.float32)).dtype is tt.float32
    assert (tt.ones(2, dtype=tt.float16) + tt.tensor(1.0, dtype=tt.float64)).dtype is tt.float16
    assert (tt.tensor([True]) + tt.tensor([True])).dtype is tt.bool
    assert (tt.tensor([1, 2]) / tt.tensor([2, 2])).dtype is tt.float32
    assert (tt.tensor([1], dtype=tt.int8) + 1000).dtype is tt.int8
    assert (tt.ones(2, dtype=tt.bfloat16) + tt.ones(2, dtype=tt.float16)).dtype is tt.float32


def test_default_dtype_changes_float_scalars():
    prev = tt.get_default_dtype()
    try:
        tt.set_default_dtype(tt.float64)
        assert (tt.tensor([1, 2]) * 0.5).dtype is tt.float64
        assert (tt.tensor([1, 2]) / 2).dtype is tt.float64
        assert tt.tensor([1.5]).dtype is tt.float64
    finally:
        tt.set_default_dtype(prev)


@pytest.mark.parametrize("op", ["sigmoid", "exp", "sqrt", "sin", "log1p", "reciprocal", "erf", "abs", "neg",
                                "floor", "round", "square", "sign", "frac", "isnan", "logical_not",
                                "bitwise_not", "nan_to_num", "trunc", "rsqrt", "expm1"])
def test_unary_result_dtypes(op):
    cases = [(n, (_pair(n)[0],), (_pair(n)[1],)) for n in NAMES]
    _compare(getattr(torch, op), getattr(tt, op), cases)


def test_where_clamp_lerp_dtypes():
    cases = []
    for n1, n2 in itertools.product(NAMES, NAMES):
        t1, x1 = _pair(n1)
        t2, x2 = _pair(n2, (1, 3))
        tc, xc = _pair("bool")
        cases.append((f"where {n1} {n2}", (tc, t1, t2), (xc, x1, x2)))
    for n1, s in itertools.product(NAMES, SCALARS):
        t1, x1 = _pair(n1)
        tc, xc = _pair("bool")
        cases.append((f"where {n1} {s!r}", (tc, t1, s), (xc, x1, s)))
        cases.append((f"where {s!r} {n1}", (tc, s, t1), (xc, s, x1)))
    _compare(torch.where, tt.where, cases)
    ccases = [(f"clamp {n} {lo!r}", (_pair(n)[0], lo), (_pair(n)[1], lo)) for n in NAMES for lo in (1, 1.5)]
    _compare(torch.clamp, tt.clamp, ccases)


def _inplace_outcome(lib, name, n1, other):
    t = (torch if lib is torch else tt).tensor([1, 2], dtype=getattr(lib, n1))
    try:
        getattr(t, name)(other)
    except RuntimeError as e:
        return "error" if "can't be cast" in str(e) or "not supported" in str(e) or "not implemented" in str(e) \
            else f"other error: {e}"
    return str(t.dtype).split(".")[-1]


@pytest.mark.parametrize("name", ["add_", "mul_", "div_", "sub_"])
def test_inplace_result_type_check(name):
    bad = []
    for n1, s in itertools.product(NAMES, (2, 2.5, True)):
        want = _inplace_outcome(torch, name, n1, s)
        got = _inplace_outcome(tt, name, n1, s)
        if want != got:
            bad.append(f"{n1}.{name}({s!r}): torch {want}, tritorch {got}")
    for n1, n2 in itertools.product(NAMES, NAMES):
        want = _inplace_outcome(torch, name, n1, torch.tensor([1, 1], dtype=getattr(torch, n2)))
        got = _inplace_outcome(tt, name, n1, tt.tensor([1, 1], dtype=getattr(tt, n2)))
        if want != got:
            bad.append(f"{n1}.{name}({n2}): torch {want}, tritorch {got}")
    assert not bad, "\n".join(bad)


def test_inplace_result_type_message():
    x = tt.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type .*[Ff]loat.* can't be cast to the desired output type "
                                           ".*([Ll]ong|int64)"):
        x.add_(1.5)
    assert x.tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        x.div_(2)


def test_result_type_and_promote_types_functions():
    for n1, n2 in itertools.product(NAMES, NAMES):
        a, b = getattr(tt, n1), getattr(tt, n2)
        assert tt.promote_types(a, b).name == str(torch.promote_types(getattr(torch, n1),
                                                                      getattr(torch, n2))).split(".")[-1]
    assert tt.result_type(tt.tensor([1]), 1.0) is tt.float32
    assert tt.result_type(tt.tensor([1], dtype=tt.uint8), -1) is tt.uint8
