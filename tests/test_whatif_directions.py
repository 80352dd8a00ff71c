"""What-ifs go the way a strategist takes for granted, over several seeds (issue 10).

Each test runs the small scenario twice per seed, changing one assumption, on common
random numbers (the same seeds), and checks the sign of the paired difference with a
one-sided t statistic: the mean difference must exceed ``T_MIN`` standard errors
(p < 0.01 for 10 seeds). The seeds are fixed, so a test is deterministic; the margin
keeps it from passing by luck of a seed.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_model

SEEDS = range(11, 21)
DAYS = 150
T_MIN = 2.82  # one-sided t quantile 0.99 with 9 degrees of freedom


def outcome(seed: int, metric: str, **overrides) -> float:
    """One metric after ``DAYS`` days of the small scenario: a total, or the last value."""
    model = small_model(seed=seed, **overrides)
    model.run_for(DAYS)
    ts = model.datacollector.get_model_vars_dataframe()
    return float(ts[metric].sum() if metric == "gmv" else ts[metric].iloc[-1])


def paired_t(metric: str, low: dict, high: dict) -> float:
    """t statistic of the mean paired difference (high - low) over the seeds."""
    d = np.array([outcome(s, metric, **high) - outcome(s, metric, **low) for s in SEEDS])
    if d.std(ddof=1) == 0:
        return np.inf * np.sign(d.mean())
    return float(d.mean() / (d.std(ddof=1) / np.sqrt(d.size)))


@pytest.mark.parametrize("metric", ["trust_mean", "gmv"])
def test_more_scandals_lower_trust_and_sales(metric):
    assert paired_t(metric, low={"scandal_rate": 1.0}, high={"scandal_rate": 0.02}) > T_MIN


def test_faster_trust_gain_raises_trust():
    assert paired_t("trust_mean", low={"trust_gain": 0.1}, high={"trust_gain": 0.4}) > T_MIN


def test_no_live_streams_lower_sales():
    nobody_streams = {"live_threshold_real": 1e12}  # no follower count reaches it
    assert paired_t("gmv", low=nobody_streams, high={}) > T_MIN


def test_more_interest_matching_lowers_follower_concentration():
    from conftest import SMALL

    from simulation import load_scenario

    platforms = load_scenario(SMALL).model_params()["platforms"]

    def mix(interest: float) -> dict:
        algorithm = {"interest": interest, "follower": 0.1, "social": 0.0}
        algorithm["popularity"] = 0.9 - interest
        return {"platforms": {k: p | {"algorithm": algorithm} for k, p in platforms.items()}}

    # Concentration falls as matching rises: the popularity-heavy mix is the "high" arm.
    assert paired_t("follower_gini", low=mix(0.8), high=mix(0.1)) > T_MIN
