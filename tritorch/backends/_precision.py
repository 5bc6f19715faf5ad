"""The float32 matmul precision setting PyTorch exposes twice, kept in one place.

``torch.set_float32_matmul_precision`` and ``torch.backends.cuda.matmul.allow_tf32`` are two
views of one switch (as in PyTorch before its fp32_precision API): "highest" means IEEE fp32
products, "high" and "medium" allow TF32 tensor-core products; allow_tf32=True sets "high",
False sets "highest".  The op layer hands the switch to the matmul-type ops (the fused GEMM,
matmul, attention) as the registry attribute ``tf32`` (`op_attrs`), read on each call, so kernels
never read this frontend module.
"""
import warnings

__all__ = ["set_float32_matmul_precision", "get_float32_matmul_precision"]

_PRECISIONS = ("highest", "high", "medium")

PRECISION = "highest"
TF32 = False


_TF32_ON, _TF32_OFF = {"tf32": True}, {}


def op_attrs():
    """The registry attributes that carry the switch to a matmul-type op: ``{"tf32": True}`` when
    TF32 is allowed, else none (the impls' ``tf32=False`` default).  Callers must not mutate it."""
    return _TF32_ON if TF32 else _TF32_OFF


def _set(precision):
    global PRECISION, TF32
    PRECISION = precision
    TF32 = precision != "highest"


def set_float32_matmul_precision(precision):
    """Set float32 matmul precision: "highest" (IEEE fp32, the default), "high" or "medium"
    (TF32 tensor cores on the cuda device; tritorch has no bf16x3 mode, so "medium" is "high").
    The cpu device always computes IEEE fp32."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      f"setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _set(precision)


def get_float32_matmul_precision():
    """The current float32 matmul precision: "highest", "high" or "medium"."""
    return PRECISION
