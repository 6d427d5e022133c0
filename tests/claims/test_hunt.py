"""The adversarial hunt: its exact 1-D measurements against closed forms, its search, and the
replay of every ledger instance."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from diffbounds.claims import hunt as H
from diffbounds.claims.ledger import load_ledger
from diffbounds.simulators import GaussianMixture


def _gauss_inst(mu=0.7, var=0.3, **kw):
    return dict(weights=[1.0], means=[mu], variances=[var], **kw)


def test_w2_exact_1d_matches_the_gaussian_closed_form():
    # Oracle: W2(N(m1, s1²), N(m2, s2²)) = √((m1 − m2)² + (s1 − s2)²).
    a = GaussianMixture([1.0], [[0.3]], [0.5])
    b = GaussianMixture([1.0], [[-1.1]], [2.0])
    w2, unc = H.w2_exact_1d(a, b)
    exact = math.hypot(0.3 + 1.1, math.sqrt(0.5) - math.sqrt(2.0))
    # Midpoint rule on the quantile function: its error is the tails' share, below unc + 1e-3.
    assert abs(w2 - exact) <= unc + 1e-3 * exact


def test_early_stop_ratio_matches_the_gaussian_forward_marginal():
    # q_t of N(μ, s²) is N(e^{-t}μ, e^{-2t}s² + 1 − e^{-2t}) (closed form, written out here).
    mu, var, t = 0.7, 0.3, 0.2
    r = H.instance_ratio("gupta2024.early_stop_w2", _gauss_inst(mu, var, t=t))
    s_t = math.sqrt(math.exp(-2 * t) * var + 1 - math.exp(-2 * t))
    exact = math.hypot(mu - math.exp(-t) * mu, math.sqrt(var) - s_t)
    m2 = math.sqrt(mu**2 + var)
    assert r["bound"] == pytest.approx(math.sqrt(t) + m2 * t, rel=1e-12)
    assert abs(r["measured"] - exact) <= r["uncertainty"] + 1e-3 * exact
    assert r["ratio"] == pytest.approx((r["measured"] + 2 * r["uncertainty"]) / r["bound"])


def _chain_gaussian(mu, var, times, m, v):
    """Exponential-integrator chain on N(μ, s²) (exact linear score), written independently:
    y ← e^h y + 2(e^h − 1)·(−(y − e^{-t}μ)/Σ_t) + √(e^{2h} − 1) ξ."""
    for t, t_next in zip(times[:-1], times[1:], strict=True):
        h = t - t_next
        sig = math.exp(-2 * t) * var + 1 - math.exp(-2 * t)
        a, b, c2 = math.exp(h), 2 * (math.exp(h) - 1), math.exp(2 * h) - 1
        A = a - b / sig
        m, v = A * m + b * math.exp(-t) * mu / sig, A * A * v + c2
    return m, v


def _tv_gauss(m1, v1, m2, v2):
    f = lambda x: abs(stats.norm.pdf(x, m1, math.sqrt(v1)) - stats.norm.pdf(x, m2, math.sqrt(v2)))  # noqa: E731
    lo = min(m1, m2) - 12 * math.sqrt(max(v1, v2))
    hi = max(m1, m2) + 12 * math.sqrt(max(v1, v2))
    pts = sorted({m1, m2})
    return 0.5 * integrate.quad(f, lo, hi, points=pts, limit=200, epsabs=1e-12)[0]


def test_lemma_b4_instance_matches_the_gaussian_chain():
    mu, var, T, t_stop, N = 0.7, 0.3, 3.0, 0.05, 12
    inst = _gauss_inst(mu, var, T=T, t_stop=t_stop, N=N, schedule="exponential")
    r = H.instance_ratio("gupta2024.lemma_b4", inst)
    times = H._times(inst)
    # start at q_T itself (Lemma B.4 is TV(Q, Q_dis): no start-up error)
    m0 = math.exp(-T) * mu
    v0 = math.exp(-2 * T) * var + 1 - math.exp(-2 * T)
    m, v = _chain_gaussian(mu, var, times, m0, v0)
    exact = _tv_gauss(m, v, math.exp(-t_stop) * mu,
                      math.exp(-2 * t_stop) * var + 1 - math.exp(-2 * t_stop))
    assert exact > 1e-3  # the discretization error is visible
    # The lattice method error is estimated by unc (Δ vs 2Δ): the exact value lies within it.
    assert abs(r["measured"] - exact) <= r["uncertainty"] + 1e-4
    assert r["bound"] == pytest.approx(math.sqrt(1 / N) * (T + math.log(1 / t_stop)))


def test_decode_respects_the_search_space():
    rng = np.random.default_rng(0)
    for key, space in H.SPACES.items():
        lo = np.array([s[1] for s in space], float)
        hi = np.array([s[2] for s in space], float)
        for _ in range(20):
            inst = H.decode(key, rng.uniform(lo, hi))
            k = len(inst["weights"])
            assert 1 <= k <= 4 and math.isclose(sum(inst["weights"]), 1.0)
            assert min(inst["weights"]) >= 1e-3 / 4 - 1e-15
            assert all(-4 <= m <= 4 for m in inst["means"])
            if "N" in inst:
                assert inst["N"] >= math.log(1 / inst["t_stop"]) and 1 <= inst["T"] <= 10
                assert inst["schedule"] in ("uniform", "exponential")


def test_a_short_hunt_returns_a_replayable_candidate():
    res = H.hunt("gupta2024.early_stop_w2", budget=3.0, seed=1, popsize=2)
    assert res["key"] == "gupta2024.early_stop_w2" and res["evaluations"] >= 1
    again = H.instance_ratio(res["key"], res["point"])
    assert again["ratio"] == pytest.approx(res["ratio"], rel=1e-12)


@pytest.mark.parametrize("call, name", [
    (lambda: H.hunt("nope", budget=1), "key"),
    (lambda: H.hunt("gupta2024.lemma_b4", budget=0), "budget"),
    (lambda: H.hunt("gupta2024.lemma_b4", budget=1, seed=-1), "seed"),
    (lambda: H.instance_ratio("nope", {}), "key"),
])
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=f"^{name}"):
        call()


# ---------------------------------------------------------------- replay of the ledger
def _replay(entry):
    from diffbounds.claims.registry import CLAIMS

    if entry.found_by == "hunt":
        return H.instance_ratio(entry.key, entry.point)["ratio"]
    claim = CLAIMS[entry.claim]
    point = claim.complete(entry.point)
    record = claim.verdict([point], [claim.measure(**point)])
    (cand,) = [c.details["candidate"] for c in record.checks
               if c.kind == "ledger" and c.details.get("candidate", {}).get("key") == entry.key]
    return cand["ratio"]


_ENTRIES = sorted(load_ledger().entries.values(), key=lambda e: e.key)
_CHEAP = {"discretization", "l2_versus_quantile", "hunt"}


@pytest.mark.parametrize("entry", [
    pytest.param(e, id=e.key, marks=() if e.claim in _CHEAP or e.found_by == "hunt"
                 else pytest.mark.slow) for e in _ENTRIES])
def test_every_ledger_instance_reproduces_its_ratio(entry):
    """Replays the instance behind each pinned constant (grid: the claim's measurement and
    ledger check at that point; hunt: ``instance_ratio``). Exact laws are deterministic, so
    the ratio must come back to round-off (rel 1e-9)."""
    assert _replay(entry) == pytest.approx(entry.constant, rel=1e-9)


def test_hunt_cli_writes_a_ledger_candidate(tmp_path, capsys):
    import json

    from diffbounds.cli import main

    out = tmp_path / "h.json"
    assert main(["hunt", "gupta2024.early_stop_w2", "--budget", "2", "--seed", "3",
                 "--popsize", "1", "-o", str(out)]) == 0
    (cand,) = json.loads(out.read_text())["candidates"]
    assert cand["key"] == "gupta2024.early_stop_w2" and cand["seed"] == 3
    assert cand["ratio"] > 0 and "pinned constant" in capsys.readouterr().out
    assert main(["hunt", "nope", "--budget", "1"]) == 2
    assert main(["hunt", "gupta2024.lemma_b4", "--popsize", "0"]) == 2


def test_unresolved_instances_do_not_count():
    assert H.resolved(dict(measured=1.0, uncertainty=0.04))
    assert not H.resolved(dict(measured=0.82, uncertainty=0.7))
