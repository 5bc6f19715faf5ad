"""Launch geometry: the launchers of the elementwise, reduction, scan, softmax, loss, sort, joining,
gather/scatter, indexing, creation and dropout kernels pick 64-bit offsets when an operand view
reaches element 2**31 (or a loop count with its last block does), and 32-bit ones otherwise.

No kernel runs: each module's ``launch`` is replaced by a recorder, and the huge views are
strided views of an 8-element buffer that are never read.  (ctc_loss and arange / linspace
always index in int64: they have no switch to check.)
"""
import numpy as np
import pytest
import triton.language as tl

import tritorch as tt
from tests.launch_spy import BIG, huge_2x2, small_2x2, record_launches, i64s
from tritorch.cuda.array import CudaArray
from tritorch.kernels import (_elementwise, _reduce, creation, dropout, gather_scatter, indexing,
                              joining, loss, random, reduction, reduction_stats, scan, softmax, sort)
from tritorch.kernels._launch import needs_i64, span


@pytest.fixture
def buf():
    return tt.zeros(8, device="cuda")._data


def test_span_excludes_offset(buf):
    # The kernel's pointer already includes the view's offset.
    v = buf.view_as((2,), (1,), BIG)
    assert span(v) == 1 and not needs_i64(v)


# --- per family ---------------------------------------------------------------------------------

def test_pointwise(monkeypatch, buf):
    calls = record_launches(monkeypatch, _elementwise)
    _elementwise.pointwise(_elementwise.identity, huge_2x2(buf), [1.0], tl.float32)
    _elementwise.pointwise(_elementwise.identity, small_2x2(buf), [1.0], tl.float32)
    assert i64s(calls) == [True, False]


def test_pointwise_block_overshoot(monkeypatch, buf):
    # Regression: 2**31 - 1 elements fit int32, but the last block's lanes run past 2**31.
    calls = record_launches(monkeypatch, _elementwise)
    _elementwise.pointwise(_elementwise.identity, buf.view_as((BIG - 1,), (0,)), [1.0], tl.float32)
    assert i64s(calls) == [True]


def test_fill_and_tril(monkeypatch, buf):
    calls = record_launches(monkeypatch, _elementwise, joining)
    creation.fill(huge_2x2(buf), (2, 2), np.float32, 0)
    joining.tril(small_2x2(buf), huge_2x2(buf))
    joining.tril(small_2x2(buf), small_2x2(buf))
    # Regression: dim_args now counts the last block's overshoot.
    joining.triu(buf.view_as((1, BIG - 1), (0, 0)), buf.view_as((1, BIG - 1), (0, 0)))
    assert i64s(calls) == [True, True, False, True]


def test_reductions(monkeypatch, buf):
    calls = record_launches(monkeypatch, _reduce)
    out = buf.view_as((2,), (1,))
    reduction.sum(out, huge_2x2(buf), (1,), False)
    reduction_stats.var(out, huge_2x2(buf), (1,), False, 1)
    reduction.sum(out, small_2x2(buf), (1,), False)
    # Regression: 2**31 - 1 outputs, whose last tile of rows runs past 2**31.
    reduction.amax(buf.view_as((BIG - 1,), (0,)), buf.view_as((BIG - 1, 1), (0, 0)), (1,), False)
    assert i64s(calls) == [True, True, False, True]


def test_scan(monkeypatch, buf):
    calls = record_launches(monkeypatch, scan, _reduce)
    scan.cumsum(small_2x2(buf), huge_2x2(buf), 1)
    scan.cumsum(huge_2x2(buf), small_2x2(buf), 1)
    scan.cumprod(small_2x2(buf), small_2x2(buf), 1)
    assert i64s(calls) == [True, True, False]


def test_softmax(monkeypatch, buf):
    calls = record_launches(monkeypatch, softmax)
    softmax.softmax(small_2x2(buf), huge_2x2(buf), 1)
    softmax.log_softmax_backward(small_2x2(buf), small_2x2(buf), huge_2x2(buf), 1)
    softmax.softmax(small_2x2(buf), small_2x2(buf), 1)
    assert i64s(calls) == [True, True, False]


def test_loss(monkeypatch, buf):
    calls = record_launches(monkeypatch, loss)
    tgt = CudaArray.empty((2,), np.int64)
    stats = CudaArray.empty((2, 4), np.float32)
    loss.cross_entropy_loss((buf.view_as((2,), (1,)), stats), huge_2x2(buf), tgt, None, -100, 0.0)
    loss.cross_entropy_loss((buf.view_as((2,), (1,)), stats), small_2x2(buf), tgt, None, -100, 0.0)
    assert i64s(calls) == [True, False]


def test_loss_stats_rows(monkeypatch, buf):
    # Regression: the (M, 4) row statistics reach 4 M elements, more than the M rows: with
    # M = 2**29 + 1 rows they pass 2**31 although every other operand fits int32.
    calls = record_launches(monkeypatch, loss)
    m = 2**29 + 1
    x = buf.view_as((m, 2), (0, 1))
    tgt = CudaArray.empty((1,), np.int64).view_as((m,), (0,))
    stats = buf.view_as((m, 4), (4, 1))
    lo = buf.view_as((m,), (1,))
    loss.cross_entropy_loss((lo, stats), x, tgt, None, -100, 0.0)
    assert i64s(calls) == [True]


def test_sort(monkeypatch, buf):
    calls = record_launches(monkeypatch, sort)
    idx = CudaArray.empty((2, 2), np.int64)
    sort.sort((small_2x2(buf), idx), huge_2x2(buf), 1, False, True)
    sort.sort((small_2x2(buf), idx), small_2x2(buf), 1, False, True)
    assert i64s(calls) == [True, False]


def test_gather_scatter(monkeypatch, buf):
    calls = record_launches(monkeypatch, gather_scatter)
    idx = CudaArray.empty((2, 2), np.int64)
    for x in (huge_2x2(buf), small_2x2(buf)):
        gather_scatter.index_walk(gather_scatter.GATHER, x, idx, small_2x2(buf), (2, 2),
                                  gather_scatter.dim_zeroed(x.strides, 1), idx.strides, (2, 1), sd=1)
    # The index tensor itself reaching 2**31: the bounds kernel.
    gather_scatter.Bounds(1).check(buf.view_as((2,), (BIG,), dtype=np.int32), 2, 0)
    assert i64s(calls) == [True, False, True]


def test_indexing(monkeypatch, buf):
    calls = record_launches(monkeypatch, gather_scatter)
    monkeypatch.setattr(gather_scatter.Bounds, "raise_if_bad", lambda self: None)  # nothing was checked
    ix = CudaArray.empty((2,), np.int64)
    indexing.index(small_2x2(buf), huge_2x2(buf), [None, ix])
    indexing.index(small_2x2(buf), small_2x2(buf), [None, ix])
    walks = [meta["I64"] for _, _, meta in calls if "MODE" in meta]
    assert walks == [True, False]


def test_dropout(monkeypatch, buf):
    calls = record_launches(monkeypatch, random)
    dropout.dropout(small_2x2(buf), huge_2x2(buf), 0.5, seed=0, offset=0)
    dropout.dropout(small_2x2(buf), small_2x2(buf), 0.5, seed=0, offset=0)
    assert i64s(calls) == [True, False]
