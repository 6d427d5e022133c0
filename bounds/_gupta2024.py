"""Statements of Gupta, Parulekar, Price, Xun, "Improved Sample Complexity Bounds for Diffusion
Model Training" (NeurIPS 2024), numbered as in the NeurIPS version. Formulas and status tags
follow shared/reference/paper-notes.md (§ numbers below refer to those notes)."""

from __future__ import annotations

import sympy as sp

from diffbounds.bounds._registry import register
from diffbounds.bounds.statement import Source, Statement
from diffbounds.bounds.symbols import (
    C,
    D,
    H,
    N,
    P,
    R,
    S,
    T,
    Theta,
    d,
    delta,
    delta_score,
    delta_train,
    epsilon,
    gamma,
    m,
    m_2,
    sigma,
    t,
    x_0,
)

WORK = "Gupta, Parulekar, Price, Xun 2024 (NeurIPS)"
log, sqrt, exp = sp.log, sp.sqrt, sp.exp

# What Õ hides in Theorem 1.2 / C.3 (notes §3.5): constants, log(1/delta_train) (constant at 99%),
# log d, log m_2, log(1/m_2), log(1/eps), log(1/delta_score), log m, log N, and additive terms in
# log|H| next to P D log Theta.
HIDDEN_MAIN = (
    log(1 / delta_train), log(1 / delta), log(d), log(m_2), log(1 / m_2), log(1 / epsilon),
    log(1 / delta_score), log(m), log(N),
    P * log(D * (m * m_2 ** 2 + d) / (epsilon ** 2 * delta_score)), P * D * log(P),
)
# Õ in the per-step lemmas hides log m, log(1/eps), log(1/delta_score) (clipping radius and net).
# Õ in Theorem C.2 (delta, m_2 and Theta displayed): log d, log(1/eps), log m, log N, ...
HIDDEN_C2 = (log(d), log(1 / epsilon), log(1 / delta_score), log(m), log(N),
             P * log(D * (m * m_2 ** 2 + d) / (epsilon ** 2 * delta_score)), P * D * log(P))
HIDDEN_PER_STEP = (log(m), log(1 / epsilon), log(1 / delta_score), log(d),
                   P * log(D * (m * m_2 ** 2 + d) / (epsilon ** 2 * delta_score)), P * D * log(P))
HIDDEN_STEPS = (log(d), log(m_2), log(1 / m_2), log(1 / epsilon), log(1 / delta))

SETTING = ("Setting 1.1: ReLU network class F(D, P, Theta), ERM (4) per time step, the same m "
           "samples reused at every step")
A1 = "A1: 1/poly(d) <= m_2^2 <= poly(d)"
A2 = "A2: some f in F(D, P, Theta) has E_{q_t}||f - s_t||^2 sufficiently small"

# per-step accuracy and horizon used in the proofs
LOG_C2 = log((d + m_2 + 1 / m_2) / gamma)          # log((d + m_2 + 1/m_2)/gamma), Thm C.2
EPS_PER_STEP = epsilon / sqrt(LOG_C2)               # eps'/sqrt(log(...)), proof of Thm C.2
T_B7 = log((sqrt(d) + m_2) / (epsilon + delta))     # Thm B.7 proof


def _src(statement: str, equation: str | None = None, note: str | None = None) -> Source:
    return Source(work=WORK, statement=statement, equation=equation, note=note)


def _reg(**kw) -> Statement:
    return register(Statement(**kw))


# ---- main theorem --------------------------------------------------------------------------------
_reg(key="gupta2024.theorem_1_2", quantity="samples", status="VERBATIM",
     expr=C * d ** 2 * P * D / epsilon ** 3 * log(Theta) * log(1 / gamma) ** 3,
     relation="sufficient: m >= Õ(expr)",
     source=_src("Theorem 1.2", note="as stated; also abstract, §1.1 and Conclusion. "
                 "The eps^-3 is very likely an error: Thm C.2 gives eps^-5 (notes §3.6)"),
     hypotheses=(SETTING, A1, A2, sp.Gt(Theta, 1), sp.Lt(gamma, 1),
                 "success probability 99%",
                 "output: eps-close in TV to a distribution gamma m_2-close to q in W2"),
     hidden=HIDDEN_MAIN,
     description="training samples so that DDPM with the ERM scores is eps-close in TV to a "
                 "distribution gamma m_2-close in W2 to q")

_reg(key="gupta2024.theorem_c2", quantity="samples", status="VERBATIM",
     expr=C * N * (d + log(1 / delta)) * P * D / epsilon ** 3
     * log(sp.Max(m_2, 1) * Theta / delta) * log((m_2 + 1 / m_2) / gamma),
     relation="sufficient: m > Õ(expr)",
     source=_src("Theorem C.2", note="main theorem, full version; eps here is the eps' of the "
                 "source; delta is the training failure probability"),
     hypotheses=(A1, sp.Gt(Theta, 1), "for each t_k some ||theta*||_inf <= Theta has "
                 "E||phi_theta* - s||^2 <= parts['approx_error_required']",
                 "N = parts['steps'] discretization times"),
     hidden=HIDDEN_C2,
     parts={"steps": d / (epsilon ** 2 + delta ** 2) * log((m_2 + 1 / m_2) / gamma) ** 2,
            "approx_error_required": delta * epsilon ** 3 / (C * N ** 2 * sigma ** 2 * LOG_C2),
            "per_step_accuracy": EPS_PER_STEP, "delta_score": epsilon, "delta_train": delta},
     description="samples for eps-TV / gamma m_2-W2 sampling in N steps, prob. 1 - delta")

_reg(key="gupta2024.theorem_c2_steps", quantity="steps", status="VERBATIM",
     expr=C * d / (epsilon ** 2 + delta ** 2) * log((m_2 + 1 / m_2) / gamma) ** 2,
     relation="there exist N = Õ(expr) discretization times",
     source=_src("Theorem C.2", note="the step count N; delta is the training failure "
                 "probability here, but the quantile parameter in Lemma 1.3 / Thm B.7 (§3.6)"),
     hypotheses=(A1,), hidden=HIDDEN_STEPS,
     description="number of discretization steps in Theorem C.2")

_reg(key="gupta2024.theorem_c3", quantity="samples", status="VERBATIM",
     expr=C * d ** 2 * P * D / epsilon ** 3 * log(Theta) * log(1 / gamma) ** 3,
     relation="sufficient: m >= Õ(expr)",
     source=_src("Theorem C.3", note="quantitative version of Theorem 1.2"),
     hypotheses=(A1, sp.Gt(Theta, 1), "success probability 99%",
                 "for each t_k some ||theta*||_inf <= Theta has E||phi - s||^2 <= "
                 "parts['approx_error_required']"),
     hidden=HIDDEN_MAIN,
     parts={"steps": d * log(1 / gamma) ** 2,
            "approx_error_required": delta * epsilon ** 3 / (C * N ** 2 * sigma ** 2
                                                             * log(d / gamma))},
     description="as Theorem 1.2, with the approximation hypothesis made quantitative")

_reg(key="gupta2024.theorem_c3_steps", quantity="steps", status="VERBATIM",
     expr=C * d * log(1 / gamma) ** 2, relation="there exist N = Õ(expr) discretization times",
     source=_src("Theorem C.3", note="obtained from Thm C.2's N with delta = 0.01; this "
                 "conflates the failure probability with the quantile parameter (§3.6)"),
     hypotheses=(A1,), hidden=HIDDEN_STEPS,
     description="number of discretization steps in Theorem C.3")

# ---- sampling with quantile-accurate scores (Appendix B) -----------------------------------------
_reg(key="gupta2024.lemma_1_3", quantity="steps", status="VERBATIM",
     expr=C * d / (epsilon ** 2 + delta ** 2) * log(1 / gamma) ** 2,
     relation="there exist N = Õ(expr) discretization times",
     source=_src("Lemma 1.3", note="delta is the quantile parameter: D^{delta/N}"),
     hypotheses=(A1, "D^{delta/N}_{q_{T-t_k}}(s_hat, s) <= eps/sigma_{T-t_k} for every k"),
     hidden=HIDDEN_STEPS + (log(d), log(m_2)),
     parts={"tv": delta + epsilon * sqrt(log(d / gamma))},
     description="steps so that DDPM is Õ(delta + eps sqrt(log(d/gamma)))-close in TV to "
                 "q_gamma")

_reg(key="gupta2024.lemma_1_3_tv", quantity="tv", status="VERBATIM",
     expr=C * (delta + epsilon * sqrt(log(d / gamma))),
     source=_src("Lemma 1.3", note="the TV conclusion, Õ(delta + eps sqrt(log(d/gamma)))"),
     hypotheses=(A1, "N = gupta2024.lemma_1_3 steps"), hidden=HIDDEN_STEPS,
     description="TV distance of the DDPM output to q_gamma")

_reg(key="gupta2024.lemma_b1", quantity="score_error_integral", status="VERBATIM",
     expr=epsilon ** 2 * (T + log(1 / gamma)),
     relation="with probability >= 1 - delta, sum_k ||s_hat - s||^2 (t_{k+1}-t_k) <= expr",
     source=_src("Lemma B.1"),
     hypotheses=("D^{delta/N}_{q_{T-t_k}}(s_hat, s) <= eps/sigma_{T-t_k} for every k",
                 "arbitrary times 0 = t_0 < ... < t_N = T - gamma", sp.Lt(gamma, T)),
     parts={"exact_integral": epsilon ** 2 / 2 * (log(exp(2 * T) - 1)
                                                  - log(exp(2 * gamma) - 1))},
     description="accumulated squared score error along the path (probability 1 - delta)")

_reg(key="gupta2024.lemma_b4", quantity="tv", status="VERBATIM",
     expr=C * sqrt(d / N) * (T + log(1 / gamma)),
     source=_src("Lemma B.4", note="[BBDD24] Corollary 1 and eq. (17)"),
     hypotheses=(sp.Ge(T, 1), sp.Lt(gamma, 1), sp.Ge(N, log(1 / gamma))),
     description="TV(Q, Q_dis): discretization error")

_reg(key="gupta2024.lemma_b5", quantity="tv", status="VERBATIM",
     expr=C * (sqrt(d) + m_2) * exp(-T),
     source=_src("Lemma B.5", note="[BBDD24] Proposition 4"), hypotheses=(sp.Ge(T, 1),),
     description="TV(q_T, N(0, I_d)): initialization error")

_reg(key="gupta2024.corollary_b6", quantity="tv", status="VERBATIM",
     expr=C * (delta + epsilon * sqrt(T + log(1 / gamma)) + sqrt(d / N) * (T + log(1 / gamma))
               + (sqrt(d) + m_2) * exp(-T)),
     source=_src("Corollary B.6"),
     hypotheses=(sp.Ge(T, 1), sp.Lt(gamma, 1), sp.Ge(N, log(1 / gamma)),
                 "D^{delta/N}_{q_{T-t_k}}(s_hat, s) <= eps/sigma_{T-t_k} for every k"),
     description="TV(q_gamma, p_{T-t_N})")

_reg(key="gupta2024.theorem_b7", quantity="steps", status="VERBATIM",
     expr=d * (T_B7 + log(1 / gamma)) ** 2 / (epsilon ** 2 + delta ** 2),
     relation="choice: N = expr with T = parts['horizon']",
     source=_src("Theorem B.7", note="explicit choice in the proof; delta is the quantile "
                 "parameter of D^{delta/N}"),
     hypotheses=(A1, "D^{delta/N}_{q_{T-t_k}}(s_hat, s) <= eps/sigma_{T-t_k} for every k"),
     hidden=HIDDEN_STEPS,
     parts={"horizon": T_B7, "tv": delta + epsilon * sqrt(log((d + m_2) / gamma))},
     description="number of steps N = d (T + log(1/gamma))^2/(eps^2 + delta^2)")

_reg(key="gupta2024.theorem_b7_tv", quantity="tv", status="VERBATIM",
     expr=C * (delta + epsilon * sqrt(log((d + m_2) / gamma))),
     source=_src("Theorem B.7", note="the conclusion, Õ(delta + eps sqrt(log((d+m_2)/gamma)))"),
     hypotheses=(A1, "N = gupta2024.theorem_b7"), hidden=HIDDEN_STEPS,
     description="TV(q_gamma, p_{T-t_N}) with N, T of Theorem B.7")

_reg(key="gupta2024.theorem_b7_horizon", quantity="time", status="VERBATIM",
     expr=T_B7, relation="choice", source=_src("Theorem B.7", note="the horizon T"),
     hypotheses=(A1,), description="time horizon T = log((sqrt(d) + m_2)/(eps + delta))")

# ---- training (Appendices A and C) ---------------------------------------------------------------
_reg(key="gupta2024.lemma_1_4", quantity="samples", status="VERBATIM",
     expr=C * (d + log(1 / delta_train)) * P * D / (epsilon ** 2 * delta_score)
     * log(Theta / delta_train),
     relation="sufficient: m > Õ(expr)", source=_src("Lemma 1.4", note="Main Lemma"),
     hypotheses=(SETTING, A1, A2), hidden=HIDDEN_PER_STEP,
     description="with prob. 1 - delta_train, D^{delta_score}_{q_t}(s_hat_t, s_t) <= eps/sigma_t"
                 " (independent of sigma_t)")

_reg(key="gupta2024.lemma_a1", quantity="samples", status="VERBATIM",
     expr=C * (d + log(1 / delta_train)) * P * D / (epsilon ** 2 * delta_score)
     * log(sp.Max(m_2, 1) * Theta / delta_train),
     relation="sufficient: m > Õ(expr)", source=_src("Lemma A.1"),
     hypotheses=(sp.Gt(Theta, 1), "some ||theta*||_inf <= Theta has E_{q_t}||phi - s_t||^2 <= "
                 "parts['approx_error_required'] (C sufficiently large)"),
     hidden=HIDDEN_PER_STEP,
     parts={"approx_error_required": delta_score * delta_train * epsilon ** 2
            / (C * sigma ** 2)},
     description="quantitative Lemma 1.4: ERM over ||theta||_inf <= Theta")

_reg(key="gupta2024.lemma_a2", quantity="samples", status="VERBATIM",
     expr=C / (epsilon ** 2 * delta_score) * (d + log(1 / delta_train)) * log(H / delta_train),
     relation="sufficient: m > Õ(expr)", source=_src("Lemma A.2", note="finite class, |H| = H"),
     hypotheses=("some s* in H has E_{q_t}||s* - s_t||^2 <= delta_score delta_train eps^2 /"
                 " (C sigma^2)",), hidden=HIDDEN_PER_STEP,
     description="finite hypothesis class: D^{delta_score}_{q_t}(s_hat, s_t) <= eps/sigma_t")

_reg(key="gupta2024.lemma_c1", quantity="samples", status="VERBATIM",
     expr=C * N * (d + log(1 / delta_train)) * P * D / (epsilon ** 2 * delta_score)
     * log(sp.Max(m_2, 1) * Theta / delta_train),
     relation="sufficient: m > Õ(expr)",
     source=_src("Lemma C.1", note="Lemma A.1 with delta_train, delta_score -> ./N and a "
                 "union bound"),
     hypotheses=(sp.Gt(Theta, 1), "for each t_k some ||theta*||_inf <= Theta has "
                 "E||phi - s||^2 <= parts['approx_error_required']"),
     hidden=HIDDEN_PER_STEP,
     parts={"approx_error_required": delta_score * delta_train * epsilon ** 2
            / (C * sigma ** 2 * N ** 2)},
     description="with prob. 1 - delta_train, D^{delta_score/N}(s_hat, s) <= eps/sigma at all "
                 "N steps")

# ---- lower-bound instances (§4) ----------------------------------------------------------------
ETA_41 = epsilon ** 2 * sigma ** 2 / R ** 2
_reg(key="gupta2024.lemma_4_1", quantity="samples", status="VERBATIM",
     expr=R ** 2 / (epsilon ** 2 * sigma ** 2),
     relation="lower bound: with m < expr samples p_1, p_2 cannot be told apart",
     source=_src("Lemma 4.1", note="TV(p1, p2) 'gtrsim eta' in the proof is a typo for <= eta"),
     hypotheses=(sp.Gt(R, sigma), "R sufficiently larger than sigma",
                 "p_1 = (1-eta) N(0, sigma^2) + eta N(-R, sigma^2), p_2 with +R"),
     parts={"eta": ETA_41, "l2_gap": epsilon ** 2 / sigma ** 2, "tv_upper": ETA_41},
     description="two mixtures, indistinguishable from fewer than 1/eta samples, whose scores "
                 "differ by E||s_1 - s_2||^2 >~ eps^2/sigma^2")

_reg(key="gupta2024.lemma_4_1_eta", quantity="weight", status="VERBATIM", expr=ETA_41,
     relation="choice", source=_src("Lemma 4.1", note="the mixture weight"),
     hypotheses=(sp.Gt(R, sigma),), description="mixture weight eta = eps^2 sigma^2 / R^2")

_reg(key="gupta2024.lemma_4_1_l2_gap", quantity="l2_error", status="VERBATIM",
     expr=C * epsilon ** 2 / sigma ** 2, relation="lower bound: E_{p_1}||s_1 - s_2||^2 >~ expr",
     source=_src("Lemma 4.1", note="to leading order the gap equals eta R^2/sigma^4 = "
                 "eps^2/sigma^2, i.e. C = 1 (DERIVED, notes §6.1)"),
     hypotheses=(sp.Gt(R, sigma),),
     parts={"leading_order": ETA_41 * R ** 2 / sigma ** 4},
     description="L2 distance between the two scores under p_1 (and p_2)")

# Lemma 4.2: with the crossover x_0 a free parameter (notes §6.2).
BARPHI = sp.erfc(x_0 / (sqrt(2) * sigma)) / 2        # P_{N(0,1)}[x > x_0/sigma]
_reg(key="gupta2024.lemma_4_2", quantity="l2_error", status="DERIVED",
     expr=S ** 2 * BARPHI / sigma ** 4,
     relation="leading order of E_{p*}||s_hat - s*||^2",
     source=_src("Lemma 4.2", note="eta fixed by s_hat(x_0) = 0 (Figure 2 caption); the "
                 "printed eta is OCR-garbled; the literal x_0 = 10 sqrt(log m) gives ~S^2 m^-50, "
                 "not S^2/(m sigma^4)"),
     hypotheses=(sp.Gt(S, x_0), "S sufficiently large",
                 "p_hat = eta N(0, sigma^2) + (1-eta) N(S, sigma^2), true law N(0, sigma^2)"),
     parts={"log_eta": -log(1 + x_0 * exp((S ** 2 - 2 * S * x_0) / (2 * sigma ** 2))
                            / (S - x_0)),
            "claim": S ** 2 / (m * sigma ** 4),
            "empirical_error": exp(-C * S * sqrt(log(m))) / sigma ** 2,
            "x_0_paper": 10 * sqrt(log(m)),
            "x_0_natural": sigma * sqrt(2 * log(m))},
     description="population L2 score error S^2 P[x > x_0]/sigma^4 of the two-Gaussian "
                 "hypothesis whose score vanishes at the crossover x_0")

_reg(key="gupta2024.lemma_4_2_claim", quantity="l2_error", status="VERBATIM",
     expr=C * S ** 2 / (m * sigma ** 4), relation="lower bound: E_{p*}||s_hat - s*||^2 >~ expr",
     source=_src("Lemma 4.2", note="holds only with the crossover near sigma sqrt(2 log m), "
                 "not at the literal 10 sqrt(log m) (notes §6.2)"),
     hypotheses=("S sufficiently large", "with probability 1 - 1/poly(m)"),
     parts={"empirical_error": exp(-C * S * sqrt(log(m))) / sigma ** 2},
     description="the paper's claimed population L2 error")

# ---- early stopping (Thm C.2 proof) --------------------------------------------------------------
T_STOP = sp.Min(gamma, gamma ** 2 * m_2 ** 2 / d)
_reg(key="gupta2024.early_stop", quantity="time", status="VERBATIM", expr=T_STOP,
     relation="choice: t_stop = expr", source=_src("Theorem C.2", note="proof: t_N = T - "
                                                   "min(gamma, gamma^2 m_2^2/d)"),
     hypotheses=(A1,),
     parts={"w2_bound": C * (t * m_2 + sqrt(t * d)),
            "w2_bound_explicit": t * m_2 + sqrt(2 * t * d),
            "w2_squared_exact_bound": (1 - exp(-t)) ** 2 * m_2 ** 2 + (1 - exp(-2 * t)) * d},
     description="early-stopping time t_stop, so that W2(q_0, q_t_stop) = O(gamma m_2)")

_reg(key="gupta2024.early_stop_w2", quantity="w2", status="VERBATIM",
     expr=C * (t * m_2 + sqrt(t * d)), source=_src("Theorem C.2", note="proof: W2(q, q_t) = "
                                                   "O(t m_2 + sqrt(t d))"),
     parts={"explicit": t * m_2 + sqrt(2 * t * d)},
     description="W2(q_0, q_t) bound; explicitly W2^2 <= t^2 m_2^2 + 2 t d (DERIVED)")
