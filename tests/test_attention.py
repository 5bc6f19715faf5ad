"""scaled_dot_product_attention vs PyTorch (CPU) on both devices: outputs and dq/dk/dv on identical
inputs (masks, causal with L != S, scale, broadcast batch, odd sizes, grouped-query attention,
fully masked rows, non-contiguous inputs), dropout (mask regenerated in backward), errors, float64
gradcheck and gradgradcheck on cpu."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tritorch as tt
import tritorch.nn.functional as F

TT = {tt.float16: torch.float16, tt.bfloat16: torch.bfloat16, tt.float32: torch.float32, tt.float64: torch.float64}
# (rtol, atol) of outputs and input gradients; the cuda kernels round P and dS to half types before
# their dots, as flash-attention does, so half-type gradients differ from the fp32-math CPU reference.
TOL = {tt.float16: (1e-2, 1e-2), tt.bfloat16: (5e-2, 5e-2), tt.float32: (2e-5, 2e-5), tt.float64: (1e-10, 1e-10)}


def _np(t):
    return t.detach().cpu().to(tt.float64).numpy() if isinstance(t, tt.Tensor) else t.detach().double().numpy()


def _check(device, dtype, qs, ks, vs, mask=None, nc=False, seed=0, **kw):
    """Forward and q/k/v gradients of tritorch on ``device`` vs torch, identical inputs."""
    rng = np.random.default_rng(seed)
    arrs = [rng.standard_normal(s) for s in (qs, ks, vs)]
    if nc:  # non-contiguous: the (…, L, H, E) storage transposed to (…, H, L, E)
        a = [tt.tensor(np.ascontiguousarray(np.swapaxes(x, -2, -3)), dtype=dtype, device=device).transpose(-2, -3)
             for x in arrs]
        assert not a[0].is_contiguous()
    else:
        a = [tt.tensor(x, dtype=dtype, device=device) for x in arrs]
    b = [torch.tensor(x, dtype=TT[dtype]) for x in arrs]
    for x in a + b:
        x.requires_grad_(True)
    ma = mb = None
    if mask is not None:
        ma, mb = tt.tensor(mask, device=device), torch.tensor(mask)
        if mask.dtype != bool:
            ma, mb = ma.to(dtype), mb.to(TT[dtype])
    y = F.scaled_dot_product_attention(*a, attn_mask=ma, **kw)
    yt = TF.scaled_dot_product_attention(*b, attn_mask=mb, **kw)
    assert y.dtype is dtype and y.device.type == device and tuple(y.shape) == tuple(yt.shape)
    g = rng.standard_normal(tuple(yt.shape))
    (y * tt.tensor(g, dtype=dtype, device=device)).sum().backward()
    (yt * torch.tensor(g, dtype=TT[dtype])).sum().backward()
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(_np(y), _np(yt), rtol=rtol, atol=atol)
    for x, z, name in zip(a, b, "qkv"):
        assert x.grad.dtype is dtype and tuple(x.grad.shape) == tuple(z.grad.shape), name
        np.testing.assert_allclose(_np(x.grad), _np(z.grad), rtol=rtol, atol=atol * 4, err_msg=name)
    return y, a


def _bool_mask(shape, seed=1, dead_row=None):
    m = np.random.default_rng(seed).random(shape) > 0.4
    if dead_row is not None:
        m[..., dead_row, :] = False
    return m


_FM = np.where(_bool_mask((2, 1, 5, 7), 2), np.random.default_rng(3).uniform(-2, 2, (2, 1, 5, 7)), -np.inf)
CASES = {
    "basic": ((2, 3, 5, 8), (2, 3, 7, 8), (2, 3, 7, 6), {}),
    "causal-L>S": ((1, 2, 9, 16), (1, 2, 6, 16), (1, 2, 6, 16), {"is_causal": True}),
    "causal-L<S-scale": ((2, 4, 16), (2, 11, 16), (2, 11, 8), {"is_causal": True, "scale": 0.25}),
    "bool-mask-broadcast": ((2, 2, 5, 8), (2, 2, 7, 8), (2, 2, 7, 8), {"mask": _bool_mask((5, 7))}),
    "float-mask-scale": ((2, 2, 5, 8), (2, 2, 7, 8), (2, 2, 7, 8), {"mask": _FM, "scale": 1.3}),
    "broadcast-batch": ((2, 1, 4, 8), (1, 3, 6, 8), (2, 3, 6, 4), {}),
    "gqa": ((1, 4, 3, 8), (1, 2, 5, 8), (1, 2, 5, 8), {"enable_gqa": True}),
}
# float32 runs every case; the other dtypes a few each (the op table covers all samples in every dtype
# forward, and float64 gradients on cuda against the cpu), keeping the interpreter's time down.
_DT_CASES = {tt.float32: list(CASES), tt.float16: ["causal-L>S", "float-mask-scale", "gqa"],
             tt.bfloat16: ["causal-L<S-scale", "bool-mask-broadcast", "broadcast-batch"],
             tt.float64: ["basic", "float-mask-scale", "causal-L>S"]}


@pytest.mark.parametrize("dtype,case", [(d, c) for d, cs in _DT_CASES.items() for c in cs],
                         ids=lambda x: str(x).replace("tritorch.", ""))
def test_matches_torch(dtype, case, device):
    qs, ks, vs, kw = CASES[case]
    _check(device, dtype, qs, ks, vs, **kw)


def test_odd_sizes_and_noncontiguous(device):
    """Sizes that are not multiples of any block, head dims that need padding, strided inputs."""
    _check(device, tt.float32, (1, 2, 19, 20), (1, 2, 23, 20), (1, 2, 23, 12), mask=_bool_mask((19, 23)))
    _check(device, tt.float32, (2, 2, 7, 5), (2, 2, 9, 5), (2, 2, 9, 3), nc=True, is_causal=True)
    _check(device, tt.float16, (1, 3, 33, 40), (1, 3, 17, 40), (1, 3, 17, 40), is_causal=True)


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_fully_masked_rows(kind, device):
    """Rows with every key masked give 0 and zero gradients (PyTorch 2.13 CPU), not NaN."""
    m = _bool_mask((2, 4, 6), 4, dead_row=2)
    m[1, 0] = False
    mask = m if kind == "bool" else np.where(m, 0.0, -np.inf)
    y, (q, k, v) = _check(device, tt.float32, (2, 3, 4, 8), (2, 1, 6, 8), (2, 1, 6, 8), mask=mask[:, None])
    assert np.all(_np(y)[:, :, 2] == 0) and np.all(_np(y)[1, :, 0] == 0)
    assert np.all(_np(q.grad)[:, :, 2] == 0) and np.all(np.isfinite(_np(k.grad)))


def _mask_from_identity_value(device, p, shape):
    """The dropout keep pattern (scaled weights) at seed 0: with v = identity, out = dropped P."""
    B, H, L, S, E = shape
    q = tt.tensor(np.random.default_rng(5).standard_normal((B, H, L, E)), device=device)
    k = tt.tensor(np.random.default_rng(6).standard_normal((B, H, S, E)), device=device)
    eye = tt.tensor(np.broadcast_to(np.eye(S), (B, H, S, S)).copy(), device=device)
    tt.manual_seed(0)
    dropped = _np(F.scaled_dot_product_attention(q, k, eye, dropout_p=p))
    full = _np(F.scaled_dot_product_attention(q, k, eye))
    return q, k, dropped, full


def test_dropout(device):
    p, shape = 0.4, (2, 2, 9, 12, 8)
    q, k, dropped, full = _mask_from_identity_value(device, p, shape)
    keep = dropped != 0
    np.testing.assert_allclose(dropped[keep], full[keep] / (1 - p), rtol=1e-12)
    assert 0.45 < keep.mean() < 0.75
    # Same seed, any value: the same mask; backward regenerates it (checked against torch on the mask).
    v = np.random.default_rng(7).standard_normal(shape[:2] + (shape[3], 5))
    a = [x.requires_grad_(True) for x in (q.clone(), k.clone(), tt.tensor(v, device=device))]
    tt.manual_seed(0)
    y = F.scaled_dot_product_attention(*a, dropout_p=p)
    g = np.random.default_rng(8).standard_normal(tuple(y.shape))
    (y * tt.tensor(g, device=device)).sum().backward()
    b = [torch.tensor(_np(x), requires_grad=True) for x in a]
    pt = torch.softmax(b[0] @ b[1].transpose(-2, -1) / np.sqrt(shape[4]), -1)
    yt = (pt * torch.tensor(keep / (1 - p))) @ b[2]
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(_np(y), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    for x, z in zip(a, b):
        np.testing.assert_allclose(_np(x.grad), z.grad.numpy(), rtol=1e-9, atol=1e-12)
    # The generator advanced past this call: the next call draws another mask.
    y2 = F.scaled_dot_product_attention(*[x.detach() for x in a], dropout_p=p)
    assert not np.array_equal(_np(y2), _np(y))
    one = F.scaled_dot_product_attention(*[x.detach() for x in a], dropout_p=1.0)
    assert np.all(_np(one) == 0)


def test_gradcheck_cpu():
    rng = np.random.default_rng(9)

    def t(*s):
        return tt.tensor(rng.standard_normal(s), requires_grad=True)

    q, k, v = t(1, 2, 3, 4), t(1, 2, 5, 4), t(1, 2, 5, 3)
    mask = tt.tensor(_bool_mask((3, 5), 10, dead_row=1))
    assert tt.autograd.gradcheck(lambda *x: F.scaled_dot_product_attention(*x, attn_mask=mask), (q, k, v))
    assert tt.autograd.gradcheck(lambda *x: F.scaled_dot_product_attention(*x, is_causal=True, scale=0.8), (q, k, v))

    def dropped(*x):
        tt.manual_seed(3)
        return F.scaled_dot_product_attention(*x, dropout_p=0.3)
    assert tt.autograd.gradcheck(dropped, (q, k, v))
    assert tt.autograd.gradgradcheck(lambda *x: F.scaled_dot_product_attention(*x, attn_mask=mask), (q, k, v))
    assert tt.autograd.gradgradcheck(lambda *x: F.scaled_dot_product_attention(*x, is_causal=True), (q, k, v))
    with pytest.raises(RuntimeError, match="double backward"):
        tt.autograd.grad(dropped(q, k, v).sum(), [q], create_graph=True)


def _err(fn_tt, fn_torch, exc, match):
    with pytest.raises(exc, match=match):
        fn_tt()
    if fn_torch is not None:
        with pytest.raises(exc):
            fn_torch()


def test_errors(device):
    def mk(lib, *s, dtype=None):
        x = lib.zeros(*s) if lib is torch else tt.zeros(*s, device=device)
        return x if dtype is None else x.to(dtype)

    q, k, v = (mk(tt, 1, 2, 3, 4), mk(tt, 1, 2, 5, 4), mk(tt, 1, 2, 5, 6))
    qt, kt, vt = (mk(torch, 1, 2, 3, 4), mk(torch, 1, 2, 5, 4), mk(torch, 1, 2, 5, 6))
    sdpa, tsdpa = F.scaled_dot_product_attention, TF.scaled_dot_product_attention
    _err(lambda: sdpa(q, k[..., :3], v), lambda: tsdpa(qt, kt[..., :3], vt), RuntimeError, "embedding size")
    _err(lambda: sdpa(q, k, v[:, :, :4]), None, RuntimeError, "same sequence length")
    _err(lambda: sdpa(q, k.double(), v), lambda: tsdpa(qt, kt.double(), vt), RuntimeError,
         "Expected query, key, and value to have the same dtype, but got query.dtype: float key.dtype: double")
    m = tt.ones(3, 5, dtype=tt.bool, device=device)
    _err(lambda: sdpa(q.requires_grad_(), k, v, attn_mask=m, is_causal=True),
         lambda: tsdpa(qt.requires_grad_(), kt, vt, attn_mask=torch.ones(3, 5, dtype=torch.bool), is_causal=True),
         RuntimeError, "Explicit attn_mask should not be set when is_causal=True")
    q = q.detach()
    _err(lambda: sdpa(q, k, v, attn_mask=m.int()), lambda: tsdpa(qt.detach(), kt, vt, attn_mask=torch.ones(3, 5).int()),
         RuntimeError, "Expected attn_mask dtype to be bool or float or to match query dtype")
    _err(lambda: sdpa(q, k, v, attn_mask=m[:, :4]), lambda: tsdpa(qt.detach(), kt, vt, attn_mask=torch.ones(3, 4)),
         RuntimeError, "must match the size of tensor b")
    _err(lambda: sdpa(q[0, 0, 0], k[0, 0, 0], v[0, 0, 0]), lambda: tsdpa(qt[0, 0, 0], kt[0, 0, 0], vt[0, 0, 0]),
         RuntimeError, "at least 2 dimensional")
    _err(lambda: sdpa(q, k, v, dropout_p=1.5), lambda: tsdpa(qt.detach(), kt, vt, dropout_p=1.5), RuntimeError,
         "dropout probability has to be between 0 and 1, but got 1.5")
    _err(lambda: sdpa(mk(tt, 1, 3, 3, 4), k, v, enable_gqa=True),
         lambda: tsdpa(mk(torch, 1, 3, 3, 4), kt, vt, enable_gqa=True), RuntimeError,
         "Number of heads in key and value must divide the number of heads in query")
    _err(lambda: sdpa(mk(tt, 1, 4, 3, 4), k, v), lambda: tsdpa(mk(torch, 1, 4, 3, 4), kt, vt), RuntimeError,
         "must match the size")
    _err(lambda: sdpa(q.int(), k.int(), v.int()), lambda: tsdpa(qt.int(), kt.int(), vt.int()), RuntimeError,
         "floating point")
    _err(lambda: sdpa(q, k, "v"), None, TypeError, "argument 'value' must be Tensor")


@pytest.mark.parametrize("wide", [False, True])
def test_small_blocks_cuda(device, monkeypatch, wide):
    """Several query and key blocks per head (the interpreter otherwise covers a head with one tile):
    the causal loops' masked/unmasked splits (BM < BN and BM > BN), masks, dropout, batch launches."""
    if device != "cuda":
        pytest.skip("cuda kernels only")
    import tritorch.kernels.attention as K
    tall, flat = (32, 16, 4, 1), (16, 32, 4, 1)
    monkeypatch.setattr(K, "_blocks", lambda kind, *a: (tall if wide else flat) if kind == "dkdv" else
                        (flat if wide else tall))
    _check(device, tt.float32, (1, 2, 45, 8), (1, 2, 37, 8), (1, 2, 37, 4), is_causal=True)
    _check(device, tt.float32, (1, 1, 40, 8), (1, 1, 50, 8), (1, 1, 50, 8), mask=_bool_mask((40, 50), dead_row=33))
    # Batch dims that do not merge (one launch per leading index), and z * h past the grid limit.
    monkeypatch.setattr(K, "_MAX_GRID_Y", 4)
    _check(device, tt.float64, (3, 2, 3, 5, 4), (3, 1, 3, 6, 4), (3, 2, 3, 6, 4), nc=True, is_causal=True)
    q, k, v = (tt.tensor(np.random.default_rng(i).standard_normal((1, 2, 40, 8)), device="cuda") for i in range(3))
    a = [x.clone().requires_grad_(True) for x in (q, k, v)]
    tt.manual_seed(1)
    y = F.scaled_dot_product_attention(*a, dropout_p=0.25, is_causal=True)
    y.sum().backward()
    monkeypatch.undo()
    b = [x.clone().requires_grad_(True) for x in (q, k, v)]
    tt.manual_seed(1)
    yb = F.scaled_dot_product_attention(*b, dropout_p=0.25, is_causal=True)
    yb.sum().backward()
    np.testing.assert_allclose(_np(y), _np(yb), rtol=1e-12, atol=1e-12)
    for x, z in zip(a, b):
        np.testing.assert_allclose(_np(x.grad), _np(z.grad), rtol=1e-10, atol=1e-12)


def test_dropout_mask_independent_of_launch_split(device, monkeypatch):
    """The dropout mask depends on the flat batch index only, not on how batch dims are launched."""
    if device != "cuda":
        pytest.skip("cuda kernels only")
    import tritorch.kernels.attention as K
    x = tt.tensor(np.random.default_rng(11).standard_normal((2, 3, 4, 5, 8)), device="cuda")[:, ::2]
    outs = []
    for grid_y in (K._MAX_GRID_Y, 1):
        monkeypatch.setattr(K, "_MAX_GRID_Y", grid_y)
        tt.manual_seed(4)
        outs.append(_np(F.scaled_dot_product_attention(x, x, x, dropout_p=0.5)))
    np.testing.assert_array_equal(outs[0], outs[1])


@pytest.mark.parametrize("setting", ["highest", "high"])
def test_tf32_switch_reaches_the_attention_kernels_as_an_op_attribute(monkeypatch, setting):
    """The frontend switch travels as the ops' ``tf32`` attribute (kernels never read it): forward
    and backward kernels see TF32 for float32 only, and the cpu impl accepts and ignores it."""
    from tritorch.backends import _precision
    from tritorch.kernels import attention
    seen = []
    real_launch = attention.launch

    def spy(kernel, grid, *args, **meta):
        seen.append(meta.get("TF32"))
        real_launch(kernel, grid, *args, **meta)

    monkeypatch.setattr(attention, "launch", spy)
    prev = _precision.get_float32_matmul_precision()
    _precision.set_float32_matmul_precision(setting)
    try:
        for device in ("cpu", "cuda"):
            for dtype in (tt.float32, tt.float16):
                q = tt.ones(1, 2, 4, device=device, dtype=dtype, requires_grad=True)
                F.scaled_dot_product_attention(q, q, q).sum().backward()
    finally:
        _precision.set_float32_matmul_precision(prev)
    tf32 = setting == "high"
    assert {s for s in seen[:len(seen) // 2] if s is not None} == {tf32}
    assert {s for s in seen[len(seen) // 2:] if s is not None} == {False}
