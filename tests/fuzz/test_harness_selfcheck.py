"""The comparison rule itself must flag injected bugs (otherwise the fuzzer proves nothing)."""
import numpy as np

from .entries import Entry
from .harness import (TORCH, TT_LIBS, Call, TensorSpec, compare, exceptions_compatible, internal_error, run_all)


def _x():
    return TensorSpec("float32", (2, 3), np.arange(6, dtype=np.float32).reshape(3, 2), "t")


def _fake(custom, name="fake"):
    return Call(Entry(name, None, forms=("custom",), custom=custom), "custom", (_x(),), {})


def test_agreeing_call_passes():
    assert compare(_fake(lambda lib, x: x.exp().sum(1)), run_all(_fake(lambda lib, x: x.exp().sum(1)))) == []


def test_flags_wrong_value():
    call = _fake(lambda lib, x: x + (0 if lib is TORCH else 1e-3))
    cats = {m.category for m in compare(call, run_all(call))}
    assert "value" in cats


def test_flags_wrong_dtype_and_shape():
    call = _fake(lambda lib, x: x if lib is TORCH else x.double())
    assert {m.category for m in compare(call, run_all(call))} == {"dtype"}
    call = _fake(lambda lib, x: x if lib is TORCH else x.reshape(3, 2))
    assert {m.category for m in compare(call, run_all(call))} == {"shape"}


def test_flags_leaked_internal_error():
    def f(lib, x):
        if lib is TORCH:
            raise TypeError("sum(): argument 'input' must be Tensor, not NoneType")
        raise AttributeError("'NoneType' object has no attribute '_data'")
    call = _fake(f)
    mism = compare(call, run_all(call))
    assert mism and all(m.category == "internal" for m in mism)
    assert len({m.side for m in mism}) == len(TT_LIBS)


def test_flags_numpy_exception_and_internal_text():
    def f(lib, x):
        if lib is TORCH:
            raise IndexError("Dimension out of range")
        if lib.device == "cpu":
            raise np.exceptions.AxisError(3, 2)
        raise IndexError("tuple index out of range")
    call = _fake(f)
    mism = compare(call, run_all(call))
    assert {m.side for m in mism if m.category == "internal"} == {lib.name for lib in TT_LIBS}


def test_flags_success_failure_and_cpu_cuda_disagreement():
    def f(lib, x):
        if lib.device == "cuda":
            raise RuntimeError("cuda only failure")
        return x
    call = _fake(f)
    mism = compare(call, run_all(call))
    cats = {(m.side, m.category) for m in mism}
    if len(TT_LIBS) > 1:
        assert ("tt-cuda", "status") in cats and ("cuda vs cpu", "status") in cats
    assert not any(m.side == "tt-cpu" for m in mism)


def test_exception_compatibility_rule():
    assert exceptions_compatible(ValueError("a"), ValueError("b"))
    assert exceptions_compatible(NotImplementedError("a"), RuntimeError("b"))
    assert not exceptions_compatible(IndexError("a"), RuntimeError("b"))
    assert not exceptions_compatible(TypeError("a"), ValueError("b"))
    call = _fake(lambda lib, x: x)
    assert internal_error(call, RuntimeError("fake(): expected a float tensor"), RuntimeError("x")) is None
    assert internal_error(call, ZeroDivisionError("float division by zero"), RuntimeError("x"))
