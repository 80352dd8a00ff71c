"""One-off events of a scenario's [events] (named scandal, festival day) and role scandal risk."""

from types import SimpleNamespace

import numpy as np
import pytest
from conftest import SMALL, small_model

from simulation import load_scenario
from simulation.mechanisms import events, growth
from simulation.scenario import TIERS, ScenarioError


def test_recurs_on_first_day_then_every_interval():
    days = [d for d in range(1, 20) if events.recurs_on(d, first=5, every_days=3)]
    assert days == [5, 8, 11, 14, 17]
    assert [d for d in range(1, 20) if events.recurs_on(d, first=5, every_days=0)] == [5]


def test_ranked_in_tier_picks_by_followers_ties_to_lower_index():
    followers = np.array([50, 90, 90, 10, 70])
    tier = np.array([3, 3, 3, 2, 3])
    active = np.array([True, True, True, True, False])
    pick = [events.ranked_in_tier(followers, tier, active, tier_index=3, rank=r) for r in (1, 2, 3)]
    assert pick == [1, 2, 0]  # creator 4 is inactive; 1 and 2 tie, the lower index first
    assert events.ranked_in_tier(followers, tier, active, tier_index=3, rank=4) == -1
    assert events.ranked_in_tier(followers, tier, active, tier_index=1, rank=1) == -1


def test_festival_demand_only_on_its_day_and_platforms():
    fests = [SimpleNamespace(day=3, platform="b", demand_factor=2.0)]
    fests.append(SimpleNamespace(day=3, platform="all", demand_factor=1.5))
    assert events.festival_demand(fests, 3, ["a", "b"]).tolist() == [1.5, 3.0]
    assert events.festival_demand(fests, 4, ["a", "b"]).tolist() == [1.0, 1.0]


def test_a_role_without_scandal_risk_never_has_one_and_others_keep_their_draws():
    active = np.ones(200_000, bool)
    risk = np.where(np.arange(active.size) % 2 == 0, 0.0, 1.0)
    hit = growth.scandals(np.random.default_rng(1), active, risk, scandal_rate=36.5)
    assert not hit[risk == 0].any()
    # the same uniforms as with risk 1 everywhere (common random numbers)
    all_at_risk = growth.scandals(
        np.random.default_rng(1), active, np.ones(active.size), scandal_rate=36.5
    )
    assert np.array_equal(hit, all_at_risk & (risk > 0))
    assert hit[risk > 0].mean() == pytest.approx(0.1, abs=0.005)  # 36.5 / 365


def _event_model(seed=3, **events_table):
    return small_model(seed=seed, events=events_table)


def test_named_scandal_strikes_the_largest_creator_of_the_tier_on_its_day():
    model = _event_model(scandal=[{"day": 5, "tier": "mid", "rank": 1}])
    model.run_for(4)
    mid = TIERS.index("mid")
    followers = model.creator_total_followers
    expected = events.ranked_in_tier(
        followers, model.creator_tier, model.creator_state.view("active"), tier_index=mid, rank=1
    )
    assert expected >= 0
    fo = model.follows
    before = fo.trust[fo.creator == expected].mean()
    model.run_for(1)
    (record,) = model.event_log
    assert (record.day, record.tier, record.creator) == (5, "mid", expected)
    assert record.real_followers == pytest.approx(model.scale.to_real(followers[expected]))
    left = fo.creator == expected
    assert not left.any() or fo.trust[left].mean() < 0.5 * before
    assert model.today.scandals >= 1


def test_named_scandal_costs_the_creator_followers_against_the_same_seed_without_it():
    hit = _event_model(scandal=[{"day": 5, "tier": "mid", "rank": 1}])
    calm = _event_model()
    hit.run_for(30)
    calm.run_for(30)
    c = hit.event_log[0].creator
    assert hit.creator_total_followers[c] < calm.creator_total_followers[c]


def test_festival_day_brings_streams_and_sales_on_its_platform_only_that_day():
    fest = _event_model(festival=[{"day": 10, "platform": "douyin", "demand_factor": 4.0}])
    calm = _event_model()
    fest.run_for(9)
    calm.run_for(9)
    assert fest.today.streams == calm.today.streams  # the same market until the day
    fest.run_for(1)
    calm.run_for(1)
    douyin = fest.platform_index("douyin")
    assert fest.today.streams > calm.today.streams
    sales = fest.today.sales
    calm_sales = calm.today.sales
    assert (
        sales.price[sales.platform == douyin].sum()
        > calm_sales.price[calm_sales.platform == douyin].sum()
    )
    (record,) = fest.event_log
    assert record.day == 10 and record.platform == "douyin"
    upf = fest.scale.users_per_fan
    assert record.real_gmv == pytest.approx(sales.price[sales.platform == douyin].sum() * upf)
    assert list(record.top_anchor_real_gmv) == sorted(record.top_anchor_real_gmv, reverse=True)


def test_brand_account_that_streams_daily_streams_every_day_from_its_first():
    model = small_model(
        seed=2,
        brand_day={"enabled": True, "day": 3, "every_days": 1, "brand": 0, "platform": "kuaishou"},
    )
    flags = []
    for _ in range(8):
        model.run_for(1)
        flags.append(model.is_brand_day(model.day.index))
    assert flags == [False, False, True, True, True, True, True, True]


def test_events_are_measured_days_after_the_warm_up():
    model = _event_model(festival=[{"day": 1, "platform": "all", "demand_factor": 2.0}])
    model.warming_up = True
    model.run_for(3)
    assert model.event_log == []  # the warm-up has no measured days
    model.begin_measurement()
    model.run_for(1)
    assert [r.day for r in model.event_log] == [1]


@pytest.mark.parametrize(
    ("table", "key", "expected"),
    [
        ("[[events.festival]]\nday = 5\nplatform = 'tiktok'\n", "events.festival[0]", "platform"),
        ("[[events.scandal]]\nday = 99\n", "events.scandal[0].day 99", "run.steps = 60"),
        ("[[events.scandal]]\nday = 3\ntier = 'giant'\n", "events.scandal.0.tier", "'head'"),
        ("[[events.festival]]\nday = 3\ndemand_factor = 0.5\n", "demand_factor", "greater"),
        ("[whatif]\nwatch = 'happiness'\n", "whatif.watch 'happiness'", "sales_share_mid"),
        ("[whatif]\ndays = [9, 3]\n", "whatif", "first <= last"),
    ],
)
def test_bad_events_and_whatif_keys_name_the_file_and_key(tmp_path, table, key, expected):
    path = tmp_path / "bad.toml"
    path.write_text(f'extends = "{SMALL}"\n{table}')
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert str(path) in message and key in message and expected in message


def test_festival_without_extra_demand_still_brings_everyone_live_and_is_logged():
    fest = _event_model(festival=[{"day": 4, "platform": "all", "demand_factor": 1.0}])
    calm = _event_model()
    fest.run_for(4)
    calm.run_for(4)
    assert fest.today.streams > calm.today.streams
    assert [(r.day, r.platform) for r in fest.event_log] == [(4, "all")]


def test_two_festivals_on_one_day_are_logged_each_on_its_own_platforms():
    two = _event_model(
        festival=[
            {"day": 3, "platform": "douyin", "demand_factor": 2.0},
            {"day": 3, "platform": "kuaishou", "demand_factor": 2.0},
        ]
    )
    two.run_for(3)
    sales, upf = two.today.sales, two.scale.users_per_fan
    got = {r.platform: r.real_gmv for r in two.event_log}
    for key in ("douyin", "kuaishou"):
        on = sales.platform == two.platform_index(key)
        assert got[key] == pytest.approx(sales.price[on].sum() * upf)
