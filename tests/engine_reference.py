"""Statistics of a small market over 10 seeds: the engine's "results may not change" check.

A change to how the engine computes (phases, dtypes, kernels, threads) may change random
streams but not results beyond seed noise. ``tests/data/engine_reference.json`` holds the
mean and standard deviation over :data:`SEEDS` of the outputs below; issue 9's rewrite was
checked against the engine before it (commit 15f677f). The file is recorded again only
when the *rules* change on purpose (last: issue 10, brands' Hedge step measured against
their earlier return per yuan instead of the same period's mean; no output moved by more
than 2 standard errors), with::

    .venv/bin/python tests/engine_reference.py tests/data/engine_reference.json

``tests/test_engine_equivalence.py`` reruns the same market on the current engine and
checks every mean against the recorded one within their combined seed noise."""

from __future__ import annotations

import json
import sys

import numpy as np

from simulation import CreatorEconomy
from simulation.scenario import FIXED_MARKET

SEEDS = tuple(range(101, 111))
STEPS = 365
# Every fan on the platforms from day 0, as when the reference was recorded (the baseline's
# market has grown since 2026-12-02: population.joined_share, join_rate).
PARAMS = {"n_fans": 5_000, "n_creators": 250, "n_brands": 10, **FIXED_MARKET}
TIERS = ("tail", "small", "mid", "head")
ARMS = (*TIERS, "own")


def summarise(seed: int) -> dict[str, float]:
    """The compared outputs of one run (all read from the DataCollector's time series)."""
    model = CreatorEconomy(rng=seed, **PARAMS)
    model.run_for(STEPS)
    ts = model.datacollector.get_model_vars_dataframe()
    end = ts.iloc[-1]
    live = ts["live_gmv"].sum()
    out = {"gmv": float(ts["gmv"].sum()), "live_share": float(live / ts["gmv"].sum())}
    out |= {f"live_share_{t}": float(ts[f"live_gmv_{t}"].sum() / live) for t in TIERS}
    out |= {f"creators_{t}": float(end[f"creators_{t}"]) for t in TIERS}
    out |= {f"budget_share_{a}": float(end[f"budget_share_{a}"]) for a in ARMS}
    out |= {k: float(end[k]) for k in ("follower_gini", "trust_p10", "trust_p50", "trust_p90")}
    out["follows"] = float(end["follows"])
    return out


def statistics(seeds=SEEDS) -> dict[str, dict[str, float]]:
    """Mean and standard deviation (ddof=1) of every output over the seeds."""
    runs = [summarise(s) for s in seeds]
    return {
        k: {
            "mean": float(np.mean([r[k] for r in runs])),
            "sd": float(np.std([r[k] for r in runs], ddof=1)),
        }
        for k in runs[0]
    }


if __name__ == "__main__":
    stats = {"seeds": list(SEEDS), "steps": STEPS, "params": PARAMS, "stats": statistics()}
    text = json.dumps(stats, indent=2)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(text + "\n")
    print(text)
