"""Brand spending: a budget split across creator tiers, and deals with creators (mechanism 5).

The split is a replaceable policy object. :class:`FixedAllocation` keeps the scenario's
shares; a learning policy (a later issue) implements the same ``shares`` method.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class AllocationPolicy(Protocol):
    """Decides each brand's budget share per creator tier for the coming period."""

    def shares(self, brand: int) -> np.ndarray:
        """(tiers,) shares of the brand's budget, summing to 1."""
        ...


class FixedAllocation:
    """Every brand keeps the same split for the whole run (the scenario's ``allocation``)."""

    def __init__(self, shares: np.ndarray) -> None:
        self._shares = np.asarray(shares, dtype=float)

    def shares(self, brand: int) -> np.ndarray:
        """The fixed split, whatever the brand observed."""
        return self._shares


def creator_fees(real_followers: np.ndarray, per_follower: float, floor: float) -> np.ndarray:
    """Fee per sponsored period: rises with followers, so head creators cost far more."""
    return floor + per_follower * real_followers


def sign_deals(
    rng: np.random.Generator,
    budgets: np.ndarray,
    shares: np.ndarray,
    tier: np.ndarray,
    niche: np.ndarray,
    category: np.ndarray,
    fees: np.ndarray,
    available: np.ndarray,
    niche_preference: float = 4.0,
):
    """Each brand buys sponsored content from creators tier by tier until its budget is spent.

    Within a tier, candidates are drawn without replacement, creators of the brand's own
    category ``niche_preference`` times as likely; each takes the first affordable ones
    in that order. A creator works for one brand per period.

    Returns:
        (sponsor per creator or -1, spend (brands, tiers), fee paid per creator).
    """
    n_brands, n_tiers = shares.shape
    sponsor = np.full(tier.size, -1, dtype=np.int64)
    spend = np.zeros((n_brands, n_tiers))
    free = available.copy()
    for b in rng.permutation(n_brands):
        for t in range(n_tiers):
            budget = budgets[b] * shares[b, t]
            cands = np.flatnonzero(free & (tier == t))
            if budget <= 0 or cands.size == 0:
                continue
            w = np.where(niche[cands] == category[b], niche_preference, 1.0)
            order = rng.choice(cands, size=cands.size, replace=False, p=w / w.sum())
            affordable = np.cumsum(fees[order]) <= budget
            chosen = order[affordable]
            sponsor[chosen] = b
            free[chosen] = False
            spend[b, t] = fees[chosen].sum()
    paid = np.where(sponsor >= 0, fees, 0.0)
    return sponsor, spend, paid
