"""Variable-length sequences (PyTorch's `torch.nn.utils.rnn`): `PackedSequence` and the
functions that pack, pad and unpad batches of sequences.

Every function is a composition of differentiable tensor ops: the row indices of a packing or
padding are computed on the host from the lengths (vectorised numpy), then the data moves in ONE
gather (`index_select` of the flattened rows; padding gathers from the rows with one
`padding_value` row appended).  Gradients therefore flow through `index_select`/`cat`, on cpu
and cuda alike.  `batch_sizes` is always a cpu int64 tensor; `sorted_indices` and
`unsorted_indices` live on the data's device; padding or unpacking a sorted-on-pack cuda batch
reads `unsorted_indices` back to the host (one synchronisation, as PyTorch's
``lengths[unsorted_indices.cpu()]``).

Deliberate differences from PyTorch (2.13):
- `pack_padded_sequence` refuses a length longer than the padded input (PyTorch returns a
  malformed packing) and a `lengths` of the wrong size also with `enforce_sorted=False`.
- `unpad_sequence` leaves its input alone (PyTorch transposes it in place when
  ``batch_first=False``) and also takes a list of lengths.
- `PackedSequence` adds `bfloat16()`; `pin_memory()` / `is_pinned()` are no-ops (tritorch has
  no page-locked host memory, as `DataLoader(pin_memory=True)`).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from ... import (arange, as_tensor, bfloat16, cat, empty, empty_like, float16, float32, float64, int8, int16, int32,
                 int64, uint8)
from ..._dtype import TORCH_NAMES
from ..._tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def _bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(PackedSequence_):
    """A packed batch of variable-length sequences; every recurrent module accepts one.

    Build it with `pack_padded_sequence` or `pack_sequence`, not by hand.

    Fields:
        data: ``(sum(lengths), *)`` the time steps, time-major: step 0 of every sequence (longest
            first), then step 1 of those at least 2 long, ...
        batch_sizes: ``(max(lengths),)`` cpu int64, how many sequences are still running at each
            step (``abc`` and ``x`` pack to data ``axbc``, batch_sizes ``[2, 1, 1]``).
        sorted_indices: ``(B,)`` int64 on data's device or None: batch entry ``sorted_indices[i]``
            is the i-th longest.
        unsorted_indices: ``(B,)`` its inverse permutation, restoring the original order.

    `PackedSequence(data, batch_sizes, sorted_indices)` fills `unsorted_indices`;
    `PackedSequence((data, batch_sizes))` is accepted too.
    """

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        return super().__new__(cls, *_packed_sequence_init_args(data, batch_sizes, sorted_indices,
                                                                unsorted_indices))

    def pin_memory(self) -> PackedSequence:
        """Self: tritorch has no page-locked host memory (see the module docstring)."""
        return self

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """`Tensor.to` on `data`; the indices follow data's device, `batch_sizes` stays on the cpu.

        Returns self when `data` needs no conversion, else a new PackedSequence."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def follow(t):
            return t.to(data.device)

        return type(self)(data, self.batch_sizes, _bind(self.sorted_indices, follow),
                          _bind(self.unsorted_indices, follow))

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        probe = empty((0,), dtype=self.data.dtype, device=self.data.device).to(*args, **kwargs)
        if probe.is_cuda:
            return self.to(*args, **kwargs)
        kwargs["device"] = "cuda"
        return self.to(*args, **kwargs)

    def cpu(self, *args: Any, **kwargs: Any) -> PackedSequence:
        probe = empty((0,), dtype=self.data.dtype, device=self.data.device).to(*args, **kwargs)
        if probe.device.type == "cpu":
            return self.to(*args, **kwargs)
        kwargs["device"] = "cpu"
        return self.to(*args, **kwargs)

    def double(self) -> PackedSequence:
        return self.to(dtype=float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=float16)

    def bfloat16(self) -> PackedSequence:
        return self.to(dtype=bfloat16)

    def long(self) -> PackedSequence:
        return self.to(dtype=int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=int32)

    def short(self) -> PackedSequence:
        return self.to(dtype=int16)

    def char(self) -> PackedSequence:
        return self.to(dtype=int8)

    def byte(self) -> PackedSequence:
        return self.to(dtype=uint8)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        """False: tritorch has no page-locked host memory."""
        return False


def _packed_sequence_init_args(data, batch_sizes, sorted_indices, unsorted_indices):
    # unsorted_indices, when given, is trusted to be the inverse of sorted_indices (internal use).
    if unsorted_indices is None:
        unsorted_indices = invert_permutation(sorted_indices)
    if batch_sizes is not None:
        if batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never be created manually. "
                "They should be instantiated by functions like pack_sequence and pack_padded_sequences in "
                "nn.utils.rnn. https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return data, batch_sizes, sorted_indices, unsorted_indices
    if not (isinstance(data, (list, tuple)) and len(data) == 2):
        raise AssertionError("Expected data to be a list or tuple of length 2")
    return data[0], data[1], sorted_indices, unsorted_indices


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of the 1-D index tensor ``permutation`` (None for None)."""
    if permutation is None:
        return None
    output = empty_like(permutation)
    output.scatter_(0, permutation, arange(permutation.numel(), device=permutation.device))
    return output


def _check_long_1d_cpu(t: Tensor) -> None:
    if t.dim() != 1 or t.device.type != "cpu" or t.dtype is not int64:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {t.dim()}D {t.device} "
                           f"{TORCH_NAMES[t.dtype]} tensor")


def _indices(idx: np.ndarray, device) -> Tensor:
    return as_tensor(np.ascontiguousarray(idx, dtype=np.int64), device=device)


def _check_lengths(lens: np.ndarray, batch_size: int) -> None:
    """PyTorch's checks, in its order, of lengths in packing order (longest first)."""
    if len(lens) != batch_size:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} "
                           f"(batch_size={batch_size})")
    if lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if np.any(lens[1:] > lens[:-1]):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                           "sidestep this requirement if you do not need ONNX exportability.")


def _packing(lengths: np.ndarray, enforce_sorted: bool, batch_size: int):
    """(order, steps, seqs, batch_sizes) of packing sequences of ``lengths`` (original order).

    order[j]: the original index of the j-th longest (None when `enforce_sorted`); data row r of
    the packing is step steps[r] of original sequence seqs[r]."""
    order = None
    if not enforce_sorted:
        # Stable, so equal lengths keep their order (as torch.sort does on the cpu).
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
    _check_lengths(lengths, batch_size)
    running = np.arange(lengths[0])[:, None] < lengths[None, :]  # (max_len, B): time-major, prefix rows
    steps, j = np.nonzero(running)
    return order, steps, (j if order is None else order[j]), running.sum(1)


def _packed(data: Tensor, batch_sizes: np.ndarray, order: np.ndarray | None) -> PackedSequence:
    sorted_indices = None if order is None else _indices(order, data.device)
    return PackedSequence(data, as_tensor(batch_sizes.astype(np.int64)), sorted_indices, None)


def pack_padded_sequence(input: Tensor, lengths: Tensor | list[int], batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Packs a padded batch of variable-length sequences.

    Input: ``(T, B, *)`` (``(B, T, *)`` with `batch_first`), ``*`` any trailing dims.
    lengths: ``(B,)`` list or 1-D cpu int64 tensor, every entry in ``[1, T]``; decreasing unless
    ``enforce_sorted=False`` (then the batch is sorted, recorded in `sorted_indices`).
    Output: PackedSequence with data ``(sum(lengths), *)``.  One gather; differentiable."""
    if isinstance(lengths, Tensor):
        lengths = lengths.to(int64)
    else:
        lengths = as_tensor(lengths, dtype=int64)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    batch = input.size(0 if batch_first else 1)
    steps_in = input.size(1 if batch_first else 0)
    _check_long_1d_cpu(lengths)
    order, steps, seqs, batch_sizes = _packing(np.asarray(lengths.tolist(), dtype=np.int64), enforce_sorted, batch)
    if len(batch_sizes) > steps_in:
        raise RuntimeError(f"Expected all lengths to be at most the padded sequence length, but got a length of "
                           f"{len(batch_sizes)} (padded sequence length={steps_in})")
    rows = seqs * steps_in + steps if batch_first else steps * batch + seqs
    flat = input.reshape(steps_in * batch, *input.shape[2:])
    return _packed(flat.index_select(0, _indices(rows, input.device)), batch_sizes, order)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Pads a packed batch (inverse of `pack_padded_sequence`).

    Output: ``(T, B, *)`` (``(B, T, *)`` with `batch_first`), T the longest length or
    `total_length`, batch in its original order; and ``(B,)`` cpu int64 lengths in that order.
    One gather; differentiable."""
    batch_sizes = sequence.batch_sizes
    max_seq_length = batch_sizes.size(0)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {max_seq_length}")
        max_seq_length = total_length
    batch_sizes = batch_sizes.contiguous()
    _check_long_1d_cpu(batch_sizes)
    if batch_sizes.numel() == 0:
        raise RuntimeError("batch_sizes can not be empty")
    data = sequence.data
    sizes = np.asarray(batch_sizes.tolist(), dtype=np.int64)
    batch = int(sizes[0])
    lengths = (sizes[None, :] > np.arange(batch)[:, None]).sum(1)  # per sorted position
    cols = np.arange(batch)
    if sequence.unsorted_indices is not None:
        cols = np.asarray(sequence.unsorted_indices.tolist(), dtype=np.int64)
    pad_steps = max_seq_length - len(sizes)
    sizes = np.concatenate([sizes, np.zeros(pad_steps, np.int64)])
    starts = np.cumsum(sizes) - sizes
    # (T, B): row of data for step t of output column j, or the padding row appended after data.
    rows = np.where(cols[None, :] < sizes[:, None], starts[:, None] + cols[None, :], data.size(0))
    if batch_first:
        rows = rows.T
    flat = cat([data, data.new_full((1, *data.shape[1:]), padding_value)])
    padded = flat.index_select(0, _indices(rows.ravel(), data.device)).reshape(*rows.shape, *data.shape[1:])
    return padded, as_tensor(lengths[cols])


def _broadcast_rows(seq: Tensor, trailing: tuple[int, ...]) -> Tensor:
    """``seq`` as ``(len, *trailing)``, broadcast as PyTorch's copy into the padded output does."""
    target = (seq.size(0), *trailing)
    if tuple(seq.shape) == target:
        return seq
    n = max(len(target), seq.dim())
    shape = []
    for i in range(n - 1, -1, -1):
        a = target[i - n + len(target)] if i - n + len(target) >= 0 else 1
        b = seq.shape[i - n + seq.dim()] if i - n + seq.dim() >= 0 else 1
        if a != b and a != 1 and b != 1:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton "
                               f"dimension {i}")
        shape.insert(0, max(a, b) if a != b else a)
    if tuple(shape) != target:
        raise RuntimeError(f"output with shape {list(target)} doesn't match the broadcast shape {shape}")
    return seq.expand(*target)


def _flat_rows(sequences: Any) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """(rows, lengths, starts): the sequences stacked along dim 0 in sequences[0]'s dtype and
    trailing shape; sequence i is rows[starts[i]: starts[i] + lengths[i]]."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    first = sequences[0]
    trailing = tuple(first.shape[1:])
    parts = [_broadcast_rows(s.to(first.dtype), trailing) for s in sequences]
    lengths = np.array([s.size(0) for s in sequences], dtype=np.int64)
    rows = parts[0] if len(parts) == 1 else cat(parts)
    return rows, lengths, np.cumsum(lengths) - lengths


def pad_sequence(sequences: Tensor | Iterable[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stacks variable-length sequences into one padded tensor.

    Input: B tensors ``(L_i, *)`` (a tensor is split along dim 0), converted to the first's dtype.
    Output: ``(T, B, *)`` (``(B, T, *)`` with `batch_first`), ``T = max(L_i)``, each sequence
    at the start (``padding_side="right"``) or end (``"left"``) of its column.  One cat and one
    gather; differentiable."""
    rows, lengths, starts = _flat_rows(sequences)
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    total = int(lengths.max())
    steps = np.arange(total)[:, None]  # (T, 1) against (1, B)
    shift = (total - lengths) if padding_side == "left" else np.zeros_like(lengths)
    src = steps - shift[None, :]
    idx = np.where((src >= 0) & (src < lengths[None, :]), starts[None, :] + src, rows.size(0))
    if batch_first:
        idx = idx.T
    flat = cat([rows, rows.new_full((1, *rows.shape[1:]), padding_value)])
    return flat.index_select(0, _indices(idx.ravel(), rows.device)).reshape(*idx.shape, *rows.shape[1:])


def _split_rows(source: Tensor, rows: np.ndarray, lengths: np.ndarray) -> list[Tensor]:
    gathered = source.index_select(0, _indices(rows, source.device))
    return list(gathered.split(lengths.tolist()))


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor | list[int], batch_first: bool = False) -> list[Tensor]:
    """Splits a padded batch into its sequences (inverse of `pad_sequence` with right padding).

    Input: ``(T, B, *)`` (``(B, T, *)`` with `batch_first`); lengths ``(B,)``.
    Output: B tensors ``(min(lengths[i], T), *)``, fresh memory.  One gather; differentiable."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    batch, total = padded_sequences.shape[:2]
    if isinstance(lengths, Tensor):
        lengths = lengths.tolist()
    lens = np.clip(np.asarray(lengths, dtype=np.int64), 0, total)
    if len(lens) != batch:
        raise ValueError(f"zip() argument 2 is {'shorter' if len(lens) < batch else 'longer'} than argument 1")
    b, t = np.nonzero(np.arange(total)[None, :] < lens[:, None])
    flat = padded_sequences.reshape(batch * total, *padded_sequences.shape[2:])
    return _split_rows(flat, b * total + t, lens)


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Packs a list of variable-length sequences (`pad_sequence` then `pack_padded_sequence`).

    Input: B tensors ``(L_i, *)``, decreasing ``L_i`` unless ``enforce_sorted=False``.
    Output: PackedSequence with data ``(sum(L_i), *)``.  One cat and one gather; differentiable."""
    rows, lengths, starts = _flat_rows(sequences)
    if rows.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    order, steps, seqs, batch_sizes = _packing(lengths, enforce_sorted, len(lengths))
    return _packed(rows.index_select(0, _indices(starts[seqs] + steps, rows.device)), batch_sizes, order)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The sequences of a PackedSequence, in their original order (inverse of `pack_sequence`).

    Output: B tensors ``(L_i, *)``, fresh memory.  One gather; differentiable."""
    sizes = np.asarray(packed_sequences.batch_sizes.tolist(), dtype=np.int64)
    batch = int(sizes[0])
    lengths = (sizes[None, :] > np.arange(batch)[:, None]).sum(1)
    cols = np.arange(batch)
    if packed_sequences.unsorted_indices is not None:
        cols = np.asarray(packed_sequences.unsorted_indices.tolist(), dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    j, t = np.nonzero(np.arange(len(sizes))[None, :] < lengths[cols][:, None])  # sequence-major
    return _split_rows(packed_sequences.data, starts[t] + cols[j], lengths[cols])
