"""Brand agent: a product (category, quality, price) and a sponsorship budget (mechanism 5)."""

from __future__ import annotations

import mesa
import numpy as np

from simulation.scenario import TIERS


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
        """Current split of the budget across creator tiers."""
        shares = self.model.allocation_policy.shares(self.index)
        return dict(zip(TIERS, np.round(shares, 4).tolist(), strict=True))

    @property
    def spend_by_tier(self) -> dict[str, float]:
        """Yuan spent so far on each creator tier."""
        return dict(zip(TIERS, self._get("spend").tolist(), strict=True))

    def __repr__(self) -> str:
        return f"Brand({self.index}, category={self.category}, price={self.price:.0f})"
