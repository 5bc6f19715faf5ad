"""Custom autograd functions (PyTorch's `torch.autograd.Function`).

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp(); ctx.save_for_backward(y); return y
        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors; return g * y

The ``ctx`` *is* the backward node recorded in the graph (named ``ExpBackward``).
"""
from .graph import Node, record
from .grad_mode import STATE

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx(Node):
    """Backward node of a custom Function; also the ``ctx`` its forward/backward receive."""

    _forward_cls = None

    def __init__(self):
        Node.__init__(self)
        self._non_diff = ()
        self._materialize = True
        self._dirty = ()
        self._out_meta = ()

    def name(self):
        return self._forward_cls.__name__ + "Backward"

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tuple(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value):
        self._materialize = bool(value)

    def apply_backward(self, grads):
        grads = list(grads) + [None] * (len(self._out_meta) - len(grads))
        if self._materialize:
            from .._ops.creation import zeros
            grads = [g if g is not None or meta is None else zeros(meta[0], dtype=meta[1], device=meta[2])
                     for g, meta in zip(grads, self._out_meta)]
        r = self._forward_cls.backward(self, *grads)
        if not isinstance(r, tuple):
            r = (r,)
        n_in = len(self.next_functions)
        if len(r) > n_in:
            if all(x is None for x in r[n_in:]):
                r = r[:n_in]
        if len(r) != n_in:
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients (expected {n_in}, got {len(r)})")
        for i, (g, shape) in enumerate(zip(r, self._in_shapes)):
            if g is not None and shape is not None and tuple(g.shape) != shape:
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {i} - got "
                    f"{list(g.shape)} but expected shape compatible with {list(shape)}")
        return r


class _FunctionMeta(type):
    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        cls._backward_cls = type(name + "Backward", (FunctionCtx,), {"_forward_cls": cls})


class Function(metaclass=_FunctionMeta):
    """Base class for user-defined differentiable operations; call via ``Fn.apply(...)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement the backward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        return None

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor
        ctx = cls._backward_cls()
        tensor_args = [a if isinstance(a, Tensor) else None for a in args]
        ctx.needs_input_grad = tuple(t is not None and t._requires_grad for t in tensor_args)
        prev = STATE.enabled
        STATE.enabled = False
        try:
            if cls.setup_context is not Function.setup_context:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        finally:
            STATE.enabled = prev
        if not (prev and any(ctx.needs_input_grad)):
            return out
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        # An input returned as-is becomes a new tensor object so its own history is kept.
        fixed = []
        for o in outs:
            if isinstance(o, Tensor) and any(o is a for a in args) and not any(o is d for d in ctx._dirty):
                o = o.detach()
            fixed.append(o)
        diff = [o if isinstance(o, Tensor) and id(o) not in ctx._non_diff and o.dtype.is_floating_point
                else None for o in fixed]
        ctx._out_meta = tuple((tuple(o.shape), o.dtype, o.device) if o is not None else None for o in diff)
        ctx._in_shapes = tuple(tuple(t.shape) if t is not None else None for t in tensor_args)
        record(ctx, tensor_args, diff)
        return fixed[0] if single else tuple(fixed)


def once_differentiable(fn):
    """Decorator for backward methods that are not themselves differentiable."""
    import functools

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = STATE.enabled
        STATE.enabled = False
        try:
            return fn(ctx, *args)
        finally:
            STATE.enabled = prev
    return wrapper
