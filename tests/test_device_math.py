"""One device math library (kernels/_activation.py): the pointwise ops (``tt.sigmoid``, ``tt.tanh``),
the activation family (``F.silu``, ``F.gelu``, ...) and the fused matmul epilogue use the same
definitions, so their results agree bit for bit; the fused matmul's backward step (``g * act'(z)``)
uses the activation family's derivatives.  The GEMMs here are exact (identity weights), so only the
epilogue math is compared.  Values include fp32 arguments past +-88 (where a naive exp overflows)
and large fp16 ones; results are checked against torch in float64 (finite where torch is finite).
"""
import numpy as np
import pytest
import torch

import tritorch as tt
import tritorch.nn.functional as F
from tritorch._ops.linear import fused_matmul_dz
from tests.conftest import DEVICES

pytestmark = pytest.mark.skipif("cuda" not in DEVICES, reason="no cuda device (GPU or interpreter)")

# Past exp's float32 range (88.7) on both sides, the saturation points, and ordinary values.
X32 = [-120.0, -100.0, -89.0, -88.5, -30.0, -10.0, -3.0, -1.5, -0.25, 1e-3, 0.0, 0.5, 1.0, 2.5, 7.0, 23.0,
       88.5, 89.0, 100.0, 120.0]
X16 = [-60000.0, -1000.0, -20.0, -11.0, -2.0, -0.5, 0.0, 0.125, 1.0, 3.0, 11.0, 20.0, 1000.0, 60000.0]
ACTS = ["relu", "gelu", "gelu_tanh", "silu", "tanh", "sigmoid"]
_TT = {tt.float32: np.float32, tt.float16: np.float16}


def _act(x, act):
    """The activation through its own op: the pointwise op or the activation family."""
    return {"relu": F.relu, "gelu": F.gelu, "gelu_tanh": lambda v: F.gelu(v, approximate="tanh"), "silu": F.silu,
            "tanh": tt.tanh, "sigmoid": tt.sigmoid}[act](x)


def _torch(x, act):
    t = torch.tensor(x, dtype=torch.float64)
    return {"relu": torch.relu, "gelu": torch.nn.functional.gelu, "silu": torch.nn.functional.silu,
            "gelu_tanh": lambda v: torch.nn.functional.gelu(v, approximate="tanh"), "tanh": torch.tanh,
            "sigmoid": torch.sigmoid}[act](t).numpy()


def _bits(t):
    a = t.cpu().numpy()
    return a.view(np.uint16 if a.itemsize == 2 else np.uint32 if a.itemsize == 4 else np.uint64)


def _x(values, dtype):
    return tt.tensor(np.array(values, _TT[dtype]).reshape(1, -1), device="cuda")


@pytest.mark.parametrize("dtype", [tt.float32, tt.float16])
@pytest.mark.parametrize("act", ACTS)
def test_epilogue_equals_activation_bitwise(act, dtype):
    values = X32 if dtype is tt.float32 else X16
    x = _x(values, dtype)
    eye = tt.eye(len(values), dtype=dtype, device="cuda")
    fused = F.fused_linear(x, eye, activation=act)
    plain = _act(x, act)
    np.testing.assert_array_equal(_bits(fused), _bits(plain))
    # ... and right: finite where torch is, close to the float64 result of the rounded inputs.
    ref = _torch(np.array(values, _TT[dtype]).astype(np.float64), act)
    got = plain.cpu().numpy().astype(np.float64)[0]
    assert np.array_equal(np.isfinite(got), np.isfinite(ref))
    tol = dict(rtol=1e-6, atol=1e-6) if dtype is tt.float32 else dict(rtol=1e-3, atol=1e-7)
    np.testing.assert_allclose(got, ref, **tol)


def test_pointwise_ops_equal_activation_family_bitwise():
    # The activation family builds on the same sigmoid / tanh / softplus as the pointwise ops.
    x = _x(X32, tt.float32)
    np.testing.assert_array_equal(_bits(F.silu(x)), _bits(x * tt.sigmoid(x)))
    np.testing.assert_array_equal(_bits(F.tanhshrink(x)), _bits(x - tt.tanh(x)))
    small = _x([v for v in X32 if v <= 20.0], tt.float32)  # below softplus's threshold
    np.testing.assert_array_equal(_bits(F.mish(small)), _bits(small * tt.tanh(F.softplus(small))))
    small.requires_grad_(True)
    g = tt.ones_like(small) * 0.75
    F.softplus(small).backward(g)
    np.testing.assert_array_equal(_bits(small.grad), _bits(g * tt.sigmoid(small.detach())))


@pytest.mark.parametrize("act", ACTS)
def test_epilogue_gradient_equals_activation_gradient_bitwise(act):
    # fp32: tt.sigmoid / tt.tanh differentiate in float32 tensor ops, which the shared definitions
    # follow operation for operation.
    x = _x(X32, tt.float32)
    g = tt.tensor(np.linspace(-2.0, 3.0, len(X32), dtype=np.float32).reshape(1, -1), device="cuda")
    b = x.clone().requires_grad_(True)
    _act(b, act).backward(g)
    np.testing.assert_array_equal(_bits(fused_matmul_dz(g, x, act)), _bits(b.grad))
    # End to end through the GEMM's backward (dz @ I): equal up to the sign of zero, which the
    # product's zero accumulator drops.
    a = x.clone().requires_grad_(True)
    F.fused_linear(a, tt.eye(len(X32), device="cuda"), activation=act).backward(g)
    np.testing.assert_array_equal(_bits(a.grad + 0.0), _bits(b.grad + 0.0))
    assert np.isfinite(a.grad.cpu().numpy()).all()


@pytest.mark.parametrize("act", ["relu", "gelu", "gelu_tanh", "silu"])
def test_fp16_gradient_step_equals_activation_backward_bitwise(act):
    # The activation family's kinds compute g * f'(x) in float32 and round once, as the GEMM's step.
    x = _x(X16, tt.float16)
    g = tt.tensor(np.linspace(-2.0, 3.0, len(X16), dtype=np.float16).reshape(1, -1), device="cuda")
    b = x.clone().requires_grad_(True)
    _act(b, act).backward(g)
    np.testing.assert_array_equal(_bits(fused_matmul_dz(g, x, act)), _bits(b.grad))


def test_relu_gradient_step_never_multiplies_by_zero(device):
    # Regression: the GEMM's relu step was g * (z > 0), giving NaN for an inf / NaN gradient and -0
    # for a negative one where z <= 0; PyTorch's threshold_backward (and F.relu's backward) give +0.
    z = tt.tensor([[-1.0, -2.0, 0.0, -3.0, 4.0]], device=device)
    g = tt.tensor([[float("inf"), float("nan"), -1.0, -2.0, 5.0]], device=device)
    got = fused_matmul_dz(g, z, "relu")
    np.testing.assert_array_equal(_bits(got), _bits(tt.tensor([[0.0, 0.0, 0.0, 0.0, 5.0]], device=device)))
    b = z.clone().requires_grad_(True)
    F.relu(b).backward(g)
    np.testing.assert_array_equal(_bits(got), _bits(b.grad))
