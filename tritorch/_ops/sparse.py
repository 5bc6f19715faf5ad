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

Embedding gradients use ``embedding_backward``; with ``create_graph=True`` its result records an
``EmbeddingDenseBackwardBackward0`` node (a differentiable gather, as PyTorch defines it), so double
backward works and matches PyTorch (including its convention of not rescaling by frequency there).
"""
import numbers

from .. import _dtype as _D
from ._common import def_op, Node, record, STATE, check_tensor

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
        d = _EMB_BWD.run((g, indices, self.num_weights, self.padding_idx, self.scale), _E)
        if STATE.enabled and g._requires_grad:
            node = EmbeddingDenseBackwardBackward0()
            node.padding_idx = self.padding_idx
            node.save_for_backward(indices)
            record(node, (g,), (d,))
        return (d,)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
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
        from ..autograd.grad_mode import no_grad
        with no_grad():
            _RENORM.run_inplace(weight, (weight, input.contiguous(), float(max_norm), float(norm_type)), _E)
    out = _EMB.run((weight, input), _E)
    if STATE.enabled and weight._requires_grad:
        node = EmbeddingBackward0()
        node.num_weights, node.padding_idx, node.scale = n, int(padding_idx), bool(scale_grad_by_freq)
        node.save_for_backward(input)
        record(node, (weight,), (out,))
    return out


def one_hot(tensor, num_classes=-1):
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


FUNCTIONAL = {"embedding": embedding, "one_hot": one_hot}
