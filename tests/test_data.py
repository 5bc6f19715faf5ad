"""tritorch.utils.data: datasets, samplers and collation against torch.utils.data; DataLoader with
real worker processes (same batches as num_workers=0, seeding, sharding, errors, killed workers,
shutdown with no leaked processes or shared memory).  Every wait is bounded (``timeout=``)."""
import collections
import gc
import multiprocessing
import os
import signal
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import tritorch as tt
from tritorch.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset,
                                 RandomSampler, SequentialSampler, StackDataset, Subset, SubsetRandomSampler,
                                 TensorDataset, WeightedRandomSampler, default_collate, default_convert,
                                 get_worker_info, random_split)

T = 60


def _tolist(b):
    if isinstance(b, (tt.Tensor, torch.Tensor)):
        return b.tolist()
    if isinstance(b, dict):
        return {k: _tolist(v) for k, v in b.items()}
    if isinstance(b, (list, tuple)):
        return type(b)(_tolist(v) for v in b) if not hasattr(b, "_fields") else type(b)(*map(_tolist, b))
    return b


def _ds(n=10):
    return TensorDataset(tt.arange(2.0 * n).reshape(n, 2), tt.arange(n))


# ---- datasets -----------------------------------------------------------------------------------
def test_datasets_against_torch():
    a, b = tt.arange(6.0).reshape(3, 2), tt.arange(3)
    ta, tb = torch.arange(6.0).reshape(3, 2), torch.arange(3)
    assert _tolist(TensorDataset(a, b)[1]) == _tolist(tud.TensorDataset(ta, tb)[1])
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(a, tt.arange(4))
    c = ConcatDataset([TensorDataset(a), TensorDataset(b)])
    tc = tud.ConcatDataset([tud.TensorDataset(ta), tud.TensorDataset(tb)])
    assert len(c) == len(tc) == 6 and c.cumulative_sizes == tc.cumulative_sizes
    for i in (-6, -1, 0, 2, 3, 5):
        assert _tolist(c[i]) == _tolist(tc[i])
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        c[-7]
    s = StackDataset(x=TensorDataset(a), y=TensorDataset(b))
    assert _tolist(s[2]) == _tolist(tud.StackDataset(x=tud.TensorDataset(ta), y=tud.TensorDataset(tb))[2])
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(TensorDataset(a), TensorDataset(tt.arange(5)))
    sub = Subset(TensorDataset(a), [2, 0])
    assert len(sub) == 2 and sub[0][0].tolist() == [4.0, 5.0] and _tolist(sub.__getitems__([1])) == [([0.0, 1.0],)]
    assert isinstance(TensorDataset(a) + TensorDataset(b), ConcatDataset)
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__."):
        Dataset()[0]


class _Range(IterableDataset):
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __iter__(self):
        info = get_worker_info()
        step, start = (1, self.lo) if info is None else (info.num_workers, self.lo + info.id)
        return iter(range(start, self.hi, step))

    def __len__(self):
        return self.hi - self.lo


def test_chain_dataset():
    ch = _Range(0, 3) + _Range(10, 12)
    assert isinstance(ch, ChainDataset) and list(ch) == [0, 1, 2, 10, 11] and len(ch) == 5
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(ChainDataset([_Range(0, 1), _ds()]))


def test_random_split():
    ds = _ds(10)
    parts = random_split(ds, [3, 7], generator=tt.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    again = random_split(ds, [3, 7], generator=tt.Generator().manual_seed(0))
    assert again[0].indices == parts[0].indices
    # Fractions: floor, then the remainder round-robin (PyTorch's rule).
    tsizes = [len(p) for p in tud.random_split(range(10), [0.33, 0.33, 0.34])]
    assert [len(p) for p in random_split(ds, [0.33, 0.33, 0.34])] == tsizes
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(ds, [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(ds, [-0.5, 1.5])


# ---- samplers -----------------------------------------------------------------------------------
def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    for drop in (False, True):
        assert list(BatchSampler(range(10), 3, drop)) == list(tud.BatchSampler(range(10), 3, drop))
        assert len(BatchSampler(range(10), 3, drop)) == len(tud.BatchSampler(range(10), 3, drop))
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value, but got drop_last=1"):
        BatchSampler(range(3), 2, 1)
    perm = list(RandomSampler(range(20), generator=tt.Generator().manual_seed(3)))
    assert sorted(perm) == list(range(20)) and perm != list(range(20))
    assert perm == list(RandomSampler(range(20), generator=tt.Generator().manual_seed(3)))
    long = list(RandomSampler(range(5), num_samples=12))
    assert len(long) == 12 and sorted(long[:5]) == list(range(5)) and sorted(long[5:10]) == list(range(5))
    rep = list(RandomSampler(range(5), replacement=True, num_samples=40))
    assert len(rep) == 40 and set(rep) <= set(range(5))
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(range(5), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got replacement=1"):
        RandomSampler(range(5), replacement=1)
    assert sorted(SubsetRandomSampler([7, 3, 5])) == [3, 5, 7]
    w = list(WeightedRandomSampler([0.0, 1.0, 0.0, 2.0], 50))
    assert len(w) == 50 and set(w) <= {1, 3}
    assert sorted(WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False)) == [0, 1, 2]
    with pytest.raises(ValueError, match="weights should be a 1d sequence but given weights have shape"):
        WeightedRandomSampler([[1.0]], 1)


# ---- collate ------------------------------------------------------------------------------------
Point = collections.namedtuple("Point", "x y")


def test_default_collate_nested_against_torch():
    def samples(lib):
        return [{"t": lib.tensor([i, i + 1.0]), "n": np.array([i, 2 * i], np.int32), "f": 0.5 * i, "i": i,
                 "s": f"s{i}", "b": b"x", "p": Point(i, lib.tensor(i)), "l": [i, (i, 1.5)],
                 "np": np.float32(i)} for i in range(3)]
    ours, ref = default_collate(samples(tt)), tud.default_collate(samples(torch))
    assert _tolist(ours) == _tolist(ref)
    assert ours["f"].dtype == tt.float64 and ours["i"].dtype == tt.int64 and ours["n"].dtype == tt.int32
    assert ours["np"].dtype == tt.float32 and isinstance(ours["p"], Point)
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                                        "or lists; found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1]])
    conv = default_convert({"a": np.arange(3), "b": (np.float64(1.0), "x")})
    assert isinstance(conv["a"], tt.Tensor) and conv["a"].tolist() == [0, 1, 2] and conv["b"][1] == "x"


# ---- DataLoader ---------------------------------------------------------------------------------
def _batches(loader):
    return [_tolist(b) for b in loader]


def test_dataloader_validation_messages():
    ds = _ds()
    cases = [dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2), dict(persistent_workers=True),
             dict(shuffle=True, sampler=SequentialSampler(ds)), dict(batch_sampler=[[0]], batch_size=2),
             dict(batch_size=None, drop_last=True), dict(multiprocessing_context="fork"),
             dict(num_workers=1, multiprocessing_context="nope")]
    for kw in cases:
        with pytest.raises(ValueError) as ours:
            DataLoader(ds, **kw)
        tkw = {k: (tud.SequentialSampler(ds) if k == "sampler" else v) for k, v in kw.items()}
        with pytest.raises(ValueError) as ref:
            tud.DataLoader(ds, **tkw)
        assert str(ours.value) == str(ref.value)
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(_Range(0, 3), shuffle=True)
    dl = DataLoader(ds)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        dl.batch_size = 3


def test_dataloader_single_process_against_torch():
    n = 10
    ours = DataLoader(_ds(n), batch_size=3)
    ref = tud.DataLoader(tud.TensorDataset(torch.arange(2.0 * n).reshape(n, 2), torch.arange(n)), batch_size=3)
    assert _batches(ours) == _batches(ref) and len(ours) == len(ref) == 4
    assert len(DataLoader(_ds(n), batch_size=3, drop_last=True)) == 3
    # A TensorDataset subclass takes the per-sample path (no whole-batch gather): same batches.
    sub = type("Sub", (TensorDataset,), {})(*_ds(n).tensors)
    assert _batches(DataLoader(sub, batch_size=3)) == _batches(ref)
    assert _batches(DataLoader(sub, batch_size=3, num_workers=2, timeout=T)) == _batches(ref)
    assert _batches(DataLoader(_ds(n), batch_size=3, drop_last=True))[-1][1] == [6, 7, 8]
    assert _batches(DataLoader(_ds(4), batch_size=None)) == [[[0.0, 1.0], 0], [[2.0, 3.0], 1], [[4.0, 5.0], 2],
                                                             [[6.0, 7.0], 3]]
    assert _batches(DataLoader(list(range(5)), batch_sampler=[[4, 0], [2]])) == [[4, 0], [2]]
    assert _batches(DataLoader(list(range(4)), batch_size=2, collate_fn=lambda b: sum(b))) == [1, 5]


@pytest.mark.parametrize("num_workers", [0, 2])
def test_dataloader_shuffle_reproducible(num_workers):
    def run():
        return _batches(DataLoader(_ds(12), batch_size=4, shuffle=True, num_workers=num_workers,
                                   generator=tt.Generator().manual_seed(7), timeout=T))
    a, b = run(), run()
    assert a == b
    assert sorted(i for batch in a for i in batch[1]) == list(range(12)) and [i for x in a for i in x[1]] != \
        list(range(12))


def test_workers_match_main_process():
    ds = _ds(23)
    for kw in (dict(batch_size=4), dict(batch_size=4, drop_last=True), dict(batch_size=5, in_order=False),
               dict(batch_size=None)):
        ref = _batches(DataLoader(ds, **kw))
        got = _batches(DataLoader(ds, num_workers=2, timeout=T, **kw))
        if kw.get("in_order", True):
            assert got == ref
        else:
            assert sorted(map(str, got)) == sorted(map(str, ref))
    b = next(iter(DataLoader(ds, batch_size=4, num_workers=2, timeout=T)))
    assert b[0].is_shared() and b[1].is_shared()   # came back by handle


def _init_fn(worker_id):
    info = get_worker_info()
    assert info.id == worker_id
    import random
    info.dataset.tag = (worker_id, info.num_workers, info.seed, random.random(), float(tt.rand(())))


class _Tagged(Dataset):
    tag = None

    def __getitem__(self, i):
        return self.tag + (i, os.getpid())

    def __len__(self):
        return 4


def test_worker_init_fn_and_seeds():
    g = tt.Generator().manual_seed(123)
    base_seed = tt.empty((), dtype=tt.int64).random_(generator=g).item()
    out = list(DataLoader(_Tagged(), batch_size=None, num_workers=2, worker_init_fn=_init_fn, timeout=T,
                          generator=tt.Generator().manual_seed(123)))
    import random
    for wid, nw, seed, r, tr, i, pid in out:
        assert wid == i % 2 and nw == 2 and seed == base_seed + wid and pid != os.getpid()
        random.seed(seed)
        tt.manual_seed(seed)
        assert r == random.random() and tr == float(tt.rand(()))  # python random and tritorch seeded as PyTorch
    assert get_worker_info() is None
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo objects"):
        tt.utils.data.WorkerInfo(id=0).id = 1


def test_iterable_sharding_with_workers():
    got = _batches(DataLoader(_Range(0, 10), batch_size=2, num_workers=2, timeout=T))
    ref = _batches(tud.DataLoader(_TorchRange(0, 10), batch_size=2, num_workers=2, timeout=T))
    assert got == ref == [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]
    assert _batches(DataLoader(_Range(0, 5), batch_size=2, drop_last=True, num_workers=0)) == [[0, 1], [2, 3]]


class _TorchRange(tud.IterableDataset):
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __iter__(self):
        info = tud.get_worker_info()
        return iter(range(self.lo + info.id, self.hi, info.num_workers))


class _Failing(Dataset):
    def __getitem__(self, i):
        if i == 5:
            raise KeyError(f"bad index {i}")
        return i

    def __len__(self):
        return 8


def test_worker_error_has_traceback():
    with pytest.raises(KeyError) as e:
        list(DataLoader(_Failing(), batch_size=2, num_workers=2, timeout=T))
    msg = str(e.value)
    assert "Caught KeyError in DataLoader worker process 0." in msg
    assert "Traceback (most recent call last)" in msg and "in __getitem__" in msg and "bad index 5" in msg


class _Killer(Dataset):
    def __getitem__(self, i):
        if i == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return i

    def __len__(self):
        return 8


def _children():
    return {c.pid for c in multiprocessing.active_children()}


def test_killed_worker_detected_no_hang():
    before = _children()
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid \d+\) is killed by signal: Killed"):
        list(DataLoader(_Killer(), batch_size=2, num_workers=2))   # no timeout: liveness polling finds it
    assert time.monotonic() - t0 < T
    assert not _children() - before


def _shm_fds():
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            n += os.readlink(f"/proc/self/fd/{fd}").startswith("/memfd:tritorch")
        except OSError:
            pass
    return n


def test_no_leaks_after_loader_is_gone():
    gc.collect()
    before_children, before_fds = _children(), _shm_fds()
    dl = DataLoader(_ds(20), batch_size=4, num_workers=2, timeout=T)
    it = iter(dl)
    first = next(it)
    pids = [w.pid for w in it._workers]
    assert all(os.path.exists(f"/proc/{p}") for p in pids)
    del it, first        # an abandoned half-read iterator shuts its workers down
    gc.collect()
    assert not _children() - before_children
    for b in dl:         # a full epoch shuts down at exhaustion
        pass
    del b, dl
    gc.collect()
    assert not _children() - before_children
    assert _shm_fds() == before_fds


def test_persistent_workers_reused():
    dl = DataLoader(_Tagged(), batch_size=None, num_workers=2, persistent_workers=True, worker_init_fn=_init_fn,
                    timeout=T)
    e1 = list(dl)
    pids1 = {b[-1] for b in e1}
    e2 = list(dl)
    assert {b[-1] for b in e2} == pids1 and len(pids1) == 2
    assert [b[5] for b in e1] == [b[5] for b in e2] == [0, 1, 2, 3]
    it = dl._iterator
    del dl, it, e1, e2
    gc.collect()
    assert all(not os.path.exists(f"/proc/{p}") or open(f"/proc/{p}/stat").read().split()[2] == "Z"
               for p in pids1)


class _Slow(Dataset):
    def __getitem__(self, i):
        time.sleep(5)
        return i

    def __len__(self):
        return 2


def test_timeout():
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.5 seconds"):
        list(DataLoader(_Slow(), num_workers=1, timeout=0.5))
    assert time.monotonic() - t0 < 4
