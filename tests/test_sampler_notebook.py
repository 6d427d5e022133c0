"""The jupytext (percent) tutorial notebooks/04_test_your_own_sampler.py runs as a script at its
stored (QUICK) size without error (about 20 s: slow)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_sampler_tutorial_runs(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    runpy.run_path(str(ROOT / "notebooks" / "04_test_your_own_sampler.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "pf_heun" in out and "caught:" in out
