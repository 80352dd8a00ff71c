"""Brand spending: fees, deals with creators, and the yearly budget review (mechanism 5, F7).

How a brand splits its budget is decided by
:class:`simulation.mechanisms.learning.MultiplicativeWeights` (with ``data_driven = 0`` it
keeps the scenario's split); this module prices content and turns a split into deals.
"""

from __future__ import annotations

import numpy as np


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
    n_brands, n_tiers = tier_budget.shape
    n = eligible.shape[0]
    out = {
        "sponsor": np.full(n, -1),
        "platform": np.full(n, -1),
        "format": np.full(n, -1),
        "fee": np.zeros(n),
    }
    c_all, p_all, f_all = np.nonzero(eligible)
    for b in rng.permutation(n_brands):
        for t in range(n_tiers):
            remaining = tier_budget[b, t]
            offers = np.flatnonzero((tier[c_all] == t) & (out["sponsor"][c_all] < 0))
            if remaining <= 0 or offers.size == 0:
                continue
            c, p, f = c_all[offers], p_all[offers], f_all[offers]
            w = preference[b, p, f] * np.where(niche[c] == category[b], niche_preference, 1.0)
            keep = w > 0
            c, p, f, w = c[keep], p[keep], f[keep], w[keep]
            order = np.argsort(-np.log(rng.random(w.size)) / w)  # weighted order (Efraimidis)
            c, p, f = c[order], p[order], f[order]
            fee = fees[c, p, f]
            for _ in range(rounds):
                free = out["sponsor"][c] < 0
                _, first = np.unique(np.where(free, c, -1), return_index=True)
                cand = first[free[first] & (fee[first] <= remaining)]
                cand.sort()
                take = cand[np.cumsum(fee[cand]) <= remaining]
                if take.size == 0:
                    break
                out["sponsor"][c[take]] = b
                out["platform"][c[take]] = p[take]
                out["format"][c[take]] = f[take]
                out["fee"][c[take]] = fee[take]
                remaining -= fee[take].sum()
    return out


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
