"""Regression: the baseline market (at the quick start's 20,000 fans) against its golden summary.

``tests/data/golden_baseline.json`` holds the target metrics of ``scenarios/quickstart.toml``
(the baseline's parameters at 20,000 fans, fast enough for the suite) for each of the 10
validation seeds and their mean. After an intended change to the model or the baseline,
refresh it with ``make golden`` (``creator-sim validate --baseline scenarios/quickstart.toml
--only baseline --golden tests/data/golden_baseline.json``) and review the diff. The file
also keeps, per target, the best distance from its band ever recorded: losing a band or
moving a miss away from its band by more than seed noise (two standard errors of the
difference between this 10-seed mean and the one that set the mark) fails the suite (the
README lists the current misses).
"""

import json
import math
import statistics

import pytest
from conftest import QUICKSTART, ROOT

from simulation.runner import flat_facts
from simulation.scenario import load_scenario
from simulation.targets import TARGETS

GOLDEN = json.loads((ROOT / "tests" / "data" / "golden_baseline.json").read_text())


@pytest.mark.slow
def test_baseline_reproduces_golden_seed(quickstart_run):
    """``make run`` (the first of the ten seeds: a run is deterministic) gives its golden values."""
    summary = json.loads((quickstart_run / "summary.json").read_text())
    assert summary["seeds"] == GOLDEN["seeds"][:1]
    got, expected = flat_facts(summary["facts"]), GOLDEN["per_seed"][0]
    for t in TARGETS:
        want, have = expected[t.key], t.value(got)
        if want is None:
            assert have is None, t.key
        else:
            assert have == pytest.approx(want, rel=1e-6, abs=1e-9), t.key


def test_golden_is_for_ten_seeds_of_the_baseline():
    scenario = load_scenario(QUICKSTART)
    assert GOLDEN["seeds"] == [scenario.run.seed + i for i in range(10)]


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.key)
def test_progress_toward_every_band_is_kept(target):
    """No band once reached is lost, and no miss gets farther from its band, beyond seed noise.

    ``best_distance`` is the smallest distance (in band widths) any golden summary has
    recorded for the target; ``make golden`` carries it over. A miss may shrink or end;
    nothing here asserts that it persists.
    """
    from simulation.validation import allowance

    value, key = GOLDEN["mean"][target.key], target.key
    best = GOLDEN["best_distance"][key]
    noise = allowance(GOLDEN["best_noise"][key], GOLDEN["noise"][key])
    got = target.distance(value)
    assert got <= best + noise + 1e-9, (
        f"{key} = {value} is {got:.3f} band widths from {target.band()}; "
        f"the best recorded is {best:.3f}, and seed noise allows {noise:.3f} more"
    )


def test_noise_between_two_summaries_pools_their_standard_errors():
    from simulation.validation import allowance

    assert allowance(0.2, 0.2) == pytest.approx(0.2)  # equally noisy: one summary's noise
    # A quiet new summary against a noisy mark: 2 x sqrt(se_a^2 + se_b^2), not 2 x sqrt(2) se_b
    assert allowance(0.3, 0.1) == pytest.approx(2 * math.hypot(0.3, 0.1) / (2 * math.sqrt(2)))


def test_seed_noise_is_two_standard_errors_of_a_difference_of_means():
    from simulation.targets import Target
    from simulation.validation import seed_noise

    t = Target("X", "X", 0.0, 1.0, "a unit-wide band")
    spread = [-0.1, 0.1, -0.1, 0.1]
    se = statistics.stdev(spread) / 2  # four seeds
    assert seed_noise(t, [2.0 + d for d in spread]) == pytest.approx(2 * math.sqrt(2) * se)
    assert seed_noise(t, [0.5] * 4) == 0.0  # no spread, no allowance
    assert seed_noise(t, [0.5, None]) == 0.0  # one measured seed: no estimate


def test_golden_summary_records_progress_beyond_seed_noise_only():
    from simulation.validation import Validation, golden

    def summary(f1_values, previous=None):
        runs = [{"F1": x, "F3.head": 0.1, "F3.mid": 0.4} for x in f1_values]
        return golden(
            Validation(baseline_runs=runs, baseline_seeds=list(range(len(runs)))), previous
        )

    first = summary([0.6, 0.6])  # 0.05 above a 0.1-wide band, no spread
    assert first["best_distance"]["F1"] == pytest.approx(0.5)
    assert first["best_distance"]["F3.head_minus_mid"] == 0.0  # derived from F3.head, F3.mid
    worse = summary([0.7, 0.7], previous=first)
    assert worse["mean"]["F1"] == 0.7 and worse["best_distance"]["F1"] == pytest.approx(0.5)
    better = summary([0.5, 0.5], previous=first)
    assert better["best_distance"]["F1"] == 0.0
    # A closer mean within its own seed noise is not recorded as progress.
    noisy = summary([0.52, 0.66, 0.54, 0.64], previous=first)  # mean 0.59, 0.4 widths out
    assert noisy["noise"]["F1"] > 0.1 and noisy["best_distance"]["F1"] == pytest.approx(0.5)
    # The mark keeps the noise of the summary that set it.
    assert noisy["best_noise"]["F1"] == first["noise"]["F1"] == 0.0
    assert better["best_noise"]["F1"] == better["noise"]["F1"]


def test_a_redefined_target_starts_a_new_mark_and_the_others_keep_theirs():
    from simulation.scenario import ScenarioError
    from simulation.validation import Validation, forget_progress, golden

    def summary(f1, previous=None):
        runs = [{"F1": f1, "F3.head": 0.1, "F3.mid": 0.4}] * 2
        return golden(Validation(baseline_runs=runs, baseline_seeds=[0, 1]), previous)

    first = summary(0.5)  # F1 in its band: mark 0
    redefined = summary(0.7, previous=forget_progress(first, ["F1"]))
    assert redefined["best_distance"]["F1"] == pytest.approx(1.5)  # the new quantity's own
    assert redefined["best_distance"]["F3.head_minus_mid"] == 0.0
    assert summary(0.7, previous=first)["best_distance"]["F1"] == 0.0  # otherwise kept
    everything = forget_progress(first, [])
    assert everything["best_distance"] == {} and everything["seeds"] == first["seeds"]
    with pytest.raises(ScenarioError, match=r"F99.*expected some of F1"):
        forget_progress(first, ["F99"])
