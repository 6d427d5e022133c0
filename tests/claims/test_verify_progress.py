"""``diffbounds verify`` reports progress on stderr: each self-check and claim as it starts,
with the elapsed time (issue 11 §4)."""

import re

from diffbounds.claims import registry
from diffbounds.claims._claim import Claim
from diffbounds.claims.verdict import ClaimRecord
from diffbounds.cli import main


def test_verify_progress_lines(monkeypatch, capsys):
    ok = Claim("fine", ("k",), {}, lambda: {"v": 0.5}, lambda quick: [{}],
               lambda pts, rows: ClaimRecord("fine", ["k"], {}, [1.0], [0.5], [0.5], True, 1.0))
    monkeypatch.setitem(registry.CLAIMS, "fine", ok)
    assert main(["verify", "--only", "single_component", "fine"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert re.fullmatch(r"\[\s*\d+\.\d s\] self-check 1/1: single_component \.\.\.", err[0])
    assert any(re.fullmatch(r"\[\s*\d+\.\d s\] running claim fine \.\.\.", line) for line in err)
