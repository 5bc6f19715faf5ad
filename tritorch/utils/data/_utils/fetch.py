"""Fetchers: turn one sampler item (an index, or a list of indices with auto-collation) into a
batch, for map-style and iterable datasets (PyTorch's `_utils.fetch`)."""

from ..dataset import TensorDataset
from . import collate

__all__ = ["create_fetcher"]


class _MapDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn, self.drop_last = dataset, auto_collation, collate_fn, \
            drop_last
        # A plain TensorDataset collated by default_collate: one gather per tensor gives the batch
        # default_collate would stack from per-sample views, without B index ops per tensor.
        self.gather = auto_collation and type(dataset) is TensorDataset and collate_fn is collate.default_collate

    def fetch(self, possibly_batched_index):
        if self.gather:
            return [_gather(t, possibly_batched_index) for t in self.dataset.tensors]
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            if getitems:
                data = getitems(possibly_batched_index)
            else:
                data = [self.dataset[i] for i in possibly_batched_index]
        else:
            data = self.dataset[possibly_batched_index]
        return self.collate_fn(data)


def _gather(t, indices):
    """``t[indices]`` (Tensor(B, *t.shape[1:])); in a worker, copied into shared memory."""
    from .... import tensor, int64
    r = t[tensor(indices, dtype=int64)]
    if collate.in_worker and r.device.type == "cpu":
        from ....multiprocessing.reductions import shared_empty
        r = shared_empty(r.shape, r.dtype).copy_(r)
    return r


class _IterableDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn, self.drop_last = dataset, auto_collation, collate_fn, \
            drop_last
        self.dataset_iter = iter(dataset)
        self.ended = False

    def fetch(self, possibly_batched_index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in possibly_batched_index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(possibly_batched_index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
    """``kind`` is "map" or "iterable"."""
    cls = _MapDatasetFetcher if kind == "map" else _IterableDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)
