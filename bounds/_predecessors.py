"""Statements of the works Gupta et al. compare against (notes §5 and §8). A form read only in an
abstract is VERBATIM-SECONDARY; a reconstructed form is UNVERIFIED and stays so."""

from __future__ import annotations

import sympy as sp

from diffbounds.bounds._registry import register
from diffbounds.bounds.statement import Source, Statement
from diffbounds.bounds.symbols import (
    C,
    D,
    L,
    N,
    P,
    R,
    T,
    Theta,
    beta,
    d,
    delta,
    epsilon,
    epsilon_score,
    gamma,
    kappa,
    m,
    sigma,
    t,
)

log, sqrt, exp = sp.log, sp.sqrt, sp.exp

BBDD = "Benton, De Bortoli, Doucet, Deligiannidis 2024 (ICLR; arXiv 2308.03686)"
BMR = "Block, Mroueh, Rakhlin 2020 (as instantiated in Gupta et al. 2024, Appendix E)"
CCL = "Chen, Chewi, Li, Li, Salim, Zhang 2023 (ICLR; arXiv 2209.11215)"
CLL = "Chen, Lee, Lu 2023 (ICML; arXiv 2211.01916)"
CHZW = "Chen, Huang, Zhao, Wang 2023 (as characterised in Gupta et al. 2024, §2)"
ZYLL = "Zhang, Yin, Liang, Liu 2024 (ICML)"
OAS = "Oko, Akiyama, Suzuki 2023 (ICML)"
HIDDEN_LOGS = (log(d), log(1 / epsilon), log(1 / delta))


def _reg(**kw) -> Statement:
    return register(Statement(**kw))


_reg(key="benton2024.steps", quantity="steps", status="VERBATIM",
     expr=C * d / epsilon ** 2 * log(1 / gamma) ** 2,
     relation="N = Õ(expr) iterations suffice",
     source=Source(BBDD, "as quoted in Gupta et al. 2024, §1",
                   note="the abstract states Õ(d log^2(1/delta)/eps^2) steps for KL eps^2 to the "
                   "variance-delta smoothing; delta there is gamma here"),
     hypotheses=("E_{q_t}||s_hat_t - s_t||^2 <= Õ(eps^2/sigma_t^2)", "finite second moment"),
     hidden=HIDDEN_LOGS,
     description="iterations to sample gamma m_2-close in W2 (eps in TV) with L2-accurate scores")

_reg(key="benton2024.kl", quantity="kl", status="UNVERIFIED",
     expr=C * (epsilon_score ** 2 + kappa * d * T + kappa ** 2 * d * N + d * exp(-2 * T)),
     source=Source(BBDD, "Theorem 1", note="reconstructed (notes §8); with general second "
                   "moment the last term is presumably (d + m_2^2) e^{-2T}"),
     hypotheses=("sum_k gamma_k E||s_theta - grad log q||^2 <= eps_score^2", "Cov(q) = I_d",
                 "step sizes gamma_k <= kappa min(1, T - t_{k+1})"),
     description="KL(q_delta || p_{t_N})")

_reg(key="benton2024.corollary_1", quantity="steps", status="UNVERIFIED",
     expr=C * d * (log(d / epsilon ** 2) + log(1 / gamma)) ** 2 / epsilon ** 2,
     source=Source(BBDD, "Corollary 1", note="reconstructed (notes §8): T ~ log(d/eps^2), "
                   "kappa ~ (T + log(1/delta))/N; delta there is gamma here"),
     hypotheses=("score error eps_score <= eps",), hidden=HIDDEN_LOGS,
     description="N = Theta(d (T + log(1/gamma))^2 / eps^2) for KL = Õ(eps^2)")

_reg(key="block2020.samples", quantity="samples", status="VERBATIM",
     expr=C * d ** sp.Rational(5, 2) / (gamma ** 3 * epsilon ** 2) * (Theta ** 2 * P) ** D
     * sqrt(D) * log(1 / delta),
     relation="sufficient: m = Õ(expr)",
     source=Source(BMR, "Gupta et al. Appendix E, final bound (§1)",
                   note="log(N/delta) = Õ(log(1/delta)); W2 accuracy gamma R"),
     hypotheses=("support in a ball of radius R", "L2 score accuracy at all N steps"),
     hidden=(log(d), log(1 / gamma), log(N)),
     description="samples for L2-accurate scores at all steps (TV eps, W2 gamma R)")

_reg(key="block2020.per_step", quantity="samples", status="VERBATIM",
     expr=C * d ** sp.Rational(5, 2) * R ** 3 / (sigma ** 3 * epsilon ** 2) * (Theta ** 2 * P) ** D
     * sqrt(D) * log(1 / delta),
     relation="sufficient: m = Õ(expr)",
     source=Source(BMR, "Gupta et al. Appendix E, Corollary E.2",
                   note="with R >~ sqrt(d)/sigma_t; squared L2 error O(eps^2/sigma^2)"),
     hypotheses=("support in a ball of radius R",), hidden=(log(d),),
     description="samples per time step for squared L2 score error eps^2/sigma^2")

_reg(key="block2020.intermediate", quantity="samples", status="OCR-GARBLED",
     expr=C * (R ** 6 * d + R ** 2 * d ** 2) / epsilon ** 2 * (Theta ** 2 * P) ** D * sqrt(D)
     * log(1 / delta),
     source=Source(BMR, "Gupta et al. Appendix E, intermediate bound",
                   note="reconstruction of a partly unreadable display (notes §5)"),
     description="intermediate sample bound for squared L2 error O(eps^2/sigma^2)")

_reg(key="block2020.rademacher", quantity="l2_error", status="VERBATIM",
     expr=C * R * sqrt(d) / sqrt(m) * (Theta * sqrt(P)) ** D * sqrt(D),
     relation="R_n(F) <~ expr (n = m samples)",
     source=Source("Sellke 2024, as used in Gupta et al. Appendix E",
                   "Rademacher complexity bound"),
     hypotheses=("ReLU networks with ||theta||_inf <= Theta",),
     description="Rademacher complexity of the network class (quantity: a complexity; filed "
                 "under l2_error)")

_reg(key="chen2023.steps", quantity="steps", status="UNVERIFIED",
     expr=C * d ** 3 * sp.Max(R, sqrt(d)) ** 4 / (epsilon ** 2 * gamma ** 8),
     source=Source(CCL, "compact-support / early-stopping corollary",
                   note="'or similar' (notes §8); gamma stands for the W2 accuracy eps_W; Gupta "
                   "et al. quote only poly(d, 1/eps, 1/gamma)"),
     hypotheses=("support in a ball of radius R", "E||s_hat_t - s_t||^2 <= Õ(eps^2)"),
     hidden=HIDDEN_LOGS,
     description="iterations for TV eps to something gamma-close in W2")

_reg(key="chen2023.steps_lipschitz", quantity="steps", status="UNVERIFIED",
     expr=C * L ** 2 * d / epsilon ** 2,
     source=Source(CCL, "Theorem 2", note="N = Θ~(L^2 d/eps^2) for an L-Lipschitz score"),
     hypotheses=("score L-Lipschitz", "step h <~ 1/L", "E||s_hat - s||^2 <= eps_score^2"),
     hidden=HIDDEN_LOGS, description="iterations for TV eps with a Lipschitz score")

_reg(key="chen_lee_lu2023.steps", quantity="steps", status="VERBATIM-SECONDARY",
     expr=C * d * log(1 / gamma) / epsilon,
     source=Source(CLL, "abstract (Feb 3 2023 version)",
                   note="eps is the reverse-KL accuracy (TV eps corresponds to KL eps^2); "
                   "delta (noise variance) there is gamma here"),
     hypotheses=("finite second moment",), hidden=HIDDEN_LOGS,
     description="steps to approximate the variance-gamma smoothing in reverse KL to eps")

_reg(key="chen_huang_zhao_wang2023.samples", quantity="samples", status="VERBATIM",
     expr=(d / epsilon) ** (C * d),
     source=Source(CHZW, "as characterised in Gupta et al. 2024, §2", note="(d/eps)^{O(d)}"),
     hypotheses=("subgaussian data",),
     description="samples to learn scores to L2 error eps/sigma_t, general subgaussian data")

_reg(key="zhang2024.l2_error", quantity="l2_error", status="VERBATIM-SECONDARY",
     expr=C / m * t ** (-(d + 2) / 2) * sp.Max(t ** (d / 2), 1),
     source=Source(ZYLL, "abstract", note="kernel score estimator; n samples = m"),
     hypotheses=("p_0 sub-Gaussian", "target p_0 * N(0, t I_d)"),
     hidden=(log(m),), description="MSE of the kernel score estimator at time t")

_reg(key="zhang2024.tv", quantity="tv", status="VERBATIM-SECONDARY",
     expr=C / sqrt(m) * t ** (-d / 4),
     source=Source(ZYLL, "abstract"), hypotheses=("p_0 sub-Gaussian",), hidden=(log(m),),
     description="TV error of the resulting distribution estimate")

_reg(key="oko2023.tv", quantity="tv", status="UNVERIFIED",
     expr=C * m ** (-beta / (2 * beta + d)),
     source=Source(OAS, "main theorem", note="explicit rate not read (notes §5): "
                   "'nearly minimax optimal' in TV"),
     hypotheses=("density in a Besov space of smoothness beta",), hidden=(log(m),),
     description="TV estimation rate n^{-s/(2s+d)}")
