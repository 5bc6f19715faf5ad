"""Embedding and one-hot (``torch.nn.functional.embedding`` / ``one_hot``).

Registry ops:
* ``embedding(weight, indices)`` -> weight rows gathered at ``indices`` (any shape, int32/int64);
  an out-of-range index raises IndexError("index out of range in self") (cuda: one host sync).
* ``embedding_backward(grad, indices, num_weights, padding_idx, scale_grad_by_freq)`` -> dweight:
  rows of ``grad`` scatter-added at ``indices`` (``padding_idx`` rows get none; with
  ``scale_grad_by_freq`` each contribution is divided by its index's count in the batch).
  ``padding_idx`` is -1 for none.
* ``embedding_renorm(weight, indices, max_norm, norm_type)``: ``torch.embedding_renorm_``: every
  referenced row whose ``norm_type``-norm exceeds ``max_norm`` is scaled by max_norm / (norm + 1e-7).
  ``F.embedding(max_norm=...)`` runs it IN PLACE on the weight (no grad), as PyTorch does.
* ``one_hot(indices, num_classes)`` -> int64.
* ``embedding_bag(weight, indices, offsets, per_sample_weights, mode, padding_idx)`` ->
  (output (B, D), offset2bag (N,), bag_size (B,), max_indices (B, D) for mode "max" else (B, 0)):
  bag b reduces the rows at indices[offsets[b]:offsets[b + 1]] (``offsets`` has B + 1 entries; the
  last bag runs to the end of ``indices``, as in PyTorch's cpu kernel, offsets[-1] is only checked) by sum (each row times its per-sample weight when given), mean
  or max; padding_idx entries are skipped (not counted by mean); an empty bag gives zeros (max
  index -1).  offset2bag is each position's bag; bag_size counts the
  non-padding entries; max_indices holds the weight row each max came from.  Bad offsets
  (offsets[0] != 0, offsets[-1] > N) and out-of-range indices raise PyTorch's errors (cuda: one
  host sync).  Its gradients (weight, per_sample_weights) are composed of differentiable ops:
  ``embedding_backward`` of the per-position gradient rows (sum / mean), a scatter-add at
  max_indices (max), and a row dot product (per_sample_weights).  Deliberate difference: with
  mode="mean" and scale_grad_by_freq, PyTorch's cpu kernel miscounts some index frequencies; tritorch
  divides each row's gradient by its index's true count in the input.

Embedding gradients use ``embedding_backward``; with ``create_graph=True`` its result records an
``EmbeddingDenseBackwardBackward0`` node (a differentiable gather, as PyTorch defines it), so double
backward works and matches PyTorch (including its convention of not rescaling by frequency there).
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

from .. import _dtype as _D
from ._common import def_op, Node, apply, attach, check_tensor
from .creation import arange, zeros
from .joining import cat
from ..autograd.grad_mode import no_grad
from .gather_scatter import scatter_add

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = []
_E = {}
_INDEX = (_D.int32, _D.int64)


def _check_indices(indices, op="embedding"):
    check_tensor(indices, op, "indices")
    if indices.dtype not in _INDEX:
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {indices.dtype} instead (while checking arguments for {op})")


def _meta_emb(weight, indices):
    """embedding: ``weight[indices]`` (rows of a 2-D weight); out-of-range indices raise IndexError."""
    check_tensor(weight, "embedding", "weight")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    _check_indices(indices)
    if weight.shape[0] == 0 and indices.numel():
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    return tuple(indices.shape) + (weight.shape[1],), weight.dtype


def _meta_emb_bwd(grad, indices, num_weights, padding_idx, scale_grad_by_freq):
    """embedding_backward: (num_weights, D) sums of ``grad`` rows per index (padding_idx excluded,
    optionally divided by each index's frequency)."""
    check_tensor(grad, "embedding_backward", "grad")
    _check_indices(indices, "embedding_backward")
    if tuple(grad.shape[:-1]) != tuple(indices.shape) or grad.dim() != indices.dim() + 1:
        raise RuntimeError(f"embedding_backward: grad of shape {list(grad.shape)} does not match indices of shape "
                           f"{list(indices.shape)} + [embedding_dim]")
    if not grad.dtype.is_floating_point:
        raise RuntimeError(f"embedding_backward: expected a floating point grad, got {grad.dtype}")
    return (int(num_weights), grad.shape[-1]), grad.dtype


def _meta_renorm(weight, indices, max_norm, norm_type):
    """embedding_renorm: ``weight`` with each row referenced by ``indices`` whose norm exceeds
    ``max_norm`` rescaled to norm max_norm (in place via F.embedding)."""
    check_tensor(weight, "embedding_renorm_", "weight")
    if weight.dim() != 2:
        raise RuntimeError("embedding_renorm_: 'weight' must be 2-D")
    if not weight.dtype.is_floating_point:
        raise RuntimeError(f"embedding_renorm_: expected a floating point weight, got {weight.dtype}")
    _check_indices(indices, "embedding_renorm_")
    return tuple(weight.shape), weight.dtype


def _meta_one_hot(indices, num_classes):
    """one_hot: int64 tensor of shape indices.shape + (num_classes,) with ones at the index values."""
    check_tensor(indices, "one_hot", "input")
    if indices.dtype is not _D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    return tuple(indices.shape) + (int(num_classes),), _D.int64


_EMB = def_op("embedding", _meta_emb)
_EMB_BWD = def_op("embedding_backward", _meta_emb_bwd)
_RENORM = def_op("embedding_renorm", _meta_renorm)
_ONE_HOT = def_op("one_hot", _meta_one_hot)
_BAG_MODES = ("sum", "mean", "max")


def _meta_bag(weight, indices, offsets, per_sample_weights, mode, padding_idx):
    """embedding_bag: see the module docstring; outputs (B, D) weight dtype, (N,) int64, (B,) int64,
    (B, D) or (B, 0) int64."""
    check_tensor(weight, "embedding_bag", "weight")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    _check_indices(indices, "embedding_bag")
    check_tensor(offsets, "embedding_bag", "offsets")
    if offsets.dtype not in _INDEX:
        raise RuntimeError(f"Expected tensor for argument #1 'offsets' to have one of the following scalar types: "
                           f"Long, Int; but got {offsets.dtype} instead (while checking arguments for embedding_bag)")
    if indices.dim() != 1 or offsets.dim() != 1 or offsets.shape[0] < 1:
        raise RuntimeError(f"embedding_bag: expected 1-D indices and 1-D offsets with at least one entry, got "
                           f"{list(indices.shape)} and {list(offsets.shape)}")
    if not weight.dtype.is_floating_point:
        raise RuntimeError(f"embedding_bag: expected a floating point weight, got {weight.dtype}")
    if mode not in _BAG_MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None:
        check_tensor(per_sample_weights, "embedding_bag", "per_sample_weights")
        if tuple(per_sample_weights.shape) != tuple(indices.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                             f"must have the same shape as the input ({indices.shape})")
        if per_sample_weights.dtype is not weight.dtype:
            raise RuntimeError(f"embedding_bag: per_sample_weights ({per_sample_weights.dtype}) must have the "
                               f"weight's dtype ({weight.dtype})")
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                      "on GitHub.")
    b, d = offsets.shape[0] - 1, weight.shape[1]
    i64 = _D.int64
    return (((b, d), weight.dtype), ((indices.shape[0],), i64), ((b,), i64), ((b, d if mode == "max" else 0), i64))


_BAG = def_op("embedding_bag", _meta_bag, nout=4)


class EmbeddingDenseBackwardBackward0(Node):
    """Backward of ``embedding_backward`` w.r.t. its grad: PyTorch's embedding_dense_double_backward,
    a gather of the incoming rows at ``indices`` (zero at padding_idx; NOT rescaled by frequency,
    like PyTorch), composed of differentiable ops so higher orders work too."""

    def backward(self, gg):
        indices, = self.saved_tensors
        if gg is None:
            return (None,)
        r = embedding(indices, gg)
        if self.padding_idx >= 0:
            r = r * (indices != self.padding_idx).unsqueeze(-1).to(r.dtype)
        return (r,)


class EmbeddingBackward0(Node):
    def backward(self, g):
        indices, = self.saved_tensors
        if g is None or not self.needs_input_grad[0]:
            return (None,)
        return (_dense_backward(g, indices, self.num_weights, self.padding_idx, self.scale),)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` at the indices ``input`` (PyTorch's signature).  ``max_norm`` renormalises
    the referenced rows of ``weight`` in place first; ``sparse=True`` is not supported."""
    check_tensor(input, "embedding", "input")
    check_tensor(weight, "embedding", "weight")
    if sparse:
        raise NotImplementedError("embedding: sparse=True (sparse gradients) is not supported by tritorch; "
                                  "use sparse=False")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < n, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "Padding_idx must be within num_embeddings"
            padding_idx = n + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        _check_indices(input)
        with no_grad():
            _RENORM.run_inplace(weight, (weight, input.contiguous(), float(max_norm), float(norm_type)), _E)
    return apply(_EMB, (weight, input), _E, EmbeddingBackward0, (weight,), save=(input,), num_weights=n,
                 padding_idx=int(padding_idx), scale=bool(scale_grad_by_freq))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a trailing class dim (PyTorch's signature); ``num_classes=-1``
    infers max + 1 (one host sync)."""
    check_tensor(tensor, "one_hot", "input")
    if tensor.dtype is not _D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if not isinstance(num_classes, numbers.Integral) or isinstance(num_classes, bool):
        raise TypeError(f"one_hot(): argument 'num_classes' must be int, not {type(num_classes).__name__}")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max().item()) + 1
    elif num_classes < -1:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _ONE_HOT.run((tensor, int(num_classes)), _E)


def _dense_backward(rows, indices, num_weights, padding_idx, scale_grad_by_freq):
    """``embedding_backward`` of per-index gradient rows, differentiable w.r.t. ``rows``."""
    return apply(_EMB_BWD, (rows, indices, num_weights, padding_idx, scale_grad_by_freq), _E,
                 EmbeddingDenseBackwardBackward0, (rows,), save=(indices,), padding_idx=padding_idx)


class EmbeddingBagBackward0(Node):
    """Gradients of the bag output w.r.t. (weight, per_sample_weights), in differentiable ops."""

    def backward(self, g, *_):
        indices, offset2bag, bag_size, max_idx, weight, psw = self.saved_tensors
        if g is None:
            return None, None
        mode = self.mode
        dw = dpsw = None
        if mode == "max":
            if self.needs_input_grad[0]:
                hit = max_idx >= 0
                src = g * hit.to(g.dtype)
                dw = scatter_add(zeros(tuple(weight.shape), dtype=g.dtype, device=g.device), 0,
                                 max_idx.clamp(min=0), src)
            return dw, None
        valid = (offset2bag >= 0)
        if self.padding_idx >= 0:
            valid = valid & (indices != self.padding_idx)
        bag = offset2bag.clamp(min=0)
        rows = g.index_select(0, bag)  # (N, D): each position's bag gradient
        scale = valid.to(g.dtype)
        if mode == "mean":
            scale = scale / bag_size.index_select(0, bag).clamp(min=1).to(g.dtype)
        if self.needs_input_grad[0]:
            sr = rows * (scale if psw is None else scale * psw).unsqueeze(-1)
            dw = _dense_backward(sr, indices, weight.shape[0], self.padding_idx, self.scale_grad_by_freq)
        if psw is not None and self.needs_input_grad[1]:
            dpsw = (rows * embedding(indices, weight)).sum(-1) * scale
        return dw, dpsw


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxes of bags of embedding rows, without materialising the (N, D) rows.
    Input: (B, L) (B bags of L indices; ``offsets`` must be None) or (N,) with 1-D ``offsets`` giving each
    bag's start (``include_last_offset``: offsets has B + 1 entries, the last one the end).
    Weight: (V, D); output: (B, D).  ``per_sample_weights`` (input's shape, mode "sum" only) scale the
    rows; ``padding_idx`` rows are skipped; ``max_norm`` renormalises the referenced rows of weight in
    place first.  ``sparse=True`` (sparse gradients) is not supported."""
    check_tensor(input, "embedding_bag", "input")
    check_tensor(weight, "embedding_bag", "weight")
    if per_sample_weights is not None:
        check_tensor(per_sample_weights, "embedding_bag", "per_sample_weights")
        if tuple(input.shape) != tuple(per_sample_weights.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                             f"must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        _check_indices(input, "embedding_bag")
        b, length = input.shape
        offsets = arange(0, b * length + 1, max(length, 1), dtype=input.dtype, device=input.device)
        if length == 0:
            offsets = offsets.new_zeros((b + 1,))
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        check_tensor(offsets, "embedding_bag", "offsets")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        if not include_last_offset:
            offsets = cat([offsets, offsets.new_full((1,), input.shape[0])])
        elif offsets.shape[0] == 0:
            raise RuntimeError("include_last_offset: numBags should be at least 1")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    if sparse:
        raise NotImplementedError("embedding_bag: sparse=True (sparse gradients) is not supported by tritorch; "
                                  "use sparse=False")
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < n, "padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "padding_idx must be within num_embeddings"
            padding_idx = n + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        _check_indices(input, "embedding_bag")
        with no_grad():
            _RENORM.run_inplace(weight, (weight, input.contiguous(), float(max_norm), float(norm_type)), _E)
    if offsets.dtype is not input.dtype and offsets.dtype in _INDEX and input.dtype in _INDEX:
        offsets = offsets.to(input.dtype)
    out, offset2bag, bag_size, max_idx = _BAG.run((weight, input, offsets, per_sample_weights, mode,
                                                   int(padding_idx)), _E)
    psw = per_sample_weights
    attach(EmbeddingBagBackward0, (weight, psw), out, save=(input, offset2bag, bag_size, max_idx, weight, psw),
           mode=mode, padding_idx=int(padding_idx), scale_grad_by_freq=bool(scale_grad_by_freq))
    return out


FUNCTIONAL = {"embedding": embedding, "one_hot": one_hot, "embedding_bag": embedding_bag}
