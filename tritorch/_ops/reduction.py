"""Reductions over ``dim`` (int, tuple/list, or None = all dims) with ``keepdim``:
sum, nansum, mean, nanmean, prod, amax/amin, max/min (three forms), argmax/argmin,
aminmax, all/any, count_nonzero, logsumexp.  var/std/norm live in ``reduction_stats``,
cumsum/cumprod in ``reduction_scan``, isclose/allclose/equal in ``reduction_compare``.

One meta factory (``reduction_meta.reduce_meta``) serves the plain reductions: it computes the
output shape; dtype rules follow PyTorch (sum/prod of ints and bool -> int64, mean needs floats).
An empty ``dim`` tuple means "all dims", as in PyTorch.
"""
from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Sequence

from .. import _dtype
from .._dtype import get_default_dtype
from ._common import Tensor, def_op, Node, attach, method, wrap_dim, check_tensor, check_keepdim
from .reduction_meta import torch_name, reduce_shape, norm_dims, check_nonempty, reduce_meta, expand_back
from .pointwise import maximum, minimum
from .pointwise_ternary import where
from .sort_index import return_type, index_backward, evenly_distribute, values_indices

if TYPE_CHECKING:
    from .._dtype import dtype

__all__ = ["sum", "nansum", "mean", "nanmean", "prod", "amax", "amin", "max", "min", "argmax", "argmin",
           "aminmax", "all", "any", "count_nonzero", "logsumexp"]
_E = {}


def _sum_dtype(xd, dtype):
    if dtype is not None:
        return dtype
    return _dtype.int64 if (not xd.is_floating_point) else xd


def _mean_dtype(xd, dtype):
    d = dtype or xd
    if not d.is_floating_point:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            f"Got: {torch_name(d)}")
    return d


def _same_dtype(xd, dtype):
    return xd


def _float_dtype(xd, dtype):
    return xd if xd.is_floating_point else get_default_dtype()


def _logical_dtype(xd, dtype):
    # PyTorch keeps uint8 for all/any on uint8 inputs (backwards compatibility); bool otherwise.
    return _dtype.uint8 if xd is _dtype.uint8 else _dtype.bool


_SUM = def_op("sum", reduce_meta("sum", _sum_dtype))
_NANSUM = def_op("nansum", reduce_meta("nansum", _sum_dtype))
_MEAN = def_op("mean", reduce_meta("mean", _mean_dtype))
_PROD = def_op("prod", reduce_meta("prod", _sum_dtype))
_AMAX = def_op("amax", reduce_meta("amax", _same_dtype, nonempty=True))
_AMIN = def_op("amin", reduce_meta("amin", _same_dtype, nonempty=True))
_ALL = def_op("all", reduce_meta("all", _logical_dtype))
_ANY = def_op("any", reduce_meta("any", _logical_dtype))
_LOGSUMEXP = def_op("logsumexp", reduce_meta("logsumexp", _float_dtype))


def _meta_count_nonzero(x, dims):
    """count_nonzero: number of non-zero elements over dims (tuple); int64, dims dropped."""
    return reduce_shape(x._data.shape, dims, False), _dtype.int64


_COUNT_NONZERO = def_op("count_nonzero", _meta_count_nonzero)


def _meta_max_dim(op):
    def meta(x, dim, keepdim):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
        check_nonempty(x, (dim,), op)
        shape = reduce_shape(x._data.shape, (dim,), keepdim)
        return (shape, x.dtype), (shape, _dtype.int64)
    meta.__doc__ = f"{op}_dim: (values, int64 indices) of the {op} along one dim; size-0 dims rejected."
    return meta


_MAX_DIM = def_op("max_dim", _meta_max_dim("max"), nout=2)
_MIN_DIM = def_op("min_dim", _meta_max_dim("min"), nout=2)


def _meta_arg(op):
    def meta(x, dim, keepdim):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
        check_keepdim(keepdim, op)
        if x.dtype is _dtype.bool:
            raise RuntimeError(f"{op}(): does not support bool input")
        shape = x._data.shape
        if dim is None:
            if x.numel() == 0:
                raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
            return (tuple(1 for _ in shape) if keepdim else ()), _dtype.int64
        check_nonempty(x, (dim,), op)
        return reduce_shape(shape, (dim,), keepdim), _dtype.int64
    meta.__doc__ = f"{op}: int64 index of the {op[3:]} along dim (None: of the flattened input)."
    return meta


_ARGMAX = def_op("argmax", _meta_arg("argmax"))
_ARGMIN = def_op("argmin", _meta_arg("argmin"))


# ---- autograd --------------------------------------------------------------------------------
class SumBackward1(Node):
    def backward(self, g):
        return (expand_back(g, self.in_shape, self.dims, self.keepdim).to(self.in_dtype),)


SumBackward0 = type("SumBackward0", (SumBackward1,), {})


class MeanBackward1(Node):
    def backward(self, g):
        return (expand_back(g, self.in_shape, self.dims, self.keepdim).to(self.in_dtype) / self.count,)


MeanBackward0 = type("MeanBackward0", (MeanBackward1,), {})


class NansumBackward0(Node):
    def backward(self, g):
        x, = self.saved_tensors
        g = expand_back(g, self.in_shape, self.dims, self.keepdim).to(self.in_dtype)
        return (where(x.isnan(), 0.0, g),)


class ProdBackward1(Node):
    """d prod / d x_i = product of the others.  Zeros are handled without dividing by them:
    with no zero it is out / x_i, with exactly one zero only that element gets the product of
    the non-zeros, with two or more every gradient is 0."""

    def backward(self, g):
        x, = self.saved_tensors
        dims, keep = self.dims, True
        g = expand_back(g, self.in_shape, dims, self.keepdim).to(self.in_dtype)
        is_zero = x == 0
        x_safe = where(is_zero, 1.0, x)
        p_nonzero = x_safe.prod(dims, keepdim=keep) if dims else x_safe
        nz = is_zero.sum(dims, keepdim=keep) if dims else is_zero.to(_dtype.int64)
        gp = g * p_nonzero
        return (where(nz == 0, gp / x_safe, where(is_zero.logical_and(nz == 1), gp, 0.0)),)


ProdBackward0 = type("ProdBackward0", (ProdBackward1,), {})


class AmaxBackward0(Node):
    """Gradient shared evenly between the elements equal to the result (ties)."""

    def backward(self, g):
        x, out = self.saved_tensors
        g = expand_back(g, self.in_shape, self.dims, self.keepdim)
        mask = (x == expand_back(out, self.in_shape, self.dims, self.keepdim)).to(g.dtype)
        count = mask.sum(self.dims, keepdim=True) if self.dims else mask
        return (g * mask / count,)


AminBackward0 = type("AminBackward0", (AmaxBackward0,), {})


class MaxBackward1(Node):
    def backward(self, g):
        x, out = self.saved_tensors
        return (evenly_distribute(g, x, out),)


MinBackward1 = type("MinBackward1", (MaxBackward1,), {})


class MaxBackward0(Node):
    """max/min with dim: the gradient goes to the returned index only."""

    def backward(self, g, g_idx=None):
        idx, = self.saved_tensors
        return (index_backward(g, idx, self.dim, self.keepdim, self.in_shape),)


MinBackward0 = type("MinBackward0", (MaxBackward0,), {})


class LogsumexpBackward0(Node):
    def backward(self, g):
        x, out = self.saved_tensors
        g = expand_back(g, self.in_shape, self.dims, self.keepdim)
        return (g * (x - expand_back(out, self.in_shape, self.dims, self.keepdim)).exp(),)


# ---- public functions ---------------------------------------------------------------------------
def _reduce(op, node_cls, input, dim, keepdim, dtype, out, save=0, **fields):
    """Run a plain reduction; its node (``node_cls``, None for none) saves the first ``save`` of
    (input, result) and gets ``fields`` besides the reduction's shape/dims/dtype."""
    check_tensor(input, op.name)
    check_keepdim(keepdim, op.name)  # PyTorch's argument parser rejects it before any dim check
    dims = norm_dims(dim, input._data.ndim, op.name)
    args = (input, dims, keepdim, dtype)
    if out is not None:
        return op.run_out(args, _E, out)
    r = op.run(args, _E)
    # An integer result (``dtype=`` of a float input) is not differentiable.
    if node_cls is not None and r.dtype.is_floating_point:
        attach(node_cls, (input,), r, (input, r)[:save], in_shape=input._data.shape, dims=dims, keepdim=keepdim,
               in_dtype=input.dtype, **fields)
    return r


@method()
def sum(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
        dtype: dtype | None = None, out: Tensor | None = None) -> Tensor:
    """Sum over ``dim`` (all dims when None).  Integer/bool inputs sum to int64; sum of nothing is 0."""
    cls = SumBackward0 if dim is None else SumBackward1
    return _reduce(_SUM, cls, input, dim, keepdim, dtype, out)


@method()
def nansum(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
           dtype: dtype | None = None, out: Tensor | None = None) -> Tensor:
    """Sum treating NaN as zero.  Integer/bool inputs sum to int64."""
    return _reduce(_NANSUM, NansumBackward0, input, dim, keepdim, dtype, out, save=1)


@method()
def mean(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
         dtype: dtype | None = None, out: Tensor | None = None) -> Tensor:
    """Mean over ``dim`` (all dims when None); floating inputs only, as in PyTorch; empty -> nan."""
    check_tensor(input, "mean")
    check_keepdim(keepdim, "mean")
    dims = norm_dims(dim, input._data.ndim, "mean")
    count = 1
    for d in dims:
        count *= input._data.shape[d] if input._data.ndim else 1
    cls = MeanBackward0 if dim is None else MeanBackward1
    return _reduce(_MEAN, cls, input, dim, keepdim, dtype, out, count=count)


@method()
def nanmean(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
            dtype: dtype | None = None, out: Tensor | None = None) -> Tensor:
    """Mean of the non-NaN elements (nan where there are none); floating inputs only."""
    check_tensor(input, "nanmean")
    check_keepdim(keepdim, "nanmean")
    d = dtype or input.dtype
    if not d.is_floating_point:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{torch_name(d)}")
    count = input.isnan().logical_not().sum(dim, keepdim=keepdim)
    r = nansum(input, dim, keepdim, dtype=dtype) / count
    if out is not None:
        return out.copy_(r.detach())
    return r


@method()
def prod(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
         dtype: dtype | None = None, out: Tensor | None = None) -> Tensor:
    """Product over ``dim`` (all dims when None); ints/bool -> int64; product of nothing is 1."""
    cls = ProdBackward0 if dim is None else ProdBackward1
    return _reduce(_PROD, cls, input, dim, keepdim, dtype, out, save=1)


def _full_nonempty(input, dim, keepdim, op):
    """PyTorch's error for a full amax/amin (``dim`` None or empty) of an empty tensor."""
    check_tensor(input, op)
    check_keepdim(keepdim, op)
    if (dim is None or dim.__class__ in (tuple, list) and not dim) and input.numel() == 0:
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")


@method()
def amax(input: Tensor, dim: int | Sequence[int] | None = (), keepdim: bool = False, *,
         out: Tensor | None = None) -> Tensor:
    """Maximum over ``dim`` (all dims for ``()``/None); NaN propagates; ties share the gradient."""
    _full_nonempty(input, dim, keepdim, "amax")
    return _reduce(_AMAX, AmaxBackward0, input, dim, keepdim, None, out, save=2)


@method()
def amin(input: Tensor, dim: int | Sequence[int] | None = (), keepdim: bool = False, *,
         out: Tensor | None = None) -> Tensor:
    """Minimum over ``dim`` (all dims for ``()``/None); NaN propagates; ties share the gradient."""
    _full_nonempty(input, dim, keepdim, "amin")
    return _reduce(_AMIN, AminBackward0, input, dim, keepdim, None, out, save=2)


_MAX_RT = return_type("max", ("values", "indices"))
_MIN_RT = return_type("min", ("values", "indices"))


def _max_min(name, amax_op, dim_op, full_node, dim_node, binary, rt, input, dim, keepdim, out):
    if isinstance(dim, Tensor):
        return binary(input, dim, out=out)
    check_tensor(input, name)
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        args = (input, tuple(range(input._data.ndim)), False, None)
        if out is not None:
            return amax_op.run_out(args, _E, out)
        r = amax_op.run(args, _E)
        if r.dtype.is_floating_point:
            attach(full_node, (input,), r, (input, r))
        return r
    check_keepdim(keepdim, name)
    d = wrap_dim(dim, input._data.ndim, name)
    return values_indices(dim_op, dim_node, rt, input, (d, keepdim), d, keepdim, out)


@method()
def max(input: Tensor, dim: int | Tensor | None = None, keepdim: bool = False, *,
        out: Tensor | tuple[Tensor, Tensor] | None = None) -> Tensor | tuple[Tensor, Tensor]:
    """``max(input)`` -> 0-d maximum; ``max(input, dim, keepdim)`` -> (values, indices);
    ``max(input, other)`` -> elementwise ``maximum``.  NaN propagates."""
    return _max_min("max", _AMAX, _MAX_DIM, MaxBackward1, MaxBackward0, maximum, _MAX_RT, input, dim, keepdim, out)


@method()
def min(input: Tensor, dim: int | Tensor | None = None, keepdim: bool = False, *,
        out: Tensor | tuple[Tensor, Tensor] | None = None) -> Tensor | tuple[Tensor, Tensor]:
    """``min(input)`` -> 0-d minimum; ``min(input, dim, keepdim)`` -> (values, indices);
    ``min(input, other)`` -> elementwise ``minimum``.  NaN propagates."""
    return _max_min("min", _AMIN, _MIN_DIM, MinBackward1, MinBackward0, minimum, _MIN_RT, input, dim, keepdim, out)


def _arg(op, input, dim, keepdim, out):
    check_tensor(input, op.name)
    check_keepdim(keepdim, op.name)
    d = None if dim is None else wrap_dim(dim, input._data.ndim, op.name)
    if out is not None:
        return op.run_out((input, d, keepdim), _E, out)
    return op.run((input, d, keepdim), _E)


@method()
def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           out: Tensor | None = None) -> Tensor:
    """Index (int64) of the first maximum along ``dim``; ``dim=None`` indexes the flattened input."""
    return _arg(_ARGMAX, input, dim, keepdim, out)


@method()
def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           out: Tensor | None = None) -> Tensor:
    """Index (int64) of the first minimum along ``dim``; ``dim=None`` indexes the flattened input."""
    return _arg(_ARGMIN, input, dim, keepdim, out)


_AMINMAX_RT = return_type("aminmax", ("min", "max"))


@method()
def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False,
            out: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
    """(min, max) over ``dim`` (all dims when None) in one call."""
    check_tensor(input, "aminmax")
    check_keepdim(keepdim, "aminmax")
    if dim is not None:  # one int dim, as in PyTorch (a tuple is a TypeError from wrap_dim)
        d = wrap_dim(dim, input._data.ndim, "aminmax")
        if input._data.ndim and input._data.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    dims = norm_dims(dim, input._data.ndim, "aminmax")
    shape = input._data.shape
    if builtins.any(shape[d] == 0 for d in dims if d < len(shape)):
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has "
                           "no identity.")
    if out is not None:
        amin(input, dims, keepdim, out=out[0])
        amax(input, dims, keepdim, out=out[1])
        return _AMINMAX_RT(*out)
    return _AMINMAX_RT(amin(input, dims, keepdim), amax(input, dims, keepdim))


@method()
def all(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
        out: Tensor | None = None) -> Tensor:
    """True where every element over ``dim`` is non-zero (bool; uint8 for uint8 inputs); an empty
    ``dim`` list reduces over nothing (PyTorch's ``all.dims``: ``x != 0``, shape kept)."""
    return _logical(_ALL, input, dim, keepdim, out)


@method()
def any(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
        out: Tensor | None = None) -> Tensor:
    """True where some element over ``dim`` is non-zero (bool; uint8 for uint8 inputs); an empty
    ``dim`` list reduces over nothing (``x != 0``, shape kept)."""
    return _logical(_ANY, input, dim, keepdim, out)


def _logical(op, input, dim, keepdim, out):
    if dim.__class__ in (tuple, list) and len(dim) == 0:
        # Unlike sum/amax (where ``()`` means every dim), all/any reduce over exactly the dims given.
        check_tensor(input, op.name)
        check_keepdim(keepdim, op.name)
        args = (input, (), keepdim, None)
        return op.run_out(args, _E, out) if out is not None else op.run(args, _E)
    return _reduce(op, None, input, dim, keepdim, None, out)


@method()
def count_nonzero(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Number of non-zero elements over ``dim`` (int64; reduced dims are dropped)."""
    check_tensor(input, "count_nonzero")
    return _COUNT_NONZERO.run((input, norm_dims(dim, input._data.ndim, "count_nonzero")), _E)


@method()
def logsumexp(input: Tensor, dim: int | Sequence[int], keepdim: bool = False, *,
              out: Tensor | None = None) -> Tensor:
    """``log(sum(exp(input), dim))`` computed stably (max subtracted first); ints give the default
    float dtype; over an empty dim the result is -inf."""
    return _reduce(_LOGSUMEXP, LogsumexpBackward0, input, dim, keepdim, None, out, save=2)

