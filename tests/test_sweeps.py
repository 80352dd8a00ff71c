"""creator-sim sweep: designs, the run database, Dask execution, resume after a kill, analysis."""

import sqlite3

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SMALL
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from simulation.cli import main
from simulation.scenario import ScenarioError
from simulation.sweeps import analysis, design, execute, spec, store

SWEEPS = sorted((ROOT / "scenarios" / "sweeps").glob("*.toml"))


def sweep_file(tmp_path, body: str, name: str = "tiny"):
    path = tmp_path / f"{name}.toml"
    path.write_text(f'base = "{SMALL}"\n{body}')
    return path


TINY = """design = "lhs"
samples = 4
seeds = 2
seed = 5
steps = 6
warmup_days = 0
metrics = ["end.trust_mean", "end.follower_gini"]
[parameters]
trust_gain = [0.05, 0.4]
"platforms.douyin.algorithm.interest" = [0.1, 0.9]
"""


# ------------------------------------------------------------------ analysis, on known answers
def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_values():
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    x = sobol_sample.sample(problem, 1024, calc_second_order=False, seed=1)
    t = analysis.sobol_indices(problem, ishigami(x), seed=1)
    # Ishigami (a = 7, b = 0.1): S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244
    assert t["S1"].to_numpy() == pytest.approx([0.314, 0.442, 0.0], abs=0.05)
    assert t["ST"].to_numpy() == pytest.approx([0.558, 0.442, 0.244], abs=0.05)
    assert (t["S1_conf"] > 0).all()


def test_morris_mu_star_of_a_linear_function_is_its_slopes():
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}
    x = morris_sample.sample(problem, 20, num_levels=4, seed=1)
    t = analysis.morris_indices(problem, x, 2.0 * x[:, 0] - 0.5 * x[:, 1], seed=1)
    assert t["mu_star"].to_numpy() == pytest.approx([2.0, 0.5])
    assert t["sigma"].to_numpy() == pytest.approx([0.0, 0.0], abs=1e-9)


# ------------------------------------------------------------------ files and designs
@pytest.mark.parametrize(
    ("body", "key", "expected"),
    [
        ("design = 'lhs'\nmetrics = ['F1']\n[parameters]\ntrust_gian = [0.1, 0.2]\n",
         "parameters.trust_gian", "no such scenario key"),
        ("design = 'lhs'\nmetrics = ['F1']\n[parameters]\ntrust_gain = [0.4, 0.1]\n",
         "parameters.trust_gain", "low < high"),
        ("design = 'sobol'\nmetrics = ['F1']\n[parameters]\ntrust_gain = { values = [0.1] }\n",
         "parameters.trust_gain", "design = 'grid'"),
        ("design = 'random'\nmetrics = ['F1']\n[parameters]\ntrust_gain = [0.1, 0.2]\n",
         "design", "'grid'"),
        ("design = 'lhs'\nmetrics = ['F1']\n[parameters]\ntrust_gain = [0.1, 2.0]\n",
         "trust.trust_gain", "less than or equal to 1"),
        ("design = 'lhs'\nmetric = ['F1']\n[parameters]\ntrust_gain = [0.1, 0.2]\n",
         "metric", "unknown key"),
        ("design = 'lhs'\nmetrics = ['F99']\n[parameters]\ntrust_gain = [0.1, 0.2]\n",
         "metrics", "unknown metric"),
        ("design = 'lhs\n", "", "not valid TOML"),
    ],
)  # fmt: skip
def test_malformed_sweep_files_exit_2_naming_the_key_and_write_nothing(
    tmp_path, capsys, body, key, expected
):
    path = sweep_file(tmp_path, body)
    code = main(["sweep", str(path), "--results", str(tmp_path / "results"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert str(path) in err and key in err and expected in err
    assert not (tmp_path / "results").exists()


def test_every_shipped_sweep_loads_and_designs():
    assert len(SWEEPS) >= 3
    assert {spec.load_sweep(p)[0].design for p in SWEEPS} >= {"lhs", "sobol", "morris"}
    for path in SWEEPS:
        sweep, _ = spec.load_sweep(path)
        plan = design.make_design(sweep)
        assert plan.points.shape[1] == len(sweep.parameters)


def test_grid_is_the_product_of_the_lists_and_seeds_derive_from_the_run_index(tmp_path):
    body = TINY.replace('design = "lhs"', 'design = "grid"').replace(
        "[0.05, 0.4]", "{ values = [0.1, 0.2, 0.3] }"
    ).replace("[0.1, 0.9]", "{ values = [0.5, 0.6] }")  # fmt: skip
    sweep, base = spec.load_sweep(sweep_file(tmp_path, body))
    plan = design.make_design(sweep)
    assert plan.points.tolist() == [[a, b] for a in (0.1, 0.2, 0.3) for b in (0.5, 0.6)]
    runs = design.tasks(sweep, plan, base)
    assert [(t.run, t.point, t.replicate) for t in runs[:3]] == [(0, 0, 0), (1, 0, 1), (2, 1, 0)]
    seeds = [t.seed for t in runs]
    assert len(set(seeds)) == len(seeds)
    assert seeds == [design.run_seed(5, i) for i in range(len(runs))]


# ------------------------------------------------------------------ running
def _frame(tmp_path, path, workers, root="results"):
    args = ["sweep", str(path), "--workers", str(workers), "--results", str(tmp_path / root)]
    assert main([*args, "--quiet"]) == 0
    db = store.RunStore(tmp_path / root / "sweeps" / path.stem / "runs.sqlite", _print(path))
    try:
        return db.frame().drop(columns="wall_time")
    finally:
        db.close()


def _print(path):
    sweep, base = spec.load_sweep(path)
    return design.fingerprint(sweep, design.make_design(sweep), base)


@pytest.mark.slow
def test_a_sweep_gives_the_same_rows_on_one_and_two_workers_and_resumes_with_nothing_to_do(
    tmp_path, capsys
):
    path = sweep_file(tmp_path, TINY)
    one = _frame(tmp_path, path, 1, "one")
    two = _frame(tmp_path, path, 2, "two")
    pd.testing.assert_frame_equal(one, two)
    assert len(one) == 8 and (one["status"] == "ok").all()
    assert one["run"].tolist() == list(range(8))
    capsys.readouterr()
    assert main(["sweep", str(path), "--results", str(tmp_path / "one"), "--quiet"]) == 0
    assert "8 of 8 run(s) recorded" in capsys.readouterr().out
    # export at any time
    args = ["sweep", str(path), "--results", str(tmp_path / "one"), "--export"]
    assert main(args) == 0
    exported = pd.read_parquet(tmp_path / "one" / "sweeps" / "tiny" / "runs.parquet")
    pd.testing.assert_frame_equal(exported.drop(columns="wall_time"), one)


def test_a_changed_design_is_refused_unless_reset(tmp_path):
    db_path = tmp_path / "runs.sqlite"
    db = store.RunStore(db_path, "design-a")
    db.record(store.RunRow(0, 0, 0, 1, {"x": 1.0}, "ok", None, 0.1, {"m": 2.0}))
    db.close()
    with pytest.raises(ScenarioError, match=r"holds 1 run.*--reset"):
        store.RunStore(db_path, "design-b")
    db = store.RunStore(db_path, "design-b", reset=True)
    assert db.done() == set()
    db.close()


def test_a_run_is_recorded_once_whatever_happens():
    db = store.RunStore(":memory:", "d")
    row = store.RunRow(3, 1, 1, 9, {"x": 1.0}, "ok", None, 0.1, {"m": 2.0})
    db.record(row)
    db.record(store.RunRow(3, 1, 1, 9, {"x": 1.0}, "ok", None, 0.2, {"m": 5.0}))
    assert db.frame()["metric.m"].tolist() == [2.0]


@pytest.mark.slow
def test_a_run_that_raises_is_recorded_as_failed_and_the_sweep_completes(tmp_path):
    sweep, base = spec.load_sweep(sweep_file(tmp_path, TINY))
    todo = design.tasks(sweep, design.make_design(sweep), base)[:3]
    bad = todo[1].__class__(**{**todo[1].__dict__, "params": {"trust_gain": 7.0}})
    db = store.RunStore(tmp_path / "runs.sqlite", "d")
    execute.execute([todo[0], bad, todo[2]], db, workers=2)
    frame = db.frame().set_index("run")
    db.close()
    assert frame["status"].to_dict() == {0: "ok", 1: "failed", 2: "ok"}
    error = frame.loc[1, "error"]
    assert "trust_gain" in error and f"seed {bad.seed}" in error and "tiny.toml" in error


@pytest.mark.slow
def test_a_sweep_runs_on_an_existing_scheduler_and_a_changed_file_is_refused(tmp_path, capsys):
    from dask.distributed import LocalCluster

    path = sweep_file(tmp_path, TINY.replace("samples = 4", "samples = 2"))
    root = ["--results", str(tmp_path / "results"), "--quiet"]
    with LocalCluster(
        n_workers=1, threads_per_worker=1, dashboard_address="127.0.0.1:0"
    ) as cluster:
        assert main(["sweep", str(path), "--scheduler", cluster.scheduler_address, *root]) == 0
    assert "4 of 4 run(s) recorded, 0 failed" in capsys.readouterr().out
    path.write_text(path.read_text().replace("samples = 2", "samples = 3"))
    assert main(["sweep", str(path), *root]) == 2
    assert "another design" in capsys.readouterr().err
    db = sqlite3.connect(tmp_path / "results" / "sweeps" / "tiny" / "runs.sqlite")
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 4  # nothing mixed in
    db.close()
