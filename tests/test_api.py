"""The public Python API: what a library user imports and calls."""

import pytest
from conftest import SMALL

from simulation import CreatorEconomy, ScenarioError, load_scenario, run_model, run_scenario


def test_run_scenario_returns_series_tables_and_facts():
    result = run_scenario(load_scenario(SMALL), steps=5, replicates=2)
    assert result.seeds == [7, 8] and len(result.timeseries) == 10
    assert len(result.facts) == 2 and "F1" in result.facts[0]
    assert set(result.creators["replicate"]) == {0, 1}


def test_run_model_is_a_plain_function_of_params_and_seed():
    params = {"n_fans": 500, "n_creators": 40, "n_brands": 3, "trust_gain": 0.3}
    a = run_model(params, seed=4, steps=10)
    assert a == run_model(params, seed=4, steps=10)
    assert a != run_model(params, seed=5, steps=10)
    assert {"F1", "F3.mid", "F9.growth", "end.gmv", "end.follows"} <= set(a)


def test_model_rejects_unknown_or_invalid_parameters():
    with pytest.raises(ScenarioError, match="unknown model parameter 'n_fanz'"):
        CreatorEconomy(n_fanz=10)
    with pytest.raises(ScenarioError, match=r"population\.n_fans"):
        CreatorEconomy(n_fans=-1)


def test_model_defaults_run():
    model = CreatorEconomy(rng=0, n_fans=300, n_creators=20, n_brands=2)
    model.run_for(3)
    assert model.steps == 3 and len(model.datacollector.get_model_vars_dataframe()) == 3
