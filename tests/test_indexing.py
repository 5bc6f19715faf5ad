"""Indexing semantics against PyTorch (CPU) as the oracle: getitem / setitem with basic,
advanced and mixed keys, views sharing storage, version counters, gradients, error
messages; gather / scatter / index_* / masked_* / nonzero; hypothesis properties vs numpy."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st, HealthCheck

import tritorch as tt

RNG = np.random.default_rng(0)
DATA = RNG.standard_normal((3, 4, 5))


def _both(a, **kw):
    return tt.tensor(a, **kw), torch.tensor(a, **{k: getattr(torch, v.name) if isinstance(v, tt.dtype) else v
                                                   for k, v in kw.items()})


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


def _same(a, b):
    assert tuple(a.shape) == tuple(b.shape), (tuple(a.shape), tuple(b.shape))
    np.testing.assert_array_equal(_np(a), _np(b))


# Keys as functions of the library module, so the same key is built for tritorch and torch.
KEYS = {
    "int": lambda m: 1,
    "neg_int": lambda m: -1,
    "int_int": lambda m: (2, -3),
    "slice": lambda m: slice(1, 3),
    "slice_step": lambda m: (slice(None), slice(None, None, 2)),
    "slice_neg_bounds": lambda m: (slice(-2, None), slice(-3, -1)),
    "slice_out_of_range": lambda m: slice(1, 100),
    "empty_slice": lambda m: slice(2, 1),
    "none": lambda m: None,
    "none_mid": lambda m: (0, None, slice(1, 3), None),
    "ellipsis": lambda m: Ellipsis,
    "ellipsis_int": lambda m: (Ellipsis, 2),
    "ellipsis_mid": lambda m: (1, Ellipsis, None, 0),
    "empty_tuple": lambda m: (),
    "int_tensor": lambda m: m.tensor([0, 2, 2]),
    "neg_int_tensor": lambda m: m.tensor([-1, 0]),
    "list": lambda m: [2, 0],
    "empty_list": lambda m: [],
    "tensor_2d": lambda m: m.tensor([[0, 1], [2, 1]]),
    "zero_d_int_tensor": lambda m: m.tensor(1),
    "int32_tensor": lambda m: m.tensor([1, 0], dtype=m.int32),
    "two_tensors_adjacent": lambda m: (slice(None), m.tensor([0, 3]), m.tensor([1, 4])),
    "two_tensors_broadcast": lambda m: (m.tensor([[0], [2]]), m.tensor([1, 3])),
    "tensors_separated": lambda m: (m.tensor([0, 2]), slice(None), m.tensor([1, 4])),
    "int_and_tensor_separated": lambda m: (0, slice(None), m.tensor([1, 4])),
    "tensor_then_slice": lambda m: (m.tensor([1, 0]), slice(1, 3)),
    "slice_tensor_none": lambda m: (slice(None, 2), m.tensor([3, 0]), None),
    "ellipsis_tensor": lambda m: (Ellipsis, m.tensor([4, 0, 1])),
    "list_of_lists": lambda m: [[0, 2], [1, 3]],
    "tuple_list_mix": lambda m: (slice(None), [0, 3]),
    "mask_1d": lambda m: m.tensor([True, False, True]),
    "mask_2d": lambda m: m.tensor(DATA[:, :, 0] > 0),
    "mask_3d": lambda m: m.tensor(DATA > 0.5),
    "mask_after_slice": lambda m: (slice(None), m.tensor([True, False, True, True])),
    "mask_and_tensor": lambda m: (m.tensor([True, False, True]), slice(None), m.tensor([0, 4])),
    "bool_list": lambda m: [True, False, True],
    "true": lambda m: True,
    "false": lambda m: False,
    "zero_d_mask_true": lambda m: m.tensor(True),
    "zero_d_mask_false": lambda m: (m.tensor(False), 1),
    "uint8_mask": lambda m: m.tensor([1, 0, 1], dtype=m.uint8),
}
BASIC = {"int", "neg_int", "int_int", "slice", "slice_step", "slice_neg_bounds", "slice_out_of_range", "empty_slice",
         "none", "none_mid", "ellipsis", "ellipsis_int", "ellipsis_mid", "empty_tuple"}


pytestmark = pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")


@pytest.mark.parametrize("name", list(KEYS))
def test_getitem_matches_torch(name):
    x, xt = _both(DATA)
    if name == "uint8_mask":
        with pytest.warns(UserWarning):
            expected = xt[KEYS[name](torch)]
    else:
        expected = xt[KEYS[name](torch)]
    _same(x[KEYS[name](tt)], expected)


@pytest.mark.parametrize("name", sorted(BASIC))
def test_basic_index_is_a_view_like_torch(name):
    x, xt = _both(DATA)
    y, yt = x[KEYS[name](tt)], xt[KEYS[name](torch)]
    assert y._base is x
    if yt.numel():
        assert y.stride() == yt.stride()
        assert y.storage_offset() == yt.storage_offset()
    y.add_(1) if y.ndim else y.fill_(42.0)
    yt.add_(1) if yt.ndim else yt.fill_(42.0)
    _same(x, xt)


@pytest.mark.parametrize("name", [n for n in KEYS if n not in BASIC and n != "uint8_mask"])
def test_advanced_index_is_a_copy(name):
    x = tt.tensor(DATA)
    y = x[KEYS[name](tt)]
    before = x.clone()
    if y.numel():
        y.fill_(1000.0)
    _same(x, before)


@pytest.mark.parametrize("name", [n for n in KEYS if n != "uint8_mask"])
def test_setitem_matches_torch(name):
    x, xt = _both(DATA)
    target = xt[KEYS[name](torch)].shape
    # A value broadcast along all but the last dim, plus a scalar assignment.
    last = target[-1:] if len(target) else ()
    val = RNG.standard_normal(last)
    x[KEYS[name](tt)] = tt.tensor(val)
    xt[KEYS[name](torch)] = torch.tensor(val)
    _same(x, xt)
    x[KEYS[name](tt)] = -7
    xt[KEYS[name](torch)] = -7
    _same(x, xt)


def test_setitem_bumps_version_and_writes_through_views():
    x = tt.zeros(3, 4)
    v0 = x._version
    x[1] = 5.0
    assert x._version > v0
    y = x[:, 1:3]
    v1 = x._version
    y[0] = tt.tensor([1.0, 2.0])
    assert x._version > v1 and y._version == x._version
    np.testing.assert_array_equal(x.numpy()[0], [0, 1, 2, 0])
    x[tt.tensor([0, 2]), 3] = 9.0
    assert x[0, 3].item() == 9.0 and x[2, 3].item() == 9.0
    y[...] = 3
    np.testing.assert_array_equal(x.numpy()[:, 1:3], np.full((3, 2), 3.0))


def test_setitem_casts_and_strips_leading_ones():
    x, xt = _both(np.zeros((3, 4), np.int64))
    x[0] = tt.tensor([[1.7, 2.2, 3.9, 4.0]])
    xt[0] = torch.tensor([[1.7, 2.2, 3.9, 4.0]])
    _same(x, xt)
    x[1:] = True
    xt[1:] = True
    _same(x, xt)


def test_setitem_advanced_with_duplicates_last_value_in_range():
    x = tt.zeros(4)
    x[tt.tensor([1, 1, 2])] = tt.tensor([5.0, 6.0, 7.0])
    assert x[1].item() in (5.0, 6.0) and x[2].item() == 7.0 and x[0].item() == 0.0


def test_index_put_accumulate_matches_torch():
    x, xt = _both(DATA[0])
    idx = ([0, 0, 2, 1], [1, 1, 3, 4])
    v = RNG.standard_normal(4)
    r = x.index_put((tt.tensor(idx[0]), tt.tensor(idx[1])), tt.tensor(v), accumulate=True)
    rt = xt.index_put((torch.tensor(idx[0]), torch.tensor(idx[1])), torch.tensor(v), accumulate=True)
    np.testing.assert_allclose(_np(r), _np(rt))
    m = DATA[0] > 0
    x.index_put_((tt.tensor(m),), tt.tensor(1.5, dtype=tt.float64))
    xt.index_put_((torch.tensor(m),), torch.tensor(1.5, dtype=torch.float64))
    _same(x, xt)
    x2, xt2 = _both(DATA[0])
    x2.index_put_((None, tt.tensor([0, 4])), tt.tensor([1.0, 2.0], dtype=tt.float64), accumulate=True)
    xt2[:, torch.tensor([0, 4])] += torch.tensor([1.0, 2.0], dtype=torch.float64)
    np.testing.assert_allclose(_np(x2), _np(xt2))


# ---- autograd ------------------------------------------------------------------------------------
GRAD_KEYS = ["int", "int_int", "slice_step", "none_mid", "ellipsis_mid", "int_tensor", "tensor_2d",
             "two_tensors_broadcast", "tensors_separated", "int_and_tensor_separated", "mask_2d", "mask_and_tensor",
             "zero_d_mask_true", "empty_list"]


@pytest.mark.parametrize("name", GRAD_KEYS)
def test_getitem_grad_matches_torch(name):
    x, xt = _both(DATA, requires_grad=True)
    y, yt = x[KEYS[name](tt)], xt[KEYS[name](torch)]
    w = RNG.standard_normal(tuple(yt.shape))
    (y * tt.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(_np(x.grad), _np(xt.grad))


@pytest.mark.parametrize("name", GRAD_KEYS)
def test_setitem_grad_matches_torch(name):
    x, xt = _both(DATA, requires_grad=True)
    target = tuple(xt[KEYS[name](torch)].shape)
    vshape = target[-1:] if target else ()
    v, vt = _both(RNG.standard_normal(vshape), requires_grad=True)
    y, yt = x * 2, xt * 2
    y[KEYS[name](tt)] = v * 3
    yt[KEYS[name](torch)] = vt * 3
    w = RNG.standard_normal(DATA.shape)
    (y * tt.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(_np(x.grad), _np(xt.grad))
    if name in ("int_tensor", "tensor_2d", "two_tensors_broadcast"):
        return  # duplicate indices: torch's value gradient depends on its write order
    np.testing.assert_allclose(_np(v.grad), _np(vt.grad))


def test_grad_fn_names_like_torch():
    x = tt.zeros(3, 4, requires_grad=True).clone()
    assert x[0].grad_fn.name() == "SelectBackward0"
    assert x[0, 1:3].grad_fn.name() == "SliceBackward0"
    assert x[...].grad_fn.name() == "AliasBackward0"
    assert x[None].grad_fn.name() == "UnsqueezeBackward0"
    assert x[[0, 1]].grad_fn.name() == "IndexBackward0"
    x[0] = 1.0
    assert x.grad_fn.name() == "CopySlices"


def test_index_double_backward():
    x = tt.tensor(DATA[0], requires_grad=True)
    idx = (tt.tensor([0, 0, 2]), tt.tensor([1, 1, 4]))
    assert tt.autograd.gradgradcheck(lambda a: a[idx] ** 2, (x,))
    assert tt.autograd.gradgradcheck(lambda a: a[a.detach() > 0] ** 2, (x,))


def test_setitem_on_leaf_requiring_grad_raises():
    x = tt.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x[0] = 1.0
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[1:][0] = 1.0
    with tt.no_grad():
        x[0] = 2.0
    assert x[0].item() == 2.0


def test_setitem_saved_tensor_modified_is_detected():
    x = tt.ones(3, requires_grad=True)
    y = x * 1
    z = y.exp()
    z[0] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


# ---- errors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key,exc,msg", [
    (5, IndexError, r"index 5 is out of bounds for dimension 0 with size 3"),
    ((0, 10), IndexError, r"index 10 is out of bounds for dimension 1 with size 4"),
    ((0, 0, 0, 0), IndexError, r"too many indices for tensor of dimension 3"),
    (slice(None, None, -1), ValueError, r"step must be greater than zero"),
    (1.0, IndexError, r"only integers, slices .* are valid indices \(got float\)"),
])
def test_getitem_errors(key, exc, msg):
    x, xt = _both(DATA)
    with pytest.raises(exc, match=msg):
        x[key]
    with pytest.raises(exc, match=msg):
        xt[key]


def test_tensor_index_errors():
    x = tt.tensor(DATA)
    with pytest.raises(IndexError, match=r"index 5 is out of bounds for dimension 0 with size 3"):
        x[tt.tensor([5])]
    with pytest.raises(IndexError, match=r"index -6 is out of bounds for dimension 1 with size 4"):
        x[:, tt.tensor([0, -6])]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        x[tt.tensor([1.0])]
    with pytest.raises(IndexError, match=r"shape mismatch: indexing tensors could not be broadcast together with "
                                         r"shapes \[2\], \[3\]"):
        x[tt.tensor([0, 1]), tt.tensor([0, 1, 2])]
    with pytest.raises(IndexError, match=r"The shape of the mask \[2\] at index 0 does not match the shape of the "
                                         r"indexed tensor \[3, 4, 5\] at index 0"):
        x[tt.tensor([True, False])]
    assert x[..., ...].shape == x.shape  # several ellipses: PyTorch's rule (tests/test_edge_indexing.py)
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        tt.tensor(1.0)[0]
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[3\] cannot be broadcast to "
                                           r"indexing result of shape \[2, 4, 5\]"):
        x[[0, 1]] = tt.ones(3, dtype=tt.float64)
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[3\] cannot be broadcast"):
        x[0] = tt.ones(3, dtype=tt.float64)
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match"):
        x.index_put_((tt.tensor([0]),), tt.ones(1))
    assert x[np.array([0.5])].shape == (1, 4, 5)  # a float array truncates to int64, as in PyTorch
    with pytest.raises(TypeError, match="can't assign a str"):
        x[0] = "a"


def test_zero_d_and_empty_tensors():
    x, xt = _both(np.array(3.5))
    _same(x[...], xt[...])
    _same(x[None], xt[None])
    _same(x[True], xt[True])
    x[...] = 2.0
    assert x.item() == 2.0
    e, et = _both(np.zeros((0, 3)))
    _same(e[:, 1], et[:, 1])
    _same(e[tt.tensor([], dtype=tt.int64)], et[torch.tensor([], dtype=torch.int64)])
    _same(e[e > 0], et[et > 0])
    with pytest.raises(IndexError, match="index 0 is out of bounds for dimension 0 with size 0"):
        e[0]


# ---- gather / scatter family vs torch -------------------------------------------------------------------
def _idx(a):
    return tt.tensor(a), torch.tensor(a)


def test_gather_scatter_match_torch():
    x, xt = _both(DATA[0])
    i, it = _idx([[0, 4], [1, 1], [3, 2]])
    _same(x.gather(1, i), xt.gather(1, it))
    _same(tt.gather(x, -1, i[:2]), torch.gather(xt, -1, it[:2]))
    i0, i0t = _idx([[2, 0, 1, 0]])
    _same(x.gather(0, i0), xt.gather(0, i0t))
    src, srct = _both(RNG.standard_normal((3, 5)))
    _same(x.scatter(1, i, src), xt.scatter(1, it, srct))
    _same(x.scatter(1, i, 2.5), xt.scatter(1, it, 2.5))
    _same(x.scatter(0, i0, src, reduce="add"), xt.scatter(0, i0t, srct, reduce="add"))
    _same(x.scatter(0, i0, src, reduce="multiply"), xt.scatter(0, i0t, srct, reduce="multiply"))
    dup, dupt = _idx([[0, 0, 0], [1, 1, 1]])
    np.testing.assert_allclose(_np(x.scatter_add(1, dup, src)), _np(xt.scatter_add(1, dupt, srct)))
    y, yt = x.clone(), xt.clone()
    y.scatter_(1, i, src)
    yt.scatter_(1, it, srct)
    _same(y, yt)
    y.scatter_add_(0, i0, src)
    yt.scatter_add_(0, i0t, srct)
    np.testing.assert_allclose(_np(y), _np(yt))
    out = tt.empty(0, dtype=tt.float64)
    tt.gather(x, 1, i, out=out)
    _same(out, xt.gather(1, it))


def test_index_select_add_fill_match_torch():
    x, xt = _both(DATA)
    i, it = _idx([2, 0, 2])
    _same(x.index_select(1, i), xt.index_select(1, it))
    _same(tt.index_select(x, -1, i.int()), torch.index_select(xt, -1, it.int()))
    src, srct = _both(RNG.standard_normal((3, 3, 5)))
    np.testing.assert_allclose(_np(x.index_add(1, i, src, alpha=2)), _np(xt.index_add(1, it, srct, alpha=2)))
    _same(x.index_fill(2, i, -1.0), xt.index_fill(2, it, -1.0))
    y, yt = x.clone(), xt.clone()
    y.index_add_(1, i, src)
    yt.index_add_(1, it, srct)
    np.testing.assert_allclose(_np(y), _np(yt))
    y.index_fill_(0, tt.tensor([1]), tt.tensor(3.0, dtype=tt.float64))
    yt.index_fill_(0, torch.tensor([1]), torch.tensor(3.0, dtype=torch.float64))
    np.testing.assert_allclose(_np(y), _np(yt))


def test_masked_ops_and_take_match_torch():
    x, xt = _both(DATA)
    m, mt = _both(DATA[0] > 0)
    _same(x.masked_fill(m, 0.5), xt.masked_fill(mt, 0.5))
    _same(x.masked_fill(m[0], tt.tensor(2.0)), xt.masked_fill(mt[0], torch.tensor(2.0)))
    _same(tt.masked_select(x, m), torch.masked_select(xt, mt))
    _same(x[0, 0].masked_select(m), xt[0, 0].masked_select(mt))  # input broadcast to the mask
    y, yt = x.clone(), xt.clone()
    y.masked_fill_(m, -1)
    yt.masked_fill_(mt, -1)
    _same(y, yt)
    i, it = _idx([[[0, 4]], [[1, 1]], [[2, 3]]])
    _same(tt.take_along_dim(x, i, 2), torch.take_along_dim(xt, it, 2))
    _same(tt.take_along_dim(x, tt.tensor([0, 59]), None), torch.take_along_dim(xt, torch.tensor([0, 59])))
    k, kt = _idx([[0, -1], [7, 3]])
    _same(x.take(k), xt.take(kt))


def test_nonzero_argwhere_where_match_torch():
    x, xt = _both((DATA > 0.3).astype(np.int64))
    _same(x.nonzero(), xt.nonzero())
    _same(tt.argwhere(x), torch.argwhere(xt))
    for a, b in zip(tt.nonzero(x, as_tuple=True), torch.nonzero(xt, as_tuple=True)):
        _same(a, b)
    for a, b in zip(tt.where(x > 0), torch.where(xt > 0)):
        _same(a, b)
    z, zt = _both(np.array(2.0))
    _same(z.nonzero(), zt.nonzero())
    for a, b in zip(z.nonzero(as_tuple=True), zt.nonzero(as_tuple=True)):
        _same(a, b)
    out = tt.empty(0, dtype=tt.int64)
    tt.nonzero(x, out=out)
    _same(out, xt.nonzero())


D2 = DATA[:, 0, :]  # (3, 5)
F32 = tt.ones(1, 1)
ONES = tt.ones(1, 1, dtype=tt.float64)


@pytest.mark.parametrize("call,exc,msg", [
    (lambda x: x.gather(1, tt.tensor([[0]], dtype=tt.int32)), RuntimeError,
     r"gather\(\): Expected dtype int64 for index"),
    (lambda x: x.gather(1, tt.tensor([[5]])), RuntimeError, r"^index 5 is out of bounds for dimension 1 with size 5$"),
    (lambda x: x.gather(1, tt.tensor([0])), RuntimeError, "Index tensor must have the same number of dimensions"),
    (lambda x: x.gather(1, tt.zeros(4, 1, dtype=tt.int64)), RuntimeError, "Size does not match at dimension 0"),
    (lambda x: x.scatter(1, tt.tensor([[7]]), 1.0), RuntimeError,
     r"^index 7 is out of bounds for dimension 1 with size 5$"),
    (lambda x: x.scatter(1, tt.tensor([[0]]), 1.0, reduce="max"), RuntimeError,
     "reduce argument must be either add or multiply"),
    (lambda x: x.scatter_add(0, tt.tensor([[-1]]), ONES), RuntimeError, r"^index -1 is out of bounds"),
    (lambda x: x.scatter(1, tt.tensor([[0]]), F32), RuntimeError, "Expected self.dtype to be equal to src.dtype"),
    (lambda x: x.index_select(0, tt.tensor([3])), IndexError, r"^index out of range in self$"),
    (lambda x: x.index_select(0, tt.tensor([[0]])), IndexError, "Index is supposed to be a vector"),
    (lambda x: x.index_select(0, tt.tensor([0.0])), RuntimeError, "Expected dtype int32 or int64 for index"),
    (lambda x: x.index_add(1, tt.tensor([9]), tt.ones(3, 1, dtype=tt.float64)), RuntimeError,
     r"^index 9 is out of bounds for dimension 1 with size 5$"),
    (lambda x: x.index_add(1, tt.tensor([0]), tt.ones(3, 1)), RuntimeError,
     r"self \(float64\) and source \(float32\) must have the same scalar type"),
    (lambda x: x.index_add(1, tt.tensor([0]), tt.ones(3, 2, dtype=tt.float64)), RuntimeError,
     r"source of shape \[3, 2\] does not match self of shape \[3, 5\]"),
    (lambda x: x.index_fill(1, tt.tensor([0]), tt.ones(2)), RuntimeError, "only supports a 0-dimensional value tensor"),
    (lambda x: x.masked_fill(tt.ones(3, 5), 1.0), RuntimeError, "only supports boolean masks"),
    (lambda x: x.masked_fill(tt.ones(4, 5, dtype=tt.bool), 1.0), RuntimeError, r"size of tensor a \(3\) must match"),
    (lambda x: x.take(tt.tensor([15])), IndexError, "index 15 is out of bounds for dimension 0 with size 15"),
    (lambda x: x.take(tt.tensor([1], dtype=tt.int32)), RuntimeError, "Expected a long tensor for index"),
    (lambda x: tt.take_along_dim(x, tt.tensor([0]), 1), RuntimeError, "should have the same number of dimensions"),
])
def test_gather_family_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call(tt.tensor(D2))


def test_gather_family_grads_match_torch():
    x, xt = _both(D2, requires_grad=True)
    src, srct = _both(RNG.standard_normal((3, 3)), requires_grad=True)
    s5, s5t = _both(RNG.standard_normal((3, 5)), requires_grad=True)
    i, it = _idx([[0, 4, 4], [1, 1, 2], [3, 0, 0]])
    j, jt = _idx([0, 2, 0])
    m, mt = _both(D2 > 0)
    outs = [x.gather(1, i), x.scatter(1, i, src), x.scatter_add(1, i, src), x.index_select(1, j),
            x.index_add(0, j, s5, alpha=0.5), x.index_fill(1, j, 2.0), x.masked_fill(m, 1.0), x.masked_select(m),
            tt.take_along_dim(x, i, 1), x.take(i), x.scatter(1, i, 3.0)]
    outs_t = [xt.gather(1, it), xt.scatter(1, it, srct), xt.scatter_add(1, it, srct), xt.index_select(1, jt),
              xt.index_add(0, jt, s5t, alpha=0.5), xt.index_fill(1, jt, 2.0), xt.masked_fill(mt, 1.0),
              xt.masked_select(mt), torch.take_along_dim(xt, it, 1), xt.take(it), xt.scatter(1, it, 3.0)]
    for k, (o, ot) in enumerate(zip(outs, outs_t)):
        w = RNG.standard_normal(tuple(ot.shape))
        (o * tt.tensor(w)).sum().backward()
        (ot * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(_np(x.grad), _np(xt.grad), err_msg=str(k))
    np.testing.assert_allclose(_np(src.grad), _np(srct.grad))
    np.testing.assert_allclose(_np(s5.grad), _np(s5t.grad))


def test_scatter_src_larger_than_index_grad():
    """tritorch pads the src gradient (torch rejects this case in backward)."""
    src = tt.tensor(RNG.standard_normal((2, 4)), requires_grad=True)
    x = tt.zeros(2, 3, dtype=tt.float64)
    x.scatter(1, tt.tensor([[2], [0]]), src).sum().backward()
    np.testing.assert_array_equal(src.grad.numpy(), [[1, 0, 0, 0], [1, 0, 0, 0]])


def test_inplace_scatter_with_autograd_rebases_history():
    x = tt.tensor(D2, requires_grad=True)
    y = x * 1
    y.scatter_(1, tt.tensor([[0], [1], [2]]), 0.0)
    y.masked_fill_(tt.tensor(D2 > 1), 0.0)
    y.sum().backward()
    expected = np.ones((3, 5))
    expected[[0, 1, 2], [0, 1, 2]] = 0
    expected[D2 > 1] = 0
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x.index_fill_(0, tt.tensor([0]), 1.0)


def test_gather_double_backward():
    x = tt.tensor(DATA[0], requires_grad=True)
    i = tt.tensor([[0, 0], [4, 1]])
    assert tt.autograd.gradgradcheck(lambda a: a.gather(1, i) ** 2, (x,))
    assert tt.autograd.gradgradcheck(lambda a: a.index_select(1, i[0]) ** 2, (x,))


# ---- hypothesis properties vs numpy ------------------------------------------------------------------
@st.composite
def _basic_case(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
    key, d = [], 0
    ell = False
    while d < len(shape) and draw(st.booleans()):
        kind = draw(st.sampled_from(["int", "slice", "none", "ellipsis"]))
        if kind == "int" and shape[d] > 0:
            key.append(draw(st.integers(-shape[d], shape[d] - 1)))
            d += 1
        elif kind == "slice":
            lo = draw(st.none() | st.integers(-6, 6))
            hi = draw(st.none() | st.integers(-6, 6))
            key.append(slice(lo, hi, draw(st.none() | st.integers(1, 3))))
            d += 1
        elif kind == "none":
            key.append(None)
        elif kind == "ellipsis" and not ell:
            key.append(Ellipsis)
            ell = True
            d = len(shape)  # the ellipsis swallows the dims not indexed yet
    return shape, tuple(key)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_basic_case())
def test_basic_indexing_matches_numpy(case):
    shape, key = case
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    x = tt.tensor(a)
    y = x[key]
    ref = a[key]
    assert tuple(y.shape) == ref.shape
    np.testing.assert_array_equal(y.numpy(), ref)
    if y.numel():
        y.fill_(-1.0)  # a view: writes reach the base
        a[key] = -1.0
        np.testing.assert_array_equal(x.numpy(), a)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_integer_array_indexing_matches_numpy(shape, data):
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    d = data.draw(st.integers(0, len(shape) - 1))
    n = shape[d]
    ishape = tuple(data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=2)))
    idx = np.asarray(data.draw(st.lists(st.integers(-n, n - 1), min_size=int(np.prod(ishape)),
                                        max_size=int(np.prod(ishape))))).reshape(ishape).astype(np.int64)
    key = (slice(None),) * d + (idx,)
    x = tt.tensor(a)
    np.testing.assert_array_equal(x[(slice(None),) * d + (tt.tensor(idx),)].numpy(), a[key])
    v = data.draw(st.floats(-5, 5, allow_nan=False))
    x[(slice(None),) * d + (tt.tensor(idx),)] = v
    a[key] = v
    np.testing.assert_array_equal(x.numpy(), a)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=3), st.integers(0, 2 ** 31))
def test_mask_indexing_matches_numpy(shape, seed):
    r = np.random.default_rng(seed)
    a = r.standard_normal(shape)
    k = r.integers(1, len(shape) + 1)
    m = (r.random(tuple(shape[:k])) > 0.5)
    x = tt.tensor(a)
    np.testing.assert_array_equal(x[tt.tensor(m)].numpy(), a[m])
    x[tt.tensor(m)] = 0.0
    a[m] = 0.0
    np.testing.assert_array_equal(x.numpy(), a)


def test_augmented_assignment_grads_match_torch():
    """``y[k] op= v`` runs getitem, an in-place op on the result and setitem: history must chain."""
    grads = []
    for lib in (tt, torch):
        x = lib.tensor(D2, requires_grad=True)
        v = lib.tensor(D2[0], requires_grad=True)
        y = x * 2
        y[0] += v
        y[lib.tensor([1, 2])] *= 3
        y[:, 1] -= y[:, 2].clone()
        (y ** 2).sum().backward()
        grads.append((_np(x.grad), _np(v.grad), _np(y)))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_setitem_through_chained_view_rebases_base_history():
    import torch
    grads = []
    for lib in (tt, torch):
        x = lib.tensor([[1., 2, 3], [4, 5, 6]], requires_grad=True)
        v = lib.tensor(3., requires_grad=True)
        y = x * 2
        y[0][1] = v * 2          # write through a view of y
        z = y[:, 1]
        z.mul_(2)                # in-place on another view
        (y * y).sum().backward()
        grads.append((x.grad.detach().numpy().copy(), v.grad.item()))
    np.testing.assert_allclose(grads[0][0], grads[1][0])
    assert grads[0][1] == pytest.approx(grads[1][1])


def test_functional_non_tensor_input_is_a_type_error():
    # Regression: the functionals reached Tensor attributes before the meta's check (AttributeError).
    idx = tt.tensor([0])
    for name, args in (("gather", (0, idx)), ("index_select", (0, idx)), ("scatter", (0, idx, idx)),
                       ("scatter_add", (0, idx, idx)), ("index_add", (0, idx, idx)), ("index_fill", (0, idx, 1.0))):
        with pytest.raises(TypeError, match=r"argument 'input' (\(position 1\) )?must be Tensor, not int"):
            getattr(tt, name)(1, *args)
        with pytest.raises(TypeError):
            getattr(torch, name)(1, *args)
