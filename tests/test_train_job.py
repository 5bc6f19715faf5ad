"""The README's main job trains end to end on each device."""
import importlib.util
import pathlib

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "scripts" / "train.py"


def _load():
    spec = importlib.util.spec_from_file_location("train_job", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_main_job_learns(device, capsys):
    acc = _load().main(["--epochs", "20", "--device", device])
    out = capsys.readouterr().out
    assert f"device={device}" in out
    # Three classes: chance is 1/3; 20 full-batch steps reach ~0.7 on both devices.
    assert acc > 0.6, out
