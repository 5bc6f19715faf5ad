"""Regression tests for issue 12 (items 4-7, 9): scalar range checks, size checks, cpu
out-of-memory, arange/logspace integer rules, wide Python ints in tensor() and arithmetic."""
import math

import pytest
import torch

import tritorch as tt
import tritorch.nn.functional as F

OVF = "value cannot be converted to type {} without overflow"


def _same_error(fn_tt, fn_torch, device):
    with pytest.raises(Exception) as et:
        fn_torch()
    with pytest.raises(type(et.value)) as e:
        fn_tt(device)
    assert str(e.value).splitlines()[0] == str(et.value).splitlines()[0]


# ---- item 5: unchecked conversions to integer types -------------------------------------------
def test_item5_tensor_2_pow_63_overflows(device):
    for data in (2 ** 63, [1, 2 ** 63], [True, 2 ** 70], -2 ** 63 - 1):
        _same_error(lambda d: tt.tensor(data, device=d), lambda: torch.tensor(data), device)
    _same_error(lambda d: tt.tensor(2 ** 63, dtype=tt.uint8, device=d),
                lambda: torch.tensor(2 ** 63, dtype=torch.uint8), device)


def test_item5_tensor_wide_int_with_float_is_float(device):
    for data in ([0.1, 2 ** 70], [2 ** 70, 0.1], [1, 2.0 ** 70]):
        x, t = tt.tensor(data, device=device), torch.tensor(data)
        assert x.dtype is tt.float32 and x.tolist() == t.tolist()
    x = tt.tensor([1, 2 ** 63], dtype=tt.float64, device=device)
    assert x.tolist() == [1.0, 2.0 ** 63]
    assert tt.tensor(2 ** 70, dtype=tt.bool, device=device).item() is True


@pytest.mark.parametrize("data,dt", [(300, "uint8"), (-300, "uint8"), (300, "int8"), (1.5e10, "int32"),
                                     ([1e30], "int16"), (float("nan"), "int64"), ([2 ** 40], "int32")])
def test_item5_tensor_explicit_int_dtype_overflows(device, data, dt):
    _same_error(lambda d: tt.tensor(data, dtype=getattr(tt, dt), device=d),
                lambda: torch.tensor(data, dtype=getattr(torch, dt)), device)


def test_item5_tensor_in_range_conversions(device):
    assert tt.tensor(-1, dtype=tt.uint8, device=device).item() == 255
    assert tt.tensor(3.7, dtype=tt.uint8, device=device).item() == 3
    assert math.isinf(tt.tensor(1e10, dtype=tt.float16, device=device).item())


def test_item5_pad_nan_into_int64(device):
    _same_error(lambda d: F.pad(tt.arange(3, device=d), (1, 1), value=float("nan")),
                lambda: torch.nn.functional.pad(torch.arange(3), (1, 1), value=float("nan")), device)
    _same_error(lambda d: F.pad(tt.arange(3, dtype=tt.uint8, device=d), (1, 1), value=300),
                lambda: torch.nn.functional.pad(torch.arange(3, dtype=torch.uint8), (1, 1), value=300), device)


def test_item5_masked_fill_int64_1e30(device):
    m = [True, False, True]
    _same_error(lambda d: tt.arange(3, device=d).masked_fill(tt.tensor(m, device=d), 1e30),
                lambda: torch.arange(3).masked_fill(torch.tensor(m), 1e30), device)
    _same_error(lambda d: tt.arange(3, device=d).masked_fill(tt.tensor(m, device=d), tt.tensor(1e30, device=d)),
                lambda: torch.arange(3).masked_fill(torch.tensor(m), torch.tensor(1e30)), device)
    assert tt.arange(3, device=device).masked_fill(tt.tensor(m, device=device), 2.5).tolist() == [2, 1, 2]


def test_item5_linspace_inf_into_int64(device):
    _same_error(lambda d: tt.linspace(float("inf"), 10, 2, dtype=tt.int64, device=d),
                lambda: torch.linspace(float("inf"), 10, 2, dtype=torch.int64), device)
    _same_error(lambda d: tt.linspace(0, 1e40, 2, dtype=tt.float32, device=d),
                lambda: torch.linspace(0, 1e40, 2, dtype=torch.float32), device)
    assert tt.linspace(0, 1e40, 1, device=device).tolist() == [0.0]


def test_item5_clamp_uint8_max_2_pow_40(device):
    x, t = tt.tensor([1, 2], dtype=tt.uint8, device=device), torch.tensor([1, 2], dtype=torch.uint8)
    _same_error(lambda d: x.clamp(max=2 ** 40), lambda: t.clamp(max=2 ** 40), device)
    _same_error(lambda d: tt.tensor([1., 2.], device=d).clamp(max=1e300),
                lambda: torch.tensor([1., 2.]).clamp(max=1e300), device)
    assert x.clamp(min=-1).tolist() == t.clamp(min=-1).tolist()
    assert tt.tensor([1, 2], device=device).clamp(max=1e30).tolist() == [1.0, 2.0]


def test_item5_full_and_fill_overflow(device):
    _same_error(lambda d: tt.full((2,), 2 ** 63, device=d), lambda: torch.full((2,), 2 ** 63), device)
    _same_error(lambda d: tt.full((2,), 300, dtype=tt.uint8, device=d),
                lambda: torch.full((2,), 300, dtype=torch.uint8), device)
    _same_error(lambda d: tt.arange(3, device=d).fill_(1e30), lambda: torch.arange(3).fill_(1e30), device)


# ---- item 4 (arange / logspace with integer dtypes) --------------------------------------------
@pytest.mark.parametrize("args,dt", [((1, 2.5), "int32"), ((1, 2.5), "int64"), ((1, 2.5), "int16"),
                                     ((0.5, 3.7, 1.2), "int32"), ((-0.5, 3.7, 1.2), "int16"),
                                     ((0, 10, 0.5), "int32"), ((5, 0, -0.5), "int32"), ((0, 300, 1.5), "int8")])
def test_item4_arange_int_dtype_like_torch(device, args, dt):
    x = tt.arange(*args, dtype=getattr(tt, dt), device=device)
    assert x.tolist() == torch.arange(*args, dtype=getattr(torch, dt)).tolist()


@pytest.mark.parametrize("dt", ["int64", "int32", "uint8", "float32", "float64"])
def test_item4_logspace_int_dtype_truncates_ends(device, dt):
    x = tt.logspace(0, 2.5, 5, dtype=getattr(tt, dt), device=device)
    t = torch.logspace(0, 2.5, 5, dtype=getattr(torch, dt))
    assert x.tolist() == pytest.approx(t.tolist(), rel=1e-6)
    _same_error(lambda d: tt.logspace(float("inf"), 2, 3, dtype=tt.int64, device=d),
                lambda: torch.logspace(float("inf"), 2, 3, dtype=torch.int64), device)


# ---- item 9: arange NaN step, full with a 0-d tensor ---------------------------------------------
@pytest.mark.parametrize("args", [(1, 0, float("nan")), (0, float("nan")), (float("nan"), 5), (0, float("inf")),
                                  (0, 1e30), (0, 1e30, 1e29)])
def test_item9_arange_nan_step_int64(device, args):
    _same_error(lambda d: tt.arange(*args, dtype=tt.int64, device=d),
                lambda: torch.arange(*args, dtype=torch.int64), device)


def test_item9_arange_int64_step_truncating_to_zero_is_value_error(device):
    with pytest.raises(ValueError, match="step must be nonzero"):
        tt.arange(0, 10, 0.5, dtype=tt.int64, device=device)


def test_item9_full_with_0d_tensor(device):
    for v in (torch.tensor(3), torch.tensor(3.5, dtype=torch.float64), torch.tensor(True)):
        t = torch.full((), v)
        x = tt.full((), tt.tensor(v.item(), dtype=getattr(tt, str(v.dtype)[6:]), device=device), device=device)
        assert x.dtype.name == str(t.dtype)[6:] and x.item() == t.item()
    _same_error(lambda d: tt.full((), tt.tensor([3], device=d), device=d), lambda: torch.full((), torch.tensor([3])),
                device)


# ---- item 6: cpu/cuda agreement -----------------------------------------------------------------
def test_item6_zeros_stride_overflow_both_devices(device):
    for shape in ([0, 2 ** 62, 2 ** 62], [2 ** 62, 2 ** 62], [2 ** 62, 2 ** 62, 0], [2 ** 61, 4]):
        for fn in ("zeros", "ones", "empty", "rand", "randn"):
            _same_error(lambda d: getattr(tt, fn)(shape, dtype=tt.float32, device=d),
                        lambda: getattr(torch, fn)(shape, dtype=torch.float32), device)
    _same_error(lambda d: tt.randint(0, 10, (2 ** 62, 4), device=d), lambda: torch.randint(0, 10, (2 ** 62, 4)),
                device)
    _same_error(lambda d: tt.full([2 ** 62, 2 ** 62], 1.0, device=d), lambda: torch.full([2 ** 62, 2 ** 62], 1.0),
                device)
    _same_error(lambda d: tt.arange(0, 2 ** 62, device=d), lambda: torch.arange(0, 2 ** 62), device)
    _same_error(lambda d: tt.linspace(0, 1, 2 ** 62, device=d), lambda: torch.linspace(0, 1, 2 ** 62), device)
    _same_error(lambda d: tt.empty_strided((2 ** 62,), (1,), device=d),
                lambda: torch.empty_strided((2 ** 62,), (1,)), device)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "lt", "pow"])
def test_item6_add_2_pow_70_overflow_error_both_devices(device, op):
    for dt in ("int64", "float32"):
        for v in (2 ** 70, -2 ** 63 - 1):
            _same_error(lambda d: getattr(tt.arange(3, dtype=getattr(tt, dt), device=d), op)(v),
                        lambda: getattr(torch.arange(3, dtype=getattr(torch, dt)), op)(v), device)
    _same_error(lambda d: tt.arange(3, device=d).add(1, alpha=2 ** 70), lambda: torch.arange(3).add(1, alpha=2 ** 70),
                device)
    _same_error(lambda d: tt.arange(3, device=d).clamp(min=2 ** 70), lambda: torch.arange(3).clamp(min=2 ** 70), device)


# ---- item 7: huge sizes, out of memory ----------------------------------------------------------
def test_item7_huge_sizes_raise_torch_errors(device):
    _same_error(lambda d: tt.eye(2 ** 40, device=d), lambda: torch.eye(2 ** 40), device)
    _same_error(lambda d: tt.eye(2 ** 20, 2 ** 44, device=d), lambda: torch.eye(2 ** 20, 2 ** 44), device)
    for fn in ("ones", "zeros", "empty"):
        with pytest.raises(TypeError, match="Overflow when unpacking long long"):
            getattr(tt, fn)([4, 0, 2 ** 63], device=device)
    for fn in ("ones", "empty", "rand", "randn"):
        _same_error(lambda d: getattr(tt, fn)(2, -3, device=d), lambda: getattr(torch, fn)(2, -3), device)
    _same_error(lambda d: tt.randperm(-1, device=d), lambda: torch.randperm(-1), device)


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty", "randn", "rand", "eye"])
def test_item7_out_of_memory_is_runtime_error(device, fn):
    dt = tt.float16 if fn in ("randn", "rand") else tt.uint8
    with pytest.raises(RuntimeError) as e:
        getattr(tt, fn)(2 ** 40, dtype=dt, device=device)
    assert isinstance(e.value, tt.OutOfMemoryError) or "numel" in str(e.value)
    if fn != "eye":
        n = 2 ** 40 * dt.itemsize
        assert f"{n} bytes" in str(e.value) or f"{n / 2 ** 30:.2f} GiB" in str(e.value)


def test_item7_creation_ops_fill_in_place_cpu():
    """Chunked fills give the same values as whole-array numpy formulas."""
    x = tt.arange(200000, dtype=tt.float32)
    assert x.tolist() == torch.arange(200000, dtype=torch.float32).tolist()
    y = tt.linspace(-3.3, 5.1, 150001, dtype=tt.float64)
    t = torch.linspace(-3.3, 5.1, 150001, dtype=torch.float64)
    assert (torch.tensor(y.tolist(), dtype=torch.float64) - t).abs().max().item() < 1e-12
    assert tt.arange(5, 400000, 3).tolist() == list(range(5, 400000, 3))
    z = tt.randn(300000, generator=tt.Generator().manual_seed(3))
    assert abs(z.mean().item()) < 0.01 and abs(z.std().item() - 1) < 0.01


# ---- found by the fuzz harness (tests/fuzz) ------------------------------------------------------

def test_masked_fill_wraps_negative_values_into_unsigned(device):
    x = tt.tensor([0, 3], dtype=tt.uint8, device=device)
    m = tt.tensor([True, False], device=device)
    expect = torch.masked_fill(torch.tensor([0, 3], dtype=torch.uint8), torch.tensor([True, False]), -2)
    assert tt.masked_fill(x, m, -2).tolist() == expect.tolist() == [254, 3]


@pytest.mark.parametrize("data", ["a", ["a"], [1, "a"]])
def test_tensor_of_strings_is_a_type_error(data):
    with pytest.raises(TypeError, match="new\\(\\): invalid data type 'str'"):
        tt.tensor(data, dtype=tt.int64)


# ---- issue 12 (fuzz follow-up): argument types and linspace/logspace values --------------------
def _same_exc_type(fn_tt, fn_torch, device):
    with pytest.raises(Exception) as et:
        fn_torch()
    with pytest.raises(type(et.value)):
        fn_tt(device)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_sizeless_creation_is_a_type_error(name, device):
    _same_exc_type(lambda d: getattr(tt, name)(device=d), lambda: getattr(torch, name)(), device)
    assert getattr(tt, name)((), device=device).shape == ()  # a 0-d size is spelled ()


@pytest.mark.parametrize("call", [
    lambda L, d: L.eye(2.0, device=d), lambda L, d: L.eye(2, 2.0, device=d), lambda L, d: L.eye(True, device=d),
    lambda L, d: L.eye(2, None, device=d), lambda L, d: L.arange(1, None, 2, device=d),
    lambda L, d: L.arange(0, 5, None, device=d), lambda L, d: L.arange("a", device=d),
    lambda L, d: L.linspace(None, 1, -1, device=d), lambda L, d: L.linspace(0, 1, 2.0, device=d),
    lambda L, d: L.linspace(0, 1, True, device=d), lambda L, d: L.logspace(0, 1, 2.0, device=d),
    lambda L, d: L.logspace(0, 1, 3, None, device=d), lambda L, d: L.tensor(None, device=d),
    lambda L, d: L.tensor([1, None], device=d), lambda L, d: L.tensor(None, dtype=L.float32, device=d),
    lambda L, d: L.linspace(0, 1, 3, dtype=L.bool, device=d), lambda L, d: L.logspace(0, 1, 3, dtype=L.bool, device=d),
])
def test_range_and_tensor_argument_errors_match_torch(call, device):
    _same_exc_type(lambda d: call(tt, d), lambda: call(torch, "cpu"), device)


def test_range_arguments_that_torch_accepts(device):
    import numpy as np
    assert tt.eye(np.int64(2), device=device).tolist() == torch.eye(2).tolist()
    assert tt.linspace(0, 1, tt.tensor(3), device=device).tolist() == [0.0, 0.5, 1.0]
    assert tt.arange(end=3, device=device).tolist() == [0, 1, 2]
    assert tt.linspace(0, 1, 1, dtype=tt.bool, device=device).tolist() == [False]


_LIN_ENDS = [0, 1, -1, 1.5, -1.5, 2.5, -2.5, 0.3, -0.7, 10, -10, 100.25, -77.9, 255, 1 / 3]


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "float32", "float64", "float16",
                                   "bfloat16"])
def test_linspace_values_bit_exact(dtype, device):
    """PyTorch's kernel: integer dtypes truncate the ends first and step in double between them
    (``linspace(-1.5, 0, 5, dtype=int32)`` is [-1, 0, 0, 0, 0]); each value is one fma."""
    import random
    rng = random.Random(dtype)
    cases = [(-1.5, 0, 5), (0, -1.5, 5), (3, -1, 7), (-10, 1.5, 100), (10, -2.5, 10)]
    cases += [(rng.choice(_LIN_ENDS), rng.choice(_LIN_ENDS), rng.choice([2, 3, 4, 7, 10, 33, 100]))
              for _ in range(12 if device == "cpu" else 4)]
    for a, b, n in cases:
        if dtype == "uint8" and (a < 0 or b < 0) or dtype == "int8" and max(abs(a), abs(b)) > 127:
            continue
        want = torch.linspace(a, b, n, dtype=getattr(torch, dtype)).double().tolist()
        got = tt.linspace(a, b, n, dtype=getattr(tt, dtype), device=device).double().tolist()
        assert got == want, (a, b, n)
    assert tt.linspace(-1.5, 0, 5, dtype=tt.int32, device=device).tolist() == [-1, 0, 0, 0, 0]


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float32", "float64", "float16", "bfloat16"])
def test_logspace_values_match_torch(dtype, device):
    """start/end converted to dtype (truncated, wrapped), values stepped in double without fma."""
    for a, b, n, base in [(-2, 2.5, 7, -2.0), (2.5, -1, 4, -2.0), (1, -1, 33, 3), (0.3, 5.5, 5, 10.0),
                          (5.5, 3, 3, 3), (2.5, 1, 4, 2.0), (-1.5, 1, 1, 1.7), (0, 1, 0, 10.0), (1, 0.3, 5, 0.5)]:
        want = torch.logspace(a, b, n, base, dtype=getattr(torch, dtype)).double()
        got = torch.tensor(tt.logspace(a, b, n, base, dtype=getattr(tt, dtype), device=device).double().tolist(),
                           dtype=torch.float64)
        # the cuda pow kernel is within a few float64 ulps of libm's; the cpu is bit-exact
        tol = dict(rtol=0, atol=0) if device == "cpu" or dtype != "float64" else dict(rtol=1e-14, atol=0)
        torch.testing.assert_close(got, want, equal_nan=True, **tol)
