"""`tritorch.nn` (PyTorch's `torch.nn`): `Module`, `Parameter`, containers, layers and losses over
`tritorch.nn.functional`, plus `init` and `utils`."""
from . import functional  # noqa: F401
from .parameter import Parameter, Buffer  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import module as _module_mod  # noqa: F401
from . import utils  # noqa: F401
