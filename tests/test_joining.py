"""Joining / tiling / reordering ops against PyTorch (CPU): values, dtype promotion, the
legacy empty-tensor rule of cat, gradients, in-place variants and error messages."""
import numpy as np
import pytest
import torch

import tritorch as tt

RNG = np.random.default_rng(1)


def _both(a, requires_grad=False):
    return tt.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _np(t):
    return t.detach().numpy()


def _same(a, b):
    assert tuple(a.shape) == tuple(b.shape), (tuple(a.shape), tuple(b.shape))
    assert a.dtype.name == str(b.dtype).replace("torch.", ""), (a.dtype, b.dtype)
    np.testing.assert_array_equal(_np(a), _np(b))


A = RNG.standard_normal((2, 3))
B = RNG.standard_normal((2, 4))
C = RNG.standard_normal((2, 3))


@pytest.mark.parametrize("build", [
    lambda m, a, b, c: m.cat([a, b], 1),
    lambda m, a, b, c: m.cat((a, c), -2),
    lambda m, a, b, c: m.concat([a, m.zeros(0), c]),
    lambda m, a, b, c: m.concatenate([m.zeros(0), m.zeros(0)]),
    lambda m, a, b, c: m.cat([a, c.int()], 0),
    lambda m, a, b, c: m.cat([a.to(m.float16), m.ones(2, 1, dtype=m.bfloat16)], 1),
    lambda m, a, b, c: m.cat([a.bool(), c.to(m.uint8)]),
    lambda m, a, b, c: m.cat([a.t(), c.t()], 1),
    lambda m, a, b, c: m.stack([a, c]),
    lambda m, a, b, c: m.stack([a, c], -1),
    lambda m, a, b, c: m.stack((a, c.int()), 1),
    lambda m, a, b, c: m.hstack([a, b]),
    lambda m, a, b, c: m.hstack([a[0], c[0]]),
    lambda m, a, b, c: m.vstack([a, c[0]]),
    lambda m, a, b, c: m.row_stack([a[0], c[1]]),
    lambda m, a, b, c: m.dstack([a, c]),
    lambda m, a, b, c: m.dstack([a[0], c[0]]),
    lambda m, a, b, c: m.column_stack([a[:, 0], c]),
    lambda m, a, b, c: a.repeat(2, 1, 3),
    lambda m, a, b, c: a.repeat(1, 0),
    lambda m, a, b, c: a.tile((2,)),
    lambda m, a, b, c: m.tile(a, (3, 1, 1)),
    lambda m, a, b, c: a.flip(0, 1),
    lambda m, a, b, c: m.flip(b, [-1]),
    lambda m, a, b, c: m.fliplr(b),
    lambda m, a, b, c: m.flipud(b[0]),
    lambda m, a, b, c: m.roll(b, 3),
    lambda m, a, b, c: m.roll(b, -1, 1),
    lambda m, a, b, c: b.roll((1, 2), (0, 1)),
    lambda m, a, b, c: m.tril(b),
    lambda m, a, b, c: m.triu(b, 1),
    lambda m, a, b, c: m.tril(m.stack([b, b + 1]), -1),
    lambda m, a, b, c: b.triu(-1),
    lambda m, a, b, c: m.repeat_interleave(a, 2),
    lambda m, a, b, c: a.repeat_interleave(m.tensor([1, 0, 2]), dim=1),
    lambda m, a, b, c: m.repeat_interleave(m.tensor([2, 0, 3])),
    lambda m, a, b, c: a.repeat_interleave(2, dim=0, output_size=4),
])
def test_matches_torch(build):
    _same(build(tt, tt.tensor(A), tt.tensor(B), tt.tensor(C)),
          build(torch, torch.tensor(A), torch.tensor(B), torch.tensor(C)))


def test_out_variants():
    out = tt.empty(0, dtype=tt.float64)
    r = tt.cat([tt.tensor(A), tt.tensor(C)], out=out)
    assert r is out
    _same(out, torch.cat([torch.tensor(A), torch.tensor(C)]))
    out2 = tt.empty(2, 2, 3, dtype=tt.float64)
    tt.stack([tt.tensor(A), tt.tensor(C)], out=out2)
    _same(out2, torch.stack([torch.tensor(A), torch.tensor(C)]))
    out3 = tt.empty(2, 4, dtype=tt.float64)
    tt.tril(tt.tensor(B), out=out3)
    _same(out3, torch.tril(torch.tensor(B)))


def test_inplace_tril_triu():
    x, xt = _both(RNG.standard_normal((2, 3, 3)))
    v = x._version
    assert x.tril_(1) is x and x._version > v
    xt.tril_(1)
    _same(x, xt)
    x.triu_()
    xt.triu_()
    _same(x, xt)


@pytest.mark.parametrize("build", [
    lambda m, a, b: m.cat([a, b], 1) * m.arange(7.0),
    lambda m, a, b: m.cat([a.float(), b.float()], 1),
    lambda m, a, b: m.stack([a, b[:, :3]], 1) ** 2,
    lambda m, a, b: m.hstack([a, b]) ** 2,
    lambda m, a, b: a.repeat(2, 1, 3) * m.arange(36.0).reshape(2, 2, 9),
    lambda m, a, b: m.tile(a, (2,)) ** 2,
    lambda m, a, b: a.flip(0, 1) * m.arange(6.0).reshape(2, 3),
    lambda m, a, b: m.roll(b, 3) * m.arange(8.0).reshape(2, 4),
    lambda m, a, b: m.roll(b, (1, -1), (0, 1)) * m.arange(8.0).reshape(2, 4),
    lambda m, a, b: m.tril(b, 1) * 3,
    lambda m, a, b: m.triu(b) * 3,
    lambda m, a, b: a.repeat_interleave(m.tensor([1, 0, 2]), dim=1) * m.arange(6.0).reshape(2, 3),
])
def test_grads_match_torch(build):
    a, at = _both(A, True)
    b, bt = _both(B, True)
    build(tt, a, b).sum().backward()
    build(torch, at, bt).sum().backward()
    for x, xt in ((a, at), (b, bt)):
        if xt.grad is None:
            assert x.grad is None or not np.any(x.grad.numpy())
        else:
            np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6)


def test_grad_fn_names():
    a = tt.ones(2, 3, requires_grad=True)
    assert tt.cat([a, a]).grad_fn.name() == "CatBackward0"
    assert tt.stack([a, a]).grad_fn.name() == "StackBackward0"
    assert a.repeat(2, 2).grad_fn.name() == "RepeatBackward0"
    assert a.flip(0).grad_fn.name() == "FlipBackward0"
    assert a.roll(1).grad_fn.name() == "RollBackward0"
    assert a.tril().grad_fn.name() == "TrilBackward0"
    assert a.triu().grad_fn.name() == "TriuBackward0"


def test_double_backward():
    a = tt.tensor(A, requires_grad=True)
    assert tt.autograd.gradgradcheck(lambda x: tt.cat([x, x * 2], 1) ** 2, (a,))
    assert tt.autograd.gradgradcheck(lambda x: x.repeat(2, 2) ** 2, (a,))
    assert tt.autograd.gradgradcheck(lambda x: x.flip(1).roll(1, 0).tril() ** 2, (a,))


def test_inplace_tril_with_autograd():
    a = tt.tensor(B, requires_grad=True)
    y = a * 1
    y.tril_()
    (y * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.tril(np.full(B.shape, 2.0)))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        a.triu_()


@pytest.mark.parametrize("call,exc,msg", [
    (lambda m: m.cat([]), ValueError, "expected a non-empty list of Tensors"),
    (lambda m: m.cat([m.ones(2, 3), m.ones(3, 3)], 1), RuntimeError,
     r"Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for tensor number 1 in "
     r"the list."),
    (lambda m: m.cat([m.ones(2, 3), m.ones(2, 3, 1)]), RuntimeError,
     "Tensors must have same number of dimensions: got 2 and 3"),
    (lambda m: m.cat([m.ones(()), m.ones(())]), RuntimeError,
     r"zero-dimensional tensor \(at position 0\) cannot be concatenated"),
    (lambda m: m.cat([m.ones(2)], 2), IndexError, "Dimension out of range"),
    (lambda m: m.cat(m.ones(2)), TypeError, "must be tuple of Tensors"),
    (lambda m: m.stack([m.ones(2, 3), m.ones(2, 4)]), RuntimeError,
     r"stack expects each tensor to be equal size, but got \[2, 3\] at entry 0 and \[2, 4\] at entry 1"),
    (lambda m: m.ones(2, 3).repeat(2), RuntimeError,
     "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"),
    (lambda m: m.ones(2, 3).flip(0, 0), RuntimeError, "appear"),
    (lambda m: m.fliplr(m.ones(3)), RuntimeError, "Input must be >= 2-d."),
    (lambda m: m.roll(m.ones(2, 3), (1, 2), 0), RuntimeError, "shifts and dimensions must align"),
    (lambda m: m.tril(m.ones(3)), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
    (lambda m: m.repeat_interleave(m.ones(3), m.tensor([1, 2])), RuntimeError,
     "repeats must have the same size as input along dim"),
])
def test_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call(tt)
    with pytest.raises(exc, match=msg):
        call(torch)
