"""A PyTorch model definition, unchanged, runs on tritorch: the same source text is executed with
``torch`` bound to PyTorch and to tritorch; PyTorch's checkpoint loads into the tritorch model and
gives PyTorch's outputs, and the tritorch model's checkpoint loads back into PyTorch."""
import builtins
import io

import numpy as np
import pytest
import torch

import tritorch as tt

MODEL_SOURCE = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
from collections import OrderedDict


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size=3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Net(nn.Module):
    def __init__(self, classes=5):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("b1", Block(3, 8)),
            ("pool", nn.MaxPool2d(2)),
            ("b2", Block(8, 8)),
            ("gap", nn.AdaptiveAvgPool2d((2, 2))),
        ]))
        self.heads = nn.ModuleDict({
            "cls": nn.Sequential(nn.Flatten(), nn.Dropout(0.1), nn.Linear(32, 16), nn.GELU(),
                                 nn.LayerNorm(16), nn.Linear(16, classes)),
        })
        self.embed = nn.Embedding(10, 4, padding_idx=0)
        self.register_buffer("scale", torch.ones(1))

    def forward(self, x, tokens):
        h = self.heads["cls"](self.features(x))
        return F.log_softmax(h, dim=-1) * self.scale + self.embed(tokens).sum((1, 2)).unsqueeze(-1)
'''


def _build(lib):
    """``Net()`` from MODEL_SOURCE, whose ``import torch`` statements resolve to ``lib``."""
    real_import = builtins.__import__

    def imp(name, globals=None, locals=None, fromlist=(), level=0):
        if lib is tt and name.split(".")[0] == "torch":
            mod = tt
            for part in name.split(".")[1:] if fromlist else ():
                mod = getattr(mod, part)
            return mod
        return real_import(name, globals, locals, fromlist, level)
    ns = {"__builtins__": {**builtins.__dict__, "__import__": imp}}
    exec(compile(MODEL_SOURCE, "<model>", "exec"), ns)
    return ns["Net"]()


def _np(t):
    return t.detach().cpu().numpy()


@pytest.fixture
def nets():
    torch.manual_seed(0)
    ref = _build(torch).double()
    # Non-trivial running statistics and weights, so that loading is actually checked.
    ref.train()
    with torch.no_grad():
        for _ in range(3):
            ref(torch.randn(4, 3, 8, 8, dtype=torch.float64), torch.randint(0, 10, (4, 3)))
    ours = _build(tt).double()
    return ref, ours


def _inputs():
    rng = np.random.default_rng(1)
    return rng.standard_normal((2, 3, 8, 8)), rng.integers(0, 10, (2, 3))


def test_torch_checkpoint_runs_in_tritorch(nets, device):
    ref, ours = nets
    buf = io.BytesIO()
    torch.save(ref.state_dict(), buf)
    buf.seek(0)
    sd = tt.load(buf, map_location=device)
    assert list(sd) == list(ref.state_dict())
    ours.to(device).load_state_dict(sd)
    ref.eval()
    ours.eval()
    x, tok = _inputs()
    want = ref(torch.tensor(x), torch.tensor(tok))
    got = ours(tt.tensor(x, device=device), tt.tensor(tok, device=device))
    np.testing.assert_allclose(_np(got), _np(want), rtol=1e-10, atol=1e-10)
    assert repr(ours) == repr(ref)


def test_training_step_matches_and_checkpoint_goes_back(nets, device):
    ref, ours = nets
    ours.to(device).load_state_dict({k: tt.tensor(_np(v), device=device) for k, v in ref.state_dict().items()})
    for m in (ref.heads["cls"][1], ours.heads["cls"][1]):
        m.p = 0.0  # dropout off so both libraries' random streams don't matter
    x, tok = _inputs()
    y = np.array([1, 3])
    loss_ref = torch.nn.functional.nll_loss(ref(torch.tensor(x), torch.tensor(tok)), torch.tensor(y))
    loss_ours = tt.nn.functional.nll_loss(ours(tt.tensor(x, device=device), tt.tensor(tok, device=device)),
                                          tt.tensor(y, device=device))
    loss_ref.backward()
    loss_ours.backward()
    np.testing.assert_allclose(float(loss_ours), float(loss_ref), rtol=1e-10)
    for (n, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(_np(p.grad), _np(q.grad), rtol=1e-7, atol=1e-10, err_msg=n)
    with tt.no_grad():
        for p in ours.parameters():
            p.sub_(p.grad, alpha=0.1)
    buf = io.BytesIO()
    tt.save(ours.state_dict(), buf)
    buf.seek(0)
    back = torch.load(buf, weights_only=True, map_location="cpu")
    ref.load_state_dict(back)
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(_np(back[k]), _np(v))
        assert back[k].dtype == getattr(torch, str(v.dtype).split(".")[-1])
