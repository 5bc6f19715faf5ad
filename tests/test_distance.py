"""normalize / cosine_similarity / pairwise_distance against torch CPU on both devices: outputs
and input gradients, zero and tiny (< eps) vectors, broadcasting, dims, p, out=."""
import numpy as np
import pytest
import torch

import tritorch as tt
import tritorch.nn.functional as F


def _run(name, arrays, kw, device):
    res = []
    for lib in (tt, torch):
        if lib is tt:
            ts = [tt.tensor(a, device=device, requires_grad=True) for a in arrays]
            f = F
        else:
            ts = [torch.tensor(a, requires_grad=True) for a in arrays]
            f = torch.nn.functional
        y = getattr(f, name)(*ts, **kw)
        g = np.random.default_rng(0).standard_normal(tuple(y.shape))
        gs = lib.autograd.grad(y, ts, lib.tensor(g, device=device) if lib is tt else torch.tensor(g))
        res.append([t.detach().cpu().numpy() if lib is tt else t.detach().numpy() for t in (y, *gs)])
    for o, r in zip(*res):
        np.testing.assert_allclose(o, r, rtol=1e-9, atol=1e-12 * max(1.0, np.abs(r).max(initial=0)))


def _vecs():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 5))
    a[1] = 0.0          # zero vector: norm clamped, gradient through the unclamped norm
    a[2] = 1e-10        # norm below eps
    return a


@pytest.mark.parametrize("kw", [{}, {"p": 1.0, "dim": 0}, {"p": 3.0, "dim": -1, "eps": 1e-3}])
def test_normalize(kw, device):
    _run("normalize", [_vecs()], kw, device)


@pytest.mark.parametrize("shapes,kw", [(((4, 5), (4, 5)), {}), (((4, 5), (1, 5)), {"dim": -1}),
                                       (((2, 1, 5), (3, 5)), {"dim": 2, "eps": 1e-2}),
                                       (((4, 5), (4, 5)), {"dim": 0})])
def test_cosine_similarity(shapes, kw, device):
    rng = np.random.default_rng(2)
    a = _vecs()[:shapes[0][-2]].reshape(shapes[0]) if shapes[0] == (4, 5) else rng.standard_normal(shapes[0])
    b = rng.standard_normal(shapes[1])
    b.reshape(-1)[:5] = 0.0
    _run("cosine_similarity", [a, b], kw, device)


@pytest.mark.parametrize("kw", [{}, {"p": 1.0, "keepdim": True}, {"p": 3.0, "eps": 0.0}])
def test_pairwise_distance(kw, device):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4,))
    _run("pairwise_distance", [a, b], kw, device)


def test_normalize_out(device):
    x = tt.tensor(_vecs(), device=device)
    out = tt.zeros(4, 5, device=device, dtype=tt.float64)
    r = F.normalize(x, out=out)
    assert r is out
    np.testing.assert_allclose(out.cpu().numpy(), torch.nn.functional.normalize(torch.tensor(_vecs())).numpy())


def test_cosine_similarity_errors(device):
    with pytest.raises(RuntimeError, match="must match"):
        F.cosine_similarity(tt.zeros(2, 3, device=device), tt.zeros(2, 4, device=device))
    with pytest.raises(IndexError):
        F.cosine_similarity(tt.zeros(2, 3, device=device), tt.zeros(2, 3, device=device), dim=2)
