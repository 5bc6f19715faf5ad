"""`tritorch.optim` (PyTorch's ``torch.optim``): optimizers whose updates run as fused registry ops."""
import importlib
import importlib.util

from .optimizer import Optimizer
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .lbfgs import LBFGS
from .nadam import NAdam
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adadelta", "Adagrad", "Adam", "Adamax", "AdamW", "LBFGS", "NAdam", "Optimizer", "RAdam", "RMSprop",
           "SGD"]

# lr_scheduler and swa_utils live in their own modules, written separately: load them once present.
for _name in ("lr_scheduler", "swa_utils"):
    if importlib.util.find_spec(f"{__name__}.{_name}") is not None:
        globals()[_name] = importlib.import_module(f"{__name__}.{_name}")
        __all__.append(_name)
del _name
