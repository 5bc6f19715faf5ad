"""Elementwise ops beyond the op table: in-place variants, ``out=``, special values, half
precision rounding, broadcasting properties (hypothesis), PyTorch's errors, autograd details.
torch (CPU) is the oracle where PyTorch's exact semantics are the point."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import tritorch as tt


def _np(x):
    return np.asarray(x.detach().tolist(), dtype=np.float64)


# ---- in-place variants ------------------------------------------------------------------------------
@pytest.mark.parametrize("name,args", [
    ("add_", (2,)), ("sub_", (1.5,)), ("mul_", (3,)), ("div_", (2,)), ("pow_", (2,)), ("remainder_", (1.5,)),
    ("fmod_", (1.5,)), ("clamp_", (-1, 1)), ("exp_", ()), ("abs_", ()), ("neg_", ()), ("sigmoid_", ()),
    ("floor_", ()), ("round_", ()), ("lerp_", (None, 0.25)), ("atan2_", (None,)), ("nan_to_num_", ()),
    ("fill_", (3.0,)), ("zero_", ()), ("copy_", (None,)), ("sqrt_", ()), ("hypot_", (None,)),
])
def test_inplace_matches_torch_and_bumps_version(name, args):
    base = np.array([[0.5, -1.25, 2.0], [3.0, -0.75, 1.5]], dtype=np.float32)
    other = np.array([1.5, 0.5, -2.0], dtype=np.float32)
    t, x = torch.tensor(base), tt.tensor(base)
    targs = tuple(torch.tensor(other) if a is None else a for a in args)
    xargs = tuple(tt.tensor(other) if a is None else a for a in args)
    if name == "sqrt_":
        t, x = t.abs(), x.abs()
    v = x._version
    r = getattr(x, name)(*xargs)
    getattr(t, name)(*targs)
    assert r is x
    assert x._version > v
    np.testing.assert_allclose(_np(x), t.double().numpy(), rtol=1e-6, atol=1e-6, equal_nan=True)


def test_inplace_operators_and_views_write_through():
    x = tt.zeros(2, 3)
    v = x.t()
    v += 1
    v *= tt.tensor([1.0, 2.0])
    assert x.tolist() == [[1, 1, 1], [2, 2, 2]]
    assert x._version == v._version == 2
    y = tt.tensor([12, 7])
    y //= 5
    y %= 2
    y <<= 2
    y |= 1
    assert y.tolist() == [1, 5]
    b = tt.tensor([True, False])
    b &= tt.tensor([True, True])
    b ^= True
    assert b.tolist() == [False, True]


def test_inplace_errors():
    leaf = tt.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        leaf.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf.fill_(0)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf.copy_(tt.zeros(3))
    with tt.no_grad():
        leaf.mul_(2)
    assert leaf.tolist() == [2.0, 2.0, 2.0]
    i = tt.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        i.mul_(1.5)
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        i.exp_()
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        tt.zeros(3).add_(tt.zeros(2, 3))
    with pytest.raises(RuntimeError, match="float_power_ has dtype Float"):
        tt.ones(2).float_power_(2)


def test_inplace_autograd_rebases_history():
    a = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = a * 1
    y.mul_(a)
    y.add_(a, alpha=2)
    y.sum().backward()
    np.testing.assert_allclose(a.grad.tolist(), [4.0, 6.0, 8.0])
    assert type(y.grad_fn).__name__ == "AddBackward0"
    w = tt.tensor([2.0, 3.0], requires_grad=True)
    plain = tt.tensor([5.0, 7.0])
    plain.mul_(w)
    assert plain.requires_grad and not plain.is_leaf
    plain.sum().backward()
    assert w.grad.tolist() == [5.0, 7.0]


def test_modified_saved_tensor_is_detected():
    a = tt.tensor([1.0, 2.0], requires_grad=True)
    y = a.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    b = tt.tensor([1.0, 2.0], requires_grad=True)
    s = b.sin()
    s.add_(1)  # SinBackward0 saves its input only, so this stays valid
    s.sum().backward()
    np.testing.assert_allclose(b.grad.tolist(), np.cos([1.0, 2.0]), rtol=1e-6)


# ---- out= -------------------------------------------------------------------------------------------
def test_out_argument():
    a, b = tt.tensor([[1.0, 2.0], [3.0, 4.0]]), tt.tensor([10.0, 20.0])
    out = tt.empty(2, 2)
    r = tt.add(a, b, out=out)
    assert r is out and out.tolist() == [[11, 22], [13, 24]]
    out = tt.empty(0)
    tt.mul(a, 2, out=out)
    assert out.shape == (2, 2) and out.tolist() == [[2, 4], [6, 8]]
    out64 = tt.empty(2, 2, dtype=tt.float64)
    tt.sub(a, 1, out=out64)
    assert out64.dtype is tt.float64 and out64.tolist() == [[0, 1], [2, 3]]
    bo = tt.empty(2, 2, dtype=tt.bool)
    tt.gt(a, 2, out=bo)
    assert bo.tolist() == [[False, False], [True, True]]
    tt.exp(tt.zeros(2), out=(o := tt.empty(2)))
    assert o.tolist() == [1.0, 1.0]
    tt.where(tt.tensor([True, False]), 1.0, b, out=(w := tt.empty(2)))
    assert w.tolist() == [1.0, 20.0]
    tt.clamp(b, max=15, out=(c := tt.empty(2)))
    assert c.tolist() == [10.0, 15.0]
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        tt.div(tt.tensor([1]), 2, out=tt.empty(1, dtype=tt.int64))
    with pytest.raises(TypeError):
        tt.add(a, b, out=[1])


# ---- special values and integer semantics vs torch ------------------------------------------------------
SPECIAL = [0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan, 1e-40, 3.5, -2.5, 0.5, -0.5, 1e30]


@pytest.mark.parametrize("op", ["exp", "log", "log1p", "sqrt", "rsqrt", "sigmoid", "tanh", "reciprocal", "sign",
                                "floor", "ceil", "round", "trunc", "frac", "abs", "erf", "erfc", "atan", "expm1",
                                "isnan", "isinf", "isfinite", "isposinf", "isneginf", "nan_to_num", "sin",
                                "exp2", "log2", "erfinv", "asinh", "square"])
@pytest.mark.parametrize("dt", ["float32", "float16", "bfloat16"])
def test_special_values_match_torch(op, dt):
    t = torch.tensor(SPECIAL, dtype=getattr(torch, dt))
    x = tt.tensor(SPECIAL, dtype=getattr(tt, dt))
    want = getattr(torch, op)(t)
    got = getattr(tt, op)(x)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    rtol = 1e-6 if dt == "float32" else 1e-2
    np.testing.assert_allclose(_np(got), want.double().numpy(), rtol=rtol, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "maximum",
                                "minimum", "fmax", "fmin", "atan2", "hypot", "eq", "lt"])
def test_binary_special_values_match_torch(op):
    # No denormals here: torch's vectorised fmod flushes a denormal divisor to zero (NaN results).
    a = np.array([v for v in SPECIAL if v != 1e-40], dtype=np.float32)
    A, B = np.meshgrid(a, a)
    t = getattr(torch, op)(torch.tensor(A), torch.tensor(B))
    x = getattr(tt, op)(tt.tensor(A), tt.tensor(B))
    np.testing.assert_allclose(_np(x), t.double().numpy(), rtol=1e-6, atol=1e-30, equal_nan=True)


@pytest.mark.parametrize("dt", ["int8", "uint8", "int32", "int64"])
def test_integer_division_and_modulo_match_torch(dt):
    a = np.array([-7, -6, -1, 0, 1, 5, 7, 100, -100], dtype=np.int64)
    b = np.array([3, -3, 2, -2, 7, -1, 4, 9, -9], dtype=np.int64)
    if dt == "uint8":
        a, b = np.abs(a), np.abs(b)
    ta, tb = torch.tensor(a, dtype=getattr(torch, dt)), torch.tensor(b, dtype=getattr(torch, dt))
    xa, xb = tt.tensor(a, dtype=getattr(tt, dt)), tt.tensor(b, dtype=getattr(tt, dt))
    for fn in (lambda p, q: p // q, lambda p, q: p % q, lambda p, q: torch_or_tt(p).fmod(p, q),
               lambda p, q: torch_or_tt(p).div(p, q, rounding_mode="trunc"), lambda p, q: p / q,
               lambda p, q: p * q, lambda p, q: p - q, lambda p, q: p << 2, lambda p, q: p >> 1,
               lambda p, q: p ** 2, lambda p, q: p + 200):
        np.testing.assert_allclose(_np(fn(xa, xb)), fn(ta, tb).double().numpy(), rtol=1e-6)


def torch_or_tt(x):
    return torch if isinstance(x, torch.Tensor) else tt


def test_integer_errors_and_pow_rules():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        tt.tensor([1, 2]) // tt.tensor([1, 0])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        tt.tensor([1, 2]) % 0
    assert (tt.tensor([1.0, -1.0]) // 0).tolist() == [math.inf, -math.inf]
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        tt.tensor([2, 3]) ** -1
    base = tt.tensor([2, 1, -1, -1, 0])
    np.testing.assert_array_equal(_np(base ** tt.tensor([-1, -3, -3, -2, 2])),
                                  (torch.tensor([2, 1, -1, -1, 0]) ** torch.tensor([-1, -3, -3, -2, 2])).numpy())
    assert (2 ** tt.tensor([3, 0])).tolist() == [8, 1]
    assert (tt.tensor([1, 2], dtype=tt.uint8) - 3).tolist() == [254, 255]
    assert (tt.tensor([1, 2], dtype=tt.int8) * 100).tolist() == [100, -56]


def test_bool_rules():
    b = tt.tensor([True, False])
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor is not supported"):
        b - b
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor is not supported"):
        -b
    with pytest.raises(NotImplementedError, match="\"abs\" not implemented for 'Bool'"):
        b.abs()
    with pytest.raises(RuntimeError, match="not implemented for 'Float'"):
        ~tt.ones(2)
    assert (~b).tolist() == [False, True] and (b + b).tolist() == [True, False]
    assert (b * 3).dtype is tt.int64 and (b.square()).dtype is tt.int64
    assert (b & tt.tensor([True, True])).tolist() == [True, False]


def test_operand_type_errors():
    x = tt.ones(2)
    with pytest.raises(TypeError, match=r"maximum\(\): argument 'other' \(position 2\) must be Tensor, not int"):
        tt.maximum(x, 1)
    with pytest.raises(TypeError, match="atan2"):
        tt.atan2(1.0, x)
    with pytest.raises(TypeError, match="must be Tensor or Number, not str"):
        tt.add(x, "a")
    assert (x == None) is False and (x != "a") is True  # noqa: E711
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, but got a tensor "
                                           "with dtype Float"):
        tt.where(x, x, x)
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        tt.clamp(x)
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
        tt.lerp(x, x.double(), 0.5)
    with pytest.raises(ValueError, match="rounding_mode"):
        tt.div(x, x, rounding_mode="round")
    with pytest.raises(RuntimeError, match="For integral input tensors, argument alpha must not be a floating"):
        tt.add(tt.tensor([1]), tt.tensor([1]), alpha=0.5)
    with pytest.raises(NotImplementedError, match="\"hypot\" not implemented for 'Long'"):
        tt.hypot(tt.tensor([3]), tt.tensor([4]))
    with pytest.raises(NotImplementedError, match="frac"):
        tt.tensor([1]).frac()
    with pytest.raises(NotImplementedError, match="round"):
        tt.tensor([1]).round(decimals=1)


# ---- half precision: compute in float32, round once ------------------------------------------------------
@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_half_precision_rounds_like_torch(dt):
    rng = np.random.default_rng(0)
    a = rng.uniform(-4, 4, 257).astype(np.float32)
    b = rng.uniform(0.5, 4, 257).astype(np.float32)
    ta, tb = torch.tensor(a).to(getattr(torch, dt)), torch.tensor(b).to(getattr(torch, dt))
    xa, xb = tt.tensor(a, dtype=getattr(tt, dt)), tt.tensor(b, dtype=getattr(tt, dt))
    np.testing.assert_array_equal(_np(xa), ta.double().numpy())
    for fn in (lambda p, q: p + q, lambda p, q: p * q, lambda p, q: p / q, lambda p, q: p * 0.1 + q,
               lambda p, q: p.exp(), lambda p, q: q.sqrt(), lambda p, q: p.sigmoid(), lambda p, q: p.clamp(-1, 1),
               lambda p, q: p.lerp(q, 0.3), lambda p, q: p.float(), lambda p, q: p.to(getattr(q, "dtype"))):
        want, got = fn(ta, tb).double().numpy(), _np(fn(xa, xb))
        # One rounding of the float32 result: at most one ulp apart from torch.
        ulp = np.spacing(np.abs(want).astype(np.float16)).astype(np.float64) if dt == "float16" else \
            np.abs(want) * 2.0 ** -7 + 1e-30
        assert np.all(np.abs(got - want) <= ulp + 1e-12), dt
    x = tt.tensor([1.0, 2.0 ** -10], dtype=tt.float16)
    assert (x + 2048).tolist() == [2048.0, 2048.0]
    assert (tt.tensor([65504.0], dtype=tt.float16) * 2).tolist() == [math.inf]


# ---- broadcasting properties --------------------------------------------------------------------------
_dims = st.lists(st.integers(1, 4), min_size=0, max_size=4)


@st.composite
def _broadcastable_pair(draw):
    shape = draw(_dims)
    k = draw(st.integers(0, len(shape)))
    other = [draw(st.sampled_from([s, 1])) for s in shape[len(shape) - k:]]
    lead = draw(st.lists(st.integers(1, 3), max_size=2)) if k == len(shape) else []
    if draw(st.booleans()):
        return shape, lead + other
    return lead + other, shape


@settings(max_examples=60, deadline=None)
@given(_broadcastable_pair(), st.sampled_from(["add", "mul", "maximum", "lt", "atan2", "where"]))
def test_broadcast_shapes_and_values_match_numpy(shapes, op):
    sa, sb = shapes
    rng = np.random.default_rng(len(sa) * 7 + len(sb))
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    xa, xb = tt.tensor(a), tt.tensor(b)
    ref = {"add": np.add, "mul": np.multiply, "maximum": np.maximum, "lt": np.less, "atan2": np.arctan2,
           "where": lambda p, q: np.where(p > 0, p, q)}[op]
    got = tt.where(xa > 0, xa, xb) if op == "where" else getattr(tt, op)(xa, xb)
    want = ref(a, b)
    assert tuple(got.shape) == want.shape
    np.testing.assert_allclose(_np(got), want.astype(np.float64), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(_dims, _dims)
def test_non_broadcastable_shapes_raise_naming_both(sa, sb):
    try:
        np.broadcast_shapes(tuple(sa), tuple(sb))
        return
    except ValueError:
        pass
    with pytest.raises(RuntimeError) as e:
        tt.zeros(sa) + tt.zeros(sb)
    msg = str(e.value)
    assert "[" + ", ".join(map(str, sa)) + "]" in msg and "[" + ", ".join(map(str, sb)) + "]" in msg


def test_broadcast_error_message():
    with pytest.raises(RuntimeError, match=r"mul: the size of tensor a \(3\) must match the size of tensor b \(2\) "
                                           r"at non-singleton dimension 1: shapes \[2, 3\] and \[2\]"):
        tt.zeros(2, 3) * tt.zeros(2)
    with pytest.raises(RuntimeError, match=r"copy_: the source of shape \[2, 3\] can't be broadcast to the "
                                           r"destination of shape \[3\]"):
        tt.zeros(3).copy_(tt.zeros(2, 3))


# ---- autograd details ---------------------------------------------------------------------------------
def test_grad_fn_names_match_torch():
    a = tt.ones(2, requires_grad=True)
    b = tt.ones(2, requires_grad=True)
    for expr, name in ((lambda p, q: p + q, "AddBackward0"), (lambda p, q: p - q, "SubBackward0"),
                       (lambda p, q: p * q, "MulBackward0"), (lambda p, q: p / q, "DivBackward0"),
                       (lambda p, q: p.exp(), "ExpBackward0"), (lambda p, q: tt.where(p > 0, p, q), "WhereBackward0"),
                       (lambda p, q: p.clamp(0, 1), "ClampBackward1"), (lambda p, q: p.clone(), "CloneBackward0"),
                       (lambda p, q: p.double(), "ToCopyBackward0"), (lambda p, q: 1 - p, "RsubBackward1")):
        assert type(expr(a, b).grad_fn).__name__ == name


def test_gradients_match_torch_on_edge_cases():
    vals = [-2.0, -1.0, 0.0, 0.5, 1.0, 2.0]
    cases = [
        lambda m, x, y: m.maximum(x, y), lambda m, x, y: m.minimum(x, y), lambda m, x, y: m.fmax(x, y),
        lambda m, x, y: x.clamp(-1, 1), lambda m, x, y: x.clamp(min=y), lambda m, x, y: x.abs(),
        lambda m, x, y: x.pow(y), lambda m, x, y: x ** 2, lambda m, x, y: 2.0 ** x, lambda m, x, y: x.pow(0),
        lambda m, x, y: m.where(x > y, x, y), lambda m, x, y: x.lerp(y, 0.7), lambda m, x, y: x.remainder(y + 3),
        lambda m, x, y: m.nan_to_num(x / y), lambda m, x, y: x.sign() + x.round() + x.floor(),
        lambda m, x, y: m.div(x, y + 5, rounding_mode="floor"), lambda m, x, y: x.float_power(2),
    ]
    y_vals = [1.0, -1.0, 0.0, 2.0, 1.0, 0.5]
    for k, fn in enumerate(cases):
        tx = torch.tensor(vals, dtype=torch.float64, requires_grad=True)
        ty = torch.tensor(y_vals, dtype=torch.float64, requires_grad=True)
        xx = tt.tensor(vals, dtype=tt.float64, requires_grad=True)
        xy = tt.tensor(y_vals, dtype=tt.float64, requires_grad=True)
        fn(torch, tx, ty).sum().backward()
        fn(tt, xx, xy).sum().backward()
        for tg, xg in ((tx.grad, xx.grad), (ty.grad, xy.grad)):
            if tg is None:
                assert xg is None or not np.any(_np(xg)), k
            else:
                np.testing.assert_allclose(_np(xg), tg.numpy(), rtol=1e-10, atol=1e-12, equal_nan=True,
                                           err_msg=f"case {k}")


def test_double_backward():
    x = tt.tensor([0.3, 1.2], dtype=tt.float64, requires_grad=True)
    y = (x.sin() * x.exp() + x.sigmoid() / x).sum()
    g, = tt.autograd.grad(y, x, create_graph=True)
    g2, = tt.autograd.grad(g.sum(), x)
    tx = torch.tensor([0.3, 1.2], dtype=torch.float64, requires_grad=True)
    ty = (tx.sin() * tx.exp() + tx.sigmoid() / tx).sum()
    tg, = torch.autograd.grad(ty, tx, create_graph=True)
    tg2, = torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(_np(g2), tg2.numpy(), rtol=1e-10)


def test_cast_gradient_and_integer_results_do_not_require_grad():
    x = tt.tensor([1.5, 2.5], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype is tt.float32 and x.grad.tolist() == [3.0, 3.0]
    assert not (x > 1).requires_grad and not x.long().requires_grad
    assert not tt.div(x, 2, rounding_mode="floor").grad_fn is None


def test_copy_and_fill_gradients():
    src = tt.tensor([1.0, 2.0], requires_grad=True)
    dst = tt.zeros(2, 2)
    dst.copy_(src)
    (dst * tt.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert src.grad.tolist() == [4.0, 6.0]
    v = tt.tensor(2.0, requires_grad=True)
    z = tt.zeros(3)
    z.fill_(v)
    z.sum().backward()
    assert v.grad.item() == 3.0



@pytest.mark.parametrize("op,ref", [(tt.add, np.add), (tt.sub, np.subtract), (tt.mul, np.multiply),
                                    (tt.maximum, np.maximum)], ids=["add", "sub", "mul", "maximum"])
def test_out_argument_high_rank_strided(op, ref, device):
    """``out=`` a permuted or sliced 4-d/5-d view, with operands no two adjacent dims of which merge
    (the elementwise template's NDIM 4 and 5 paths): results land in the view, the rest of the
    buffer keeps its values."""
    from tests.opinfo.core import make
    from tests.opinfo.pointwise import high_rank_binary_samples, permuted, sliced
    rng = np.random.default_rng(11)

    def mk(shape):
        return make(shape, tt.float64, device, rng=rng)
    bufs = []

    def fill(shape):
        bufs.append(tt.full(shape, -7.0, dtype=tt.float64, device=device))
        return bufs[-1]
    for s in high_rank_binary_samples(mk, mk):
        a, b = s.args
        shape = tuple(np.broadcast_shapes(tuple(a.shape), tuple(b.shape)))
        assert len(shape) in (4, 5)
        for layout in ("permuted", "sliced"):
            out = permuted(fill, shape, tuple(reversed(range(len(shape))))) if layout == "permuted" \
                else sliced(fill, shape)
            assert not out.is_contiguous() and tuple(out.shape) == shape
            r = op(a, b, out=out)
            assert r is out, s.name
            expected = ref(a.cpu().numpy(), b.cpu().numpy())
            np.testing.assert_allclose(out.cpu().numpy(), expected, rtol=1e-12, atol=0,
                                       err_msg=f"{s.name}, out {layout}")
            whole = bufs[-1].cpu().numpy()
            assert np.count_nonzero(whole == -7.0) == whole.size - out.numel(), f"{s.name}, out {layout}"
