"""`tritorch.device`: interned device objects (`cpu`, `cuda:N`), compared with `is`."""
__all__ = ["device"]

_DEVICE_TYPES = ("cpu", "cuda")
_interned = {}


class device:
    """A device (PyTorch's `torch.device`): `device("cpu")`, `device("cuda", 0)`, `device("cuda:1")`.

    Instances are interned, so equal devices are the same object.
    """

    __slots__ = ("type", "index")

    def __new__(cls, type, index=None):
        if isinstance(type, device):
            return type
        key = (type, index)
        d = _interned.get(key)
        if d is not None:
            return d
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string or device, got {type.__class__.__name__}")
        name, idx = type, index
        if ":" in type:
            if index is not None:
                raise ValueError(f"device(): type (string) must not include an index because index was passed explicitly: {type}")
            name, _, s = type.partition(":")
            if not s.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            idx = int(s)
        if name not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device string: {type}")
        if name == "cpu":
            idx = None
        elif idx is None:
            idx = None
        d = _interned.get((name, idx))
        if d is None:
            d = object.__new__(cls)
            object.__setattr__(d, "type", name)
            object.__setattr__(d, "index", idx)
            _interned[(name, idx)] = d
        _interned[key] = d
        return d

    def __setattr__(self, k, v):
        raise AttributeError("device objects are immutable")

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))


CPU = device("cpu")
_default_device = [CPU]


_cuda_index = [0]
_checked = set()


def cuda_index():
    """Index of the current cuda device (`tritorch.cuda.set_device`)."""
    return _cuda_index[0]


def set_cuda_index(i):
    _cuda_index[0] = i
    _checked.clear()


def _resolve_cuda(d):
    # Tensors always carry a concrete index, as PyTorch's do ("cuda" -> "cuda:0"), so devices
    # compare with `is`.  tritorch drives one GPU per process: other indices are an error.
    if d.index is None:
        d = device("cuda", _cuda_index[0])
    if d not in _checked:
        from . import cuda
        cuda._require()
        n = cuda.device_count()
        if d.index >= n:
            raise RuntimeError(f"CUDA error: invalid device ordinal (device {d}, {n} cuda device(s) visible)")
        if d.index != _cuda_index[0]:
            raise RuntimeError(f"tritorch drives one GPU per process: {d} is not the current device "
                               f"cuda:{_cuda_index[0]}; call tritorch.cuda.set_device({d.index}) first")
        _checked.add(d)
    return d


def as_device(d):
    """None -> the default device; str/int/device -> an interned `device` (cuda with its index)."""
    if d is None:
        return _default_device[0]
    if not isinstance(d, device):
        d = device("cuda", d) if isinstance(d, int) else device(d)
    if d.type == "cuda":
        return _resolve_cuda(d)
    return d


def set_default_device(d):
    """Device of tensors made by creation functions without `device=` (PyTorch's `set_default_device`)."""
    _default_device[0] = CPU if d is None else as_device(d)


def get_default_device():
    return _default_device[0]
