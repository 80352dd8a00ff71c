"""Headlines against their counterfactuals: the changes, the paired intervals, the report."""

import re

import numpy as np
import pandas as pd
import pytest
from conftest import SMALL, small_model

from simulation import counterfactuals, load_scenario, run_cache, runner, validation
from simulation.counterfactuals import COUNTERFACTUALS, OUTPUT_LABELS
from simulation.run_cache import RunCache


def test_paired_interval_known_answer():
    diff, lo, hi = counterfactuals.paired_interval(np.array([1.0, 2, 3]), np.zeros(3))
    half = 2.919986 * 1.0 / np.sqrt(3)  # t(0.95, 2 df) x sd / sqrt(n)
    assert diff == 2.0 and lo == pytest.approx(2 - half) and hi == pytest.approx(2 + half)


def test_each_change_removes_only_its_mechanism():
    params = load_scenario(SMALL).model_params()
    changed = {cf.name: cf.change(params) for cf in COUNTERFACTUALS}
    assert changed["budget shift"]["data_driven"] == 0.0
    assert changed["trust-driven purchase"]["trust_exponent"] == 0.0
    assert changed["shared attention"]["audience_elasticity"] == 0.0
    trust = {r["initial_trust"] for r in changed["small creators' sales"]["roles"].values()}
    assert trust == {params["roles"]["KOL"]["initial_trust"]}
    for key, p in changed["interest-based distribution"]["platforms"].items():
        before = params["platforms"][key]["algorithm"]
        assert p["algorithm"]["interest"] == 0.0
        assert p["algorithm"]["popularity"] == pytest.approx(
            before["popularity"] + before["interest"]
        )
        assert p["algorithm"]["follower"] == before["follower"]
    assert params["joined_share"] < 1 and params["join_rate"] > 0  # the baseline grows
    fixed = changed["growing market"]
    assert (fixed["joined_share"], fixed["join_rate"]) == (1.0, 0.0)
    moved = ("data_driven", "trust_exponent", "audience_elasticity", "roles", "platforms")
    moved += ("joined_share", "join_rate")
    for cf in COUNTERFACTUALS:  # everything else is the baseline's
        rest = {k: v for k, v in changed[cf.name].items() if k not in moved}
        assert rest == {k: v for k, v in params.items() if k in rest}


def test_a_fixed_split_plots_flat_and_learning_moves_it():
    fixed = small_model(seed=4, data_driven=0.0)
    learning = small_model(seed=4)
    fixed.run_for(95)
    learning.run_for(95)
    a = fixed.datacollector.get_model_vars_dataframe()["budget_share_mid"]
    b = learning.datacollector.get_model_vars_dataframe()["budget_share_mid"]
    assert a.max() - a.min() < 1e-12
    assert abs(b.iloc[-1] - b.iloc[0]) > 0.01


def test_validate_reports_every_counterfactual_with_an_interval(tmp_path, monkeypatch):
    store = RunCache(tmp_path / "validation.runs.jsonl")
    v = validation.validate(
        SMALL, SMALL, SMALL, SMALL, seeds=3, parts=("counterfactuals",), cache=store
    )
    table = v.counterfactual_table
    expected = sum(len(cf.outputs) for cf in COUNTERFACTUALS)
    assert len(table) >= expected - 2  # F4.koc_outsells may be unmeasurable in 60 days
    assert (table["seeds"] <= 3).all()
    for d in v.counterfactuals:
        assert d.lo <= d.diff <= d.hi
    # The budget shift is measured and its interval says whether it beats seed noise.
    shift = table[
        (table["headline"] == "budget shift") & (table["output"] == "end.budget_share_mid")
    ]
    assert len(shift) == 1
    folder = validation.write_validation(v, tmp_path / "validation")
    written = pd.read_csv(folder / "counterfactuals.csv")
    assert list(written["output"]) == list(table["output"])
    md = (folder / "validation.md").read_text()
    assert "Headlines against their counterfactuals" in md
    # The table to read: a row per output, the comparison named on its first row, the
    # means and the difference with its interval at 3 decimals (a Unicode minus).
    after = md.split("The same, to read (3 seeds")[1].splitlines()
    readable = [line for line in after if line.startswith("|")][2:]
    assert len(readable) == len(v.counterfactuals)
    for line, d in zip(readable, v.counterfactuals, strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        cf = next(c for c in COUNTERFACTUALS if c.name == d.name)
        assert cells[0] in ("", cf.label) and cells[1] == OUTPUT_LABELS[d.output]
        printed = re.findall(r"[+−]?\d+\.\d+", line)
        for text, x in zip(printed, (d.on, d.off, d.diff, d.lo, d.hi), strict=True):
            value, big = float(text.replace("−", "-")), abs(x) >= 1e9  # billions: 1 decimal
            assert value == pytest.approx(x / 1e9 if big else x, abs=0.05 if big else 5e-4)
        assert cells[5] == ("yes" if d.distinguishable else "no")
    # Every run was stored as it finished: the baseline and each counterfactual, per seed.
    assert len(store) == 3 * (1 + len(COUNTERFACTUALS))
    store.close()

    # The same validation again, after an interruption or on fewer seeds, runs nothing...
    def no_run(*args):
        raise AssertionError("a stored run was run again")

    monkeypatch.setattr(run_cache, "run_model", no_run)
    again = RunCache(tmp_path / "validation.runs.jsonl")
    parts = ("baseline", "counterfactuals")
    w = validation.validate(SMALL, SMALL, SMALL, SMALL, seeds=3, parts=parts, cache=again)
    pd.testing.assert_frame_equal(w.counterfactual_table, table)
    fewer = validation.validate(SMALL, SMALL, SMALL, SMALL, seeds=2, parts=parts, cache=again)
    assert (fewer.counterfactual_table["seeds"] <= 2).all()
    # ... and the baseline it reads is the one the counterfactuals were paired with.
    assert w.baseline_runs == fewer.baseline_runs + w.baseline_runs[2:]
    # Another parameter, or another seed, is another run: computed, never read from the store.
    monkeypatch.setattr(run_cache, "run_model", runner.run_model)
    more = validation.validate(
        SMALL, SMALL, SMALL, SMALL, seeds=4, parts=("baseline",), cache=again
    )
    assert len(again) == 3 * (1 + len(COUNTERFACTUALS)) + 1
    assert more.baseline_runs[:3] == w.baseline_runs
    params = load_scenario(SMALL).model_params()
    assert run_cache.run_key(params, 1, 60, 0) != run_cache.run_key(params | {"x": 1}, 1, 60, 0)
    assert run_cache.run_key(params, 1, 60, 0) != run_cache.run_key(params, 2, 60, 0)


def test_every_compared_output_has_a_label_and_every_comparison_a_name():
    outputs = {o for cf in COUNTERFACTUALS for o in cf.outputs}
    assert outputs <= OUTPUT_LABELS.keys()
    assert len({cf.label for cf in COUNTERFACTUALS}) == len(COUNTERFACTUALS)
