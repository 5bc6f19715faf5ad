"""Pooling (``torch.nn.functional.max_pool{1,2,3}d``, ``avg_pool{1,2,3}d``, ``adaptive_*_pool*``).

Eight registry ops, each generic over 1-3 spatial dims (the number of dims is the length of the
geometry tuples; the input is ``(N, C, *spatial)`` or unbatched ``(C, *spatial)``):

* ``max_pool(x, kernel, stride, padding, dilation, ceil_mode) -> (values, indices)``; indices are
  flat positions in each input plane (``h * W + w``), as torch returns them.  NaN propagates (the
  last NaN of a window wins, like torch's CPU kernel); ties take the first maximum.
* ``max_pool_backward(grad, indices, input_shape, kernel, stride, padding, dilation)``: the input
  gradient (a gather-by-input of ``grad`` where ``indices`` point at the element).
* ``avg_pool(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)`` and
  ``avg_pool_backward(grad, input_shape, kernel, stride, padding, ceil_mode, count_include_pad,
  divisor_override)``.
* ``adaptive_max_pool(x, output_size) -> (values, indices)``, ``adaptive_max_pool_backward(grad,
  indices, input_shape)``, ``adaptive_avg_pool(x, output_size)``, ``adaptive_avg_pool_backward(grad,
  input_shape)``: output ``i`` pools ``[floor(i*In/Out), ceil((i+1)*In/Out))`` per dim.

Every backward op is linear in ``grad`` and records its own node, so double backward works: the
adjoint of an avg-pool backward is the avg pool itself; the adjoint of a max-pool backward gathers
the incoming gradient at ``indices``.

``max_unpool{1,2,3}d`` are compositions (zeros, then ``scatter`` of the values along the flattened
output plane), differentiable through scatter's gradient (a gather at ``indices``).

Deliberate difference from torch: floating inputs only (torch also max/avg-pools integer tensors
on CPU); integer inputs raise NotImplementedError.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import _dtype as _D
from .._dtype import TORCH_NAMES
from ._common import def_op, Node, apply, attach, check_tensor, shape_str
from .gather_scatter import scatter
from .creation import zeros

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "avg_pool1d",
           "adaptive_avg_pool1d", "adaptive_max_pool1d"]
_E = {}
_WORDS = {1: "one", 2: "two", 3: "three"}
_AXES = {1: ("W",), 2: ("H", "W"), 3: ("T", "H", "W")}


# --- argument parsing (shared by the functionals and the metas) --------------------------------

def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _tuple(v, D, name, arg, allow_empty=False):
    """An int or a sequence of 1 or ``D`` ints -> a ``D``-tuple (torch's _pair/_triple + checks)."""
    if _is_int(v):
        return (int(v),) * D
    if not isinstance(v, (tuple, list)) or not all(_is_int(e) for e in v):
        raise TypeError(f"{name}(): argument '{arg}' must be tuple of ints, not {type(v).__name__}")
    if allow_empty and len(v) == 0:
        return None
    if len(v) == 1:
        return (int(v[0]),) * D
    if len(v) != D:
        if D == 1:
            raise RuntimeError(f"{name}() {arg} must be an int, list of ints or tuple of ints of size 1 but got "
                               f"size {len(v)}")
        how = "either be omitted, a single int" if arg == "stride" else "either be a single int"
        raise RuntimeError(f"{name}: {arg} must {how}, or a tuple of {_WORDS[D]} ints")
    return tuple(int(e) for e in v)


def _check_input(x, D, name):
    check_tensor(x, name)
    shape = tuple(x._data.shape)
    if len(shape) not in (D + 1, D + 2):
        raise RuntimeError(f"{name}: non-empty {D + 1}D or {D + 2}D (batch mode) tensor expected for input, "
                           f"but got: {shape_str(shape)}")
    if any(s == 0 for s in shape[1:]):
        raise RuntimeError(f"{name}: Expected {D + 1}D or {D + 2}D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got: {shape_str(shape)}")
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f'"{name}" not implemented for \'{TORCH_NAMES[x.dtype]}\' (tritorch pools '
                                  "floating tensors only)")
    return shape


def _axes(prefix, vals):
    return " ".join(f"{prefix}{a}: {v}" for a, v in zip(_AXES[len(vals)], vals))


def _out_len(n, k, s, p, d, ceil):
    """torch's pooling_output_shape: floor (or ceil) division; with ceil_mode the last window must
    start inside the input or the left padding."""
    o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def _pool_shape(name, shape, kernel, stride, padding, dilation, ceil_mode):
    D = len(kernel)
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"{name}: kernel size should be greater than zero, but got {_axes('k', kernel)}")
    if any(s == 0 for s in stride):
        raise RuntimeError(f"{name}: stride should not be zero")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"{name}: stride should be greater than zero, but got {_axes('d', stride)}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{name}: dilation should be greater than zero, but got {_axes('dilation', dilation)}")
    for k, p, d in zip(kernel, padding, dilation):
        if p < 0:
            raise RuntimeError(f"{name}: pad must be non-negative, but got pad: {p}")
        if p > ((k - 1) * d + 1) // 2:
            raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    sp = shape[-D:]
    out = tuple(_out_len(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(sp, kernel, stride, padding, dilation))
    if any(o < 1 for o in out):
        c = shape[-D - 1]
        raise RuntimeError(f"{name}: Given input size: ({'x'.join(str(v) for v in (c,) + sp)}). Calculated output "
                           f"size: ({'x'.join(str(v) for v in (c,) + out)}). Output size is too small")
    return shape[:-D] + out


# --- registry ops ------------------------------------------------------------------------------

def _name(kind, D):
    return f"{kind}{D}d"


def _meta_max(x, kernel, stride, padding, dilation, ceil_mode):
    """max_pool: (values, int64 flat-in-plane indices) over windows ``kernel`` (dilated) every
    ``stride``, implicit -inf ``padding``; output size per torch (``ceil_mode`` included)."""
    name = _name("max_pool", len(kernel))
    shape = _pool_shape(name, _check_input(x, len(kernel), name), kernel, stride, padding, dilation, ceil_mode)
    return (shape, x.dtype), (shape, _D.int64)


def _check_grad(name, grad, shape):
    check_tensor(grad, name, "grad_output")
    if tuple(grad._data.shape) != tuple(shape):
        raise RuntimeError(f"{name}: expected grad_output of shape {shape_str(shape)}, but got "
                           f"{shape_str(grad._data.shape)}")
    if not grad.dtype.is_floating_point:
        raise RuntimeError(f"{name}: expected a floating grad_output, got {grad.dtype}")


def _check_indices(name, idx, shape):
    check_tensor(idx, name, "indices")
    if idx.dtype is not _D.int64 or tuple(idx._data.shape) != tuple(shape):
        raise RuntimeError(f"{name}: expected int64 indices of shape {shape_str(shape)}, but got {idx.dtype} "
                           f"of shape {shape_str(idx._data.shape)}")


def _meta_max_bwd(grad, indices, input_shape, kernel, stride, padding, dilation):
    """max_pool_backward: d input = sum of ``grad`` over the outputs whose index points at the element."""
    name = "max_pool_backward"
    input_shape = tuple(input_shape)
    _check_grad(name, grad, tuple(input_shape[:-len(kernel)]) + tuple(grad._data.shape[-len(kernel):]))
    _check_indices(name, indices, grad._data.shape)
    return input_shape, grad.dtype


def _meta_avg(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """avg_pool: window sums / (``divisor_override``, else the window size clipped to input + padding
    when ``count_include_pad``, else the number of input elements in the window)."""
    name = _name("avg_pool", len(kernel))
    shape = _check_input(x, len(kernel), name)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{name}: divisor must be not zero")
    return _pool_shape(name, shape, kernel, stride, padding, (1,) * len(kernel), ceil_mode), x.dtype


def _meta_avg_bwd(grad, input_shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """avg_pool_backward: each input element gathers grad / divisor of every window containing it."""
    input_shape = tuple(input_shape)
    D = len(kernel)
    out = _pool_shape("avg_pool_backward", input_shape, kernel, stride, padding, (1,) * D, ceil_mode)
    _check_grad("avg_pool_backward", grad, out)
    return input_shape, grad.dtype


def _adaptive_shape(name, x, output_size):
    D = len(output_size)
    check_tensor(x, name)
    shape = tuple(x._data.shape)
    if len(shape) not in (D + 1, D + 2):
        raise RuntimeError(f"{name}(): Expected {D + 1}D or {D + 2}D tensor, but got {shape_str(shape)}")
    for i in range(1, len(shape)):
        if shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, but "
                               f"input has sizes {shape_str(shape)} with dimension {i} being empty")
    if any(o < 0 for o in output_size):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{', '.join(str(o) for o in output_size)}}}")
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f'"{name}" not implemented for \'{TORCH_NAMES[x.dtype]}\'')
    return shape[:-D] + tuple(output_size)


def _meta_amax(x, output_size):
    """adaptive_max_pool: (values, flat-in-plane indices); output i pools [floor(i*In/Out), ceil((i+1)*In/Out))."""
    shape = _adaptive_shape(_name("adaptive_max_pool", len(output_size)), x, tuple(output_size))
    return (shape, x.dtype), (shape, _D.int64)


def _meta_amax_bwd(grad, indices, input_shape, dims):
    """adaptive_max_pool_backward: d input = sum of ``grad`` over the outputs whose index (flat in the
    last ``dims`` dims) points at the element."""
    input_shape = tuple(input_shape)
    _check_grad("adaptive_max_pool_backward", grad, input_shape[:-dims] + tuple(grad._data.shape[-dims:]))
    _check_indices("adaptive_max_pool_backward", indices, grad._data.shape)
    return input_shape, grad.dtype


def _meta_aavg(x, output_size):
    """adaptive_avg_pool: mean over output i's window [floor(i*In/Out), ceil((i+1)*In/Out)) per dim."""
    return _adaptive_shape(_name("adaptive_avg_pool", len(output_size)), x, tuple(output_size)), x.dtype


def _meta_aavg_bwd(grad, input_shape, dims):
    """adaptive_avg_pool_backward: each input element gathers grad / window size of every window
    containing it (windows over the last ``dims`` dims)."""
    input_shape = tuple(input_shape)
    _check_grad("adaptive_avg_pool_backward", grad, input_shape[:-dims] + tuple(grad._data.shape[-dims:]))
    return input_shape, grad.dtype


_MAX = def_op("max_pool", _meta_max, nout=2)
_MAX_BWD = def_op("max_pool_backward", _meta_max_bwd)
_AVG = def_op("avg_pool", _meta_avg)
_AVG_BWD = def_op("avg_pool_backward", _meta_avg_bwd)
_AMAX = def_op("adaptive_max_pool", _meta_amax, nout=2)
_AMAX_BWD = def_op("adaptive_max_pool_backward", _meta_amax_bwd)
_AAVG = def_op("adaptive_avg_pool", _meta_aavg)
_AAVG_BWD = def_op("adaptive_avg_pool_backward", _meta_aavg_bwd)


# --- autograd ----------------------------------------------------------------------------------

def _plane_gather(gg, indices, D):
    """``gg`` (input-shaped) gathered at ``indices`` (output-shaped, flat in each D-dim plane): the
    adjoint of a max-pool backward, in differentiable tensor ops."""
    lead = tuple(gg.shape[:gg.dim() - D])
    return gg.reshape(*lead, -1).gather(-1, indices.reshape(*lead, -1)).reshape(*indices.shape)


def _node_classes(D):
    def max_bwd(self, g, g_idx=None):
        idx, = self.saved_tensors
        if self.adaptive:
            return (adaptive_max_pool_backward(g, idx, self.in_shape, D),)
        return (max_pool_backward(g, idx, self.in_shape, *self.geom),)

    def max_bwd_bwd(self, gg):
        idx, = self.saved_tensors
        return (_plane_gather(gg, idx, D), None)

    def avg_bwd(self, g):
        return (avg_pool_backward(g, self.in_shape, *self.geom),)

    def avg_bwd_bwd(self, gg):
        return (_AVG_FN(gg, *self.geom),)

    def aavg_bwd(self, g):
        return (adaptive_avg_pool_backward(g, self.in_shape, D),)

    def aavg_bwd_bwd(self, gg):
        return (_AAVG_FN(gg, self.out_size),)

    doc = "Gradient of the {} (a fused registry op that records its own node)."
    mk = lambda name, fn, what: type(name, (Node,), {"backward": fn, "__doc__": doc.format(what)})  # noqa: E731
    return {
        "max": mk(f"MaxPool{D}DWithIndicesBackward0", max_bwd, "max pool"),
        "amax": mk(f"AdaptiveMaxPool{D}DBackward0", max_bwd, "adaptive max pool"),
        "max_bwd": mk(f"MaxPool{D}DWithIndicesBackwardBackward0", max_bwd_bwd, "max-pool backward: gather at indices"),
        "amax_bwd": mk(f"AdaptiveMaxPool{D}DBackwardBackward0", max_bwd_bwd, "adaptive max-pool backward"),
        "avg": mk(f"AvgPool{D}DBackward0", avg_bwd, "avg pool"),
        "avg_bwd": mk(f"AvgPool{D}DBackwardBackward0", avg_bwd_bwd, "avg-pool backward: the avg pool"),
        "aavg": mk(f"AdaptiveAvgPool{D}DBackward0", aavg_bwd, "adaptive avg pool"),
        "aavg_bwd": mk(f"AdaptiveAvgPool{D}DBackwardBackward0", aavg_bwd_bwd, "adaptive avg-pool backward"),
    }


_NODES = {D: _node_classes(D) for D in (1, 2, 3)}


def max_pool_backward(grad: Tensor, indices: Tensor, input_shape: Sequence[int], kernel: Sequence[int],
                      stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int]) -> Tensor:
    """Input gradient of ``max_pool`` (fused op; differentiable in ``grad``: its adjoint gathers at
    ``indices``)."""
    r = _MAX_BWD.run((grad, indices, tuple(input_shape), kernel, stride, padding, dilation), _E)
    attach(_NODES[len(kernel)]["max_bwd"], (grad, None), r, save=(indices,))
    return r


def adaptive_max_pool_backward(grad: Tensor, indices: Tensor, input_shape: Sequence[int], dims: int) -> Tensor:
    """Input gradient of ``adaptive_max_pool`` over the last ``dims`` dims (fused op; differentiable)."""
    r = _AMAX_BWD.run((grad, indices, tuple(input_shape), dims), _E)
    attach(_NODES[dims]["amax_bwd"], (grad, None), r, save=(indices,))
    return r


def avg_pool_backward(grad: Tensor, input_shape: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                      padding: Sequence[int], ceil_mode: bool, count_include_pad: bool,
                      divisor_override: int | None) -> Tensor:
    """Input gradient of ``avg_pool`` (fused op; differentiable in ``grad``: its adjoint is the pool)."""
    geom = (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    r = _AVG_BWD.run((grad, tuple(input_shape)) + geom, _E)
    attach(_NODES[len(kernel)]["avg_bwd"], (grad,), r, geom=geom)
    return r


def adaptive_avg_pool_backward(grad: Tensor, input_shape: Sequence[int], dims: int) -> Tensor:
    """Input gradient of ``adaptive_avg_pool`` over the last ``dims`` dims (fused op; differentiable)."""
    r = _AAVG_BWD.run((grad, tuple(input_shape), dims), _E)
    attach(_NODES[dims]["aavg_bwd"], (grad,), r, out_size=tuple(grad.shape[grad.dim() - dims:]))
    return r


def _AVG_FN(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """The avg pool on already-parsed geometry, recording its node (also the adjoint of its backward)."""
    geom = (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return apply(_AVG, (x,) + geom, _E, _NODES[len(kernel)]["avg"], (x,), in_shape=tuple(x._data.shape), geom=geom)


def _AAVG_FN(x, output_size):
    return apply(_AAVG, (x, output_size), _E, _NODES[len(output_size)]["aavg"], (x,), in_shape=tuple(x._data.shape))


# --- public API ----------------------------------------------------------------------------------

def _geometry(name, D, kernel_size, stride, padding, dilation=1):
    k = _tuple(kernel_size, D, name, "kernel_size")
    s = None if stride is None else _tuple(stride, D, name, "stride", allow_empty=True)
    return k, (k if s is None else s), _tuple(padding, D, name, "padding"), _tuple(dilation, D, name, "dilation")


def _max_pool(D, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    name = _name("max_pool", D)
    check_tensor(input, name)
    geom = _geometry(name, D, kernel_size, stride, padding, dilation)
    v, i = _MAX.run((input,) + geom + (bool(ceil_mode),), _E)
    attach(_NODES[D]["max"], (input,), (v, i), save=(i,), differentiable=1, adaptive=False,
           in_shape=tuple(input._data.shape), geom=geom)
    return (v, i) if return_indices else v


def _avg_pool(D, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    name = _name("avg_pool", D)
    check_tensor(input, name)
    k, s, p, _ = _geometry(name, D, kernel_size, stride, padding)
    if divisor_override is not None and not _is_int(divisor_override):
        raise TypeError(f"{name}(): argument 'divisor_override' must be int, not {type(divisor_override).__name__}")
    return _AVG_FN(input, k, s, p, bool(ceil_mode), bool(count_include_pad),
                   None if divisor_override is None else int(divisor_override))


def _output_size(name, D, input, output_size):
    if _is_int(output_size) or output_size is None:
        output_size = (output_size,) * D
    if not isinstance(output_size, (tuple, list)):
        raise TypeError(f"{name}(): argument 'output_size' must be tuple of ints, not {type(output_size).__name__}")
    if len(output_size) == 1 and D > 1:
        output_size = tuple(output_size) * D
    if len(output_size) != D:
        raise RuntimeError(f"{name}: output_size must be {D}")
    check_tensor(input, name)
    sp = tuple(input.shape[input.dim() - D:]) if input.dim() >= D else (None,) * D
    out = []
    for o, n in zip(output_size, sp):
        if o is None:
            o = n
        elif not _is_int(o):
            raise TypeError(f"{name}(): argument 'output_size' must be tuple of ints, not {type(o).__name__}")
        out.append(int(o) if o is not None else 0)
    return tuple(out)


def _adaptive_max(D, input, output_size, return_indices):
    name = _name("adaptive_max_pool", D)
    osz = _output_size(name, D, input, output_size)
    v, i = _AMAX.run((input, osz), _E)
    attach(_NODES[D]["amax"], (input,), (v, i), save=(i,), differentiable=1, adaptive=True,
           in_shape=tuple(input._data.shape))
    return (v, i) if return_indices else v


def _adaptive_avg(D, input, output_size):
    return _AAVG_FN(input, _output_size(_name("adaptive_avg_pool", D), D, input, output_size))


def max_pool1d(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max over windows of the last dim of ``(N, C, L)`` / ``(C, L)``; ``return_indices`` also gives
    each maximum's position in L.  NaN propagates."""
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max over (dilated) windows of ``(N, C, H, W)`` / ``(C, H, W)``; indices are ``h * W + w``."""
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max over (dilated) windows of ``(N, C, T, H, W)`` / ``(C, T, H, W)``; indices are ``(t*H + h)*W + w``."""
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d_with_indices(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
                            padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``max_pool1d`` returning ``(values, indices)`` always."""
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
                            padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``max_pool2d`` returning ``(values, indices)`` always."""
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
                            padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``max_pool3d`` returning ``(values, indices)`` always."""
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool1d(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over windows of the last dim of ``(N, C, L)`` / ``(C, L)`` (zero padding counted when
    ``count_include_pad``)."""
    return _avg_pool(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over windows of ``(N, C, H, W)`` / ``(C, H, W)``; ``divisor_override`` replaces the count."""
    return _avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool3d(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over windows of ``(N, C, T, H, W)`` / ``(C, T, H, W)``; ``divisor_override`` replaces the count."""
    return _avg_pool(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def functional_adaptive_max_pool1d(input: Tensor, output_size: int | None | Sequence[int | None],
                                   return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max over the adaptive windows [floor(i*L/Out), ceil((i+1)*L/Out)) of ``(N, C, L)`` / ``(C, L)``."""
    return _adaptive_max(1, input, output_size, return_indices)


def adaptive_max_pool1d(input: Tensor, output_size: int | None | Sequence[int | None]) -> tuple[Tensor, Tensor]:
    """``torch.adaptive_max_pool1d``: always ``(values, indices)`` (``F.adaptive_max_pool1d`` returns the
    indices only with ``return_indices=True``)."""
    return _adaptive_max(1, input, output_size, True)


def adaptive_max_pool2d(input: Tensor, output_size: int | None | Sequence[int | None],
                        return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max over adaptive windows of ``(N, C, H, W)`` / ``(C, H, W)``; ``None`` in output_size keeps that size."""
    return _adaptive_max(2, input, output_size, return_indices)


def adaptive_max_pool3d(input: Tensor, output_size: int | None | Sequence[int | None],
                        return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max over adaptive windows of ``(N, C, T, H, W)`` / ``(C, T, H, W)``."""
    return _adaptive_max(3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: int | None | Sequence[int | None],
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    return _adaptive_max(1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: int | None | Sequence[int | None],
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    return _adaptive_max(2, input, output_size, True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: int | None | Sequence[int | None],
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    return _adaptive_max(3, input, output_size, True)


def adaptive_avg_pool1d(input: Tensor, output_size: int | None | Sequence[int | None]) -> Tensor:
    """Mean over the adaptive windows [floor(i*L/Out), ceil((i+1)*L/Out)) of ``(N, C, L)`` / ``(C, L)``."""
    return _adaptive_avg(1, input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size: int | None | Sequence[int | None]) -> Tensor:
    """Mean over adaptive windows of ``(N, C, H, W)`` / ``(C, H, W)``; ``None`` in output_size keeps that size."""
    return _adaptive_avg(2, input, output_size)


def adaptive_avg_pool3d(input: Tensor, output_size: int | None | Sequence[int | None]) -> Tensor:
    """Mean over adaptive windows of ``(N, C, T, H, W)`` / ``(C, T, H, W)``."""
    return _adaptive_avg(3, input, output_size)


# --- max_unpool: a composition (zeros + scatter along the flattened plane) -----------------------

def _unpool_output_size(input, kernel, stride, padding, output_size):
    """torch.nn.functional._unpool_output_size: the default (In - 1) * s + k - 2p per dim, or the
    given ``output_size`` (its last len(kernel) entries when it also names N and C), checked to lie
    strictly within one stride of the default."""
    D = len(kernel)
    in_size = tuple(input.shape)
    default = [(in_size[-D + d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(D)]
    if output_size is None:
        ret = default
    else:
        if len(output_size) == D + 2:
            output_size = output_size[2:]
        if len(output_size) != D:
            raise ValueError(f"output_size should be a sequence containing {D} or {D + 2} elements, but it has a "
                             f"length of '{len(output_size)}'")
        for d in range(D):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < output_size[d] < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
        ret = output_size
    for d in range(D):
        if ret[d] < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={ret[d]}")
    return [int(v) for v in ret]


def _max_unpool(D, input, indices, output_size):
    """PyTorch's max_unpool{2,3}d native op: ``output_size`` is the spatial size (D ints).  The output
    is zeros with ``input`` scattered to the flat plane positions ``indices``; its gradient is the
    scatter's (a gather of the incoming gradient at ``indices``).  An index outside the output plane
    raises PyTorch's error (cuda: one host sync for the check)."""
    name = f"max_unpooling{D}d"
    check_tensor(input, f"max_unpool{D}d")
    check_tensor(indices, f"max_unpool{D}d", "indices")
    if indices.dtype is not _D.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {TORCH_NAMES[indices.dtype]}")
    if len(output_size) != D:
        what = "two elements (height, width)" if D == 2 else "three elements (depth, height, width)"
        raise RuntimeError(f"There should be exactly {what} in output_size, but got {len(output_size)} elements.")
    shape = tuple(input.shape)
    if len(shape) not in (D + 1, D + 2):
        raise RuntimeError(f"Input to {name} should be a {D + 1}d or {D + 2}d Tensor, but got a tensor with "
                           f"{len(shape)} dimensions.")
    if tuple(indices.shape) != shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({shape_str(shape)}) "
                           f"but got indices tensor with shape: {shape_str(indices.shape)}")
    for i in range(1, len(shape)):
        if shape[i] == 0:
            raise RuntimeError(f"{name}_forward_out_cpu(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but got {shape_str(shape)} with dimension {i} being empty.")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"max_unpool{D}d\" not implemented for '{TORCH_NAMES[input.dtype]}'")
    lead = shape[:-D]
    plane = 1
    for v in output_size:
        plane *= v
    flat_in = 1
    for v in shape[-D:]:
        flat_in *= v
    idx = indices.reshape(lead + (flat_in,))
    if idx.numel():
        bad = (idx < 0) | (idx >= plane)
        if bad.any().item():  # the one host sync
            # PyTorch's cpu kernel keeps scanning and reports the last invalid index it met
            last = int(idx[bad][-1].item())
            raise RuntimeError(f"Found an invalid max index: {last} (output volumes are of size "
                               f"{'x'.join(str(v) for v in output_size)}")
    out = zeros(lead + (plane,), dtype=input.dtype, device=input.device)
    out = scatter(out, -1, idx, input.reshape(lead + (flat_in,)))
    return out.reshape(lead + tuple(output_size))


def _unpool_args(D, name, kernel_size, stride, padding):
    k = _tuple(kernel_size, D, name, "kernel_size")
    s = k if stride is None else _tuple(stride, D, name, "stride")
    return k, s, _tuple(padding, D, name, "padding")


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 output_size: Sequence[int] | None = None) -> Tensor:
    """Partial inverse of max_pool1d: ``input`` values placed at ``indices`` in a zero output.
    Input: (N, C, L_in) or (C, L_in); output (N, C, L_out), L_out = (L_in - 1) * stride + kernel - 2 * padding
    unless ``output_size`` is given.  Runs as 2-d unpooling over a trailing unit dim, as PyTorch does."""
    check_tensor(input, "max_unpool1d")
    check_tensor(indices, "max_unpool1d", "indices")
    k, s, p = _unpool_args(1, "max_unpool1d", kernel_size, stride, padding)
    size = _unpool_output_size(input, k, s, p, output_size)
    return _max_unpool(2, input.unsqueeze(-1), indices.unsqueeze(-1), list(size) + [1]).squeeze(-1)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 output_size: Sequence[int] | None = None) -> Tensor:
    """Partial inverse of max_pool2d.  Input: (N, C, H_in, W_in) or (C, H_in, W_in); output
    (N, C, H_out, W_out), H_out = (H_in - 1) * stride + kernel - 2 * padding (per dim) unless ``output_size``."""
    check_tensor(input, "max_unpool2d")
    k, s, p = _unpool_args(2, "max_unpool2d", kernel_size, stride, padding)
    return _max_unpool(2, input, indices, _unpool_output_size(input, k, s, p, output_size))


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 output_size: Sequence[int] | None = None) -> Tensor:
    """Partial inverse of max_pool3d.  Input: (N, C, D_in, H_in, W_in) or (C, D_in, H_in, W_in); output
    (N, C, D_out, H_out, W_out) by the same rule per dim unless ``output_size``."""
    check_tensor(input, "max_unpool3d")
    k, s, p = _unpool_args(3, "max_unpool3d", kernel_size, stride, padding)
    return _max_unpool(3, input, indices, _unpool_output_size(input, k, s, p, output_size))


FUNCTIONAL = {f.__name__.replace("functional_", ""): f for f in (
    max_pool1d, max_pool2d, max_pool3d, max_pool1d_with_indices, max_pool2d_with_indices, max_pool3d_with_indices,
    avg_pool1d, avg_pool2d, avg_pool3d, functional_adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d,
    adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices, adaptive_max_pool3d_with_indices,
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, max_unpool1d, max_unpool2d, max_unpool3d)}
