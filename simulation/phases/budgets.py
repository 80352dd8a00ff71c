"""Phase 8, budgets: brands learn where to spend and sign deals (mechanism 5, F7).

Reads: what each deal and each brand's bought traffic achieved this period (``deal_obs``,
``own_obs``), the fees paid; creators' followers and engagement (or, with ``fee_rule =
"reach"``, their posts' and streams' recent reach), tiers, availability.
Writes: on review days, brands' total budgets (``budget_reviews``); on budget days, the
learners' splits (tiers + own account, platforms, formats; not while ``model.warming_up``),
returns per arm and per follower-size band of the deal creators, new deals (sponsor, fee,
platform, format, tier, size band),
creators' fee income, brands' spend and daily bought-traffic budgets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.day import Day
from simulation.mechanisms import budgets
from simulation.scenario import BUDGET_ARMS, DEAL_FORMATS, TIERS
from simulation.state import CONNECTS, IMPRESSIONS, REVENUE

if TYPE_CHECKING:
    from simulation.model import CreatorEconomy

OWN = BUDGET_ARMS.index("own")
VIDEO_DEAL, LIVE_DEAL = (DEAL_FORMATS.index(f) for f in ("short_video", "live_stream"))


def run(model: CreatorEconomy, day: Day) -> None:
    """Yearly budget review; each budget period, learn and sign new deals."""
    cfg = model.config.brands
    if day.index > 0 and day.index % cfg.budget_review_days == 0:
        review_budgets(model, day.index)
    if day.index % cfg.budget_period_days:
        return
    if day.index > 0:
        learn(model)
    sign_deals(model, day)


def value(model: CreatorEconomy, observed: np.ndarray) -> np.ndarray:
    """What a brand counts as return: sales now and mind-share for later, weighted."""
    c = model.config.brands
    sales, later = observed[:, REVENUE], observed[:, CONNECTS]
    return (1 - c.long_term_weight) * sales + c.long_term_weight * c.mind_share_value * later


def _per_brand(brand: np.ndarray, arm: np.ndarray, n_brands: int, n_arms: int, x: np.ndarray):
    """(brands, arms) sums of ``x`` by each entry's brand and arm."""
    flat = np.bincount(brand * n_arms + arm, weights=x, minlength=n_brands * n_arms)
    return flat.reshape(n_brands, n_arms)


def learn(model: CreatorEconomy) -> None:
    """Each brand observes what every arm returned this period and updates its split."""
    cs, bs = model.creator_state, model.brand_state
    n_b, n_p = bs.budget.size, len(model.platform_list)
    # Value in real yuan, like fees: each simulated sale or connected fan stands for
    # users_per_fan real ones.
    upf = model.scale.users_per_fan
    dealt = np.flatnonzero(cs.view("sponsor") >= 0)
    b = cs.sponsor[dealt]
    val = upf * value(model, cs.deal_obs[dealt])
    fee = cs.deal_fee[dealt]
    n_arms = len(BUDGET_ARMS)
    tier_value = _per_brand(b, cs.deal_tier[dealt], n_b, n_arms, val)
    tier_spend = _per_brand(b, cs.deal_tier[dealt], n_b, n_arms, fee)
    tier_value[:, OWN] = upf * value(model, bs.own_obs)
    tier_spend[:, OWN] = bs.own_spend
    if not model.warming_up:  # during a warm-up brands keep the scenario's split
        model.tier_policy.update(tier_value, tier_spend)
        for policy, arm, n in (
            (model.platform_policy, cs.deal_platform[dealt], n_p),
            (model.format_policy, cs.deal_format[dealt], len(DEAL_FORMATS)),
        ):
            policy.update(_per_brand(b, arm, n_b, n, val), _per_brand(b, arm, n_b, n, fee))
    spent = tier_spend.sum(axis=0)
    model.arm_value_total += tier_value.sum(axis=0)
    reach = upf * cs.deal_obs[dealt, IMPRESSIONS]  # real impressions of the deals' content
    model.arm_reach_total += np.bincount(cs.deal_tier[dealt], reach, minlength=n_arms)
    model.arm_reach_total[OWN] += upf * bs.own_obs[:, IMPRESSIONS].sum()
    band, n_bands = cs.deal_band[dealt], model.band_deals_total.size
    model.band_value_total += np.bincount(band, val, minlength=n_bands)
    model.band_spend_total += np.bincount(band, fee, minlength=n_bands)
    model.band_reach_total += np.bincount(band, reach, minlength=n_bands)
    model.band_deals_total += np.bincount(band, minlength=n_bands)
    model.arm_spend_total += spent
    with np.errstate(invalid="ignore", divide="ignore"):
        model.arm_return = np.where(spent > 0, tier_value.sum(axis=0) / spent, np.nan)
    bs.year_value += tier_value.sum(axis=1)
    bs.year_spend += tier_spend.sum(axis=1)
    bs.own_spend[:] = 0
    bs.own_obs[:] = 0


def review_budgets(model: CreatorEconomy, day: int) -> None:
    """Yearly: brands raise or cut their total social budget by its return (F7)."""
    bs, c = model.brand_state, model.config.brands
    old = bs.budget.copy()
    bs.budget = budgets.review_budget(
        old,
        bs.year_value,
        bs.year_spend,
        return_reference=c.return_reference,
        budget_elasticity=c.budget_elasticity,
        budget_max_raise=c.budget_max_raise,
        budget_max_cut=c.budget_max_cut,
    )
    model.budget_reviews.append(
        {
            "day": day,
            "old": old.tolist(),
            "new": bs.budget.tolist(),
            "value": bs.year_value.tolist(),
            "spend": bs.year_spend.tolist(),
        }
    )
    bs.year_value[:] = 0
    bs.year_spend[:] = 0


def sign_deals(model: CreatorEconomy, day: Day) -> None:
    """Turn each brand's split into deals with creators, and budget its own traffic."""
    cs, bs, c = model.creator_state, model.brand_state, model.config.brands
    n_p, n_t = len(model.platform_list), len(TIERS)
    eligible = np.zeros((cs.n, n_p, 2), dtype=bool)
    free = cs.view("active") & (cs.view("owner") < 0) & (cs.view("paused_until") <= day.index)
    eligible[:, :, VIDEO_DEAL] = cs.view("posts_on") & free[:, None]
    eligible[:, :, LIVE_DEAL] = model.live_eligible() & free[:, None]
    # Brands plan only on tiers that have creators to hire; the rule treats every
    # tier alike, so it prefers none.
    hireable = np.bincount(model.creator_tier[eligible.any(axis=(1, 2))], minlength=n_t) > 0
    shares = model.tier_policy.all_shares() * np.append(hireable, True)
    shares /= np.maximum(shares.sum(axis=1, keepdims=True), 1e-12)
    plat = model.platform_policy.all_shares()
    fmt = model.format_policy.all_shares()
    if c.fee_rule == "reach":  # the content a deal buys: posts, or streams, there
        reach = np.empty((cs.n, n_p, len(DEAL_FORMATS)))
        reach[:, :, VIDEO_DEAL], reach[:, :, LIVE_DEAL] = (
            cs.view("post_reach"),
            cs.view("stream_reach"),
        )
        fees = budgets.reach_fees(
            reach * c.budget_period_days * model.scale.users_per_fan,
            ad_cost_per_thousand=c.ad_cost_per_thousand,
            fee_floor=c.fee_floor,
        )
    else:
        platform_rate = cs.view("eng_rate").mean(axis=0)
        rel_eng = cs.view("eng_rate") / np.where(platform_rate > 0, platform_rate, 1.0)
        fees = budgets.creator_fees(
            model.scale.to_real(cs.view("followers")),
            np.where(platform_rate > 0, rel_eng, 1.0),
            fee_per_real_follower=c.fee_per_real_follower,
            fee_floor=c.fee_floor,
            fee_engagement_elasticity=c.fee_engagement_elasticity,
        )[:, :, None] * np.array([1.0, c.live_fee_factor])
    deals = budgets.sign_deals(
        model.streams["budgets"],
        bs.budget[:, None] * shares[:, :n_t],
        plat[:, :, None] * fmt[:, None, :],
        eligible,
        model.creator_tier,
        cs.view("niche"),
        bs.category,
        fees,
    )
    cs.view("sponsor")[:], cs.view("deal_fee")[:] = deals["sponsor"], deals["fee"]
    cs.view("deal_platform")[:], cs.view("deal_format")[:] = deals["platform"], deals["format"]
    cs.view("deal_tier")[:] = np.where(deals["sponsor"] >= 0, model.creator_tier, -1)
    band = model.scale.size_band_of(model.creator_total_followers)
    cs.view("deal_band")[:] = np.where(deals["sponsor"] >= 0, band, -1)
    cs.view("deal_obs")[:] = 0.0
    cs.view("income")[:] += deals["fee"]
    dealt = deals["sponsor"] >= 0
    spend = _per_brand(
        deals["sponsor"][dealt],
        model.creator_tier[dealt],
        bs.budget.size,
        len(BUDGET_ARMS),
        deals["fee"][dealt],
    )
    bs.spend += spend
    # The own-account share buys traffic day by day through the period.
    own = bs.budget * shares[:, OWN] / c.budget_period_days
    bs.ad_budget = own[:, None] * plat * model.has_account_on()
    day.ledger.spend[:n_t] = spend[:, :n_t].sum(axis=0)
