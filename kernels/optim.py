"""Fused optimizer updates: multi-tensor Triton kernels (the ops of tritorch/_ops/optim.py).

Algorithm: one launch updates a whole (device, dtype) group of parameters, as PyTorch's
``multi_tensor_apply``.  The host builds one int64 table per launch —

    [ pointers (NL lists x NT tensors) | sizes (NT) | chunk tensor (NC) | chunk start (NC) ]

— and one float64 table of scalars (NT rows of K: the group hyperparameters and the tensor's own
bias corrections), uploads both, and launches one program per chunk of ``BLOCK`` elements of one
tensor (grid ``(NC,)``).  A program reads its tensor's pointers from the table
(``tl.load(table + i).to(tl.pointer_type(DT))``, which Triton's interpreter runs as well), its
scalars from the scalar row, and applies the algorithm elementwise in registers: every state
tensor is read once and written once.  The kernels share that prologue (`_params_grads`: chunk,
pointers, loads converted to the compute dtype), the Adam family's moment update
(`_adam_moments`) and the rounding store (`_store`).  Math is in float32 for half types (rounded
once on store) and in the tensor's dtype otherwise, with IEEE-rounded division and square root
(``div_rn`` / ``sqrt_rn``) and PyTorch's single-tensor operation order.  Non-contiguous tensors
go through a contiguous copy (copied back when written).

Bytes moved per element: Adam 2 reads (param, grad) + 2 state reads + 3 writes (param, 2 states)
= 7 x itemsize (9 with AMSGrad); SGD with momentum 5, plain SGD 3; the others likewise one read
per list and one write per updated list.  FLOPs per element: ~10-20.
"""
import numpy as np
import triton
import triton.language as tl

from tritorch.cuda.array import CudaArray
from tritorch._device import cuda_index
from ._array import ARRAY
from ._dtypes import TL, compute_tl
from ._elementwise import assign
from ._jit import convert
from ._launch import launch, block_for

__all__ = ["IMPLS"]

_BLOCK = 1024


# --- table access (shared by every kernel) ------------------------------------------------------

@triton.jit
def _chunk(table, NT, NL: tl.constexpr, NC, BLOCK: tl.constexpr):
    """(tensor index, element offsets, mask) of this program's chunk."""
    pid = tl.program_id(0)
    base = NL * NT + NT
    t = tl.load(table + base + pid)
    start = tl.load(table + base + NC + pid)
    n = tl.load(table + NL * NT + t)
    offs = start + tl.arange(0, BLOCK).to(tl.int64)
    return t, offs, offs < n


@triton.jit
def _ptr(table, NT, list_idx: tl.constexpr, t, DT: tl.constexpr):
    """Pointer to tensor ``t`` of list ``list_idx``."""
    return tl.load(table + list_idx * NT + t).to(tl.pointer_type(DT))


@triton.jit
def _load(table, NT, list_idx: tl.constexpr, t, offs, mask, DT: tl.constexpr, CT: tl.constexpr):
    """(pointer, values in CT) of this chunk of tensor ``t`` of list ``list_idx``."""
    ptr = _ptr(table, NT, list_idx, t, DT)
    return ptr, convert(tl.load(ptr + offs, mask=mask), CT)


@triton.jit
def _store(ptr, offs, x, mask, DT: tl.constexpr):
    """Store ``x`` rounded once into the chunk of the tensor at ``ptr`` (element dtype DT)."""
    tl.store(ptr + offs, convert(x, DT), mask=mask)


@triton.jit
def _params_grads(table, NT, NL: tl.constexpr, NC, DT: tl.constexpr, CT: tl.constexpr, BLOCK: tl.constexpr):
    """Every optimizer's prologue: (t, offs, mask, param pointer, params, grads) of this chunk, values in CT."""
    t, offs, mask = _chunk(table, NT, NL, NC, BLOCK)
    pp, p = _load(table, NT, 0, t, offs, mask, DT, CT)
    _, g = _load(table, NT, 1, t, offs, mask, DT, CT)
    return t, offs, mask, pp, p, g


@triton.jit
def _scalar(scal, t, K: tl.constexpr, j: tl.constexpr, CT: tl.constexpr):
    """Scalar ``j`` of tensor ``t``'s row (float64 on the host) in the compute dtype."""
    return tl.load(scal + t * K + j).to(CT)


@triton.jit
def _div(a, b):
    """IEEE-rounded ``a / b`` (float32 ``/`` is approximate on a GPU; float64's is exact)."""
    if a.dtype == tl.float32:
        res = tl.div_rn(a, b)
    else:
        res = a / b
    return res


@triton.jit
def _sqrt(x):
    """IEEE-rounded square root (``sqrt_rn`` takes float32 only)."""
    if x.dtype == tl.float32:
        res = tl.sqrt_rn(x)
    else:
        res = tl.sqrt(x)
    return res


@triton.jit
def _grad(g, p, wd, MAXIMIZE: tl.constexpr, WD: tl.constexpr):
    """``-grad`` when maximizing, then ``+ wd * p`` (L2 weight decay)."""
    if MAXIMIZE:
        g = -g
    if WD:
        g = g + wd * p
    return g


@triton.jit
def _lerp(s, end, w, LOW: tl.constexpr):
    """PyTorch's ``lerp``: from ``s`` when |w| < 0.5 (``LOW``), else from ``end``."""
    if LOW:
        res = s + w * (end - s)
    else:
        res = end - (end - s) * (1 - w)
    return res


@triton.jit
def _adam_moments(p, g, m, v, scal, t, K: tl.constexpr, CT: tl.constexpr, MAXIMIZE: tl.constexpr,
                  WD: tl.constexpr, DECOUPLED: tl.constexpr, LOW: tl.constexpr):
    """Adam-family moments on (param, grad, exp_avg, exp_avg_sq) -> (p, g, m, v): weight decay (decoupled:
    p *= 1 - lr * wd; else g += wd p), m = lerp(m, g, 1 - beta1), v = beta2 v + (1 - beta2) g^2.
    Scalars 0-4 of the row: [1 - beta1, beta2, 1 - beta2, wd, 1 - lr * wd]."""
    if DECOUPLED:
        if WD:
            p = p * _scalar(scal, t, K, 4, CT)
        g = _grad(g, p, 0.0, MAXIMIZE, False)
    else:
        g = _grad(g, p, _scalar(scal, t, K, 3, CT), MAXIMIZE, WD)
    m = _lerp(m, g, _scalar(scal, t, K, 0, CT), LOW)
    v = v * _scalar(scal, t, K, 1, CT) + _scalar(scal, t, K, 2, CT) * g * g
    return p, g, m, v


# --- kernels ------------------------------------------------------------------------------------
# Every kernel: one program per chunk, grid (NC,).  Pointers: table (int64: tensor pointers, sizes,
# chunk tensor and start; see the module docstring), scal (float64, NT rows of K scalars).  Sizes: NT
# tensors, NC chunks.  Constexprs: NL lists, K scalars per tensor, DT element dtype, CT compute
# dtype, BLOCK elements per chunk, then the algorithm's flags.  No strides: tensors are contiguous.

@triton.jit
def _foreach_add_kernel(table, scal, NT, NC, NL: tl.constexpr, K: tl.constexpr, DT: tl.constexpr,
                        CT: tl.constexpr, BLOCK: tl.constexpr):
    """x += value.  Grid: (NC,).  Lists: tensors.  Scalars: [value].  Pointers, sizes and constexprs:
    the launch tables' (see above)."""
    t, offs, mask = _chunk(table, NT, NL, NC, BLOCK)
    xp, x = _load(table, NT, 0, t, offs, mask, DT, CT)
    _store(xp, offs, x + _scalar(scal, t, K, 0, CT), mask, DT)


@triton.jit
def _sgd_kernel(table, scal, NT, NC, NL: tl.constexpr, K: tl.constexpr, DT: tl.constexpr, CT: tl.constexpr,
                BLOCK: tl.constexpr, MAXIMIZE: tl.constexpr, WD: tl.constexpr, MOMENTUM: tl.constexpr,
                NESTEROV: tl.constexpr):
    """SGD step.  Grid: (NC,).  Lists: params, grads, momentum_buffers.  Scalars: [lr, momentum,
    1 - dampening, wd, is_first].  Pointers, sizes, constexprs: the launch tables'; flags MAXIMIZE, WD,
    MOMENTUM, NESTEROV."""
    t, offs, mask, pp, p, g = _params_grads(table, NT, NL, NC, DT, CT, BLOCK)
    g = _grad(g, p, _scalar(scal, t, K, 3, CT), MAXIMIZE, WD)
    if MOMENTUM:
        momentum = _scalar(scal, t, K, 1, CT)
        bp, buf = _load(table, NT, 2, t, offs, mask, DT, CT)
        first = tl.load(scal + t * K + 4) != 0
        buf = tl.where(first, g, buf * momentum + _scalar(scal, t, K, 2, CT) * g)
        _store(bp, offs, buf, mask, DT)
        if NESTEROV:
            g = g + momentum * buf
        else:
            g = buf
    p = p + (-_scalar(scal, t, K, 0, CT)) * g
    _store(pp, offs, p, mask, DT)


@triton.jit
def _adam_kernel(table, scal, NT, NC, NL: tl.constexpr, K: tl.constexpr, DT: tl.constexpr, CT: tl.constexpr,
                 BLOCK: tl.constexpr, MAXIMIZE: tl.constexpr, WD: tl.constexpr, DECOUPLED: tl.constexpr,
                 AMSGRAD: tl.constexpr, LOW: tl.constexpr):
    """Adam / AdamW step.  Grid: (NC,).  Lists: params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs.
    Scalars: [1 - beta1, beta2, 1 - beta2, wd, 1 - lr * wd, eps, step_size, bias_correction2_sqrt].
    Pointers, sizes, constexprs: the launch tables'; flags MAXIMIZE, WD, DECOUPLED, AMSGRAD, LOW (lerp form)."""
    t, offs, mask, pp, p, g = _params_grads(table, NT, NL, NC, DT, CT, BLOCK)
    mp, m = _load(table, NT, 2, t, offs, mask, DT, CT)
    vp, v = _load(table, NT, 3, t, offs, mask, DT, CT)
    p, g, m, v = _adam_moments(p, g, m, v, scal, t, K, CT, MAXIMIZE, WD, DECOUPLED, LOW)
    _store(mp, offs, m, mask, DT)
    _store(vp, offs, v, mask, DT)
    if AMSGRAD:
        xp, vmax = _load(table, NT, 4, t, offs, mask, DT, CT)
        vmax = tl.maximum(vmax, v, propagate_nan=tl.PropagateNan.ALL)
        _store(xp, offs, vmax, mask, DT)
        v = vmax
    denom = _div(_sqrt(v), _scalar(scal, t, K, 7, CT)) + _scalar(scal, t, K, 5, CT)
    p = p + (-_scalar(scal, t, K, 6, CT)) * _div(m, denom)
    _store(pp, offs, p, mask, DT)


@triton.jit
def _adamax_kernel(table, scal, NT, NC, NL: tl.constexpr, K: tl.constexpr, DT: tl.constexpr, CT: tl.constexpr,
                   BLOCK: tl.constexpr, MAXIMIZE: tl.constexpr, WD: tl.constexpr, LOW: tl.constexpr):
    """Adamax step.  Grid: (NC,).  Lists: params, grads, exp_avgs, exp_infs.  Scalars: [1 - beta1, beta2,
    eps, wd, clr].  Pointers, sizes, constexprs: the launch tables'; flags MAXIMIZE, WD, LOW."""
    t, offs, mask, pp, p, g = _params_grads(table, NT, NL, NC, DT, CT, BLOCK)
    mp, m = _load(table, NT, 2, t, offs, mask, DT, CT)
    up, u = _load(table, NT, 3, t, offs, mask, DT, CT)
    g = _grad(g, p, _scalar(scal, t, K, 3, CT), MAXIMIZE, WD)
    m = _lerp(m, g, _scalar(scal, t, K, 0, CT), LOW)
    u = tl.maximum(u * _scalar(scal, t, K, 1, CT), tl.abs(g) + _scalar(scal, t, K, 2, CT),
                   propagate_nan=tl.PropagateNan.ALL)
    p = p + (-_scalar(scal, t, K, 4, CT)) * _div(m, u)
    _store(mp, offs, m, mask, DT)
    _store(up, offs, u, mask, DT)
    _store(pp, offs, p, mask, DT)


@triton.jit
def _nadam_kernel(table, scal, NT, NC, NL: tl.constexpr, K: tl.constexpr, DT: tl.constexpr, CT: tl.constexpr,
                  BLOCK: tl.constexpr, MAXIMIZE: tl.constexpr, WD: tl.constexpr, DECOUPLED: tl.constexpr,
                  LOW: tl.constexpr):
    """NAdam step.  Grid: (NC,).  Lists: params, grads, exp_avgs, exp_avg_sqs.  Scalars: [1 - beta1, beta2,
    1 - beta2, wd, 1 - lr * wd, eps, bias_correction2, grad_coef, exp_avg_coef].  Pointers, sizes,
    constexprs: the launch tables'; flags MAXIMIZE, WD, DECOUPLED, LOW."""
    t, offs, mask, pp, p, g = _params_grads(table, NT, NL, NC, DT, CT, BLOCK)
    mp, m = _load(table, NT, 2, t, offs, mask, DT, CT)
    vp, v = _load(table, NT, 3, t, offs, mask, DT, CT)
    p, g, m, v = _adam_moments(p, g, m, v, scal, t, K, CT, MAXIMIZE, WD, DECOUPLED, LOW)
    denom = _sqrt(_div(v, _scalar(scal, t, K, 6, CT))) + _scalar(scal, t, K, 5, CT)
    p = p + _scalar(scal, t, K, 7, CT) * _div(g, denom)
    p = p + _scalar(scal, t, K, 8, CT) * _div(m, denom)
    _store(mp, offs, m, mask, DT)
    _store(vp, offs, v, mask, DT)
    _store(pp, offs, p, mask, DT)


@triton.jit
def _radam_kernel(table, scal, NT, NC, NL: tl.constexpr, K: tl.constexpr, DT: tl.constexpr, CT: tl.constexpr,
                  BLOCK: tl.constexpr, MAXIMIZE: tl.constexpr, WD: tl.constexpr, DECOUPLED: tl.constexpr,
                  LOW: tl.constexpr):
    """RAdam step.  Grid: (NC,).  Lists: params, grads, exp_avgs, exp_avg_sqs.  Scalars: [1 - beta1, beta2,
    1 - beta2, wd, 1 - lr * wd, eps, lr, bias_correction1, bias_correction2_sqrt, rect].  Pointers, sizes,
    constexprs: the launch tables'; flags MAXIMIZE, WD, DECOUPLED, LOW."""
    t, offs, mask, pp, p, g = _params_grads(table, NT, NL, NC, DT, CT, BLOCK)
    mp, m = _load(table, NT, 2, t, offs, mask, DT, CT)
    vp, v = _load(table, NT, 3, t, offs, mask, DT, CT)
    p, g, m, v = _adam_moments(p, g, m, v, scal, t, K, CT, MAXIMIZE, WD, DECOUPLED, LOW)
    upd = _div(m, _scalar(scal, t, K, 7, CT)) * _scalar(scal, t, K, 6, CT)
    rect = _scalar(scal, t, K, 9, CT)
    adaptive = _div(_scalar(scal, t, K, 8, CT) + tl.zeros_like(v), _sqrt(v) + _scalar(scal, t, K, 5, CT))
    upd = tl.where(rect > 0, upd * adaptive * rect, upd)
    p = p - upd
    _store(mp, offs, m, mask, DT)
    _store(vp, offs, v, mask, DT)
    _store(pp, offs, p, mask, DT)


@triton.jit
def _rmsprop_kernel(table, scal, NT, NC, NL: tl.constexpr, K: tl.constexpr, DT: tl.constexpr, CT: tl.constexpr,
                    BLOCK: tl.constexpr, MAXIMIZE: tl.constexpr, WD: tl.constexpr, CENTERED: tl.constexpr,
                    MOMENTUM: tl.constexpr, LOW: tl.constexpr):
    """RMSprop step.  Grid: (NC,).  Lists: params, grads, square_avgs, grad_avgs, momentum_buffers.
    Scalars: [lr, alpha, 1 - alpha, eps, wd, momentum].  Pointers, sizes, constexprs: the launch tables';
    flags MAXIMIZE, WD, CENTERED, MOMENTUM, LOW."""
    t, offs, mask, pp, p, g = _params_grads(table, NT, NL, NC, DT, CT, BLOCK)
    sp, sq = _load(table, NT, 2, t, offs, mask, DT, CT)
    g = _grad(g, p, _scalar(scal, t, K, 4, CT), MAXIMIZE, WD)
    sq = sq * _scalar(scal, t, K, 1, CT) + _scalar(scal, t, K, 2, CT) * g * g
    _store(sp, offs, sq, mask, DT)
    if CENTERED:
        ap, ga = _load(table, NT, 3, t, offs, mask, DT, CT)
        ga = _lerp(ga, g, _scalar(scal, t, K, 2, CT), LOW)
        _store(ap, offs, ga, mask, DT)
        avg = _sqrt(sq + (-ga) * ga)
    else:
        avg = _sqrt(sq)
    avg = avg + _scalar(scal, t, K, 3, CT)
    lr = _scalar(scal, t, K, 0, CT)
    if MOMENTUM:
        bp, buf = _load(table, NT, 4, t, offs, mask, DT, CT)
        buf = buf * _scalar(scal, t, K, 5, CT) + _div(g, avg)
        _store(bp, offs, buf, mask, DT)
        p = p + (-lr) * buf
    else:
        p = p + (-lr) * _div(g, avg)
    _store(pp, offs, p, mask, DT)


@triton.jit
def _adagrad_kernel(table, scal, NT, NC, NL: tl.constexpr, K: tl.constexpr, DT: tl.constexpr, CT: tl.constexpr,
                    BLOCK: tl.constexpr, MAXIMIZE: tl.constexpr, WD: tl.constexpr):
    """Adagrad step.  Grid: (NC,).  Lists: params, grads, state_sums.  Scalars: [eps, wd, clr].  Pointers,
    sizes, constexprs: the launch tables'; flags MAXIMIZE, WD."""
    t, offs, mask, pp, p, g = _params_grads(table, NT, NL, NC, DT, CT, BLOCK)
    g = _grad(g, p, _scalar(scal, t, K, 1, CT), MAXIMIZE, WD)
    sp, s = _load(table, NT, 2, t, offs, mask, DT, CT)
    s = s + g * g
    _store(sp, offs, s, mask, DT)
    p = p + (-_scalar(scal, t, K, 2, CT)) * _div(g, _sqrt(s) + _scalar(scal, t, K, 0, CT))
    _store(pp, offs, p, mask, DT)


@triton.jit
def _adadelta_kernel(table, scal, NT, NC, NL: tl.constexpr, K: tl.constexpr, DT: tl.constexpr, CT: tl.constexpr,
                     BLOCK: tl.constexpr, MAXIMIZE: tl.constexpr, WD: tl.constexpr):
    """Adadelta step.  Grid: (NC,).  Lists: params, grads, square_avgs, acc_deltas.  Scalars: [lr, rho,
    1 - rho, eps, wd].  Pointers, sizes, constexprs: the launch tables'; flags MAXIMIZE, WD."""
    t, offs, mask, pp, p, g = _params_grads(table, NT, NL, NC, DT, CT, BLOCK)
    sp, sq = _load(table, NT, 2, t, offs, mask, DT, CT)
    ap, acc = _load(table, NT, 3, t, offs, mask, DT, CT)
    g = _grad(g, p, _scalar(scal, t, K, 4, CT), MAXIMIZE, WD)
    rho = _scalar(scal, t, K, 1, CT)
    one_minus_rho = _scalar(scal, t, K, 2, CT)
    eps = _scalar(scal, t, K, 3, CT)
    sq = sq * rho + one_minus_rho * g * g
    delta = _div(_sqrt(acc + eps), _sqrt(sq + eps)) * g
    acc = acc * rho + one_minus_rho * delta * delta
    p = p + (-_scalar(scal, t, K, 0, CT)) * delta
    _store(sp, offs, sq, mask, DT)
    _store(ap, offs, acc, mask, DT)
    _store(pp, offs, p, mask, DT)


# --- launcher ---------------------------------------------------------------------------------------

def _multi_tensor(kernel, lists, written, scalars, **flags):
    """Launch ``kernel`` over the tensor ``lists`` (list 0 gives the count; empty lists are
    unused by the kernel), with ``scalars`` (one row of floats per tensor).  ``written``: indices
    of the lists the kernel updates (non-contiguous ones are copied back)."""
    first = lists[0]
    nt = len(first)
    dtype = first[0].dtype
    sizes = np.fromiter((a.size for a in first), np.int64, nt)
    if not sizes.any():
        return
    block = block_for(int(sizes.max()), _BLOCK)
    nl = len(lists)
    ptrs = np.zeros((nl, nt), np.int64)
    copies = []
    for li, lst in enumerate(lists):
        for ti, a in enumerate(lst):
            if not a.is_contiguous():
                c = CudaArray.empty(a.shape, a.dtype, cuda_index())
                assign(c, a)
                if li in written:
                    copies.append((a, c))
                a = c
            ptrs[li, ti] = a.data_ptr()
    per = np.maximum(-(-sizes // block), 0)
    chunk_t = np.repeat(np.arange(nt, dtype=np.int64), per)
    chunk_start = (np.arange(len(chunk_t), dtype=np.int64) - np.repeat(np.cumsum(per) - per, per)) * block
    nc = len(chunk_t)
    table = ARRAY.from_numpy(np.concatenate([ptrs.reshape(-1), sizes, chunk_t, chunk_start]))
    scal = np.asarray(scalars, np.float64).reshape(nt, -1)
    launch(kernel, (nc,), table, ARRAY.from_numpy(scal), nt, nc, NL=nl, K=scal.shape[1], DT=TL[dtype],
           CT=compute_tl(dtype), BLOCK=block, **flags)
    for a, c in copies:
        assign(a, c)


def _rows(n, *columns):
    """Per-tensor rows from columns that are either one number (a group value) or a list."""
    return [[c[i] if isinstance(c, list) else c for c in columns] for i in range(n)]


def foreach_add(out, tensors, scalar):
    _multi_tensor(_foreach_add_kernel, [tensors], {0}, _rows(len(tensors), float(scalar)))


def fused_sgd(out, params, grads, momentum_buffers, *, lr, momentum, dampening, weight_decay, nesterov, maximize,
              is_first):
    use_momentum = momentum != 0
    rows = _rows(len(params), lr, momentum, 1 - dampening, weight_decay,
                 [float(f) for f in is_first] if use_momentum else 0.0)
    _multi_tensor(_sgd_kernel, [params, grads, momentum_buffers if use_momentum else []], {0, 2}, rows,
                  MAXIMIZE=bool(maximize), WD=weight_decay != 0, MOMENTUM=use_momentum,
                  NESTEROV=bool(nesterov))


def fused_adam(out, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, *, lr, beta1, beta2, weight_decay, eps,
               amsgrad, maximize, decoupled_weight_decay, step_size, bias_correction2_sqrt):
    rows = _rows(len(params), 1 - beta1, beta2, 1 - beta2, weight_decay, 1 - lr * weight_decay, eps, step_size,
                 bias_correction2_sqrt)
    _multi_tensor(_adam_kernel, [params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs if amsgrad else []],
                  {0, 2, 3, 4}, rows, MAXIMIZE=bool(maximize), WD=weight_decay != 0,
                  DECOUPLED=bool(decoupled_weight_decay), AMSGRAD=bool(amsgrad), LOW=abs(1 - beta1) < 0.5)


def fused_adamax(out, params, grads, exp_avgs, exp_infs, *, beta1, beta2, eps, weight_decay, maximize, clr):
    rows = _rows(len(params), 1 - beta1, beta2, eps, weight_decay, clr)
    _multi_tensor(_adamax_kernel, [params, grads, exp_avgs, exp_infs], {0, 2, 3}, rows, MAXIMIZE=bool(maximize),
                  WD=weight_decay != 0, LOW=abs(1 - beta1) < 0.5)


def fused_nadam(out, params, grads, exp_avgs, exp_avg_sqs, *, lr, beta1, beta2, eps, weight_decay,
                decoupled_weight_decay, maximize, bias_correction2, grad_coef, exp_avg_coef):
    rows = _rows(len(params), 1 - beta1, beta2, 1 - beta2, weight_decay, 1 - lr * weight_decay, eps,
                 bias_correction2, grad_coef, exp_avg_coef)
    _multi_tensor(_nadam_kernel, [params, grads, exp_avgs, exp_avg_sqs], {0, 2, 3}, rows, MAXIMIZE=bool(maximize),
                  WD=weight_decay != 0, DECOUPLED=bool(decoupled_weight_decay), LOW=abs(1 - beta1) < 0.5)


def fused_radam(out, params, grads, exp_avgs, exp_avg_sqs, *, lr, beta1, beta2, eps, weight_decay,
                decoupled_weight_decay, maximize, bias_correction1, bias_correction2_sqrt, rect):
    rows = _rows(len(params), 1 - beta1, beta2, 1 - beta2, weight_decay, 1 - lr * weight_decay, eps, lr,
                 bias_correction1, bias_correction2_sqrt, rect)
    _multi_tensor(_radam_kernel, [params, grads, exp_avgs, exp_avg_sqs], {0, 2, 3}, rows, MAXIMIZE=bool(maximize),
                  WD=weight_decay != 0, DECOUPLED=bool(decoupled_weight_decay), LOW=abs(1 - beta1) < 0.5)


def fused_rmsprop(out, params, grads, square_avgs, grad_avgs, momentum_buffers, *, lr, alpha, eps, weight_decay,
                  momentum, centered, maximize):
    rows = _rows(len(params), lr, alpha, 1 - alpha, eps, weight_decay, momentum)
    _multi_tensor(_rmsprop_kernel, [params, grads, square_avgs, grad_avgs if centered else [],
                                    momentum_buffers if momentum > 0 else []], {0, 2, 3, 4}, rows,
                  MAXIMIZE=bool(maximize), WD=weight_decay != 0, CENTERED=bool(centered), MOMENTUM=momentum > 0,
                  LOW=abs(1 - alpha) < 0.5)


def fused_adagrad(out, params, grads, state_sums, *, eps, weight_decay, maximize, clr):
    _multi_tensor(_adagrad_kernel, [params, grads, state_sums], {0, 2}, _rows(len(params), eps, weight_decay, clr),
                  MAXIMIZE=bool(maximize), WD=weight_decay != 0)


def fused_adadelta(out, params, grads, square_avgs, acc_deltas, *, lr, rho, eps, weight_decay, maximize):
    _multi_tensor(_adadelta_kernel, [params, grads, square_avgs, acc_deltas], {0, 2, 3},
                  _rows(len(params), lr, rho, 1 - rho, eps, weight_decay), MAXIMIZE=bool(maximize),
                  WD=weight_decay != 0)


IMPLS = {"_foreach_add_": foreach_add, "_fused_sgd_": fused_sgd, "_fused_adam_": fused_adam,
         "_fused_adamax_": fused_adamax, "_fused_nadam_": fused_nadam, "_fused_radam_": fused_radam,
         "_fused_rmsprop_": fused_rmsprop, "_fused_adagrad_": fused_adagrad, "_fused_adadelta_": fused_adadelta}
