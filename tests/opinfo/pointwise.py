"""Op-table entries of the elementwise family: binary, ternary, casts and copies here; unary
ops in `pointwise_unary.py` (merged into ``OPS``).

Samples cover same-shape, broadcast (one side and both sides), non-contiguous views
(``.t()``, ``.transpose``, ``.expand``), 0-d and empty tensors, and Python-number operands.
Binary ops also get 4-d and 5-d samples whose dims cannot be merged (every operand permuted,
sliced or broadcast so that no two adjacent dims are contiguous in all of them): these keep
the elementwise kernel's 4-d/5-d index paths (``NDIM`` 4 and 5) live for both operands, with
a distinct stride per dim, so a stride of one operand read from the wrong dim changes the result.
"""
import numpy as np

import tritorch as tt
from tests.opinfo.core import OpInfo, Sample, make, FLOATS, INTS, ALL
from tests.opinfo.pointwise_unary import OPS as UNARY_OPS

_rng = np.random.default_rng(7)


def _m(shape, dtype, device, low=-3.0, high=3.0):
    return make(shape, dtype, device, low, high, rng=_rng)


def permuted(make_fn, shape, perm):
    """A ``shape`` view ``base.permute(perm)`` of a fresh contiguous ``base`` (strides out of order)."""
    base = [0] * len(shape)
    for k, p in enumerate(perm):
        base[p] = shape[k]
    return make_fn(tuple(base)).permute(*perm)


def sliced(make_fn, shape):
    """A ``shape`` view ``base[1:, ..., 1:][..., ::2]`` of a larger contiguous ``base``: offset, and every
    stride larger than the dims after it span (so no adjacent dims merge)."""
    base = tuple(n + 1 for n in shape[:-1]) + (2 * shape[-1] + 1,)
    return make_fn(base)[tuple(slice(1, None) for _ in shape[:-1]) + (slice(1, None, 2),)]


def high_rank_binary_samples(a, b):
    """4-d and 5-d (a, b) pairs that the elementwise template cannot collapse below 4 / 5 dims; each
    operand is in turn permuted, sliced (offset, strided) and broadcast (size-1 dims, stride 0)."""
    s4, s5 = (2, 3, 2, 3), (2, 2, 3, 2, 2)
    # Three samples, not more: every binary op runs them for every dtype on both devices.
    return [
        Sample((permuted(a, s4, (1, 0, 3, 2)), sliced(b, s4)), name="4-d permuted input, sliced other"),
        Sample((sliced(a, s4), permuted(b, s4, (2, 3, 0, 1))), name="4-d sliced input, permuted other"),
        Sample((permuted(a, s5, (4, 2, 0, 3, 1)), sliced(b, (2, 1, 3, 2, 2))),
               name="5-d permuted input, sliced broadcast other"),
    ]


def binary_samples(low=-3.0, high=3.0, b_low=None, b_high=None, scalars=(2,), tensor_scalar=True):
    """Samples for op(a, b): b drawn from [b_low, b_high] (default: a's range)."""
    b_low = low if b_low is None else b_low
    b_high = high if b_high is None else b_high

    def samples(dtype, device):
        def a(shape):
            return _m(shape, dtype, device, low, high)

        def b(shape):
            return _m(shape, dtype, device, b_low, b_high)
        out = [
            Sample((a((3, 4)), b((3, 4))), name="same shape"),
            Sample((a((3, 4)), b((4,))), name="broadcast other"),
            Sample((a((2, 1, 4)), b((3, 1))), name="broadcast both"),
            Sample((a((4, 3)).t(), b((3, 4))), name="non-contiguous input"),
            Sample((a((3, 4)), b((2, 4, 3)).transpose(1, 2)), name="non-contiguous broadcast other"),
            Sample((a((1, 4)).expand(3, 4), b((3, 4))), name="expanded input"),
            Sample((a((3, 4)), b(())), name="0-d other"),
            Sample((a(()), b(())), name="both 0-d"),
            Sample((a((0, 4)), b((4,))), name="empty"),
        ] + high_rank_binary_samples(a, b)
        if tensor_scalar:
            out += [Sample((a((3, 4)), s), name=f"scalar {s!r}") for s in scalars]
        return out
    return samples


def _ref_floor_div(a, b):
    return np.floor_divide(a, b)


def _ref_trunc_div(a, b):
    if np.asarray(a).dtype.kind in "iu" and np.asarray(b).dtype.kind in "iu":
        q = np.floor_divide(a, b)
        return q + ((np.remainder(a, b) != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0)))
    return np.trunc(np.true_divide(a, b))


def _ref_int_pow(a, b):
    return np.power(a, b)


def _where_samples(dtype, device):
    def c(shape):
        return make(shape, tt.bool, device, rng=_rng)

    def m(shape):
        return _m(shape, dtype, device)
    return [
        Sample((c((3, 4)), m((3, 4)), m((3, 4))), name="same shape"),
        Sample((c((3, 1)), m((4,)), m((3, 4))), name="broadcast all"),
        Sample((c((4, 3)).t(), m((4, 3)).t(), m(())), name="non-contiguous, 0-d other"),
        Sample((c(()), m((2, 3)), m((2, 3))), name="0-d condition"),
        Sample((c((0, 3)), m((3,)), m((0, 3))), name="empty"),
        Sample((c((3, 4)), m((3, 4)), 1), name="scalar other"),
        Sample((c((3, 4)), 0, m((3, 4))), name="scalar input"),
    ]


def _lerp_samples(dtype, device):
    def m(shape):
        return _m(shape, dtype, device)
    return [
        Sample((m((3, 4)), m((3, 4)), 0.3), name="scalar weight"),
        Sample((m((3, 4)), m((3, 4)), 0.8), name="scalar weight >= 0.5"),
        Sample((m((3, 4)), m((4,)), _m((3, 1), dtype, device, 0, 1)), name="tensor weight, broadcast"),
        Sample((m((4, 3)).t(), m((3, 4)), _m((), dtype, device, 0, 1)), name="non-contiguous, 0-d weight"),
        Sample((m((0, 2)), m((0, 2)), 0.5), name="empty"),
    ]


def _clamp_samples(dtype, device):
    def m(shape, lo=-3.0, hi=3.0):
        return _m(shape, dtype, device, lo, hi)
    return [
        Sample((m((3, 4)),), {"min": 1, "max": 2}, name="scalar bounds"),
        Sample((m((3, 4)),), {"min": 0}, name="min only"),
        Sample((m((3, 4)).t(),), {"max": 1}, name="max only, non-contiguous"),
        Sample((m((3, 4)),), {"min": m((4,), -2, -1), "max": m((3, 1), 1, 2)}, name="tensor bounds, broadcast"),
        Sample((m((3, 4)),), {"min": 2, "max": 1}, name="min > max gives max"),
        Sample((m(()),), {"min": 0, "max": 1}, name="0-d"),
        Sample((m((0, 3)),), {"min": 0}, name="empty"),
    ]


def _clamp_ref(x, min=None, max=None):
    lo = None if min is None else (min.astype(np.float64) if isinstance(min, np.ndarray) else min)
    hi = None if max is None else (max.astype(np.float64) if isinstance(max, np.ndarray) else max)
    r = x.astype(np.float64) if x.dtype.kind == "f" else x
    if lo is not None:
        r = np.maximum(r, lo)
    if hi is not None:
        r = np.minimum(r, hi)
    return r


def _clamp_fn(x, min=None, max=None):
    return tt.clamp(x, min=min, max=max)


def _cast_samples(dtype, device):
    x = _m((3, 4), dtype, device, 0, 5)
    return [Sample((x, target), name=f"to {target}") for target in ALL] + [
        Sample((_m((4, 3), dtype, device, 0, 5).t(), tt.float32), name="non-contiguous"),
        Sample((_m((), dtype, device, 0, 5), tt.int64), name="0-d"),
        Sample((_m((0, 2), dtype, device), tt.float64), name="empty")]


def _cast_ref(x, target):
    if target is tt.bool:
        return x != 0
    if target.is_floating_point:
        return x.astype(np.float64)
    return x.astype(np.float64).astype(target.np) if x.dtype.kind == "f" else x.astype(target.np)


def _copy_samples(dtype, device):
    def m(shape):
        return _m(shape, dtype, device)
    return [
        Sample((m((3, 4)), m((3, 4))), name="same shape"),
        Sample((m((3, 4)), m((4,))), name="broadcast source"),
        Sample((m((4, 3)).t(), m((4, 3)).t()), name="non-contiguous both"),
        Sample((m(()), m(())), name="0-d"),
        Sample((m((0, 4)), m((4,))), name="empty"),
    ]


def _copy_fn(dst, src):
    return dst.clone().copy_(src)


def _copy_ref(dst, src):
    return np.broadcast_to(src, dst.shape).copy()


def _nan_samples(dtype, device):
    vals = np.array([[np.nan, np.inf, -np.inf, 1.5], [0.0, -2.0, np.nan, 3.0]])
    x = tt.tensor(vals, dtype=dtype, device=device)
    return [Sample((x,), {"nan": 0.5, "posinf": 100.0, "neginf": -100.0}, name="explicit"),
            Sample((x.t(),), {"nan": -1.0, "posinf": 7.0, "neginf": -7.0}, name="non-contiguous"),
            Sample((_m((3,), dtype, device),), {}, name="finite, defaults")]


def _addc_samples(dtype, device):
    def m(shape, lo=-3.0, hi=3.0):
        return _m(shape, dtype, device, lo, hi)
    return [Sample((m((3, 4)), m((3, 4)), m((4,), 0.5, 2.0)), {"value": 0.5}, name="broadcast, value"),
            Sample((m((4, 3)).t(), m((1, 4)), m((3, 1), 0.5, 2.0)), name="non-contiguous"),
            Sample((m(()), m(()), m((), 0.5, 2.0)), {"value": -2}, name="0-d")]


OPS = [
    OpInfo("add", tt.add, np.add, binary_samples(scalars=(2, 1.5)), dtypes=ALL, covers=("add",)),
    OpInfo("add_alpha", lambda a, b: tt.add(a, b, alpha=2), lambda a, b: a + 2 * b, binary_samples(),
           dtypes=FLOATS + INTS, covers=("add",)),
    OpInfo("sub", lambda a, b, **k: tt.sub(a, b, **k), np.subtract, binary_samples(scalars=(2, -0.5)),
           dtypes=FLOATS + INTS),
    OpInfo("rsub_operator", lambda a, b: b - a, lambda a, b: b - a, binary_samples(scalars=(3, 0.5)),
           dtypes=FLOATS + INTS, covers=("sub",)),
    OpInfo("mul", tt.mul, np.multiply, binary_samples(scalars=(2, 0.5, True)), dtypes=ALL),
    OpInfo("div", tt.div, np.true_divide, binary_samples(b_low=0.5, b_high=3.0, scalars=(2, -0.5)),
           dtypes=FLOATS + INTS),
    OpInfo("div_floor", lambda a, b: tt.div(a, b, rounding_mode="floor"), _ref_floor_div,
           binary_samples(b_low=1.0, b_high=4.0, scalars=(2, 3)), dtypes=FLOATS + INTS, covers=("div",)),
    OpInfo("div_trunc", lambda a, b: tt.div(a, b, rounding_mode="trunc"), _ref_trunc_div,
           binary_samples(b_low=1.0, b_high=4.0, scalars=(3,)), dtypes=FLOATS + INTS, covers=("div",)),
    OpInfo("remainder", tt.remainder, np.remainder, binary_samples(b_low=1.0, b_high=3.0, scalars=(2, -1.5)),
           dtypes=FLOATS + INTS, grad_args=(0,)),
    OpInfo("fmod", tt.fmod, np.fmod, binary_samples(b_low=1.0, b_high=3.0, scalars=(2, -1.5)),
           dtypes=FLOATS + INTS, grad_args=(0,)),
    OpInfo("pow", tt.pow, np.power, binary_samples(low=0.5, high=2.0, b_low=-2.0, b_high=2.0, scalars=(2, 0.5, 0)),
           dtypes=FLOATS),
    OpInfo("pow_int", tt.pow, _ref_int_pow, binary_samples(low=-3, high=4, b_low=0, b_high=4, scalars=(2, 0)),
           dtypes=INTS, covers=("pow",), grad=False),
    OpInfo("pow_scalar_base", lambda b: tt.pow(2.0, b), lambda b: np.power(2.0, b),
           lambda dt, dev: [Sample((_m((3, 4), dt, dev, -2, 2),)), Sample((_m((4, 3), dt, dev).t(),)),
                            Sample((_m((), dt, dev),))], dtypes=FLOATS, covers=("pow",)),
    OpInfo("maximum", tt.maximum, np.maximum, binary_samples(tensor_scalar=False), dtypes=ALL),
    OpInfo("minimum", tt.minimum, np.minimum, binary_samples(tensor_scalar=False), dtypes=ALL),
    OpInfo("fmax", tt.fmax, np.fmax, binary_samples(tensor_scalar=False), dtypes=FLOATS + INTS),
    OpInfo("fmin", tt.fmin, np.fmin, binary_samples(tensor_scalar=False), dtypes=FLOATS + INTS),
    OpInfo("atan2", tt.atan2, np.arctan2, binary_samples(tensor_scalar=False), dtypes=FLOATS + (tt.int32,)),
    OpInfo("hypot", tt.hypot, np.hypot, binary_samples(tensor_scalar=False), dtypes=FLOATS),
    OpInfo("where", tt.where, np.where, _where_samples, dtypes=ALL),
    OpInfo("lerp", tt.lerp, lambda a, b, w: a + w * (b - a), _lerp_samples, dtypes=FLOATS),
    OpInfo("clamp", _clamp_fn, _clamp_ref, _clamp_samples, dtypes=FLOATS + INTS),
    OpInfo("nan_to_num", tt.nan_to_num, np.nan_to_num, _nan_samples, dtypes=(tt.float16, tt.float32, tt.float64),
           grad=False),
    OpInfo("to_copy", lambda x, dt: x.to(dt), _cast_ref, _cast_samples, dtypes=ALL, grad=False),
    OpInfo("copy_", _copy_fn, _copy_ref, _copy_samples, dtypes=ALL),
    OpInfo("clone", tt.clone, lambda x: x.copy(),
           lambda dt, dev: [Sample((_m((3, 4), dt, dev),)), Sample((_m((4, 3), dt, dev).t(),)),
                            Sample((_m((), dt, dev),)), Sample((_m((0, 3), dt, dev),))], dtypes=ALL),
    OpInfo("addcmul", tt.addcmul, lambda a, b, c, value=1: a + value * b * c, _addc_samples, dtypes=FLOATS,
           covers=("__composite__", "mul", "add")),
    OpInfo("addcdiv", tt.addcdiv, lambda a, b, c, value=1: a + value * b / c, _addc_samples, dtypes=FLOATS,
           covers=("__composite__", "div", "add")),
    OpInfo("float_power", tt.float_power, lambda a, b: np.power(a.astype(np.float64), b),
           binary_samples(low=0.5, high=2.0, scalars=(2, -1.5)), dtypes=(tt.float32, tt.float64, tt.int64),
           covers=("__composite__", "pow", "to_copy")),
]

for _name, _ref in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
                    ("gt", np.greater), ("ge", np.greater_equal)):
    OPS.append(OpInfo(_name, getattr(tt, _name), _ref, binary_samples(scalars=(1, 0.5)), dtypes=ALL, grad=False))
for _name, _ref in (("logical_and", np.logical_and), ("logical_or", np.logical_or),
                    ("logical_xor", np.logical_xor)):
    OPS.append(OpInfo(_name, getattr(tt, _name), _ref, binary_samples(tensor_scalar=False), dtypes=ALL, grad=False))
for _name, _ref in (("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or),
                    ("bitwise_xor", np.bitwise_xor)):
    OPS.append(OpInfo(_name, getattr(tt, _name), _ref, binary_samples(scalars=(5,)), dtypes=INTS + (tt.bool,),
                      grad=False))
for _name, _ref in (("bitwise_left_shift", np.left_shift), ("bitwise_right_shift", np.right_shift)):
    OPS.append(OpInfo(_name, getattr(tt, _name), _ref, binary_samples(low=-8, high=8, b_low=0, b_high=4,
                                                                      scalars=(1,)),
                      dtypes=(tt.int8, tt.int16, tt.int32, tt.int64), grad=False))
OPS.append(OpInfo("bitwise_shift_uint8", tt.bitwise_left_shift, np.left_shift,
                  binary_samples(low=0, high=8, b_low=0, b_high=4, scalars=(1,)), dtypes=(tt.uint8,),
                  covers=("bitwise_left_shift",), grad=False))
OPS += UNARY_OPS
