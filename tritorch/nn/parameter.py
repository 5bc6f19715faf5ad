"""`nn.Parameter` and `nn.Buffer` (PyTorch's `torch.nn.parameter`).

A Parameter is a Tensor that a Module registers as a parameter when assigned to one of its
attributes; it requires grad by default.  Ops on a Parameter return plain Tensors, as in PyTorch.
"""
from .._ops.creation import empty
from .._tensor import Tensor, _rebuild

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """Parameter(data=None, requires_grad=True): shares ``data``'s storage (no copy)."""

    __slots__ = ("__dict__",)
    _accepts_requires_grad = True

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        p = Tensor._make(data._data, data._storage, cls)
        p._offset = data._offset
        p._requires_grad = bool(requires_grad)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (_rebuild, (self.detach().cpu().numpy().copy(), str(self.device), self._requires_grad, Parameter))


class Buffer:
    """Buffer(data, persistent=True): marks a tensor to be registered as a buffer on assignment."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer(): argument 'data' must be Tensor, not {type(data).__name__}")
        t = data.detach()
        t._extras()["_is_buffer"] = True
        t._extras()["persistent"] = persistent
        return t
