"""``normalize``, ``cosine_similarity`` and ``pairwise_distance`` (``torch.nn.functional``).

All three are COMPOSED from registry ops (norm, clamp_min, div, mul, sum, sub, add) with
PyTorch's own formulas, so autograd is the composition's and matches PyTorch's exactly; no
dedicated kernel pays here (each is one or two memory-bound reductions plus an elementwise pass),
so the family declares no registry op.  ``tritorch.cosine_similarity`` / ``pairwise_distance``
are exported too (same signatures as torch's).

* normalize: ``x / max(||x||_p, eps)`` over ``dim``.
* cosine_similarity (PyTorch >= 2.1 formula): ``sum((x1 / max(||x1||, eps)) * (x2 / max(||x2||,
  eps)), dim)`` after broadcasting, each norm clamped SEPARATELY; PyTorch clamps the norms in place
  under no_grad, so the clamp is invisible to autograd (the gradient flows through the unclamped
  norm): reproduced by ``n + (clamp_min(n, eps) - n).detach()``.
* pairwise_distance: ``||x1 - x2 + eps||_p`` over the last dim.
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

from .. import _dtype as _D
from .._dtype import TORCH_NAMES
from ._common import check_tensor, broadcast_shapes, wrap_dim, promote

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["cosine_similarity", "pairwise_distance"]


def _float_input(x):
    if x.dtype.is_floating_point:
        return x
    return x.to(_D.get_default_dtype())


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim`` (PyTorch's signature; composed)."""
    check_tensor(input, "normalize")
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    from .. import div
    return div(input, denom, out=out)


def _clamped_norm(x, dim, eps):
    n = x.norm(2, dim, keepdim=True)
    return n + (n.clamp_min(eps) - n).detach()


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine similarity of ``x1`` and ``x2`` (broadcast) along ``dim`` (PyTorch's signature and
    formula: each norm clamped to ``eps`` separately; composed)."""
    check_tensor(x1, "cosine_similarity", "x1")
    check_tensor(x2, "cosine_similarity", "x2")
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"cosine_similarity(): argument 'dim' must be int, not {type(dim).__name__}")
    shape = broadcast_shapes(tuple(x1.shape), tuple(x2.shape), op="cosine_similarity")
    common = promote(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {TORCH_NAMES[common]}")
    d = wrap_dim(dim, len(shape), "cosine_similarity")
    x1 = _float_input(x1)
    x2 = _float_input(x2)
    if tuple(x1.shape) != shape:
        x1 = x1.expand(shape)
    if tuple(x2.shape) != shape:
        x2 = x2.expand(shape)
    return ((x1 / _clamped_norm(x1, d, eps)) * (x2 / _clamped_norm(x2, d, eps))).sum(d)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim (PyTorch's signature and formula; composed)."""
    check_tensor(x1, "pairwise_distance", "x1")
    check_tensor(x2, "pairwise_distance", "x2")
    nd = max(x1.dim(), x2.dim())
    diff = x1 - x2 + eps
    if nd == 0:
        return diff.abs() if p != 0 else (diff != 0).to(diff.dtype)
    return diff.norm(p, nd - 1, keepdim=keepdim)


FUNCTIONAL = {"normalize": normalize, "cosine_similarity": cosine_similarity,
              "pairwise_distance": pairwise_distance}
