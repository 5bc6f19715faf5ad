"""numpy dtype -> Triton dtype, the compute dtype elementwise kernels use, and the operand types of
the tensor-core kernels (`dot_types`)."""
import ml_dtypes
import numpy as np
import triton.language as tl

from ._launch import INTERPRETED

__all__ = ["TL", "compute_tl", "dot_types", "BF16", "F16", "F32", "F64"]

BF16 = np.dtype(ml_dtypes.bfloat16)
F16 = np.dtype(np.float16)
F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)

TL = {
    F16: tl.float16, BF16: tl.bfloat16, F32: tl.float32, F64: tl.float64,
    np.dtype(np.int8): tl.int8, np.dtype(np.int16): tl.int16, np.dtype(np.int32): tl.int32,
    np.dtype(np.int64): tl.int64, np.dtype(np.uint8): tl.uint8, np.dtype(np.bool_): tl.int1,
}


def compute_tl(np_dtype):
    """Half types compute in float32 and round once on store (as the cpu fallback does)."""
    if np_dtype == F16 or np_dtype == BF16:
        return tl.float32
    return TL[np_dtype]


def dot_types(np_dtype, tf32):
    """(ET, CT, DOT, TF32) of a kernel built on `_jit.dot_acc`: the dot operand dtype, the
    accumulator / statistics dtype, whether products go to tensor cores, and TF32 (asked for by the
    caller, fp32 inputs only).  fp64 takes the CUDA-core loop; the interpreter multiplies bf16 bit
    patterns in ``tl.dot``, so there bf16 tiles widen to fp32 (a GPU keeps bf16 tensor-core dots, and the
    kernel report compiles that variant: `as_on_gpu` in scripts/kernel_report.py)."""
    if np_dtype == F64:
        return tl.float64, tl.float64, False, False
    et = tl.float32 if (np_dtype == BF16 and INTERPRETED) or np_dtype == F32 else TL[np_dtype]
    return et, tl.float32, True, bool(tf32) and np_dtype == F32
