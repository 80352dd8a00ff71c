"""The public Python API: what a library user imports and calls."""

import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, SMALL

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


def test_worker_processes_refuse_another_copy_of_the_package(tmp_path):
    """Pools fork their workers from a server that imported the package a new Python process
    finds here; a program that put another copy first on its ``sys.path`` gets a clear error
    rather than runs made by the other copy."""
    copy = tmp_path / "copy"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "simulation", copy / "simulation", ignore=skip)
    code = (
        "from simulation.runner import as_completed\n"
        "print(sorted(as_completed(abs, [(-1,), (-2,)], workers=2)))\n"
    )

    def python(program: str) -> subprocess.CompletedProcess:
        run = [sys.executable, "-c", program]
        return subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, timeout=300)

    done = python(f"import sys\nsys.path.insert(0, {str(copy)!r})\n{code}")
    assert done.returncode == 1 and done.stdout == "", done.stdout + done.stderr
    assert "worker processes would run the simulation package" in done.stderr
    assert str(copy / "simulation") in done.stderr
    # The same program without the copy first on its path runs on its workers (the jobs
    # finish in either order; `as_completed` yields them as they come).
    done = python(code)
    assert done.returncode == 0 and done.stdout.split() == ["[(0,", "1),", "(1,", "2)]"], done


def test_install_compiles_every_function_a_run_compiles(tmp_path):
    """``make`` compiles the kernels when it installs (``runner.compile_kernels``): a run of
    the baseline's rules afterwards, warm-up and yearly review included, adds no compiled
    function to numba's cache (at most another signature of one already there)."""
    cache = tmp_path / "numba-cache"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}

    def python(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def compiled() -> set[str]:  # one index file per compiled function
        return {p.name for p in cache.rglob("*.nbi")}

    python("-c", "from simulation.runner import compile_kernels; compile_kernels()")
    installed = compiled()
    assert len(installed) > 30  # the kernels and the rules compiled for them
    scenario = tmp_path / "small_year.toml"
    scenario.write_text(f'extends = "{SMALL}"\n[run]\nwarmup_days = 30\nsteps = 400\n')
    python("-m", "simulation", "run", str(scenario), "--quiet", "--out", str(tmp_path / "out"))
    assert compiled() == installed
