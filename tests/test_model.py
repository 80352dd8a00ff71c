"""Model-level behaviour: agents, determinism, rules in context, and mesa.batch_run."""

import mesa
import numpy as np
import pandas as pd
import pytest
from conftest import run_phase, small_model

from simulation import CreatorEconomy, metrics
from simulation.agents import Brand, Fan, Platform
from simulation.day import Sales
from simulation.mechanisms import blocks
from simulation.mechanisms.sicas import SENSE, SHARE
from simulation.model import HEAP_TRIM_DAYS
from simulation.scenario import TIERS


def run(model, days):
    for _ in range(days):
        model.step()
    return model.datacollector.get_model_vars_dataframe()


def test_agents_are_real_mesa_agents_a_user_can_inspect():
    model = small_model()
    run(model, 10)
    assert Fan not in model.agents_by_type  # fan agents are made when first asked for
    assert len(model.fans) == 2000
    by_type = model.agents_by_type
    assert len(by_type[Fan]) == 2000 and len(by_type[Brand]) == 6
    assert [p.key for p in by_type[Platform]] == [
        "douyin",
        "kuaishou",
        "xiaohongshu",
        "wechat_channels",
    ]
    fan = by_type[Fan].select(lambda a: len(a.follows) > 0).to_list()[0]
    assert isinstance(fan, mesa.Agent)
    assert abs(sum(fan.attention.values()) - 1) < 1e-6 and fan.interest.sum() > 0.999
    assert all(0 <= f["trust"] <= 1 for f in fan.follows) and fan.friends
    creator = max(model.creators, key=lambda c: c.total_followers)
    assert creator.role in ("KOL", "KOC", "KOS", "KOE", "KOB", "virtual")
    assert creator.tier in ("tail", "small", "mid", "head")
    assert creator.real_followers == creator.total_followers * model.scale.users_per_fan
    assert model.creator(creator.index) is creator
    brand = by_type[Brand].to_list()[0]
    assert abs(sum(brand.allocation.values()) - 1) < 1e-9 and brand.price > 0


def test_same_seed_same_outputs_different_seed_different():
    a, b, c = (run(small_model(seed=s), 25) for s in (3, 3, 4))
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_a_phase_change_does_not_shift_other_phases_random_numbers():
    # Common random numbers: sharing draws from its own stream, so switching sharing off
    # leaves the first day's distribution and purchases unchanged.
    a = run(small_model(seed=5, share_prob=0.0), 1)
    b = run(small_model(seed=5, share_prob=1.0), 1)
    assert a["purchases"].iloc[0] == b["purchases"].iloc[0]
    assert a["impressions_douyin"].iloc[0] == b["impressions_douyin"].iloc[0]


def test_a_run_releases_freed_memory_every_heap_trim_days(monkeypatch):
    calls = []
    monkeypatch.setattr(blocks, "release_free_memory", lambda: calls.append(1))
    CreatorEconomy(rng=3, n_fans=300, n_creators=20).run_for(2 * HEAP_TRIM_DAYS + 5)
    assert len(calls) == 2


def test_scandals_collapse_trust_and_lose_followers():
    calm = run(small_model(seed=2, scandal_rate=0.0), 20)
    storm = run(small_model(seed=2, scandal_rate=365.0), 20)  # every creator, every day
    assert storm["scandals"].sum() > 1000 and calm["scandals"].sum() == 0
    assert storm["trust_mean"].iloc[-1] < 0.5 * calm["trust_mean"].iloc[-1]
    assert storm["follows"].iloc[-1] < 0.2 * calm["follows"].iloc[-1]


def test_scandal_of_a_sponsored_creator_hurts_the_brand_among_its_followers():
    model = small_model(seed=2, scandal_rate=0.0)
    run(model, 1)  # day 0 is a budget day: deals are signed
    fo, cs = model.follows, model.creator_state
    sponsored = np.flatnonzero(cs.sponsor[: cs.n] >= 0)
    hit = sponsored[np.argmax(model.creator_total_followers[sponsored])]
    brand = cs.sponsor[hit]
    followers = fo.fan[fo.creator == hit]
    others = np.setdiff1d(np.arange(2000), followers)
    before = model.fan_state.brand_trust[:, brand].copy()
    # A scandal for exactly this creator, through the growth phase's own rule.
    cs.active[: cs.n] = False
    cs.active[hit] = True
    model.config = model.config.model_copy(
        update={"creators": model.config.creators.model_copy(update={"scandal_rate": 1e9})}
    )
    run_phase(model, "growth", model.steps)
    after = model.fan_state.brand_trust[:, brand]
    assert followers.size > 0 and model.today.scandals == 1
    np.testing.assert_allclose(
        after[followers], before[followers] * model.config.brands.brand_collapse
    )
    np.testing.assert_array_equal(after[others], before[others])


def test_sharing_puts_friends_into_sense():
    model = small_model(seed=6, share_prob=1.0, share_reach=1.0)
    friends = model.fan_state.friends.friends_of(0)
    model.fan_state.stage[:, 1] &= 0xF0  # brand 2's stage (low four bits): none
    record = model.new_day()
    record.ledger.sales = Sales(fan=np.array([0]), brand=np.array([2]), good=np.array([True]))
    run_phase(model, "sharing", 0, record)
    stage = model.fan_state.unpacked_stages()[:, 2]
    assert stage[0] == SHARE and (stage[friends] == SENSE).all()
    assert (np.delete(stage, np.r_[0, friends]) == 0).all()


def test_only_creators_past_the_threshold_stream():
    model = small_model(seed=1, live_threshold_real=20 * 7_500 * 10)  # 20 simulated followers
    df = run(model, 12)
    assert df["streams"].sum() > 0
    live_creators, live_platforms = np.nonzero(model.day.content.live)
    followers = model.creator_state.followers[live_creators, live_platforms]
    # followers are counted at the end of the previous day; today's unfollows may lower them
    assert (followers >= 15).all()


def test_creators_enter_and_struggling_ones_leave():
    model = small_model(
        seed=1, entry_rate=20.0, exit_grace_days=0, exit_prob=1.0, exit_follower_floor_real=1e12
    )
    df = run(model, 5)
    assert df["entries"].sum() > 20 and df["exits"].sum() > 100
    assert len(model.creators) == df["creators_active"].iloc[-1]
    assert not any(not c.active for c in model.creators)


def test_gmv_accounting_is_consistent():
    model = small_model(seed=8)
    df = run(model, 40)
    tiers = df[[f"gmv_{t}" for t in ("tail", "small", "mid", "head")]].sum(axis=1)
    np.testing.assert_allclose(tiers, df["gmv"])
    roles = df[[c for c in df if c.startswith("gmv_role_")]].sum(axis=1)
    np.testing.assert_allclose(roles, df["gmv"])
    assert df["gmv"].sum() > 0
    assert np.isclose(model.creator_state.view("gmv").sum(), df["gmv"].sum())
    assert np.isclose(model.brand_state.gmv.sum(), df["gmv"].sum())


def test_mesa_batch_run_varies_population_and_a_mechanism_parameter():
    results = mesa.batch_run(
        CreatorEconomy,
        parameters={
            "n_fans": [400, 800],
            "n_creators": 40,
            "n_brands": 3,
            "trust_gain": [0.05, 0.3],
        },
        rng=[11],
        max_steps=5,
        number_processes=1,
        display_progress=False,
    )
    df = pd.DataFrame(results)
    assert len(df) == 4 and set(df["n_fans"]) == {400, 800}
    assert {"gmv", "follows", "trust_mean"} <= set(df.columns)
    assert (df["Step"] == 5).all()


def test_income_is_real_yuan_commission_plus_fees():
    """F6 compares incomes: commission on sales (scaled to real units) plus deal fees."""
    m = small_model(seed=4)
    m.run_for(45)
    cs, c = m.creator_state, m.config.brands
    owned = cs.view("owner") >= 0  # a brand's own account earns no commission
    commission = c.creator_commission * m.scale.users_per_fan * cs.view("gmv")[~owned].sum()
    fees = m.brand_state.spend[:, : len(TIERS)].sum()
    assert fees > 0 and commission > 0
    assert cs.view("income").sum() == pytest.approx(commission + fees)


def test_fans_who_have_not_joined_see_and_buy_nothing_until_they_join():
    # Unprompted discovery on (Bass's p, 2 a year): only fans who use the platforms buy.
    model = small_model(seed=3, joined_share=0.5, join_rate=0.0, discovery_rate=2.0)
    fs = model.fan_state
    waiting = ~fs.joined.copy()
    assert 0.4 < waiting.mean() < 0.6
    assert not waiting[model.follows.fan].any()  # no follows before joining
    for _ in range(30):
        model.step()
        assert not waiting[model.day.impressions.fan].any()
    assert (fs.purchases[waiting] == 0).all() and (fs.purchases[~waiting] > 0).any()
    ts = model.datacollector.get_model_vars_dataframe()
    assert ts["word_of_mouth"].sum() > 0
    assert (ts["users"] == (~waiting).sum()).all() and ts["joins"].sum() == 0


def test_users_grow_at_the_join_hazard_and_newcomers_follow_the_popular():
    """1 - users / fans falls as (1 - s0) e^(-rate t); a newcomer's follows go to the big.

    s0 = 0.3 and 1% a day: after 60 days 0.7 x 0.99^60 = 0.384 of fans still wait, with a
    binomial s.d. of 0.006 at 3,000 fans (the tolerance is 4 of them).
    """
    model = small_model(seed=4, joined_share=0.3, join_rate=3.65)
    n = model.fan_state.n
    start = model.fan_state.joined.mean()
    before = model.creator_total_followers.copy()
    first_follows = {}
    for _ in range(60):
        newcomers = ~model.fan_state.joined.copy()
        model.step()
        joined_today = newcomers & model.fan_state.joined
        for c in model.follows.creator[joined_today[model.follows.fan]]:
            first_follows[c] = first_follows.get(c, 0) + 1
    waiting = 1 - model.fan_state.joined.mean()
    expected = (1 - start) * (1 - 3.65 / 365) ** 60
    assert waiting == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / n))
    got = np.zeros(before.size)
    for c, k in first_follows.items():
        if c < before.size:
            got[c] = k
    top = np.argsort(before)[-before.size // 10 :]
    assert got[top].sum() / got.sum() > 0.5 * before[top].sum() / before.sum()
    assert got[top].mean() > 5 * got[np.argsort(before)[: before.size // 2]].mean()


def test_a_market_nobody_uses_yet_runs_without_warnings():
    """A growing market may start empty: attention shares are NaN, nothing is sold."""
    import warnings

    model = small_model(seed=2, joined_share=1e-9, join_rate=0.0)
    assert not model.fan_state.joined.any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.run_for(20)
    ts = model.datacollector.get_model_vars_dataframe()
    assert ts["attention_douyin"].isna().all() and (ts["gmv"] == 0).all()
    assert (ts["users"] == 0).all() and (ts["follows"] == 0).all()


def test_a_follow_starts_lower_the_bigger_its_creator_s_audience_when_trust_falls_with_it():
    """trust_audience_elasticity: the trust a follow starts at (and fades back to) is its
    creator's role's, times (real followers / reference) ** -elasticity beyond the
    reference (seed 003's small followings that trust "almost blindly"); 0 in the baseline."""
    # The small market's simulated fan stands for many people: a reference of 5M real
    # followers puts creators on both sides of it.
    model = small_model(seed=2, trust_audience_elasticity=0.3, audience_reference_real=5e6)
    fo, cs = model.follows, model.creator_state
    real = model.scale.to_real(model.creator_total_followers[fo.creator])
    reference = model.config.creators.audience_reference_real
    role_trust = model.role_initial_trust[cs.role[fo.creator]]
    assert (real > 2 * reference).any() and (real <= reference).any()
    np.testing.assert_allclose(
        fo.trust, role_trust * np.minimum(1.0, (real / reference) ** -0.3), rtol=1e-6
    )
    flat = small_model(seed=2)  # the baseline: every follow at its role's trust
    np.testing.assert_allclose(
        flat.follows.trust, flat.role_initial_trust[flat.creator_state.role[flat.follows.creator]]
    )
    # Over a month of purchases, engagement and fading, big audiences still trust less.
    model.run_for(30)
    by_tier = metrics.trust_by_audience(model, model.datacollector.get_model_vars_dataframe())
    trust = by_tier["follow_trust_by_tier"]
    assert trust["head"] < trust["mid"] < trust["small"]


def test_the_days_shared_measures_are_what_each_reporter_would_compute():
    """``metrics.measures`` computes once a day what several reporters read: the same values
    as computing them directly from the state, and a fresh memo each day."""
    model = small_model(seed=4)
    for _ in range(3):
        model.step()
        fs, cs = model.fan_state, model.creator_state
        active = cs.view("active")
        m = metrics.measures(model)
        assert metrics.measures(model) is m  # one memo a day
        for p in range(fs.attention.shape[1]):
            direct = fs.attention[:, p].mean(dtype=np.float64, where=fs.joined)
            assert metrics.attention_of_platform(model, p) == direct  # the same bits
        income = cs.view("income")[active]
        assert metrics.income_quantile(model, 0.99) == np.quantile(income, 0.99)
        assert metrics.income_gini(model) == metrics.gini(income)
        assert metrics.sales_top1_share(model) == metrics.top_share(cs.view("gmv")[active])
        followers = model.creator_total_followers[active]
        assert metrics.follower_gini(model) == metrics.gini(followers)
        budget = model.brand_state.budget
        shares = model.tier_policy.all_shares()
        assert metrics.budget_share(model, 1) == float(budget @ shares[:, 1] / budget.sum())
    model.step()
    assert model.today.measures is not m  # the next day measures anew
