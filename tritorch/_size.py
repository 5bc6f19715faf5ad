"""`tritorch.Size`: the tuple subclass returned by `Tensor.shape` / `Tensor.size()`."""
import operator


class Size(tuple):
    """Shape of a tensor (PyTorch's `torch.Size`): a tuple of ints with `numel()`."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        return tuple.__new__(cls, (operator.index(s) for s in sizes))

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"tritorch.Size({list(self)})"

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))
