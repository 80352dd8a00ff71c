"""What-ifs go the way a strategist takes for granted, over several seeds (issue 10).

Each test runs the small scenario twice per seed, changing one assumption, on common
random numbers (the same seeds), and checks the sign of the paired difference with a
one-sided t statistic: the mean difference must exceed ``T_MIN`` standard errors
(p < 0.01 for 10 seeds). The seeds are fixed, so a test is deterministic; the margin
keeps it from passing by luck of a seed.
"""

from __future__ import annotations

import numpy as np
from conftest import small_model

SEEDS = range(11, 21)
DAYS = 150
T_MIN = 2.82  # one-sided t quantile 0.99 with 9 degrees of freedom


def outcomes(seed: int, metrics: tuple[str, ...], **overrides) -> np.ndarray:
    """Metrics after ``DAYS`` days of the small scenario: a total (GMV), or the last value."""
    model = small_model(seed=seed, **overrides)
    model.run_for(DAYS)
    ts = model.datacollector.get_model_vars_dataframe()
    return np.array([ts[m].sum() if m == "gmv" else ts[m].iloc[-1] for m in metrics], float)


def paired_t(low: dict, high: dict, *metrics: str) -> dict[str, float]:
    """t statistic of the mean paired difference (high - low) over the seeds, per metric.

    Every metric is read from the same runs.
    """
    d = np.array([outcomes(s, metrics, **high) - outcomes(s, metrics, **low) for s in SEEDS])
    sd = d.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(sd > 0, d.mean(axis=0) / (sd / np.sqrt(len(d))), np.inf * np.sign(d.mean(0)))
    return dict(zip(metrics, t.tolist(), strict=True))


def test_more_scandals_lower_trust_and_sales():
    t = paired_t({"scandal_rate": 1.0}, {"scandal_rate": 0.02}, "trust_mean", "gmv")
    assert t["trust_mean"] > T_MIN and t["gmv"] > T_MIN, t


def test_faster_trust_gain_raises_trust():
    assert paired_t({"trust_gain": 0.1}, {"trust_gain": 0.4}, "trust_mean")["trust_mean"] > T_MIN


def test_no_live_streams_lower_sales():
    nobody_streams = {"live_threshold_real": 1e12}  # no follower count reaches it
    assert paired_t(nobody_streams, {}, "gmv")["gmv"] > T_MIN


def test_more_interest_matching_lowers_follower_concentration():
    from conftest import SMALL

    from simulation import load_scenario

    platforms = load_scenario(SMALL).model_params()["platforms"]

    def mix(interest: float) -> dict:
        algorithm = {"interest": interest, "follower": 0.1, "social": 0.0}
        algorithm["popularity"] = 0.9 - interest
        return {"platforms": {k: p | {"algorithm": algorithm} for k, p in platforms.items()}}

    # Concentration falls as matching rises: the popularity-heavy mix is the "high" arm.
    assert paired_t(mix(0.8), mix(0.1), "follower_gini")["follower_gini"] > T_MIN
