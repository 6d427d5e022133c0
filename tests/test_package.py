"""The distribution: one top-level import name in the wheel, its package data, the version's
single source, bundled sweeps by name, and default output paths in the working directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import diffbounds
from diffbounds import sweeps
from diffbounds._paths import default_figures_dir, default_store
from diffbounds.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("setuptools", minversion="77")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(out)], check=True, timeout=300,
                   capture_output=True)
    (path,) = out.glob("diffbounds-*.whl")
    return path


def test_wheel_installs_only_diffbounds(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert top == {"diffbounds", f"diffbounds-{diffbounds.__version__}.dist-info"}, top
    for sub in ("bounds", "simulators", "claims", "figures", "benchmarks", "cli", "sweeps"):
        assert f"diffbounds/{sub}/__init__.py" in names, sub
    assert "diffbounds/py.typed" in names
    assert "diffbounds/claims/ledger.toml" in names  # verdicts need the pinned constants
    bundled = {Path(n).stem for n in names if re.fullmatch(r"diffbounds/sweeps/\w+\.toml", n)}
    assert bundled == set(sweeps.names()) and "quick" in bundled
    assert f"diffbounds-{diffbounds.__version__}.dist-info/licenses/LICENSE" in names
    assert not any(n.startswith(("diffbounds/tests", "diffbounds/notebooks", "diffbounds/docs"))
                   for n in names)


def test_version_single_source(capsys):
    from importlib import metadata

    assert diffbounds.__version__ == metadata.version("diffbounds")
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"diffbounds {diffbounds.__version__}"
    cff = (ROOT / "CITATION.cff").read_text()
    assert re.search(rf"^version: {re.escape(diffbounds.__version__)}$", cff, re.M)
    base = re.match(r"\d+\.\d+\.\d+", diffbounds.__version__).group(0)
    assert f"## [{base}]" in (ROOT / "CHANGELOG.md").read_text()


def test_sweeps_by_name_and_by_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert sweeps.resolve("quick") == sweeps.DIRECTORY / "quick.toml"
    assert sweeps.resolve("quick.toml") == sweeps.DIRECTORY / "quick.toml"
    own = tmp_path / "quick.toml"  # a file of one's own wins over the bundled name
    own.write_text('name = "mine"\n')
    assert sweeps.resolve("quick.toml") == Path("quick.toml")
    assert sweeps.resolve(own) == own
    with pytest.raises(ValueError, match="bundled: .*quick"):
        sweeps.resolve("no_such_sweep")
    with pytest.raises(ValueError, match="neither a sweep file"):
        sweeps.resolve("somewhere/quick")  # a path that does not exist is not a name
    with pytest.raises(TypeError, match="^sweep:"):
        sweeps.resolve(3)


def test_default_paths_follow_cwd_and_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("DIFFBOUNDS_STORE", raising=False)
    monkeypatch.delenv("DIFFBOUNDS_FIGURES", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_store() == tmp_path / "results" / "diffbounds.sqlite"
    assert default_figures_dir() == tmp_path / "figures" / "output"
    monkeypatch.setenv("DIFFBOUNDS_STORE", str(tmp_path / "s.sqlite"))
    monkeypatch.setenv("DIFFBOUNDS_FIGURES", "figs")
    assert default_store() == tmp_path / "s.sqlite"
    assert default_figures_dir() == tmp_path / "figs"
    assert not str(default_store()).startswith(str(Path(diffbounds.__file__).parent))


def test_figure_writes_to_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("DIFFBOUNDS_FIGURES", raising=False)
    monkeypatch.chdir(tmp_path)
    from diffbounds import figures

    paths = figures.make("bounds_comparison", quick=True, store=False)
    assert Path(paths["png"]).parent == tmp_path / "figures" / "output"
    assert Path(paths["png"]).is_file()


def test_sweep_status_json_and_shared_default_store(tmp_path, monkeypatch, capsys):
    from diffbounds.claims.store import ResultStore
    from diffbounds.figures import _source

    monkeypatch.delenv("DIFFBOUNDS_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "status"]) == 2  # no store yet: a clear error, nothing created
    assert "no result store" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()
    (tmp_path / "results").mkdir()
    with ResultStore(default_store()) as st:
        st.record_sweep("s", "s.toml", "", "0", [("k1", "discretization", {"N": 20})])
    assert _source.store_path(None) == default_store()  # figures read the store sweep writes
    assert main(["sweep", "status", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and rows[0]["sweep"] == "s" and rows[0]["tasks"] == 1 and rows[0]["ok"] == 0


def test_python_dash_m_version():
    out = subprocess.run([sys.executable, "-m", "diffbounds", "--version"], check=True,
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    assert out.strip() == f"diffbounds {diffbounds.__version__}"


def test_readme_setup_is_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [ln.split("#")[0].strip() for ln in block.splitlines() if ln.strip()]
    assert commands == ["pip install -e . && diffbounds verify --quick",
                        "pip install -e '.[test]' && pytest"]
    assert "pip install -e '.[test]' && pytest" in (ROOT / ".ci" / "run").read_text()


def test_ci_installs_k_diffusion_without_deps_and_the_sampling_imports_are_covered():
    """CI's test job installs the pinned k-diffusion with --no-deps before the README command,
    so that tests/simulators/test_adapters_kdiffusion.py runs instead of skipping. Its
    sampling.py's imports must be covered by the test extra or stood in for by the tests."""
    run = (ROOT / ".ci" / "run").read_text()
    job = run.split("job_tests() {", 1)[1].split("\n}", 1)[0]
    no_deps = "pip install --quiet --no-deps -r .ci/kdiffusion-no-deps.txt"
    assert no_deps in job and job.index(no_deps) < job.index("pip install -e '.[test]' && pytest")
    pins = [ln for ln in (ROOT / ".ci" / "kdiffusion-no-deps.txt").read_text().splitlines()
            if ln.strip() and not ln.startswith("#")]
    assert pins == ["k-diffusion==0.1.1.post1"]
    assert "k-diffusion 0.1.1.post1" in (ROOT / "pyproject.toml").read_text()
    import importlib.util

    spec = importlib.util.find_spec("k_diffusion")
    if spec is None or not spec.submodule_search_locations:
        return  # not installed here; CI installs it (checked above)
    src = (Path(spec.submodule_search_locations[0]) / "sampling.py").read_text()
    imports = {ln.split()[1].split(".")[0] for ln in src.splitlines()
               if ln.startswith(("import ", "from ")) and not ln.startswith("from .")}
    assert {"scipy", "torch", "tqdm", "torchdiffeq", "torchsde"} <= imports
    stood_in = {"torchdiffeq", "torchsde"}  # and `from . import utils`
    tools = (ROOT / "tests" / "simulators" / "test_adapters_kdiffusion.py").read_text()
    assert all(f'"{m}"' in tools for m in stood_in)
    for mod in imports - stood_in - {"math"}:
        assert importlib.util.find_spec(mod) is not None, mod
