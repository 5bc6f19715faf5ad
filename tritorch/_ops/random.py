"""Random sampling: `rand`, `randn`, `randint`, `randperm`, `normal`, `bernoulli`,
`multinomial`, `poisson`, the `*_like` variants and the in-place samplers (`uniform_`,
`normal_`, `bernoulli_`, `random_`, `exponential_`, `geometric_`, `cauchy_`, `log_normal_`).

Every registry op here takes ``seed`` and ``offset`` attrs from a `Generator` (see
generator.py), which advances its offset by the number of values drawn only after the op
succeeded.  Samplers have no useful derivative: functions of tensors that require grad
return results whose gradient is zero (as PyTorch's ``NormalBackward*`` etc.), and the
in-place samplers pass a zero gradient to a non-leaf's previous history.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._dtype import TORCH_NAMES, C_NAMES
from .. import _dtype
from .._device import as_device
from .creation import check_size
from ._common import (Tensor, def_op, Node, record, attach, method, STATE, broadcast_shapes, normalize_shape, promote,
                      shape_str)
from .generator import (Generator, manual_seed, seed, initial_seed, get_rng_state, set_rng_state,
                        default_generator, default_generator_for)

if TYPE_CHECKING:
    from .._device import device as _Device
    from .._dtype import dtype as _DType

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator", "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial",
           "poisson", "rand_like", "randn_like", "randint_like"]

# Largest integer each float dtype holds exactly: random_()'s default upper bound.
_FLOAT_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


def _num(x):
    """Format a number the way PyTorch's C++ messages do (-1, 0.5, 1e-07)."""
    return f"{x:g}" if isinstance(x, float) else str(x)


def _need_float(dtype, kernel):
    if not dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{TORCH_NAMES[dtype]}'")


def _continuous(dtype, name, spelling):
    if not dtype.is_floating_point:
        tn = C_NAMES[dtype] if spelling == "c" else TORCH_NAMES[dtype]
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. dtype must be a floating "
                           f"point but you specified {tn}")


# ---- metas ---------------------------------------------------------------------------------------
def _meta_uniform(shape, dtype, *, low, high, seed, offset):
    """uniform: U[low, high) of ``shape``/``dtype`` (floating only)."""
    check_size(shape, dtype.itemsize)
    _need_float(dtype, "check_uniform_bounds")
    if low > high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_num(low)} > "
                           f"to={_num(high)}")
    return shape, dtype


def _meta_normal(mean, std, shape, dtype, *, seed, offset):
    """normal: N(mean, std^2); mean/std floats or tensors (broadcast; output takes their shape)."""
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not ts and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
    if tm or ts:
        for t in (mean, std):
            if isinstance(t, Tensor):
                _need_float(t.dtype, "normal_kernel_cpu")
        if tm and ts:
            return broadcast_shapes(mean._data.shape, std._data.shape, op="normal"), promote(mean, std)
        t = mean if tm else std
        return t._data.shape, t.dtype
    check_size(shape, dtype.itemsize)
    _need_float(dtype, "normal_kernel_cpu")
    return shape, dtype


def _meta_random(shape, dtype, *, low, high, seed, offset):
    """random: integers uniform in [low, high) stored as ``dtype``."""
    check_size(shape, dtype.itemsize)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if dtype is _dtype.bool:
        lo, hi = 0, 1
    elif dtype.is_floating_point:
        lo = hi = None
    else:
        info = _dtype.iinfo(dtype)
        lo, hi = info.min, info.max
    if lo is not None:
        if low < lo or low > hi:
            raise RuntimeError(f"from is out of bounds for {C_NAMES[dtype]}")
        if high - 1 > hi or high - 1 < lo:
            raise RuntimeError(f"to - 1 is out of bounds for {C_NAMES[dtype]}")
    return shape, dtype


def _meta_randperm(n, dtype, *, seed, offset):
    """randperm: a random permutation of 0..n-1.  Output: (n,)."""
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"randperm(): argument 'n' must be int, not {type(n).__name__}")
    check_size((n,), dtype.itemsize)
    if dtype is _dtype.bool or (not dtype.is_floating_point and n > 0 and n - 1 > _dtype.iinfo(dtype).max):
        raise RuntimeError(f"randperm: n={n} does not fit in {dtype} (values up to n - 1 are needed)")
    return (n,), dtype


def _meta_bernoulli(p, shape, dtype, *, seed, offset):
    """bernoulli: 1 with probability p (a float, or a tensor broadcastable to ``shape``), else 0."""
    check_size(shape, dtype.itemsize)
    if isinstance(p, Tensor):
        _need_float(p.dtype, "bernoulli_tensor_cpu_p_")
        if broadcast_shapes(p._data.shape, shape, op="bernoulli") != tuple(shape):
            raise RuntimeError(f"bernoulli: probability tensor of shape {shape_str(p._data.shape)} cannot be "
                               f"broadcast to the output shape {shape_str(shape)}")
    elif not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")
    return shape, dtype


def _meta_multinomial(probs, num_samples, replacement, *, seed, offset):
    """multinomial: category indices drawn from each row of ``probs`` (n,) or (r, n).
    Output: (num_samples,) or (r, num_samples), int64."""
    if not isinstance(probs, Tensor):
        raise TypeError(f"multinomial(): argument 'input' must be Tensor, not {type(probs).__name__}")
    if not isinstance(num_samples, numbers.Integral) or isinstance(num_samples, bool):
        raise TypeError(f"multinomial(): argument 'num_samples' must be int, not {type(num_samples).__name__}")
    sh = probs._data.shape
    if len(sh) not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not probs.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{TORCH_NAMES[probs.dtype]}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > sh[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    return sh[:-1] + (num_samples,), _dtype.int64


def _meta_exponential(shape, dtype, *, lambd, seed, offset):
    """exponential: density lambd * exp(-lambd * x)."""
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_num(lambd)}")
    _continuous(dtype, "Exponential", "s")
    return shape, dtype


def _meta_geometric(shape, dtype, *, p, seed, offset):
    """geometric: number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_num(p)}")
    return shape, dtype


def _meta_cauchy(shape, dtype, *, median, sigma, seed, offset):
    """cauchy: median + sigma * tan(pi * (U - 1/2))."""
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_num(sigma)}")
    _continuous(dtype, "Cauchy", "c")
    return shape, dtype


def _meta_log_normal(shape, dtype, *, mean, std, seed, offset):
    """log_normal: exp(N(mean, std^2))."""
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_num(std)}")
    _continuous(dtype, "Log-normal", "s")
    return shape, dtype


def _meta_poisson(rates, *, seed, offset):
    """poisson: Poisson(rate) per element.  Output: rates' shape and dtype (floating)."""
    if not isinstance(rates, Tensor):
        raise TypeError(f"poisson(): argument 'input' must be Tensor, not {type(rates).__name__}")
    _need_float(rates.dtype, "poisson_cpu")
    return rates._data.shape, rates.dtype


_UNIFORM = def_op("uniform", _meta_uniform)
_NORMAL = def_op("normal", _meta_normal)
_RANDOM = def_op("random", _meta_random)
_RANDPERM = def_op("randperm", _meta_randperm)
_BERNOULLI = def_op("bernoulli", _meta_bernoulli)
_MULTINOMIAL = def_op("multinomial", _meta_multinomial)
_EXPONENTIAL = def_op("exponential", _meta_exponential)
_GEOMETRIC = def_op("geometric", _meta_geometric)
_CAUCHY = def_op("cauchy", _meta_cauchy)
_LOG_NORMAL = def_op("log_normal", _meta_log_normal)
_POISSON = def_op("poisson", _meta_poisson)


# ---- autograd: samplers pass no gradient ----------------------------------------------------------
class _ZeroGrad(Node):
    """Gradient zero for every tensor input (sampling is not reparameterised)."""

    def backward(self, g):
        return tuple(g.new_zeros(s) if need else None for s, need in zip(self.shapes, self.needs_input_grad))


def _zero_node(name):
    return type(name, (_ZeroGrad,), {})


_NODES = {n: _zero_node(n) for n in (
    "UniformBackward0", "NormalBackward0", "NormalBackward1", "NormalBackward2", "NormalBackward3",
    "RandomBackward0", "RandomBackward1", "RandomBackward2", "BernoulliBackward0", "BernoulliBackward1",
    "BernoulliBackward2", "ExponentialBackward0", "GeometricBackward0", "CauchyBackward0", "LogNormalBackward0",
    "PoissonBackward0")}


def _record_zero(name, inputs, r):
    if STATE.enabled and r.dtype.is_floating_point and any(isinstance(t, Tensor) and t._requires_grad
                                                           for t in inputs):
        ins = tuple(t if isinstance(t, Tensor) and t._requires_grad else None for t in inputs)
        n = _NODES[name]()
        n.shapes = tuple(t._data.shape if t is not None else None for t in ins)
        record(n, ins, (r,))
    return r


# ---- plumbing -------------------------------------------------------------------------------------
def _generator(generator, dev):
    if generator is None:
        return default_generator if dev.type == "cpu" else default_generator_for(dev)
    if not isinstance(generator, Generator):
        raise TypeError(f"argument 'generator' must be tritorch.Generator, not {type(generator).__name__}")
    if generator.device.type != dev.type:
        raise RuntimeError(f"Expected a '{dev.type}' device type for generator but found '{generator.device.type}'")
    return generator


def _sample(op, args, attrs, dev, generator, count, out=None):
    """Run ``op`` with the generator's (seed, offset); advance it by ``count`` once the op succeeded."""
    gen = _generator(generator, out.device if out is not None else dev)
    s, o = gen._peek()
    attrs["seed"] = s
    attrs["offset"] = o
    r = op.run_out(args, attrs, out) if out is not None else op.run(args, attrs, dev)
    gen._advance(count)
    return r


def _sample_inplace(self, op, args, attrs, generator, node_name):
    """In-place sampler: ``self`` is overwritten (version bumped); its old history gets a zero gradient."""
    if STATE.enabled and self._requires_grad:
        if self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        base = self._base
        if base is not None and base.grad_fn is None and base._requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
    gen = _generator(generator, self.device)
    s, o = gen._peek()
    attrs["seed"] = s
    attrs["offset"] = o
    op.run_inplace(self, args, attrs)
    gen._advance(self._data.size)
    # The edge to self's previous history carries a zero gradient, as PyTorch's in-place samplers do.
    attach(_NODES[node_name], (self,), self, shapes=(self._data.shape,))
    return self


def _size_args(size, kw_size, op):
    if kw_size is not None:
        if size:
            raise TypeError(f"{op}() got multiple values for argument 'size'")
        size = (kw_size,)
    return normalize_shape(size, op)


def _creation(op, shape, dtype, device, requires_grad, out, generator, attrs, pre=()):
    r = _sample(op, pre + (shape, dtype), attrs, as_device(device), generator, math.prod(shape), out)
    if requires_grad:
        r.requires_grad_(True)
    return r


def _float_dtype(dtype):
    dt = dtype if dtype is not None else _dtype.get_default_dtype()
    if not isinstance(dt, _dtype.dtype):
        raise TypeError(f"argument 'dtype' must be tritorch.dtype, not {type(dt).__name__}")
    return dt


# ---- creation functions -----------------------------------------------------------------------
def rand(*size: int | Sequence[int], generator: Generator | None = None, out: Tensor | None = None,
         dtype: _DType | None = None, layout: object = None, device: _Device | str | int | None = None,
         requires_grad: bool = False, pin_memory: bool = False, **kw: Any) -> Tensor:
    """Uniform samples on [0, 1).  Shape: ``size`` (ints or one sequence)."""
    shape = _size_args(size, kw.pop("size", None), "rand")
    _no_extra(kw, "rand")
    dt = _float_dtype(dtype if dtype is not None or out is None else out.dtype)
    return _creation(_UNIFORM, shape, dt, device, requires_grad, out, generator, {"low": 0.0, "high": 1.0})


def randn(*size: int | Sequence[int], generator: Generator | None = None, out: Tensor | None = None,
          dtype: _DType | None = None, layout: object = None, device: _Device | str | int | None = None,
          requires_grad: bool = False, pin_memory: bool = False, **kw: Any) -> Tensor:
    """Standard normal samples.  Shape: ``size`` (ints or one sequence)."""
    shape = _size_args(size, kw.pop("size", None), "randn")
    _no_extra(kw, "randn")
    dt = _float_dtype(dtype if dtype is not None or out is None else out.dtype)
    return _creation(_NORMAL, shape, dt, device, requires_grad, out, generator, {}, pre=(0.0, 1.0))


def _no_extra(kw, op):
    if kw:
        raise TypeError(f"{op}() got an unexpected keyword argument '{next(iter(kw))}'")


def _int_arg(v, name, op):
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, float) and v == int(v):
        v = int(v)
    if not isinstance(v, numbers.Integral) or isinstance(v, bool):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(v).__name__}")
    return int(v)


def randint(*args: int | Sequence[int], size: Sequence[int] | None = None, generator: Generator | None = None,
            out: Tensor | None = None, dtype: _DType | None = None, layout: object = None,
            device: _Device | str | int | None = None, requires_grad: bool = False, pin_memory: bool = False,
            low: int | None = None, high: int | None = None) -> Tensor:
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``; int64 by default."""
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if high is None and args:
        high = args.pop()
    if low is None and args:
        low = args.pop()
    if size is None or high is None or args:
        raise TypeError("randint() received an invalid combination of arguments - expected (int high, tuple of ints "
                        "size) or (int low, int high, tuple of ints size)")
    low = 0 if low is None else _int_arg(low, "low", "randint")
    high = _int_arg(high, "high", "randint")
    shape = normalize_shape((size,), "randint")
    dt = dtype if dtype is not None else (out.dtype if out is not None else _dtype.int64)
    return _creation(_RANDOM, shape, dt, device, requires_grad, out, generator, {"low": low, "high": high})


def randperm(n: int, *, generator: Generator | None = None, out: Tensor | None = None, dtype: _DType | None = None,
             layout: object = None, device: _Device | str | int | None = None, requires_grad: bool = False,
             pin_memory: bool = False) -> Tensor:
    """A random permutation of 0..n-1.  Output: (n,), int64 by default."""
    n = _int_arg(n, "n", "randperm")
    dt = dtype if dtype is not None else (out.dtype if out is not None else _dtype.int64)
    dev = as_device(device)
    r = _sample(_RANDPERM, (n, dt), {}, dev, generator, max(n, 0), out)
    if requires_grad:
        r.requires_grad_(True)
    return r


def normal(mean: Tensor | float = 0.0, std: Tensor | float = 1.0, size: Sequence[int] | None = None, *,
           generator: Generator | None = None, out: Tensor | None = None, dtype: _DType | None = None,
           layout: object = None, device: _Device | str | int | None = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """Normal samples N(mean, std^2).

    Forms: ``normal(mean: Tensor, std: Tensor)`` (broadcast), ``normal(mean: Tensor, std=1.0)``,
    ``normal(mean: float, std: Tensor)``, ``normal(mean: float, std: float, size)``.
    The result passes a zero gradient to tensor ``mean``/``std``, as in PyTorch.
    """
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - with float mean and std, "
                            "'size' is required")
        for v, nm in ((mean, "mean"), (std, "std")):
            if not isinstance(v, numbers.Real):
                raise TypeError(f"normal(): argument '{nm}' must be float, not {type(v).__name__}")
        shape = normalize_shape((size,), "normal")
        dt = _float_dtype(dtype if dtype is not None or out is None else out.dtype)
        return _creation(_NORMAL, shape, dt, device, requires_grad, out, generator, {},
                         pre=(float(mean), float(std)))
    if size is not None:
        raise TypeError("normal(): 'size' is only accepted when mean and std are both floats")
    for v, nm in ((mean, "mean"), (std, "std")):
        if not isinstance(v, (Tensor, numbers.Real)):
            raise TypeError(f"normal(): argument '{nm}' must be Tensor or float, not {type(v).__name__}")
    shape = broadcast_shapes(mean._data.shape if tm else (), std._data.shape if ts else (), op="normal")
    t = mean if tm else std
    r = _sample(_NORMAL, (mean, std, shape, t.dtype), {}, t.device, generator, math.prod(shape), out)
    if out is not None:
        return r
    name = "NormalBackward3" if tm and ts else ("NormalBackward1" if tm else "NormalBackward2")
    return _record_zero(name, (mean if tm else None, std if ts else None), r)


def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None,
              out: Tensor | None = None) -> Tensor:
    """0/1 samples: each element is 1 with probability ``input`` (or ``p`` when given).  Output: input's shape/dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' must be Tensor, not {type(input).__name__}")
    shape = input._data.shape
    if p is None:
        args = (input, shape, input.dtype)
    else:
        _need_float(input.dtype, "bernoulli_scalar_cpu_")
        args = (p, shape, input.dtype)
    r = _sample(_BERNOULLI, args, {}, input.device, generator, math.prod(shape), out)
    if out is not None:
        return r
    return _record_zero("BernoulliBackward0" if p is None else "BernoulliBackward1", (input,), r)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator: Generator | None = None,
                out: Tensor | None = None) -> Tensor:
    """Category indices sampled from each row of ``input`` (unnormalised, non-negative weights).

    Input: (n,) or (r, n); output: (num_samples,) or (r, num_samples), int64.  Without
    replacement a category is drawn at most once (exponential race / Gumbel-top-k).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' must be Tensor, not {type(input).__name__}")
    sh = input._data.shape
    rows = math.prod(sh[:-1]) if sh else 1
    count = rows * (num_samples if replacement else (sh[-1] if sh else 0)) if isinstance(num_samples, int) else 0
    return _sample(_MULTINOMIAL, (input, num_samples, bool(replacement)), {}, input.device, generator,
                   count, out)


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """Poisson samples with rates ``input`` (non-negative).  Output: input's shape and dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"poisson(): argument 'input' must be Tensor, not {type(input).__name__}")
    r = _sample(_POISSON, (input,), {}, input.device, generator, input.numel())
    return _record_zero("PoissonBackward0", (input,), r)


def _like_args(input, dtype, device):
    if not isinstance(input, Tensor):
        raise TypeError(f"argument 'input' must be Tensor, not {type(input).__name__}")
    return (dtype if dtype is not None else input.dtype), (device if device is not None else input.device)


def rand_like(input: Tensor, *, dtype: _DType | None = None, layout: object = None,
              device: _Device | str | int | None = None, requires_grad: bool = False, memory_format: object = None,
              generator: Generator | None = None) -> Tensor:
    """`rand` with ``input``'s shape (and dtype/device unless given)."""
    dt, dev = _like_args(input, dtype, device)
    return rand(input.shape, dtype=dt, device=dev, requires_grad=requires_grad, generator=generator)


def randn_like(input: Tensor, *, dtype: _DType | None = None, layout: object = None,
               device: _Device | str | int | None = None, requires_grad: bool = False, memory_format: object = None,
               generator: Generator | None = None) -> Tensor:
    """`randn` with ``input``'s shape (and dtype/device unless given)."""
    dt, dev = _like_args(input, dtype, device)
    return randn(input.shape, dtype=dt, device=dev, requires_grad=requires_grad, generator=generator)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, dtype: _DType | None = None,
                 layout: object = None, device: _Device | str | int | None = None, requires_grad: bool = False,
                 memory_format: object = None, generator: Generator | None = None) -> Tensor:
    """`randint` with ``input``'s shape: ``randint_like(x, high)`` or ``randint_like(x, low, high)``."""
    if high is None:
        low, high = 0, low
    dt, dev = _like_args(input, dtype, device)
    return randint(low, high, tuple(input.shape), dtype=dt, device=dev, requires_grad=requires_grad,
                   generator=generator)


# ---- in-place samplers (Tensor methods) ---------------------------------------------------------------
def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator: Generator | None = None,
             **kw: Any) -> Tensor:
    """Fill with U[from, to) samples (floating tensors only)."""
    low = float(kw.pop("from", from_))
    _no_extra(kw, "uniform_")
    return _sample_inplace(self, _UNIFORM, (self._data.shape, self.dtype), {"low": low, "high": float(to)},
                           generator, "UniformBackward0")


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with N(mean, std^2) samples (floating tensors only)."""
    return _sample_inplace(self, _NORMAL, (float(mean), float(std), self._data.shape, self.dtype), {},
                           generator, "NormalBackward0")


def bernoulli_(self: Tensor, p: Tensor | float = 0.5, *, generator: Generator | None = None) -> Tensor:
    """Fill with 0/1 samples, 1 with probability ``p`` (a float or a tensor broadcastable to self)."""
    if not isinstance(p, Tensor):
        p = float(p)
    return _sample_inplace(self, _BERNOULLI, (p, self._data.shape, self.dtype), {}, generator,
                           "BernoulliBackward2" if isinstance(p, Tensor) else "BernoulliBackward1")


def random_(self: Tensor, *args: int, generator: Generator | None = None, **kw: Any) -> Tensor:
    """Fill with integers uniform on [from, to - 1]: ``random_(from, to)``, ``random_(to)`` (from 0), or
    ``random_()`` spanning [0, 2**mantissa] for floats and [0, max] for integer dtypes."""
    if len(args) > 2:
        raise TypeError(f"random_() takes at most 2 positional arguments ({len(args)} given)")
    if len(args) == 1 and "to" not in kw:
        low, high = 0, args[0]
    else:
        low = args[0] if args else kw.pop("from", 0)
        high = args[1] if len(args) > 1 else kw.pop("to", None)
    kw.pop("from", None)
    _no_extra(kw, "random_")
    low = _int_arg(low, "from", "random_")
    dt = self.dtype
    name = "RandomBackward2" if high is None else ("RandomBackward1" if len(args) == 1 else "RandomBackward0")
    high = _default_high(dt) if high is None else _int_arg(high, "to", "random_")
    return _sample_inplace(self, _RANDOM, (self._data.shape, dt), {"low": low, "high": high}, generator, name)


def _default_high(dt):
    if dt is _dtype.bool:
        return 2
    if dt.is_floating_point:
        return (1 << _FLOAT_DIGITS[dt.name]) + 1
    return _dtype.iinfo(dt).max + 1


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with Exponential(lambd) samples (floating tensors only)."""
    return _sample_inplace(self, _EXPONENTIAL, (self._data.shape, self.dtype), {"lambd": float(lambd)},
                           generator, "ExponentialBackward0")


def geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    """Fill with Geometric(p) samples on {1, 2, ...}."""
    return _sample_inplace(self, _GEOMETRIC, (self._data.shape, self.dtype), {"p": float(p)}, generator,
                           "GeometricBackward0")


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with Cauchy(median, sigma) samples (floating tensors only)."""
    return _sample_inplace(self, _CAUCHY, (self._data.shape, self.dtype),
                           {"median": float(median), "sigma": float(sigma)}, generator, "CauchyBackward0")


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with exp(N(mean, std^2)) samples (floating tensors only)."""
    return _sample_inplace(self, _LOG_NORMAL, (self._data.shape, self.dtype),
                           {"mean": float(mean), "std": float(std)}, generator, "LogNormalBackward0")


for _f in (uniform_, normal_, bernoulli_, random_, exponential_, geometric_, cauchy_, log_normal_):
    method(_f.__name__)(_f)


@method("bernoulli")
def _bernoulli_method(self: Tensor, p: float | None = None, *, generator: Generator | None = None) -> Tensor:
    return bernoulli(self, p, generator=generator)


@method("multinomial")
def _multinomial_method(self: Tensor, num_samples: int, replacement: bool = False, *,
                        generator: Generator | None = None) -> Tensor:
    return multinomial(self, num_samples, replacement, generator=generator)
