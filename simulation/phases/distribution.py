"""Phase 2, distribution: each platform decides who sees what (mechanism 1).

Reads: fans' attention, interests, follows and last engagement, friends; today's content;
creators' quality, traffic-pool boost and followers; brands' bought-traffic budgets.
Writes: ``day.impressions`` (every impression with its follow edge, format and product);
brands' own-account traffic spend (``own_spend``, ``ledger.spend``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.day import Content, Day, Impressions
from simulation.mechanisms import blocks, distribution, kernels
from simulation.mechanisms.sampling import sample_accepted, sample_grouped
from simulation.scenario import BUDGET_ARMS, DEAL_FORMATS, FORMATS

if TYPE_CHECKING:
    from simulation.agents import Platform
    from simulation.model import CreatorEconomy

LIVE = FORMATS.index("live_stream")
OWN = BUDGET_ARMS.index("own")
LIVE_DEAL = DEAL_FORMATS.index("live_stream")


def run(model: CreatorEconomy, day: Day) -> None:
    """Fill fans' impression slots: algorithms, stream attendance, then bought traffic."""
    r, fo, fs, today = model.streams["distribution"], model.follows, model.fan_state, day.content
    cs = model.creator_state
    ad_fan, ad_creator, ad_platform = _bought_traffic(model, day, r)
    fan, creator, plat, social, edge, k = distribution.distribute(
        r,
        fs.attention,
        fs.interest_cdf,
        [_feed(model, p, today) for p in model.platform_list],
        today.live,
        fo,
        fs.friends,
        fs.last_engaged,
        impressions_per_day=np.array([p.spec.impressions_per_day for p in model.platform_list]),
        weights=np.stack([p.algorithm_weights for p in model.platform_list]),
        stream_attendance=model.config.fans.stream_attendance,
        extra=ad_fan.size,
        joined=fs.joined,
    )
    fan[k:], creator[k:], plat[k:] = ad_fan, ad_creator, ad_platform
    edge[k:] = fo.find(ad_fan, ad_creator, ad_platform)
    ad = np.zeros(fan.size, bool)
    ad[k:] = True
    n = fan.size
    live, product = np.empty(n, bool), np.empty(n, np.int16)  # n_brands <= 10,000
    fmt, sponsored = np.empty(n, np.int8), np.empty(n, bool)
    blocks.rows(
        kernels.describe,
        n,
        creator,
        plat,
        ad,
        today.live,
        today.video_product,
        today.stream_product,
        today.video_format,
        LIVE,
        cs.view("sponsor"),
        cs.view("deal_platform"),
        cs.view("deal_format") == LIVE_DEAL,
        live,
        product,
        fmt,
        sponsored,
    )
    day.impressions = Impressions(
        fan=fan,
        creator=creator,
        platform=plat,
        ad=ad,
        social=social,
        live=live,
        product=product,
        format=fmt,
        edge=edge,
        sponsored=sponsored,
    )


def _feed(model: CreatorEconomy, p: Platform, today: Content) -> distribution.Feed:
    """Today's content on one platform, weighted for its interest and popularity algorithms."""
    cs = model.creator_state
    visible = (today.posted & cs.view("posts_on")[:, p.index]) | today.live[:, p.index]
    interest_w, pop_w = distribution.public_weights(
        cs.view("quality"),
        cs.view("pool_boost")[:, p.index],
        cs.view("followers")[:, p.index],
        visible,
        head_threshold=model.scale.to_sim(model.scale.tier_thresholds_real[2]),
        head_public_traffic=p.spec.head_public_traffic,
        popularity_prior=model.config.creators.popularity_prior,
    )
    return distribution.Feed(cs.view("niche"), interest_w, pop_w, visible)


def _bought_traffic(
    model: CreatorEconomy, day: Day, r: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Impressions brands buy for their own accounts, targeted by interest (seed 002).

    Returns (fan, creator, platform) of each; the brands' spend is booked.
    """
    cs, fs, bs = model.creator_state, model.fan_state, model.brand_state
    cost = model.config.brands.ad_cost_per_thousand / 1000 * model.scale.users_per_fan
    budget = bs.ad_budget.copy()
    if model.is_brand_day(day.index):
        bd = model.config.brand_day
        budget[bd.brand, model.platform_index(bd.platform)] += bd.ad_budget
    accounts = model.has_account_on()
    # Nobody to show it to while no fan uses the platforms (a growing market's start).
    buying = np.argwhere((budget > 0) & accounts & fs.joined.any())
    n = r.poisson(budget[buying[:, 0], buying[:, 1]] / cost)
    buying, n = buying[n > 0], n[n > 0]  # most days a small budget buys under one impression
    if n.size == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int8)
    brand, plat = buying[:, 0], buying[:, 1]
    np.add.at(bs.own_spend, brand, n * cost)
    day.ledger.spend[OWN] += float(n.sum() * cost)
    brand, plat = np.repeat(brand, n), np.repeat(plat, n)
    # The impression goes to one of the brand's accounts on that platform, drawn uniformly.
    n_p = len(model.platform_list)
    owned = (cs.view("owner") >= 0) & cs.view("active")
    c_idx, p_idx = np.nonzero(cs.view("posts_on") & owned[:, None])
    group = cs.owner[c_idx] * n_p + p_idx
    pick = sample_grouped(group, np.ones(c_idx.size), brand * n_p + plat, bs.budget.size * n_p, r)
    # Targeted: fans drawn by attention on the platform times interest in the category.
    category = bs.category[brand]
    fans = sample_accepted(
        r,
        fs.n,
        lambda f, i: fs.attention[f, plat[i]] * fs.interest(f, category[i]) * fs.joined[f],
        brand.size,
    )
    return fans, c_idx[pick], plat
