"""nn.MultiheadAttention, F.multi_head_attention_forward and the transformer layers against torch.nn:
each module is built in both libraries with torch's weights copied over; outputs, attention weights and
the gradients of inputs and parameters are compared (float64 on cpu; a few tiny float32 cases on cuda).
Masks (bool and float key_padding_mask, 2-D / 3-D attn_mask, causal hints), kdim/vdim, add_bias_kv,
add_zero_attn, bias=False, batch_first, unbatched input, norm_first, activations, stacks with a final
norm, Transformer with its causal mask; reprs, state-dict keys, init, dropout (statistically / eval),
PyTorch's nested-tensor eval path of TransformerEncoder, warnings and errors."""
import inspect
import re
import warnings

import numpy as np
import pytest
import torch

import tritorch as tt

E, H, L, S, N = 8, 2, 3, 4, 2


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach().cpu().numpy()


def _rng(seed=0):
    return np.random.default_rng(seed)


def _randn(*shape, seed=0):
    return _rng(seed).standard_normal(shape)


def _pair(make, device="cpu", dtype="float64"):
    """(torch module in float64, tritorch module on ``device`` in ``dtype``) with the same weights."""
    torch.manual_seed(0)
    tm = make(torch)
    m = make(tt)
    m.load_state_dict({k: tt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, m.to(device=device, dtype=getattr(tt, dtype))


def _tensors(lib, data, masks, device, dtype):
    if lib is torch:
        T = {k: torch.tensor(v, requires_grad=True) for k, v in data.items()}
        T.update({k: torch.tensor(v) for k, v in masks.items()})
    else:
        T = {k: tt.tensor(v.astype(dtype), device=device, requires_grad=True) for k, v in data.items()}
        T.update({k: tt.tensor(v if v.dtype == bool else v.astype(dtype), device=device) for k, v in masks.items()})
    return T


def _outputs(out):
    return [o for o in (out if isinstance(out, tuple) else (out,)) if o is not None]


def _check(make, data, call, masks=None, device="cpu", dtype="float64", tol=1e-9, train=True):
    """Runs ``call(module, tensors)`` in both libraries; compares outputs, then the gradients of every
    input in ``data`` and every parameter for a fixed random cotangent."""
    masks = masks or {}
    tm, m = _pair(make, device, dtype)
    tm.train(train)
    m.train(train)
    res = []
    for lib, mod in ((torch, tm), (tt, m)):
        T = _tensors(lib, data, masks, device, dtype)
        outs = _outputs(call(mod, T))
        loss = sum((o * lib.tensor(_randn(*o.shape, seed=i + 1).astype(dtype if lib is tt else "float64"),
                                   device=o.device)).sum() for i, o in enumerate(outs))
        loss.backward()
        grads = {k: T[k].grad for k in data}
        grads.update({"param:" + k: p.grad for k, p in mod.named_parameters()})
        res.append((outs, grads))
    (touts, tgrads), (outs, grads) = res
    assert len(touts) == len(outs)
    for a, b in zip(touts, outs):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(_np(b), _np(a), rtol=tol, atol=tol)
    assert tgrads.keys() == grads.keys()
    for k, g in tgrads.items():
        assert (g is None) == (grads[k] is None), k
        if g is not None:
            np.testing.assert_allclose(_np(grads[k]), _np(g), rtol=tol, atol=tol, err_msg=k)


def _causal(n):
    return np.triu(np.ones((n, n), dtype=bool), 1)


KPM = np.array([[False, False, False, False], [False, False, True, True]])
KPM_F = np.where(KPM, -1e9, 0.0) + _randn(N, S, seed=7) * 0.1
AM2 = np.array([[False, True, False, False], [False, False, False, True], [True, False, False, False]])
AM3 = _randn(N * H, L, S, seed=5)
Q, K = _randn(L, N, E, seed=1), _randn(S, N, E, seed=2)


def _mha(**kw):
    return lambda lib: lib.nn.MultiheadAttention(E, H, dtype=lib.float64, **kw)


def _self(**fkw):
    return lambda m, T: m(T["x"], T["x"], T["x"], **{k: T[v] if isinstance(v, str) else v for k, v in fkw.items()})


def _cross(**fkw):
    return lambda m, T: m(T["q"], T["k"], T["v"], **{k: T[v] if isinstance(v, str) else v for k, v in fkw.items()})


MHA_CASES = {
    "kpm_bool_weights": (_mha(), dict(x=K), dict(kpm=KPM), _self(key_padding_mask="kpm")),
    "kpm_float_sdpa": (_mha(), dict(x=K), dict(kpm=KPM_F), _self(key_padding_mask="kpm", need_weights=False)),
    "mask2d_kpm_per_head": (_mha(), dict(x=K), dict(am=np.pad(AM2, ((0, 1), (0, 0))), kpm=KPM),
                            _self(attn_mask="am", key_padding_mask="kpm", average_attn_weights=False)),
    "mask3d_float_sdpa": (_mha(), dict(q=Q, k=K, v=_randn(S, N, E, seed=3)), dict(am=AM3),
                          _cross(attn_mask="am", need_weights=False)),
    "mask3d_float_weights": (_mha(), dict(q=Q, k=K, v=_randn(S, N, E, seed=3)), dict(am=AM3), _cross(attn_mask="am")),
    "causal_sdpa": (_mha(), dict(x=K), dict(am=_causal(S)), _self(attn_mask="am", is_causal=True, need_weights=False)),
    "causal_weights": (_mha(), dict(x=K), dict(am=_causal(S)), _self(attn_mask="am", is_causal=True)),
    "causal_kpm_sdpa": (_mha(), dict(x=K), dict(am=_causal(S), kpm=KPM),
                        _self(attn_mask="am", key_padding_mask="kpm", is_causal=True, need_weights=False)),
    "kdim_vdim": (_mha(kdim=6, vdim=5), dict(q=Q, k=_randn(S, N, 6, seed=2), v=_randn(S, N, 5, seed=3)),
                  dict(kpm=KPM), _cross(key_padding_mask="kpm")),
    "kdim_vdim_sdpa": (_mha(kdim=6, vdim=5), dict(q=Q, k=_randn(S, N, 6, seed=2), v=_randn(S, N, 5, seed=3)), {},
                       _cross(need_weights=False)),
    "bias_kv_zero_attn": (_mha(add_bias_kv=True, add_zero_attn=True), dict(q=Q, k=K, v=_randn(S, N, E, seed=3)),
                          dict(am=AM2, kpm=KPM), _cross(attn_mask="am", key_padding_mask="kpm")),
    "bias_kv_zero_attn_sdpa": (_mha(add_bias_kv=True, add_zero_attn=True), dict(x=K), dict(kpm=KPM_F),
                               _self(key_padding_mask="kpm", need_weights=False)),
    "no_bias": (_mha(bias=False), dict(x=K), {}, _self()),
    "batch_first": (_mha(batch_first=True), dict(x=K.transpose(1, 0, 2).copy()), dict(kpm=KPM),
                    _self(key_padding_mask="kpm", need_weights=False)),
    "batch_first_cross": (_mha(batch_first=True), dict(q=Q.transpose(1, 0, 2).copy(), k=K.transpose(1, 0, 2).copy()),
                          {}, lambda m, T: m(T["q"], T["k"], T["k"])),
    "unbatched": (_mha(), dict(q=Q[:, 0], k=K[:, 0], v=K[:, 1]), dict(kpm=KPM_F[1], am=AM3[:H]),
                  _cross(key_padding_mask="kpm", attn_mask="am", average_attn_weights=False)),
    "unbatched_sdpa": (_mha(), dict(x=K[:, 0]), dict(kpm=KPM[1]), _self(key_padding_mask="kpm", need_weights=False)),
}


@pytest.mark.parametrize("case", list(MHA_CASES))
def test_mha_matches_torch(case):
    make, data, masks, call = MHA_CASES[case]
    _check(make, data, call, masks)


def test_mha_device(device):
    """Self-attention with both masks on both paths (SDPA and explicit weights), float32."""
    for nw in (False, True):
        _check(_mha(), dict(x=K[:3]), _self(key_padding_mask="kpm", attn_mask="am", need_weights=nw),
               dict(kpm=KPM[:, :3], am=AM2[:, :3]), device=device, dtype="float32", tol=2e-5)


def test_functional_static_kv():
    """F.multi_head_attention_forward with static_k / static_v and separate projection weights."""
    rng = _rng(3)
    args = dict(wq=rng.standard_normal((E, E)), wk=rng.standard_normal((E, 6)), wv=rng.standard_normal((E, 5)),
                bi=rng.standard_normal(3 * E), wo=rng.standard_normal((E, E)), bo=rng.standard_normal(E),
                sk=rng.standard_normal((N * H, 5, E // H)), sv=rng.standard_normal((N * H, 5, E // H)))
    outs = []
    for lib in (torch, tt):
        a = {k: lib.tensor(v) for k, v in args.items()}
        q, k, v = lib.tensor(Q), lib.tensor(_randn(S, N, 6)), lib.tensor(_randn(S, N, 5))
        outs.append(lib.nn.functional.multi_head_attention_forward(
            q, k, v, E, H, None, a["bi"], None, None, False, 0.0, a["wo"], a["bo"], training=True,
            key_padding_mask=lib.tensor(np.zeros((N, 5), dtype=bool)), need_weights=True,
            use_separate_proj_weight=True, q_proj_weight=a["wq"], k_proj_weight=a["wk"], v_proj_weight=a["wv"],
            static_k=a["sk"], static_v=a["sv"], average_attn_weights=False))
    for a, b in zip(*outs):
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ["MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer",
                                  "TransformerEncoder", "TransformerDecoder", "Transformer"])
def test_signatures_match_torch(name):
    for attr in ("__init__", "forward"):
        ref = inspect.signature(getattr(getattr(torch.nn, name), attr)).parameters
        got = inspect.signature(getattr(getattr(tt.nn, name), attr)).parameters
        assert list(got) == list(ref)
        for k, p in ref.items():
            if not callable(p.default):
                assert got[k].default == p.default, (attr, k)
    ref = inspect.signature(torch.nn.functional.multi_head_attention_forward).parameters
    got = inspect.signature(tt.nn.functional.multi_head_attention_forward).parameters
    assert [(k, p.default) for k, p in got.items()] == [(k, p.default) for k, p in ref.items()]


ACTIVATIONS = {"relu": lambda lib: "relu", "gelu": lambda lib: "gelu", "callable": lambda lib: lib.tanh,
               "module": lambda lib: lib.nn.GELU()}


def _layer(kind, act="relu", **kw):
    return lambda lib: getattr(lib.nn, kind)(E, H, dim_feedforward=16, dropout=0.0, activation=ACTIVATIONS[act](lib),
                                             dtype=lib.float64, **kw)


LAYER_CASES = {
    "enc_post_relu": (_layer("TransformerEncoderLayer"), dict(x=K), dict(am=_causal(S), kpm=KPM),
                      lambda m, T: m(T["x"], src_mask=T["am"], src_key_padding_mask=T["kpm"])),
    "enc_pre_gelu_bf": (_layer("TransformerEncoderLayer", "gelu", norm_first=True, batch_first=True),
                        dict(x=K.transpose(1, 0, 2).copy()), dict(kpm=KPM_F),
                        lambda m, T: m(T["x"], src_key_padding_mask=T["kpm"])),
    "enc_causal_callable": (_layer("TransformerEncoderLayer", "callable", bias=False), dict(x=K),
                            dict(am=np.where(_causal(S), -np.inf, 0.0)),
                            lambda m, T: m(T["x"], src_mask=T["am"], is_causal=True)),
    "dec_post_callable": (_layer("TransformerDecoderLayer", "callable"), dict(t=Q, m=K),
                          dict(tm=_causal(L), mkpm=KPM),
                          lambda m, T: m(T["t"], T["m"], tgt_mask=T["tm"], memory_key_padding_mask=T["mkpm"],
                                         tgt_is_causal=True)),
    "dec_pre_module_act": (_layer("TransformerDecoderLayer", "module", norm_first=True), dict(t=Q, m=K),
                           dict(mm=AM2, tkpm=KPM[:, :L]),
                           lambda m, T: m(T["t"], T["m"], memory_mask=T["mm"], tgt_key_padding_mask=T["tkpm"])),
    "dec_unbatched": (_layer("TransformerDecoderLayer", "gelu"), dict(t=Q[:, 0], m=K[:, 0]), dict(mkpm=KPM[1]),
                      lambda m, T: m(T["t"], T["m"], memory_key_padding_mask=T["mkpm"])),
}


@pytest.mark.parametrize("case", list(LAYER_CASES))
def test_layers_match_torch(case):
    make, data, masks, call = LAYER_CASES[case]
    _check(make, data, call, masks)


def test_encoder_layer_device(device):
    make = _layer("TransformerEncoderLayer", batch_first=True)
    _check(make, dict(x=K[:3].transpose(1, 0, 2).copy()), lambda m, T: m(T["x"], src_key_padding_mask=T["kpm"]),
           dict(kpm=KPM[:, :3]), device=device, dtype="float32", tol=2e-5)


def _stack(lib, kind, **kw):
    layer = _layer(kind + "Layer")(lib)
    norm = lib.nn.LayerNorm(E, dtype=lib.float64)
    return getattr(lib.nn, kind)(layer, 2, norm, **kw)


def test_encoder_stack_with_norm():
    make = lambda lib: _stack(lib, "TransformerEncoder", enable_nested_tensor=False)  # noqa: E731
    _check(make, dict(x=K), lambda m, T: m(T["x"], mask=T["am"], src_key_padding_mask=T["kpm"]),
           dict(am=_causal(S), kpm=KPM))


def test_decoder_stack_with_norm():
    _check(lambda lib: _stack(lib, "TransformerDecoder"), dict(t=Q, m=K),
           lambda m, T: m(T["t"], T["m"], tgt_mask=T["tm"], memory_key_padding_mask=T["kpm"]),
           dict(tm=np.where(_causal(L), -np.inf, 0.0), kpm=KPM))


def _transformer(lib, **kw):
    return lib.nn.Transformer(E, H, 1, 2, 16, dropout=0.0, dtype=lib.float64, **kw)


def test_transformer_with_causal_mask():
    def call(m, T):
        tgt_mask = type(m).generate_square_subsequent_mask(L, dtype=T["t"].dtype)
        return m(T["s"], T["t"], tgt_mask=tgt_mask, src_key_padding_mask=T["kpm"])
    _check(lambda lib: _quiet(lambda: _transformer(lib, norm_first=True)), dict(s=K, t=Q), call, dict(kpm=KPM))


def test_generate_square_subsequent_mask():
    ref = torch.nn.Transformer.generate_square_subsequent_mask(4)
    got = tt.nn.Transformer.generate_square_subsequent_mask(4)
    assert got.dtype is tt.float32
    np.testing.assert_array_equal(_np(got), _np(ref))
    assert tt.nn.Transformer.generate_square_subsequent_mask(3, dtype=tt.float64).dtype is tt.float64


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


REPR_CASES = {
    "mha": _mha(), "mha_kv": _mha(kdim=6, vdim=5, add_bias_kv=True, bias=False),
    "enc_layer": _layer("TransformerEncoderLayer"), "dec_layer_module_act": _layer("TransformerDecoderLayer", "module"),
    "encoder": lambda lib: _stack(lib, "TransformerEncoder"), "transformer": _transformer,
}


@pytest.mark.parametrize("case", list(REPR_CASES))
def test_repr_and_state_dict_keys(case):
    tm, m = _quiet(lambda: (REPR_CASES[case](torch), REPR_CASES[case](tt)))
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    assert [tuple(v.shape) for v in m.state_dict().values()] == [tuple(v.shape) for v in tm.state_dict().values()]


def test_mha_init():
    m = tt.nn.MultiheadAttention(16, 4, add_bias_kv=True, dtype=tt.float64)
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear" and isinstance(m.out_proj, tt.nn.Linear)
    w = _np(m.in_proj_weight)
    bound = np.sqrt(6.0 / (16 + 48))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert not _np(m.in_proj_bias).any() and not _np(m.out_proj.bias).any()
    assert m.bias_k.shape == (1, 1, 16) and _np(m.bias_k).std() > 0
    assert m.in_proj_weight is not None and m.q_proj_weight is None
    m2 = tt.nn.MultiheadAttention(16, 4, kdim=3)
    assert m2._qkv_same_embed_dim is False and m2.in_proj_weight is None and m2.k_proj_weight.shape == (16, 3)


def test_mha_dropout_weights():
    """Training-mode dropout on the weights: each per-head weight is 0 or 1/(1-p) times the eval value."""
    m = tt.nn.MultiheadAttention(E, H, dropout=0.5, dtype=tt.float64)
    x = tt.tensor(_randn(16, 4, E))
    m.eval()
    ref = _np(m(x, x, x, average_attn_weights=False)[1])
    m.train()
    got = _np(m(x, x, x, average_attn_weights=False)[1])
    kept = got != 0
    np.testing.assert_allclose(got[kept], 2 * ref[kept], rtol=1e-12)
    assert 0.4 < kept.mean() < 0.6
    out_train = _np(m(x, x, x, need_weights=False)[0])
    m.eval()
    assert np.isfinite(out_train).all() and not np.allclose(out_train, _np(m(x, x, x, need_weights=False)[0]))


def test_eval_mode_with_dropout():
    make = lambda lib: lib.nn.TransformerDecoderLayer(E, H, 16, dtype=lib.float64)  # noqa: E731
    _check(make, dict(t=Q, m=K), lambda m, T: m(T["t"], T["m"]), train=False)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
@pytest.mark.parametrize("nested", [True, False])
def test_encoder_nested_eval_path(nested):
    """PyTorch's eval-mode nested-tensor path zeroes the padded positions (before the final norm)."""
    def make(lib):
        layer = lib.nn.TransformerEncoderLayer(E, H, 16, batch_first=True, dtype=lib.float64)
        return lib.nn.TransformerEncoder(layer, 2, lib.nn.LayerNorm(E, dtype=lib.float64), enable_nested_tensor=nested)
    tm, m = _pair(make)
    tm.eval()
    m.eval()
    x = _randn(N, S, E)
    for kpm in (KPM, KPM[:, ::-1].copy()):  # left-aligned, then not
        with torch.no_grad(), tt.no_grad():
            ref = tm(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
            got = m(tt.tensor(x), src_key_padding_mask=tt.tensor(kpm))
        np.testing.assert_allclose(_np(got), _np(ref), rtol=1e-9, atol=1e-9)


def test_mask_type_warnings():
    for lib in (torch, tt):
        m = _mha()(lib)
        x = lib.tensor(K)
        with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
            m(x, x, x, key_padding_mask=lib.tensor(KPM), attn_mask=lib.tensor(np.zeros((S, S))))
        with pytest.warns(UserWarning, match=re.escape("enable_nested_tensor is True, but self.use_nested_tensor is "
                                                       "False because encoder_layer.self_attn.batch_first was not "
                                                       "True")):
            e = lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(E, H, 16), 1)
        assert e.use_nested_tensor is False and e.enable_nested_tensor is True


def test_errors():
    for lib in (torch, tt):
        with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
            lib.nn.MultiheadAttention(10, 3)
        with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
            lib.nn.MultiheadAttention(0, 1)
        with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
            lib.nn.TransformerEncoderLayer(E, H, activation="tanh")
        m = _mha()(lib)
        x = lib.tensor(K)
        with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is .*\[3, 4\].*, but should be "
                                               r"\(4, 4\)\."):
            m(x, x, x, attn_mask=lib.tensor(AM2))
        with pytest.raises(RuntimeError, match=r"The shape of the 3D attn_mask is .*, but should be \(4, 4, 4\)\."):
            m(x, x, x, attn_mask=lib.tensor(AM3))
        with pytest.raises(AssertionError, match="Expected key_padded_mask.shape\\[1\\] to be 4, but got 3"):
            m(x, x, x, key_padding_mask=lib.tensor(KPM[:, :3]))
        with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
            m(x, x, x, is_causal=True)
        with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D tensor but received 1-D"):
            m(x[0, 0], x[0, 0], x[0, 0])
        t = _quiet(lambda: _transformer(lib))
        with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
            t(lib.tensor(K), lib.tensor(_randn(L, 3, E)))
        with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
            t(lib.tensor(K), lib.tensor(_randn(L, N, 4)))
