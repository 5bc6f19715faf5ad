"""The all-or-nothing side of `Module.load_state_dict`: while a load checks the whole tree, the
copies that `_load_from_state_dict` finds are recorded (`_load_or_defer`) instead of run; they run
(`_run_copies`) only when no module reported an error, and a copy that fails midway rolls back
the ones before it."""
import contextlib
from collections import namedtuple

from ...autograd.grad_mode import no_grad
from ..parameter import Parameter

_LOADING = []  # a stack: the recorded copies of each load_state_dict in progress


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


@contextlib.contextmanager
def _defer_copies():
    """Record the copies of the `_load_from_state_dict` calls inside; yields their list."""
    copies = []
    _LOADING.append(copies)
    try:
        yield copies
    finally:
        _LOADING.pop()


def _load_or_defer(op, error_msgs):
    """Record ``op`` inside `load_state_dict`; run it at once when `_load_from_state_dict` is called
    directly (PyTorch's behaviour), reporting a failure in ``error_msgs``."""
    if _LOADING:
        _LOADING[-1].append(op)
        return
    err = _apply_load(op)
    if err:
        error_msgs.append(err)


def _size_repr(shape):
    return "torch.Size([" + ", ".join(str(int(s)) for s in shape) + "])"


def _run_copies(copies):
    """Runs recorded loads; a copy that fails (e.g. a value that cannot be converted) is reported and the
    ones before it are rolled back, so the module is left as it was."""
    done = []
    for op in copies:
        module, name, param, input_param, assign, key = op
        before = (module, name, param, param.detach().clone() if not assign else None)
        err = _apply_load(op)
        if err:
            for m, n, p, saved in reversed(done):
                with no_grad():
                    if saved is None:
                        (m._parameters if n in m._parameters else m._buffers)[n] = p
                    else:
                        p.copy_(saved)
            return [err]
        done.append(before)
    return []


def _apply_load(op):
    module, name, param, input_param, assign, key = op
    try:
        with no_grad():
            if assign:
                if isinstance(param, Parameter):
                    if not isinstance(input_param, Parameter):
                        input_param = Parameter(input_param, requires_grad=param.requires_grad)
                    else:
                        input_param.requires_grad_(param.requires_grad)
                    module._parameters[name] = input_param
                else:
                    module._buffers[name] = input_param
            else:
                param.copy_(input_param)
    except Exception as ex:
        return (f'While copying the parameter named "{key}", whose dimensions in the model are '
                f"{_size_repr(param.shape)} and whose dimensions in the checkpoint are "
                f"{_size_repr(input_param.shape)}, an exception occurred : {ex.args}.")
    return None
