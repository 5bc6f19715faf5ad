"""The README's main job (scripts/quickstart.py) trains end to end on each device."""
import importlib.util
import pathlib

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "scripts" / "quickstart.py"


def _load():
    spec = importlib.util.spec_from_file_location("quickstart", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_quickstart_learns_with_workers_and_checkpoint(tmp_path, capsys):
    ckpt = tmp_path / "digits.pt"
    acc = _load().main(["--epochs", "2", "--device", "cpu", "--workers", "2", "--checkpoint", str(ckpt)])
    out = capsys.readouterr().out
    assert "device=cpu" in out and "epoch  2  train loss" in out and ckpt.exists()
    # Ten classes (chance 0.1); two epochs of the one-cycle schedule already reach ~0.9.
    assert acc > 0.8, out


@pytest.mark.slow
def test_quickstart_runs_on_cuda(capsys):
    # About a minute in the interpreter, even for a 64-image subset, one epoch and no workers.
    acc = _load().main(["--epochs", "1", "--device", "cuda", "--workers", "0", "--subset", "64",
                        "--batch-size", "32"])
    out = capsys.readouterr().out
    assert "device=cuda" in out and "reloaded model test accuracy" in out
    assert 0.0 <= acc <= 1.0
