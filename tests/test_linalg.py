"""Matrix products against PyTorch (CPU) as the oracle: matmul broadcasting (values, shapes,
gradients), einsum subscripts with gradients, the strict contracts of mm/bmm/dot/mv and
their error messages, autograd node names, double backward, dtypes and out=."""
import numpy as np
import pytest
import torch

import tritorch as tt

RNG = np.random.default_rng(7)


def _pair(a):
    """The same float64 data as a tritorch and a torch leaf tensor requiring grad."""
    return tt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _check_fn_vs_torch(tt_fn, torch_fn, shapes, atol=1e-10):
    arrays = [RNG.standard_normal(s) for s in shapes]
    pairs = [_pair(a) for a in arrays]
    out = tt_fn(*[p[0] for p in pairs])
    ref = torch_fn(*[p[1] for p in pairs])
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=atol, rtol=1e-10)
    w = RNG.standard_normal(tuple(ref.shape))
    (out * tt.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for (t, r) in pairs:
        assert t.grad is not None and tuple(t.grad.shape) == tuple(r.grad.shape)
        np.testing.assert_allclose(t.grad.numpy(), r.grad.numpy(), atol=atol, rtol=1e-10)


MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)), ((2, 1, 2, 3), (4, 3, 2)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((1, 2, 3), (4, 3, 2)),
    ((4, 1, 2, 3), (1, 5, 3, 2)), ((3,), (2, 1, 3, 4)), ((2, 1, 2, 3), (3,)), ((0, 3), (3, 4)), ((2, 0), (0, 4)),
    ((2, 3, 0, 2), (2, 4)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=str)
def test_matmul_broadcasting_values_and_grads_match_torch(sa, sb):
    _check_fn_vs_torch(lambda a, b: a @ b, lambda a, b: a @ b, [sa, sb])


def test_matmul_noncontiguous_and_rmatmul():
    a = RNG.standard_normal((4, 3))
    b = RNG.standard_normal((4, 2))
    ta, tb = tt.tensor(a), tt.tensor(b)
    np.testing.assert_allclose((ta.t() @ tb).numpy(), a.T @ b)
    np.testing.assert_allclose(ta.t().matmul(tb).numpy(), a.T @ b)
    np.testing.assert_allclose(tb.__rmatmul__(ta.t()).numpy(), a.T @ b)


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((4, 2, 3), (3, 2)),
                                   ((3,), (2, 3, 2))], ids=str)
def test_matmul_double_backward(sa, sb):
    a = tt.tensor(RNG.standard_normal(sa), requires_grad=True)
    b = tt.tensor(RNG.standard_normal(sb), requires_grad=True)
    assert tt.autograd.gradgradcheck(lambda x, y: x @ y, (a, b))


def test_grad_fn_names():
    a = tt.ones(2, 3, requires_grad=True)
    b = tt.ones(3, 4, requires_grad=True)
    v = tt.ones(3, requires_grad=True)
    assert type((a @ b).grad_fn).__name__ == "MmBackward0"
    assert type(tt.mm(a, b).grad_fn).__name__ == "MmBackward0"
    assert type(tt.dot(v, v).grad_fn).__name__ == "DotBackward0"
    assert type(tt.mv(a, v).grad_fn).__name__ == "MvBackward0"
    assert type(tt.bmm(a.unsqueeze(0), b.unsqueeze(0)).grad_fn).__name__ == "BmmBackward0"
    assert (tt.ones(2, 3) @ tt.ones(3, 4)).grad_fn is None


def test_integer_and_half_products():
    a = np.arange(-6, 6, dtype=np.int64).reshape(3, 4)
    b = np.arange(8, dtype=np.int64).reshape(4, 2)
    for dt, tdt in ((tt.int64, torch.int64), (tt.int32, torch.int32), (tt.int8, torch.int8)):
        r = tt.tensor(a, dtype=dt) @ tt.tensor(b, dtype=dt)
        e = torch.tensor(a, dtype=tdt) @ torch.tensor(b, dtype=tdt)
        assert r.dtype is dt
        np.testing.assert_array_equal(r.numpy(), e.numpy())
    # int8 products wrap like PyTorch's.
    big = np.full((1, 4), 100, dtype=np.int8)
    r = tt.tensor(big) @ tt.tensor(big.T.copy())
    np.testing.assert_array_equal(r.numpy(), (torch.tensor(big) @ torch.tensor(big.T.copy())).numpy())
    x = RNG.standard_normal((8, 16)).astype(np.float32)
    y = RNG.standard_normal((16, 4)).astype(np.float32)
    for dt, tdt in ((tt.float16, torch.float16), (tt.bfloat16, torch.bfloat16)):
        r = tt.tensor(x).to(dt) @ tt.tensor(y).to(dt)
        e = torch.tensor(x).to(tdt).float() @ torch.tensor(y).to(tdt).float()  # fp32 accumulate, one rounding
        assert r.dtype is dt
        np.testing.assert_allclose(r.float().numpy(), e.to(tdt).float().numpy(), rtol=0, atol=0)


def test_out_argument():
    a, b = tt.ones(2, 3), tt.ones(3, 4)
    out = tt.empty(0)
    r = tt.matmul(a, b, out=out)
    assert r is out and tuple(out.shape) == (2, 4) and float(out.sum()) == 24.0
    out2 = tt.zeros(2, 4)
    tt.addmm(tt.ones(4), a, b, beta=2, alpha=0.5, out=out2)
    np.testing.assert_allclose(out2.numpy(), np.full((2, 4), 3.5))
    out3 = tt.empty(5)
    tt.outer(tt.ones(2), tt.ones(3), out=out3)
    assert tuple(out3.shape) == (2, 3)


@pytest.mark.parametrize("fn,shapes", [
    (lambda i, a, b: tt.addmm(i, a, b, beta=0.5, alpha=2.0), [(2, 4), (2, 3), (3, 4)]),
    (lambda i, a, b: tt.addmm(i, a, b), [(4,), (2, 3), (3, 4)]),
    (lambda i, a, b: tt.baddbmm(i, a, b, beta=0.25, alpha=-1.0), [(2, 1, 4), (2, 2, 3), (2, 3, 4)]),
    (lambda i, a, b: tt.addmv(i, a, b, beta=2.0), [(2,), (2, 3), (3,)]),
    (lambda i, a, b: tt.addbmm(i, a, b, alpha=3.0), [(2, 4), (3, 2, 3), (3, 3, 4)]),
    (lambda i, a, b: tt.addr(i, a, b), [(2, 3), (2,), (3,)]),
], ids=["addmm", "addmm_bcast", "baddbmm", "addmv", "addbmm", "addr"])
def test_add_family_vs_torch(fn, shapes):
    _check_fn_vs_torch(fn, lambda i, a, b: _call_torch(fn, i, a, b), shapes)


def _call_torch(fn, i, a, b):
    """Run a ``lambda ...: tt.f(...)`` with ``tt`` bound to torch (the same call spelled in PyTorch)."""
    g = dict(fn.__globals__)
    g["tt"] = torch
    f = type(fn)(fn.__code__, g)
    return f(i, a, b)


def test_addmm_beta_zero_ignores_nan():
    i = tt.full((2, 2), float("nan"))
    r = tt.addmm(i, tt.eye(2), tt.eye(2), beta=0)
    np.testing.assert_array_equal(r.numpy(), np.eye(2))


def test_inplace_add_variants_bump_version():
    x = tt.zeros(2, 2)
    v = x._version
    x.addmm_(tt.eye(2), tt.eye(2), alpha=2)
    np.testing.assert_array_equal(x.numpy(), 2 * np.eye(2))
    assert x._version > v


EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("i,i->", [(3,), (3,)]),
    ("ij->ji", [(2, 3)]), ("ii->i", [(3, 3)]), ("ii->", [(3, 3)]), ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]), ("ba", [(3, 2)]), ("Ba", [(3, 2)]), ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...ij->...ji", [(2, 3, 4)]), ("i...->...", [(2, 3, 4)]), ("i,j->ij", [(2,), (3,)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("iij->j", [(3, 3, 2)]), ("ij,ij,ij->", [(2, 3), (2, 3), (2, 3)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("i,i->i", [(3,), (1,)]), ("ij,kj->ik", [(2, 3), (1, 3)]),
    ("ijk", [(2, 3, 4)]), ("ij,jk->", [(2, 3), (3, 4)]), ("i j , j k -> i k", [(2, 3), (3, 4)]),
    ("ij->", [(0, 3)]), ("ij,jk->ik", [(2, 0), (0, 3)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_vs_torch(eq, shapes):
    _check_fn_vs_torch(lambda *ops: tt.einsum(eq, *ops), lambda *ops: torch.einsum(eq, *ops), shapes)


def test_einsum_list_and_sublist_forms_and_views():
    a = RNG.standard_normal((2, 3))
    b = RNG.standard_normal((3, 4))
    ta, tb = tt.tensor(a), tt.tensor(b)
    np.testing.assert_allclose(tt.einsum("ij,jk->ik", [ta, tb]).numpy(), a @ b)
    np.testing.assert_allclose(tt.einsum(ta, [0, 1], tb, [1, 2], [0, 2]).numpy(), a @ b)
    np.testing.assert_allclose(tt.einsum(ta, [0, Ellipsis], [Ellipsis]).numpy(), a.sum(0))
    np.testing.assert_allclose(tt.einsum("ij,jk->ik", ta.t().t(), tb.t().contiguous().t()).numpy(), a @ b)
    d = tt.einsum("ii->i", tt.tensor(np.eye(3)))
    np.testing.assert_array_equal(d.numpy(), np.ones(3))


def test_einsum_double_backward():
    a = tt.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    b = tt.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    assert tt.autograd.gradgradcheck(lambda x, y: tt.einsum("ij,jk->ik", x, y), (a, b))


@pytest.mark.parametrize("eq,shapes,msg", [
    ("ij,jk->ik", [(2, 3), (4, 5)], "subscript j has size 4 for operand 1 which does not broadcast with previously "
                                    "seen size 3"),
    ("ij,jk->ik", [(2, 3)], "fewer operands were provided than specified in the equation"),
    ("ij->ik", [(2, 3)], "output subscript k does not appear in the equation for any input operand"),
    ("ij->ii", [(2, 3)], "output subscript i appears more than once in the output"),
    ("ii->i", [(2, 3)], "subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"),
    ("ij1->i", [(2, 3)], r"invalid subscript given at index 2 in the equation string, subscripts must be in "
                         r"\[a-zA-Z\]"),
    ("ijk->i", [(2, 3)], r"the number of subscripts in the equation \(3\) does not match the number of dimensions "
                         r"\(2\) for operand 0 and no ellipsis was given"),
    ("...i...->i", [(2, 3)], "found '.' for operand 0 for which an ellipsis was already found"),
    ("i.->i", [(2, 3)], "found '.' for operand 0 that is not part of any ellipsis"),
])
def test_einsum_errors_match_torch(eq, shapes, msg):
    with pytest.raises(RuntimeError, match=msg):
        tt.einsum(eq, *[tt.zeros(s) for s in shapes])
    with pytest.raises(RuntimeError, match=msg):
        torch.einsum(eq, *[torch.zeros(s) for s in shapes])


def test_tensordot_and_inner_vs_torch():
    _check_fn_vs_torch(lambda a, b: tt.tensordot(a, b, dims=2), lambda a, b: torch.tensordot(a, b, dims=2),
                       [(2, 3, 4), (3, 4, 5)])
    _check_fn_vs_torch(lambda a, b: tt.tensordot(a, b, dims=([0], [1])),
                       lambda a, b: torch.tensordot(a, b, dims=([0], [1])), [(3, 2), (4, 3)])
    _check_fn_vs_torch(tt.inner, torch.inner, [(2, 3), (4, 3)])
    with pytest.raises(RuntimeError, match="contracted dimensions need to match, but first has size 3 in dim -1 "
                                           "and second has size 4 in dim 0"):
        tt.tensordot(tt.zeros(2, 3), tt.zeros(4, 5), dims=([-1], [0]))


def _z(s, dtype=tt.float32):
    return tt.zeros(s, dtype=dtype)


def _tz(s, dtype=torch.float32):
    return torch.zeros(s, dtype=dtype)


F64 = (tt.float64, torch.float64)
ERROR_CASES = [
    ("mm", [(2, 3), (4, 5)], {}, RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    ("mm", [(2, 3, 1), (4, 5)], {}, RuntimeError, "self must be a matrix"),
    ("mm", [(2, 3), (4,)], {}, RuntimeError, "mat2 must be a matrix"),
    ("mm", [(2, 3), (3, 4, F64)], {}, RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    ("bmm", [(2, 3), (4, 5)], {}, RuntimeError, "batch1 must be a 3D tensor"),
    ("bmm", [(2, 2, 3), (2, 5)], {}, RuntimeError, "batch2 must be a 3D tensor"),
    ("bmm", [(2, 2, 3), (3, 3, 5)], {}, RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: \[3, 3\]."),
    ("bmm", [(2, 2, 3), (2, 3, 5, F64)], {}, RuntimeError, "expected scalar type Float but found Double"),
    ("dot", [(3,), (4,)], {}, RuntimeError, r"inconsistent tensor size, expected tensor \[3\] and src \[4\] to have "
                                           r"the same number of elements, but got 3 and 4 elements respectively"),
    ("dot", [(3, 1), (3,)], {}, RuntimeError, "1D tensors expected, but got 2D and 1D tensors"),
    ("dot", [(3,), (3, F64)], {}, RuntimeError, "dot : expected both vectors to have same dtype, but found Float "
                                                "and Double"),
    ("mv", [(3, 4), (3,)], {}, RuntimeError, r"size mismatch, got input \(3\), mat \(3x4\), vec \(3\)"),
    ("mv", [(3,), (3,)], {}, RuntimeError, "vector \\+ matrix @ vector expected, got 1, 1, 1"),
    ("matmul", [(), (3,)], {}, RuntimeError, "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    ("matmul", [(3,), (4,)], {}, RuntimeError, "inconsistent tensor size"),
    ("matmul", [(2, 3), (4,)], {}, RuntimeError, r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
    ("matmul", [(3,), (4, 5)], {}, RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(1x3 and 4x5\)"),
    ("matmul", [(7, 2, 3), (4, 5)], {}, RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(14x3 and 4x5\)"),
    ("matmul", [(7, 2, 3), (7, 4, 5)], {}, RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[7, 3\] but got: \[7, 4\]."),
    ("matmul", [(6, 2, 3), (7, 3, 5)], {}, RuntimeError,
     r"The size of tensor a \(6\) must match the size of tensor b \(7\) at non-singleton dimension 0"),
    ("matmul", [(2, 3), (3, F64)], {}, RuntimeError, "addmv input tensors must have the same dtype"),
    ("matmul", [(5, 2, 3), (5, 3, 4, F64)], {}, RuntimeError, "expected scalar type Float but found Double"),
    ("outer", [(3, 2), (4,)], {}, RuntimeError, "outer: Expected 1-D argument self, but got 2-D"),
    ("addmm", [(2, 4, F64), (2, 3), (3, 4)], {}, RuntimeError,
     "self and mat2 must have the same dtype, but got Double and Float"),
    ("addmm", [(3, 4), (2, 3), (3, 4)], {}, RuntimeError,
     r"The expanded size of the tensor \(2\) must match the existing size \(3\) at non-singleton dimension 0"),
]


@pytest.mark.parametrize("name,shapes,kw,exc,msg", ERROR_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ERROR_CASES)])
def test_error_messages_match_torch(name, shapes, kw, exc, msg):
    def build(lib, z):
        args = []
        for s in shapes:
            if s and isinstance(s[-1], tuple):
                args.append(z(s[:-1], dtype=s[-1][0 if lib is tt else 1]))
            else:
                args.append(z(s))
        return args
    with pytest.raises(exc, match=msg):
        getattr(tt, name)(*build(tt, _z), **kw)
    with pytest.raises(exc, match=msg):
        getattr(torch, name)(*build(torch, _tz), **kw)


def test_bool_and_type_errors():
    with pytest.raises(NotImplementedError, match="\"addmm_impl_cpu_\" not implemented for 'Bool'"):
        tt.zeros(2, 3, dtype=tt.bool) @ tt.zeros(3, 2, dtype=tt.bool)
    with pytest.raises(TypeError, match="matmul\\(\\): argument 'other' \\(position 2\\) must be Tensor, not int"):
        tt.matmul(tt.ones(3), 3)
