"""The cuda elementwise kernels against the cpu fallback on identical inputs: special values,
views in and out (strided, transposed, broadcast, offset), ``out=`` into strided views,
in-place ops on views, every dtype, Python-number operands, comparison promotion, integer
division by zero and mixed-device errors.  Runs on a GPU or in Triton's interpreter; shapes
are tiny because the interpreter pays per launch."""
import math

import ml_dtypes
import numpy as np
import pytest

import tritorch as tt
from tests.conftest import DEVICES

pytestmark = [pytest.mark.skipif("cuda" not in DEVICES, reason="no cuda device (GPU or interpreter)"),
              # inf/nan results are values; the interpreter's numpy warns about them.
              pytest.mark.filterwarnings("ignore::RuntimeWarning")]

SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -0.5, 2.0, -2.5, 3.0, 1e-300, 5e-324,
                    1e300, -1e20, 7.0, 0.3])
_rng = np.random.default_rng(5)


def _pair(a, dtype=None):
    """The same values as a cpu tensor and a cuda tensor."""
    c = tt.tensor(a, dtype=dtype)
    return c, tt.tensor(a, dtype=dtype, device="cuda")


def _same(got, exp, rtol=0.0):
    """cuda result ``got`` equals cpu result ``exp``: dtype, shape, NaN positions, values (bit
    for bit, sign of zero included, unless ``rtol``)."""
    assert got.device.type == "cuda" and exp.device.type == "cpu"
    assert got.dtype is exp.dtype and tuple(got.shape) == tuple(exp.shape)
    g, e = got.cpu().numpy(), exp.numpy()
    if g.dtype.kind not in "fV":
        np.testing.assert_array_equal(g, e)
        return
    g, e = g.astype(np.float64), e.astype(np.float64)
    np.testing.assert_array_equal(np.isnan(g), np.isnan(e))
    if rtol:
        np.testing.assert_allclose(g, e, rtol=rtol, atol=0, equal_nan=True)
    else:
        np.testing.assert_array_equal(g, e)
        num = ~np.isnan(e)
        np.testing.assert_array_equal(np.signbit(g[num]), np.signbit(e[num]))


# ---- special values ----------------------------------------------------------------------------------
_BINARY = {  # name: (fn, float64 rtol; 0 = bit-exact with the cpu)
    "fmod": (tt.fmod, 0), "remainder": (tt.remainder, 0), "div": (tt.div, 0),
    "floor_divide": (lambda a, b: tt.div(a, b, rounding_mode="floor"), 0),
    "trunc_divide": (lambda a, b: tt.div(a, b, rounding_mode="trunc"), 0),
    "maximum": (tt.maximum, 0), "minimum": (tt.minimum, 0), "fmax": (tt.fmax, 0), "fmin": (tt.fmin, 0),
    "pow": (tt.pow, 1e-13), "atan2": (tt.atan2, 1e-15), "hypot": (tt.hypot, 1e-15),
}


@pytest.mark.parametrize("name", list(_BINARY))
@pytest.mark.parametrize("dtype", [tt.float64, tt.float32], ids=lambda d: d.name)
def test_binary_special_values_match_cpu(name, dtype):
    fn, rtol = _BINARY[name]
    a, b = np.meshgrid(SPECIAL, SPECIAL)
    (ac, ag), (bc, bg) = _pair(a, dtype), _pair(b, dtype)
    if dtype is tt.float32 and name in ("maximum", "minimum"):
        # +-0 ties: numpy keeps the first operand, the GPU's max orders -0 < +0.
        keep = (a != 0) | (b != 0)
        got, exp = fn(ag, bg).cpu().numpy()[keep], fn(ac, bc).numpy()[keep]
        np.testing.assert_array_equal(got, exp)
        return
    _same(fn(ag, bg), fn(ac, bc), 5e-7 if dtype is tt.float32 and rtol else rtol)


_UNARY = ["neg", "abs", "sign", "reciprocal", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
          "rsqrt", "square", "sin", "cos", "tan", "tanh", "sigmoid", "asin", "acos", "atan", "sinh", "cosh", "asinh",
          "acosh", "atanh", "floor", "ceil", "trunc", "round", "frac", "erf", "erfc", "erfinv", "isnan", "isinf",
          "isfinite", "logical_not", "nan_to_num"]


def test_unary_float64_values_match_cpu():
    """Every unary op in float64 on specials, tiny, huge and ordinary values, to a few ulps (the
    composed functions: expm1, log1p, atan, asinh, erf, erfinv ... keep full precision)."""
    x = np.concatenate([SPECIAL, -SPECIAL[5:], [1e-10, -3e-8, 0.99999, -0.999999999, 1.5, 20.0, 700.0, 710.0, 1e5],
                        _rng.uniform(-4, 4, 20), np.exp(_rng.uniform(-40, 40, 20))])
    xc, xg = _pair(x)
    for name in _UNARY:
        exact = name in ("neg", "abs", "sign", "square", "floor", "ceil", "trunc", "round", "frac", "isnan", "isinf",
                         "isfinite", "logical_not", "nan_to_num", "sqrt", "reciprocal", "rsqrt", "erf", "erfc")
        _same(getattr(tt, name)(xg), getattr(tt, name)(xc), 0 if exact else 2e-15)


def test_erf_family_float64_against_math():
    x = np.array([-3.0, -0.7, -1e-9, 0.2, 0.49, 0.5, 1.3, 4.0, 4.5, 6.0, 27.0])
    xg = tt.tensor(x, device="cuda")
    np.testing.assert_allclose(tt.erf(xg).cpu().numpy(), [math.erf(v) for v in x], rtol=1e-15, atol=0)
    np.testing.assert_allclose(tt.erfc(xg).cpu().numpy(), [math.erfc(v) for v in x], rtol=2e-14, atol=0)
    y = np.array([-0.999999, -0.5, 1e-12, 0.3, 0.9, 0.99999999])
    r = tt.erfinv(tt.tensor(y, device="cuda")).cpu().numpy()
    np.testing.assert_allclose([math.erf(v) for v in r], y, rtol=4e-16, atol=0)


def test_unary_float32_and_half_types_match_cpu():
    x = np.concatenate([SPECIAL[:12], _rng.uniform(-3, 3, 12)])
    for dtype, rtol in ((tt.float32, 2e-6), (tt.float16, 2e-3), (tt.bfloat16, 1.6e-2)):
        xc, xg = _pair(x, dtype)
        for name in ("exp", "log1p", "tanh", "sigmoid", "atan", "erfinv", "round", "sign", "nan_to_num", "isinf"):
            _same(getattr(tt, name)(xg), getattr(tt, name)(xc), rtol)


# ---- integer semantics -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [tt.int8, tt.uint8, tt.int32, tt.int64], ids=lambda d: d.name)
def test_integer_division_family_matches_cpu(dtype):
    info = np.iinfo(dtype.np)
    a = np.array([7, -7, 0, 5, -5, 3, info.min, info.max, 1, -1]).astype(dtype.np)
    b = np.array([2, 2, 3, -3, -3, 1, -1, 7, -1, 5]).astype(dtype.np)
    (ac, ag), (bc, bg) = _pair(a), _pair(b)
    for fn in (tt.remainder, tt.fmod, lambda x, y: tt.div(x, y, rounding_mode="floor"),
               lambda x, y: tt.div(x, y, rounding_mode="trunc"), tt.div, tt.pow if dtype is not tt.uint8 else tt.mul):
        _same(fn(ag, bg.abs() if fn is tt.pow else bg), fn(ac, bc.abs() if fn is tt.pow else bc))
    _same(tt.remainder(ag, -3), tt.remainder(ac, -3))
    _same(tt.bitwise_left_shift(ag, 3), tt.bitwise_left_shift(ac, 3))


def test_integer_pow_wraps_and_negative_exponents():
    a = np.array([3, -3, 1, -1, -1, 2, 0, 5], dtype=np.int8)
    e = np.array([5, 5, -4, -3, -2, -1, 0, 70], dtype=np.int8)
    (ac, ag), (ec, eg) = _pair(a), _pair(e)
    _same(ag ** eg, ac ** ec)
    assert (ag ** eg).tolist() == [-13, 13, 1, -1, 1, 0, 1, (5 ** 70) % 256 - 256 * ((5 ** 70) % 256 >= 128)]
    big = tt.tensor([3, -2, 7], device="cuda") ** 39
    assert big.tolist() == [(v ** 39 + 2 ** 63) % 2 ** 64 - 2 ** 63 for v in (3, -2, 7)]
    bc, bg = _pair(np.array([True, False]))
    _same(bg ** False, bc ** False)
    _same(bg ** True, bc ** True)


def test_shifts_beyond_bit_width_match_cpu():
    a = np.array([1, -8, 5, -1, 100, 3], dtype=np.int16)
    s = np.array([15, 3, 16, 40, 0, 17], dtype=np.int16)
    (ac, ag), (sc, sg) = _pair(a), _pair(s)
    _same(tt.bitwise_left_shift(ag, sg), tt.bitwise_left_shift(ac, sc))
    _same(tt.bitwise_right_shift(ag, sg), tt.bitwise_right_shift(ac, sc))
    uc, ug = _pair(np.array([255, 1, 128], dtype=np.uint8))
    _same(tt.bitwise_right_shift(ug, 9), tt.bitwise_right_shift(uc, 9))
    _same(~ug, ~uc)


@pytest.mark.parametrize("op", ["remainder", "fmod", "floor", "trunc"])
def test_integer_division_by_zero_raises_like_cpu(op):
    def fn(a, b):
        if op in ("floor", "trunc"):
            return tt.div(a, b, rounding_mode=op)
        return getattr(tt, op)(a, b)
    base = np.array([[4, 5, 6], [7, 8, 9]], dtype=np.int32)
    for dev in ("cpu", "cuda"):
        a = tt.tensor(base, device=dev)
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn(a, tt.tensor([[1, 2, 3], [4, 0, 6]], dtype=tt.int32, device=dev).t().t())
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn(a, tt.tensor([[1, 2], [3, 0], [5, 6]], dtype=tt.int32, device=dev).t())  # strided divisor
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn(a, 0)
        if op != "fmod":  # fmod takes a tensor input
            with pytest.raises(RuntimeError, match="ZeroDivisionError"):
                fn(7, tt.tensor([3, 0, 1], device=dev))
    # A uint8 divisor that wraps to 0 in the compute dtype, and nothing written on error.
    x = tt.tensor([9, 10], dtype=tt.uint8, device="cuda")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        fn(x, 256)
    y = tt.tensor(base, device="cuda")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        getattr(y, "remainder_" if op in ("remainder", "fmod") else "floor_divide_")(
            tt.tensor([1, 0, 1], dtype=tt.int32, device="cuda"))
    assert y.tolist() == base.tolist()
    # Float division by zero is a value, not an error.
    assert tt.fmod(tt.tensor([1.0], device="cuda"), 0.0).isnan().tolist() == [True]


# ---- views, out=, in-place ---------------------------------------------------------------------------
def test_strided_offset_broadcast_inputs_and_strided_out():
    base = _rng.standard_normal((4, 6))
    other = _rng.standard_normal((6, 3))
    (bc, bg), (oc, og) = _pair(base), _pair(other)
    a_c, a_g = bc[1:, ::2], bg[1:, ::2]            # offset 6, strides (6, 2)
    b_c, b_g = oc.t()[1:2], og.t()[1:2]              # (1, 6) transposed row, broadcast over rows
    assert a_g.storage_offset() == 6 and not a_g.is_contiguous()
    _same(a_g * b_g[:, :3] - 0.25, a_c * b_c[:, :3] - 0.25)
    _same(tt.where(a_g > 0, a_g, b_g[:, 1:4]), tt.where(a_c > 0, a_c, b_c[:, 1:4]))
    # out= into a strided view: only the view's elements change.
    big_c, big_g = _pair(np.full((3, 8), 7.0))
    tt.add(a_c, 1.5, out=big_c[:, 1::3])
    tt.add(a_g, 1.5, out=big_g[:, 1::3])
    _same(big_g, big_c)
    # out= of another (castable) dtype and of another shape (resized, as PyTorch).
    o32c, o32g = _pair(np.zeros(3, np.float32))
    tt.mul(bc[0, :3], oc[:3, 0], out=o32c)
    tt.mul(bg[0, :3], og[:3, 0], out=o32g)
    _same(o32g, o32c)
    rc, rg = _pair(np.zeros(2))
    tt.lt(a_c, 0, out=rc)
    tt.lt(a_g, 0, out=rg)
    _same(rg, rc)


def test_inplace_ops_on_views_write_through():
    base = _rng.uniform(-2, 2, (3, 5))
    (bc, bg) = _pair(base)
    for b in (bc, bg):
        v = b[:, 1:4].t()                    # (3, 3) view, strides (1, 5), offset 1
        v.add_(tt.tensor([1.0, 2.0, 3.0], dtype=tt.float64, device=b.device), alpha=2)
        v.mul_(tt.tensor(0.5, device=b.device))
        b[1].clamp_(-0.5, 0.5)
        b[2, ::2].sigmoid_()
        b[0, ::4].lerp_(tt.tensor([4.0, 8.0], dtype=tt.float64, device=b.device), 0.25)
    _same(bg, bc)
    ic, ig = _pair(np.arange(12, dtype=np.int64).reshape(3, 4))
    for i in (ic, ig):
        w = i[:, ::2]
        w //= 3
        w <<= 2
        w ^= 5
    _same(ig, ic)


_DTYPES = [tt.bool, tt.uint8, tt.int8, tt.int16, tt.int32, tt.int64, tt.float16, tt.bfloat16, tt.float32, tt.float64]


@pytest.mark.parametrize("dtype", _DTYPES, ids=lambda d: d.name)
def test_every_dtype_matches_cpu(dtype):
    raw = _rng.uniform(-100, 200, (3, 4))
    x = raw > 50 if dtype is tt.bool else raw.astype(np.float64 if dtype.is_floating_point else np.int64)
    xc, xg = _pair(x, dtype)
    yc, yg = xc.t().contiguous().t(), xg.t().contiguous().t()    # same values, transposed strides
    _same(xg + yg, xc + yc)
    _same(xg * yg[:1], xc * yc[:1])
    _same(tt.maximum(xg[1:], yg[:2]), tt.maximum(xc[1:], yc[:2]))
    _same(xg[:, :2] == yg[:, 2:], xc[:, :2] == yc[:, 2:])
    _same(xg.clone(), xc.clone())
    for target in _DTYPES:
        _same(xg.t().to(target), xc.t().to(target))
    dst_c, dst_g = _pair(np.zeros((4, 6)), tt.bfloat16 if dtype is not tt.bfloat16 else tt.int16)
    dst_c[:, ::2].copy_(xc.t())
    dst_g[:, ::2].copy_(xg.t())
    _same(dst_g, dst_c)


# ---- Python numbers and comparison promotion ---------------------------------------------------------
def test_scalar_operands_wrap_and_keep_precision():
    uc, ug = _pair(np.array([0, 3, 250], dtype=np.uint8))
    for fn in (lambda u: u + (-3), lambda u: u * 300, lambda u: u - 7, lambda u: 2 - u, lambda u: u // 7,
               lambda u: u % 255, lambda u: u & 0x1F1, lambda u: u == -253):
        _same(fn(ug), fn(uc))
    ic, ig = _pair(np.array([-100, 100, 5], dtype=np.int8))
    _same(ig + 200, ic + 200)
    _same(ig < 300, ic < 300)
    _same(ig * 1.5, ic * 1.5)
    fc, fg = _pair(np.array([1.0, 2.0, 1e16]))
    _same(fg + 0.1, fc + 0.1)
    assert (fg + 0.1).tolist() == [1.1, 2.1, 1e16 + 0.1]
    _same(fg * (1 / 3), fc * (1 / 3))
    _same(0.1 / fg, 0.1 / fc)
    _same(fg ** 0.5, fc ** 0.5)
    _same(fg ** 2, fc ** 2)
    _same(fg > 2 ** 53 + 1, fc > 2 ** 53 + 1)
    hc, hg = _pair(np.array([0.1, 1.0, 3.3]), tt.float32)
    _same(hg + 0.1, hc + 0.1)
    _same(hg == 0.1, hc == 0.1)
    bc, bg = _pair(np.array([True, False]))
    _same(bg * True, bc * True)
    _same(bg + True, bc + True)
    _same(bg < 0.5, bc < 0.5)
    lc, lg = _pair(np.array([2 ** 40 + 1, -(2 ** 62)], dtype=np.int64))
    _same(lg + (2 ** 62 - 5), lc + (2 ** 62 - 5))
    _same(lg == 2 ** 40 + 1, lc == 2 ** 40 + 1)


def test_comparison_zero_dim_tensors_follow_cpu_rules():
    xc, xg = _pair(np.array([0.1, 0.2], dtype=np.float32))
    zc, zg = _pair(np.array(0.1))                        # 0-d float64: compared in float32
    _same(xg == zg, xc == zc)
    assert (xg == zg).tolist() == [True, False]
    _same(zg == xg, zc == xc)
    uc, ug = _pair(np.array([44, 45], dtype=np.uint8))
    kc, kg = _pair(np.array(300))                        # 0-d int64 wraps to uint8 (44)
    _same(ug == kg, uc == kc)
    assert (ug == kg).tolist() == [True, False]
    ac, ag = _pair(np.array([1, 2, 3], dtype=np.int32))
    _same(ag <= zg, ac <= zc)
    _same(tt.logical_and(ag, kg), tt.logical_and(ac, kc))
    _same(tt.logical_xor(xg, ag[:2]), tt.logical_xor(xc, ac[:2]))


# ---- ternary and misc --------------------------------------------------------------------------------
def test_where_lerp_clamp_match_cpu():
    (xc, xg), (yc, yg) = _pair(_rng.uniform(-3, 3, (3, 4))), _pair(_rng.uniform(-3, 3, (4,)))
    cc, cg = _pair(_rng.random((3, 1)) > 0.5)
    _same(tt.where(cg, xg, 2), tt.where(cc, xc, 2))
    _same(tt.where(cg, 1.5, yg), tt.where(cc, 1.5, yc))
    _same(tt.lerp(xg, yg, 0.3), tt.lerp(xc, yc, 0.3))
    _same(tt.lerp(xg, yg, xg.sigmoid()), tt.lerp(xc, yc, xc.sigmoid()))
    fc, fg = xc.float(), xg.float()
    wc, wg = _pair(np.array(0.7))                                    # 0-d float64 weight
    _same(tt.lerp(fg, fg * 2, wg), tt.lerp(fc, fc * 2, wc))
    _same(tt.clamp(xg, yg - 1, 1), tt.clamp(xc, yc - 1, 1))
    _same(tt.clamp(xg, max=yg), tt.clamp(xc, max=yc))
    nc, ng = _pair(np.array([np.nan, 1.0, -5.0]))
    _same(tt.clamp(ng, -1, 0.5), tt.clamp(nc, -1, 0.5))
    _same(tt.clamp(ng[1:], min=ng[:1]), tt.clamp(nc[1:], min=nc[:1]))
    ic, ig = _pair(np.array([-5, 0, 7], dtype=np.int16))
    _same(tt.clamp(ig, -2, 3), tt.clamp(ic, -2, 3))


def test_round_decimals_half_even_matches_cpu():
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 2.675, -0.125, 1234.5678, 1e17, -0.3, np.nan, np.inf])
    xc, xg = _pair(x)
    for d in (0, 1, 2, -1, -2):
        _same(tt.round(xg, decimals=d), tt.round(xc, decimals=d))
    fc, fg = _pair(x, tt.float32)
    _same(tt.round(fg, decimals=2), tt.round(fc, decimals=2))


@pytest.mark.parametrize("dtype", [tt.float16, tt.bfloat16, tt.float32, tt.float64, tt.int32], ids=lambda d: d.name)
def test_nan_to_num_and_predicates_match_cpu(dtype):
    x = np.array([np.nan, np.inf, -np.inf, 1.5, -2.0]) if dtype.is_floating_point else np.array([1, -2, 0])
    xc, xg = _pair(x, dtype)
    _same(tt.nan_to_num(xg), tt.nan_to_num(xc))
    _same(tt.nan_to_num(xg, nan=1.0, posinf=2.5), tt.nan_to_num(xc, nan=1.0, posinf=2.5))
    for name in ("isnan", "isinf", "isfinite", "sign"):
        _same(getattr(tt, name)(xg), getattr(tt, name)(xc))
    if dtype.is_floating_point:
        fmax = float(ml_dtypes.finfo(dtype.np).max) if dtype is tt.bfloat16 else float(np.finfo(dtype.np).max)
        assert tt.nan_to_num(xg).tolist()[1:3] == [fmax, -fmax]
        assert tt.sign(xg).tolist()[0] == 0


def test_mixed_devices_raise_naming_both():
    a, b = tt.tensor(np.ones(2)), tt.tensor(np.ones(2), device="cuda")
    with pytest.raises(RuntimeError, match=r"same device.*cpu and cuda:0"):
        a + b
    with pytest.raises(RuntimeError, match=r"same device.*cuda:0 and cpu"):
        tt.where(b > 0, b, a)
    with pytest.raises(RuntimeError, match=r"same device"):
        tt.add(b, b, out=tt.tensor(np.zeros(2)))
