"""Reductions over ``dim`` (int, tuple or None) with ``keepdim``: sum, mean, ...

One meta (``reduce_meta``) serves every reduction: it normalises dims and computes the
output shape; dtype rules follow PyTorch (sum of ints -> int64, mean needs floats).
"""
from .. import _dtype
from ._common import Tensor, def_op, Node, record, STATE, reduce_dims, method

__all__ = ["sum", "mean"]
_E = {}


def reduce_shape(shape, dims, keepdim):
    if keepdim:
        return tuple(1 if i in dims else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in dims)


def reduce_meta(op, dtype_rule):
    """Meta factory: ``meta(x, dims, keepdim, dtype)`` -> (out shape, out dtype).

    ``dims`` is already a normalised tuple.  ``dtype_rule(x_dtype, dtype)`` picks the
    output dtype (or raises for unsupported dtypes).
    """
    def meta(x, dims, keepdim, dtype=None):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
        return reduce_shape(x._data.shape, dims, keepdim), dtype_rule(x.dtype, dtype)
    meta.__doc__ = f"{op}: reduce over dims (tuple), keepdim; output shape drops or keeps them as size 1."
    return meta


def _sum_dtype(xd, dtype):
    if dtype is not None:
        return dtype
    return _dtype.int64 if (not xd.is_floating_point) else xd


def _mean_dtype(xd, dtype):
    d = dtype or xd
    if not d.is_floating_point:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            f"Got: {d.name.capitalize() if d.name != 'int64' else 'Long'}")
    return d


_SUM = def_op("sum", reduce_meta("sum", _sum_dtype))
_MEAN = def_op("mean", reduce_meta("mean", _mean_dtype))


def expand_back(g, in_shape, dims, keepdim):
    """Broadcast a reduced gradient back to ``in_shape``."""
    if not keepdim and dims:
        shape = list(in_shape)
        for d in dims:
            shape[d] = 1
        g = g.reshape(tuple(shape))
    return g.expand(in_shape)


class SumBackward1(Node):
    def backward(self, g):
        return (expand_back(g, self.in_shape, self.dims, self.keepdim).to(self.in_dtype),)


SumBackward0 = type("SumBackward0", (SumBackward1,), {})


class MeanBackward1(Node):
    def backward(self, g):
        return (expand_back(g, self.in_shape, self.dims, self.keepdim) / self.count,)


MeanBackward0 = type("MeanBackward0", (MeanBackward1,), {})


def _reduce(op, node_cls, input, dim, keepdim, dtype, out, node_attrs=None):
    dims = reduce_dims(dim, input._data.ndim, op.name)
    args = (input, dims, keepdim, dtype)
    if out is not None:
        return op.run_out(args, _E, out)
    r = op.run(args, _E)
    if STATE.enabled and input._requires_grad and node_cls is not None and r.dtype.is_floating_point:
        n = node_cls()
        n.in_shape, n.dims, n.keepdim, n.in_dtype = input._data.shape, dims, keepdim, input.dtype
        if node_attrs:
            n.__dict__.update(node_attrs)
        record(n, (input,), (r,))
    return r




@method()
def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum over ``dim`` (all dims when None).  Integer/bool inputs sum to int64."""
    cls = SumBackward0 if dim is None else SumBackward1
    return _reduce(_SUM, cls, input, dim, keepdim, dtype, out)


@method()
def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean over ``dim`` (all dims when None); floating inputs only, as in PyTorch."""
    dims = reduce_dims(dim, input._data.ndim, "mean")
    count = 1
    for d in dims:
        count *= input._data.shape[d]
    cls = MeanBackward0 if dim is None else MeanBackward1
    return _reduce(_MEAN, cls, input, dim, keepdim, dtype, out, {"count": count})
