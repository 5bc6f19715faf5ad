"""The `Optimizer` base class (PyTorch's ``torch.optim.Optimizer``).

Param groups, per-parameter state, step / state-dict hooks and ``state_dict()`` /
``load_state_dict()`` in PyTorch's exact layout, so optimizer checkpoints move between tritorch
and PyTorch through ``tritorch.save`` / ``tritorch.load``::

    {'state': {0: {'step': tensor(3.), 'exp_avg': ..., ...}, ...},
     'param_groups': [{'lr': 0.001, ..., 'params': [0, 1, 2]}]}

Subclasses run their elementwise update as one fused registry op per (device, dtype) group of
parameters (tritorch/_ops/optim.py); the per-tensor scalars those ops take (bias corrections,
which depend on each parameter's own step count) are computed here in Python exactly as
PyTorch's single-tensor code computes them.  ``foreach=`` / ``fused=`` / ``capturable=`` are
accepted and stored for compatibility: every tritorch optimizer runs the fused ops, under
``no_grad`` (``differentiable=True`` is accepted, but the update is not recorded by autograd).
"""
import functools
import warnings
from collections import defaultdict, OrderedDict
from collections.abc import Iterable
from copy import deepcopy
from itertools import chain

from .. import _dtype
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..autograd.graph import RemovableHandle
from .._ops.optim import foreach_add_
from .._ops.creation import tensor, zeros, zeros_like

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook", "required"]

_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()


class _RequiredParameter:
    """Singleton class representing a required parameter for an Optimizer."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    """``torch.typename``: a tensor's type string, else the (module-qualified) type name."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = obj if isinstance(obj, type) else obj.__class__
    module = cls.__module__
    return cls.__qualname__ if module in ("", "builtins") else f"{module}.{cls.__qualname__}"


def _get_value(x):
    """A hyperparameter or step as a Python number (``x.item()`` for a tensor)."""
    return x.item() if isinstance(x, Tensor) else x


def _to_scalar(x):
    """A 1-element tensor hyperparameter as a 0-d tensor; anything else as is."""
    if isinstance(x, Tensor) and x.dim() != 0:
        return x.squeeze()
    return x


def _get_scalar_dtype(is_fused=None):
    """The dtype of the ``step`` state: float32, or float64 under a float64 default dtype."""
    if is_fused:
        return _dtype.float32
    return _dtype.float64 if _dtype.get_default_dtype() is _dtype.float64 else _dtype.float32


def _check_hyperparameters(lr, *, foreach=None, capturable=False, nan_ok=False, **options):
    """PyTorch's constructor checks, in PyTorch's order and with its messages: ``lr`` (a Tensor lr
    must have one element, and Adam, which passes ``foreach`` / ``capturable``, refuses one with
    ``foreach=True, capturable=False``), then each of ``options`` in the order given: ``betas``
    each in [0, 1), ``rho`` in [0, 1], every other one >= 0.  ``nan_ok``: SGD's form of the
    checks (``x < 0``), which lets NaN through."""
    if isinstance(lr, Tensor):
        if foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        if lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
    for name, value in {"lr": lr, **options}.items():
        if name == "betas":
            for i in (0, 1):
                if not 0.0 <= value[i] < 1.0:
                    raise ValueError(f"Invalid beta parameter at index {i}: {value[i]}")
            continue
        if nan_ok:
            valid = not value < 0.0
        else:
            valid = 0.0 <= value <= 1.0 if name == "rho" else 0.0 <= value
        if not valid:
            label = {"lr": "learning rate", "eps": "epsilon value"}.get(name, f"{name} value")
            raise ValueError(f"Invalid {label}: {value}")


def _check_fused(fused, foreach, differentiable):
    """PyTorch's checks of ``fused=True`` against the other implementation options."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _closure_loss(closure):
    """The loss a ``step`` returns: ``closure()`` run with grad enabled, or None without a closure."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def _device_dtype_check_for_fused(p):
    if not p.dtype.is_floating_point:
        raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of supported devices: "
                           f"['cpu', 'cuda'] but {_dtype.TORCH_NAMES[p.dtype]} and {p.device.type}")


def _group_by_device_and_dtype(params, *lists):
    """``{(device, dtype): (params, *lists)}`` keeping the parameters' order inside each group
    (the fused ops take one device and dtype)."""
    if not params:
        return {}
    d0, t0 = params[0].device, params[0].dtype
    if all(p.device == d0 and p.dtype is t0 for p in params):  # the common case: one group
        return {(d0, t0): (params,) + lists}
    groups = {}
    for i, p in enumerate(params):
        key = (p.device, p.dtype)
        g = groups.get(key)
        if g is None:
            g = groups[key] = tuple([] for _ in range(len(lists) + 1))
        g[0].append(p)
        for dst, src in zip(g[1:], lists):
            if src:
                dst.append(src[i])
    return groups


def _increment_steps(steps):
    """``step += 1`` for each step tensor (one fused call per device and dtype); returns the new values."""
    d0, t0 = steps[0].device, steps[0].dtype
    if all(s.device == d0 and s.dtype is t0 for s in steps):
        foreach_add_(steps, 1)
    else:  # steps loaded onto several devices
        by_device = {}
        for s in steps:
            by_device.setdefault((s.device, s.dtype), []).append(s)
        for group in by_device.values():
            foreach_add_(group, 1)
    return [s.item() for s in steps]


def register_optimizer_step_pre_hook(hook):
    """Register a pre hook common to all optimizers: ``hook(optimizer, args, kwargs) -> None or (args, kwargs)``."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """Register a post hook common to all optimizers: ``hook(optimizer, args, kwargs) -> None``."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _register(hooks, hook, prepend=False):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class Optimizer:
    r"""Base class for all optimizers.

    Args:
        params (iterable): an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts
            (parameter groups).  Use ordered collections: a set is refused.
        defaults (dict): default values of the optimization options (used when a parameter
            group doesn't specify them).
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        self._patch_step_function()

        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))

        self.state = defaultdict(dict)
        self.param_groups = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self._patch_step_function()  # pickled optimizers get their class's hooked step back
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    # --- step and its hooks -----------------------------------------------------------------------

    @staticmethod
    def profile_hook_step(func):
        """Wrap a subclass's ``step`` with the global and per-instance step pre/post hooks."""
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            self, *_ = args
            for pre_hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(
                            f"{func} must return None or a tuple of (new_args, new_kwargs), but got {result}.")
            out = func(*args, **kwargs)
            for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
                post_hook(self, args, kwargs)
            return out
        return wrapper

    def _patch_step_function(self):
        hooked = getattr(self.__class__.step, "hooked", None)
        if not hooked:
            self.__class__.step = self.profile_hook_step(self.__class__.step)
            self.__class__.step.hooked = True

    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)``, called before ``step``."""
        return _register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs) -> None``, called after ``step``."""
        return _register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer) -> None``, called before ``state_dict()`` builds the dict."""
        return _register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict) -> state_dict or None``, called on the built dict."""
        return _register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict) -> state_dict or None``, called before loading (on a shallow copy)."""
        return _register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer) -> None``, called after ``load_state_dict`` has loaded the state."""
        return _register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # --- state dict -----------------------------------------------------------------------------

    def state_dict(self):
        """The optimizer state as ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``,
        parameters replaced by their position over all groups (PyTorch's layout)."""
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)

        param_mappings = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update({id(p): i for i, p in enumerate(group["params"], start_index)
                                   if id(p) not in param_mappings})
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}

        for post_hook in self._optimizer_state_dict_post_hooks.values():
            hook_result = post_hook(self, state_dict)
            if hook_result is not None:
                state_dict = hook_result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key=None):
        """PyTorch's casting of a loaded state tensor: ``step`` stays as saved unless the group is
        fused or capturable (then float32 on the param's device); other state follows the param's
        device, and its dtype when the param is floating point."""
        fused = False
        capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        if key == "step":
            if capturable or fused:
                return value.to(dtype=_dtype.float32, device=param.device)
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)

    def load_state_dict(self, state_dict):
        """Load a state dict made by ``state_dict()`` (here or by PyTorch): the groups must match in
        number and sizes; state tensors are cast to their parameter's device (and dtype)."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            hook_result = pre_hook(self, state_dict)
            if hook_result is not None:
                state_dict = hook_result

        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")

        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def _cast(param, value, param_id=None, param_groups=None, key=None):
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(param, value, param_id, param_groups, key)
            if isinstance(value, dict):
                return {k: _cast(param, v, param_id=param_id, param_groups=param_groups, key=k)
                        for k, v in value.items()}
            if isinstance(value, Iterable) and not isinstance(value, str):
                return type(value)(_cast(param, v, param_id=param_id, param_groups=param_groups) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast(param, v, param_id=k, param_groups=state_dict["param_groups"])
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})

        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # --- gradients and groups -------------------------------------------------------------------

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors: to None (default), or zero them in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:
                            p.grad.detach_()
                        else:
                            p.grad.requires_grad_(False)
                        p.grad.zero_()

    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns the loss)."""
        raise NotImplementedError

    def add_param_group(self, param_group):
        """Add a param group (a dict with ``params`` and optional per-group options) to ``param_groups``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) == len(tensors):
                param_group["param_names"] = names
            else:
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will cause "
                          "an error; see github.com/pytorch/pytorch/issues/40967 for more information", stacklevel=3)

        param_set = set()
        for group in self.param_groups:
            param_set.update(set(group["params"]))
            if ("param_names" in param_group) != ("param_names" in group):
                current_group_txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {current_group_txt} to the optimizer")
        if not param_set.isdisjoint(set(param_group["params"])):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # --- helpers for subclasses ------------------------------------------------------------------

    def _new_step(self, group, p):
        """A fresh ``step`` state tensor where PyTorch puts it: on the param's device (float32) for
        fused/capturable groups, else a cpu tensor of the scalar dtype."""
        if group.get("capturable") or group.get("fused"):
            return zeros((), dtype=_get_scalar_dtype(is_fused=group.get("fused")), device=p.device)
        return tensor(0.0, dtype=_get_scalar_dtype())

    def _init_group_states(self, group, params, grads, state_steps, **buffers):
        """PyTorch's ``_init_group`` for an optimizer whose state is a step and zero buffers of each
        param's shape: every param with a grad goes to ``params``, its grad to ``grads``, its step to
        ``state_steps`` and its buffer ``name`` to the list ``buffers[name]``; the state is created
        (step first, then the buffers in the given order) at the param's first step."""
        for p in group["params"]:
            if p.grad is None:
                continue
            params.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._new_step(group, p)
                for name in buffers:
                    state[name] = zeros_like(p)
            for name, values in buffers.items():
                values.append(state[name])
            state_steps.append(state["step"])

    def _set_group_defaults(self, tensor_steps=True, **defaults):
        """The body of PyTorch's optimizer ``__setstate__``: each group gets ``defaults`` for the
        options older checkpoints lack and, with ``tensor_steps``, saved Python-number steps
        become tensors."""
        for group in self.param_groups:
            for name, value in defaults.items():
                group.setdefault(name, value)
            if tensor_steps:
                self._steps_from_state(group)

    def _check_tensor_lr(self, group):
        if group.get("foreach") and isinstance(group["lr"], Tensor) and not group.get("capturable"):
            raise RuntimeError("lr as a Tensor is not supported for capturable=False and foreach=True")

    def _steps_from_state(self, group):
        """Convert saved non-tensor steps (old checkpoints) into tensors, as PyTorch's ``__setstate__``."""
        for p in group["params"]:
            p_state = self.state.get(p, [])
            if len(p_state) != 0 and "step" in p_state and not isinstance(p_state["step"], Tensor):
                step_val = float(p_state["step"])
                if group.get("capturable") or group.get("fused"):
                    p_state["step"] = tensor(step_val, dtype=_get_scalar_dtype(is_fused=group.get("fused")),
                                             device=p.device)
                else:
                    p_state["step"] = tensor(step_val, dtype=_get_scalar_dtype())
