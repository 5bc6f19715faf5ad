"""Op-table entries of the matrix products: the registry op ``matmul`` (every broadcasting
case, 1-D operands, empty and non-contiguous operands, integer dtypes) and the compositions
built on it (mm, bmm, dot, mv, outer, addmm, baddbmm, addmv, addbmm, addr, inner,
tensordot, einsum).  References are numpy (float64 / exact integers)."""
import numpy as np

import tritorch as tt
from tests.opinfo.core import OpInfo, Sample, FLOATS, INTS, make

PRODUCT_DTYPES = FLOATS + INTS  # bool has no product kernel, as in PyTorch


def _nc(shape, dtype, device):
    """A non-contiguous tensor of ``shape``: transposed for >= 2-D, strided for 1-D."""
    if len(shape) >= 2:
        return make(shape[:-2] + (shape[-1], shape[-2]), dtype, device).transpose(-1, -2)
    return make(shape, dtype, device, noncontig=True)


def _mk(spec, dtype, device):
    if spec and spec[0] == "nc":
        return _nc(spec[1], dtype, device)
    return make(spec, dtype, device, low=-2, high=2)


def _pairs(cases, kw=None):
    def gen(dtype, device):
        return [Sample((_mk(a, dtype, device), _mk(b, dtype, device)), dict(kw or {}), name=f"{a}@{b}")
                for a, b in cases]
    return gen


MATMUL_CASES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((2, 1, 2, 3), (4, 3, 2)),
    ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((1, 2, 3), (4, 3, 2)),
    (("nc", (2, 3)), ("nc", (3, 4))), (("nc", (2, 2, 3)), (3, 2)), (("nc", (3,)), ("nc", (3, 2))),
    ((0, 3), (3, 4)), ((2, 0), (0, 4)), ((2, 3), (3, 0)), ((0,), (0,)), ((2, 0, 2, 3), (3, 2)),
]


def _ref_scaled(prod):
    def ref(inp, a, b, beta=1, alpha=1):
        p = prod(a, b)
        return alpha * p + (beta * inp if beta != 0 else 0)
    return ref


def _add_samples(shapes, extra=()):
    def gen(dtype, device):
        out = []
        for inp, a, b in shapes:
            for kw in ({},) + tuple(extra):
                if not dtype.is_floating_point and any(isinstance(v, float) for v in kw.values()):
                    continue
                out.append(Sample((_mk(inp, dtype, device), _mk(a, dtype, device), _mk(b, dtype, device)), kw))
        return out
    return gen


_BETAS = ({"beta": 0.5, "alpha": 2.0}, {"beta": 0, "alpha": 1}, {"beta": 2, "alpha": 3})


def _einsum_samples(dtype, device):
    m = lambda s: make(s, dtype, device, low=-2, high=2)  # noqa: E731
    cases = [
        ("ij,jk->ik", (2, 3), (3, 4)), ("bij,bjk->bik", (2, 2, 3), (2, 3, 4)), ("i,i->", (3,), (3,)),
        ("ij->ji", (2, 3)), ("ii->i", (3, 3)), ("ii->", (3, 3)), ("bhqd,bhkd->bhqk", (1, 2, 3, 4), (1, 2, 2, 4)),
        ("ij,jk", (2, 3), (3, 4)), ("...ij,...jk->...ik", (2, 2, 3), (3, 4)), ("i,j->ij", (2,), (3,)),
        ("ij,ij,ij->i", (2, 3), (2, 3), (2, 3)), ("ij->", (0, 3)), ("ijk->kj", (2, 3, 2)), ("i,i", (2,), (1,)),
    ]
    return [Sample((eq,) + tuple(m(s) for s in shapes), name=eq) for eq, *shapes in cases] + \
        [Sample(("ij,jk->ik", _nc((2, 3), dtype, device), _nc((3, 2), dtype, device)), name="noncontig")]


def _ref_einsum(eq, *ops):
    if eq == "i,i":  # size-1 dims broadcast in PyTorch's einsum, not in numpy's
        ops = np.broadcast_arrays(*ops)
    return np.einsum(eq, *ops)


def _ref_matmul(a, b):
    r = np.matmul(a, b)
    return np.asarray(r, dtype=np.result_type(a, b))


def _tensordot_samples(dtype, device):
    m = lambda s: make(s, dtype, device, low=-2, high=2)  # noqa: E731
    return [Sample((m((2, 3, 4)), m((3, 4, 2))), {"dims": 2}), Sample((m((2, 3)), m((3, 2))), {"dims": ([1], [0])}),
            Sample((m((2, 3)), m((4,))), {"dims": 0}), Sample((m((3, 2)), _nc((3, 2), dtype, device)),
                                                             {"dims": ([0, 1], [0, 1])})]


def _ref_tensordot(a, b, dims=2):
    r = np.tensordot(a, b, axes=dims)
    return np.asarray(r, dtype=a.dtype)


OPS = [
    OpInfo("matmul", tt.matmul, _ref_matmul, _pairs(MATMUL_CASES), dtypes=PRODUCT_DTYPES),
    OpInfo("matmul_operator", lambda a, b: a @ b, _ref_matmul, _pairs(MATMUL_CASES[:8]), dtypes=FLOATS,
           covers=("__composite__", "matmul")),
    OpInfo("mm", tt.mm, _ref_matmul, _pairs([((2, 3), (3, 4)), (("nc", (3, 2)), ("nc", (2, 4))), ((0, 2), (2, 3)),
                                             ((2, 0), (0, 3))]), dtypes=PRODUCT_DTYPES,
           covers=("__composite__", "matmul")),
    OpInfo("bmm", tt.bmm, _ref_matmul, _pairs([((2, 2, 3), (2, 3, 4)), (("nc", (3, 2, 2)), (3, 2, 1)),
                                               ((0, 2, 3), (0, 3, 2))]), dtypes=PRODUCT_DTYPES,
           covers=("__composite__", "matmul")),
    OpInfo("dot", tt.dot, _ref_matmul, _pairs([((4,), (4,)), (("nc", (3,)), (3,)), ((0,), (0,))]),
           dtypes=PRODUCT_DTYPES, covers=("__composite__", "matmul")),
    OpInfo("mv", tt.mv, _ref_matmul, _pairs([((2, 3), (3,)), (("nc", (3, 4)), ("nc", (4,))), ((0, 3), (3,))]),
           dtypes=PRODUCT_DTYPES, covers=("__composite__", "matmul")),
    OpInfo("outer", tt.outer, np.multiply.outer, _pairs([((3,), (4,)), (("nc", (2,)), (0,))]),
           dtypes=PRODUCT_DTYPES, covers=("__composite__",)),
    OpInfo("addmm", tt.addmm, _ref_scaled(np.matmul),
           _add_samples([((2, 4), (2, 3), (3, 4)), ((4,), ("nc", (2, 3)), (3, 4)), ((1, 1), (2, 3), (3, 4))],
                        _BETAS), dtypes=PRODUCT_DTYPES, covers=("__composite__", "matmul")),
    OpInfo("baddbmm", tt.baddbmm, _ref_scaled(np.matmul),
           _add_samples([((2, 2, 4), (2, 2, 3), (2, 3, 4)), ((2, 4), (2, 2, 3), ("nc", (2, 3, 4)))], _BETAS),
           dtypes=FLOATS, covers=("__composite__", "matmul")),
    OpInfo("addmv", tt.addmv, _ref_scaled(np.matmul), _add_samples([((2,), (2, 3), (3,)), ((1,), (2, 3), (3,))],
                                                                  _BETAS[:1]),
           dtypes=FLOATS, covers=("__composite__", "matmul")),
    # bmm rounds each product to bf16 before the batch sum (as torch's composition does), so a
    # small result can carry the rounding error of its ~5x larger parts: half a bf16 ulp at 4..8.
    OpInfo("addbmm", tt.addbmm, _ref_scaled(lambda a, b: np.matmul(a, b).sum(0)),
           _add_samples([((2, 4), (3, 2, 3), (3, 3, 4))], _BETAS[:1]), dtypes=FLOATS,
           covers=("__composite__", "matmul"), tol={tt.bfloat16: (2e-2, 6e-2)}),
    OpInfo("addr", tt.addr, _ref_scaled(np.multiply.outer), _add_samples([((2, 3), (2,), (3,))], _BETAS[:1]),
           dtypes=FLOATS, covers=("__composite__",)),
    OpInfo("inner", tt.inner, lambda a, b: np.inner(a, b),
           _pairs([((2, 3), (4, 3)), ((3,), (3,)), (("nc", (2, 3)), (3,))]), dtypes=FLOATS,
           covers=("__composite__", "matmul")),
    OpInfo("tensordot", tt.tensordot, _ref_tensordot, _tensordot_samples, dtypes=PRODUCT_DTYPES,
           covers=("__composite__", "matmul")),
    OpInfo("einsum", tt.einsum, _ref_einsum, _einsum_samples, dtypes=PRODUCT_DTYPES,
           covers=("__composite__", "matmul")),
]
