"""numpy dtype -> Triton dtype, and the compute dtype elementwise kernels use."""
import ml_dtypes
import numpy as np
import triton.language as tl

__all__ = ["TL", "compute_tl", "BF16", "F16", "F32", "F64"]

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
