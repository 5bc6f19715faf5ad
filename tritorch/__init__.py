"""tritorch: a PyTorch-style deep learning library with Triton kernels and a numpy fallback.

``import tritorch as tt`` behaves like ``import torch`` wherever it can.
"""
from ._dtype import (dtype, float16, half, bfloat16, float32, float, float64, double, int8, int16, short,
                     int32, int, int64, long, uint8, bool, get_default_dtype, set_default_dtype, promote_types,
                     result_type as _result_type, can_cast, finfo, iinfo)
from ._device import device, set_default_device, get_default_device
from ._size import Size
from ._tensor import Tensor
from . import _ops
from ._ops.pointwise import *  # noqa: F401,F403
from ._ops.pointwise_copy import *  # noqa: F401,F403
from ._ops.pointwise_unary import *  # noqa: F401,F403
from ._ops.pointwise_ternary import *  # noqa: F401,F403
from ._ops.creation import *  # noqa: F401,F403
from ._ops.shape import *  # noqa: F401,F403
from ._ops.shape import broadcast_shapes_public as broadcast_shapes
from ._ops.reduction import *  # noqa: F401,F403
from ._ops.reduction_stats import *  # noqa: F401,F403
from ._ops.reduction_scan import *  # noqa: F401,F403
from ._ops.reduction_compare import *  # noqa: F401,F403
from ._ops.sort import *  # noqa: F401,F403
from ._ops.indexing import *  # noqa: F401,F403
from ._ops.gather_scatter import *  # noqa: F401,F403
from ._ops.joining import *  # noqa: F401,F403
from ._ops.linalg import *  # noqa: F401,F403
from ._ops.einsum import *  # noqa: F401,F403
from ._ops.random import *  # noqa: F401,F403
from ._ops.softmax import *  # noqa: F401,F403
from ._ops.normalization import *  # noqa: F401,F403
from ._ops.linear import *  # noqa: F401,F403
from ._ops.conv import *  # noqa: F401,F403
from ._ops.pooling import *  # noqa: F401,F403
from ._ops.loss import *  # noqa: F401,F403
from ._ops.activation import *  # noqa: F401,F403
from ._ops.dropout import *  # noqa: F401,F403
from ._ops.attention import *  # noqa: F401,F403
from ._ops.batch_norm import *  # noqa: F401,F403
from ._ops.sparse import *  # noqa: F401,F403
from ._ops.distance import *  # noqa: F401,F403
from ._ops.padding import *  # noqa: F401,F403
from ._ops.upsampling import *  # noqa: F401,F403
from ._ops.rnn import *  # noqa: F401,F403
from ._tensor_str import set_printoptions
from . import autograd, accelerator, cuda
from .cuda import OutOfMemoryError
from . import backends, nn, utils
from .serialization import save, load
from .backends._precision import set_float32_matmul_precision, get_float32_matmul_precision
from ._ops import generator as random  # PyTorch's `torch.random` (seeding, rng state)
from .autograd import no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from . import optim  # after no_grad & co.: optim.swa_utils imports them from tritorch
from ._registry import OPS as _OPS

__version__ = "0.1.0"


def result_type(tensor1, tensor2):
    """PyTorch's `result_type` of two tensors / scalars."""
    return _result_type(tensor1, tensor2)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


# Load the cpu backend eagerly: it is numpy only, and failing here beats failing mid-model.
from ._registry import array_api as _array_api  # noqa: E402

_array_api("cpu")
