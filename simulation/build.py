"""Market construction: platforms, brands, fans, creators, initial follows and brand learners.

:func:`build_market` is called once by :class:`simulation.CreatorEconomy`; :func:`add_creators`
is also used by the growth phase when creators enter (F10). Every draw comes from the
model's ``setup`` stream (or the caller's), so construction is reproducible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.agents import Brand, Creator, Platform
from simulation.mechanisms import distribution, growth
from simulation.mechanisms.learning import MultiplicativeWeights
from simulation.mechanisms.sampling import sample_grouped
from simulation.scenario import BUDGET_ARMS, DEAL_FORMATS, FORMATS, ROLES
from simulation.state import (
    OBSERVED,
    BrandState,
    CreatorState,
    FanState,
    Follows,
    Insertion,
    SocialGraph,
)

if TYPE_CHECKING:
    from simulation.model import CreatorEconomy

OWN = BUDGET_ARMS.index("own")
FAN_BLOCK = 200_000  # fans whose initial follows are drawn together


def lognormal(rng: np.random.Generator, mean: float, sigma: float, n: int) -> np.ndarray:
    """Log-normal draws with the given arithmetic mean."""
    return rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, n)


def build_market(model: CreatorEconomy) -> None:
    """Create every agent and array of a new market on ``model``."""
    rng = model.streams["setup"]
    _platforms(model)
    _brands(model, rng)
    _fans(model, rng)
    _creators(model, rng)
    _learners(model)
    model.refresh_followers()
    # The initial follows' trust, now that the followings it depends on are known.
    model.follows.trust[:] = model.relationship_trust()[model.follows.creator]


def _platforms(model: CreatorEconomy) -> None:
    enabled = [(k, s) for k, s in model.config.platforms.items() if s.enabled]
    model.platform_list = [Platform(model, i, k, s) for i, (k, s) in enumerate(enabled)]
    shares = np.array([s.user_share for _, s in enabled])
    model.platform_user_share = shares / shares.sum()
    model.commission_rate = np.array([s.commission_rate for _, s in enabled])
    # Formats each platform carries; they change as platforms converge (mechanism 6).
    model.carries = np.array([[f in s.formats for f in FORMATS] for _, s in enabled])
    appeal = model.config.competition.format_appeal
    model.format_appeal = np.array([appeal.get(f, 1.0) for f in FORMATS])
    model.format_impressions = np.zeros(model.carries.shape)
    model.format_engagements = np.zeros(model.carries.shape)


def _brands(model: CreatorEconomy, r: np.random.Generator) -> None:
    c, pop = model.config.brands, model.config.population
    n, n_p = pop.n_brands, len(model.platform_list)
    model.brand_state = BrandState(
        category=r.integers(0, pop.n_topics, n),
        quality=r.beta(c.product_quality_alpha, c.product_quality_beta, n),
        price=lognormal(r, c.price_mean, c.price_sigma, n),
        budget=lognormal(r, c.monthly_budget_mean, c.monthly_budget_sigma, n),
        spend=np.zeros((n, len(BUDGET_ARMS))),
        gmv=np.zeros(n),
        ad_budget=np.zeros((n, n_p)),
        own_spend=np.zeros(n),
        own_obs=np.zeros((n, len(OBSERVED))),
        year_value=np.zeros(n),
        year_spend=np.zeros(n),
    )
    Brand.create_agents(model, n, list(range(n)))


def _fans(model: CreatorEconomy, r: np.random.Generator) -> None:
    pop, n = model.config.population, model.config.population.n_fans
    interest = r.dirichlet(np.full(pop.n_topics, pop.interest_concentration), n)
    # Friends are alike: a share `social_homophily` of fans sit on the ring by interest.
    alike = r.random(n) < pop.social_homophily
    key = np.where(alike, interest.argmax(axis=1), r.integers(0, pop.n_topics, n))
    order = np.lexsort((r.random(n), key))
    friends = SocialGraph.small_world(n, pop.social_degree, pop.social_rewire, r, order)
    budget = lognormal(r, model.config.fans.budget_mean, model.config.fans.budget_sigma, n)
    model.fan_state = FanState.create(
        attention=r.dirichlet(2.0 * model.platform_user_share, n),
        interest=interest,
        budget=budget,
        n_brands=pop.n_brands,
        brand_trust=model.config.trust.brand_trust_initial,
        friends=friends,
    )
    if pop.joined_share < 1:  # the others join later (phases.growth)
        model.fan_state.joined[:] = r.random(n) < pop.joined_share


def _creators(model: CreatorEconomy, r: np.random.Generator) -> None:
    cfg = model.config
    model.role_names = tuple(role for role in ROLES if role in cfg.roles)
    shares = np.array([cfg.roles[role].share for role in model.role_names])
    model.role_share = shares / shares.sum()
    model.role_initial_trust = np.array([cfg.roles[x].initial_trust for x in model.role_names])
    model.role_sales_focus = np.array([cfg.roles[x].sales_focus for x in model.role_names])
    model.role_scandal_risk = np.array([cfg.roles[x].scandal_risk for x in model.role_names])
    model.creator_state = CreatorState(len(model.platform_list), cfg.population.n_brands)
    model.follows = Follows(cfg.population.n_fans)
    model.creator_agents = {}
    add_creators(model, cfg.population.n_creators, r)
    day = cfg.brand_day
    if day.enabled:  # the brand of the brand day gets its own account on that platform
        posts_on = np.zeros((1, len(model.platform_list)), dtype=bool)
        posts_on[0, model.platform_index(day.platform)] = True
        add_creators(model, 1, r, role="KOB", owner=day.brand, posts_on=posts_on)
    model.refresh_tiers()  # no followers yet
    _initial_follows(model, r)


def add_creators(
    model: CreatorEconomy,
    k: int,
    rng: np.random.Generator,
    *,
    role: str | None = None,
    owner: int | None = None,
    posts_on: np.ndarray | None = None,
) -> None:
    """Append ``k`` new creators (traits drawn by ``growth.draw_creators``) and their agents."""
    cfg = model.config.creators
    cols = growth.draw_creators(
        rng,
        k,
        role_shares=model.role_share,
        n_topics=model.config.population.n_topics,
        quality=(cfg.content_quality_alpha, cfg.content_quality_beta),
        consistency=(cfg.consistency_alpha, cfg.consistency_beta),
        platform_shares=model.platform_user_share,
        multi_platform_prob=cfg.multi_platform_prob,
        stream_interval_days=cfg.stream_interval_days,
    )
    if role is not None:
        cols["role"] = np.full(k, model.role_names.index(role))
    if posts_on is not None:
        cols["posts_on"] = posts_on
    # A KOB account belongs to a brand and sells that brand's product (seed 002).
    owners = np.full(k, -1 if owner is None else owner)
    if "KOB" in model.role_names and owner is None:
        kob = cols["role"] == model.role_names.index("KOB")
        owners[kob] = rng.integers(0, model.config.population.n_brands, kob.sum())
    cols["owner"] = owners
    cols["niche"] = np.where(owners >= 0, model.brand_state.category[owners], cols["niche"])
    idx = model.creator_state.append(born=np.full(k, model.steps), **cols)
    for i in idx.tolist():
        model.creator_agents[i] = Creator(model, i)


def _initial_follows(model: CreatorEconomy, r: np.random.Generator) -> None:
    """Fans start following a few creators of their interests, big names more likely."""
    pop, cs = model.config.population, model.creator_state
    fame = r.lognormal(0.0, pop.creator_fame_sigma, cs.n)
    weight = fame[:, None] * cs.view("posts_on")
    counts = r.poisson(pop.initial_follows, pop.n_fans)
    counts[~model.fan_state.joined] = 0  # they follow as they join
    for lo in range(0, pop.n_fans, FAN_BLOCK):  # in blocks of fans: a lower peak of memory
        block = np.arange(lo, min(lo + FAN_BLOCK, pop.n_fans), dtype=np.int32)
        follow_creators(model, np.repeat(block, counts[block]), weight, r)


def follow_creators(
    model: CreatorEconomy, fans: np.ndarray, weight: np.ndarray, r: np.random.Generator
) -> Insertion:
    """New follows: each entry of ``fans`` (a fan repeated once per follow) follows a creator.

    The fan draws a topic from its interests and a platform from its attention, then a
    creator of that niche on that platform in proportion to ``weight`` (creators,
    platforms; 0 where the creator cannot be followed there). A fan drawing the same
    creator twice follows it once. Returns the new edges (:meth:`Follows.add`).
    """
    cs, fs = model.creator_state, model.fan_state
    n_p, n_t = len(model.platform_list), model.config.population.n_topics
    c_idx, p_idx = np.nonzero(weight > 0)
    rows, local = np.unique(fans, return_inverse=True)
    group = distribution.draw_topics(fs.interest_cdf, fans, r) * n_p
    group += distribution.draw_topics(np.cumsum(fs.attention[rows], axis=1), local, r)
    pick = sample_grouped(cs.niche[c_idx] * n_p + p_idx, weight[c_idx, p_idx], group, n_t * n_p, r)
    ok = pick >= 0
    creator = c_idx[pick[ok]]
    trust = model.relationship_trust()[creator]
    return model.follows.add(fans[ok], creator, p_idx[pick[ok]], trust)


def _learners(model: CreatorEconomy) -> None:
    """Brands' budget splits: over tiers + own account, platforms and deal formats."""
    c, n_b, n_p = model.config.brands, model.config.population.n_brands, len(model.platform_list)
    arms = np.array([c.allocation.get(a, 0.0) for a in BUDGET_ARMS])
    available = np.ones((n_b, len(BUDGET_ARMS)), dtype=bool)
    available[:, OWN] = model.has_account_on().any(axis=1)
    explore = c.exploration if c.data_driven > 0 else 0.0

    def learner(initial: np.ndarray, avail: np.ndarray) -> MultiplicativeWeights:
        return MultiplicativeWeights(
            np.broadcast_to(initial, avail.shape), avail, eta=c.data_driven, exploration=explore
        )

    model.tier_policy = learner(arms, available)
    model.platform_policy = learner(model.platform_user_share, np.ones((n_b, n_p), bool))
    fmt = np.array([c.format_allocation.get(f, 0.0) for f in DEAL_FORMATS])
    model.format_policy = learner(fmt, np.ones((n_b, len(DEAL_FORMATS)), bool))
    model.arm_return = np.full(len(BUDGET_ARMS), np.nan)  # last period, value per yuan
    model.arm_value_total = np.zeros(len(BUDGET_ARMS))  # whole run: value returned per arm
    model.arm_spend_total = np.zeros(len(BUDGET_ARMS))  # whole run: yuan spent per arm
    model.arm_reach_total = np.zeros(len(BUDGET_ARMS))  # whole run: real impressions paid for
    # Whole run, by the deal creator's follower-size band (ScaleMapping.size_bands_real):
    # value returned, fees paid, real impressions the deals' content made and deals closed
    # (one per creator and budget period).
    n_bands = len(model.scale.size_bands_real) + 1
    model.band_value_total = np.zeros(n_bands)
    model.band_spend_total = np.zeros(n_bands)
    model.band_reach_total = np.zeros(n_bands)
    model.band_deals_total = np.zeros(n_bands, np.int64)
