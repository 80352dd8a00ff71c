"""Calibration targets, loss, the calibrated-file writer; metric functions on hand-made data."""

import math
import tomllib

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, SMALL

from simulation import calibration, metrics
from simulation.scenario import load_scenario
from simulation.targets import MISSING, STEADY, TARGETS, Target


# ------------------------------------------------------------------ metric functions (F1..F8)
def test_gini_and_top_share_known_answers():
    assert metrics.gini(np.ones(10)) == 0.0
    assert metrics.gini(np.array([0, 0, 0, 1.0])) == pytest.approx(0.75)  # (n - 1) / n
    assert metrics.top_share(np.array([97.0] + [1.0] * 99), 0.01) == pytest.approx(0.97 / 1.96)


def test_year_growth_and_last_year():
    s = pd.Series([1.0] * 365 + [1.5] * 365)
    assert metrics.year_growth(s) == pytest.approx(0.5)  # F2, F3: year 2 over year 1
    assert metrics.year_growth(s.iloc[:400]) is None  # under two years: not measurable
    assert metrics.last_year(s) == pytest.approx(1.5 * 365)


def test_smaller_creator_live_share_and_growth_read_douyin():
    ts = pd.DataFrame(
        {
            "live_gmv": [9.0] * 730,  # every platform: not what F1 reads
            "live_gmv_douyin": [2.0] * 730,
            "live_gmv_douyin_smaller": [1.0] * 365 + [1.5] * 365,
        }
    )
    assert metrics.smaller_creator_live_share(ts) == pytest.approx(0.75)  # F1: last year
    assert metrics.smaller_creator_live_growth(ts) == pytest.approx(0.5)  # F2
    assert metrics.smaller_creator_live_share(ts * 0) is None
    no_douyin = ts.drop(columns=["live_gmv_douyin", "live_gmv_douyin_smaller"])
    assert metrics.smaller_creator_live_share(no_douyin) is None
    assert metrics.smaller_creator_live_growth(no_douyin) is None


def test_creator_count_growth_counts_creators_at_year_ends():
    days = np.arange(730)
    ts = pd.DataFrame(
        {
            "creators_small": np.full(730, 100.0),
            "creators_mid": np.where(days < 365, 10.0, 15.0),  # +50% in year 2
            "creators_head": np.full(730, 4.0),
        }
    )
    got = metrics.creator_count_growth(ts)  # F3
    assert got["mid"] == pytest.approx(0.5) and got["head"] == pytest.approx(0.0)
    # Creators above 10k: 114 at the start and end of year 1, 119 at the end of year 2.
    assert got["above_10k_slowdown"] == pytest.approx(119 / 114 - 1)
    assert metrics.creator_count_growth(ts.iloc[:400])["mid"] is None


def test_steady_market_reads_first_and_last_month():
    days = np.arange(395)  # 30 + 365 days: the two windows are one year apart
    ts = pd.DataFrame(
        {
            "creators_head": np.where(days < 200, 10.0, 5.0),  # halves, never empty
            "creators_active": np.where(days < 200, 100.0, 150.0),  # +50% in one year
            "followers_tail": np.full(395, 50.0),
            "followers_small": np.full(395, 20.0),
            "followers_mid": np.full(395, 10.0),
            "followers_head": np.where(days < 200, 20.0, 0.0),
        }
    )
    got = metrics.steady_market(ts)
    assert got["head_min"] == 5.0 and got["head_count_change"] == pytest.approx(-0.5)
    assert got["head_follower_share_change"] == pytest.approx(-1.0)  # 0.2 of follows -> 0
    assert got["creators_growth"] == pytest.approx(0.5)
    head_share, growth = (t for t in STEADY if t.key.endswith(("share_change", "growth")))
    assert head_share.distance(-1.0) > 0 and growth.distance(0.5) == 0
    assert set(metrics.steady_market(ts.iloc[:59]).values()) == {None}


def test_kol_spend_share():
    ts = pd.DataFrame({f"spend_{a}": [0.0] * 3 for a in metrics.BUDGET_ARMS})
    assert metrics.kol_spend_share(ts) is None
    ts["spend_mid"] = [6.0, 0, 0]
    ts["spend_own"] = [0, 4.0, 0]
    assert metrics.kol_spend_share(ts) == pytest.approx(0.6)  # F7


def _model_with(**arrays):
    """A stand-in model exposing just what the end-of-run metrics read."""
    from types import SimpleNamespace

    from simulation.scale import ScaleMapping
    from simulation.scenario import Scenario

    scale = ScaleMapping.from_scenario(Scenario(population={"n_fans": 150_000}))  # 1,000/fan
    cs = SimpleNamespace(view=lambda name: arrays[name])
    return SimpleNamespace(creator_state=cs, scale=scale, **arrays.get("model", {}))


def test_streamers_in_thousands_counts_every_active_streamer_with_a_buying_audience():
    # 4 active creators sold live (1,000 real followers per simulated one): 2, 5, 9.9 and 50
    # thousand real followers; the one that never sold live does not count, nor the one
    # that sold and left (its follows ended with it).
    live = np.array([0.0, 1.0, 2.0, 3.0, 400.0, 7.0])
    followers = np.array([5, 2, 5, 9.9, 50, 0])
    active = np.array([True, True, True, True, True, False])
    m = _model_with(live_gmv=live, active=active, model={"creator_total_followers": followers})
    assert metrics.streamers_in_thousands(m) == pytest.approx(0.75)  # F4
    m = _model_with(
        live_gmv=np.zeros(6), active=active, model={"creator_total_followers": followers}
    )
    assert metrics.streamers_in_thousands(m) is None


def test_koc_streams_outselling_the_median_kol_stream():
    from types import SimpleNamespace

    from simulation.day import StreamHistory

    roles = ["KOL", "KOC"]
    history = StreamHistory(days=365)
    history.add(0, np.array([0, 1]), np.array([1000.0, 5000.0]))  # over a year before the end
    history.add(400, np.array([0, 0, 0, 1, 1, 1, 1]), np.array([10, 20, 30, 5, 25, 40, 0.0]))
    assert history.streams()[0].size == 7  # day 0 is over a year old: dropped
    m = SimpleNamespace(role_names=roles, stream_history=history)
    assert metrics.koc_streams_outselling_kols(m) == pytest.approx(0.5)  # F4: 25, 40 > 20
    m = SimpleNamespace(role_names=["KOC"], stream_history=history)
    assert metrics.koc_streams_outselling_kols(m) is None


def test_income_top1_to_median_over_earning_creators():
    income = np.r_[np.full(99, 10.0), 50_000.0]
    m = _model_with(income=income, active=np.ones(100, bool))
    assert metrics.income_top1_to_median(m) == pytest.approx(5000.0)  # F6
    # Creators who earned nothing, and a big earner who left, are outside the range.
    income = np.r_[np.zeros(300), np.full(99, 10.0), 50_000.0, 1e9]
    active = np.r_[np.ones(400, bool), False]
    m = _model_with(income=income, active=active)
    assert metrics.income_top1_to_median(m) == pytest.approx(5000.0)
    m = _model_with(income=np.zeros(5), active=np.ones(5, bool))
    assert metrics.income_top1_to_median(m) is None  # nobody earned: undefined


# ------------------------------------------------------------------ targets and loss
def test_target_distance_in_band_widths():
    t = Target("X", "x", 0.4, 0.6, "x")
    assert t.distance(0.5) == 0.0
    assert t.distance(0.8) == pytest.approx(1.0)
    assert t.distance(0.3) == pytest.approx(0.5)
    assert t.distance(None) == MISSING
    log = Target("Y", "y", 1e7, 1e8, "y", log=True)
    assert log.distance(1e9) == pytest.approx(1.0)  # one decade over a one-decade band
    open_ = Target("Z", "z", 1000.0, None, "z", log=True, scale=1.0)
    assert open_.distance(1e6) == 0.0 and open_.distance(10.0) == pytest.approx(2.0)


def test_head_minus_mid_is_derived():
    t = next(t for t in TARGETS if t.key == "F3.head_minus_mid")
    assert t.value({"F3.head": 0.1, "F3.mid": 0.4}) == pytest.approx(-0.3)
    assert t.distance(t.value({"F3.head": 0.1, "F3.mid": 0.4})) == 0.0
    assert t.value({"F3.mid": 0.4}) is None


def test_loss_is_zero_only_inside_every_band_and_capped():
    inside = {t.key: (t.lo + t.hi) / 2 for t in TARGETS if t.lo is not None and t.hi is not None}
    inside |= {"F3.head": 0.0, "F3.mid": 0.47, "F3.above_10k_slowdown": -0.1, "F6": 5000.0}
    assert calibration.loss(inside) == 0.0
    assert calibration.loss(inside | {"F1": 0.65}) == pytest.approx(1.0)
    assert calibration.loss(inside | {"F1": 50.0}) == pytest.approx(calibration.CAP**2)
    assert calibration.loss({}) == pytest.approx(len(TARGETS) * MISSING**2)


def test_mean_metrics_skips_missing():
    m = calibration.mean_metrics([{"a": 1.0, "b": None}, {"a": 3.0, "b": None}])
    assert m == {"a": 2.0, "b": None}


def test_free_parameters_are_scenario_parameters_with_ranges_around_baseline():
    params = load_scenario(BASELINE).model_params()
    for name, (lo, hi) in calibration.FREE_PARAMETERS.items():
        assert name in params
        assert lo < hi and lo <= params[name] <= hi, name


def test_write_calibrated_keeps_comments_and_round_trips(tmp_path):
    values = {"trust_decay": 0.00321, "follow_prob": 0.0555}
    dest = tmp_path / "out.toml"
    note = "# Status: calibrated by a test.\n"
    calibration.write_calibrated(BASELINE, values, dest, note)
    text = dest.read_text()
    assert "# Status: calibrated by a test." in text
    assert "trust_decay = 0.00321" in text and "# daily fading of earned trust" in text
    s = load_scenario(dest)
    assert s.trust.trust_decay == 0.00321 and s.fans.follow_prob == 0.0555
    # A file that inherits the parameters gets them under their sections, and its
    # `extends` path is rewritten to stay valid from the new folder.
    calibration.write_calibrated(SMALL, values, tmp_path / "small.toml", note)
    small = load_scenario(tmp_path / "small.toml")
    assert small.trust.trust_decay == 0.00321
    assert small.population.n_fans == load_scenario(SMALL).population.n_fans
    tomllib.loads((tmp_path / "small.toml").read_text())


def test_calibrate_is_reproducible_prunes_and_keeps_every_candidate():
    small = load_scenario(SMALL)
    scenario = small.model_copy(update={"run": small.run.model_copy(update={"steps": 20})})
    a = calibration.calibrate(scenario, seeds=3, trials=6)
    b = calibration.calibrate(scenario, seeds=3, trials=6, workers=2)
    assert len(a.history) == 6
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]  # any workers
    assert [h["seeds_run"] for h in a.history] == [h["seeds_run"] for h in b.history]
    # Successive halving: some candidates stop early, the best ran every seed.
    assert any(h["pruned"] for h in a.history) and a.best["seeds_run"] == 3
    full = [h for h in a.history if not h["pruned"]]
    assert a.best["loss"] == min(h["loss"] for h in full)
    for h in a.history:
        for name, v in h["params"].items():
            lo, hi = calibration.FREE_PARAMETERS[name]
            assert lo <= v <= hi
        assert math.isfinite(h["loss"])


def test_willingness_asks_kuaishou_users_about_their_most_trusted_anchor():
    from conftest import small_model

    model = small_model(seed=3)
    model.run_for(5)
    fo, k = model.follows, model.platform_index("kuaishou")
    asked = metrics.willing_to_buy_from_anchor(model)  # F8
    assert 0.0 <= asked <= 1.0
    # Its parts: the users who follow an anchor, times the share of them who say yes.
    parts = metrics.anchor_survey_parts(model)
    assert asked == pytest.approx(parts["follow_an_anchor"] * parts["willing_if_following"])
    assert parts["trust_cutoff"] == pytest.approx(0.5**0.5)  # trust_exponent 2
    # Everyone trusting every followed anchor fully: every user who follows one says yes,
    # and no more than those (strangers' trust is below the cut-off).
    fo.trust[:] = 1.0
    anchor = model.live_eligible()[:, k]
    e = (fo.platform == k) & anchor[fo.creator]
    users = model.fan_state.attention[:, k] * model.platform_list[k].spec.impressions_per_day * 7
    users = model.fan_state.joined & (users >= metrics.WEEKLY_USE)  # fans not yet joined: no
    assert users.sum() < (model.fan_state.attention[:, k] > 0).sum()  # (the market grows)
    has_anchor = np.zeros(model.fan_state.n, bool)
    has_anchor[fo.fan[e]] = True
    expected = has_anchor[users].mean()
    assert metrics.willing_to_buy_from_anchor(model) == pytest.approx(expected)
    assert metrics.anchor_survey_parts(model)["follow_an_anchor"] == pytest.approx(expected)
    assert metrics.anchor_survey_parts(model)["willing_if_following"] == 1.0
    assert expected > asked
    fo.trust[:] = 0.5  # below sqrt(0.5): the chance is under half of full trust's
    assert metrics.willing_to_buy_from_anchor(model) == 0.0
    # Purchases that ignore trust (a counterfactual): everyone says yes, no cut-off.
    blind = small_model(seed=3, trust_exponent=0.0)
    blind.run_for(1)
    assert metrics.willing_to_buy_from_anchor(blind) == 1.0
    assert metrics.anchor_survey_parts(blind)["trust_cutoff"] is None


def _short(steps: int = 20):
    small = load_scenario(SMALL)
    return small.model_copy(update={"run": small.run.model_copy(update={"steps": steps})})


def test_calibration_starts_from_the_scenario_and_resumes_from_its_stored_runs(
    tmp_path, monkeypatch
):
    from simulation.sweeps.store import RunStore

    scenario = _short()
    key = calibration.fingerprint(scenario, 2, None)
    whole = RunStore(tmp_path / "whole.sqlite", key)
    a = calibration.calibrate(scenario, seeds=2, trials=5, store=whole)
    assert a.history[0]["params"] == calibration.starting_point(scenario)
    rows = whole.db.execute("SELECT * FROM runs ORDER BY run").fetchall()
    whole.close()
    ran = sum(h["seeds_run"] for h in a.history)
    assert len(rows) == ran  # every run stored once
    # An interrupted calibration: only its first 3 runs were stored.
    part = RunStore(tmp_path / "part.sqlite", key)
    part.db.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows[:3])
    computed = []
    real = calibration.run_candidate
    monkeypatch.setattr(
        calibration, "run_candidate", lambda *job: computed.append(job) or real(*job)
    )
    b = calibration.calibrate(scenario, seeds=2, trials=5, store=part)
    part.close()
    assert len(computed) == ran - 3  # the stored runs were not run again
    assert b.history == a.history and b.best == a.best  # and the search is the same


def test_a_store_of_another_calibration_is_refused(tmp_path):
    from simulation.scenario import ScenarioError
    from simulation.sweeps.store import RunStore

    scenario = _short()
    key = calibration.fingerprint(scenario, 2, None)
    RunStore(tmp_path / "runs.sqlite", "another").close()
    with pytest.raises(ScenarioError, match="another design"):
        RunStore(tmp_path / "runs.sqlite", key)
    other = calibration.fingerprint(_short(21), 2, None)
    assert len({key, other, calibration.fingerprint(scenario, 3, None)}) == 3
    assert calibration.fingerprint(scenario, 2, (1000, 60)) != key


def test_a_search_at_a_smaller_population_is_confirmed_at_the_scenario_s_own():
    scenario = _short()
    cal = calibration.calibrate(scenario, seeds=2, trials=5, population=(600, 40), confirm=2)
    full = sorted((h for h in cal.history if not h["pruned"]), key=lambda h: h["loss"])
    assert [c["candidate"] for c in cal.confirmed] == [h["candidate"] for h in full[:2]]
    for c, h in zip(cal.confirmed, full, strict=False):
        assert c["stage"] == "confirm" and c["seeds_run"] == 2
        assert c["params"] == h["params"] and c["search_loss"] == h["loss"]
        # The same candidate in another market: its metrics differ.
        assert c["metrics"] != h["metrics"]
    assert cal.best == min(cal.confirmed, key=lambda c: c["loss"])
    # A confirmation is the candidate's own runs at full size on the same seeds.
    names, base = tuple(calibration.FREE_PARAMETERS), scenario.model_params()
    x = tuple(cal.best["params"][n] for n in names)
    runs = [calibration.run_candidate(base, names, x, scenario.run.seed + s, 20) for s in (0, 1)]
    assert cal.best["loss"] == calibration.loss(calibration.mean_metrics(runs))


def test_evidence_names_what_moves_a_missed_target_and_what_it_conflicts_with():
    rng = np.random.default_rng(0)
    inside = {t.key: _inside(t) for t in TARGETS}
    history = []
    for i in range(8):
        params = {
            n: float(rng.uniform(lo, hi)) for n, (lo, hi) in calibration.FREE_PARAMETERS.items()
        }
        params["trust_gain"] = 0.05 + 0.04 * i  # F8 rises with it ...
        metrics_ = dict(inside, F8=0.1 * i, F1=0.47 + 0.02 * i)  # ... and F1 leaves its band
        history.append({"params": params, "metrics": metrics_})
    best = history[3]
    found = {e["target"]: e for e in calibration.evidence(history, best)}
    assert set(found) == {"F8"}  # F1 is in its band for the best candidate
    e = found["F8"]
    assert e["drivers"][0] == ("trust_gain", pytest.approx(1.0))
    assert e["conflict"][0] == "F1" and e["conflict"][1] < -0.8
    assert e["best"] == pytest.approx(0.3) and e["closest"] == pytest.approx(0.7)


def _inside(t: Target) -> float:
    """A value inside a target's band."""
    if t.lo is not None and t.hi is not None:
        return (t.lo + t.hi) / 2
    return t.lo + 1 if t.lo is not None else t.hi - 1
