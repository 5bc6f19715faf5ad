"""The cuda ``matmul`` kernel against the cpu device on identical inputs: every dtype, transposed /
sliced / offset / broadcast operands, vector cases, batch layouts the host must split, ``out=``
into strided and aliasing views, the GPU tile configurations (run in the interpreter), int64
indexing, and PyTorch's tf32 switch (state linkage and what reaches the kernel).

Precision: in Triton's interpreter an fp32 ``tl.dot`` is exact IEEE fp32 whatever the tf32 switch
says; on a GPU the switch selects TF32 tensor cores.  Tests that depend on it say which.
"""
import warnings

import numpy as np
import pytest

import tritorch as tt
from tritorch.backends import _precision
import tritorch.backends.cuda as backends_cuda
from tests.conftest import DEVICES

needs_cuda = pytest.mark.skipif("cuda" not in DEVICES, reason="no cuda device (GPU or interpreter)")

FLOATS = [tt.float16, tt.bfloat16, tt.float32, tt.float64]
INTS = [tt.uint8, tt.int8, tt.int16, tt.int32, tt.int64]
TOL = {tt.float16: 2e-3, tt.bfloat16: 1e-2, tt.float32: 1e-5, tt.float64: 1e-12}
RNG = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def _restore_precision():
    prev = _precision.get_float32_matmul_precision()
    yield
    _precision.set_float32_matmul_precision(prev)


def _data(shape, dtype, low=-3, high=3):
    if dtype.is_floating_point:
        return RNG.uniform(low, high, size=shape)
    return RNG.integers(0 if dtype is tt.uint8 else low, high, size=shape)


def _both(arr, dtype):
    return tt.tensor(arr, dtype=dtype), tt.tensor(arr, dtype=dtype, device="cuda")


def _check(got, exp, dtype):
    assert got.device.type == "cuda" and got.dtype is exp.dtype and tuple(got.shape) == tuple(exp.shape)
    g, e = got.cpu().numpy(), exp.numpy()
    if dtype.is_floating_point:
        np.testing.assert_allclose(g.astype(np.float64), e.astype(np.float64), rtol=TOL[dtype], atol=TOL[dtype])
    else:
        np.testing.assert_array_equal(g, e)


# Each case builds (a, b) from a cpu and a cuda copy of the same data through the same views.
def _plain(sa, sb):
    return lambda x, y: (x, y), sa, sb


CASES = {
    "mm": _plain((5, 7), (7, 3)),
    "dot": _plain((6,), (6,)),
    "mv": _plain((4, 6), (6,)),
    "vm": _plain((6,), (6, 5)),
    "batched": _plain((3, 4, 5), (3, 5, 2)),
    "batch_bcast_b": _plain((3, 4, 5), (5, 2)),           # folded into one GEMM of 12 rows
    "batch_bcast_a": _plain((4, 5), (3, 5, 2)),
    "batch_bcast_both": _plain((2, 1, 4, 5), (3, 5, 2)),  # two batch dims, both broadcast
    "vec_batched": _plain((5,), (2, 5, 3)),
    "batched_vec": _plain((2, 3, 5), (5,)),
    "k_zero": _plain((3, 0), (0, 4)),
    "transposed": (lambda x, y: (x.transpose(0, 1), y.transpose(0, 1)), (7, 5), (3, 7)),
    "batch_transposed": (lambda x, y: (x.transpose(1, 2), y.permute(2, 0, 1)), (2, 6, 4), (6, 3, 2)),
    "sliced_offset": (lambda x, y: (tt.slice_dim(tt.slice_dim(x, 1, 1, None, 2), 0, 1, 4),
                                    tt.slice_dim(y, 0, 2, 7)), (5, 11), (9, 4)),
    "strided_vectors": (lambda x, y: (tt.slice_dim(x, 0, 1, None, 3), tt.slice_dim(y, 0, 0, None, 2)), (15,), (10,)),
    "expanded": (lambda x, y: (x.expand(3, 4, 5), y.expand(3, 5, 2)), (1, 4, 5), (5, 2)),
    # Batch dims (2, 3, 2) that no stride pattern merges: the host splits the leading one.
    "three_batch_dims": (lambda x, y: (x.permute(1, 0, 2, 3, 4), y), (3, 2, 2, 4, 5), (2, 1, 2, 5, 3)),
}


@needs_cuda
@pytest.mark.parametrize("dtype", FLOATS + INTS, ids=lambda d: d.name)
@pytest.mark.parametrize("case", list(CASES))
def test_matmul_matches_cpu(case, dtype):
    view, sa, sb = CASES[case]
    a, ca = _both(_data(sa, dtype), dtype)
    b, cb = _both(_data(sb, dtype), dtype)
    _check(tt.matmul(*view(ca, cb)), tt.matmul(*view(a, b)), dtype)


@needs_cuda
def test_k_zero_gives_zeros_in_an_uninitialised_buffer():
    ca = tt.tensor(np.ones((3, 0), np.float32), device="cuda")
    cb = tt.tensor(np.ones((0, 4), np.float32), device="cuda")
    out = tt.tensor(np.full((3, 4), np.nan, np.float32), device="cuda")
    tt.matmul(ca, cb, out=out)
    np.testing.assert_array_equal(out.cpu().numpy(), np.zeros((3, 4), np.float32))


@needs_cuda
@pytest.mark.parametrize("dtype", [tt.int8, tt.uint8, tt.int16, tt.int64], ids=lambda d: d.name)
def test_integer_products_wrap_like_cpu(dtype):
    info = tt.iinfo(dtype)
    hi = min(info.max, 2**40)
    arr_a = RNG.integers(hi // 2, hi, size=(3, 9))
    arr_b = RNG.integers(hi // 2, hi, size=(9, 2))
    a, ca = _both(arr_a, dtype)
    b, cb = _both(arr_b, dtype)
    _check(ca @ cb, a @ b, dtype)


@needs_cuda
@pytest.mark.parametrize("dtype", [tt.float32, tt.int32], ids=lambda d: d.name)
def test_out_into_a_strided_view(dtype):
    a, ca = _both(_data((2, 4, 3), dtype), dtype)
    b, cb = _both(_data((3, 5), dtype), dtype)
    big = tt.tensor(np.zeros((5, 2, 9)), dtype=dtype, device="cuda")
    out = tt.slice_dim(big.permute(1, 2, 0), 1, 1, 5)   # (2, 4, 5), strides (9, 1, 18), offset 1
    assert not out.is_contiguous()
    tt.matmul(ca, cb, out=out)
    _check(out, a @ b, dtype)
    untouched = big.cpu().numpy().copy()
    untouched[:, :, 1:5] = 0
    assert not untouched.any()


def _gpu_sizing(monkeypatch):
    from tritorch.kernels import linear
    monkeypatch.setattr(linear, "SIZE_FOR_INTERPRETER", False)


@needs_cuda
def test_out_aliasing_an_operand(monkeypatch):
    """``out`` is the input: with several tiles and K steps, later programs would read values
    earlier ones already overwrote, unless the product goes through a temporary."""
    _gpu_sizing(monkeypatch)
    arr = _data((40, 40), tt.float64)
    a, ca = _both(arr, tt.float64)
    expected = a @ a
    tt.matmul(ca, ca, out=ca)
    _check(ca, expected, tt.float64)


_TILE_SHAPES = {"64-tiles-ragged-k": ((2, 40, 70), (70, 33)), "128-tiles": ((300, 40), (40, 260)),
                "16-row-tiles": ((1, 200), (200, 20))}
# CUDA-core (fp64 / integer) tiles are 32x32 at every size >= 32: the 64-tiles case covers them.
_TILE_CASES = [(name, dt) for name in _TILE_SHAPES for dt in (tt.float16, tt.bfloat16, tt.float32, tt.float64, tt.int8)
               if name != "128-tiles" or dt in (tt.float16, tt.bfloat16, tt.float32)]


@needs_cuda
@pytest.mark.parametrize("case,dtype", _TILE_CASES, ids=[f"{n}-{d.name}" for n, d in _TILE_CASES])
def test_gpu_tile_configs(monkeypatch, case, dtype):
    """The tile sizes a GPU uses by default (the shared GEMM's untimed choice: wide dot tiles,
    16-row tiles for skinny problems, 32x32x8 CUDA-core tiles), with K not a multiple of BK, run
    in whichever mode this is."""
    _gpu_sizing(monkeypatch)
    sa, sb = _TILE_SHAPES[case]
    a, ca = _both(_data(sa, dtype, -2, 2), dtype)
    b, cb = _both(_data(sb, dtype, -2, 2), dtype)
    _check(ca @ cb, a @ b, dtype)


@needs_cuda
def test_int64_indexing_path(monkeypatch):
    """Offsets computed in int64 (taken when an operand spans >= 2**31 elements) give the same result."""
    from tritorch.kernels import linear
    seen = []
    real_launch = linear.launch

    def spy(kernel, grid, *args, **meta):
        seen.append(meta["I64"])
        real_launch(kernel, grid, *args, **meta)

    monkeypatch.setattr(linear, "needs_i64", lambda *views, counts=(): True)
    monkeypatch.setattr(linear, "launch", spy)
    a, ca = _both(_data((2, 3, 6), tt.float32), tt.float32)
    b, cb = _both(_data((2, 6, 4), tt.float32), tt.float32)
    _check(ca.transpose(1, 2).transpose(1, 2) @ cb, a @ b, tt.float32)
    assert seen == [True]


# --- tf32 switch ------------------------------------------------------------------------------

def test_precision_defaults_and_linkage():
    m = backends_cuda.matmul
    assert _precision.get_float32_matmul_precision() == "highest" and m.allow_tf32 is False
    m.allow_tf32 = True
    assert _precision.get_float32_matmul_precision() == "high"
    m.allow_tf32 = False
    assert _precision.get_float32_matmul_precision() == "highest"
    _precision.set_float32_matmul_precision("medium")
    assert m.allow_tf32 is True and _precision.get_float32_matmul_precision() == "medium"
    m.allow_tf32 = True  # as in PyTorch, turning the switch on (again) means "high"
    assert _precision.get_float32_matmul_precision() == "high"
    _precision.set_float32_matmul_precision("highest")
    assert m.allow_tf32 is False


def test_precision_errors_match_torch():
    m = backends_cuda.matmul
    with pytest.raises(RuntimeError, match="set_float32_matmul_precision expects a str, but got int"):
        _precision.set_float32_matmul_precision(3)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        _precision.set_float32_matmul_precision("fast")
    assert "fast is not one of 'highest', 'high', or 'medium'" in str(w[0].message)
    assert _precision.get_float32_matmul_precision() == "highest"
    with pytest.raises(RuntimeError, match="set_allow_tf32_cublas expects a bool, but got int"):
        m.allow_tf32 = 1
    with pytest.raises(AttributeError, match="Unknown attribute allow_tf64"):
        m.allow_tf64 = True
    with pytest.raises(AttributeError, match="Unknown attribute allow_tf64"):
        m.allow_tf64


def test_reduced_precision_reduction_switches_are_accepted():
    m = backends_cuda.matmul
    assert m.allow_fp16_reduced_precision_reduction is True
    try:
        m.allow_fp16_reduced_precision_reduction = False
        assert m.allow_fp16_reduced_precision_reduction is False
        m.allow_bf16_reduced_precision_reduction = (False, False)
        assert m.allow_bf16_reduced_precision_reduction_split_k is False
        with pytest.raises(TypeError, match="expects a bool or a tuple/list of bools"):
            m.allow_fp16_reduced_precision_reduction = "yes"
    finally:
        m.allow_fp16_reduced_precision_reduction = True
        m.allow_bf16_reduced_precision_reduction = True


def test_public_names():
    """What tritorch/__init__.py exports (``tt.backends``, ``tt.set/get_float32_matmul_precision``)."""
    for name in ("backends", "set_float32_matmul_precision", "get_float32_matmul_precision"):
        if not hasattr(tt, name):
            pytest.skip(f"tritorch.{name} not exported yet")
    assert tt.backends.cuda.matmul is backends_cuda.matmul
    assert tt.get_float32_matmul_precision is _precision.get_float32_matmul_precision
    tt.set_float32_matmul_precision("high")
    assert tt.backends.cuda.matmul.allow_tf32 is True


@needs_cuda
@pytest.mark.parametrize("setting", ["highest", "high", "medium"])
def test_tf32_switch_reaches_fp32_kernels_only(monkeypatch, setting):
    from tritorch.kernels import linear
    seen = []
    real_launch = linear.launch

    def spy(kernel, grid, *args, **meta):
        seen.append(meta["TF32"])
        real_launch(kernel, grid, *args, **meta)

    monkeypatch.setattr(linear, "launch", spy)
    _precision.set_float32_matmul_precision(setting)
    tf32 = setting != "highest"
    for dtype in (tt.float32, tt.float16, tt.bfloat16, tt.float64):
        x = tt.tensor(np.ones((2, 3)), dtype=dtype, device="cuda")
        x @ x.t()
    assert seen == [tf32, False, False, False]


@needs_cuda
def test_default_fp32_matmul_is_ieee():
    """Default precision is IEEE fp32 (no tf32) on every cuda device: products of inputs that need
    the full 24-bit mantissa match the float64 reference to fp32 accuracy (~1e-7), where TF32's
    10-bit inputs are off by ~1e-4.  With tf32 on, the interpreter stays IEEE (its fp32 ``tl.dot``
    ignores input precision) while a GPU rounds the inputs to TF32."""
    a = RNG.uniform(1, 2, size=(16, 32)).astype(np.float32)
    b = RNG.uniform(1, 2, size=(32, 16)).astype(np.float32)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    ca, cb = tt.tensor(a, device="cuda"), tt.tensor(b, device="cuda")
    np.testing.assert_allclose((ca @ cb).cpu().numpy(), ref, rtol=2e-6)
    backends_cuda.matmul.allow_tf32 = True
    got = (ca @ cb).cpu().numpy()
    if tt.cuda.is_interpreted():
        np.testing.assert_allclose(got, ref, rtol=2e-6)
    else:
        assert (np.abs(got - ref) / ref).max() > 1e-5  # tf32 input rounding is visible
        np.testing.assert_allclose(got, ref, rtol=5e-3)
