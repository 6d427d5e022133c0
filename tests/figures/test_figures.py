"""Each figure renders at quick size with the Agg backend and writes its four files.

PNG: a non-empty PNG; CSV: the module's documented columns (``COLUMNS``) and at least one row;
JSON: the provenance keys and a caption. House style at print size: the NeurIPS widths
(5.5 in or 2.7 in), no text under 7 pt, and no legend box over a plotted point (checked in
display coordinates on the drawn figure; ``test_overlap_check_can_fail`` shows the check
catches a legend placed over data). A figure whose claim is not registered yet is skipped
with the reason (``figures.FigureDataUnavailable``).
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


def _plotted_points(fig):
    """Display coordinates of every plotted data point (lines' vertices, markers, collection
    offsets) that lies inside its axes."""
    import numpy as np
    from matplotlib.collections import Collection

    pts = []
    for ax in fig.axes:
        box = ax.get_window_extent()
        for art in ax.get_children():
            if not art.get_visible():
                continue
            if isinstance(art, matplotlib.lines.Line2D):
                xy = art.get_transform().transform(np.asarray(art.get_xydata(), float))
            elif isinstance(art, Collection) and len(art.get_offsets()):
                xy = art.get_offset_transform().transform(np.asarray(art.get_offsets(), float))
            else:
                continue
            xy = xy[np.all(np.isfinite(xy), axis=1)]
            inside = ((xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1) & (xy[:, 1] >= box.y0)
                      & (xy[:, 1] <= box.y1))
            pts.extend(map(tuple, xy[inside]))
    return pts


def _draw(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.canvas.draw()


def legend_overlaps(fig):
    """(legend index, point) for every plotted point inside a legend's box."""
    _draw(fig)
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    boxes = [lg.get_window_extent() for lg in legends]
    return [(i, p) for p in _plotted_points(fig) for i, b in enumerate(boxes)
            if b.x0 < p[0] < b.x1 and b.y0 < p[1] < b.y1]


def small_texts(fig, minimum):
    """Visible, non-empty texts smaller than ``minimum`` points."""
    _draw(fig)
    out = []
    for t in fig.findobj(matplotlib.text.Text):
        if t.get_visible() and t.get_text().strip() and t.get_fontsize() < minimum - 1e-9:
            out.append((t.get_text(), t.get_fontsize()))
    return out


def test_overlap_check_can_fail():
    with _style.style():
        fig = _style.figure("half")
        ax = fig.add_subplot()
        ax.plot([0, 1, 2], [0, 1, 2], "o", label="data")
        ax.legend(loc="center")  # over the middle point
        ax.text(0, 2, "tiny", fontsize=5)
    assert legend_overlaps(fig)
    assert small_texts(fig, _style.MIN_FONT_PT) == [("tiny", 5.0)]
    with _style.style():
        fig = _style.figure("half")
        ax = fig.add_subplot()
        ax.plot([0, 1, 2], [0, 1, 2], "o", label="data")
        _style.legend_outside(fig, ax)
    assert not legend_overlaps(fig)


@pytest.mark.parametrize("name", sorted(figures.FIGURES))
def test_figure_renders_quick(name, tmp_path, monkeypatch):
    module = figures.FIGURES[name]
    drawn = []
    save = _style.save

    def capture(fig, *args, **kwargs):
        drawn.append(fig)
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(_style, "save", capture)
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
    assert prov["caption"] and len(prov["caption"]) > 40
    (fig,) = drawn
    assert round(fig.get_size_inches()[0], 3) in (_style.FULL, _style.HALF)
    with _style.style():
        assert small_texts(fig, _style.MIN_FONT_PT) == []
        assert legend_overlaps(fig) == []
    titles = [ax.get_title(loc) for ax in fig.axes for loc in ("left", "center", "right")]
    assert all(len(t) <= 45 for t in titles), titles  # parameters go in the caption


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
