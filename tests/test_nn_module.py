"""nn.Module, Parameter and the containers: registration, traversal, moves, hooks, state dicts,
repr, copy and pickle, checked against PyTorch's behaviour."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import tritorch as tt
import tritorch.nn as nn


def _net_class(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = lib.nn.Parameter(lib.ones(3, 2, dtype=lib.float64))
            self.b = lib.nn.Parameter(lib.zeros(3, dtype=lib.float64))
            self.register_buffer("count", lib.zeros(1, dtype=lib.float64))
            self.register_buffer("scratch", lib.zeros(2, dtype=lib.float64), persistent=False)
            self.inner = lib.nn.Module()
            self.inner.v = lib.nn.Parameter(lib.ones(2, dtype=lib.float64))
            self.seq = lib.nn.Sequential(lib.nn.Module(), lib.nn.Module())

        def forward(self, x):
            return x @ self.w.t() + self.b + self.inner.v.sum()
    return Net


# Module-level classes, so that pickle finds them.
TTNet, TorchNet = _net_class(tt), _net_class(torch)
TTNet.__qualname__, TorchNet.__qualname__ = "TTNet", "TorchNet"


def _pair(lib):
    """The same small model built in tritorch (``lib=tt``) or torch."""
    return TTNet() if lib is tt else TorchNet()


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, tt.Tensor) else t.detach().numpy()


class Plain(nn.Module):
    def forward(self, x):
        return x * 2


class TestRegistration:
    def test_names_match_torch(self):
        a, b = _pair(tt), _pair(torch)
        assert [n for n, _ in a.named_parameters()] == [n for n, _ in b.named_parameters()]
        assert [n for n, _ in a.named_buffers()] == [n for n, _ in b.named_buffers()]
        assert [n for n, _ in a.named_modules()] == [n for n, _ in b.named_modules()]
        assert [n for n, _ in a.named_children()] == [n for n, _ in b.named_children()]
        assert list(a.state_dict()) == list(b.state_dict())
        assert list(a.state_dict()._metadata) == list(b.state_dict()._metadata)
        assert [n for n, _ in a.named_parameters(prefix="m", recurse=False)] == ["m.w", "m.b"]

    def test_shared_parameter_listed_once(self):
        m = nn.Module()
        m.a = nn.Module()
        m.b = m.a
        m.a.p = nn.Parameter(tt.ones(1))
        assert [n for n, _ in m.named_parameters()] == ["a.p"]
        assert [n for n, _ in m.named_parameters(remove_duplicate=False)] == ["a.p", "b.p"]
        assert [n for n, _ in m.named_modules(remove_duplicate=False)] == ["", "a", "b"]

    def test_assignment_routing_and_errors(self):
        m = nn.Module()
        m.p = nn.Parameter(tt.ones(2))
        with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' as parameter 'p' "
                                            r"\(torch.nn.Parameter or None expected\)"):
            m.p = tt.ones(2)
        m.p = None
        assert "p" in m._parameters and m.p is None
        m.register_buffer("buf", tt.ones(1))
        with pytest.raises(TypeError, match="cannot assign 'int' as buffer 'buf'"):
            m.buf = 3
        m.buf = tt.zeros(2)
        assert m._buffers["buf"].shape == (2,)
        with pytest.raises(KeyError, match="attribute 'buf' already exists"):
            m.register_parameter("buf", None)
        with pytest.raises(KeyError, match='contain "[.]"'):
            m.register_buffer("a.b", None)
        with pytest.raises(TypeError, match="is not a Module subclass"):
            m.add_module("x", 3)
        with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'q'"):
            m.register_parameter("q", _nonleaf_param())
        with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
            m.nope
        m.nb = nn.Buffer(tt.ones(1), persistent=False)
        assert "nb" in m._buffers and "nb" not in m.state_dict()
        del m.nb
        assert "nb" not in m._buffers
        with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
            class Bad(nn.Module):
                def __init__(self):
                    self.p = nn.Parameter(tt.ones(1))
            Bad()

    def test_get_submodule_parameter_buffer(self):
        m = _pair(tt)
        assert m.get_submodule("inner") is m.inner
        assert m.get_parameter("inner.v") is m.inner.v
        assert m.get_buffer("count") is m.count
        with pytest.raises(AttributeError, match="Module has no attribute `nope`"):
            m.get_submodule("inner.nope")
        with pytest.raises(AttributeError, match="`count` is not an nn.Parameter"):
            m.get_parameter("count")

    def test_dir_lists_members(self):
        m = _pair(tt)
        d = dir(m)
        for k in ("w", "count", "inner", "forward", "state_dict"):
            assert k in d


def _nonleaf_param():
    q = tt.ones(1, requires_grad=True) * 2
    p = tt.Tensor._make(q._data, q._storage, nn.Parameter)
    p.grad_fn = q.grad_fn
    return p


class TestModes:
    def test_train_eval_recursive(self):
        m = _pair(tt)
        m.eval()
        assert not m.training and not m.inner.training and not m.seq[1].training
        m.train()
        assert m.seq[0].training
        with pytest.raises(ValueError, match="training mode is expected to be boolean"):
            m.train(1)

    def test_zero_grad_and_requires_grad(self):
        m = _pair(tt)
        m(tt.ones(4, 2, dtype=tt.float64)).sum().backward()
        assert m.w.grad is not None
        m.zero_grad(set_to_none=False)
        assert float(m.w.grad.abs().sum()) == 0.0
        m.zero_grad()
        assert m.w.grad is None
        m.requires_grad_(False)
        assert not any(p.requires_grad for p in m.parameters())

    def test_apply_order(self):
        m = _pair(tt)
        seen = []
        m.apply(lambda mod: seen.append(type(mod).__name__))
        ref = []
        _pair(torch).apply(lambda mod: ref.append(type(mod).__name__))
        assert seen == ref


class TestMoves:
    def test_to_keeps_parameter_identity(self, device):
        m = _pair(tt)
        w = m.w
        m(tt.ones(1, 2, dtype=tt.float64)).sum().backward()
        m.to(device)
        assert m.w is w and isinstance(m.w, nn.Parameter) and m.w.device.type == device
        assert m.w.grad.device.type == device and m.count.device.type == device
        m.float()
        assert m.w.dtype == tt.float32 and m.w.grad.dtype == tt.float32 and m.count.dtype == tt.float32
        m.half()
        assert m.b.dtype == tt.float16
        m.to(tt.float64)
        assert m.inner.v.dtype == tt.float64
        m.cpu()
        assert m.w.device.type == "cpu"

    def test_to_leaves_integer_buffers(self):
        m = nn.Module()
        m.register_buffer("n", tt.zeros(1, dtype=tt.int64))
        m.p = nn.Parameter(tt.ones(1))
        m.double()
        assert m.n.dtype == tt.int64 and m.p.dtype == tt.float64
        with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
            m.to(tt.int32)

    def test_to_tensor_and_kwargs(self):
        m = _pair(tt)
        m.to(tt.ones(1, dtype=tt.float32), non_blocking=True)
        assert m.w.dtype == tt.float32
        m.to(device="cpu", dtype=tt.float64)
        assert m.w.dtype == tt.float64


class TestHooks:
    def test_forward_pre_and_post_hooks(self):
        m = Plain()
        calls = []
        h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] + 1,))
        h2 = m.register_forward_hook(lambda mod, args, out: out + 100)
        h3 = m.register_forward_pre_hook(lambda mod, args: calls.append("first"), prepend=True)
        assert float(m(tt.tensor(1.0))) == 104.0
        assert calls == ["first"]
        for h in (h1, h2, h3):
            h.remove()
        assert float(m(tt.tensor(1.0))) == 2.0

    def test_with_kwargs_hooks(self):
        class K(nn.Module):
            def forward(self, x, scale=1.0):
                return x * scale
        m = K()
        m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"scale": 3.0}), with_kwargs=True)
        m.register_forward_hook(lambda mod, args, kwargs, out: out + kwargs["scale"], with_kwargs=True)
        assert float(m(tt.tensor(2.0), scale=5.0)) == 9.0

    def test_always_call_hook_runs_on_error(self):
        class Boom(nn.Module):
            def forward(self, x):
                raise ValueError("boom")
        m = Boom()
        seen = []
        m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
        with pytest.raises(ValueError):
            m(tt.ones(1))
        assert seen == [None]

    def test_global_forward_hook(self):
        seen = []
        h = nn.modules.module.register_module_forward_hook(lambda mod, a, o: seen.append(type(mod).__name__))
        try:
            Plain()(tt.ones(1))
        finally:
            h.remove()
        Plain()(tt.ones(1))
        assert seen == ["Plain"]

    def test_full_backward_hooks_match_torch(self):
        results = {}
        for name, lb in (("tt", tt), ("torch", torch)):
            class Scale(lb.nn.Module):
                def forward(self, x, y):
                    return x * 3 + y, x * y
            m = Scale()
            rec = {}

            def pre(mod, gout, rec=rec):
                rec["pre"] = [None if g is None else _np(g).copy() for g in gout]
                return (gout[0] * 2, gout[1])

            def post(mod, gin, gout, rec=rec):
                rec["gin"] = [None if g is None else _np(g).copy() for g in gin]
                rec["gout"] = [None if g is None else _np(g).copy() for g in gout]
                return (gin[0] + 1, gin[1])
            m.register_full_backward_pre_hook(pre)
            m.register_full_backward_hook(post)
            x = lb.tensor([1.0, 2.0], dtype=lb.float64, requires_grad=True)
            y = lb.tensor([3.0, 4.0], dtype=lb.float64, requires_grad=True)
            a, b = m(x, y)
            (a.sum() + (b * b).sum()).backward()
            rec["xg"], rec["yg"] = _np(x.grad), _np(y.grad)
            results[name] = rec
        for k in ("pre", "gin", "gout", "xg", "yg"):
            for u, v in zip(results["tt"][k], results["torch"][k]):
                np.testing.assert_allclose(u, v)

    def test_backward_hook_without_input_grad(self):
        m = nn.Module()
        m.p = nn.Parameter(tt.ones(2))
        m.forward = lambda x: x * m.p
        seen = []
        m.register_full_backward_hook(lambda mod, gin, gout: seen.append((gin, gout[0].shape)))
        m(tt.ones(2)).sum().backward()
        assert seen and seen[0][0] == (None,) and tuple(seen[0][1]) == (2,)

    def test_handle_context_manager(self):
        m = Plain()
        with m.register_forward_hook(lambda mod, a, o: o * 0):
            assert float(m(tt.tensor(1.0))) == 0.0
        assert float(m(tt.tensor(1.0))) == 2.0


class TestStateDict:
    def _loaded_from_torch(self):
        a, b = _pair(tt), _pair(torch)
        with torch.no_grad():
            for p in b.parameters():
                p.uniform_()
            b.count.fill_(7)
        sd = OrderedDict((k, tt.tensor(v.numpy())) for k, v in b.state_dict().items())
        return a, b, sd

    def test_roundtrip_values_and_keys(self):
        a, b, sd = self._loaded_from_torch()
        r = a.load_state_dict(sd)
        assert r.missing_keys == [] and r.unexpected_keys == [] and repr(r) == "<All keys matched successfully>"
        x = np.random.default_rng(0).standard_normal((4, 2))
        np.testing.assert_allclose(_np(a(tt.tensor(x))), _np(b(torch.tensor(x))))
        assert float(a.count) == 7.0
        sd2 = a.state_dict()
        assert all(not v.requires_grad for v in sd2.values())
        assert a.state_dict(keep_vars=True)["w"] is a.w
        assert list(a.state_dict(prefix="pre.").keys())[0] == "pre.w"

    def test_strict_errors_match_torch_text(self):
        a, b = _pair(tt), _pair(torch)
        bad_t = {k: v for k, v in b.state_dict().items() if k != "b"}
        bad_t["extra"] = torch.ones(1)
        bad = {k: tt.tensor(v.numpy()) for k, v in bad_t.items()}
        with pytest.raises(RuntimeError) as e_tt:
            a.load_state_dict(bad)
        with pytest.raises(RuntimeError) as e_torch:
            b.load_state_dict(bad_t)
        assert str(e_tt.value).replace("Net", "X") == str(e_torch.value).replace("Net", "X")
        r = a.load_state_dict(bad, strict=False)
        assert r.missing_keys == ["b"] and r.unexpected_keys == ["extra"]

    def test_shape_mismatch_leaves_module_untouched(self):
        a, _, sd = self._loaded_from_torch()
        before = {k: _np(v).copy() for k, v in a.state_dict().items()}
        sd["inner.v"] = tt.ones(5, dtype=tt.float64)
        with pytest.raises(RuntimeError, match=r"size mismatch for inner.v: copying a param with shape "
                                               r"torch.Size\(\[5\]\) from checkpoint, the shape in current "
                                               r"model is torch.Size\(\[2\]\)"):
            a.load_state_dict(sd)
        for k, v in a.state_dict().items():
            np.testing.assert_array_equal(_np(v), before[k])

    def test_failed_copy_rolls_back(self):
        a, _, sd = self._loaded_from_torch()
        before = _np(a.w).copy()
        sd["count"] = "not a tensor"
        with pytest.raises(RuntimeError, match='expected torch.Tensor or Tensor-like object from checkpoint'):
            a.load_state_dict(sd)
        np.testing.assert_array_equal(_np(a.w), before)

    def test_converts_dtype_and_device(self, device):
        a = _pair(tt).to(device)
        sd = {k: v.to(tt.float32).cpu() for k, v in _pair(tt).state_dict().items()}
        sd["w"] = tt.full((3, 2), 0.5)
        a.load_state_dict(sd)
        assert a.w.dtype == tt.float64 and a.w.device.type == device and float(a.w.sum()) == 3.0

    def test_assign(self):
        a = _pair(tt)
        w_old = a.w
        sd = dict(a.state_dict())
        new_w = tt.full((3, 2), 2.0, dtype=tt.float64)
        sd["w"] = new_w
        a.load_state_dict(sd, assign=True)
        assert isinstance(a.w, nn.Parameter) and a.w is not w_old and a.w.requires_grad
        assert a.w.data_ptr() == new_w.data_ptr()

    def test_overridable_hooks(self):
        class Renamed(nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = nn.Parameter(tt.zeros(2))

            def _load_from_state_dict(self, state_dict, prefix, *args):
                if prefix + "old_weight" in state_dict:
                    state_dict[prefix + "weight"] = state_dict.pop(prefix + "old_weight")
                super()._load_from_state_dict(state_dict, prefix, *args)

            def _save_to_state_dict(self, destination, prefix, keep_vars):
                super()._save_to_state_dict(destination, prefix, keep_vars)
                destination[prefix + "tag"] = tt.tensor(1)
        m = nn.Sequential(Renamed())
        m.load_state_dict({"0.old_weight": tt.ones(2)})
        assert float(m[0].weight.sum()) == 2.0
        assert list(m.state_dict()) == ["0.weight", "0.tag"]

    def test_extra_state(self):
        class E(nn.Module):
            def __init__(self):
                super().__init__()
                self.k = 1

            def get_extra_state(self):
                return {"k": self.k}

            def set_extra_state(self, s):
                self.k = s["k"]
        e = E()
        e.k = 5
        f = E()
        f.load_state_dict(e.state_dict())
        assert f.k == 5

    def test_non_mapping_rejected(self):
        with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
            Plain().load_state_dict([1, 2])

    def test_state_dict_hooks(self):
        m = _pair(tt)
        seen = []
        m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: seen.append("pre"))
        m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: seen.append(len(sd)))
        m.register_load_state_dict_post_hook(lambda mod, keys: seen.append(tuple(keys.missing_keys)))
        m.load_state_dict(m.state_dict())
        assert seen == ["pre", 4, ()]


class TestReprCopyPickle:
    def test_repr_matches_torch(self):
        a, b = _pair(tt), _pair(torch)
        assert repr(a) == repr(b)
        p = nn.Parameter(tt.ones(2))
        assert repr(p).startswith("Parameter containing:\ntensor([1., 1.], requires_grad=True)")
        ml_t = nn.ModuleList([Plain(), Plain(), nn.Sequential()])
        assert repr(ml_t) == "ModuleList(\n  (0-1): 2 x Plain()\n  (2): Sequential()\n)"

    def test_deepcopy_and_pickle(self):
        a = _pair(tt)
        a(tt.ones(1, 2, dtype=tt.float64)).sum().backward()
        for b in (copy.deepcopy(a), pickle.loads(pickle.dumps(a))):
            assert b.w is not a.w and isinstance(b.w, nn.Parameter) and b.w.requires_grad
            np.testing.assert_array_equal(_np(b.w), _np(a.w))
            b.w.data.fill_(3.0)
            assert float(a.w.sum()) == 6.0
            assert list(b.state_dict()) == list(a.state_dict())
        c = copy.deepcopy(a)
        np.testing.assert_array_equal(_np(c.w.grad), _np(a.w.grad))

    def test_parameter_semantics(self):
        p = nn.Parameter(tt.ones(2))
        assert p.requires_grad and p.is_leaf and type(p * 2) is tt.Tensor
        q = nn.Parameter(tt.ones(2), requires_grad=False)
        assert not q.requires_grad
        assert nn.Parameter().shape == (0,)
        with pytest.raises(TypeError, match="must be Tensor"):
            nn.Parameter([1.0])


class TestContainers:
    def test_sequential_ops(self):
        a, b, c = Plain(), Plain(), Plain()
        s = nn.Sequential(a, b)
        assert float(s(tt.tensor(1.0))) == 4.0
        s.append(c)
        assert len(s) == 3 and s[-1] is c and isinstance(s[1:], nn.Sequential) and len(s[1:]) == 2
        s.insert(0, nn.Sequential())
        assert list(s._modules) == ["0", "1", "2", "3"] and s[1] is a
        assert s.pop(0).__class__ is nn.Sequential and s[0] is a
        del s[0]
        assert list(s._modules) == ["0", "1"] and s[0] is b
        s2 = s + nn.Sequential(a)
        assert len(s2) == 3
        s.extend([a])
        assert len(s) == 3
        od = nn.Sequential(OrderedDict([("first", a), ("second", b)]))
        assert od.first is a and [n for n, _ in od.named_children()] == ["first", "second"]
        with pytest.raises(IndexError, match="index 5 is out of range"):
            s[5]

    def test_module_list_and_dict(self):
        ml = nn.ModuleList([Plain() for _ in range(3)])
        ml.append(Plain())
        ml.insert(1, nn.Sequential())
        assert len(ml) == 5 and isinstance(ml[1], nn.Sequential)
        del ml[0]
        assert list(ml._modules) == ["0", "1", "2", "3"]
        with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
            ml.extend(3)
        md = nn.ModuleDict({"b": Plain(), "a": Plain()})
        assert list(md.keys()) == ["b", "a"] and "a" in md
        md["c"] = nn.Sequential()
        assert [n for n, _ in md.named_children()] == ["b", "a", "c"]
        md.pop("b")
        assert len(md) == 2

    def test_parameter_list_and_dict(self):
        pl = nn.ParameterList([tt.ones(2), nn.Parameter(tt.zeros(3))])
        assert all(isinstance(p, nn.Parameter) for p in pl) and len(pl) == 2
        pl.append(tt.ones(1))
        assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
        pd = nn.ParameterDict({"x": tt.ones(1)})
        pd["y"] = tt.zeros(2)
        assert isinstance(pd["y"], nn.Parameter) and list(pd.keys()) == ["x", "y"]
        tpd = torch.nn.ParameterDict({"x": torch.ones(1)})
        tpd["y"] = torch.zeros(2)
        assert repr(pd) == repr(tpd).replace("torch.", "tritorch.")
        tpl = torch.nn.ParameterList([torch.ones(2), torch.nn.Parameter(torch.zeros(3)), torch.ones(1)])
        assert repr(pl) == repr(tpl).replace("torch.", "tritorch.")
        with pytest.raises(RuntimeError, match="ParameterList should not be called"):
            pl(1)

    def test_state_dict_keys_like_torch(self):
        a = nn.Sequential(nn.ModuleList([nn.ModuleDict({"k": _pair(tt)})]))
        b = torch.nn.Sequential(torch.nn.ModuleList([torch.nn.ModuleDict({"k": _pair(torch)})]))
        assert list(a.state_dict()) == list(b.state_dict())
