"""The entry-point table: what the fuzzer calls, and a hypothesis strategy for each entry's arguments.

Each ``Entry`` names a public entry point (``name``: 'sum', 'Tensor.masked_fill_', 'F.softmax'),
the forms it is reached by ('fn': ``tt.sum(x, ...)``, 'method': ``x.sum(...)``, 'F':
``tt.nn.functional.x(...)``, 'custom': ``entry.custom(lib, *args)``) and ``draw_args(draw)`` returning
``(args, kwargs)`` made of specs (harness.TensorSpec, DType, Device) and plain Python values.

Strategies favour edge cases: 0-d and empty tensors, non-contiguous views (transposed, stepped,
expanded, offset), every dtype, NaN/inf, out-of-range dims and indices, and wrong argument types.
"""
import math

import numpy as np
from hypothesis import strategies as st

from .harness import (ALL_DTYPES, FLOAT_DTYPES, VIEWS, DType, Device, TensorSpec, base_shape,
                      valid_view, _NP_STORAGE)

FLOAT_SPECIALS = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-3, 100.0, 1e5, math.nan, math.inf, -math.inf])
WRONG = [None, "a", 1.5, [1.5], True]


# ------------------------------------------------------------------------------------ tensors

def _values(rng, shape, dtype, mode):
    n = int(np.prod(shape, dtype=np.int64))
    if dtype == "bool":
        v = rng.rand(n) < 0.5
    elif dtype in FLOAT_DTYPES:
        if mode == "ints":
            v = rng.randint(-3, 4, n).astype(np.float64)
        elif mode == "positive":
            v = np.abs(rng.randn(n)) * 3 + 0.1
        elif mode == "unit":
            v = rng.rand(n)
        elif mode == "specials":
            v = rng.randn(n) * 3
            mask = rng.rand(n) < 0.4
            v[mask] = FLOAT_SPECIALS[rng.randint(0, len(FLOAT_SPECIALS), int(mask.sum()))]
        else:
            v = rng.randn(n) * 3
    else:
        info = np.iinfo(_NP_STORAGE[dtype])
        if mode == "wide":
            v = rng.randint(info.min, info.max, n, dtype=np.int64) if dtype != "int64" else \
                rng.randint(-2 ** 62, 2 ** 62, n, dtype=np.int64)
        elif mode in ("positive", "unit", "index"):
            v = rng.randint(0, 4, n)
        else:
            v = rng.randint(max(info.min, -5), 6, n)
    arr = np.asarray(v).reshape(shape)
    if dtype in ("float16",):
        return arr.astype(np.float16)
    if dtype == "bfloat16":  # values exactly representable in bfloat16 (round via float32 bits)
        a32 = arr.astype(np.float32)
        bits = a32.view(np.uint32)
        rounded = ((bits.astype(np.uint64) + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16).astype(np.uint32)
        out = rounded.view(np.float32)
        return np.where(np.isnan(a32), np.float32(np.nan), out)
    return arr.astype(_NP_STORAGE[dtype])


@st.composite
def shapes(draw, min_dims=0, max_dims=4, max_side=4):
    nd = draw(st.integers(min_dims, max_dims))
    return tuple(draw(st.sampled_from([0, 1, 1, 2, 2, 3, 3, 4][: max_side * 2 if max_side < 4 else 8])) for _ in range(nd))


@st.composite
def tensors(draw, dtypes=ALL_DTYPES, shape=None, min_dims=0, max_dims=4, mode=None, views=True):
    dtype = draw(st.sampled_from(dtypes)) if not isinstance(dtypes, str) else dtypes
    if shape is None:
        shape = draw(shapes(min_dims, max_dims))
    shape = tuple(shape)
    view = "contig"
    if views:
        cand = [v for v in VIEWS if valid_view(shape, v)]
        view = draw(st.sampled_from(cand + ["contig"] * 2))
    if mode is None:
        mode = draw(st.sampled_from(["randn", "ints", "specials"]))
    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.RandomState(seed)
    base = _values(rng, base_shape(shape, view), dtype, mode)
    return TensorSpec(dtype, shape, base, view)


def index_tensor(draw, shape, high, dtype="int64", bad=True):
    """An integer tensor with values in [-high, high) mostly valid (sometimes out of range)."""
    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.RandomState(seed)
    n = int(np.prod(shape, dtype=np.int64))
    lo = 0
    hi = max(high, 1)
    v = rng.randint(lo, hi, n) if high > 0 else np.zeros(n, np.int64)
    if bad and n and draw(st.integers(0, 9)) == 0:
        v[rng.randint(0, n)] = draw(st.sampled_from([-1, high, high + 3, -high - 1]))
    view = draw(st.sampled_from(["contig", "contig", "step"] if len(shape) else ["contig"]))
    base = np.resize(v, base_shape(shape, view)).astype(_NP_STORAGE[dtype]) if n or view == "contig" else \
        np.zeros(base_shape(shape, view), _NP_STORAGE[dtype])
    if view == "contig":
        base = v.reshape(shape).astype(_NP_STORAGE[dtype])
    return TensorSpec(dtype, shape, base, view)


def dim(draw, ndim, wrong=True):
    n = max(ndim, 1)
    choices = [st.integers(-n, n - 1)] * 6 + [st.sampled_from([n, -n - 1])]
    if wrong:
        choices.append(st.sampled_from(WRONG))
    return draw(st.one_of(*choices))


def maybe(draw, value, p=2):
    """``value`` (usually) or omitted (``_OMIT``)."""
    return value if draw(st.integers(0, p)) else _OMIT


_OMIT = object()


def kw(**kwargs):
    return {k: v for k, v in kwargs.items() if v is not _OMIT}


def scalar(draw, kind="any"):
    pool = [0, 1, -2, 3, 2.5, -0.5, True, False, math.nan, math.inf, -math.inf, 2 ** 31, 2 ** 63, 1e30, 255, 256]
    if kind == "any":
        pool = pool + ["a", None]
    return draw(st.sampled_from(pool))


def broadcast_partner(draw, x, dtypes=ALL_DTYPES):
    """A second operand for ``x``: same shape, broadcastable, a 0-d tensor, a scalar, or incompatible."""
    how = draw(st.sampled_from(["same", "same", "suffix", "ones", "0d", "scalar", "scalar", "bad"]))
    if how == "scalar":
        return scalar(draw)
    if how == "same":
        shape = x.shape
    elif how == "suffix":
        shape = x.shape[draw(st.integers(0, x.ndim)):]
    elif how == "ones":
        shape = tuple(1 if draw(st.booleans()) else n for n in x.shape)
        shape = (1,) * draw(st.integers(0, 1)) + shape
    elif how == "0d":
        shape = ()
    else:
        shape = draw(shapes(1, 3))
    return draw(tensors(dtypes, shape=shape))


# -------------------------------------------------------------------------------------- entries

class Entry:
    def __init__(self, name, draw_args, forms=("fn", "method"), family="misc", attr=None, ties=False,
                 inplace=False, custom=None, rtol_scale=1.0, argnames=()):
        self.name, self.draw_args, self.forms, self.family = name, draw_args, forms, family
        self.attr = attr or name.split(".")[-1]
        self.ties, self.inplace, self.custom, self.rtol_scale = ties, inplace, custom, rtol_scale
        self.argnames = argnames

    def __repr__(self):
        return f"Entry({self.name})"


ENTRIES = []


def entry(*args, **kwargs):
    e = Entry(*args, **kwargs)
    ENTRIES.append(e)
    return e


# -- pointwise unary ------------------------------------------------------------------------------

def _unary(dtypes=ALL_DTYPES, mode=None, extra=None):
    def draw_args(draw):
        x = draw(tensors(dtypes, mode=mode))
        return (x,), (extra(draw, x) if extra else {})
    return draw_args


for _n in ["abs", "neg", "exp", "log", "sqrt", "sin", "tanh", "sigmoid", "floor", "ceil", "round", "sign",
           "reciprocal", "rsqrt", "log1p", "expm1", "erf", "isnan", "isinf", "isfinite", "logical_not",
           "bitwise_not", "trunc", "frac", "square"]:
    entry(_n, _unary(), family="unary", rtol_scale=4.0)

entry("clamp", _unary(extra=lambda d, x: kw(min=maybe(d, scalar(d, "num")), max=maybe(d, scalar(d, "num")))),
      family="unary")
entry("nan_to_num", _unary(extra=lambda d, x: kw(nan=maybe(d, scalar(d, "num")), posinf=maybe(d, 7.0))),
      family="unary")
entry("Tensor.exp_", _unary(FLOAT_DTYPES), forms=("method",), family="unary", inplace=True)
entry("Tensor.clamp_", _unary(extra=lambda d, x: kw(min=maybe(d, scalar(d, "num")), max=scalar(d, "num"))),
      forms=("method",), family="unary", inplace=True)
entry("Tensor.relu_", _unary(), forms=("method",), family="unary", inplace=True)


# -- pointwise binary -----------------------------------------------------------------------------

def _binary(dtypes=ALL_DTYPES, extra=None):
    def draw_args(draw):
        x = draw(tensors(dtypes))
        y = broadcast_partner(draw, x, dtypes)
        return (x, y), (extra(draw, x) if extra else {})
    return draw_args


for _n in ["mul", "maximum", "minimum", "fmod", "remainder", "eq", "lt", "ge", "ne", "logical_and",
           "bitwise_and", "atan2", "floor_divide", "pow"]:
    entry(_n, _binary(), family="binary", rtol_scale=4.0)
entry("add", _binary(extra=lambda d, x: kw(alpha=maybe(d, scalar(d, "num"), 1))), family="binary")
entry("sub", _binary(extra=lambda d, x: kw(alpha=maybe(d, scalar(d, "num"), 1))), family="binary")
entry("div", _binary(extra=lambda d, x: kw(rounding_mode=maybe(d, d(st.sampled_from(
    [None, "trunc", "floor", "bad"])), 1))), family="binary", rtol_scale=4.0)
entry("Tensor.add_", _binary(extra=lambda d, x: kw(alpha=maybe(d, scalar(d, "num"), 2))), forms=("method",),
      family="binary", inplace=True)
entry("Tensor.mul_", _binary(), forms=("method",), family="binary", inplace=True)


def _where_args(draw):
    x = draw(tensors())
    cond = draw(tensors(("bool", "bool", "bool", "uint8"), shape=draw(st.sampled_from([x.shape, x.shape[1:], ()]))))
    y = broadcast_partner(draw, x)
    return (cond, x, y), {}


entry("where", _where_args, forms=("fn",), family="binary")


def _where_method_args(draw):
    (cond, x, y), _ = _where_args(draw)
    return (x, cond, y), {}


entry("Tensor.where", _where_method_args, forms=("method",), family="binary")


# -- reductions ----------------------------------------------------------------------------------

def _reduce(dtypes=ALL_DTYPES, keepdim=True, dim_required=False, extra=None, dim_tuple=True):
    def draw_args(draw):
        x = draw(tensors(dtypes))
        k = {}
        if dim_required or draw(st.integers(0, 3)):
            if dim_tuple and draw(st.integers(0, 4)) == 0:
                k["dim"] = draw(st.sampled_from([(), (0,), (0, -1), (-1, -1), [0]]))
            else:
                k["dim"] = dim(draw, x.ndim)
            if keepdim and draw(st.booleans()):
                k["keepdim"] = draw(st.sampled_from([True, False, True, 1]))
        if extra:
            k.update(extra(draw, x))
        return (x,), k
    return draw_args


for _n in ["sum", "mean", "amax", "amin", "all", "any", "nansum", "logsumexp"]:
    entry(_n, _reduce(), family="reduce", rtol_scale=10.0)
entry("prod", _reduce(dim_tuple=False), family="reduce", rtol_scale=10.0)
entry("std", _reduce(extra=lambda d, x: kw(correction=maybe(d, d(st.sampled_from([0, 1, 2, -1, 0.5])), 1))),
      family="reduce", rtol_scale=10.0)
entry("var", _reduce(extra=lambda d, x: kw(unbiased=maybe(d, d(st.booleans()), 1))), family="reduce", rtol_scale=10.0)
entry("argmax", _reduce(dim_tuple=False), family="reduce", ties=True)
entry("argmin", _reduce(dim_tuple=False), family="reduce", ties=True)
entry("max", _reduce(dim_tuple=False), family="reduce", ties=True)
entry("min", _reduce(dim_tuple=False), family="reduce", ties=True)
entry("cumsum", _reduce(keepdim=False, dim_required=True, dim_tuple=False), family="reduce", rtol_scale=10.0)
entry("count_nonzero", _reduce(keepdim=False, dim_tuple=False), family="reduce")
entry("norm", _reduce(FLOAT_DTYPES, extra=lambda d, x: kw(p=maybe(d, d(st.sampled_from([1, 2, math.inf, 0, "fro"]))))),
      family="reduce", rtol_scale=10.0)


# -- shapes and views ----------------------------------------------------------------------------

def _shape_arg(draw, x):
    n = x.numel()
    cands = [x.shape, (n,), (-1,), (n, 1), (1, -1), (-1, -1), (n + 1,), ()]
    if n == 0:
        cands.append((0, -1))
    s = draw(st.sampled_from(cands))
    return tuple(s) if draw(st.integers(0, 5)) else draw(st.sampled_from([None, (2.0,), "a"]))


def _view_args(draw):
    x = draw(tensors())
    s = _shape_arg(draw, x)
    return ((x, s) if draw(st.booleans()) or not isinstance(s, tuple) else (x, *s)), {}


entry("Tensor.view", _view_args, forms=("method",), family="shape")
entry("reshape", lambda d: ((lambda x: (x, _shape_arg(d, x)))(d(tensors())), {}), family="shape")


def _permute_args(draw):
    x = draw(tensors())
    perm = list(range(x.ndim))
    perm = draw(st.permutations(perm)) if perm else []
    how = draw(st.integers(0, 6))
    if how == 0 and perm:
        perm[0] = perm[-1]
    elif how == 1:
        perm = perm + [x.ndim]
    elif how == 2:
        perm = [p - x.ndim for p in perm]
    return (x, tuple(perm)), {}


entry("permute", _permute_args, family="shape")
entry("transpose", lambda d: ((lambda x: ((x, dim(d, x.ndim), dim(d, x.ndim)), {}))(d(tensors()))), family="shape")
entry("squeeze", lambda d: ((lambda x: ((x,) if d(st.booleans()) else (x, dim(d, x.ndim)), {}))(d(tensors()))),
      family="shape")
entry("unsqueeze", lambda d: ((lambda x: ((x, dim(d, x.ndim + 1)), {}))(d(tensors()))), family="shape")
entry("flatten", lambda d: ((lambda x: ((x,), kw(start_dim=maybe(d, dim(d, x.ndim)),
                                                 end_dim=maybe(d, dim(d, x.ndim)))))(d(tensors()))), family="shape")
entry("split", lambda d: ((lambda x: ((x, d(st.sampled_from([1, 2, 3, 0, -1, [1, 1], [2, 0], [5], 1.5]))),
                                      kw(dim=maybe(d, dim(d, x.ndim)))))(d(tensors()))), family="shape")
entry("chunk", lambda d: ((lambda x: ((x, d(st.sampled_from([1, 2, 3, 5, 0, -1, 1.0]))),
                                      kw(dim=maybe(d, dim(d, x.ndim)))))(d(tensors()))), family="shape")
entry("tensor_split", lambda d: ((lambda x: ((x, d(st.sampled_from([1, 2, 3, 0, [1], [-3, 5, 9], [2, 1], (0,)]))),
                                             kw(dim=maybe(d, dim(d, x.ndim)))))(d(tensors()))), family="shape")
entry("unbind", lambda d: ((lambda x: ((x,), kw(dim=maybe(d, dim(d, x.ndim)))))(d(tensors()))), family="shape")
entry("flip", lambda d: ((lambda x: ((x, d(st.sampled_from([[0], [-1], [0, 1], [0, 0], [], (1,), 0])) if
                                      d(st.integers(0, 4)) else [dim(d, x.ndim)]), {}))(d(tensors()))), family="shape")
entry("roll", lambda d: ((lambda x: ((x, d(st.sampled_from([1, -2, 5, 0, (1, 2), 1.5]))),
                                     kw(dims=maybe(d, dim(d, x.ndim)))))(d(tensors()))), family="shape")
entry("movedim", lambda d: ((lambda x: ((x, dim(d, x.ndim), dim(d, x.ndim)), {}))(d(tensors()))), family="shape")
entry("narrow", lambda d: ((lambda x: ((x, dim(d, x.ndim), d(st.integers(-2, 3)), d(st.integers(-1, 3))), {}))(
    d(tensors()))), family="shape")
entry("Tensor.expand", lambda d: ((lambda x: ((x, tuple(d(st.sampled_from([2, 1, -1, 0, 3])) for _ in
                                                        range(x.ndim + d(st.integers(-1, 1))))), {}))(d(tensors()))),
      forms=("method",), family="shape")
entry("Tensor.repeat", lambda d: ((lambda x: ((x, tuple(d(st.sampled_from([1, 2, 0, -1])) for _ in
                                                        range(x.ndim + d(st.integers(-1, 1))))), {}))(d(tensors()))),
      forms=("method",), family="shape")
entry("t", _unary(), family="shape")
entry("Tensor.contiguous", _unary(), forms=("method",), family="shape")
entry("Tensor.size", lambda d: ((lambda x: ((x, dim(d, x.ndim)) if d(st.booleans()) else (x,), {}))(d(tensors()))),
      forms=("method",), family="shape")
entry("Tensor.stride", lambda d: ((lambda x: ((x, dim(d, x.ndim)), {}))(d(tensors()))), forms=("method",),
      family="shape")


def _cat_args(draw):
    x = draw(tensors())
    n = draw(st.integers(0, 3))
    parts = [x]
    for _ in range(n):
        shape = list(x.shape)
        if shape and draw(st.integers(0, 3)):
            shape[draw(st.integers(0, len(shape) - 1))] = draw(st.integers(0, 3))
        elif draw(st.integers(0, 3)) == 0:
            shape = list(draw(shapes(0, 3)))
        parts.append(draw(tensors(shape=tuple(shape))))
    if draw(st.integers(0, 9)) == 0:
        parts = draw(st.sampled_from([[], [x, None], [x, 1.0]]))
    seq = tuple(parts) if draw(st.booleans()) else parts
    return (seq,), kw(dim=maybe(draw, dim(draw, x.ndim)))


entry("cat", _cat_args, forms=("fn",), family="shape")
entry("stack", _cat_args, forms=("fn",), family="shape")


# -- indexing ------------------------------------------------------------------------------------

def _gather_args(draw):
    x = draw(tensors())
    d = dim(draw, x.ndim)
    nd = x.ndim
    shape = tuple(draw(st.integers(0, n if n else 1)) for n in x.shape) if draw(st.integers(0, 4)) else \
        draw(shapes(0, 3))
    high = x.shape[d] if isinstance(d, int) and not isinstance(d, bool) and -max(nd, 1) <= d < max(nd, 1) and nd \
        else 1
    idx = index_tensor(draw, shape, high, dtype=draw(st.sampled_from(["int64", "int64", "int32", "float32"])))
    return (x, d, idx), {}


entry("gather", _gather_args, family="index")


def _take_along_args(draw):
    (x, d, idx), _ = _gather_args(draw)
    return (x, idx), kw(dim=maybe(draw, d, 4))


entry("take_along_dim", _take_along_args, family="index")


def _index_select_args(draw):
    x = draw(tensors())
    d = dim(draw, x.ndim)
    high = x.shape[d] if isinstance(d, int) and not isinstance(d, bool) and x.ndim and -x.ndim <= d < x.ndim else 1
    idx = index_tensor(draw, draw(st.sampled_from([(), (0,), (1,), (3,), (2, 1)])), high,
                       dtype=draw(st.sampled_from(["int64", "int32", "float32"])))
    return (x, d, idx), {}


entry("index_select", _index_select_args, family="index")


def _masked_fill_args(draw):
    x = draw(tensors())
    shape = draw(st.sampled_from([x.shape, x.shape[1:], (), x.shape + (1,)]))
    mask = draw(tensors(("bool", "bool", "bool", "uint8"), shape=shape))
    value = scalar(draw) if draw(st.integers(0, 3)) else draw(tensors(shape=draw(st.sampled_from([(), (1,), (2,)]))))
    return (x, mask, value), {}


entry("masked_fill", _masked_fill_args, family="index")
entry("Tensor.masked_fill_", _masked_fill_args, forms=("method",), family="index", inplace=True)
entry("masked_select", lambda d: ((lambda a: ((a[0], a[1]), {}))(_masked_fill_args(d)[0])), family="index")


def _scatter_args(draw):
    x, d, idx = _gather_args(draw)[0]
    src = draw(tensors(shape=idx.shape)) if draw(st.integers(0, 3)) else scalar(draw, "num")
    return ((x, d, idx, src) if not isinstance(src, TensorSpec) else (x, d, idx, src)), {}


entry("scatter", _scatter_args, family="index", argnames=("src", "value", "index"))


def _getitem(lib, x, idx):
    return x[idx]


def _setitem(lib, x, idx, value):
    y = x.clone()
    y[idx] = value
    return y


def _index_arg(draw, x):
    def one(k):
        n = x.shape[k] if k < x.ndim else 1
        return draw(st.one_of(
            st.integers(-n - 1, n),
            st.builds(slice, st.sampled_from([None, 0, 1, -1, 5]), st.sampled_from([None, 2, -1, 10]),
                      st.sampled_from([None, 1, 2, 3, -1, 0])),
            st.sampled_from([None, Ellipsis, [0, 1], [True], 1.5, [0.0]]),
            st.just(index_tensor(draw, draw(st.sampled_from([(), (2,), (1,)])), n)),
        ))
    k = draw(st.integers(1, max(1, x.ndim) + 1))
    items = tuple(one(i) for i in range(k))
    if draw(st.integers(0, 5)) == 0:
        return draw(tensors("bool", shape=x.shape, views=False))
    return items if len(items) > 1 or draw(st.booleans()) else items[0]


entry("Tensor.__getitem__", lambda d: ((lambda x: ((x, _index_arg(d, x)), {}))(d(tensors()))), forms=("custom",),
      custom=_getitem, family="index")
entry("Tensor.__setitem__", lambda d: ((lambda x: ((x, _index_arg(d, x), scalar(d, "num") if d(st.booleans()) else
                                                     d(tensors(shape=d(st.sampled_from([(), (1,)]))))), {}))(
    d(tensors()))), forms=("custom",), custom=_setitem, family="index")
entry("tril", lambda d: ((d(tensors()), ), kw(diagonal=maybe(d, d(st.integers(-2, 2))))), family="index")


# -- sorting -------------------------------------------------------------------------------------

entry("sort", lambda d: ((lambda x: ((x,), kw(dim=maybe(d, dim(d, x.ndim)), descending=maybe(d, d(st.booleans())))))(
    d(tensors()))), family="sort", ties=True)
entry("argsort", lambda d: ((lambda x: ((x,), kw(dim=maybe(d, dim(d, x.ndim)), descending=maybe(d, d(st.booleans())))))(
    d(tensors()))), family="sort", ties=True)


def _topk_args(draw):
    x = draw(tensors())
    dd = maybe(draw, dim(draw, x.ndim))
    n = x.shape[dd] if isinstance(dd, int) and not isinstance(dd, bool) and x.ndim and -x.ndim <= dd < x.ndim else \
        (x.shape[-1] if x.ndim else 1)
    k = draw(st.sampled_from([0, 1, n, n + 1, -1, max(n - 1, 0), 1.0]))
    return (x, k), kw(dim=dd, largest=maybe(draw, draw(st.booleans())), sorted=maybe(draw, True))


entry("topk", _topk_args, family="sort", ties=True)
entry("kthvalue", lambda d: ((lambda a: (a[0], kw(dim=a[1]["dim"]) if "dim" in a[1] else {}))(_topk_args(d))),
      family="sort", ties=True)


# -- creation ------------------------------------------------------------------------------------

def _size_arg(draw):
    s = tuple(draw(st.sampled_from([0, 1, 2, 3])) for _ in range(draw(st.integers(0, 3))))
    how = draw(st.integers(0, 9))
    if how == 0:
        s = s + (draw(st.sampled_from([-1, 2 ** 62, 2.0, None, "a"])),)
    return s


def _dtype_kw(draw, p=1):
    return maybe(draw, DType(draw(st.sampled_from(ALL_DTYPES))), p)


def _creation(kind):
    def draw_args(draw):
        s = _size_arg(draw)
        k = kw(dtype=_dtype_kw(draw), device=Device())
        if kind == "full":
            return (s, scalar(draw)), k
        if draw(st.booleans()):
            return (s,), k
        return s, k
    return draw_args


entry("zeros", _creation("zeros"), forms=("fn",), family="creation")
entry("ones", _creation("ones"), forms=("fn",), family="creation")
entry("full", _creation("full"), forms=("fn",), family="creation")


def _num(draw):
    return draw(st.sampled_from([0, 1, 2, -3, 5, 2.5, 0.5, -1.5, 10, math.nan, math.inf, 1e20, True, None]))


entry("arange", lambda d: (tuple(_num(d) for _ in range(d(st.integers(1, 3)))),
                           kw(dtype=_dtype_kw(d), device=Device())), forms=("fn",), family="creation")
entry("linspace", lambda d: ((_num(d), _num(d), d(st.sampled_from([0, 1, 2, 5, -1, 2.0]))),
                             kw(dtype=_dtype_kw(d), device=Device())), forms=("fn",), family="creation")
entry("eye", lambda d: (tuple(d(st.sampled_from([0, 1, 3, -1, 2.0])) for _ in range(d(st.integers(1, 2)))),
                        kw(dtype=_dtype_kw(d), device=Device())), forms=("fn",), family="creation")
entry("full_like", lambda d: ((d(tensors()), scalar(d)), kw(dtype=_dtype_kw(d))), forms=("fn",), family="creation")
entry("zeros_like", lambda d: ((d(tensors()),), kw(dtype=_dtype_kw(d))), forms=("fn",), family="creation")
entry("tensor", lambda d: ((d(st.sampled_from([[], [1, 2], [1.5, 2], [True, 2], [[1], [2, 3]], 2 ** 63, -2 ** 63,
                                               [1, 2 ** 63], 3.5, None, "a", [[]], [math.nan]])),),
                           kw(dtype=_dtype_kw(d), device=Device())), forms=("fn",), family="creation")


# -- nn.functional --------------------------------------------------------------------------------

def _dim_kw(draw, x, required=False):
    return kw(dim=dim(draw, x.ndim) if required else maybe(draw, dim(draw, x.ndim), 4))


entry("F.softmax", lambda d: ((lambda x: ((x,), {**_dim_kw(d, x, True), **kw(dtype=maybe(d, DType("float64"), 0))}))(
    d(tensors()))), forms=("F", "fn", "method"), attr="softmax", family="nn", rtol_scale=4.0)
entry("F.log_softmax", lambda d: ((lambda x: ((x,), _dim_kw(d, x, True)))(d(tensors()))),
      forms=("F", "fn", "method"), attr="log_softmax", family="nn", rtol_scale=4.0)


def _layer_norm_args(draw):
    x = draw(tensors())
    k = draw(st.integers(0, max(x.ndim, 1)))
    ns = list(x.shape[x.ndim - k:]) if k <= x.ndim else [3]
    if draw(st.integers(0, 6)) == 0:
        ns = draw(st.sampled_from([[5], [], 3, None]))
    w = draw(tensors(shape=tuple(ns))) if isinstance(ns, list) and draw(st.booleans()) else None
    b = draw(tensors(shape=tuple(ns))) if isinstance(ns, list) and draw(st.booleans()) else None
    return (x, ns), kw(weight=maybe(draw, w), bias=maybe(draw, b), eps=maybe(draw, draw(st.sampled_from([1e-5, 0.0, -1.0]))))


entry("F.layer_norm", _layer_norm_args, forms=("F",), family="nn", rtol_scale=30.0)

for _n, _extra in [("relu", None), ("gelu", lambda d, x: kw(approximate=maybe(d, d(st.sampled_from(["none", "tanh", "x"]))))),
                   ("silu", None), ("leaky_relu", lambda d, x: kw(negative_slope=maybe(d, scalar(d, "num")))),
                   ("elu", lambda d, x: kw(alpha=maybe(d, scalar(d, "num")))),
                   ("hardtanh", lambda d, x: kw(min_val=maybe(d, scalar(d, "num")), max_val=maybe(d, 2.0))),
                   ("softplus", lambda d, x: kw(beta=maybe(d, d(st.sampled_from([1, 2.0, 0.5, 0]))),
                                                threshold=maybe(d, 20))),
                   ("tanh", None), ("sigmoid", None)]:
    entry("F." + _n, _unary(extra=_extra), forms=("F",), family="nn", rtol_scale=4.0)


def _reduction_kw(draw):
    return kw(reduction=maybe(draw, draw(st.sampled_from(["mean", "sum", "none", "bad"]))))


def _pair_loss(draw):
    x = draw(tensors())
    y = draw(tensors(shape=draw(st.sampled_from([x.shape, x.shape, x.shape[1:], (5,)]))))
    return (x, y), _reduction_kw(draw)


entry("F.mse_loss", _pair_loss, forms=("F",), family="loss", rtol_scale=10.0)
entry("F.l1_loss", _pair_loss, forms=("F",), family="loss", rtol_scale=10.0)
entry("F.smooth_l1_loss", _pair_loss, forms=("F",), family="loss", rtol_scale=10.0)


def _class_loss(probs_ok):
    def draw_args(draw):
        x = draw(tensors(FLOAT_DTYPES + ("int64",), shape=draw(st.sampled_from([(2, 3), (3,), (0, 3), (2, 3, 2),
                                                                                 (1, 1), (2, 0)]))))
        c = x.shape[1] if x.ndim > 1 else (x.shape[0] if x.ndim else 1)
        tshape = (x.shape[0],) + x.shape[2:] if x.ndim > 1 else ()
        if probs_ok and draw(st.integers(0, 3)) == 0:
            t = draw(tensors(FLOAT_DTYPES, shape=x.shape, mode="unit"))
        else:
            t = index_tensor(draw, tshape if draw(st.integers(0, 6)) else (4,), c,
                             dtype=draw(st.sampled_from(["int64", "int64", "int32", "uint8"])))
        k = _reduction_kw(draw)
        if draw(st.integers(0, 3)) == 0:
            k["weight"] = draw(tensors(FLOAT_DTYPES, shape=draw(st.sampled_from([(c,), (c + 1,)])), mode="positive"))
        if draw(st.integers(0, 3)) == 0:
            k["ignore_index"] = draw(st.sampled_from([0, -100, 1]))
        if probs_ok and draw(st.integers(0, 4)) == 0:
            k["label_smoothing"] = draw(st.sampled_from([0.1, 0.0, 1.5]))
        return (x, t), k
    return draw_args


entry("F.cross_entropy", _class_loss(True), forms=("F",), family="loss", rtol_scale=10.0)
entry("F.nll_loss", _class_loss(False), forms=("F",), family="loss", rtol_scale=10.0)


def _pad_args(draw):
    x = draw(tensors(shape=draw(shapes(1, 4))))
    pad = tuple(draw(st.sampled_from([0, 1, 2, -1])) for _ in range(draw(st.sampled_from([2, 2, 4, 1, 3, 6]))))
    mode = draw(st.sampled_from(["constant", "constant", "reflect", "replicate", "circular", "bad"]))
    k = kw(mode=maybe(draw, mode, 0))
    if k.get("mode", "constant") == "constant" and draw(st.booleans()):
        k["value"] = scalar(draw, "num")
    return (x, pad), k


entry("F.pad", _pad_args, forms=("F",), family="nn")


def _conv1d_args(draw):
    n, cin, L = draw(st.sampled_from([1, 2])), draw(st.sampled_from([1, 2, 4])), draw(st.sampled_from([0, 1, 3, 5]))
    groups = draw(st.sampled_from([1, 1, 2]))
    cout = draw(st.sampled_from([1, 2, 4]))
    k = draw(st.sampled_from([1, 2, 3]))
    dt = draw(st.sampled_from(["float32", "float32", "float64", "float16", "int64"]))
    xshape = draw(st.sampled_from([(n, cin, L), (cin, L), (n, cin, L, 1)]))
    x = draw(tensors(dt, shape=xshape, mode="randn"))
    w = draw(tensors(dt, shape=(cout, max(cin // groups, 1), k), mode="randn"))
    b = draw(tensors(dt, shape=(cout,), mode="randn")) if draw(st.booleans()) else None
    kk = kw(stride=maybe(draw, draw(st.sampled_from([1, 2, 0]))),
            padding=maybe(draw, draw(st.sampled_from([0, 1, "same", "valid", -1]))),
            dilation=maybe(draw, draw(st.sampled_from([1, 2]))), groups=maybe(draw, groups))
    return (x, w, b), kk


entry("F.conv1d", _conv1d_args, forms=("F",), family="nn", rtol_scale=30.0)


def _linear_args(draw):
    dt = draw(st.sampled_from(["float32", "float64", "float16", "int64"]))
    x = draw(tensors(dt, shape=draw(shapes(1, 3)), mode="randn"))
    fin = x.shape[-1] if draw(st.integers(0, 5)) else 3
    w = draw(tensors(dt, shape=(draw(st.sampled_from([0, 1, 2])), fin), mode="randn"))
    b = draw(tensors(dt, shape=(w.shape[0],), mode="randn")) if draw(st.booleans()) else None
    return (x, w, b), {}


entry("F.linear", _linear_args, forms=("F",), family="nn", rtol_scale=30.0)


def _one_hot_args(draw):
    x = draw(tensors(("int64", "int64", "int32", "float32"), mode="index"))
    return (x,), kw(num_classes=maybe(draw, draw(st.sampled_from([-1, 0, 2, 4, 5]))))


entry("F.one_hot", _one_hot_args, forms=("F",), family="nn")


def _embedding_args(draw):
    w = draw(tensors(FLOAT_DTYPES, shape=draw(st.sampled_from([(4, 2), (3, 0), (0, 2), (4,)]))))
    idx = index_tensor(draw, draw(st.sampled_from([(), (2,), (2, 3), (0,)])), w.shape[0] if w.ndim else 1,
                       dtype=draw(st.sampled_from(["int64", "int32", "float32"])))
    return (idx, w), kw(padding_idx=maybe(draw, draw(st.sampled_from([0, -1, 9])), 4))


entry("F.embedding", _embedding_args, forms=("F",), family="nn")
entry("F.normalize", lambda d: ((lambda x: ((x,), kw(p=maybe(d, d(st.sampled_from([1, 2.0, math.inf]))),
                                                      **_dim_kw(d, x))))(d(tensors(FLOAT_DTYPES)))),
      forms=("F",), family="nn", rtol_scale=10.0)

FAMILIES = sorted({e.family for e in ENTRIES})
BY_NAME = {e.name: e for e in ENTRIES}


@st.composite
def calls(draw, family=None, names=None):
    from .harness import Call
    pool = [e for e in ENTRIES if (family is None or e.family == family) and (names is None or e.name in names)]
    e = draw(st.sampled_from(pool))
    form = draw(st.sampled_from(e.forms))
    args, kwargs = e.draw_args(draw)
    if form == "method" and not (args and isinstance(args[0], TensorSpec)):
        form = e.forms[0] if e.forms[0] != "method" else "fn"
    return Call(e, form, args, kwargs)
