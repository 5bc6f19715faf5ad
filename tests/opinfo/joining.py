"""Op table: cat / stack (+ h/v/d/column_stack), repeat / tile / repeat_interleave, flip,
roll, tril / triu."""
import numpy as np

import tritorch as tt
from tests.opinfo.core import OpInfo, Sample, make, ALL


def _cat_ref(tensors, dim=0):
    arrs = [a for a in tensors if not (a.ndim == 1 and a.shape[0] == 0)] or [tensors[0]]
    return np.concatenate(arrs, axis=dim)


def _cat_samples(dt, dev):
    return [
        Sample(([make((2, 3), dt, dev), make((4, 3), dt, dev, noncontig=True)],), name="dim0+noncontig"),
        Sample(([make((2, 3), dt, dev), make((2, 1), dt, dev), make((2, 0), dt, dev)], -1), name="dim-1+empty"),
        Sample(([make((0,), dt, dev), make((2, 3), dt, dev), make((0,), dt, dev)], 1), name="legacy-empty-skip"),
        Sample(((make((3,), dt, dev), make((2,), tt.int64, dev)),), name="promote+tuple"),
        Sample(([make((0,), dt, dev), make((0,), dt, dev)],), name="all-empty"),
    ]


def _stack_samples(dt, dev):
    return [
        Sample(([make((2, 3), dt, dev), make((2, 3), dt, dev, noncontig=True)],), name="dim0"),
        Sample(([make((2, 3), dt, dev)] * 3, -1), name="dim-1"),
        Sample(([make((), dt, dev), make((), dt, dev)],), name="0-d"),
        Sample(([make((0, 2), dt, dev)], 1), name="empty"),
    ]


def _hvd_samples(dt, dev):
    return [
        Sample(([make((3,), dt, dev), make((3,), dt, dev, noncontig=True)],), name="1-d"),
        Sample(([make((2, 3), dt, dev), make((2, 3), dt, dev)],), name="2-d"),
        Sample(([make((), dt, dev), make((), dt, dev)],), name="0-d"),
    ]


def _column_stack_ref(tensors):
    return np.column_stack(tensors)


def _repeat_samples(dt, dev):
    return [Sample((make((2, 3), dt, dev), (2, 1, 3)), name="new-dim"),
            Sample((make((2, 3), dt, dev, noncontig=True), (1, 2)), name="noncontig"),
            Sample((make((), dt, dev), (3,)), name="0-d"),
            Sample((make((2, 3), dt, dev), (0, 2)), name="zero-repeat"),
            Sample((make((0, 3), dt, dev), (2, 2)), name="empty")]


def _tile_samples(dt, dev):
    return [Sample((make((2, 3), dt, dev), (2,)), name="short-dims"),
            Sample((make((2, 3), dt, dev, noncontig=True), (2, 1, 2)), name="long-dims")]


def _flip_samples(dt, dev):
    return [Sample((make((2, 3, 4), dt, dev), (0, 2)), name="two-dims"),
            Sample((make((3, 4), dt, dev, noncontig=True), (-1,)), name="noncontig"),
            Sample((make((), dt, dev), ()), name="0-d"),
            Sample((make((0, 3), dt, dev), (1,)), name="empty")]


def _roll_samples(dt, dev):
    return [Sample((make((3, 4), dt, dev), 1), name="flat"),
            Sample((make((3, 4), dt, dev, noncontig=True), (1, -5), (0, 1)), name="dims"),
            Sample((make((2, 3, 2), dt, dev), 7, -2), name="big-shift"),
            Sample((make((0, 3), dt, dev), 2, 1), name="empty")]


def _roll_ref(x, shifts, dims=None):
    return np.roll(x, shifts, axis=dims)


def _tri_samples(dt, dev):
    return [Sample((make((4, 5), dt, dev),), name="square-ish"),
            Sample((make((2, 3, 4), dt, dev, noncontig=True), 1), name="batched+diag1"),
            Sample((make((4, 3), dt, dev), -2), name="diag-2"),
            Sample((make((0, 3), dt, dev),), name="empty")]


def _tril_(x, diagonal=0):
    return x.clone().tril_(diagonal)


def _triu_(x, diagonal=0):
    return x.clone().triu_(diagonal)


def _ri_samples(dt, dev):
    return [Sample((make((2, 3), dt, dev), 2), name="flat-int"),
            Sample((make((2, 3), dt, dev, noncontig=True), tt.tensor([1, 0, 3], device=dev), 1), name="tensor-dim1"),
            Sample((make((3,), dt, dev), tt.tensor(2, device=dev), 0), name="0-d-repeats")]


def _ri_ref(x, repeats, dim=None):
    return np.repeat(x, repeats, axis=dim)


OPS = [
    OpInfo("cat", lambda ts, *d: tt.cat(ts, *d), _cat_ref, _cat_samples, ALL),
    OpInfo("concatenate", lambda ts, *d: tt.concatenate(ts, *d), _cat_ref, _cat_samples, (tt.float64,),
           covers=("cat",)),
    OpInfo("stack", lambda ts, *d: tt.stack(ts, *d), lambda ts, dim=0: np.stack(ts, dim), _stack_samples, ALL),
    OpInfo("hstack", tt.hstack, np.hstack, _hvd_samples, ALL, covers=("__composite__", "cat")),
    OpInfo("vstack", tt.vstack, np.vstack, _hvd_samples, ALL, covers=("__composite__", "cat")),
    OpInfo("dstack", tt.dstack, np.dstack, _hvd_samples, ALL, covers=("__composite__", "cat")),
    OpInfo("column_stack", tt.column_stack, _column_stack_ref, _hvd_samples, ALL, covers=("__composite__", "cat")),
    OpInfo("repeat", lambda x, r: x.repeat(*r), lambda x, r: np.tile(x, r), _repeat_samples, ALL),
    OpInfo("tile", lambda x, r: x.tile(r), lambda x, r: np.tile(x, r), _tile_samples, ALL,
           covers=("__composite__", "repeat")),
    OpInfo("repeat_interleave", lambda x, *a: tt.repeat_interleave(x, *a), _ri_ref, _ri_samples, ALL,
           covers=("repeat_interleave", "index_select")),
    OpInfo("flip", lambda x, d: tt.flip(x, d), lambda x, d: np.flip(x, d) if d else x, _flip_samples, ALL),
    OpInfo("fliplr_flipud", lambda x, d: tt.fliplr(x).flipud(), lambda x, d: np.flipud(np.fliplr(x)),
           lambda dt, dev: _flip_samples(dt, dev)[:2], ALL, covers=("__composite__", "flip")),
    OpInfo("roll", lambda x, *a: tt.roll(x, *a), _roll_ref, _roll_samples, ALL),
    OpInfo("tril", lambda x, *d: tt.tril(x, *d), lambda x, d=0: np.tril(x, d), _tri_samples, ALL),
    OpInfo("triu", lambda x, *d: tt.triu(x, *d), lambda x, d=0: np.triu(x, d), _tri_samples, ALL),
    OpInfo("tril_", _tril_, lambda x, d=0: np.tril(x, d), _tri_samples, ALL, covers=("tril",)),
    OpInfo("triu_", _triu_, lambda x, d=0: np.triu(x, d), _tri_samples, ALL, covers=("triu",)),
]
