"""Each figure renders at quick size with the Agg backend and writes its four files.

PNG: a non-empty PNG; CSV: the module's documented columns (``COLUMNS``) and at least one row;
JSON: the provenance keys. A figure whose claim is not registered yet is skipped with the
reason (``figures.FigureDataUnavailable``).
"""

from __future__ import annotations

import csv
import json

import matplotlib
import pytest

matplotlib.use("Agg")

from diffbounds import figures  # noqa: E402
from diffbounds.figures import _source, _style  # noqa: E402

PROVENANCE_KEYS = {"figure", "source", "parameters", "seeds", "versions", "commit", "date",
                   "statements"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", sorted(figures.FIGURES))
def test_figure_renders_quick(name, tmp_path):
    module = figures.FIGURES[name]
    try:
        paths = figures.make(name, quick=True, store=False, outdir=tmp_path)
    except figures.FigureDataUnavailable as exc:
        pytest.skip(f"{name}: {exc}")
    assert set(paths) == {"pdf", "png", "csv", "json"}
    png = open(paths["png"], "rb").read()
    assert png.startswith(PNG_MAGIC) and len(png) > 10_000
    assert open(paths["pdf"], "rb").read(5) == b"%PDF-"
    with open(paths["csv"], newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == tuple(module.COLUMNS)
    assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows)
    prov = json.load(open(paths["json"]))
    assert PROVENANCE_KEYS <= set(prov)
    assert prov["figure"] == name
    assert prov["versions"]["matplotlib"] == matplotlib.__version__


def test_registry_names_match_modules():
    assert all(module.NAME == name for name, module in figures.FIGURES.items())
    with pytest.raises(ValueError, match="unknown figure"):
        figures.make("no_such_figure")


def test_statement_label():
    assert _style.statement_label("gupta2024.corollary_b6") == "Cor. B.6"
    assert _style.statement_label("gupta2024.theorem_1_2", "gupta2024.lemma_a1") == \
        "Thm 1.2, Lem. A.1"
    assert _style.statement_label("block2020.samples") == "block2020.samples"


def test_write_csv_rejects_ragged_columns(tmp_path):
    with pytest.raises(ValueError, match="equal lengths"):
        _style.write_csv(tmp_path / "x.csv", {"a": [1.0, 2.0], "b": [1.0]})


def test_missing_claim_is_a_clear_error():
    with pytest.raises(figures.FigureDataUnavailable, match="not registered"):
        _source.get_claim("no_such_claim")


def test_explicit_store_must_exist(tmp_path):
    with pytest.raises(ValueError, match="no result store"):
        _source.stored_results("discretization", tmp_path / "missing.sqlite")


def test_reads_the_store_when_it_holds_the_claim(tmp_path):
    store_mod = pytest.importorskip("diffbounds.claims.store")
    from diffbounds.claims.registry import get_claim

    claim = get_claim("discretization")
    path = tmp_path / "s.sqlite"
    grid = claim.grid(quick=True)
    with store_mod.ResultStore(path) as rs:
        rs.record_sweep("t", None, "", "test", [(f"k{i}", claim.name, p)
                                                  for i, p in enumerate(grid)])
        rs.record_sweep("other", None, "", "test", [("other0", claim.name, {**grid[0], "T": 7.0})])
        for i, p in enumerate(grid):
            rs.write_result(key=f"k{i}", sweep="t", claim=claim.name, params=p,
                            measured=claim.measure(**p), wall_time=0.0, versions={},
                            git_commit=None, host="test", status="ok", traceback=None,
                            code_version="test")
        # A second, smaller sweep of the same claim must not be mixed in.
        p = claim.grid(quick=True)[0]
        rs.write_result(key="other0", sweep="other", claim=claim.name, params={**p, "T": 7.0},
                        measured=claim.measure(**{**p, "T": 7.0}), wall_time=0.0, versions={},
                        git_commit=None, host="test", status="ok", traceback=None,
                        code_version="test")
    record, source = _source.claim_record("discretization", store=path)
    assert source == f"store:{path} (sweep t)"
    assert record.name == "discretization" and len(record.measured) == len(grid)


def test_cli_lists_and_rejects_unknown(capsys):
    from diffbounds.cli import main

    assert main(["figures", "--list"]) == 0
    assert "quantile_vs_l2" in capsys.readouterr().out
    assert main(["figures", "--only", "nope"]) == 2
