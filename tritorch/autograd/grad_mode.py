"""Grad modes: `no_grad`, `enable_grad`, `set_grad_enabled`, `inference_mode`.

Each works as a context manager and as a decorator, as in PyTorch.  The state is one
slot object read on every op, so checking it costs an attribute load.
"""
import functools

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled"]


class _State:
    __slots__ = ("enabled", "inference")


STATE = _State()
STATE.enabled = True
STATE.inference = False


def is_grad_enabled():
    return STATE.enabled


def is_inference_mode_enabled():
    return STATE.inference


class _Mode:
    """Base: subclasses set ``_target`` (grad enabled inside) and ``_inference``."""

    _inference = None

    def __enter__(self):
        self._prev = (STATE.enabled, STATE.inference)
        STATE.enabled = self._target
        if self._inference is not None:
            STATE.inference = self._inference
        return self

    def __exit__(self, *exc):
        STATE.enabled, STATE.inference = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args()):
                return fn(*args, **kwargs)
        return wrapper

    def _args(self):
        return ()

    def clone(self):
        return self.__class__(*self._args())


class _BareDecoratable(_Mode):
    """Also usable as a bare decorator (``@no_grad`` without parentheses), as in PyTorch."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments (or a function to decorate)")
        return cls()(orig_func)

    def __init__(self, orig_func=None):
        pass


class no_grad(_BareDecoratable):
    """Disable gradient recording inside the block (or the decorated function)."""

    _target = False


class enable_grad(_BareDecoratable):
    """Enable gradient recording inside the block, e.g. within `no_grad`."""

    _target = True


class set_grad_enabled(_Mode):
    """Set grad mode on; usable as a plain call (takes effect at once), context manager or decorator."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}")
        self._target = mode
        self._prev = (STATE.enabled, STATE.inference)
        STATE.enabled = mode

    def __enter__(self):
        return self

    def __call__(self, fn):
        # Used as a decorator: construction must not leave the mode switched.
        STATE.enabled, STATE.inference = self._prev
        return super().__call__(fn)

    def _args(self):
        return (self._target,)


class inference_mode(_Mode):
    """Like `no_grad` (tritorch keeps no separate inference tensors; `is_inference_mode_enabled` reports it)."""

    def __new__(cls, mode=True):
        if callable(mode):  # bare decorator
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        if not isinstance(mode, bool):
            raise TypeError(f"inference_mode(): argument 'mode' must be bool, not {type(mode).__name__}")
        self._mode = mode
        self._inference = mode
        self._target = None

    def __enter__(self):
        self._prev = (STATE.enabled, STATE.inference)
        if self._mode:
            STATE.enabled = False
        STATE.inference = self._mode
        return self

    def _args(self):
        return (self._mode,)
