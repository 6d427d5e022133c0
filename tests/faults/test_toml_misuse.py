"""Issue 13 §2: every task's parameters are checked against the claim's declared types and
ranges when a sweep file is read, naming the file, the task and the parameter."""

from __future__ import annotations

import math

import pytest

from diffbounds.claims.registry import CLAIMS
from diffbounds.claims.sweep import load_sweep, parse_sweep
from diffbounds.cli import main
from tests.faults._util import PIN


@pytest.fixture(autouse=True)
def _pinned(monkeypatch):
    monkeypatch.setenv("DIFFBOUNDS_CODE_VERSION", PIN)


BASE = 'name = "bad"\n[[task]]\nclaim = "discretization"\n'


@pytest.mark.parametrize("body, param", [
    ("grid = { N = [true] }", "N"),          # a bool where an integer is expected
    ('grid = { N = ["twenty"] }', "N"),      # a string
    ("grid = { N = [-20] }", "N"),           # negative
    ("grid = { N = [0] }", "N"),             # zero
    ("grid = { N = [20] }\nfixed = { spacing = nan }", "spacing"),
    ("grid = { N = [20] }\nfixed = { spacing = 0 }", "spacing"),
    ("grid = { N = [20] }\nfixed = { T = 0.5 }", "T"),      # Lemma B.4 needs T >= 1
    ("points = [{ N = 20 }, { N = 2.5 }]", "N"),
])
def test_issue_examples_are_refused_when_the_file_is_read(tmp_path, body, param):
    path = tmp_path / "bad.toml"
    path.write_text(BASE + body + "\n")
    with pytest.raises(ValueError) as info:
        load_sweep(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: [[task]] #1 (claim 'discretization')"), msg
    assert f"params: {param}: must be" in msg, msg


def test_cli_refuses_a_bad_file_without_touching_the_store(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(BASE + "grid = { N = [true] }\n")
    store = tmp_path / "r.sqlite"
    assert main(["sweep", "run", str(path), "--store", str(store), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "params: N: must be an integer >= 1, got True" in err[0]
    assert not store.exists()


def _bad_values(spec):
    out = [True, "x", None]
    if spec.kind != "choice":
        out.append(math.nan)
        if spec.low is not None:
            out.append(spec.low - 1 if not spec.low_open else spec.low)
        if spec.high is not None:
            out.append(spec.high + 1 if not spec.high_open else spec.high)
        if spec.kind == "int":
            out.append(1.5)
    else:
        out.append("not-a-choice")
    return out


CASES = [(c.name, k, v) for c in CLAIMS.values() for k, spec in c.parameter_specs.items()
         for v in _bad_values(spec) if v is not None]


def test_every_claim_declares_every_parameter():
    for c in CLAIMS.values():
        assert set(c.parameter_specs) == set(c.parameters), c.name
        for quick in (True, False):
            for p in c.grid(quick):
                c.validate(p)  # the claims' own grids are valid


@pytest.mark.parametrize("claim, param, value", CASES,
                         ids=[f"{c}-{k}-{v!r}" for c, k, v in CASES])
def test_every_declared_parameter_rejects_bad_values(claim, param, value):
    val = "true" if value is True else (f'"{value}"' if isinstance(value, str)
                                        else ("nan" if value != value else repr(value)))
    text = f'name = "p"\n[[task]]\nclaim = "{claim}"\nfixed = {{ {param} = {val} }}\n'
    with pytest.raises(ValueError, match=rf"\[\[task\]\] #1 .*params: {param}: must be"):
        parse_sweep(text, path="f.toml")


@pytest.mark.parametrize("kwargs, name", [({"N": True}, "N"), ({"spacing": math.nan}, "spacing"),
                                          ({"T": 0.5}, "T")])
def test_direct_measure_checks_the_same_specs_before_any_work(kwargs, name):
    with pytest.raises(ValueError, match=f"^{name}: must be"):
        CLAIMS["discretization"].measure(**kwargs)


def test_claim_seeds_are_bounded_for_derived_sub_seeds():
    from diffbounds.claims._claim import CLAIM_SEED_MAX

    with pytest.raises(ValueError, match="^seed: must be an integer in"):
        CLAIMS["figure_1"].measure(seed=CLAIM_SEED_MAX + 1)
