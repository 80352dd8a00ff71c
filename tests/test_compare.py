"""creator-sim compare: paired statistics, indicators, reuse of finished runs, the report."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SMALL

from simulation import compare, load_scenario, results
from simulation.cli import main
from simulation.indicators import Indicator, indicators, window_of
from simulation.scenario import ScenarioError

WHATIFS = sorted((ROOT / "scenarios" / "whatif").glob("*.toml"))


def test_paired_interval_matches_students_t_by_hand():
    mean, low, high, n = compare.paired_interval([1.0, 2.0, 3.0], [0.0, 0.0, 0.0])
    half = 2.919986 * 1.0 / math.sqrt(3)  # t(0.95, 2 df) x sd / sqrt(n)
    assert (mean, n) == (2.0, 3)
    assert low == pytest.approx(2.0 - half, rel=1e-5)
    assert high == pytest.approx(2.0 + half, rel=1e-5)


def test_paired_interval_drops_missing_pairs_and_needs_two():
    mean, low, high, n = compare.paired_interval([1.0, np.nan, 5.0], [0.5, 1.0, 4.0])
    assert n == 2 and mean == pytest.approx(0.75)
    assert low < 0.75 < high
    mean, low, high, n = compare.paired_interval([2.0], [1.0])
    assert (mean, n) == (1.0, 1) and math.isnan(low) and math.isnan(high)


def test_pairing_by_seed_removes_the_seeds_shared_luck():
    luck = np.array([10.0, -7.0, 3.0, 25.0, -12.0])  # what each seed does to both runs
    mean, low, high, _ = compare.paired_interval(luck + 1.0 + [0.1, -0.1, 0.0, 0.1, -0.1], luck)
    assert mean == pytest.approx(1.0)
    assert 0.8 < low < high < 1.2  # the luck (s.d. 15) cancels in the pairs


def _series(values: dict[str, list[float]]) -> pd.DataFrame:
    n = len(next(iter(values.values())))
    return pd.DataFrame({"step": np.arange(1, n + 1), **values})


def test_indicator_is_a_ratio_of_window_sums_or_a_mean_level():
    ts = _series({"gmv_mid": [1.0, 2.0, 3.0, 4.0], "gmv": [2.0, 2.0, 4.0, 12.0]})
    share = Indicator("s", "mid share", "share", "gmv_mid", "gmv")
    assert share.over(ts, 3, 4) == pytest.approx(7.0 / 16.0)  # not the mean of daily ratios
    level = Indicator("l", "level", "x", "gmv", scale=2.0)
    assert level.over(ts, 1, 2) == pytest.approx(4.0)
    assert share.rolling(ts, days=2).tolist() == pytest.approx([0.5, 0.75, 5 / 6, 7 / 16])
    empty = _series({"gmv_mid": [0.0, 0.0], "gmv": [0.0, 0.0]})
    assert math.isnan(share.over(empty, 1, 2))


def test_a_change_indicator_reads_its_level_against_the_first_measured_month():
    days = 60  # the first month (ROLLING_DAYS = 30 days) at 10 head creators, then 5
    ts = _series({"creators_head": [10.0] * 30 + [5.0] * (days - 30)})
    change = Indicator("c", "head change", "share", "creators_head", change=True)
    assert change.over(ts, 31, days) == pytest.approx(-0.5)
    assert change.over(ts, 1, 30) == pytest.approx(0.0)
    assert change.rolling(ts).iloc[[0, 29, -1]].tolist() == pytest.approx([0.0, 0.0, -0.5])
    assert math.isnan(change.over(_series({"creators_head": [0.0] * days}), 31, days))


def test_differences_pair_runs_by_seed_over_the_whatif_window():
    base = load_scenario(SMALL)
    whatif = base.model_copy(
        update={
            "name": "w",
            "whatif": base.whatif.model_copy(update={"watch": "trust_mean", "days": (2, 3)}),
        }
    )
    cols = {c: [0.0] * 4 for ind in indicators(base).values() for c in ind.columns()}
    runs_b, runs_w = [], []
    for seed_luck, effect in ((0.0, 0.10), (0.2, 0.12), (-0.1, 0.08)):
        x = 0.5 + seed_luck
        runs_b.append(_series(cols | {"trust_mean": [x] * 4}))
        # only days 2-3 are read: days 1 and 4 would spoil the answer if they were
        runs_w.append(_series(cols | {"trust_mean": [9.0, x + effect, x + effect, 9.0]}))
    diffs = {d.indicator: d for d in compare.differences(base, whatif, runs_b, runs_w, steps=4)}
    d = diffs["trust_mean"]
    assert (d.first_day, d.last_day, d.n, d.watched) == (2, 3, 3, True)
    assert d.difference == pytest.approx(0.10)
    assert d.distinguishable and d.low > 0
    assert not diffs["gmv"].watched


def test_window_is_the_last_days_unless_the_whatif_names_its_own():
    s = load_scenario(SMALL)
    assert window_of(s, 60, 30) == (31, 60)
    named = s.model_copy(update={"whatif": s.whatif.model_copy(update={"days": (5, 90)})})
    assert window_of(named, 60, 30) == (5, 60)


# ------------------------------------------------------------------ runs and reuse
@pytest.fixture
def whatif_file(tmp_path):
    path = tmp_path / "popular.toml"
    path.write_text(
        f'extends = "{SMALL}"\ndescription = "Douyin by popularity."\n'
        '[whatif]\nquestion = "What if Douyin went by popularity?"\n'
        'watch = "follower_gini"\nexpect = "higher"\n'
        "[platforms.douyin.algorithm]\ninterest = 0.1\npopularity = 0.7\n"
    )
    return path


def _compare(base, whatif, root, **kw):
    options = {"replicates": 2, "steps": 12, "workers": 1} | kw
    return compare.compare(base, [whatif], runs_root=root, **options)


def test_finished_runs_are_reused_only_while_scenario_seeds_steps_and_code_match(
    tmp_path, whatif_file, monkeypatch
):
    base, whatif = load_scenario(SMALL), load_scenario(whatif_file)
    root = tmp_path / "runs"
    first = _compare(base, whatif, root)
    assert (first.ran, first.reused) == (4, 0)
    again = _compare(base, whatif, root)
    assert (again.ran, again.reused) == (0, 4)
    assert again.differences == first.differences
    # prose is not a parameter: a new description reuses the runs
    reworded = whatif.model_copy(update={"description": "Reworded."})
    assert _compare(base, reworded, root).reused == 4
    # a changed parameter reruns that scenario only
    trust = whatif.trust.model_copy(update={"trust_gain": 0.3})
    changed = _compare(base, whatif.model_copy(update={"trust": trust}), root)
    assert (changed.ran, changed.reused) == (2, 2)
    # more days or another seed rerun; a half-written run folder is not reused
    assert _compare(base, whatif, root, steps=13).ran == 4
    (root / "small" / "seed-7" / "summary.json").unlink()
    assert _compare(base, whatif, root, steps=13).ran == 1
    # a new code version reruns everything
    monkeypatch.setattr(results, "code_version", lambda: "another-version")
    assert _compare(base, whatif, root, steps=13).ran == 4


def test_compare_writes_report_table_and_figures_the_same_on_one_or_two_workers(
    tmp_path, whatif_file
):
    out = {}
    for workers in (1, 2):
        root = tmp_path / f"w{workers}"
        code = main(
            ["compare", str(SMALL), str(whatif_file), "--replicates", "2", "--steps", "15",
             "--workers", str(workers), "--results", str(root), "--quiet"]
        )  # fmt: skip
        assert code == 0
        out[workers] = root / "compare" / "popular"
    folder = out[1]
    for name in ("report.html", "differences.csv", "catalogue.md", "metadata.json"):
        assert (folder / name).is_file()
    assert {p.name for p in (folder / "figures").glob("*.png")} >= {
        "sales_share.png",
        "budget_share.png",
        "concentration.png",
        "platform_share.png",
        "trust.png",
        "gmv.png",
    }
    table = pd.read_csv(folder / "differences.csv")
    assert set(table["scenario"]) == {"popular"}
    assert table.loc[table["watched"], "indicator"].tolist() == ["follower_gini"]
    assert (folder / "differences.csv").read_bytes() == (out[2] / "differences.csv").read_bytes()
    # The FACTS targets at the end of the runs, paired by seed from each run's summary.json.
    targets = pd.read_csv(folder / "targets.csv").set_index("indicator")
    assert (folder / "targets.csv").read_bytes() == (out[2] / "targets.csv").read_bytes()
    assert {"F1", "F4.koc_outsells", "F7.kol_share", "F8"} <= set(targets.index)
    assert "F9.growth" not in targets.index  # year 2 against year 1: not in 15 days
    run_f8 = {
        name: [
            json.loads((tmp_path / f"w1/compare/runs/{name}/seed-{sd}/summary.json").read_text())[
                "facts"
            ]["F8"]["value"]
            for sd in (7, 8)
        ]
        for name in ("small", "popular")
    }
    f8 = targets.loc["F8"]
    assert f8["baseline"] == pytest.approx(np.mean(run_f8["small"]), rel=1e-5)
    assert f8["difference"] == pytest.approx(
        np.mean(run_f8["popular"]) - np.mean(run_f8["small"]), rel=1e-5, abs=1e-6
    )
    assert f8["n"] == 2 and "band 0.85 to 0.95" in f8["label"]
    # every run is byte-identical on 1 or 2 workers, and to the same seed run alone
    alone = tmp_path / "alone"
    args = ["run", str(SMALL), "--seed", "8", "--steps", "15", "--out", str(alone), "--quiet"]
    assert main([*args, "--no-figures"]) == 0
    for name in ("timeseries.csv", "summary.json"):
        one, two = (tmp_path / f"w{w}/compare/runs/small/seed-8" / name for w in (1, 2))
        assert one.read_bytes() == two.read_bytes() == (alone / name).read_bytes(), name
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["seeds"] == [7, 8] and meta["runs_simulated"] == 4
    run = json.loads((tmp_path / "w1/compare/runs/popular/seed-8/metadata.json").read_text())
    assert run["content_hash"] == results.content_hash(
        compare.with_steps(load_scenario(whatif_file), 15), [8], 15
    )
    page = (folder / "report.html").read_text()
    assert "What if Douyin went by popularity?" in page
    assert "The FACTS targets at the end of the runs" in page and f8["label"] in page
    assert page.count("data:image/png;base64,") == len(list((folder / "figures").glob("*.png")))
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_compare_refuses_scenarios_at_another_scale_and_writes_nothing(tmp_path, capsys):
    other = tmp_path / "bigger.toml"
    other.write_text(f'extends = "{SMALL}"\n[population]\nn_fans = 3000\n')
    code = main(["compare", str(SMALL), str(other), "--results", str(tmp_path / "r"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert str(other) in err and "population.n_fans" in err and "--population" in err
    assert not (tmp_path / "r").exists()


def test_compare_refuses_an_event_after_the_last_day_run(tmp_path, capsys):
    late = tmp_path / "late.toml"
    late.write_text(f'extends = "{SMALL}"\n[[events.festival]]\nday = 50\n')
    args = ["compare", str(SMALL), str(late), "--steps", "20", "--results", str(tmp_path)]
    assert main([*args, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(late) in err and "events.festival[0].day 50" in err


def test_scenario_names_must_differ(tmp_path):
    with pytest.raises(ScenarioError, match="names must differ"):
        compare.compare(load_scenario(SMALL), [load_scenario(SMALL)], replicates=1)


# ------------------------------------------------------------------ the shipped library
def test_at_least_ten_whatifs_each_checked_and_documented(capsys):
    assert len(WHATIFS) >= 10
    assert main(["check", *map(str, WHATIFS)]) == 0
    assert capsys.readouterr().out.count("OK ") == len(WHATIFS)
    for path in WHATIFS:
        text = path.read_text()
        assert text.startswith("# What"), f"{path.name}: starts with its question"
        assert "# Behind it:" in text and "# Look at:" in text, path.name
        assert 'extends = "../quickstart.toml"' in text, path.name
        s = load_scenario(path)
        assert s.whatif.question and s.whatif.source and s.whatif.watch


def test_readme_catalogue_lists_every_shipped_whatif():
    readme = (ROOT / "README.md").read_text()
    catalogue = readme[readme.index("### What-if catalogue") :]
    for path in WHATIFS:
        assert f"`{path.stem}`" in catalogue, f"README catalogue misses {path.stem}"
        assert load_scenario(path).whatif.question in catalogue


def test_a_compare_run_is_a_standard_results_folder(tmp_path):
    folder = tmp_path / "run"
    compare.run_one(load_scenario(SMALL).model_dump(), 3, 5, str(folder))
    loaded = results.read_results(folder)
    assert len(loaded["timeseries"]) == 5
    assert loaded["metadata"]["seeds"] == [3]
    assert loaded["metadata"]["content_hash"] == results.content_hash(load_scenario(SMALL), [3], 5)


def test_report_describes_one_off_events_over_the_seeds():
    from simulation.report import events_lines

    festival = {"event": "festival", "day": 315, "platform": "douyin", "tier": None}
    scandal = {"event": "scandal", "day": 30, "tier": "head", "rank": 1}
    outcomes = [
        {"events": [festival | {"real_gmv": 2e8, "top_anchor_real_gmv": [5e7, 1e7]},
                    scandal | {"real_followers": 2e7}]},
        {"events": [festival | {"real_gmv": 4e8, "top_anchor_real_gmv": [3e7]},
                    scandal | {"real_followers": 4e7}]},
        {"events": []},
    ]  # fmt: skip
    lines = events_lines(outcomes)
    assert lines[0].startswith("Festival on douyin, measured day 315: 300 M real yuan")
    assert "best-selling stream sold 40.0 M real yuan" in lines[0]
    assert "ranked 1 by followers: it had 30.0 M real followers (mean of 2 seed(s))" in lines[1]
    assert events_lines([{"events": []}]) == []


def test_report_compares_return_per_yuan_by_follower_band_paired_by_seed():
    from simulation.report import by_followers_rows

    def seed(small, mid, head=None):
        bands = {
            "10k-100k": {"tier": "small", "return_per_yuan": small},
            "300k-1M": {"tier": "mid", "return_per_yuan": mid},
            "5M-10M": {"tier": "head", "return_per_yuan": head},
        }
        return {"return_per_yuan_by_followers": bands}

    baseline = [seed(100, 80), seed(120, 90), seed(110, 70, 50.0)]
    scenario = [seed(90, 100), seed(100, 120), seed(None, 85, 40.0)]
    rows = {r[0]: r for r in by_followers_rows(baseline, scenario)}
    small, mid = rows["10k-100k"], rows["300k-1M"]
    assert small[1] == "small" and small[7] == 2  # the seed without small deals is left out
    assert small[2:5] == pytest.approx((110, 95, -15))
    assert mid[2:5] == pytest.approx((80, 101.6667, 21.6667), rel=1e-4)
    assert mid[5] < mid[4] < mid[6]
    assert rows["5M-10M"][7] == 1 and np.isnan(rows["5M-10M"][5])  # one pair: no interval
    assert by_followers_rows([{}], [{}]) == []  # runs from before the bands
    # Runs from before the price of reach was recorded list no band for it; later ones do.
    assert by_followers_rows(baseline, scenario, key="per_thousand_reached") == []
    for runs, price in ((baseline, 2.0), (scenario, 8.0)):
        for run in runs:
            run["return_per_yuan_by_followers"]["300k-1M"]["per_thousand_reached"] = price
    (row,) = by_followers_rows(baseline, scenario, key="per_thousand_reached")
    assert row[0] == "300k-1M" and row[2:5] == pytest.approx((2.0, 8.0, 6.0)) and row[7] == 3
