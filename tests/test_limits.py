"""Theory in the limiting cases (FACTS, theory section): Bass diffusion, preferential attachment.

Statistical tests at fixed seeds with the tolerances the calibration issue sets: recovered
p and q within 15%, the mean curve within 0.03 of the analytic one (2 seeds of 50,000 fans,
the noise of 10 x 10,000); the tail exponent of linear attachment 3 +/- 0.3.
"""

import numpy as np
import pytest
from conftest import ROOT

from simulation import limits
from simulation.mechanisms import word_of_mouth
from simulation.runner import replicate_seeds
from simulation.scenario import FIXED_MARKET, load_scenario
from simulation.state import SocialGraph

BASS = ROOT / "scenarios" / "limits" / "bass.toml"
PA = ROOT / "scenarios" / "limits" / "preferential_attachment.toml"
CHURN = ROOT / "scenarios" / "limits" / "attachment_with_churn.toml"


# ------------------------------------------------------------------ unit tests
def test_bass_curve_known_values():
    t = np.array([0.0, 1.0, 2.0])
    f = limits.bass_curve(t, 0.03, 0.38)
    assert f[0] == 0.0
    assert f[1] == pytest.approx(0.03571, abs=1e-4)  # (1 - e^-.41) / (1 + 12.67 e^-.41)
    assert f[2] == pytest.approx(0.08506, abs=1e-4)


def test_fit_bass_recovers_exact_curve():
    t = np.linspace(0, 10, 200)
    p, q = limits.fit_bass(t, limits.bass_curve(t, 0.02, 0.6))
    assert p == pytest.approx(0.02, rel=1e-4) and q == pytest.approx(0.6, rel=1e-4)


def test_tail_exponent_of_sampled_power_law():
    rng = np.random.default_rng(3)
    x = np.floor(10 * (1 - rng.random(20_000)) ** (-1 / 2.0))  # continuous alpha = 3, xmin 10
    fit = limits.tail_exponent(x)
    assert fit["alpha"] == pytest.approx(3.0, abs=0.15)


def test_discoveries_hazard_and_only_non_buyers():
    rng = np.random.default_rng(0)
    bought = np.zeros((100_000, 2), bool)
    bought[:, 1] = True
    fan, brand = word_of_mouth.discoveries(rng, bought, discovery_rate=36.5)  # 10% a day
    assert (brand == 0).all()
    assert fan.size == pytest.approx(100_000 * -np.expm1(-0.1), rel=0.03)
    assert np.unique(fan).size == fan.size


def test_conversations_full_mixing_rate_and_social_listeners():
    rng = np.random.default_rng(1)
    n = 50_000
    bought = np.zeros((n, 1), bool)
    bought[:5000] = True
    listener, _ = word_of_mouth.conversations(rng, bought, None, talk_rate=73.0, talk_mixing="full")
    assert listener.size == pytest.approx(5000 * 0.2, rel=0.1)  # 73 / 365 per buyer per day
    assert listener.max() >= n // 2  # anyone can be a listener
    ring = SocialGraph.small_world(n, 4, 0.0, rng)
    listener, _ = word_of_mouth.conversations(
        rng, bought, ring, talk_rate=73.0, talk_mixing="social"
    )
    assert listener.max() < 5000 + 3  # on the ring, buyers' friends are their neighbours


def test_talk_and_discovery_are_off_in_the_baseline():
    wom = load_scenario(ROOT / "scenarios" / "baseline.toml").word_of_mouth
    assert wom.discovery_rate == 0 and wom.talk_rate == 0


# ------------------------------------------------------------------ statistical tests
@pytest.mark.slow
def test_bass_limit():
    """The meta-analysis p and q of the scenario. ``creator-sim validate`` also checks the
    other pairs of ``validation.BASS_ALTERNATIVES`` (p = 0.01, q = 0.5): 40 s a pair.
    """
    scenario = load_scenario(BASS)
    assert scenario.population.n_fans * scenario.run.replicates >= 100_000
    seeds = replicate_seeds(scenario.run.seed, scenario.run.replicates)
    check = limits.bass_check(scenario, seeds)
    assert check.p_error <= limits.BASS_PQ_TOLERANCE, (check.p_fit, check.p)
    assert check.q_error <= limits.BASS_PQ_TOLERANCE, (check.q_fit, check.q)
    assert check.max_gap <= limits.BASS_CURVE_TOLERANCE
    assert check.passed


@pytest.mark.slow
def test_preferential_attachment_limit():
    scenario = load_scenario(PA)
    # 3 of the scenario's 5 seeds (validate runs all 5): their fits spread by 0.06 (2.93 to
    # 2.99 measured), a fifth of the tolerance.
    check = limits.attachment_check(scenario, replicate_seeds(scenario.run.seed, 3))
    # Linear attachment: each entering creator brings about a = m follows.
    assert check.follows_per_entry == pytest.approx(scenario.creators.popularity_prior, rel=0.1)
    assert abs(check.alpha - limits.PA_EXPONENT) <= limits.PA_TOLERANCE, check.fits
    pop, inter = check.concentration("popularity"), check.concentration("interest")
    assert inter["gini"] < pop["gini"] - 0.1  # visibly less concentrated
    assert inter["top1_share"] < pop["top1_share"] / 2
    assert check.passed


@pytest.mark.slow
def test_attachment_exponent_follows_price_when_the_kernel_changes():
    """With a = m/2 the kernel is superlinear relative to BA: exponent 2 + a/m = 2.5."""
    scenario = load_scenario(PA)
    half = scenario.creators.model_copy(update={"popularity_prior": 2.5})
    check = limits.attachment_check(
        scenario.model_copy(update={"creators": half}),
        replicate_seeds(scenario.run.seed, 3),
        twin=False,
    )
    assert check.alpha == pytest.approx(check.predicted_alpha, abs=0.3)
    assert check.alpha < 2.85


def test_bass_check_rejects_a_scenario_that_is_not_the_limit():
    from simulation.scenario import ScenarioError

    social = load_scenario(BASS)
    social = social.model_copy(
        update={"word_of_mouth": social.word_of_mouth.model_copy(update={"talk_mixing": "social"})}
    )
    with pytest.raises(ScenarioError, match="talk_mixing"):
        limits.bass_check(social, [1])


# ------------------------------------------------------------------ attachment with churn
# 10^12 fans, so that 1 - k / N is 1 to 8 digits: 50 follows a day to be won in all.
CHURN_KW = dict(n_fans=1e12, impressions_per_day=1.0, engage_base=0.5, follow_prob=1e-10)


def test_churn_prediction_without_attachment_decays_to_the_interest_inflow():
    """q = 0: k_t = (k_{t-1} + w / n) s, a geometric approach to w s / (n (1 - s))."""
    k0 = np.array([50_000.0, 10.0])
    out = limits.churn_prediction(
        k0, np.ones(2), np.ones(2), 400, popularity_share=0.0, popularity_prior=1.0,
        unfollow_rate=1.0, **CHURN_KW,
    )  # fmt: skip
    s, w = 1 - 1 / 365, 50.0 / 2  # each creator gets half of the follows won
    steady = w * s / (1 - s)  # 9,100
    expected = steady + (k0 - steady) * s ** np.arange(401)[:, None]
    assert out.shape == (401, 2)
    assert out == pytest.approx(expected, rel=1e-6)


def test_churn_prediction_full_attachment_keeps_each_creators_share():
    """q = 1, a = 0, no saturation: inflow in proportion to followers keeps every share."""
    k0 = np.array([5000.0, 500.0, 50.0])
    out = limits.churn_prediction(
        k0, np.ones(3), np.ones(3), 365, popularity_share=1.0, popularity_prior=0.0,
        unfollow_rate=1.0, **CHURN_KW,
    )  # fmt: skip
    assert out[-1] / out[-1].sum() == pytest.approx(k0 / k0.sum(), rel=1e-6)
    assert out[-1].sum() > 2 * k0.sum()  # 50 a day won against 5,550 / 365 lost: all grow


def test_attachment_with_churn_limit_matches_the_equation():
    """The model's largest creators keep what the mean-field equation says, at q = 0, 0.5, 1.

    Tolerance: the top decile's end value is a sum of ~50,000 independent follows and
    unfollows over 180 days (relative noise ~1%); the check allows 5%. The three shares
    are far apart (0.66, 0.78, 0.95 of day 0), so a model that ignored q would fail.
    """
    scenario = load_scenario(CHURN)
    short = scenario.model_copy(update={"run": scenario.run.model_copy(update={"steps": 180})})
    check = limits.churn_check(short, [3000, 3001], workers=2)
    assert check.shares == [0.5, 0.0, 1.0]
    assert check.gaps.max() <= limits.CHURN_TOLERANCE, check.gaps
    sim = check.kept("simulated")
    assert sim[1] < sim[0] < sim[2]  # more attachment, the largest creators keep more
    assert check.passed


def test_churn_check_rejects_a_scenario_that_is_not_the_limit():
    from simulation.scenario import ScenarioError

    baseline = load_scenario(ROOT / "scenarios" / "baseline.toml")
    fixed = baseline.population.model_copy(update=FIXED_MARKET)
    with pytest.raises(ScenarioError, match="follower = social = 0"):
        limits.attachment_share(baseline.model_copy(update={"population": fixed}))


@pytest.mark.parametrize(
    "path, check",
    [
        (BASS, lambda s: limits.bass_check(s, [1])),
        (PA, lambda s: limits.attachment_check(s, [1])),
        (CHURN, limits.attachment_share),
    ],
    ids=["bass", "preferential_attachment", "attachment_with_churn"],
)
@pytest.mark.parametrize("growth", [{"joined_share": 0.6}, {"join_rate": 0.7}])
def test_every_limit_refuses_a_growing_market(path, check, growth):
    """The limits' theory counts on a fixed N of fans: a growing market is refused, not run."""
    from simulation.scenario import ScenarioError

    scenario = load_scenario(path)
    assert scenario.population.joined_share == 1 and scenario.population.join_rate == 0
    grown = scenario.population.model_copy(update=growth)
    with pytest.raises(ScenarioError, match="joined_share = 1 and join_rate = 0"):
        check(scenario.model_copy(update={"population": grown}))
