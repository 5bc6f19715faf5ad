"""scripts/char_lm.py: the character-level language model learns well below the unigram entropy
of its text, with either model."""
import importlib.util
import pathlib

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "scripts" / "char_lm.py"


def _load():
    spec = importlib.util.spec_from_file_location("char_lm", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("model", ["lstm", pytest.param("transformer", marks=pytest.mark.slow)])
def test_char_lm_learns_below_unigram_entropy(model, capsys):
    loss, unigram = _load().main(["--model", model, "--steps", "150", "--batch", "16", "--seq-len", "32",
                                  "--sample", "40", "--device", "cpu"])
    out = capsys.readouterr().out
    assert "unigram entropy" in out and "sample:" in out
    assert loss < unigram - 0.4, out


@pytest.mark.slow
def test_char_lm_default_run_learns():
    loss, unigram = _load().main(["--sample", "0", "--device", "cpu"])
    assert loss < unigram - 1.0
