"""The float32 matmul precision setting PyTorch exposes twice, kept in one place.

``torch.set_float32_matmul_precision`` and ``torch.backends.cuda.matmul.allow_tf32`` are two
views of one switch (as in PyTorch before its fp32_precision API): "highest" means IEEE fp32
products, "high" and "medium" allow TF32 tensor-core products; allow_tf32=True sets "high",
False sets "highest".  Kernels read the module attribute ``TF32`` on each matmul call.
"""
import warnings

__all__ = ["set_float32_matmul_precision", "get_float32_matmul_precision"]

_PRECISIONS = ("highest", "high", "medium")

PRECISION = "highest"
TF32 = False


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
