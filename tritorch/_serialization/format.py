"""Constants of PyTorch's zip checkpoint format, shared by the writer and the reader."""
from .. import _dtype

_ALIGN = 64  # torch's storage_alignment: data records start at multiples of 64 bytes
_LOCAL_HEADER = 30  # fixed part of a zip local file header
_STORAGE_NAMES = {
    _dtype.float32: "FloatStorage", _dtype.float64: "DoubleStorage", _dtype.float16: "HalfStorage",
    _dtype.bfloat16: "BFloat16Storage", _dtype.int64: "LongStorage", _dtype.int32: "IntStorage",
    _dtype.int16: "ShortStorage", _dtype.int8: "CharStorage", _dtype.uint8: "ByteStorage", _dtype.bool: "BoolStorage",
}
_STORAGE_DTYPES = {v: k for k, v in _STORAGE_NAMES.items()}
_CORRUPT = ("This can happen if the checkpoint was not saved properly, was transferred incorrectly, "
            "or the file was modified after saving.")
