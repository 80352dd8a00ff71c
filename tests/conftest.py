from pathlib import Path

import pytest

from simulation import CreatorEconomy, load_scenario

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "data" / "small.toml"
BASELINE = ROOT / "scenarios" / "baseline.toml"
QUICKSTART = ROOT / "scenarios" / "quickstart.toml"  # the baseline market at 20,000 fans


@pytest.fixture(scope="session")
def small_scenario():
    return load_scenario(SMALL)


def run_phase(model: CreatorEconomy, name: str, day: int, record=None):
    """Run one phase of the day (``simulation.phases.PHASES``) on a fresh or given day record."""
    from simulation.phases import PHASES

    record = record or model.new_day()
    record.index = day
    model.day = record
    dict(PHASES)[name](model, record)
    return record


def small_model(seed: int = 1, **overrides) -> CreatorEconomy:
    """The small test scenario's model with some parameters changed."""
    params = load_scenario(SMALL).model_params() | overrides
    return CreatorEconomy(rng=seed, **params)
