"""cuda joining kernels (cat, stack, repeat, flip, roll, tril/triu, repeat_interleave) against
the cpu device on identical inputs: strided / offset / transposed inputs, ``out=`` into strided
views, in-place tril_/triu_ on views, many-dim shapes that cannot be merged, half/int/bool
dtypes, and error parity."""
import numpy as np
import pytest

import tritorch as tt
from tests.conftest import DEVICES

pytestmark = pytest.mark.skipif("cuda" not in DEVICES, reason="no cuda device")

_rng = np.random.default_rng(7)


def _pair(shape, dtype=tt.float32, strided=False):
    """The same values on cpu and cuda (optionally as a transposed, gapped view)."""
    if dtype is tt.bool:
        a = _rng.random(shape) > 0.5
    elif dtype.is_floating_point:
        a = _rng.uniform(-5, 5, size=shape)
    else:
        a = _rng.integers(0, 100, size=shape)
    if strided and len(shape) >= 2:
        big = np.zeros(shape[::-1][:-1] + (2 * shape[0],), a.dtype)
        big[..., ::2] = a.T
        return tuple(tt.tensor(big, dtype=dtype, device=d)[..., ::2].permute(*range(len(shape) - 1, -1, -1))
                     for d in ("cpu", "cuda"))
    return tuple(tt.tensor(a, dtype=dtype, device=d) for d in ("cpu", "cuda"))


def _same(cuda, cpu):
    assert cuda.device.type == "cuda" and cuda.dtype is cpu.dtype and tuple(cuda.shape) == tuple(cpu.shape)
    a, b = cuda.cpu().numpy(), cpu.numpy()
    if a.dtype.kind in "fV":
        a, b = a.view(f"u{a.dtype.itemsize}"), b.view(f"u{b.dtype.itemsize}")
    np.testing.assert_array_equal(a, b)


DTYPES = [tt.float32, tt.bfloat16, tt.float16, tt.int64, tt.uint8, tt.bool]


@pytest.mark.parametrize("dtype", DTYPES)
def test_cat_stack_strided_and_mixed_dtypes(dtype):
    x, xc = _pair((3, 4), dtype, strided=True)
    y, yc = _pair((2, 4), dtype)
    z, zc = _pair((3, 2), tt.int32)
    _same(tt.cat([xc, yc], 0), tt.cat([x, y], 0))
    _same(tt.cat([xc, zc, xc], 1), tt.cat([x, z, x], 1))
    e, ec = _pair((0,), dtype)
    _same(tt.cat([ec, xc, ec], 1), tt.cat([e, x, e], 1))
    _same(tt.stack([xc, xc.t().t()], 1), tt.stack([x, x.t().t()], 1))
    _same(tt.stack([xc, xc], -1), tt.stack([x, x], -1))


def test_cat_stack_out_strided_view():
    x, xc = _pair((2, 3), strided=True)
    out = tt.zeros(3, 9)
    outc = out.cuda()
    tt.cat([x, x], 0, out=out[:, ::2].t())
    tt.cat([xc, xc], 0, out=outc[:, ::2].t())
    _same(outc, out)
    out, outc = tt.zeros(2, 2, 7), tt.zeros(2, 2, 7, device="cuda")
    tt.stack([x, x], 1, out=out[..., 1:4])
    tt.stack([xc, xc], 1, out=outc[..., 1:4])
    _same(outc, out)


@pytest.mark.parametrize("dtype", [tt.float64, tt.int16, tt.bool])
def test_repeat_and_many_dims(dtype):
    x, xc = _pair((2, 3), dtype, strided=True)
    _same(xc.repeat(2, 1, 3), x.repeat(2, 1, 3))
    # 8 interleaved dims that do not merge: the copy splits the leading dim.
    y, yc = _pair((2, 1, 3, 2), dtype, strided=True)
    _same(yc.repeat(2, 3, 2, 1, 2), y.repeat(2, 3, 2, 1, 2))
    _same(xc.repeat(0, 2), x.repeat(0, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_flip_roll(dtype):
    x, xc = _pair((3, 4, 5), dtype, strided=True)
    for dims in [(0,), (2,), (0, 2), (0, 1, 2)]:
        _same(tt.flip(xc, dims), tt.flip(x, dims))
    for shifts, dims in [(7, None), (-13, None), ((1, -2), (0, 2)), ((2, 3), (1, 1)), ((0,), (1,)), (4, 1)]:
        _same(tt.roll(xc, shifts, dims), tt.roll(x, shifts, dims))
    s, sc = _pair((5, 6), dtype)  # flat roll of a view that cannot be flattened in place
    _same(tt.roll(sc[:, 1:4], 4), tt.roll(s[:, 1:4], 4))
    _same(tt.roll(sc.t(), 4), tt.roll(s.t(), 4))


@pytest.mark.parametrize("dtype", DTYPES)
def test_tril_triu(dtype):
    x, xc = _pair((2, 3, 4, 5), dtype, strided=True)
    for d in (-5, -1, 0, 2, 7):
        _same(tt.tril(xc, d), tt.tril(x, d))
        _same(tt.triu(xc, d), tt.triu(x, d))


def test_tril_triu_batch_dims_split_and_inplace_views():
    # Six unmergeable dims (two of them rows/cols): the launcher splits the leading batch dim.
    x, xc = _pair((2, 2, 2, 2, 3, 4), strided=True)
    _same(tt.triu(xc, 1), tt.triu(x, 1))
    big = tt.tensor(_rng.uniform(size=(4, 9)))
    bigc = big.cuda()
    big[:, 1::2].tril_(-1)
    bigc[:, 1::2].tril_(-1)
    _same(bigc, big)
    big.t().triu_()
    bigc.t().triu_()
    _same(bigc, big)
    out = tt.zeros(5, 4)
    outc = out.cuda()
    tt.tril(big, 1, out=out.t())
    tt.tril(bigc, 1, out=outc.t())
    _same(outc, out)


def test_repeat_interleave_tensor_repeats():
    r = tt.tensor([0, 3, 1, 0, 2], dtype=tt.int32)
    _same(tt.repeat_interleave(r.cuda()), tt.repeat_interleave(r))
    strided = tt.tensor([[2, 9], [0, 9], [4, 9]])[:, 0]
    _same(tt.repeat_interleave(strided.cuda()), tt.repeat_interleave(strided))
    for n in (0, 4):
        z = tt.zeros(n, dtype=tt.int64)
        _same(tt.repeat_interleave(z.cuda()), tt.repeat_interleave(z))
    # Longer than one program's block: the scan carries its total across chunks.
    long = tt.tensor(_rng.integers(0, 3, size=70_000))
    _same(tt.repeat_interleave(long.cuda()), tt.repeat_interleave(long))
    x, xc = _pair((3, 2), tt.bfloat16, strided=True)
    _same(tt.repeat_interleave(xc, tt.tensor([1, 0, 2], device="cuda"), 0),
          tt.repeat_interleave(x, tt.tensor([1, 0, 2]), 0))


def test_errors_match_cpu():
    cases = [lambda d: tt.repeat_interleave(tt.tensor([1, -1, 2], device=d)),
             lambda d: tt.tril(tt.zeros(3, device=d)),
             lambda d: tt.cat([tt.zeros(2, 3, device=d), tt.zeros(2, 4, device=d)]),
             lambda d: tt.stack([tt.zeros(2, device=d), tt.zeros(3, device=d)])]
    for fn in cases:
        with pytest.raises(RuntimeError) as cpu_err:
            fn("cpu")
        with pytest.raises(RuntimeError) as cuda_err:
            fn("cuda")
        assert str(cpu_err.value) == str(cuda_err.value)
