"""Brand spending: fees, deals with creators, and the yearly budget review (mechanism 5, F7).

How a brand splits its budget is decided by
:class:`simulation.mechanisms.learning.MultiplicativeWeights` (with ``data_driven = 0`` it
keeps the scenario's split); this module prices content and turns a split into deals.
"""

from __future__ import annotations

import numpy as np

from simulation.mechanisms import kernels


def creator_fees(
    real_followers: np.ndarray,
    engagement: np.ndarray,
    *,
    fee_per_real_follower: float,
    fee_floor: float,
    fee_engagement_elasticity: float,
) -> np.ndarray:
    """Market fee of one period's sponsored content on one platform.

    It rises with followers (so head creators cost far more per post) and with the
    creator's engagement rate relative to the platform's (``engagement`` = 1 is average).
    """
    scaled = fee_per_real_follower * real_followers * engagement**fee_engagement_elasticity
    return fee_floor + scaled


def reach_fees(
    real_impressions: np.ndarray,
    *,
    ad_cost_per_thousand: float,
    fee_floor: float,
) -> np.ndarray:
    """Market fee of one period's sponsored content, priced as the reach it brings.

    The content's expected real impressions cost what the same impressions cost a brand
    as bought traffic (``ad_cost_per_thousand`` per 1,000): a deal and an ad are priced
    alike per person reached, and differ only in what a person reached does.
    """
    return fee_floor + ad_cost_per_thousand * np.asarray(real_impressions) / 1000


def sign_deals(
    rng: np.random.Generator,
    tier_budget: np.ndarray,
    preference: np.ndarray,
    eligible: np.ndarray,
    tier: np.ndarray,
    niche: np.ndarray,
    category: np.ndarray,
    fees: np.ndarray,
    *,
    niche_preference: float = 4.0,
    rounds: int = 8,
) -> dict[str, np.ndarray]:
    """Each brand buys sponsored content, tier by tier, until each tier's budget is spent.

    Within a tier, the brand ranks every eligible (creator, platform, format) offer by a
    weighted random draw: weight = its preference for that platform and format, times
    ``niche_preference`` for creators of its own category. It then takes offers in that
    order whenever the fee still fits the tier's remaining budget (a few greedy passes),
    one deal per creator. A creator works for one brand per period.

    Args:
        rng: the budget phase's generator.
        tier_budget: (brands, tiers) yuan for deals with each tier this period.
        preference: (brands, platforms, formats) weights of each kind of content.
        eligible: (creators, platforms, formats) creator can deliver that content.
        tier: (creators,) tier of each creator.
        niche: (creators,) niche of each creator.
        category: (brands,) product category of each brand.
        fees: (creators, platforms, formats) fee of each offer, yuan.
        niche_preference: weight of own-category creators.
        rounds: greedy passes over the ranked offers.

    Returns:
        ``sponsor``, ``platform``, ``format`` and ``fee`` per creator (-1 / 0 without a deal).
    """
    c, p, f = np.nonzero(eligible)
    by_tier = np.argsort(tier[c], kind="stable")  # each tier's offers together, in order
    c, p, f = c[by_tier], p[by_tier], f[by_tier]
    tier_ptr = np.searchsorted(tier[c], np.arange(tier_budget.shape[1] + 1))
    sponsor, platform, fmt, fee = kernels.sign_deals(
        rng,
        rng.permutation(tier_budget.shape[0]),
        np.asarray(tier_budget, np.float64),
        np.asarray(preference, np.float64),
        c,
        p,
        f,
        tier_ptr,
        niche,
        category,
        fees[c, p, f],
        niche_preference,
        rounds,
        eligible.shape[0],
    )
    return {"sponsor": sponsor, "platform": platform, "format": fmt, "fee": fee}


def review_budget(
    budget: np.ndarray,
    returns: np.ndarray,
    spend: np.ndarray,
    *,
    return_reference: float,
    budget_elasticity: float,
    budget_max_raise: float,
    budget_max_cut: float,
) -> np.ndarray:
    """Next year's budget from this year's return on spend (F7: 81% raised, +21% on average).

    ``new = budget * (1 + clip(elasticity * (return per yuan / reference - 1), -max_cut,
    max_raise))``: brands that earn more than the reference return per yuan raise their
    social budget, the others cut it. A brand that spent nothing keeps its budget.
    """
    ref = return_reference
    per_yuan = np.where(spend > 0, returns / np.where(spend > 0, spend, 1.0), ref)
    change = np.clip(budget_elasticity * (per_yuan / ref - 1.0), -budget_max_cut, budget_max_raise)
    return budget * (1.0 + change)
