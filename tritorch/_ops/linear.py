"""Fused matmul: ``y = act(a @ b + bias) + residual`` in one kernel, and ``F.linear`` on top.

Registry ops:
  * ``fused_matmul(a, b, bias, residual, activation=None, bias_dim=-1)``: a (..., M, K) @
    b (..., K, N) with torch.matmul batch broadcasting (both at least 2-D), bias 1-D of length N
    (``bias_dim=-1``, added to every row) or of length M (``bias_dim=-2``, added to every column),
    activation one of ``ACTIVATIONS``, residual broadcastable to the output; half types
    accumulate in float32 and round once.
  * ``fused_matmul_z``: the same, also returning the pre-activation ``z = a @ b + bias`` (what
    the backward of gelu/silu/... needs); used when an activation is given and grad is needed.
  * ``fused_matmul_dz(g, z, activation)``: ``g * act'(z)``, the backward's elementwise step.

Backward (``FusedMatmulBackward0``): dz = g * act'(z) (``fused_matmul_dz``), dA = dz @ b^T and
dB = a^T @ dz through ``fused_matmul`` itself (transposes are stride views, no copies), dbias =
dz summed over the other dims, dresidual = g (un-broadcast).  Every step records its own node
(``fused_matmul_dz``'s backward is written in tensor ops), so double backward works.

``fused_matmul`` (the Python function) is internal: the conv family, ``F.linear`` /
``F.fused_linear`` and the matmul family's ``addmm`` / ``baddbmm`` call it.  This module sits
below ``linalg`` (which imports ``fused_matmul``); where F.linear needs the general product
(integer dtypes, a 1-D weight) it uses the ``@`` operator, i.e. ``linalg.matmul``.
"""
from __future__ import annotations

import math

from .._dtype import TORCH_NAMES, C_NAMES
from ..backends import _precision
from ._common import (Tensor, def_op, Node, STATE, apply, attach, shape_str, check_tensor, FLOATS,
                      check_expand)
from .pointwise_copy import sum_to

__all__ = []

ACTIVATIONS = (None, "relu", "gelu", "gelu_tanh", "silu", "tanh", "sigmoid")


def _check_activation(op, activation):
    if activation not in ACTIVATIONS:
        raise ValueError(f"{op}: activation must be one of {', '.join(map(repr, ACTIVATIONS))}, but got "
                         f"{activation!r}")


def _out_shape(op, a, b, bias, residual, activation, bias_dim):
    check_tensor(a, op, "a")
    check_tensor(b, op, "b")
    sa, sb = a._data.shape, b._data.shape
    if len(sa) < 2 or len(sb) < 2:
        raise RuntimeError(f"{op}: expected a and b to be at least 2-D, but got {len(sa)}-D and {len(sb)}-D")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{op}: expected a and b to have the same dtype, but got {TORCH_NAMES[a.dtype]} and "
                           f"{TORCH_NAMES[b.dtype]}")
    if a.dtype not in FLOATS:
        raise RuntimeError(f"{op}: expected a floating point dtype (float16, bfloat16, float32 or float64), but "
                           f"got {TORCH_NAMES[a.dtype]}")
    if sa[-1] != sb[-2]:
        raise RuntimeError(f"{op}: a and b shapes cannot be multiplied ({shape_str(sa)} and {shape_str(sb)})")
    _check_activation(op, activation)
    if bias_dim not in (-1, -2):
        raise ValueError(f"{op}: bias_dim must be -1 or -2, but got {bias_dim!r}")
    n = max(len(sa), len(sb)) - 2
    pa, pb = (1,) * (n + 2 - len(sa)) + tuple(sa[:-2]), (1,) * (n + 2 - len(sb)) + tuple(sb[:-2])
    batch = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"{op}: the batch dims of a {shape_str(sa)} and b {shape_str(sb)} do not "
                               f"broadcast (size {x} vs {y} at batch dim {i})")
        batch.append(y if x == 1 else x)
    shape = tuple(batch) + (sa[-2], sb[-1])
    if bias is not None:
        check_tensor(bias, op, "bias")
        want = shape[bias_dim]
        if bias._data.shape != (want,):
            raise RuntimeError(f"{op}: expected bias of shape ({want},) (bias_dim={bias_dim}), but got "
                               f"{shape_str(bias._data.shape)}")
        if bias.dtype is not a.dtype:
            raise RuntimeError(f"{op}: expected bias of dtype {TORCH_NAMES[a.dtype]}, but got "
                               f"{TORCH_NAMES[bias.dtype]}")
    if residual is not None:
        check_tensor(residual, op, "residual")
        rs = residual._data.shape
        if len(rs) > len(shape) or any(r != 1 and r != s for r, s in zip(rs[::-1], shape[::-1])):
            raise RuntimeError(f"{op}: residual of shape {shape_str(rs)} does not broadcast to the output "
                               f"shape {shape_str(shape)}")
        if residual.dtype is not a.dtype:
            raise RuntimeError(f"{op}: expected residual of dtype {TORCH_NAMES[a.dtype]}, but got "
                               f"{TORCH_NAMES[residual.dtype]}")
    return shape


def _meta(a, b, bias, residual, activation=None, bias_dim=-1, tf32=False):
    """fused_matmul: act(a @ b + bias) + residual; a (..., M, K), b (..., K, N), batch dims broadcast;
    bias (N,) (bias_dim=-1) or (M,) (bias_dim=-2); residual broadcastable to the output; one
    floating dtype throughout."""
    return _out_shape("fused_matmul", a, b, bias, residual, activation, bias_dim), a.dtype


def _meta_z(a, b, bias, residual, activation=None, bias_dim=-1, tf32=False):
    """fused_matmul_z: (fused_matmul's output, the pre-activation a @ b + bias), same shape and dtype."""
    shape = _out_shape("fused_matmul_z", a, b, bias, residual, activation, bias_dim)
    return (shape, a.dtype), (shape, a.dtype)


def _meta_dz(g, z, activation=None):
    """fused_matmul_dz: g * act'(z) elementwise; g and z of one shape and floating dtype."""
    op = "fused_matmul_dz"
    check_tensor(g, op, "grad")
    check_tensor(z, op, "z")
    if g._data.shape != z._data.shape:
        raise RuntimeError(f"{op}: grad of shape {shape_str(g._data.shape)} must match z's shape "
                           f"{shape_str(z._data.shape)}")
    if g.dtype is not z.dtype or z.dtype not in FLOATS:
        raise RuntimeError(f"{op}: expected floating grad and z of one dtype, got {TORCH_NAMES[g.dtype]} and "
                           f"{TORCH_NAMES[z.dtype]}")
    _check_activation(op, activation)
    return z._data.shape, z.dtype


_FUSED = def_op("fused_matmul", _meta)
_FUSED_Z = def_op("fused_matmul_z", _meta_z, nout=2)
_DZ = def_op("fused_matmul_dz", _meta_dz)


# --- autograd ---------------------------------------------------------------------------------

def _t(x):
    return x.transpose(-1, -2)


def _product(x, y, like):
    """``x @ y`` laid out like the operand ``like`` whose gradient it is: when ``like`` is a
    transposed view (F.linear's weight.T), computed as ``(y^T @ x^T)^T`` so that the gradient
    reaching the underlying tensor (the weight) is contiguous, as PyTorch's is."""
    st = like.stride()
    if st[-2] == 1 and st[-1] != 1:
        return _t(fused_matmul(_t(y), _t(x)))
    return fused_matmul(x, y)


class FusedMatmulBackward0(Node):
    """Outputs (y[, z]); inputs (a, b, bias, residual)."""

    def backward(self, gy, gz=None):
        a, b, z = self.saved_tensors
        na, nb, nbias, nres = self.needs_input_grad
        act = self.activation
        if gy is None:
            dz = gz
        else:
            dz = gy if act is None else fused_matmul_dz(gy, z, act)
            if gz is not None:
                dz = dz + gz
        ga = sum_to(_product(dz, _t(b), a), a._data.shape) if na else None
        gb = None
        if nb and b._data.ndim == 2 and a._data.ndim > 2:
            # b shared by the batch (F.linear on (*, in) inputs): one GEMM over the stacked rows,
            # a^T (K, B*M) @ dz (B*M, N), instead of B products summed afterwards.
            gb = _product(_t(a.reshape(-1, a._data.shape[-1])), dz.reshape(-1, dz._data.shape[-1]), b)
        elif nb:
            gb = sum_to(_product(_t(a), dz, b), b._data.shape)
        gbias = None
        if nbias:
            nd = dz._data.ndim
            keep = nd - 1 if self.bias_dim == -1 else nd - 2
            gbias = dz.sum([d for d in range(nd) if d != keep])
        gres = sum_to(gy, self.res_shape) if nres and gy is not None else None
        return ga, gb, gbias, gres


def fused_matmul(a: Tensor, b: Tensor, bias: Tensor | None = None, activation: str | None = None,
                 residual: Tensor | None = None, bias_dim: int = -1) -> Tensor:
    """``act(a @ b + bias) + residual`` in one fused kernel (differentiable).

    a: (..., M, K), b: (..., K, N), both at least 2-D, batch dims broadcast as torch.matmul;
    bias: (N,) added along the last dim (``bias_dim=-1``) or (M,) along the rows
    (``bias_dim=-2``); activation: one of None, "relu", "gelu", "gelu_tanh", "silu", "tanh",
    "sigmoid"; residual: broadcastable to the output (..., M, N).
    """
    args = (a, b, bias, residual)
    attrs = {"activation": activation, "bias_dim": bias_dim, **_precision.op_attrs()}
    grad = STATE.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in args)
    if not grad:
        return _FUSED.run(args, attrs)
    res_shape = residual._data.shape if residual is not None else None
    if activation is None:
        return apply(_FUSED, args, attrs, FusedMatmulBackward0, args, (a, b, None), activation=None,
                     bias_dim=bias_dim, res_shape=res_shape)
    # The backward needs the pre-activation z: the _z op returns it as a second output.
    y, z = _FUSED_Z.run(args, attrs)
    attach(FusedMatmulBackward0, args, (y, z), (a, b, z), activation=activation, bias_dim=bias_dim,
           res_shape=res_shape)
    return y


# --- the activation-gradient op ---------------------------------------------------------------

def _act_grad2(z, act):
    """act''(z) in differentiable tensor ops (for the double backward of ``fused_matmul_dz``)."""
    if act == "relu":
        return z * 0
    if act == "sigmoid":
        s = z.sigmoid()
        return s * (1 - s) * (1 - 2 * s)
    if act == "tanh":
        t = z.tanh()
        return -2 * t * (1 - t * t)
    if act == "silu":
        s = z.sigmoid()
        return s * (1 - s) * (2 + z * (1 - 2 * s))
    if act == "gelu":
        return (-0.5 * z * z).exp() * 0.3989422804014327 * (2 - z * z)
    # gelu_tanh: f = x/2 (1 + tanh(u)), u = beta (x + kappa x^3).
    beta, kappa = 0.7978845608028654, 0.044715
    t = (beta * (z + kappa * z * z * z)).tanh()
    du = beta * (1 + 3 * kappa * z * z)
    d2u = 6 * beta * kappa * z
    return (1 - t * t) * (du + 0.5 * z * (d2u - 2 * t * du * du))


class FusedMatmulDzBackward0(Node):
    """d(g * act'(z)): w.r.t. g: gg * act'(z); w.r.t. z: gg * g * act''(z)."""

    def backward(self, gg):
        g, z = self.saved_tensors
        act = self.activation
        dg = fused_matmul_dz(gg, z, act) if self.needs_input_grad[0] else None
        dzz = gg * g * _act_grad2(z, act) if self.needs_input_grad[1] else None
        return dg, dzz


def fused_matmul_dz(grad: Tensor, z: Tensor, activation: str | None) -> Tensor:
    """``grad * act'(z)`` (the fused backward step of ``fused_matmul``; differentiable)."""
    return apply(_DZ, (grad, z), {"activation": activation}, FusedMatmulDzBackward0, (grad, z), (grad, z),
                 activation=activation)


# --- public API -------------------------------------------------------------------------------

def _linear(name, input, weight, bias, activation, residual):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not isinstance(weight, Tensor):
        raise TypeError(f"{name}(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"{name}(): argument 'bias' (position 3) must be Tensor, not {type(bias).__name__}")
    _check_activation(name, activation)
    xs, ws = input._data.shape, weight._data.shape
    if len(xs) == 0 or len(ws) == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {len(xs)}D and "
                           f"{len(ws)}D")
    if len(ws) > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {len(ws)}D")
    if len(ws) == 2 and xs[-1] != ws[1]:
        rows = math.prod(xs[:-1]) if len(xs) > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{xs[-1]} and {ws[1]}x{ws[0]})")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {C_NAMES[input.dtype]} != "
                           f"{C_NAMES[weight.dtype]}")
    if bias is not None and bias.dtype is not weight.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {TORCH_NAMES[bias.dtype]} and "
                           f"{TORCH_NAMES[weight.dtype]}")
    if len(xs) == 1 and len(ws) == 2 and input.dtype in FLOATS:
        return _linear(name, input.unsqueeze(0), weight, bias, activation, residual).squeeze(0)
    if len(ws) == 1 or input.dtype not in FLOATS:
        # Matrix-vector shapes and integer dtypes: torch's composition (no fused kernel).
        y = input @ (_t(weight) if len(ws) == 2 else weight)
        return _epilogue(y, bias, activation, residual)
    if bias is None or bias._data.shape == (ws[0],):
        return fused_matmul(input, _t(weight), bias, activation, residual)
    # A bias that broadcasts some other way: addmm's semantics, the epilogue unfused.
    y = fused_matmul(input, _t(weight))
    check_expand(bias._data.shape, y._data.shape)
    return _epilogue(y, bias, activation, residual)


def _epilogue(y, bias, activation, residual):
    if bias is not None:
        y = y + bias
    if activation is not None:
        y = _ACT_TENSOR[activation](y)
    return y if residual is None else y + residual


def _gelu_tensor(x, approximate):
    if approximate:
        return 0.5 * x * (1 + (0.7978845608028654 * (x + 0.044715 * x * x * x)).tanh())
    return 0.5 * x * (1 + (x * 0.7071067811865476).erf())


_ACT_TENSOR = {"relu": lambda x: x.clamp_min(0), "gelu": lambda x: _gelu_tensor(x, False),
               "gelu_tanh": lambda x: _gelu_tensor(x, True), "silu": lambda x: x * x.sigmoid(),
               "tanh": lambda x: x.tanh(), "sigmoid": lambda x: x.sigmoid()}


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``torch.nn.functional.linear``: ``input @ weight.T + bias`` in one fused kernel.

    input: (*, in) (1-D allowed), weight: (out, in) (or (in,)), bias: (out,) (or anything
    that broadcasts to the output, then added separately).  Floating dtypes run the fused
    matmul (bias in the epilogue, no transpose copy); integer dtypes compose ``matmul`` + add.
    """
    return _linear("linear", input, weight, bias, None, None)


def fused_linear(input: Tensor, weight: Tensor, bias: Tensor | None = None, activation: str | None = None,
                 residual: Tensor | None = None) -> Tensor:
    """tritorch extension (not in PyTorch): ``act(input @ weight.T + bias) + residual`` in one
    kernel, e.g. a transformer MLP's ``gelu(x W1^T + b1)`` or ``x + (h W2^T + b2)``.

    activation: None, "relu", "gelu" (exact), "gelu_tanh", "silu", "tanh" or "sigmoid";
    residual: broadcastable to the output.  Shapes and errors as ``F.linear``.
    """
    return _linear("fused_linear", input, weight, bias, activation, residual)


FUNCTIONAL = {"linear": linear, "fused_linear": fused_linear}


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij x1[..., i] * weight[o, i, j] * x2[..., j] + bias[o].
    Input1: (*, H_in1), input2: (*, H_in2) (same leading dims), weight: (H_out, H_in1, H_in2),
    bias: (H_out,); output: (*, H_out).  Two matmuls: x1 @ weight (as H_in1 x (H_out * H_in2)), then
    a batched product with x2 — differentiable through matmul's gradients."""
    check_tensor(input1, "bilinear", "input1")
    check_tensor(input2, "bilinear", "input2")
    check_tensor(weight, "bilinear", "weight")
    if bias is not None:
        check_tensor(bias, "bilinear", "bias")
    n1, n2 = input1.dim(), input2.dim()
    if n1 != n2:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {n1} and {n2}")
    s1, s2 = tuple(input1.shape), tuple(input2.shape)
    for i in range(n1 - 1):
        if s1[i] != s2[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got {s1[i]} and {s2[i]}")
    if weight.dim() != 3:
        got = s1[-1] if n1 else 1
        exp = weight.shape[1] if weight.dim() > 1 else 1
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {got} but expected {exp}"
                           if got != exp else f"bilinear(): weight must be 3-D, got {weight.dim()} dimensions")
    o, i1, i2 = tuple(weight.shape)
    if s1[-1] != i1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {s1[-1]} but expected {i1}")
    if s2[-1] != i2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {s2[-1]} but expected {i2}")
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[0] if bias.dim() else 1}"
                           f" but expected {o}")
    if not (input1.dtype is input2.dtype is weight.dtype):
        raise RuntimeError(f"All tensors must have the same dtype, got input1: {C_NAMES[input1.dtype]}, "
                           f"input2: {C_NAMES[input2.dtype]}, weight: {C_NAMES[weight.dtype]}")
    lead = s1[:-1]
    x1 = input1.reshape(-1, i1)
    x2 = input2.reshape(-1, i2)
    t = (x1 @ weight.permute(1, 0, 2).reshape(i1, o * i2)).reshape(-1, o, i2)
    y = (t @ x2.unsqueeze(-1)).squeeze(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (o,))


FUNCTIONAL["bilinear"] = bilinear
