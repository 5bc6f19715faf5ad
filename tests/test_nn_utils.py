"""nn.utils: gradient clipping, parameter vectors, parametrize and its parametrizations, conv/linear +
batch-norm fusion, checked against PyTorch."""
import numpy as np
import pytest
import torch

import tritorch as tt
import tritorch.nn as nn
from tritorch.nn.utils import parametrize, parametrizations

RNG = np.random.default_rng(0)


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, tt.Tensor) else t.detach().numpy()


class Holder(nn.Module):
    def __init__(self, shape, data=None):
        super().__init__()
        self.weight = nn.Parameter(tt.tensor(RNG.standard_normal(shape) if data is None else data))

    def forward(self, x):
        return x @ self.weight.t()


class TorchHolder(torch.nn.Module):
    def __init__(self, data):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.tensor(data))

    def forward(self, x):
        return x @ self.weight.t()


def _params_with_grads(device, lib, arrays):
    ps = []
    for a in arrays:
        p = (tt.tensor(a, device=device) if lib is tt else torch.tensor(a)).requires_grad_(True)
        p.grad = tt.tensor(a * 3, device=device) if lib is tt else torch.tensor(a * 3)
        ps.append(p)
    return ps


class TestClipGrad:
    @pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0])
    @pytest.mark.parametrize("max_norm", [0.5, 1e6])
    def test_clip_grad_norm_matches_torch(self, device, norm_type, max_norm):
        arrays = [RNG.standard_normal((3, 4)), RNG.standard_normal(5), RNG.standard_normal(())]
        a, b = _params_with_grads(device, tt, arrays), _params_with_grads(None, torch, arrays)
        ta = nn.utils.clip_grad_norm_(a, max_norm, norm_type)
        tb = torch.nn.utils.clip_grad_norm_(b, max_norm, norm_type)
        np.testing.assert_allclose(float(ta), float(tb), rtol=1e-12)
        assert ta.ndim == 0 and ta.device.type == device
        for p, q in zip(a, b):
            np.testing.assert_allclose(_np(p.grad), _np(q.grad), rtol=1e-12)

    @pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
    def test_clip_grad_norm_across_devices_and_dtypes(self, norm_type):
        # Gradients on cpu and cuda, float32 and float64: torch groups by (device, dtype), stacks the
        # per-tensor norms on the first device and reduces once; a norm of per-device norms rounds
        # differently.  The reference runs the same grouping on torch's cpu with the same dtypes.
        from tests.conftest import DEVICES
        if "cuda" not in DEVICES:
            pytest.skip("no cuda device (GPU or interpreter)")
        arrays = [RNG.standard_normal((3, 4)).astype(np.float32), RNG.standard_normal(5), RNG.standard_normal(7),
                  RNG.standard_normal((2, 2)).astype(np.float32)]
        devices = ["cpu", "cuda", "cuda", "cpu"]
        a = []
        for arr, dev in zip(arrays, devices):
            p = tt.tensor(arr, device=dev).requires_grad_(True)
            p.grad = tt.tensor(arr * 3, device=dev)
            a.append(p)
        b = _params_with_grads(None, torch, arrays)
        ta = nn.utils.clip_grad_norm_(a, 0.5, norm_type)
        tb = torch.nn.utils.clip_grad_norm_(b, 0.5, norm_type)
        assert ta.device.type == "cpu"
        np.testing.assert_allclose(float(ta), float(tb), rtol=1e-6)
        for p, q in zip(a, b):
            np.testing.assert_allclose(_np(p.grad), _np(q.grad), rtol=1e-6)

    def test_nonfinite(self):
        p = tt.ones(2, requires_grad=True)
        p.grad = tt.tensor([1.0, float("inf")])
        with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                               "non-finite"):
            nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
        assert float(nn.utils.clip_grad_norm_(p, 1.0)) == float("inf")

    def test_no_grads_and_single_tensor(self):
        p = tt.ones(2, requires_grad=True)
        assert float(nn.utils.clip_grad_norm_([p], 1.0)) == 0.0
        p.grad = tt.full((2,), 3.0)
        nn.utils.clip_grad_value_(p, 1.5)
        assert _np(p.grad).tolist() == [1.5, 1.5]


def test_parameters_vector_roundtrip():
    m = nn.Module()
    m.a = nn.Parameter(tt.tensor(RNG.standard_normal((2, 3))))
    m.b = nn.Parameter(tt.tensor(RNG.standard_normal(4)))
    v = nn.utils.parameters_to_vector(m.parameters())
    ref = np.concatenate([_np(m.a).ravel(), _np(m.b)])
    np.testing.assert_array_equal(_np(v), ref)
    nn.utils.vector_to_parameters(v * 2, m.parameters())
    np.testing.assert_array_equal(_np(nn.utils.parameters_to_vector(m.parameters())), ref * 2)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], m.parameters())


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

    def right_inverse(self, A):
        return A.triu()


class TorchSymmetric(torch.nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

    def right_inverse(self, A):
        return A.triu()


class TestParametrize:
    def test_register_remove_and_state_dict(self):
        data = RNG.standard_normal((3, 3))
        m, tm = Holder((3, 3), data=data), TorchHolder(data)
        parametrize.register_parametrization(m, "weight", Symmetric())
        torch.nn.utils.parametrize.register_parametrization(tm, "weight", TorchSymmetric())
        assert type(m).__name__ == "ParametrizedHolder" and parametrize.is_parametrized(m, "weight")
        assert list(m.state_dict()) == list(tm.state_dict()) == ["parametrizations.weight.original"]
        np.testing.assert_allclose(_np(m.weight), _np(tm.weight))
        w = _np(m.weight)
        np.testing.assert_array_equal(w, w.T)
        x = RNG.standard_normal((2, 3))
        m(tt.tensor(x)).sum().backward()
        tm(torch.tensor(x)).sum().backward()
        np.testing.assert_allclose(_np(m.parametrizations.weight.original.grad),
                                   _np(tm.parametrizations.weight.original.grad))
        new = RNG.standard_normal((3, 3))
        new = new + new.T
        m.weight = tt.tensor(new)
        np.testing.assert_allclose(_np(m.weight), new)
        with parametrize.cached():
            assert m.weight is m.weight
        assert m.weight is not m.weight
        parametrize.remove_parametrizations(m, "weight")
        assert type(m) is Holder and isinstance(m.weight, nn.Parameter)
        np.testing.assert_allclose(_np(m.weight), new)
        with pytest.raises(ValueError, match="does not have a parametrization on weight"):
            parametrize.remove_parametrizations(m, "weight")

    def test_shape_change_needs_unsafe(self):
        class Drop(nn.Module):
            def forward(self, X):
                return X[:1]
        m = Holder((3, 3))
        with pytest.raises(ValueError, match="may not change the shape"):
            parametrize.register_parametrization(m, "weight", Drop())
        with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
            parametrize.register_parametrization(m, "nope", Symmetric())


class TestParametrizations:
    def test_weight_norm_matches_torch(self, device):
        data = RNG.standard_normal((4, 3))
        for dim in (0, 1, None):
            m = parametrizations.weight_norm(Holder((4, 3), data=data).to(device), dim=dim)
            tm = torch.nn.utils.parametrizations.weight_norm(TorchHolder(data), dim=dim)
            assert list(m.state_dict()) == list(tm.state_dict())
            for k, v in tm.state_dict().items():
                np.testing.assert_allclose(_np(m.state_dict()[k]), _np(v), rtol=1e-12)
            x = RNG.standard_normal((2, 3))
            m(tt.tensor(x, device=device)).sum().backward()
            tm(torch.tensor(x)).sum().backward()
            for (k, p), (_, q) in zip(m.named_parameters(), tm.named_parameters()):
                np.testing.assert_allclose(_np(p.grad), _np(q.grad), rtol=1e-10, err_msg=k)

    def test_weight_norm_loads_old_keys(self):
        data = RNG.standard_normal((4, 3))
        old = torch.nn.utils.weight_norm(TorchHolder(data))
        m = parametrizations.weight_norm(Holder((4, 3)))
        m.load_state_dict({k: tt.tensor(_np(v)) for k, v in old.state_dict().items()})
        np.testing.assert_allclose(_np(m.weight), data, rtol=1e-12)

    def test_spectral_norm(self, device):
        data = RNG.standard_normal((5, 3))
        m = parametrizations.spectral_norm(Holder((5, 3), data=data).to(device))
        assert sorted(m.state_dict()) == sorted(["parametrizations.weight.original",
                                                 "parametrizations.weight.0._u", "parametrizations.weight.0._v"])
        if device == "cpu":  # power-iteration convergence; the interpreter makes 30 steps slow on cuda
            for _ in range(30):
                w = m.weight
            np.testing.assert_allclose(np.linalg.norm(_np(w), 2), 1.0, rtol=1e-6)
        tm = torch.nn.utils.parametrizations.spectral_norm(TorchHolder(data))
        tm.load_state_dict({k: torch.tensor(_np(v)) for k, v in m.state_dict().items()})
        m.eval()
        tm.eval()
        np.testing.assert_allclose(_np(m.weight), _np(tm.weight), rtol=1e-10)
        x = RNG.standard_normal((2, 3))
        m(tt.tensor(x, device=device)).sum().backward()
        tm(torch.tensor(x)).sum().backward()
        np.testing.assert_allclose(_np(m.parametrizations.weight.original.grad),
                                   _np(tm.parametrizations.weight.original.grad), rtol=1e-8)

    @pytest.mark.parametrize("omap,shape", [("matrix_exp", (4, 4)), ("cayley", (4, 4)), ("householder", (5, 3)),
                                            ("matrix_exp", (3, 5)), ("cayley", (5, 3)), ("householder", (3, 5))])
    def test_orthogonal(self, omap, shape):
        data = RNG.standard_normal(shape)
        m = parametrizations.orthogonal(Holder(shape, data=data), orthogonal_map=omap)
        Q = _np(m.weight)
        k = min(shape)
        gram = Q.T @ Q if shape[0] >= shape[1] else Q @ Q.T
        np.testing.assert_allclose(gram, np.eye(k), atol=1e-10)
        tm = torch.nn.utils.parametrizations.orthogonal(TorchHolder(data), orthogonal_map=omap)
        sd = {k2: tt.tensor(_np(v)) for k2, v in tm.state_dict().items()}
        assert sorted(sd) == sorted(m.state_dict())
        # Perturb the original so the map itself (not just the base) is exercised.
        sd["parametrizations.weight.original"] = sd["parametrizations.weight.original"] + 0.1 * tt.tensor(
            RNG.standard_normal(shape))
        m.load_state_dict(sd)
        tm.load_state_dict({k2: torch.tensor(_np(v)) for k2, v in sd.items()})
        np.testing.assert_allclose(_np(m.weight), _np(tm.weight), atol=1e-10)
        x = RNG.standard_normal((2, shape[1]))
        (m(tt.tensor(x)) ** 2).sum().backward()
        (tm(torch.tensor(x)) ** 2).sum().backward()
        np.testing.assert_allclose(_np(m.parametrizations.weight.original.grad),
                                   _np(tm.parametrizations.weight.original.grad), atol=1e-9)

    def test_orthogonal_bad_input(self):
        m = nn.Module()
        m.weight = nn.Parameter(tt.ones(3))
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions"):
            parametrizations.orthogonal(m)
        with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
            parametrizations.orthogonal(Holder((3, 3)), orthogonal_map="qr")
