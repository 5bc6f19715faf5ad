"""The project's modules import each other in one direction: no import cycles.

Uses scripts/import_cycles.py (module graph read with ``ast``; imports inside functions count,
package ``__init__`` modules are left out).  A cycle found here fails with its modules listed."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Cycles still tolerated, each a sorted tuple of module names with the reason it remains.  Keep it
# empty: an entry is a debt, not a design.
ALLOWED = set()


def _import_cycles():
    spec = importlib.util.spec_from_file_location("import_cycles", ROOT / "scripts" / "import_cycles.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_no_import_cycles():
    ic = _import_cycles()
    cycles = {tuple(c) for c in ic.strongly_connected(ic.graph(top_level=False))}
    new = cycles - ALLOWED
    assert not new, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in sorted(new))
