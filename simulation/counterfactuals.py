"""Each headline behaviour against its counterfactual, on the same seeds (issue 10).

A headline the README states ("budgets move to mid-tier creators", "small creators sell
because their followers trust them", ...) is only a finding if it goes away when the
mechanism that should produce it is switched off. Each :class:`Counterfactual` names the
mechanism, the change that removes it and the outputs that should move; :func:`compare`
runs the baseline and the change on common random numbers (the same seeds) and reports
the paired difference (mechanism on minus off) with a 90% t interval over the seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from simulation.run_cache import RunCache, cached_runs
from simulation.scenario import FIXED_MARKET

LEVEL = 0.90  # confidence level of the reported intervals


def _fixed_split(params: dict[str, Any]) -> dict[str, Any]:
    return params | {"data_driven": 0.0}


def _equal_role_trust(params: dict[str, Any]) -> dict[str, Any]:
    """Every role's followers start with the KOL's trust (no 'almost blind' KOC trust)."""
    kol = params["roles"]["KOL"]["initial_trust"]
    roles = {k: v | {"initial_trust": kol} for k, v in params["roles"].items()}
    return params | {"roles": roles}


def _no_audience_effect(params: dict[str, Any]) -> dict[str, Any]:
    """A creator's engagement and trust-building do not fall as its audience grows."""
    return params | {"audience_elasticity": 0.0}


def _trust_ignored(params: dict[str, Any]) -> dict[str, Any]:
    """Purchase chance no longer depends on trust in the recommending creator."""
    return params | {"trust_exponent": 0.0}


def _popularity_distribution(params: dict[str, Any]) -> dict[str, Any]:
    """Every platform's interest matching replaced by popularity (followers + prior)."""
    platforms = {}
    for key, p in params["platforms"].items():
        algo = dict(p["algorithm"])
        algo["popularity"] = algo.get("popularity", 0.0) + algo.pop("interest", 0.0)
        algo["interest"] = 0.0
        platforms[key] = p | {"algorithm": algo}
    return params | {"platforms": platforms}


def _fixed_market(params: dict[str, Any]) -> dict[str, Any]:
    """Every fan uses the platforms from day 0 and nobody joins later (no growth, F9)."""
    return params | FIXED_MARKET


@dataclass(frozen=True)
class Counterfactual:
    """A mechanism, the change that removes it, and the outputs it should move."""

    name: str
    mechanism: str  # what the baseline has (the "on" arm)
    without: str  # what the counterfactual arm has instead
    change: Callable[[dict[str, Any]], dict[str, Any]]  # baseline params -> counterfactual
    outputs: tuple[str, ...]  # run_model keys compared
    label: str  # the comparison in a few words, for readers ("brands learn vs a fixed split")


# What each compared output measures, in words (the readable table of validation.md).
OUTPUT_LABELS = {
    "end.budget_share_mid": "mid-tier budget share at the end",
    "end.budget_share_small": "small-tier budget share",
    "end.budget_share_head": "head-tier budget share",
    "end.advertiser_share_mid": "the typical advertiser's mid-tier share",
    "end.advertiser_share_small": "the typical advertiser's small-tier share",
    "end.advertiser_share_head": "the typical advertiser's head-tier share",
    "F1": "F1",
    "F4.koc_outsells": "KOC streams outselling the median KOL stream",
    "F9.gmv_usd_last_year": "last year's market, USD (scaled)",
    "end.follower_gini": "follower Gini",
    "end.follower_top1_share": "top-1% follower share",
    "steady.head_count_change": "head creators' number, last measured month vs first",
    "steady.head_follower_share_change": (
        "head tier's share of follows, last vs first measured month"
    ),
    "flows.head.net": "head tier's net follows a year, per follow held (`flows.head.net`)",
    "F3.mid": "F3: growth of the number of mid-tier creators",
    "F9.growth": "F9: market growth, year 2 vs year 1",
}


COUNTERFACTUALS: tuple[Counterfactual, ...] = (
    Counterfactual(
        "budget shift",
        "brands learn their split from returns (data_driven)",
        "a fixed split (data_driven = 0)",
        _fixed_split,
        (
            "end.budget_share_mid",
            "end.budget_share_small",
            "end.budget_share_head",
            "end.advertiser_share_mid",
            "end.advertiser_share_small",
            "end.advertiser_share_head",
        ),
        label="brands learn vs a fixed split",
    ),
    Counterfactual(
        "small creators' sales",
        "KOCs' followers start with high trust (seed 003)",
        "every role starts at the KOL's trust",
        _equal_role_trust,
        ("F1", "F4.koc_outsells"),
        label="KOCs' followers start with high trust vs every role at the KOL's trust",
    ),
    Counterfactual(
        "shared attention",
        "engagement and the trust an interaction builds fall as an audience grows "
        "(audience_elasticity)",
        "no audience-size effect (audience_elasticity = 0)",
        _no_audience_effect,
        ("F1", "end.budget_share_mid", "F4.koc_outsells"),
        label="shared attention (audience_elasticity) vs none",
    ),
    Counterfactual(
        "trust-driven purchase",
        "purchase chance grows with trust (trust_exponent)",
        "purchases that ignore trust (trust_exponent = 0)",
        _trust_ignored,
        ("F1", "F4.koc_outsells", "F9.gmv_usd_last_year"),
        label="trust-driven purchase vs purchases that ignore trust",
    ),
    Counterfactual(
        "interest-based distribution",
        "platforms' interest matching (mechanism 1)",
        "popularity in its place",
        _popularity_distribution,
        ("end.follower_gini", "end.follower_top1_share", "F1"),
        label="interest matching vs popularity in its place",
    ),
    Counterfactual(
        "growing market",
        "fans join over time and follow popular accounts (joined_share, join_rate; F9)",
        "every fan on the platforms from day 0 (joined_share = 1, join_rate = 0)",
        _fixed_market,
        (
            "steady.head_count_change",
            "steady.head_follower_share_change",
            "flows.head.net",
            "F3.mid",
            "F9.growth",
            "F1",
        ),
        label="a growing market vs every fan from day 0",
    ),
)


@dataclass(frozen=True)
class Difference:
    """One output of one counterfactual: mean of (on - off) over seeds, with its interval."""

    name: str
    output: str
    on: float  # mean with the mechanism (the baseline)
    off: float  # mean without it
    diff: float
    lo: float  # LEVEL interval of the mean paired difference
    hi: float
    seeds: int

    @property
    def distinguishable(self) -> bool:
        """The interval excludes zero: the mechanism's effect is not seed noise."""
        return self.lo > 0 or self.hi < 0


def paired_interval(on: np.ndarray, off: np.ndarray) -> tuple[float, float, float]:
    """Mean paired difference and its two-sided LEVEL t interval (n >= 2 pairs)."""
    d = np.asarray(on, float) - np.asarray(off, float)
    mean = float(d.mean())
    if d.size < 2:
        return mean, float("nan"), float("nan")
    half = stats.t.ppf(0.5 + LEVEL / 2, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    return mean, mean - half, mean + half


def compare(
    params: Mapping[str, Any],
    seeds: list[int],
    steps: int,
    warmup_days: int = 0,
    workers: int = 1,
    baseline_runs: list[dict[str, Any]] | None = None,
    which: tuple[Counterfactual, ...] = COUNTERFACTUALS,
    cache: RunCache | None = None,
    on_run: Callable[[], None] | None = None,
) -> list[Difference]:
    """Run every counterfactual on ``seeds`` and difference it from the baseline, seed by seed.

    ``baseline_runs`` (run_model outputs on the same seeds) are reused when given. Runs
    go seed by seed (the baseline, then each counterfactual), so a job stopped part way
    has complete pairs for its first seeds; runs stored in ``cache`` are read instead of
    run, and the others are stored there as each finishes (``on_run`` as in
    :func:`~simulation.run_cache.cached_runs`).
    """
    params = dict(params)
    arms = ([] if baseline_runs is not None else [params]) + [cf.change(params) for cf in which]
    todo = [(arm, s, steps, warmup_days) for s in seeds for arm in arms]
    runs = cached_runs(todo, workers, cache, on_run)
    per_seed = [runs[k * len(arms) : (k + 1) * len(arms)] for k in range(len(seeds))]
    if baseline_runs is None:
        baseline_runs, per_seed = [r[0] for r in per_seed], [r[1:] for r in per_seed]
    out = []
    for i, cf in enumerate(which):
        off_runs = [r[i] for r in per_seed]
        for key in cf.outputs:
            pairs = [
                (a.get(key), b.get(key))
                for a, b in zip(baseline_runs, off_runs, strict=True)
                if a.get(key) is not None and b.get(key) is not None
            ]
            if not pairs:
                continue
            on, off = np.array(pairs, float).T
            diff, lo, hi = paired_interval(on, off)
            out.append(Difference(cf.name, key, on.mean(), off.mean(), diff, lo, hi, on.size))
    return out
