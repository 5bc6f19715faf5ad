"""Module full backward hooks (PyTorch's ``BackwardHook``): the global registrations and the
identity nodes a hooked module call routes its inputs and outputs through."""
import weakref
from collections import OrderedDict

from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from ...autograd.graph import RemovableHandle

_global_backward_hooks = OrderedDict()
_global_backward_pre_hooks = OrderedDict()


def register_module_full_backward_pre_hook(hook):
    """A full backward pre-hook run for every module: ``hook(module, grad_output) -> None or new grad_output``."""
    h = RemovableHandle(_global_backward_pre_hooks)
    _global_backward_pre_hooks[h.id] = hook
    return h


def register_module_full_backward_hook(hook):
    """A full backward hook run for every module: ``hook(module, grad_input, grad_output) -> None or new
    grad_input``."""
    h = RemovableHandle(_global_backward_hooks)
    _global_backward_hooks[h.id] = hook
    return h


class _BackwardHookFunction(Function):
    """Identity on a group of tensors; its backward node is where a module's backward hooks run."""

    @staticmethod
    def forward(ctx, *tensors):
        ctx.set_materialize_grads(False)
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return ctx.hook(grads)


class _BackwardHookState:
    """Wires a module call's inputs and outputs through identity nodes so that the full backward
    pre-hooks see ``grad_output`` and the full backward hooks see ``grad_input`` (PyTorch's
    BackwardHook).  Both tuples are aligned with the positional args / outputs, None where a value is
    not a tensor that requires grad."""

    def __init__(self, module):
        self.module = weakref.ref(module)
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_requires_grad = False

    def _hooks(self, pre):
        m = self.module()
        if pre:
            return list(_global_backward_pre_hooks.values()) + list(m._backward_pre_hooks.values())
        return list(_global_backward_hooks.values()) + list(m._backward_hooks.values())

    @staticmethod
    def _wrap(values, on_grads):
        """Routes the tensors in ``values`` that require grad through one identity node whose backward
        calls ``on_grads(full_grads) -> full_grads`` (aligned with ``values``)."""
        idx = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
        if not idx or not is_grad_enabled():
            return values, False
        n = len(values)

        def hook(grads):
            full = [None] * n
            for i, g in zip(idx, grads):
                full[i] = g
            full = on_grads(tuple(full))
            return tuple(full[i] for i in idx)

        hooked = _BackwardHookFunction.apply(*[values[i] for i in idx])
        hooked[0].grad_fn.hook = hook
        out = list(values)
        for i, t in zip(idx, hooked):
            out[i] = t
        return out, True

    def setup_input(self, args):
        self.n_inputs = len(args)

        def on_input_grads(grads):
            m = self.module()
            grad_input = tuple(grads)
            for hook in self._hooks(pre=False):
                r = hook(m, grad_input, self.grad_outputs)
                if r is not None:
                    r = tuple(r) if isinstance(r, (tuple, list)) else (r,)
                    if len(r) != len(grad_input):
                        raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got "
                                           f"{len(r)}, but expected {len(grad_input)}")
                    grad_input = r
            return grad_input

        new, self.input_requires_grad = self._wrap(list(args), on_input_grads)
        return tuple(new)

    def setup_output(self, result):
        single = isinstance(result, Tensor)
        values = [result] if single else (list(result) if isinstance(result, (tuple, list)) else None)
        if values is None:
            return result

        def on_output_grads(grads):
            m = self.module()
            grad_output = tuple(grads)
            for hook in self._hooks(pre=True):
                r = hook(m, grad_output)
                if r is not None:
                    r = tuple(r) if isinstance(r, (tuple, list)) else (r,)
                    if len(r) != len(grad_output):
                        raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got "
                                           f"{len(r)}, but expected {len(grad_output)}")
                    grad_output = r
            self.grad_outputs = grad_output
            if not self.input_requires_grad:
                # No input needs a gradient: the full hooks run now, with grad_input all None.
                for hook in self._hooks(pre=False):
                    hook(m, (None,) * max(self.n_inputs, 1), grad_output)
            return grad_output

        new, _ = self._wrap(values, on_output_grads)
        if single:
            return new[0]
        return type(result)(new) if isinstance(result, tuple) and type(result) is not tuple else \
            (tuple(new) if isinstance(result, tuple) else new)
