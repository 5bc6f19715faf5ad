"""Matrix products: `matmul` (and `@`), `mm`, `bmm`, `dot`/`vdot`, `mv`, `outer`/`ger`,
`addmm`, `baddbmm`, `addmv`, `addbmm`, `addr`, `inner` (`tensordot` and `einsum` live in
``einsum.py``, below this module).

One registry op, ``matmul``, carries every product: it has torch.matmul's full semantics
(1-D operands get a dim prepended/appended and removed again; batch dims broadcast).
The other functions validate their stricter contracts with PyTorch's messages and call
it; the ``add*`` family composes it with pointwise ops (addmm / baddbmm with beta = alpha = 1
run the linear family's fused matmul instead, the add in its epilogue).  Its backward is written with
``matmul`` itself (dA = dC @ B^T, dB = A^T @ dC, broadcast batch dims summed back), so
double backward works.

Layering: ``linear`` (the fused GEMM) and ``einsum`` sit below this module and never import it.
"""
from __future__ import annotations

import math
import numbers

from .._dtype import TORCH_NAMES, C_NAMES
from .. import _dtype
from ..backends import _precision
from ._common import Tensor, def_op, Node, STATE, attach, method, shape_str, FLOATS, write_out, check_expand
from .pointwise_copy import sum_to
from .einsum import tensordot
from .linear import fused_matmul

__all__ = ["matmul", "mm", "bmm", "dot", "vdot", "mv", "outer", "ger", "inner", "addmm", "baddbmm", "addmv",
           "addbmm", "addr"]


def _batch_broadcast(sa, sb):
    """Broadcast two batch shapes; PyTorch's message names the dim of the result."""
    n = max(len(sa), len(sb))
    pa = (1,) * (n - len(sa)) + tuple(sa)
    pb = (1,) * (n - len(sb)) + tuple(sb)
    out = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)


def _meta_matmul(a, b, tf32=False):
    """matmul: torch.matmul rules.  a: (*Ba, n, k) or (k,); b: (*Bb, k, m) or (k,).
    Output: broadcast(Ba, Bb) + (n,) [if a is not 1-D] + (m,) [if b is not 1-D]."""
    if not isinstance(a, Tensor):
        raise TypeError(f"matmul(): argument 'input' (position 1) must be Tensor, not {type(a).__name__}")
    if not isinstance(b, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not {type(b).__name__}")
    sa, sb = a._data.shape, b._data.shape
    da, db = len(sa), len(sb)
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    ta, tb = a.dtype, b.dtype
    # PyTorch dispatches each case to dot / mv / mm / bmm; its messages name that kernel.
    if da == 1 and db == 1:
        kind = "dot"
    elif db == 1:
        kind = "mv"
    elif db == 2 or (da == 1 and db == 2):
        kind = "mm"
    else:
        kind = "bmm"
    if ta is not tb:
        if kind == "dot":
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {TORCH_NAMES[ta]} "
                               f"and {TORCH_NAMES[tb]}")
        if kind == "mv":
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got {TORCH_NAMES[tb]}, "
                               f"{TORCH_NAMES[ta]}, and {TORCH_NAMES[tb]}")
        if kind == "mm":
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {C_NAMES[ta]} != "
                               f"{C_NAMES[tb]}")
        raise RuntimeError(f"expected scalar type {TORCH_NAMES[ta]} but found {TORCH_NAMES[tb]}")
    if ta is _dtype.bool:
        kernel = {"dot": "dot", "mv": "addmv_impl_cpu", "mm": "addmm_impl_cpu_", "bmm": "bmm"}[kind]
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    if kind == "dot":
        if sa[0] != sb[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have the "
                               f"same number of elements, but got {sa[0]} and {sb[0]} elements respectively")
        return (), ta
    if kind == "mv":
        rows = math.prod(sa[:-1])
        if sa[-1] != sb[0]:
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{sa[-1]}), vec ({sb[0]})")
        return sa[:-1], ta
    if kind == "mm":
        rows = math.prod(sa[:-1]) if da > 1 else 1
        if sa[-1] != sb[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{sa[-1]} and "
                               f"{sb[0]}x{sb[1]})")
        return sa[:-1] + (sb[1],), ta
    batch = _batch_broadcast(sa[:-2], sb[:-2])
    if sa[-1] != sb[-2]:
        nb = math.prod(batch)
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{nb}, {sa[-1]}] but "
                           f"got: [{nb}, {sb[-2]}].")
    return batch + (sa[-2:-1] if da > 1 else ()) + (sb[-1],), ta


_MATMUL = def_op("matmul", _meta_matmul)


class MatmulBackward0(Node):
    """dA = dC @ B^T and dB = A^T @ dC on the 2-D-promoted operands, un-broadcast."""

    def backward(self, g):
        a, b = self.saved_tensors
        na, nb = self.needs_input_grad
        da, db = a._data.ndim, b._data.ndim
        a2 = a.unsqueeze(0) if da == 1 else a
        b2 = b.unsqueeze(-1) if db == 1 else b
        if da == 1 and db == 1:
            g2 = g.reshape(1, 1)
        elif da == 1:
            g2 = g.unsqueeze(-2)
        elif db == 1:
            g2 = g.unsqueeze(-1)
        else:
            g2 = g
        ga = gb = None
        if na:
            ga = sum_to(matmul(g2, b2.transpose(-1, -2)), a2._data.shape)
            if da == 1:
                ga = ga.reshape(a._data.shape)
        if nb:
            gb = sum_to(matmul(a2.transpose(-1, -2), g2), b2._data.shape)
            if db == 1:
                gb = gb.reshape(b._data.shape)
        return ga, gb


MmBackward0 = type("MmBackward0", (MatmulBackward0,), {})
BmmBackward0 = type("BmmBackward0", (MatmulBackward0,), {})
DotBackward0 = type("DotBackward0", (MatmulBackward0,), {})
MvBackward0 = type("MvBackward0", (MatmulBackward0,), {})


def _node_for(a, b):
    da, db = a._data.ndim, b._data.ndim
    if da == 2 and db == 2:
        return MmBackward0
    if da == 1 and db == 1:
        return DotBackward0
    if da == 2 and db == 1:
        return MvBackward0
    if da == 3 and db == 3 and a._data.shape[0] == b._data.shape[0]:
        return BmmBackward0
    return MatmulBackward0


def _run(input, other, out, node_cls=None):
    if out is not None:
        if STATE.enabled and isinstance(input, Tensor) and isinstance(other, Tensor) and (
                input._requires_grad or other._requires_grad):
            raise RuntimeError("matmul(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
        return _MATMUL.run_out((input, other), _precision.op_attrs(), out)
    r = _MATMUL.run((input, other), _precision.op_attrs())
    if STATE.enabled and (input._requires_grad or other._requires_grad):  # only then pick the node class
        attach(node_cls or _node_for(input, other), (input, other), r, (input, other))
    return r


def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix product with torch.matmul's rules.

    Shapes: (k,)@(k,) -> (); (n, k)@(k,) -> (n,); (k,)@(k, m) -> (m,); (*B1, n, k)@(*B2, k, m) ->
    (*broadcast(B1, B2), n, m), a 1-D operand taking part as a matrix with its extra dim removed.
    Operands must share a dtype (integer products allowed; bool is not).
    """
    return _run(input, other, out)


def _check_tensor(x, op, arg, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def mm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix product of two matrices.  (n, k) @ (k, m) -> (n, m); no broadcasting."""
    _check_tensor(input, "mm", "input", 1)
    _check_tensor(mat2, "mm", "mat2", 2)
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return _run(input, mat2, out, MmBackward0)


def bmm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Batched matrix product.  (b, n, k) @ (b, k, m) -> (b, n, m); batch sizes must be equal."""
    _check_tensor(input, "bmm", "input", 1)
    _check_tensor(mat2, "bmm", "mat2", 2)
    if input._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"expected scalar type {TORCH_NAMES[input.dtype]} but found {TORCH_NAMES[mat2.dtype]}")
    (b1, _, k1), (b2, k2, _) = input._data.shape, mat2._data.shape
    if b1 != b2 or k1 != k2:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b1}, {k1}] but got: "
                           f"[{b2}, {k2}].")
    return _run(input, mat2, out, BmmBackward0)


def dot(input: Tensor, tensor: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Inner product of two 1-D tensors of the same length and dtype.  (k,) . (k,) -> ()."""
    _check_tensor(input, "dot", "input", 1)
    _check_tensor(tensor, "dot", "tensor", 2)
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {tensor._data.ndim}D tensors")
    return _run(input, tensor, out, DotBackward0)


def vdot(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """`dot` (tritorch has no complex dtypes, so no conjugation happens)."""
    return dot(input, other, out=out)


def mv(input: Tensor, vec: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix-vector product.  (n, k) @ (k,) -> (n,)."""
    _check_tensor(input, "mv", "input", 1)
    _check_tensor(vec, "mv", "vec", 2)
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}")
    return _run(input, vec, out, MvBackward0)


def outer(input: Tensor, vec2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Outer product.  (n,) x (m,) -> (n, m), with type promotion (it is a broadcast multiply)."""
    _check_tensor(input, "outer", "input", 1)
    _check_tensor(vec2, "outer", "vec2", 2)
    if input._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input._data.ndim}-D")
    if vec2._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {vec2._data.ndim}-D")
    return write_out(input.unsqueeze(1) * vec2, out, "outer")


ger = outer


def inner(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Sum-product over the last dims.  (*A, k), (*B, k) -> (*A, *B); a 0-d operand multiplies."""
    _check_tensor(input, "inner", "input", 1)
    _check_tensor(other, "inner", "other", 2)
    if input._data.ndim == 0 or other._data.ndim == 0:
        return write_out(input * other, out, "inner")
    ka, kb = input._data.shape[-1], other._data.shape[-1]
    if ka != kb:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{shape_str(input._data.shape)} and {shape_str(other._data.shape)}")
    return write_out(tensordot(input, other, dims=([-1], [-1])), out, "inner")


def _scaled_add(prod, input, beta, alpha, op, out):
    """``beta * input + alpha * prod``; ``input`` is ignored when beta == 0 (no nan propagation)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input.dtype is not prod.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {TORCH_NAMES[input.dtype]} and "
                           f"{TORCH_NAMES[prod.dtype]}")
    check_expand(input._data.shape, prod._data.shape)
    for name, v in (("beta", beta), ("alpha", alpha)):
        if not isinstance(v, numbers.Number):
            raise TypeError(f"{op}(): argument '{name}' must be Number, not {type(v).__name__}")
        if not prod.dtype.is_floating_point and isinstance(v, float) and v != int(v):
            raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")
    r = prod if alpha == 1 else prod * alpha
    if beta != 0:
        r = r + (input if beta == 1 else input * beta)
    return write_out(r, out, op)


def _fused_add(input, m1, m2, beta, alpha, out, nd):
    """``input + m1 @ m2`` as one fused-matmul kernel (the add in the GEMM's epilogue: as the bias
    when ``input`` is a row vector, as the residual otherwise) when that is exactly the requested
    computation: beta == alpha == 1, no ``out=``, floating operands of one dtype whose shapes are
    valid (anything else takes the unfused path and its error messages).  None if not taken."""
    if out is not None or type(beta) is bool or type(alpha) is bool or beta != 1 or alpha != 1:
        return None
    if not all(isinstance(t, Tensor) for t in (input, m1, m2)):
        return None
    if not (input.dtype is m1.dtype is m2.dtype) or m1.dtype not in FLOATS:
        return None
    s1, s2, si = m1._data.shape, m2._data.shape, input._data.shape
    if len(s1) != nd or len(s2) != nd or s1[-1] != s2[-2] or s1[:-2] != s2[:-2]:
        return None
    target = s1[:-1] + s2[-1:]
    if len(si) > nd or any(a != 1 and a != b for a, b in zip(si[::-1], target[::-1])):
        return None
    if si == s2[-1:]:
        return fused_matmul(m1, m2, bias=input)
    return fused_matmul(m1, m2, residual=input)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1, alpha: float = 1,
          out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``.  mat1: (n, k), mat2: (k, m), input broadcastable to (n, m).
    With beta = alpha = 1 (floating, no ``out=``) one fused-matmul kernel adds ``input`` in its epilogue."""
    r = _fused_add(input, mat1, mat2, beta, alpha, out, 2)
    return r if r is not None else _scaled_add(mm(mat1, mat2), input, beta, alpha, "addmm", out)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1, alpha: float = 1,
            out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``.  input broadcastable to (b, n, m).
    With beta = alpha = 1 (floating, no ``out=``) one fused-matmul kernel adds ``input`` in its epilogue."""
    r = _fused_add(input, batch1, batch2, beta, alpha, out, 3)
    return r if r is not None else _scaled_add(bmm(batch1, batch2), input, beta, alpha, "baddbmm", out)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: float = 1, alpha: float = 1,
          out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``.  mat: (n, k), vec: (k,), input broadcastable to (n,)."""
    return _scaled_add(mv(mat, vec), input, beta, alpha, "addmv", out)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1, alpha: float = 1,
           out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * sum_b bmm(batch1, batch2)[b]``.  input broadcastable to (n, m)."""
    return _scaled_add(bmm(batch1, batch2).sum(0), input, beta, alpha, "addbmm", out)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: float = 1, alpha: float = 1,
         out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``.  input broadcastable to (n, m)."""
    return _scaled_add(outer(vec1, vec2), input, beta, alpha, "addr", out)


def _inplace_variant(fn):
    def fn_(self: Tensor, *args: Tensor, **kwargs: float) -> Tensor:
        return self.copy_(fn(self, *args, **kwargs))
    fn_.__name__ = fn.__name__ + "_"
    fn_.__doc__ = f"In-place `{fn.__name__}` (result written into self)."
    return fn_


for _f in (matmul, mm, bmm, dot, vdot, mv, outer, inner, addmm, baddbmm, addmv, addbmm, addr):
    method(_f.__name__)(_f)
method("ger")(outer)
for _f in (addmm, baddbmm, addmv, addbmm, addr):
    method(_f.__name__ + "_")(_inplace_variant(_f))


@method("__matmul__")
def __matmul__(self: Tensor, other: Tensor) -> Tensor:
    return matmul(self, other)


@method("__rmatmul__")
def __rmatmul__(self: Tensor, other: Tensor) -> Tensor:
    return matmul(other, self)
