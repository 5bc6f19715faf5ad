"""`Tensor.to`: dtype casts (registry op ``to_copy``) and device moves (host <-> device copies
through the devices' array APIs, not a registry op: it crosses devices by definition)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _dtype
from .._device import device as _device_cls, as_device
from .._registry import array_api
from .._tensor import Tensor, _wrap
from ._common import attach, method
from .pointwise_copy import cast, ToCopyBackward0

if TYPE_CHECKING:
    from .._device import device
    from .._dtype import dtype


def _move(t, dev):
    host = array_api(t.device.type).to_numpy(t._data)
    if t.device.type == "cpu":
        host = host.copy()
    return _wrap(array_api(dev.type).from_numpy(host if host.flags.c_contiguous else host.copy()), dev)


def to(t: Tensor, dev: device | None, dt: dtype | None, copy: bool = False) -> Tensor:
    """``t`` on device ``dev`` with dtype ``dt`` (None keeps); self when nothing changes and not ``copy``."""
    same_dev = dev is None or dev is t.device or (dev.type == t.device.type and
                                                   (dev.index is None or dev == t.device))
    same_dt = dt is None or dt is t.dtype
    if same_dev and same_dt:
        return t.clone() if copy else t
    r = t
    if not same_dt:
        r = cast(r, dt)
    if not same_dev:
        moved = _move(r.detach(), dev)
        attach(ToCopyBackward0, (r,), moved, src_device=r.device, src_dtype=r.dtype)
        r = moved
    return r


@method("to")
def _tensor_to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """`to(dtype)`, `to(device)`, `to(device, dtype)`, `to(other)`; `copy=`, `non_blocking=` accepted."""
    dev, dt = None, None
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    for a in list(args) + [kwargs.pop("device", None), kwargs.pop("dtype", None)]:
        if a is None:
            continue
        if isinstance(a, _dtype.dtype):
            dt = a
        elif isinstance(a, Tensor):
            dev, dt = a.device, a.dtype
        elif isinstance(a, (str, _device_cls, int)) and not isinstance(a, bool):
            dev = as_device(a)
        else:
            raise TypeError(f"to(): received an invalid combination of arguments: {a!r}")
    if kwargs:
        raise TypeError(f"to(): unexpected keyword arguments {sorted(kwargs)}")
    return to(self, dev, dt, copy)
