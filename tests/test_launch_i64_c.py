"""Launch geometry: the launchers of the GEMM (fused matmul and its backward step), attention,
the pointwise / unary / activation ops and the fused optimizers pick 64-bit offsets when an operand
view reaches element 2**31 (block overshoot included), and 32-bit ones otherwise.

No kernel runs: each module's ``launch`` is replaced by a recorder, and the huge views are
strided views of an 8-element buffer that are never read.  (The optimizer kernels always index in
int64 through their int64 launch table: there is no switch to check, only the table.)
"""
import numpy as np
import pytest
import triton.language as tl

import tritorch as tt
from tests.launch_spy import BIG, huge_2x2, small_2x2, record_launches, i64s
from tritorch.kernels import _elementwise, activation, attention, linear, optim, pointwise
from tritorch.kernels.pointwise_unary import UNARY_IMPLS
from tests.conftest import DEVICES

pytestmark = pytest.mark.skipif("cuda" not in DEVICES, reason="no cuda device (GPU or interpreter)")


@pytest.fixture
def buf():
    return tt.zeros(8, device="cuda")._data


@pytest.fixture
def out():
    # Outputs in their own buffer: an output sharing an input's memory takes the GEMM's copy path.
    return tt.zeros(8, device="cuda")._data


def test_fused_matmul(monkeypatch, buf, out):
    calls = record_launches(monkeypatch, linear)
    linear.fused_matmul(small_2x2(out), huge_2x2(buf), small_2x2(buf), None, None)
    linear.fused_matmul(small_2x2(out), small_2x2(buf), huge_2x2(buf), None, None)
    linear.fused_matmul(small_2x2(out), small_2x2(buf), small_2x2(buf), buf.view_as((2,), (BIG,)), None, "relu")
    linear.fused_matmul(small_2x2(out), small_2x2(buf), small_2x2(buf), None, huge_2x2(buf))
    linear.fused_matmul(huge_2x2(out), small_2x2(buf), small_2x2(buf), None, None)
    linear.fused_matmul_z((small_2x2(out), huge_2x2(out)), small_2x2(buf), small_2x2(buf), None, None, "gelu")
    linear.fused_matmul(small_2x2(out), small_2x2(buf), small_2x2(buf), None, None)
    assert i64s(calls) == [True] * 6 + [False]


def test_fused_matmul_k_overshoot(monkeypatch, buf, out):
    # K = 3 walks a K tile of 16 or more: the pointers step past the last column before masking.
    calls = record_launches(monkeypatch, linear)
    a = buf.view_as((1, 3), (0, (BIG - 1) // 4))
    b = buf.view_as((3, 1), (0, 0))
    assert (3 - 1) * ((BIG - 1) // 4) < BIG  # the view itself fits int32
    linear.fused_matmul(out.view_as((1, 1), (1, 1)), a, b, None, None)
    assert i64s(calls) == [True]


def test_gemm_and_tf32_argument(monkeypatch, buf, out):
    calls = record_launches(monkeypatch, linear)
    linear.gemm(small_2x2(out), huge_2x2(buf), small_2x2(buf), [1], [[0], [0], [0]], 2, 2, 2, [BIG, 1], [2, 1], [2, 1])
    linear.gemm(small_2x2(out), small_2x2(buf), small_2x2(buf), [1], [[0], [0], [0]], 2, 2, 2, [2, 1], [2, 1], [2, 1],
                tf32=True)
    assert i64s(calls) == [True, False]
    assert [meta["TF32"] for _, _, meta in calls] == [False, True]


def test_fused_matmul_dz(monkeypatch, buf, out):
    calls = record_launches(monkeypatch, _elementwise)
    linear.fused_matmul_dz(small_2x2(out), huge_2x2(buf), small_2x2(buf), "silu")
    linear.fused_matmul_dz(small_2x2(out), small_2x2(buf), small_2x2(buf), "silu")
    assert i64s(calls) == [True, False]


def _attention_views(a, huge):
    """q, k, v of shape (1, 2, 2): one batch entry, L = S = E = 2; ``huge`` puts the second row at 2**31."""
    return a.view_as((1, 2, 2), (4, BIG if huge else 2, 1))


def test_attention(monkeypatch, buf, out):
    calls = record_launches(monkeypatch, attention)
    lse = out.view_as((1, 2), (2, 1))
    for huge in (True, False):
        q = _attention_views(buf, huge)
        attention.scaled_dot_product_attention((_attention_views(out, False), lse), q, q, q, None, 0.0, False,
                                               0.5, 0, 0)
    # A huge output (dQ) in the backward.
    small = _attention_views(buf, False)
    grads = (_attention_views(out, True), _attention_views(out, False), _attention_views(out, False))
    attention.scaled_dot_product_attention_backward(grads, small, small, small, small, small, lse, None, 0.0,
                                                    False, 0.5, 0, 0)
    assert i64s(calls) == [True, False, True, True, True]


def test_attention_tf32_argument(monkeypatch, buf, out):
    calls = record_launches(monkeypatch, attention)
    q = _attention_views(buf, False)
    lse = out.view_as((1, 2), (2, 1))
    attention.scaled_dot_product_attention((_attention_views(out, False), lse), q, q, q, None, 0.0, False, 0.5,
                                           0, 0, tf32=True)
    attention.scaled_dot_product_attention((_attention_views(out, False), lse), q, q, q, None, 0.0, False, 0.5,
                                           0, 0)
    assert [meta["TF32"] for _, _, meta in calls] == [True, False]


def test_unary_activation_and_binary(monkeypatch, buf, out):
    calls = record_launches(monkeypatch, _elementwise)
    UNARY_IMPLS["sigmoid"](small_2x2(out), huge_2x2(buf))
    activation.activation(small_2x2(out), huge_2x2(buf), "silu")
    activation.activation_backward(small_2x2(out), small_2x2(buf), huge_2x2(buf), "gelu")
    pointwise.IMPLS["add"](small_2x2(out), small_2x2(buf), huge_2x2(buf))
    UNARY_IMPLS["tanh"](small_2x2(out), small_2x2(buf))
    activation.activation(small_2x2(out), small_2x2(buf), "silu")
    assert i64s(calls) == [True, True, True, True, False, False]


def test_divisor_check(monkeypatch):
    calls = []

    def fake(kernel, grid, *args, **meta):
        calls.append(meta["I64"])
        args[1].block._host[:] = 0  # the flags: no zero divisor found

    monkeypatch.setattr(pointwise, "launch", fake)
    ints = tt.ones(8, dtype=tt.int32, device="cuda")._data
    pointwise._check_divisor(ints.view_as((2,), (BIG,)), np.dtype(np.int32))
    pointwise._check_divisor(ints.view_as((2,), (1,)), np.dtype(np.int32))
    assert calls == [True, False]


def test_optimizers_index_through_an_int64_table(monkeypatch):
    calls = record_launches(monkeypatch, optim)
    p = tt.zeros(4, device="cuda")._data
    g = tt.zeros(4, device="cuda")._data
    optim.fused_sgd(None, [p], [g], [], lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                    maximize=False, is_first=[True])
    (kernel, args, meta), = calls
    assert kernel is optim._sgd_kernel and args[0].dtype == np.int64 and meta["DT"] == tl.float32
