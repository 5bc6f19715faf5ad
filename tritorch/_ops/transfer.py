"""`Tensor.to`: dtype casts (registry op ``to_copy``) and device moves (host <-> device copies
through the devices' array APIs, not a registry op: it crosses devices by definition)."""
from .._registry import array_api
from ._common import record, STATE
from .pointwise import cast
from .pointwise_copy import ToCopyBackward0


def _move(t, dev):
    from .._tensor import _wrap
    host = array_api(t.device.type).to_numpy(t._data)
    if t.device.type == "cpu":
        host = host.copy()
    return _wrap(array_api(dev.type).from_numpy(host if host.flags.c_contiguous else host.copy()), dev)


def to(t, dev, dt, copy=False):
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
        src = r
        prev = STATE.enabled
        moved = _move(src.detach(), dev)
        if prev and src._requires_grad:
            n = ToCopyBackward0()
            n.src_device, n.src_dtype = src.device, src.dtype
            record(n, (src,), (moved,))
        r = moved
    return r
