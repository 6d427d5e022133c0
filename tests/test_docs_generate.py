"""docs/_generate.py: the generated pages of the documentation site (ledger with and without
claims/ledger.toml, the claims table from verify's JSON records or from the README block, the
bounds table from the CLI, one gallery script per figure module)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def gen():
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "_generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ledger_placeholder_and_rendering(gen, tmp_path, monkeypatch):
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    (tmp_path / "claims").mkdir()
    page = gen.ledger()
    assert "does not exist yet" in page and "```{note}" in page
    (tmp_path / "claims" / "ledger.toml").write_text(
        '# pinned constants\nversion = 3\n[statements."gupta2024.corollary_b6"]\n'
        'source = "sweep propagation"\nconstant = 0.23\n'
        '[statements."gupta2024.lemma_b4"]\nconstant = 0.025\n')
    page = gen.ledger()
    assert "does not exist yet" not in page and "| version | 3 |" in page
    assert "> pinned constants" in page
    assert "| entry | constant | source |" in page  # preferred columns first
    assert "| gupta2024.corollary_b6 | 0.23 | sweep propagation |" in page
    assert "| gupta2024.lemma_b4 | 0.025 |  |" in page


def test_claims_table_from_verify_json_and_from_readme(gen, tmp_path, monkeypatch):
    records = {"checks": [], "claims": [{
        "name": "discretization", "statements": ["gupta2024.lemma_b4"], "fitted_constant": 0.0251,
        "held_out_worst_ratio": 0.752, "holds": True,
        "slopes": [{"parameter": "N", "slope": -0.94, "half_width": 0.04, "exponent": -0.5}]}]}
    path = tmp_path / "verify.json"
    path.write_text(json.dumps(records))
    monkeypatch.setenv("DIFFBOUNDS_VERIFY_JSON", str(path))
    page = gen.claims_table()
    assert ("| discretization | gupta2024.lemma_b4 | 0.0251 | 0.752 | N: -0.94±0.04 vs -0.5 "
            "| yes |") in page
    monkeypatch.delenv("DIFFBOUNDS_VERIFY_JSON")
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index(gen.README_BEGIN) + len(gen.README_BEGIN):
                   readme.index(gen.README_END)].strip()
    assert block in gen.claims_table()


def test_bounds_table_and_gallery(gen, tmp_path):
    from diffbounds import bounds, figures

    page = gen.bounds_table()
    assert page.strip().endswith(bounds.table().strip().splitlines()[-1])
    assert "| gupta2024.theorem_1_2 | samples | VERBATIM |" in page
    gen.gallery(tmp_path)
    scripts = sorted(p.name for p in tmp_path.glob("plot_*.py"))
    assert len(scripts) == len(figures.FIGURES)
    for name in figures.FIGURES:
        (script,) = tmp_path.glob(f"plot_*_{name}.py")
        text = script.read_text()
        assert f'figures.make("{name}"' in text and f"diffbounds figures --only {name}" in text
        compile(text, str(script), "exec")


def test_own_score_model_page_example_runs():
    """The code on docs/own_score_model.md runs as written (it is not executed by the docs
    build), so an API change that breaks it fails here."""
    text = (ROOT / "docs" / "own_score_model.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    code = code.replace("100_000", "2_000")  # the sample size only
    namespace: dict = {}
    exec(compile(code, "own_score_model.md", "exec"), namespace)
    tv_yours, tv_exact = namespace["law"].tv(namespace["mix"].at(1e-2)), \
        namespace["exact"].tv(namespace["mix"].at(1e-2))
    assert namespace["x"].shape == (2_000, 1)
    assert 0 < tv_exact < tv_yours < 1  # the perturbed score is further from q_{t_stop}


def test_api_reference_has_the_testing_module(gen, tmp_path):
    """``diffbounds.testing`` gets a page (docs/own_score_model.md links its functions) that
    documents its own assertions and not the strategies it re-exports (those are documented on
    ``simulators.strategies``' page; documented twice, Sphinx -W fails)."""
    from diffbounds import testing
    from diffbounds.simulators import strategies

    gen.api(tmp_path)
    index = (tmp_path / "index.rst").read_text().splitlines()
    assert "   diffbounds.testing" in index
    page = (tmp_path / "diffbounds.testing.rst").read_text()
    assert ".. automodule:: diffbounds.testing" in page
    (line,) = [s for s in page.splitlines() if s.strip().startswith(":members:")]
    members = [m.strip() for m in line.split(":members:", 1)[1].split(",")]
    reexported = [n for n in testing.__all__ if n in vars(strategies)]
    assert reexported  # the case the exclusion is for
    assert sorted(members) == sorted(n for n in testing.__all__ if n not in reexported)
    assert {"assert_sampler_order", "assert_quantile_propagation"} <= set(members)
