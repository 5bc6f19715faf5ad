"""local_response_norm, bilinear, pixel_shuffle / pixel_unshuffle / channel_shuffle, max_unpool1d/2d/3d,
embedding_bag and embedding's max_norm vs PyTorch CPU (outputs, gradients, errors) on both devices."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tritorch as tt
import tritorch.nn.functional as F


def _pair(a, device, requires_grad=True):
    return tt.tensor(a, device=device, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _check(y, yt, ins, ins_t, rtol=1e-10, atol=1e-12, seed=0):
    np.testing.assert_allclose(y.detach().cpu().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(seed).uniform(-1, 1, tuple(yt.shape))
    gs = tt.autograd.grad(y, ins, tt.tensor(g, device=y.device))
    gts = torch.autograd.grad(yt, ins_t, torch.tensor(g))
    for a, b in zip(gs, gts):
        np.testing.assert_allclose(a.cpu().numpy(), b.numpy(), rtol=rtol, atol=atol)


# ---- local_response_norm ----------------------------------------------------------------------
@pytest.mark.parametrize("shape,size,kw", [((2, 5, 4), 3, {}), ((2, 6, 3, 4), 2, {"alpha": 0.1, "beta": 0.5, "k": 2.0}),
                                           ((1, 4, 2, 3, 2), 5, {"alpha": 1e-2})], ids=["3d", "4d", "5d"])
def test_local_response_norm(device, shape, size, kw):
    a = np.random.default_rng(1).uniform(-2, 2, shape)
    (x, xt) = _pair(a, device)
    _check(F.local_response_norm(x, size, **kw), TF.local_response_norm(xt, size, **kw), (x,), (xt,))


def test_local_response_norm_edges(device):
    with pytest.raises(ValueError, match=r"Expected 3D or higher dimensionality\s+input \(got 2 dimensions\)"):
        F.local_response_norm(tt.zeros(2, 3, device=device), 2)
    e = tt.zeros(0, 3, 4, device=device)
    assert F.local_response_norm(e, 2) is e


# ---- bilinear ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lead,bias", [((4,), True), ((2, 3), False), ((), True)], ids=["2d", "3d-nobias", "1d"])
def test_bilinear(device, lead, bias):
    rng = np.random.default_rng(2)
    x1, x1t = _pair(rng.standard_normal(lead + (3,)), device)
    x2, x2t = _pair(rng.standard_normal(lead + (4,)), device)
    w, wt = _pair(rng.standard_normal((5, 3, 4)), device)
    ins, ins_t = [x1, x2, w], [x1t, x2t, wt]
    b = bt = None
    if bias:
        b, bt = _pair(rng.standard_normal(5), device)
        ins.append(b)
        ins_t.append(bt)
    _check(F.bilinear(x1, x2, w, b), TF.bilinear(x1t, x2t, wt, bt), ins, ins_t)


def test_bilinear_errors(device):
    W, b = tt.zeros(5, 3, 4, device=device), tt.zeros(5, device=device)
    z = lambda *s: tt.zeros(*s, device=device)  # noqa: E731
    for args, msg in [((z(2, 3), z(2, 1, 4), W, b), "input dimensions do not match: got 2 and 3"),
                      ((z(2, 3), z(3, 4), W, b), "input batch dimensions do not match at dim 0: got 2 and 3"),
                      ((z(2, 2), z(2, 4), W, b), "input1 size does not match weight size: got 2 but expected 3"),
                      ((z(2, 3), z(2, 5), W, b), "input2 size does not match weight size: got 5 but expected 4"),
                      ((z(2, 3), z(2, 4), W, z(4)), "bias size does not match weight size: got 4 but expected 5")]:
        with pytest.raises(RuntimeError, match="bilinear\\(\\): " + msg):
            F.bilinear(*args)
    with pytest.raises(RuntimeError, match="All tensors must have the same dtype, got input1: float, input2: float, "
                                           "weight: double"):
        F.bilinear(z(2, 3), z(2, 4), W.double())


# ---- pixel shuffle / unshuffle, channel shuffle -----------------------------------------------------
@pytest.mark.parametrize("shape,r", [((1, 8, 2, 3), 2), ((2, 3, 9, 2, 2), 3), ((18, 1, 2), 3)], ids=["4d", "5d", "3d"])
def test_pixel_shuffle_roundtrip(device, shape, r):
    a = np.random.default_rng(3).standard_normal(shape)
    x, xt = _pair(a, device)
    y, yt = F.pixel_shuffle(x, r), TF.pixel_shuffle(xt, r)
    _check(y, yt, (x,), (xt,))
    u = F.pixel_unshuffle(y, r)
    np.testing.assert_array_equal(u.detach().cpu().numpy(), a)
    x2, x2t = _pair(np.ascontiguousarray(yt.detach().numpy()), device)
    _check(F.pixel_unshuffle(x2, r), TF.pixel_unshuffle(x2t, r), (x2,), (x2t,))


@pytest.mark.parametrize("shape,g", [((2, 6, 3), 3), ((1, 8, 2, 2), 2), ((2, 4), 2), ((1, 6, 1, 2, 2), 6)],
                         ids=["3d", "4d", "2d-err", "5d"])
def test_channel_shuffle(device, shape, g):
    a = np.random.default_rng(4).standard_normal(shape)
    x, xt = _pair(a, device)
    if len(shape) <= 2:
        with pytest.raises(RuntimeError, match=r"channel_shuffle expects input with > 2 dims, but got input with "
                                               r"sizes \[2, 4\]"):
            F.channel_shuffle(x, g)
        return
    _check(F.channel_shuffle(x, g), TF.channel_shuffle(xt, g), (x,), (xt,))
    assert F.native_channel_shuffle is F.channel_shuffle


def test_shuffle_errors(device):
    z = lambda *s: tt.zeros(*s, device=device)  # noqa: E731
    cases = [(lambda: F.pixel_shuffle(z(1, 6, 2, 2), 2),
              "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, "
              "but input.size(-3)=6 is not divisible by 4"),
             (lambda: F.pixel_shuffle(z(6, 2), 2), "pixel_shuffle expects input to have at least 3 dimensions, but got "
                                                   "input with 2 dimension(s)"),
             (lambda: F.pixel_shuffle(z(1, 4, 2, 2), 0), "pixel_shuffle expects a positive upscale_factor, but got 0"),
             (lambda: F.pixel_unshuffle(z(1, 1, 3, 4), 2), "pixel_unshuffle expects height to be divisible by "
                                                           "downscale_factor, but input.size(-2)=3 is not divisible by 2"),
             (lambda: F.pixel_unshuffle(z(1, 1, 4, 3), 2), "pixel_unshuffle expects width to be divisible by "
                                                           "downscale_factor, but input.size(-1)=3 is not divisible by 2"),
             (lambda: F.pixel_unshuffle(z(1, 1, 4, 4), -1), "pixel_unshuffle expects a positive downscale_factor, but "
                                                            "got -1"),
             (lambda: F.channel_shuffle(z(1, 6, 2, 2), 4), "Number of channels must be divisible by groups. Got 6 "
                                                           "channels and 4 groups."),
             (lambda: F.channel_shuffle(z(1, 6, 2, 2), 0), "Number of groups to divide channels in must be positive. "
                                                           "Value of groups:0")]
    for fn, msg in cases:
        with pytest.raises(RuntimeError) as e:
            fn()
        assert str(e.value) == msg


# ---- max_unpool ---------------------------------------------------------------------------------
@pytest.mark.parametrize("D,shape,kw", [(1, (2, 3, 8), {"kernel_size": 2}), (1, (3, 7), {"kernel_size": 3, "stride": 2}),
                                        (2, (2, 2, 4, 6), {"kernel_size": 2}),
                                        (2, (2, 5, 5), {"kernel_size": 3, "stride": 2, "padding": 1}),
                                        (3, (1, 2, 4, 4, 4), {"kernel_size": 2})],
                         ids=["1d", "1d-unbatched-stride", "2d", "2d-unbatched-pad", "3d"])
def test_max_unpool(device, D, shape, kw):
    a = np.random.default_rng(5).standard_normal(shape)
    pool = getattr(TF, f"max_pool{D}d")
    v, i = pool(torch.tensor(a), return_indices=True, **kw)
    x, xt = _pair(v.numpy(), device)
    idx = tt.tensor(i.numpy(), device=device)
    unpool, unpool_t = getattr(F, f"max_unpool{D}d"), getattr(TF, f"max_unpool{D}d")
    _check(unpool(x, idx, **kw), unpool_t(xt, i, **kw), (x,), (xt,))
    out_size = [s + 1 for s in unpool_t(xt, i, **kw).shape[-D:]]
    _check(unpool(x, idx, output_size=out_size, **kw), unpool_t(xt, i, output_size=out_size, **kw), (x,), (xt,))


def test_max_unpool_errors(device):
    x = tt.zeros(1, 2, 2, 2, device=device)
    i = tt.tensor(np.array([[[[0, 3], [9, 15]], [[1, 2], [4, 5]]]]), device=device)
    with pytest.raises(RuntimeError, match=r"Found an invalid max index: 25 \(output volumes are of size 4x4"):
        F.max_unpool2d(x, i + 20, 2)
    with pytest.raises(RuntimeError, match=r"Found an invalid max index: -15 \(output volumes are of size 4x4"):
        F.max_unpool2d(x, i - 20, 2)
    with pytest.raises(RuntimeError, match="elements in indices should be type int64 but got: Int"):
        F.max_unpool2d(x, i.int(), 2)
    with pytest.raises(RuntimeError, match=r"Expected shape of indices to be same as that of the input tensor "
                                           r"\(\[1, 2, 2, 2\]\) but got indices tensor with shape: \[1, 2, 2, 1\]"):
        F.max_unpool2d(x, i[..., :1], 2)
    with pytest.raises(RuntimeError, match="Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor "
                                           "with 2 dimensions."):
        F.max_unpool2d(x[0, 0], i[0, 0], 2)
    with pytest.raises(RuntimeError, match="Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor "
                                           "with 3 dimensions."):
        F.max_unpool3d(x[0], i[0], 2)
    with pytest.raises(RuntimeError, match=r"Found an invalid max index: 15 \(output volumes are of size 4x1"):
        F.max_unpool1d(x[0, 0], i[0, 0], 2)
    with pytest.raises(ValueError, match=r'invalid output_size "\(7, 5\)" \(dim 0 must be between 2 and 6\)'):
        F.max_unpool2d(x, i, 2, output_size=(7, 5))
    with pytest.raises(ValueError, match="output_size should be a sequence containing 2 or 4 elements, but it has "
                                         "a length of '3'"):
        F.max_unpool2d(x, i, 2, output_size=(4, 4, 4))
    with pytest.raises(NotImplementedError, match="\"max_unpool2d\" not implemented for 'Long'"):
        F.max_unpool2d(i, i, 2)
    e = F.max_unpool2d(tt.zeros(0, 2, 2, 2, device=device), tt.zeros(0, 2, 2, 2, dtype=tt.int64, device=device), 2)
    assert tuple(e.shape) == (0, 2, 4, 4)


# ---- embedding_bag ------------------------------------------------------------------------------
_W = np.random.default_rng(6).standard_normal((8, 5))
_IDX = np.array([1, 3, 1, 7, 0, 2, 2, 5, 4, 6])
_OFF = np.array([0, 3, 3, 7])
BAG_CASES = [("sum", {}), ("mean", {}), ("max", {}), ("sum", {"padding_idx": 2}), ("mean", {"padding_idx": 1}),
             ("max", {"padding_idx": -8}), ("sum", {"psw": True}), ("sum", {"psw": True, "padding_idx": 2}),
             ("sum", {"include_last_offset": True}),
             ("mean", {"include_last_offset": True, "padding_idx": 1}), ("max", {"include_last_offset": True})]


@pytest.mark.parametrize("mode,kw", BAG_CASES, ids=[f"{m}-{'-'.join(kw)}" for m, kw in BAG_CASES])
def test_embedding_bag_1d(device, mode, kw):
    kw = dict(kw)
    w, wt = _pair(_W, device)
    ins, ins_t = [w], [wt]
    if kw.pop("psw", False):
        p, pt = _pair(np.random.default_rng(7).standard_normal(_IDX.shape), device)
        kw["per_sample_weights"] = p
        ins.append(p)
        ins_t.append(pt)
    kwt = {k: (pt if k == "per_sample_weights" else v) for k, v in kw.items()}
    y = F.embedding_bag(tt.tensor(_IDX, device=device), w, tt.tensor(_OFF, device=device), mode=mode, **kw)
    yt = TF.embedding_bag(torch.tensor(_IDX), wt, torch.tensor(_OFF), mode=mode, **kwt)
    _check(y, yt, ins, ins_t)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d_float32_int32(device, mode):
    a = np.array([[1, 4, 4], [0, 7, 2]], dtype=np.int32)
    w, wt = _pair(_W.astype(np.float32), device)
    y = F.embedding_bag(tt.tensor(a, device=device), w, mode=mode)
    yt = TF.embedding_bag(torch.tensor(a), wt, mode=mode)
    assert y.dtype is tt.float32
    _check(y, yt, (w,), (wt,), rtol=1e-6, atol=1e-6)


def test_embedding_bag_scale_grad_by_freq(device):
    """Against torch's F.embedding(scale_grad_by_freq=True) summed per bag (torch's own embedding_bag
    miscounts frequencies on cpu, see tritorch/_ops/sparse.py)."""
    w, wt = _pair(_W, device)
    y = F.embedding_bag(tt.tensor(_IDX, device=device), w, tt.tensor(_OFF, device=device), mode="sum",
                        scale_grad_by_freq=True)
    rows = TF.embedding(torch.tensor(_IDX), wt, scale_grad_by_freq=True)
    yt = torch.stack([rows[a:b].sum(0) for a, b in zip(_OFF, list(_OFF[1:]) + [len(_IDX)])])
    _check(y, yt, (w,), (wt,))


def test_embedding_bag_double_backward_and_gradcheck():
    w = tt.tensor(_W, requires_grad=True)
    p = tt.tensor(np.random.default_rng(8).standard_normal(_IDX.shape), requires_grad=True)
    idx, off = tt.tensor(_IDX), tt.tensor(_OFF)
    assert tt.autograd.gradcheck(lambda a, b: F.embedding_bag(idx, a, off, mode="sum", per_sample_weights=b), (w, p))
    assert tt.autograd.gradcheck(lambda a: F.embedding_bag(idx, a, off, mode="mean"), (w,))
    assert tt.autograd.gradgradcheck(lambda a, b: F.embedding_bag(idx, a, off, mode="sum", per_sample_weights=b),
                                     (w, p))


def test_embedding_bag_max_norm(device):
    a = _W * 3
    w = tt.tensor(a, device=device)
    wt = torch.tensor(a)
    y = F.embedding_bag(tt.tensor(_IDX[:5], device=device), w, tt.tensor([0, 2], device=device), max_norm=1.5)
    yt = TF.embedding_bag(torch.tensor(_IDX[:5]), wt, torch.tensor([0, 2]), max_norm=1.5)
    np.testing.assert_allclose(y.cpu().numpy(), yt.numpy(), rtol=1e-10)
    np.testing.assert_allclose(w.cpu().numpy(), wt.numpy(), rtol=1e-10)  # the referenced rows renormalised


def test_embedding_max_norm_in_place(device):
    a = _W * 3
    w, wt = tt.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
    idx = np.array([[1, 3], [1, 6]])
    y = F.embedding(tt.tensor(idx, device=device), w, max_norm=2.0, norm_type=1.0)
    yt = TF.embedding(torch.tensor(idx), wt, max_norm=2.0, norm_type=1.0)
    np.testing.assert_allclose(y.detach().cpu().numpy(), yt.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(w.detach().cpu().numpy(), wt.detach().numpy(), rtol=1e-10)
    assert not np.allclose(w.detach().cpu().numpy(), a)


def test_embedding_bag_errors(device):
    w = tt.zeros(8, 5, device=device)
    i1 = tt.tensor(_IDX, device=device)
    off = tt.tensor(_OFF, device=device)
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(i1, w)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(i1.reshape(2, 5), w, off)
    with pytest.raises(ValueError, match="input has to be 1D or 2D Tensor, but got Tensor of dimension 3"):
        F.embedding_bag(i1.reshape(1, 2, 5), w)
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(i1, w, off, mode="min")
    with pytest.raises(ValueError, match="max mode does not support scaling the gradient by the frequency"):
        F.embedding_bag(i1, w, off, mode="max", scale_grad_by_freq=True)
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum' "
                                                  "\\(got mode='mean'\\)"):
        F.embedding_bag(i1, w, off, per_sample_weights=tt.ones(10, device=device))
    with pytest.raises(ValueError, match="embedding_bag: If per_sample_weights"):
        F.embedding_bag(i1, w, off, mode="sum", per_sample_weights=tt.ones(3, device=device))
    with pytest.raises(ValueError, match="weight has to be a 2D Tensor, but got Tensor of dimension 1"):
        F.embedding_bag(i1, tt.zeros(8, device=device), off)
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0, i.e., the first sequence in the mini-batch "
                                           "has to start from position 0. However, got 1"):
        F.embedding_bag(i1, w, off + 1)
    with pytest.raises(RuntimeError, match="offsets\\[-1\\] can not be greater than input's length 10, but got 11"):
        F.embedding_bag(i1, w, tt.tensor([0, 11], device=device), include_last_offset=True)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding_bag(i1 + 1, w, off)
