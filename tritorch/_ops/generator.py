"""`Generator` and the global seeding functions (`manual_seed`, `seed`, `initial_seed`,
`get_rng_state`, `set_rng_state`, `default_generator`).

A Generator is a counter-based Philox state: a 64-bit ``seed`` and an ``offset``.  Every
random op receives ``(seed, offset)`` and the generator then advances its offset by the
number of values the op drew, so results are reproducible under `manual_seed` and each
draw depends only on its (seed, offset) -- the scheme PyTorch uses on CUDA, here on every
device.  Deliberate difference from PyTorch's CPU generator (a Mersenne twister): the
state is 16 bytes (seed and offset, little-endian uint64s), not 5056, and streams differ
from PyTorch's numerically (same distributions).
"""
from __future__ import annotations

import numbers
import os
from typing import TYPE_CHECKING

from .._device import as_device, CPU
from ._common import Tensor
from .creation import tensor

if TYPE_CHECKING:
    from .._device import device as _Device

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator"]

_MASK64 = (1 << 64) - 1
_DEFAULT_SEED = 67280421310721  # a fresh Generator's seed, as PyTorch's


def _check_seed(seed):
    if isinstance(seed, Tensor):
        seed = seed.item()
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = int(seed)
    if not -(1 << 63) <= seed <= _MASK64:
        raise RuntimeError("Overflow when unpacking long")
    return seed & _MASK64


class Generator:
    """A random-number generator state (PyTorch's `torch.Generator`).

    ``Generator(device='cpu')``; ``manual_seed(seed)`` (returns self), ``seed()`` (a fresh
    non-deterministic seed, returned), ``initial_seed()``, ``get_state()``/``set_state()``
    (a 16-element uint8 tensor), ``get_offset()``/``set_offset()``.
    """

    __slots__ = ("_device", "_seed", "_offset")

    def __init__(self, device: _Device | str | int = "cpu") -> None:
        self._device = as_device(device)
        self._seed = _DEFAULT_SEED
        self._offset = 0

    @property
    def device(self) -> _Device:
        return self._device

    def manual_seed(self, seed: int | Tensor) -> Generator:
        self._seed = _check_seed(seed)
        self._offset = 0
        return self

    def seed(self) -> int:
        s = int.from_bytes(os.urandom(8), "little")
        self._seed = s
        self._offset = 0
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_offset(self) -> int:
        return self._offset

    def set_offset(self, offset: int) -> Generator:
        if not isinstance(offset, numbers.Integral) or offset < 0:
            raise RuntimeError(f"set_offset: offset must be a non-negative int, got {offset!r}")
        self._offset = int(offset)
        return self

    def get_state(self) -> Tensor:
        """A uint8 tensor of 16 bytes: seed then offset, each a little-endian uint64."""
        from .. import _dtype
        raw = self._seed.to_bytes(8, "little") + (self._offset & _MASK64).to_bytes(8, "little")
        return tensor(list(raw), dtype=_dtype.uint8)

    def set_state(self, new_state: Tensor) -> Generator:
        from .. import _dtype
        if not isinstance(new_state, Tensor):
            raise TypeError(f"set_state(): argument 'new_state' must be Tensor, not {type(new_state).__name__}")
        if new_state.dtype is not _dtype.uint8:
            raise RuntimeError(f"Expected a 'torch.ByteTensor' as the generator state, but found a tensor of dtype "
                               f"{new_state.dtype}")
        if new_state.numel() != 16:
            raise RuntimeError(f"Expected a generator state of 16 bytes (seed and offset), but got "
                               f"{new_state.numel()} bytes")
        raw = bytes(new_state.reshape(-1).tolist())
        self._seed = int.from_bytes(raw[:8], "little")
        self._offset = int.from_bytes(raw[8:], "little")
        return self

    def clone_state(self) -> Generator:
        g = Generator(self._device)
        g._seed, g._offset = self._seed, self._offset
        return g

    def __reduce__(self):
        return (_rebuild_generator, (str(self._device), self._seed, self._offset))

    def __repr__(self):
        return f"<tritorch.Generator object at {hex(id(self))} (device={self._device}, seed={self._seed})>"

    def _peek(self):
        return self._seed, self._offset

    def _advance(self, n):
        self._offset += n


def _rebuild_generator(device, seed, offset):
    g = Generator(device)
    g._seed, g._offset = seed, offset
    return g


default_generator = Generator(CPU)
default_generator.seed()  # a fresh process draws differently, as in PyTorch
_DEFAULTS = {CPU.type: default_generator}


def default_generator_for(device: _Device) -> Generator:
    """The default generator of ``device``'s type (created on first use with the cpu one's seed)."""
    g = _DEFAULTS.get(device.type)
    if g is None:
        g = Generator(device)
        g._seed = default_generator._seed
        _DEFAULTS[device.type] = g
    return g


def manual_seed(seed: int | Tensor) -> Generator:
    """Seed every device's default generator; returns the cpu one (PyTorch's `torch.manual_seed`)."""
    s = _check_seed(seed)
    for g in _DEFAULTS.values():
        g.manual_seed(s)
    return default_generator


def seed() -> int:
    """Seed every default generator with one non-deterministic seed; returns it."""
    s = default_generator.seed()
    for g in _DEFAULTS.values():
        g.manual_seed(s)
    return s


def initial_seed() -> int:
    """The cpu default generator's seed."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The cpu default generator's state (see `Generator.get_state`)."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)
