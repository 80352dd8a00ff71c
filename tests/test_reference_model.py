"""The per-agent reference model (benchmarks/reference_model.py) and the real engine agree.

Both run the same rules on copies of the same market for 20 days, with different random
streams, so they are compared statistically over 6 seeds: the follow graph and trust
(large counts, near-deterministic) within 2%, purchases per day within 3 standard errors
of the seed-paired difference.
"""

import sys

import numpy as np
import pytest
from conftest import ROOT, SMALL, small_model

from simulation import load_scenario
from simulation.scenario import FIXED_MARKET

sys.path.insert(0, str(ROOT / "benchmarks"))
from reference_model import ReferenceEconomy

DAYS = 20


def pair(seed: int) -> tuple[dict, dict]:
    # No brand accounts (the reference has no bought traffic), no entries, exits, scandals,
    # no fans joining (every fan uses the platforms from day 0).
    roles = {k: v for k, v in load_scenario(SMALL).model_params()["roles"].items() if k != "KOB"}
    fixed = dict(entry_rate=0.0, exit_prob=0.0, scandal_rate=0.0, **FIXED_MARKET)
    src = small_model(seed=seed, roles=roles, **fixed)
    src.step()  # day 0: deals are signed; both models start from here
    ref = ReferenceEconomy(src, seed=seed)
    for _ in range(DAYS):
        ref.step()
    src.run_for(DAYS)
    df = src.datacollector.get_model_vars_dataframe().iloc[1:]
    trust = ref.trust_values()
    real = {"purchases": df["purchases"].mean(), "follows": len(src.follows)}
    real["trust"] = float(src.follows.trust.mean())
    reference = {"purchases": ref.sales / DAYS, "follows": len(trust), "trust": np.mean(trust)}
    return real, reference


@pytest.mark.slow
def test_reference_model_agrees_with_the_engine():
    runs = [pair(seed) for seed in range(1, 7)]
    for key in ("follows", "trust"):
        real = np.mean([r[key] for r, _ in runs])
        ref = np.mean([f[key] for _, f in runs])
        assert ref == pytest.approx(real, rel=0.02), key
    diff = np.array([r["purchases"] - f["purchases"] for r, f in runs])
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert abs(diff.mean()) <= 3 * se + 0.5, diff
    assert np.mean([f["purchases"] for _, f in runs]) > 1  # both markets sell


def test_the_engine_benchmark_times_every_phase_and_the_kernels_in_blocks():
    """``bench_engine.py --phases``, ``--memory``, ``--kernels`` and ``--slots`` on a small
    market, as the READMEs run them."""
    import subprocess

    from simulation.phases import PHASES

    def bench(option: str) -> dict[str, float]:
        done = subprocess.run(
            [sys.executable, "benchmarks/bench_engine.py", option, "2000:100", "--days", "3"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        rows = [line.rsplit(maxsplit=2) for line in done.stdout.splitlines()]
        return {name.strip(): float(ms) for name, ms, _ in rows}

    phases = bench("--phases")
    assert set(phases) == {name for name, _ in PHASES} | {"data collection", "whole day"}
    assert phases.pop("whole day") == pytest.approx(sum(phases.values()), abs=0.5)
    memory = bench("--memory")
    assert set(memory) == set(phases) | {"whole day"}
    assert memory["distribution"] > 0 and memory.pop("whole day") == max(memory.values())
    kernels = bench("--kernels")
    assert {"fade", "shift_edges", "engagement_chances"} <= set(kernels)
    assert all(ms >= 0 for ms in [*phases.values(), *kernels.values()])
    slots = bench("--slots")
    algorithms = {f"only {a}" for a in ("interest", "follower", "social", "popularity")}
    assert set(slots) == {"count_slots, a fan", "fill_slots, a slot", "rng.random()"} | algorithms
    assert all(ns > 0 for ns in slots.values())
