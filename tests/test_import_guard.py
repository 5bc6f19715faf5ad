"""``kernels`` / ``cpu_fallback`` import only as ``tritorch.kernels`` / ``tritorch.cpu_fallback`` in
tests: pytest puts the repository root on ``sys.path``, where the directories would import as
second, unpatched copies of the modules the library runs (tests/conftest.py refuses them)."""
import importlib
import sys

import pytest


@pytest.mark.parametrize("name", ["kernels", "cpu_fallback", "kernels.normalization", "cpu_fallback._rowsum"])
def test_top_level_copies_are_refused(name):
    top = name.partition(".")[0]
    with pytest.raises(ImportError, match=rf"import tritorch\.{top}, not {top}"):
        importlib.import_module(name)
    assert top not in sys.modules and name not in sys.modules


def test_import_statement_is_refused():
    with pytest.raises(ImportError, match=r"import tritorch\.kernels, not kernels"):
        import kernels  # noqa: F401
    with pytest.raises(ImportError, match=r"import tritorch\.cpu_fallback, not cpu_fallback"):
        from cpu_fallback import _rowsum  # noqa: F401


def test_tritorch_packages_import():
    import tritorch.cpu_fallback
    import tritorch.kernels
    import tritorch.kernels.normalization as kn
    assert tritorch.kernels.__name__ == "tritorch.kernels" and tritorch.cpu_fallback.__name__ == "tritorch.cpu_fallback"
    assert kn is sys.modules["tritorch.kernels.normalization"] and kn is tritorch.kernels.normalization
