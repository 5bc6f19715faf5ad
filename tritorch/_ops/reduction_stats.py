"""Statistical reductions: var / std (``correction=`` or legacy ``unbiased=``), var_mean /
std_mean, and the vector p-norm (``norm``; ``linalg.vector_norm`` semantics).

var and std are registry ops with a fused two-pass impl (mean, then centred sum of squares);
their gradients are tensor-op formulas, so double backward works.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import TYPE_CHECKING, Sequence

from ._common import Tensor, def_op, Node, apply, method, check_tensor, check_keepdim
from .pointwise_ternary import where
from .reduction_meta import reduce_shape, norm_dims, expand_back, torch_name
from .reduction import mean

if TYPE_CHECKING:
    from .._dtype import dtype

__all__ = ["var", "std", "var_mean", "std_mean", "norm"]
_E = {}


def _meta_var(op):
    def meta(x, dims, keepdim, correction):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
        check_keepdim(keepdim, op)
        if not x.dtype.is_floating_point:
            raise RuntimeError("std and var only support floating point and complex dtypes")
        return reduce_shape(x._data.shape, dims, keepdim), x.dtype
    meta.__doc__ = f"{op}: sum((x - mean)^2) / max(0, N - correction) over dims (tuple); float inputs."
    return meta


_VAR = def_op("var", _meta_var("var"))
_STD = def_op("std", _meta_var("std"))


def _var_backward(g, x, dims, keepdim, in_shape, denom):
    g = expand_back(g, in_shape, dims, keepdim)
    centred = x - x.mean(dims, keepdim=True) if dims else x - x
    return g * centred * (2.0 / denom if denom else math.inf)


class VarBackward0(Node):
    def backward(self, g):
        x, = self.saved_tensors
        return (_var_backward(g, x, self.dims, self.keepdim, self.in_shape, self.denom),)


class StdBackward0(Node):
    def backward(self, g):
        x, out = self.saved_tensors
        # d std = d var / (2 std); PyTorch masks std == 0 (constant input) to a zero gradient.
        zero = out == 0
        gv = where(zero, 0.0, g / (2.0 * where(zero, 1.0, out)))
        return (_var_backward(gv, x, self.dims, self.keepdim, self.in_shape, self.denom),)


def _parse_correction(op, dim, unbiased, correction):
    if isinstance(dim, bool):  # legacy var(input, unbiased)
        if unbiased is not None:
            raise TypeError(f"{op}(): 'unbiased' given twice")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}(): pass either 'unbiased' (legacy) or 'correction', not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    if not isinstance(correction, numbers.Real) or isinstance(correction, bool):
        raise TypeError(f"{op}(): argument 'correction' must be a number, not {type(correction).__name__}")
    return dim, correction


def _var_like(op, node_cls, name, input, dim, unbiased, keepdim, correction, out):
    check_tensor(input, name)
    check_keepdim(keepdim, name)
    dim, correction = _parse_correction(name, dim, unbiased, correction)
    dims = norm_dims(dim, input._data.ndim, name)
    shape = input._data.shape
    n = 1
    for d in dims:
        n *= shape[d] if shape else 1
    denom = n - correction
    if denom <= 0 and input.numel():
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    args = (input, dims, keepdim, correction)
    if out is not None:
        return op.run_out(args, _E, out)
    return apply(op, args, _E, node_cls, (input,), (input,), save_output=node_cls is StdBackward0, dims=dims,
                 keepdim=keepdim, in_shape=shape, denom=max(denom, 0))


@method()
def var(input: Tensor, dim: int | Sequence[int] | None = None, unbiased: bool | None = None,
        keepdim: bool = False, *, correction: float | None = None, out: Tensor | None = None) -> Tensor:
    """Variance over ``dim``: sum((x - mean)^2) / max(0, N - correction); correction defaults to 1
    (``unbiased=False`` is the legacy spelling of correction=0).  Float inputs only."""
    return _var_like(_VAR, VarBackward0, "var", input, dim, unbiased, keepdim, correction, out)


@method()
def std(input: Tensor, dim: int | Sequence[int] | None = None, unbiased: bool | None = None,
        keepdim: bool = False, *, correction: float | None = None, out: Tensor | None = None) -> Tensor:
    """Standard deviation: ``sqrt(var(...))`` with the same arguments as ``var``."""
    return _var_like(_STD, StdBackward0, "std", input, dim, unbiased, keepdim, correction, out)


def var_mean(input: Tensor, dim: int | Sequence[int] | None = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: float | None = None) -> tuple[Tensor, Tensor]:
    """(var, mean) over ``dim``, arguments as ``var``."""
    dim, correction = _parse_correction("var_mean", dim, unbiased, correction)
    return var(input, dim, keepdim=keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input: Tensor, dim: int | Sequence[int] | None = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: float | None = None) -> tuple[Tensor, Tensor]:
    """(std, mean) over ``dim``, arguments as ``std``."""
    dim, correction = _parse_correction("std_mean", dim, unbiased, correction)
    return std(input, dim, keepdim=keepdim, correction=correction), mean(input, dim, keepdim)


# ---- vector norm --------------------------------------------------------------------------------
def _meta_norm(x, p, dims, keepdim, dtype=None):
    """norm: (sum |x|^p)^(1/p) over dims (tuple); p = inf/-inf are max/min |x|, p = 0 counts non-zeros."""
    if not isinstance(x, Tensor):
        raise TypeError(f"linalg.vector_norm(): argument 'input' must be Tensor, not {type(x).__name__}")
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {torch_name(x.dtype)}")
    if dtype is not None and not dtype.is_floating_point:
        raise RuntimeError(f"linalg.vector_norm: dtype should be floating point or complex. Got {torch_name(dtype)}")
    shape = x._data.shape
    if p < 0 or p == math.inf:
        if any(shape[d] == 0 for d in dims if d < len(shape)):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on an empty tensor because "
                               "the operation does not have an identity")
    return reduce_shape(shape, dims, keepdim), dtype or x.dtype


_NORM = def_op("norm", _meta_norm)


class NormBackward1(Node):
    """Gradient of the vector p-norm, following PyTorch's ``linalg_vector_norm_backward``."""

    def backward(self, g):
        x, out = self.saved_tensors
        p, dims, keep, shape = self.p, self.dims, self.keepdim, self.in_shape
        x = x.to(out.dtype)
        g = expand_back(g, shape, dims, keep)
        nrm = expand_back(out, shape, dims, keep)
        if p == 0:
            r = x * 0.0
        elif p == 1:
            r = x.sign() * g
        elif math.isinf(p):
            ax = x.abs()
            mask = (ax == nrm).logical_or(ax.isnan()).to(g.dtype)
            count = mask.sum(dims, keepdim=True) if dims else mask
            r = x.sign() * (g / count) * mask
        elif p < 1:
            is_zero = x == 0
            r = where(is_zero, 0.0, x.sign() * where(is_zero, 1.0, x.abs()).pow(p - 1)) * g * nrm.pow(1 - p)
        else:
            zero = nrm == 0
            scale = where(zero, 0.0, g / where(zero, 1.0, nrm).pow(p - 1))
            r = x * scale if p == 2 else (x.sign() * x.abs().pow(p - 1) * scale if p < 2
                                          else x * x.abs().pow(p - 2) * scale)
        return (r.to(self.in_dtype),)


def _norm_p(p):
    if p == "fro" or p is None:
        return 2.0
    if isinstance(p, str):
        raise RuntimeError(f"norm: p='{p}' (a matrix norm) is not supported; tritorch.norm computes vector "
                           "norms (p a number, 'fro')")
    if not isinstance(p, numbers.Real) or isinstance(p, bool):
        raise TypeError(f"norm(): argument 'p' must be a number or 'fro', not {type(p).__name__}")
    return float(p)


def vector_norm(x: Tensor, ord: float | str = 2, dim: int | Sequence[int] | None = None, keepdim: bool = False,
                *, dtype: dtype | None = None, out: Tensor | None = None) -> Tensor:
    """``linalg.vector_norm``: the p-norm of ``x`` flattened over ``dim`` (all dims when None)."""
    check_tensor(x, "linalg.vector_norm")
    check_keepdim(keepdim, "linalg_vector_norm")
    p = _norm_p(ord)
    dims = norm_dims(dim, x._data.ndim, "linalg.vector_norm")
    args = (x, p, dims, keepdim, dtype)
    if out is not None:
        return _NORM.run_out(args, _E, out)
    return apply(_NORM, args, _E, NormBackward1, (x,), (x,), save_output=True, p=p, dims=dims, keepdim=keepdim,
                 in_shape=x._data.shape, in_dtype=x.dtype)


def norm(input: Tensor, p: float | str | None = "fro", dim: int | Sequence[int] | None = None,
         keepdim: bool = False, out: Tensor | None = None, dtype: dtype | None = None) -> Tensor:
    """Vector p-norm over ``dim`` (int, tuple or None = all): p a number (2, 1, inf, -inf, 0, any
    real) or 'fro' (= 2).  Matrix norms ('nuc') are not supported: use ``linalg``."""
    return vector_norm(input, p, dim, keepdim, dtype=dtype, out=out)


def _norm_method(self: Tensor, p: float | str | None = "fro", dim: int | Sequence[int] | None = None,
                 keepdim: bool = False, dtype: dtype | None = None) -> Tensor:
    """``Tensor.norm(p, dim, keepdim, dtype)``: PyTorch's method has no ``out`` before ``dtype``."""
    return vector_norm(self, p, dim, keepdim, dtype=dtype)


method("norm")(_norm_method)
