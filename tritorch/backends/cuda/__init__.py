"""``tritorch.backends.cuda``: the cuda device's numeric switches, named as in PyTorch.

``matmul.allow_tf32`` is the TF32 switch for float32 products (linked to
`tritorch.set_float32_matmul_precision`).  ``matmul.allow_fp16_reduced_precision_reduction`` and
``matmul.allow_bf16_reduced_precision_reduction`` are accepted and remembered, but tritorch's
kernels always accumulate half-precision products in float32, so they change no result.
"""
from .. import _precision

__all__ = ["matmul"]


def _reduction_setting(value, name):
    """PyTorch's accepted forms: a bool, or a tuple/list of (allow_reduced_precision[, allow_splitk])."""
    if isinstance(value, bool):
        return value, True
    if isinstance(value, (list, tuple)):
        if not value:
            raise TypeError(f"{name} expects at least one boolean argument")
        if len(value) > 2:
            raise TypeError(f"{name} expects at most two boolean arguments")
        for v, which in zip(value, ("allow_reduced_precision", "allow_splitk")):
            if not isinstance(v, bool):
                raise TypeError(f"{name} expects a bool for {which}, but got {type(v)!r}")
        return value[0], value[1] if len(value) == 2 else True
    raise TypeError(f"{name} expects a bool or a tuple/list of bools, but got {type(value)!r}")


class cuBLASModule:
    """``tritorch.backends.cuda.matmul`` (PyTorch's class name, so reprs and checks match)."""

    __slots__ = ("_reduced",)

    def __init__(self):
        object.__setattr__(self, "_reduced", {"fp16": (True, True), "bf16": (True, True)})

    def __getattr__(self, name):
        if name == "allow_tf32":
            return _precision.TF32
        for kind in ("fp16", "bf16"):
            if name == f"allow_{kind}_reduced_precision_reduction":
                return self._reduced[kind][0]
            if name == f"allow_{kind}_reduced_precision_reduction_split_k":
                return self._reduced[kind][1]
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            if not isinstance(value, bool):
                raise RuntimeError(f"set_allow_tf32_cublas expects a bool, but got {type(value).__name__}")
            _precision._set("high" if value else "highest")
            return
        for kind in ("fp16", "bf16"):
            if name == f"allow_{kind}_reduced_precision_reduction":
                self._reduced[kind] = _reduction_setting(value, name)
                return
        raise AttributeError("Unknown attribute " + name)


matmul = cuBLASModule()
