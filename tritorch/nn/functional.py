"""`tritorch.nn.functional` (PyTorch's `torch.nn.functional`): PyTorch's signatures and defaults
over registry ops with fused kernels on cuda and numpy twins on cpu."""
from .._ops.normalization import layer_norm, rms_norm  # noqa: F401
from .._ops.softmax import functional_softmax as softmax, functional_log_softmax as log_softmax  # noqa: F401
