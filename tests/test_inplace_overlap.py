"""Regression tests for issue 12, items 2, 3, 10 (scalar conversions) and 11: Tensor methods
bound in PyTorch's argument order, internal-overlap checks in the in-place / out= paths,
``float``/``int`` on multi-element tensors, and ``Tensor.grad`` assignment checks.  Messages
are PyTorch 2.13's."""
import re
import warnings

import numpy as np
import pytest
import torch

import tritorch as tt

OVERLAP = re.escape("unsupported operation: more than one element of the written-to tensor refers to a single "
                    "memory location. Please clone() the tensor before performing the operation.")


def _expanded(device, dtype=tt.float32):
    return tt.zeros(1, 3, dtype=dtype, device=device).expand(2, 3)


def _texpanded(dtype=torch.float32):
    return torch.zeros(1, 3, dtype=dtype).expand(2, 3)


# ---- item 2: Tensor methods bound in PyTorch's argument order ----------------------------------------
def test_item2_where_method_order(device):
    x = tt.tensor([True, False], device=device)
    r = x.where(tt.tensor([True, True], device=device), tt.tensor([7., 8.], device=device))
    e = torch.tensor([True, False]).where(torch.tensor([True, True]), torch.tensor([7., 8.]))
    assert r.tolist() == e.tolist() == [1., 0.]
    x = tt.tensor([1., 2.], device=device)
    c = tt.tensor([True, False], device=device)
    assert x.where(c, 0.5).tolist() == [1., 0.5]
    assert x.where(condition=c, other=tt.tensor([7., 8.], device=device)).tolist() == [1., 8.]


def test_item2_where_method_grad(device):
    x = tt.tensor([1., 2.], device=device, requires_grad=True)
    y = tt.tensor([3., 4.], device=device, requires_grad=True)
    x.where(tt.tensor([True, False], device=device), y).sum().backward()
    assert x.grad.tolist() == [1., 0.] and y.grad.tolist() == [0., 1.]


def test_item2_norm_method_order(device):
    x = tt.tensor([[1., 2., 2.], [0., 3., 4.]], device=device)
    r = x.norm(2, 1, False, tt.float64)
    e = torch.tensor([[1., 2., 2.], [0., 3., 4.]]).norm(2, 1, False, torch.float64)
    assert r.dtype is tt.float64 and r.tolist() == e.tolist()
    assert x.norm(1, 0, True).tolist() == e.new_tensor([[1., 5., 6.]]).tolist()
    assert tt.norm(x, 2, 1, False, None, tt.float64).tolist() == e.tolist()  # function form keeps out=


def _torch_method_positional(name):
    """Positional parameters after self of every aten overload of Tensor.<name>."""
    sigs = set()
    for s in torch._C._jit_get_all_schemas():
        if s.name.split("::")[1] != name:
            continue
        args = [a.name for a in s.arguments if not a.kwarg_only]
        if args and args[0] == "self":
            sigs.add(tuple(args[1:]))
    return sigs


def test_item2_audit_method_argument_order():
    """Every tritorch Tensor method that is the same object as a top-level function must match
    the order of PyTorch's Tensor method (self first); the aten ops where PyTorch's self is not
    the first argument (where, polygamma) must not be bound to the function form."""
    import inspect
    misplaced = set()
    for s in torch._C._jit_get_all_schemas():
        names = [a.name for a in s.arguments]
        n = s.name.split("::")[1]
        if "self" in names and names[0] != "self" and hasattr(torch.Tensor, n) and not n.startswith("_"):
            misplaced.add(n)
    assert misplaced <= {"where", "polygamma"}, misplaced
    for n in misplaced:
        if hasattr(tt.Tensor, n) and hasattr(tt, n):
            assert getattr(tt.Tensor, n) is not getattr(tt, n), n
    # norm: the function has out= before dtype, the method does not.
    ps = list(inspect.signature(tt.Tensor.norm).parameters)
    assert ps[1:] == ["p", "dim", "keepdim", "dtype"]


# ---- item 3: internal overlap in in-place / out= paths ------------------------------------------------
_RAISING = {
    "exp_": lambda e, d: e.exp_(),
    "add_": lambda e, d: e.add_(1),
    "iadd": lambda e, d: e.__iadd__(1),
    "mul_tensor": lambda e, d: e.mul_(tt.ones(2, 3, device=d)),
    "relu_": lambda e, d: e.relu_(),
    "F_relu_inplace": lambda e, d: tt.nn.functional.relu(e, inplace=True),
    "clamp_": lambda e, d: e.clamp_(0, 1),
    "copy_": lambda e, d: e.copy_(tt.ones(2, 3, device=d)),
    "copy_broadcast": lambda e, d: e.copy_(tt.ones(3, device=d)),
    "copy_0d": lambda e, d: e.copy_(tt.tensor(1., device=d)),
    "fill_tensor": lambda e, d: e.fill_(tt.tensor(2., device=d)),
    "scatter_": lambda e, d: e.scatter_(0, tt.zeros(1, 3, dtype=tt.int64, device=d), 1.),
    "scatter_add_": lambda e, d: e.scatter_add_(0, tt.zeros(1, 3, dtype=tt.int64, device=d),
                                                tt.ones(1, 3, device=d)),
    "index_add_": lambda e, d: e.index_add_(0, tt.tensor([0], device=d), tt.ones(1, 3, device=d)),
    "uniform_": lambda e, d: e.uniform_(),
    "normal_": lambda e, d: e.normal_(),
    "bernoulli_": lambda e, d: e.bernoulli_(),
    "exponential_": lambda e, d: e.exponential_(),
    "setitem_slice": lambda e, d: e.__setitem__(slice(None), 1.),
    "setitem_tensor": lambda e, d: e.__setitem__(slice(None), tt.ones(2, 3, device=d)),
    "out_exp": lambda e, d: tt.exp(tt.ones(2, 3, device=d), out=e),
    "out_add": lambda e, d: tt.add(tt.ones(2, 3, device=d), 1, out=e),
    "out_resize": lambda e, d: tt.exp(tt.ones(4, device=d), out=e),  # checked before the resize, as in torch
    "out_mean": lambda e, d: tt.mean(tt.ones(2, 3, 4, device=d), 2, out=e),
    "out_cat": lambda e, d: tt.cat([tt.ones(1, 3, device=d)] * 2, out=e),
    "out_matmul": lambda e, d: tt.matmul(tt.ones(2, 4, device=d), tt.ones(4, 3, device=d), out=e),
    "out_where": lambda e, d: tt.where(tt.ones(2, 3, dtype=tt.bool, device=d), tt.ones(2, 3, device=d),
                                       tt.ones(2, 3, device=d), out=e),
    "out_masked_select": lambda e, d: tt.masked_select(tt.ones(2, 3, device=d),
                                                       tt.ones(2, 3, dtype=tt.bool, device=d),
                                                       out=tt.zeros(1, device=d).expand(6)),
    "dropout_inplace": lambda e, d: tt.nn.functional.dropout(e, 0.5, True, inplace=True),
}

_TORCH_RAISING = {
    "exp_": lambda e: e.exp_(), "add_": lambda e: e.add_(1), "relu_": lambda e: e.relu_(),
    "copy_": lambda e: e.copy_(torch.ones(2, 3)), "copy_0d": lambda e: e.copy_(torch.tensor(1.)),
    "fill_tensor": lambda e: e.fill_(torch.tensor(2.)),
    "scatter_": lambda e: e.scatter_(0, torch.zeros(1, 3, dtype=torch.long), 1.),
    "uniform_": lambda e: e.uniform_(), "setitem_slice": lambda e: e.__setitem__(slice(None), 1.),
    "out_exp": lambda e: torch.exp(torch.ones(2, 3), out=e), "out_resize": lambda e: torch.exp(torch.ones(4), out=e),
    "out_mean": lambda e: torch.mean(torch.ones(2, 3, 4), 2, out=e),
}


@pytest.mark.parametrize("name", sorted(_RAISING))
def test_item3_expanded_write_raises(device, name):
    e = _expanded(device)
    v = e._version
    with pytest.raises(RuntimeError, match=OVERLAP):
        _RAISING[name](e, device)
    assert e.tolist() == [[0.] * 3] * 2 and e._version == v
    if name in _TORCH_RAISING:
        with pytest.raises(RuntimeError, match=OVERLAP):
            _TORCH_RAISING[name](_texpanded())


def test_item3_expand_exp_raises(device):
    with pytest.raises(RuntimeError, match=OVERLAP):
        tt.zeros(1, 3, device=device).expand(2, 3).exp_()


def test_item3_int_exp_overlap_checked_first(device):
    # PyTorch checks the overlap before the result-type check.
    with pytest.raises(RuntimeError, match=OVERLAP):
        _expanded(device, tt.int64).exp_()
    with pytest.raises(RuntimeError, match=OVERLAP):
        _texpanded(torch.int64).exp_()


def test_item3_non_overlapping_views_still_write(device):
    e = tt.zeros(1, 3, device=device).expand(1, 3)  # stride 0 on a size-1 dim: no overlap
    e.exp_()
    assert e.tolist() == [[1.] * 3]
    x = tt.zeros(2, 3, device=device)
    x.t().add_(1)  # permuted, not overlapping
    x[0].exp_()
    x[:, ::2].mul_(2)
    ex = torch.ones(2, 3)
    ex[0].exp_()
    ex[:, ::2].mul_(2)
    assert torch.allclose(torch.tensor(x.tolist()), ex)
    z = tt.zeros(1, 0, device=device).expand(2, 0)  # empty: nothing is written
    z.exp_()
    s = _expanded(device)
    s[0] = 1.  # a row of an expanded tensor does not overlap itself
    assert s.tolist() == [[1.] * 3] * 2


@pytest.mark.parametrize("name", ["fill_", "zero_", "sum_out", "amax_out", "argmax_out", "std_out", "zeros_out",
                                  "tril_", "triu_"])
def test_item3_expanded_write_allowed_like_torch(device, name):
    """PyTorch 2.13 does not check these (fill_/zero_, reductions' out=, fill/eye/tril/triu)."""
    x = tt.arange(24., device=device).reshape(2, 3, 4)
    tx = torch.arange(24.).reshape(2, 3, 4)
    e, te = _expanded(device), _texpanded()
    if name == "argmax_out":
        e, te = _expanded(device, tt.int64), _texpanded(torch.int64)
    ours = {"fill_": lambda: e.fill_(3), "zero_": lambda: e.zero_(), "sum_out": lambda: tt.sum(x, 2, out=e),
            "amax_out": lambda: tt.amax(x, 2, out=e), "argmax_out": lambda: tt.argmax(x, 2, out=e),
            "std_out": lambda: tt.std(x, 2, out=e), "zeros_out": lambda: tt.zeros(2, 3, out=e),
            "tril_": lambda: e.tril_(), "triu_": lambda: e.triu_()}[name]
    theirs = {"fill_": lambda: te.fill_(3), "zero_": lambda: te.zero_(), "sum_out": lambda: torch.sum(tx, 2, out=te),
              "amax_out": lambda: torch.amax(tx, 2, out=te), "argmax_out": lambda: torch.argmax(tx, 2, out=te),
              "std_out": lambda: torch.std(tx, 2, out=te), "zeros_out": lambda: torch.zeros(2, 3, out=te),
              "tril_": lambda: te.tril_(), "triu_": lambda: te.triu_()}[name]
    ours()
    theirs()
    if name in ("fill_", "zero_", "zeros_out"):
        assert e.tolist() == te.tolist()


_WARN = re.escape("on expanded tensors is deprecated. Please clone() the tensor before performing this operation.")


@pytest.mark.parametrize("name", ["masked_fill_", "index_fill_", "setitem_mask", "setitem_index", "index_put_"])
def test_item3_masked_fill_expanded_warns_and_matches_cpu(device, name):
    """PyTorch accepts the advanced-indexing fills on expanded tensors with a deprecation warning;
    the result is PyTorch's CPU one on every device (cuda runs them on the host then)."""
    m = [[True, False, False], [False, True, False]]
    e, te = _expanded(device), _texpanded()
    ours = {"masked_fill_": lambda: e.masked_fill_(tt.tensor(m, device=device), 5.),
            "index_fill_": lambda: e.index_fill_(1, tt.tensor([0], device=device), 5.),
            "setitem_mask": lambda: e.__setitem__(tt.tensor(m, device=device), 5.),
            "setitem_index": lambda: e.__setitem__((tt.tensor([1], device=device), tt.tensor([2], device=device)), 5.),
            "index_put_": lambda: e.index_put_((tt.tensor([0], device=device),), tt.tensor([1., 2., 3.],
                                                                                          device=device))}[name]
    theirs = {"masked_fill_": lambda: te.masked_fill_(torch.tensor(m), 5.),
              "index_fill_": lambda: te.index_fill_(1, torch.tensor([0]), 5.),
              "setitem_mask": lambda: te.__setitem__(torch.tensor(m), 5.),
              "setitem_index": lambda: te.__setitem__((torch.tensor([1]), torch.tensor([2])), 5.),
              "index_put_": lambda: te.index_put_((torch.tensor([0]),), torch.tensor([1., 2., 3.]))}[name]
    with pytest.warns(UserWarning, match=_WARN):
        ours()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs()
    assert e.tolist() == te.tolist()
    assert e._base.tolist() == [te[0].tolist()]


def test_item3_masked_fill_expanded_partial_mask_cuda_matches_cpu(device):
    m = [[True, False, False], [False, True, False]]
    e = _expanded(device)
    with pytest.warns(UserWarning, match="masked_fill_"):
        e.masked_fill_(tt.tensor(m, device=device), 5.)
    assert e.tolist() == [[5., 5., 0.], [5., 5., 0.]]


# ---- item 10 (part): float/int/complex/bool of a multi-element tensor ---------------------------------
@pytest.mark.parametrize("conv", [float, int, complex])
@pytest.mark.parametrize("n", [0, 3])
def test_item10_scalar_conversion_of_multi_element_raises_valueerror(device, conv, n):
    msg = "only one element tensors can be converted to Python scalars"
    with pytest.raises(ValueError, match=msg):
        conv(torch.ones(n))
    with pytest.raises(ValueError, match=msg):
        conv(tt.ones(n, device=device))
    assert conv(tt.ones(1, 1, device=device)) == conv(torch.ones(1, 1))


def test_item10_bool_of_multi_element_raises_runtimeerror(device):
    for n, msg in ((3, "Boolean value of Tensor with more than one value is ambiguous"),
                   (0, "Boolean value of Tensor with no values is ambiguous")):
        with pytest.raises(RuntimeError, match=msg):
            bool(torch.ones(n))
        with pytest.raises(RuntimeError, match=msg):
            bool(tt.ones(n, device=device))


def test_item10_item_of_multi_element_stays_runtimeerror(device):
    with pytest.raises(RuntimeError, match="a Tensor with 3 elements cannot be converted to Scalar"):
        tt.ones(3, device=device).item()


# ---- item 11: Tensor.grad assignment ------------------------------------------------------------------
def test_item11_grad_assign_non_tensor_raises_typeerror(device):
    p = tt.zeros(1, device=device, requires_grad=True)
    for v, name in ((0., "float"), (1, "int"), ("a", "str"), ([0.], "list")):
        msg = f"assigned grad expected to be a Tensor or None but got grad of type {name}"
        with pytest.raises(TypeError, match=re.escape(msg)):
            torch.zeros(1, requires_grad=True).grad = v
        with pytest.raises(TypeError, match=re.escape(msg)):
            p.grad = v
    assert p.grad is None
    (p * 2).sum().backward()  # still works after the refused assignment
    assert p.grad.tolist() == [2.]


def test_item11_grad_assign_wrong_size_raises(device):
    p = tt.zeros(1, device=device, requires_grad=True)
    msg = ("attempting to assign a gradient of size '[2]' to a tensor of size '[1]'. Please ensure that the "
           "gradient and the tensor are the same size")
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        torch.zeros(1, requires_grad=True).grad = torch.zeros(2)
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        p.grad = tt.zeros(2, device=device)
    with pytest.raises(RuntimeError, match=re.escape("a gradient of size '[]' to a tensor of size '[1]'")):
        p.grad = tt.zeros((), device=device)
    q = tt.zeros(2, 3, device=device)
    with pytest.raises(RuntimeError, match=re.escape("a gradient of size '[3, 2]' to a tensor of size '[2, 3]'")):
        q.grad = tt.zeros(3, 2, device=device)


@pytest.mark.parametrize("pd,gd", [("float32", "float64"), ("float64", "float32"), ("float32", "int64"),
                                   ("bfloat16", "float16"), ("float16", "uint8"), ("int64", "int8"),
                                   ("float32", "bool"), ("float32", "int32"), ("float32", "int16")])
def test_item11_grad_assign_wrong_dtype_raises(device, pd, gd):
    tp, tg = getattr(torch, pd), getattr(torch, gd)
    with pytest.raises(RuntimeError) as ei:
        torch.zeros(1, dtype=tp).grad = torch.zeros(1, dtype=tg)
    p = tt.zeros(1, dtype=getattr(tt, pd), device=device)
    with pytest.raises(RuntimeError, match=re.escape(str(ei.value))):
        p.grad = tt.zeros(1, dtype=getattr(tt, gd), device=device)
    # dtype is checked before the size, as in torch
    with pytest.raises(RuntimeError, match="with dtype"):
        p.grad = tt.zeros(2, dtype=getattr(tt, gd), device=device)


def test_item11_grad_assign_wrong_device_raises():
    from tests.conftest import DEVICES
    if "cuda" not in DEVICES:
        pytest.skip("no cuda device")
    p = tt.zeros(1, device="cuda")
    msg = ("attempting to assign a gradient with device type 'cpu' to a tensor with device type 'cuda'. Please "
           "ensure that the gradient and the tensor are on the same device")
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        p.grad = tt.zeros(1)
    with pytest.raises(RuntimeError, match="device type 'cuda' to a tensor with device type 'cpu'"):
        tt.zeros(1).grad = tt.zeros(1, device="cuda")


def test_item11_grad_assign_valid_and_own_grad(device):
    p = tt.zeros(2, device=device, requires_grad=True)
    g = tt.ones(2, device=device)
    p.grad = g
    assert p.grad is g
    p.grad = None
    assert p.grad is None
    p.grad = g
    del p.grad
    assert p.grad is None
    with pytest.raises(RuntimeError, match="can't assign Variable as its own grad"):
        p.grad = p
    p.grad = tt.ones(2, device=device).expand(2)  # any layout of the right size
    p.grad = tt.ones(2, device=device, requires_grad=True)
    (p * 3).sum().backward()
    assert p.grad.tolist() == [4., 4.]


# ---- partial overlap between an input and the written tensor --------------------------------------------
PARTIAL = re.escape("unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
                    "single memory location. Please clone() the tensor before performing the operation.")
_PARTIAL_CASES = {
    "add_out": lambda m, x: m.add(x[1:], 1, out=x[:-1]),
    "add_": lambda m, x: x[:-1].add_(x[1:]),
    "mul_": lambda m, x: x[:-1].mul_(x[1:]),
    "add_0d_view": lambda m, x: x.add_(x[0]),
    "add_out_0d_input": lambda m, x: m.add(x[0], x[1:], out=x[:-1]),
    "neg_out": lambda m, x: m.neg(x[1:], out=x[:-1]),
    "sigmoid_out": lambda m, x: m.sigmoid(x[1:], out=x[:-1]),
    "clamp_out": lambda m, x: m.clamp(x[1:], 0, 3, out=x[:-1]),
    "clamp_tensor_min": lambda m, x: x[:-1].clamp_(min=x[1:]),
    "copy_": lambda m, x: x[:-1].copy_(x[1:]),
    "copy_transposed": lambda m, x: x[:4].view(2, 2).copy_(x[:4].view(2, 2).t()),
    "where_out": lambda m, x: m.where(x[1:] > 2, x[1:], m.zeros(5, device=x.device), out=x[:-1]),
    "lerp_": lambda m, x: x[:-1].lerp_(x[1:], 0.5),
    "cumsum_out": lambda m, x: m.cumsum(x[:5], 0, out=x[1:]),
    "index_select_out": lambda m, x: m.index_select(x[:5], 0, m.tensor([0, 1], device=x.device), out=x[1:3]),
    "cat_out": lambda m, x: m.cat([x[:2], x[:1]], out=x[1:4]),
    "scatter_src": lambda m, x: x[:3].scatter_(0, m.tensor([0, 1], device=x.device), x[1:3]),
    "index_add_src": lambda m, x: x[:3].index_add_(0, m.tensor([0, 1], device=x.device), x[1:3]),
    "setitem_slice": lambda m, x: x.__setitem__(slice(0, 5), x[1:]),
}
_ALLOWED_CASES = {
    "add_same": lambda m, x: x.add_(x),
    "add_out_same": lambda m, x: m.add(x, 1, out=x),
    "same_memory_other_view": lambda m, x: x.view(2, 3).add_(x.view(3, 2).view(2, 3)),
    "not_dense": lambda m, x: x[:3].add_(x[::2]),
    "expanded_input": lambda m, x: x[1:].add_(x[0].expand(5)),
    "empty": lambda m, x: m.add(x[1:1], 1, out=x[0:0]),
    "disjoint": lambda m, x: x[:3].add_(x[3:]),
    "sum_out": lambda m, x: m.sum(x.view(2, 3), 0, out=x[:3]),
    "mean_out": lambda m, x: m.mean(x.view(3, 2), 1, out=x[1:4]),
    "std_out": lambda m, x: m.std(x.view(3, 2), 1, out=x[1:4]),
    "mm_out": lambda m, x: m.mm(x[:4].view(2, 2), x[:4].view(2, 2), out=x[2:].view(2, 2)),
    "fill_0d_view": lambda m, x: x.fill_(x[0]),
    "masked_fill_0d_view": lambda m, x: x.masked_fill_(x > 2, x[0]),
    "index_fill_0d_view": lambda m, x: x.index_fill_(0, m.tensor([1], device=x.device), x[0]),
}


@pytest.mark.parametrize("case", list(_PARTIAL_CASES))
def test_partial_overlap_raises_like_torch(device, case):
    f = _PARTIAL_CASES[case]
    with pytest.raises(RuntimeError, match=PARTIAL):
        f(torch, torch.arange(6.0))
    x = tt.arange(6.0, device=device)
    with pytest.raises(RuntimeError, match=PARTIAL):
        f(tt, x)
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]  # checked before anything is written


# Exempt ops whose overlapping result PyTorch leaves unspecified (it reads what it already wrote):
# only "no error" is compared.
_UNSPECIFIED = {"sum_out", "mean_out", "std_out", "mm_out"}


@pytest.mark.parametrize("case", list(_ALLOWED_CASES))
def test_full_or_unjudged_overlap_is_allowed_like_torch(device, case):
    f = _ALLOWED_CASES[case]
    xt = torch.arange(6.0)
    f(torch, xt)
    x = tt.arange(6.0, device=device)
    f(tt, x)
    if case not in _UNSPECIFIED:
        np.testing.assert_allclose(x.cpu().numpy(), xt.numpy(), rtol=1e-6)


def test_partial_overlap_check_skips_other_storages(device):
    a, b = tt.arange(6.0, device=device), tt.arange(6.0, device=device)
    tt.add(a[1:], b[:-1], out=a[:-1].clone())
    a[:-1].add_(b[1:])
    assert a.tolist() == [1.0, 3.0, 5.0, 7.0, 9.0, 5.0]


# ---- out of memory inside an impl ---------------------------------------------------------------------
@pytest.mark.parametrize("form", ["run", "out", "inplace"])
def test_memory_error_inside_impl_is_out_of_memory_error(device, monkeypatch, form):
    from tritorch import _registry

    op = _registry.OPS["mul"]
    x = tt.ones(3, device=device)
    op.impls.get(device) or _registry.impl_for(op, device)

    def boom(*args, **kwargs):
        raise MemoryError("Unable to allocate 8.00 EiB for an array with shape (1152921504606846976,) and data "
                          "type float64")
    monkeypatch.setitem(op.impls, device, boom)
    with pytest.raises(tt.OutOfMemoryError, match=r"^mul: DefaultCPUAllocator: not enough memory: Unable to "
                                                  r"allocate 8\.00 EiB") as e:
        if form == "run":
            x * 2
        elif form == "out":
            tt.mul(x, 2, out=tt.empty(3, device=device))
        else:
            x.mul_(2)
    assert isinstance(e.value, RuntimeError) and e.value.__cause__ is None
