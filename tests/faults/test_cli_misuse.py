"""Issue 13 §1-2: the CLI answers misuse with one line before any work, never loses or silently
replaces a sweep's grid or verdict, and never exits 0 after a verdict turned into an error."""

from __future__ import annotations

import time

import pytest

from diffbounds.claims.store import ResultStore
from diffbounds.cli import main
from tests.faults._util import PIN, REPO, fabricate, sweep_text

QUICK_TOML = REPO / "sweeps" / "quick.toml"


@pytest.fixture(autouse=True)
def _pinned(monkeypatch):
    monkeypatch.setenv("DIFFBOUNDS_CODE_VERSION", PIN)


def _one_error_line(capsys, prefix):
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(prefix), err
    return lines[0]


# ---------------------------------------------------------------------------- sweep names
def test_same_name_different_grid_is_refused_and_nothing_is_replaced(tmp_path, capsys):
    """The issue's example: a one-task file named like the quick sweep (25+ tasks)."""
    store = tmp_path / "r.sqlite"
    quick = fabricate(store, QUICK_TOML.read_text())
    n_quick = len(quick.tasks)
    assert n_quick >= 25
    with ResultStore(store) as st:
        st.write_verdict("quick", "discretization", error="sentinel verdict", n_points=4,
                         code_version=PIN)
    one = tmp_path / "one.toml"
    one.write_text(sweep_text("quick", ns=(20,)))
    t0 = time.perf_counter()
    assert main(["sweep", "run", str(one), "--store", str(store), "--workers", "1",
                 "--no-progress"]) == 2
    assert time.perf_counter() - t0 < 10  # refused before any task ran
    line = _one_error_line(capsys, "diffbounds sweep: error: store: sweep 'quick' is already")
    assert f"{n_quick} task(s)" in line and "--replace" in line and "another name" in line
    with ResultStore(store, readonly=True) as st:
        assert len(st.sweep_tasks("quick")) == n_quick
        assert len(st.rows(sweep="quick")) == n_quick
        assert st.verdicts(sweep="quick")[0]["error"] == "sentinel verdict"
    assert main(["sweep", "export", "--sweep", "quick", "--format", "json", "--store",
                 str(store)]) == 0
    assert capsys.readouterr().out.count('"key"') == n_quick


def test_replace_is_explicit_and_drops_the_old_verdicts(tmp_path, capsys):
    store = tmp_path / "r.sqlite"
    fabricate(store, sweep_text("s", ns=(20, 30, 40, 60)))
    with ResultStore(store) as st:
        st.write_verdict("s", "discretization", error="old verdict", n_points=4,
                         code_version=PIN)
    with ResultStore(store) as st:  # same grid under the same name: accepted (a resume)
        sw = fabricate(tmp_path / "other.sqlite", sweep_text("s", ns=(20, 30, 40, 60)))
        st.record_sweep("s", None, "", PIN, [(t.key, t.claim, t.point) for t in sw.tasks])
        assert st.verdicts(sweep="s")[0]["error"] == "old verdict"
        three = fabricate(tmp_path / "third.sqlite", sweep_text("s", ns=(20, 30, 40)))
        st.record_sweep("s", None, "", PIN, [(t.key, t.claim, t.point) for t in three.tasks],
                        replace=True)
        assert len(st.sweep_tasks("s")) == 3 and st.verdicts(sweep="s") == []


def test_sweep_run_exits_nonzero_when_a_verdict_is_an_error(tmp_path, capsys):
    """Every task is stored (so nothing runs) but the measurements lack what the verdict
    needs: the verdict raises, the run reports it and exits 1, not 0."""
    store = tmp_path / "r.sqlite"
    text = sweep_text("v", ns=(20, 30, 40, 60))
    fabricate(store, text, measured=lambda p: {"unexpected": 1.0})
    toml = tmp_path / "v.toml"
    toml.write_text(text)
    assert main(["sweep", "run", str(toml), "--store", str(store), "--workers", "1",
                 "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "4 already done, 0 run" in captured.out
    assert "verdict error: discretization:" in captured.err
    with ResultStore(store, readonly=True) as st:
        assert st.verdicts(sweep="v")[0]["error"]


# ---------------------------------------------------------------------------- output paths
def test_verify_json_into_a_missing_folder_fails_before_any_work(tmp_path, capsys):
    t0 = time.perf_counter()
    assert main(["verify", "--quick", "--json", str(tmp_path / "missing" / "x.json")]) == 2
    assert time.perf_counter() - t0 < 5  # nothing was run
    line = _one_error_line(capsys, "diffbounds verify: error: json: the folder")
    assert "does not exist" in line


def test_verify_readme_misuse_fails_before_any_work(tmp_path, capsys):
    assert main(["verify", "--quick", "--readme", str(tmp_path / "R.md")]) == 2
    _one_error_line(capsys, "diffbounds verify: error: readme: needs --markdown")
    assert main(["verify", "--quick", "--markdown", "--readme", str(tmp_path / "R.md")]) == 2
    _one_error_line(capsys, "diffbounds verify: error: readme:")


def test_bounds_compare_plot_into_a_missing_folder(tmp_path, capsys):
    assert main(["bounds", "compare", "gupta2024.theorem_1_2", "block2020.samples", "--vary",
                 "epsilon", "--from", "0.01", "--to", "0.5", "--plot",
                 str(tmp_path / "no" / "p.png")]) == 2
    _one_error_line(capsys, "diffbounds bounds: error: --plot: the folder")


def test_export_and_bench_outputs_into_a_missing_folder(tmp_path, capsys):
    store = tmp_path / "r.sqlite"
    fabricate(store, sweep_text("e"))
    assert main(["sweep", "export", "--store", str(store), "--output",
                 str(tmp_path / "no" / "x.csv")]) == 2
    _one_error_line(capsys, "diffbounds sweep: error: output: the folder")
    assert main(["bench", "--json", str(tmp_path / "no" / "b.json")]) == 2
    _one_error_line(capsys, "diffbounds bench: error: json: the folder")


def test_bench_cuda_without_a_gpu_is_one_line(capsys):
    from diffbounds.simulators.kernels import get_backend

    try:
        get_backend("cuda")
    except RuntimeError as exc:
        library_message = str(exc).splitlines()[0]
    else:
        pytest.skip("a CUDA device is available")
    assert main(["bench", "--backends", "cuda", "--n", "100", "--steps", "2"]) == 2
    line = _one_error_line(capsys, "diffbounds bench: error: backend='cuda'")
    assert line.endswith(library_message)


def test_figures_outdir_that_cannot_be_made_fails_before_rendering(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    t0 = time.perf_counter()
    assert main(["figures", "--only", "bounds_comparison", "--no-store", "--outdir",
                 str(blocker / "out")]) == 2
    assert time.perf_counter() - t0 < 10
    _one_error_line(capsys, "diffbounds figures: error: outdir: cannot create")
