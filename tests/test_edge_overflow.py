"""Python numbers out of range for an op's tensors (issue 12 item 5): ints of 64 bits or more,
values an integer or half result cannot hold, inf/NaN into integers.  Each case runs on PyTorch
2.13 and on tritorch (cpu and cuda): the same result, or the same exception class and message --
never an overflow inside numpy or a kernel."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import tritorch as tt
import tritorch.nn.functional as ttF

_DT = {"int64": ([1, 2, 3], "int64"), "int32": ([1, 2, 3], "int32"), "uint8": ([1, 2, 3], "uint8"),
       "float32": ([1.0, -2.0, 3.0], "float32"), "float16": ([1.0, -2.0, 3.0], "float16"),
       "bool": ([True, False, True], "bool")}


_OVERFLOW_TEXT = ("value cannot be converted", "Overflow", "int too big", "can't convert negative int",
                  "Promotion for uint")


def _same(ours, theirs):
    """Run ``theirs()`` on torch and ``ours()`` on tritorch: equal values, or the same exception
    class (and, for the overflow errors this file is about, the same message)."""
    try:
        want = theirs()
    except Exception as e:  # noqa: BLE001 -- PyTorch's error is the oracle
        with pytest.raises(type(e)) as got:
            ours()
        if any(str(e).startswith(p) for p in _OVERFLOW_TEXT):
            assert str(got.value) == str(e)
        return
    got = ours()
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    if want.dtype.is_floating_point:  # (values well inside the range: a kernel may differ by an ulp)
        np.testing.assert_allclose(got.cpu().numpy().astype(np.float64), want.double().numpy(), rtol=1e-3)
    else:
        np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())


def _pair(device, dt):
    vals, name = _DT[dt]
    return tt.tensor(vals, dtype=getattr(tt, name), device=device), torch.tensor(vals, dtype=getattr(torch, name))


BIG = [2 ** 63, 2 ** 64, -2 ** 63 - 1, 2 ** 63 - 1, 2 ** 31, 2 ** 70, math.inf, math.nan, 1e20, 1e300, 300, -300]
BINARY = {
    "add": lambda m, x, v: m.add(x, v), "sub": lambda m, x, v: m.sub(x, v), "mul": lambda m, x, v: m.mul(x, v),
    "remainder": lambda m, x, v: m.remainder(x, v), "rremainder": lambda m, x, v: m.remainder(v, x),
    "floor_divide": lambda m, x, v: m.floor_divide(x, v), "fmod": lambda m, x, v: m.fmod(x, v),
    "bitwise_and": lambda m, x, v: m.bitwise_and(x, v), "bitwise_or": lambda m, x, v: m.bitwise_or(x, v),
    "bitwise_xor": lambda m, x, v: m.bitwise_xor(x, v), "lshift": lambda m, x, v: x << v,
    "rshift": lambda m, x, v: x >> v, "eq": lambda m, x, v: m.eq(x, v), "pow": lambda m, x, v: m.pow(x, v),
    "rpow": lambda m, x, v: m.pow(v, x), "where": lambda m, x, v: m.where(x == x, x, v),
}


@pytest.mark.parametrize("v", [2 ** 63, 2 ** 64, 2 ** 31, math.inf, 1e300], ids=str)
@pytest.mark.parametrize("dt", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("op", list(BINARY))
def test_binary_op_with_huge_scalar_like_torch(device, op, dt, v):
    x, xt = _pair(device, dt)
    f = BINARY[op]
    _same(lambda: f(tt, x, v), lambda: f(torch, xt, v))


@pytest.mark.parametrize("v", BIG, ids=str)
@pytest.mark.parametrize("dt", ["int64", "int32", "uint8", "float32", "float16"])
@pytest.mark.parametrize("form", ["add", "sub", "add_", "sub_"])
def test_add_sub_alpha_must_fit_the_result_type(device, form, dt, v):
    x, xt = _pair(device, dt)

    def run(m, t):
        if form.endswith("_"):
            return getattr(t.clone(), form)(t, alpha=v)
        return getattr(m, form)(t, 2, alpha=v)
    _same(lambda: run(tt, x), lambda: run(torch, xt))


@pytest.mark.parametrize("v", [2 ** 63, 2 ** 64, 2 ** 31, math.inf, 1e20], ids=str)
@pytest.mark.parametrize("dt", ["int64", "int32", "uint8", "float32"])
def test_inplace_add_with_huge_scalar(device, dt, v):
    x, xt = _pair(device, dt)
    _same(lambda: x.clone().add_(v), lambda: xt.clone().add_(v))


@pytest.mark.parametrize("v", BIG, ids=str)
@pytest.mark.parametrize("dt", list(_DT))
def test_setitem_huge_number(device, dt, v):
    x, xt = _pair(device, dt)

    def run(t):
        t = t.clone()
        t[0] = v
        return t
    _same(lambda: run(x), lambda: run(xt))


def test_setitem_2_to_70_is_a_value_error(device):
    x = tt.zeros(3, dtype=tt.int64, device=device)
    with pytest.raises(ValueError, match="^Overflow when unpacking long long$"):
        x[0] = 2 ** 70
    assert x.tolist() == [0, 0, 0]


@pytest.mark.parametrize("v", [2 ** 64, -2 ** 63 - 1, 2 ** 63, 1e300, 70000.0, math.inf], ids=str)
@pytest.mark.parametrize("dt", ["float32", "float16", "int64"])
@pytest.mark.parametrize("fn", ["leaky_relu", "elu", "celu", "softplus", "hardtanh", "threshold"])
def test_activation_parameters_must_fit(device, fn, dt, v):
    x, xt = _pair(device, dt)
    calls = {"leaky_relu": lambda Fm, t: Fm.leaky_relu(t, negative_slope=v), "elu": lambda Fm, t: Fm.elu(t, alpha=v),
             "celu": lambda Fm, t: Fm.celu(t, alpha=v), "softplus": lambda Fm, t: Fm.softplus(t, beta=v),
             "hardtanh": lambda Fm, t: Fm.hardtanh(t, -1, v), "threshold": lambda Fm, t: Fm.threshold(t, 1, v)}
    _same(lambda: calls[fn](ttF, x), lambda: calls[fn](F, xt))


@pytest.mark.parametrize("v", [2 ** 63, 2 ** 64, 2 ** 31, math.inf, math.nan, 1e300, 300], ids=str)
@pytest.mark.parametrize("dt", ["int64", "int32", "uint8", "float32", "float16", "bool"])
def test_addcmul_value_must_fit(device, dt, v):
    x, xt = _pair(device, dt)
    _same(lambda: tt.addcmul(x, x, x, value=v), lambda: torch.addcmul(xt, xt, xt, value=v))


@pytest.mark.parametrize("v", [2 ** 64, 1e300, math.inf, 0.5], ids=str)
@pytest.mark.parametrize("dt", ["float32", "float16"])
def test_lerp_and_addcdiv_scalars_must_fit(device, dt, v):
    x, xt = _pair(device, dt)
    _same(lambda: tt.lerp(x, x * 2, v), lambda: torch.lerp(xt, xt * 2, v))
    _same(lambda: tt.addcdiv(x, x, x, value=v), lambda: torch.addcdiv(xt, xt, xt, value=v))


@pytest.mark.parametrize("v", [2 ** 64, 2 ** 63, 1e300], ids=str)
@pytest.mark.parametrize("dt", ["int64", "float32", "bool"])
def test_fill_and_masked_fill_overflow_error_classes(device, dt, v):
    x, xt = _pair(device, dt)
    _same(lambda: x.clone().fill_(v), lambda: xt.clone().fill_(v))
    _same(lambda: x.masked_fill(x == x, v), lambda: xt.masked_fill(xt == xt, v))


def test_uint64_scalar_wraps_like_torch(device):
    """2**63 <= v < 2**64 is PyTorch's uint64 Scalar: integer tensors see its bits, floats its value."""
    x = tt.tensor([1, 2, 3], device=device)
    assert (x + 2 ** 63).tolist() == (torch.tensor([1, 2, 3]) + 2 ** 63).tolist()
    assert (x.float() + 2 ** 63).tolist() == [2.0 ** 63] * 3
    with pytest.raises(RuntimeError, match="Promotion for uint16, uint32, uint64 types is not supported"):
        tt.tensor([True], device=device) + 2 ** 63
