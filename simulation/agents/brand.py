"""Brand agent: a product (category, quality, price) and a sponsorship budget (mechanism 5)."""

from __future__ import annotations

import mesa
import numpy as np

from simulation.scenario import BUDGET_ARMS, DEAL_FORMATS
from simulation.state import OBSERVED


class Brand(mesa.Agent):
    """A brand; its arrays live in ``model.brand_state`` at row ``index``."""

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    def _get(self, name: str):
        return getattr(self.model.brand_state, name)[self.index]

    @property
    def category(self) -> int:
        """Topic its product belongs to."""
        return int(self._get("category"))

    @property
    def quality(self) -> float:
        """Product quality, 0..1: what buyers' experience is drawn around."""
        return float(self._get("quality"))

    @property
    def price(self) -> float:
        """Unit price, yuan."""
        return float(self._get("price"))

    @property
    def monthly_budget(self) -> float:
        """Sponsorship budget per budget period, yuan."""
        return float(self._get("budget"))

    @property
    def allocation(self) -> dict[str, float]:
        """This period's budget split across creator tiers and its own account."""
        shares = self.model.tier_policy.shares(self.index)
        return dict(zip(BUDGET_ARMS, np.round(shares, 4).tolist(), strict=True))

    @property
    def platform_allocation(self) -> dict[str, float]:
        """This period's budget split across platforms."""
        shares = self.model.platform_policy.shares(self.index)
        return {p.key: round(float(shares[p.index]), 4) for p in self.model.platform_list}

    @property
    def spend_by_tier(self) -> dict[str, float]:
        """Yuan spent so far on each creator tier and on its own account's traffic."""
        return dict(zip(BUDGET_ARMS, self._get("spend").tolist(), strict=True))

    @property
    def deals(self) -> list[dict]:
        """This period's deals and what the brand has observed of each so far."""
        m = self.model
        cs = m.creator_state
        keys = [p.key for p in m.platform_list]
        return [
            {
                "creator": int(c),
                "platform": keys[cs.deal_platform[c]],
                "format": DEAL_FORMATS[cs.deal_format[c]],
                "fee": float(cs.deal_fee[c]),
                **dict(zip(OBSERVED, cs.deal_obs[c].tolist(), strict=True)),
            }
            for c in np.flatnonzero(cs.view("sponsor") == self.index)
        ]

    @property
    def bought_traffic(self) -> dict[str, float]:
        """This period's traffic bought for its own accounts: cost and what it achieved."""
        obs = dict(zip(OBSERVED, self._get("own_obs").tolist(), strict=True))
        return {"cost": float(self._get("own_spend")), **obs}

    @property
    def own_followers(self) -> int:
        """Followers of the brand's own accounts (its private-domain traffic)."""
        owned = self.model.creator_state.view("owner") == self.index
        return int(self.model.creator_total_followers[owned].sum())

    def __repr__(self) -> str:
        return f"Brand({self.index}, category={self.category}, price={self.price:.0f})"
