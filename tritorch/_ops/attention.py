"""Scaled dot-product attention (``torch.nn.functional.scaled_dot_product_attention``).

Two registry ops:
  * ``scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale, seed, offset)``
    -> (out, lse): out = dropout(softmax(scale * q k^T + bias)) v over broadcast batch dims, and the
    per-row natural-log logsumexp of the (masked, scaled) scores, (N..., L), float32 for half inputs.
    A row whose every key is masked out gives out = 0 and lse = +inf (PyTorch 2.13's CPU result:
    zeros, not NaN, with zero gradients).
  * ``scaled_dot_product_attention_backward(grad_out, q, k, v, out, lse, attn_mask, dropout_p,
    is_causal, scale, seed, offset)`` -> (dq, dk, dv) in the broadcast batch shape (the autograd node
    sums them back to each input's shape).  It recomputes P from q, k and lse; delta = rowsum(dO * O).
``bias`` is the float mask (added) or the bool mask (False -> -inf, i.e. True takes part);
``is_causal`` keeps the top-left aligned lower triangle, torch's ``tril(ones(L, S))``.  Dropout
draws a keep mask of (N..., L, S) Bernoulli(1 - p) values from the device's default Generator
(``seed``, ``offset``; the generator advances by N*L*S) and scales kept weights by 1 / (1 - p);
the backward regenerates the same mask from (seed, offset), nothing is stored.

``enable_gqa`` (query heads Hq a multiple of key/value heads Hkv) is composed from views: the query's
head dim is split into (Hkv, Hq / Hkv) and key/value get a broadcast group dim, so the kernels only
see broadcasting.  With ``create_graph=True`` the backward is written in differentiable tensor ops
(the attention matrix is materialised), so double backward works for dropout_p = 0; with dropout it
raises.  A float ``attn_mask`` gets no gradient (it is treated as a constant).
``is_causal`` together with ``attn_mask`` raises, as PyTorch does whenever a gradient or dropout is
involved (PyTorch's CPU kernel silently combines the two only in pure inference).
"""
from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

from .. import _dtype as _D
from ..backends import _precision
from .._dtype import C_NAMES
from ._common import def_op, Node, attach, STATE, check_tensor, shape_str, broadcast_shapes
from .generator import default_generator_for
from .pointwise_copy import sum_to
from .creation import ones

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = []
_OP = "scaled_dot_product_attention"


def _stat_dtype(dt):
    return _D.float32 if dt in (_D.float16, _D.bfloat16) else dt


def _check(q, k, v, attn_mask, dropout_p, is_causal):
    """Every user error of the op; returns the broadcast batch shape (N...)."""
    for t, name in ((q, "query"), (k, "key"), (v, "value")):
        check_tensor(t, _OP, name)
    if q.dtype is not k.dtype or q.dtype is not v.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{C_NAMES[q.dtype]} key.dtype: {C_NAMES[k.dtype]} and value.dtype: {C_NAMES[v.dtype]}"
                           " instead.")
    if not q.dtype.is_floating_point:
        raise RuntimeError(f"{_OP}: expected floating point query, key and value, but got {q.dtype}")
    qs, ks, vs = tuple(q._data.shape), tuple(k._data.shape), tuple(v._data.shape)
    if min(len(qs), len(ks), len(vs)) < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{len(qs)} key.dim: {len(ks)} and value.dim: {len(vs)} instead.")
    if qs[-1] != ks[-1]:
        raise RuntimeError(f"{_OP}: expected query and key to have the same embedding size (last dim), but got "
                           f"query of shape {shape_str(qs)} and key of shape {shape_str(ks)}")
    if ks[-2] != vs[-2]:
        raise RuntimeError(f"{_OP}: expected key and value to have the same sequence length (dim -2), but got "
                           f"key of shape {shape_str(ks)} and value of shape {shape_str(vs)}")
    batch = broadcast_shapes(qs[:-2], ks[:-2], vs[:-2], op=_OP)
    if attn_mask is not None:
        check_tensor(attn_mask, _OP, "attn_mask")
        md = attn_mask.dtype
        if md is not _D.bool and md is not _D.float32 and md is not q.dtype:
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                               f"attn_mask.dtype: {C_NAMES[md]} and  query.dtype: {C_NAMES[q.dtype]} instead.")
        full = batch + (qs[-2], ks[-2])
        ms = tuple(attn_mask._data.shape)
        if broadcast_shapes(ms, full, op=_OP) != full:
            raise RuntimeError(f"{_OP}: attn_mask of shape {shape_str(ms)} is not broadcastable to the attention "
                               f"weights' shape {shape_str(full)}")
        if is_causal:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p:g}")
    return batch


def _meta(q, k, v, attn_mask, dropout_p, is_causal, scale, seed, offset, tf32=False):
    """(out, lse): out (N..., L, Ev) in the inputs' dtype; lse (N..., L) float32 for half inputs."""
    batch = _check(q, k, v, attn_mask, dropout_p, is_causal)
    L, Ev = q._data.shape[-2], v._data.shape[-1]
    return (batch + (L, Ev), q.dtype), (batch + (L,), _stat_dtype(q.dtype))


def _meta_bwd(grad_out, q, k, v, out, lse, attn_mask, dropout_p, is_causal, scale, seed, offset, tf32=False):
    """(dq, dk, dv) in the broadcast batch shape (N...) of the forward."""
    batch = _check(q, k, v, attn_mask, dropout_p, is_causal)
    L, S, E, Ev = q._data.shape[-2], k._data.shape[-2], q._data.shape[-1], v._data.shape[-1]
    for t, name, shape, dt in ((grad_out, "grad_output", batch + (L, Ev), q.dtype),
                               (out, "output", batch + (L, Ev), q.dtype),
                               (lse, "logsumexp", batch + (L,), _stat_dtype(q.dtype))):
        check_tensor(t, _OP + "_backward", name)
        if tuple(t._data.shape) != shape or t.dtype is not dt:
            raise RuntimeError(f"{_OP}_backward: expected {name} of shape {shape_str(shape)} and dtype {dt}, "
                               f"but got {shape_str(t._data.shape)} and {t.dtype}")
    return (batch + (L, E), q.dtype), (batch + (S, E), q.dtype), (batch + (S, Ev), q.dtype)


_SDPA = def_op(_OP, _meta, nout=2)
_SDPA_BWD = def_op(_OP + "_backward", _meta_bwd, nout=3)


def _composed_backward(g, q, k, v, mask, causal, scale, need):
    """Differentiable (dq, dk, dv) from tensor ops (attention matrix materialised); create_graph path."""
    s = (q @ k.transpose(-2, -1)) * scale
    neg = float("-inf")
    if causal:
        L, S = s.shape[-2:]
        s = s.masked_fill(~ones(L, S, dtype=_D.bool, device=s.device).tril(), neg)
    if mask is not None:
        s = s.masked_fill(~mask, neg) if mask.dtype is _D.bool else s + mask.to(s.dtype)
    dead = (s.detach() == neg).all(-1, keepdim=True)
    p = s.masked_fill(dead, 0.0).softmax(-1).masked_fill(dead, 0.0)
    dp = g @ v.transpose(-2, -1)
    ds = p * (dp - (dp * p).sum(-1, keepdim=True))
    dq = sum_to((ds @ k) * scale, q._data.shape) if need[0] else None
    dk = sum_to((ds.transpose(-2, -1) @ q) * scale, k._data.shape) if need[1] else None
    dv = sum_to(p.transpose(-2, -1) @ g, v._data.shape) if need[2] else None
    return dq, dk, dv


class ScaledDotProductFlashAttentionBackward0(Node):
    """Fused backward (recomputes P from q, k and the saved logsumexp; regenerates the dropout mask)."""

    def backward(self, g, *_):
        q, k, v, out, lse, mask = self.saved_tensors
        need = self.needs_input_grad
        if g is None:
            return None, None, None
        if STATE.enabled:
            if self.dropout_p > 0:
                raise RuntimeError("scaled_dot_product_attention: double backward (create_graph=True) is not "
                                   "supported with dropout_p > 0")
            return _composed_backward(g, q, k, v, mask, self.is_causal, self.scale, need)
        g = g if g.dtype is out.dtype else g.to(out.dtype)
        dq, dk, dv = _SDPA_BWD.run((g, q, k, v, out, lse, mask, self.dropout_p, self.is_causal, self.scale,
                                    self.seed, self.offset), _precision.op_attrs())
        return (sum_to(dq, q._data.shape) if need[0] else None, sum_to(dk, k._data.shape) if need[1] else None,
                sum_to(dv, v._data.shape) if need[2] else None)


def _gqa(query, key, value, attn_mask):
    """Views that turn grouped-query attention into broadcasting (see the module docstring)."""
    hq, hk, hv = query._data.shape[-3], key._data.shape[-3], value._data.shape[-3]
    if hq % hk or hq % hv or hk != hv:
        raise RuntimeError("Number of heads in key and value must divide the number of heads in query")
    grp = hq // hk
    q = query.reshape(tuple(query._data.shape[:-3]) + (hk, grp) + tuple(query._data.shape[-2:]))
    k, v = key.unsqueeze(-3), value.unsqueeze(-3)
    m = attn_mask
    if m is not None:
        ms = tuple(m._data.shape)
        if len(ms) >= 3 and ms[-3] == hq:
            m = m.reshape(ms[:-3] + (hk, grp) + ms[-2:])
        elif len(ms) >= 3:
            m = m.unsqueeze(-3)
    return q, k, v, m


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``torch.nn.functional.scaled_dot_product_attention``: softmax(q k^T * scale + mask) v with dropout.

    q (N..., L, E), k (N..., S, E), v (N..., S, Ev), batch dims broadcast; ``scale`` defaults to
    1/sqrt(E); a bool ``attn_mask`` marks the keys that take part, a float one is added; ``is_causal``
    masks keys past the query's index (top-left aligned); ``enable_gqa`` lets Hq be a multiple of Hkv.
    Fused kernels on cuda (flash-attention forward and backward), a numpy twin on cpu.
    """
    for t, name in ((query, "query"), (key, "key"), (value, "value")):
        check_tensor(t, _OP, name)
    if not isinstance(dropout_p, numbers.Real) or isinstance(dropout_p, bool):
        raise TypeError(f"{_OP}(): argument 'dropout_p' must be float, not {type(dropout_p).__name__}")
    if scale is not None and (not isinstance(scale, numbers.Real) or isinstance(scale, bool)):
        raise TypeError(f"{_OP}(): argument 'scale' must be float, not {type(scale).__name__}")
    if attn_mask is not None:
        check_tensor(attn_mask, _OP, "attn_mask")
    dropout_p, is_causal = float(dropout_p), bool(is_causal)
    E = query._data.shape[-1] if query._data.ndim else 1
    scale = float(scale) if scale is not None else (1.0 / math.sqrt(E) if E else math.inf)
    q, k, v, m = query, key, value, attn_mask
    gqa = (enable_gqa and min(q._data.ndim, k._data.ndim, v._data.ndim) >= 3
           and q._data.shape[-3] != k._data.shape[-3])
    if gqa:
        q, k, v, m = _gqa(q, k, v, m)
    seed = offset = 0
    gen = None
    if dropout_p > 0:
        gen = default_generator_for(q.device)
        seed, offset = gen._peek()
    out, lse = _SDPA.run((q, k, v, m, dropout_p, is_causal, scale, seed, offset), _precision.op_attrs())
    if gen is not None:
        gen._advance(math.prod(out._data.shape[:-1]) * k._data.shape[-2])
    attach(ScaledDotProductFlashAttentionBackward0, (q, k, v), out, save=(q, k, v, out, lse, m),
           dropout_p=dropout_p, is_causal=is_causal, scale=scale, seed=seed, offset=offset)
    if gqa:
        out = out.reshape(tuple(out._data.shape[:-4]) + (query._data.shape[-3],) + tuple(out._data.shape[-2:]))
    return out


FUNCTIONAL = {"scaled_dot_product_attention": scaled_dot_product_attention}
