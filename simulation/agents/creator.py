"""Creator agent: a view of one row of ``model.creator_state`` (mechanism 2, F4-F6)."""

from __future__ import annotations

import mesa

from simulation.scenario import TIERS


class Creator(mesa.Agent):
    """A creator (KOL, KOC, KOS, KOE, KOB or virtual KOL) with followers on some platforms."""

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index  # row in model.creator_state

    def _get(self, name: str):
        return getattr(self.model.creator_state, name)[self.index]

    @property
    def role(self) -> str:
        """KOL, KOC, KOS, KOE, KOB (a brand's own account) or virtual."""
        return self.model.role_names[self._get("role")]

    @property
    def niche(self) -> int:
        """Topic of its content."""
        return int(self._get("niche"))

    @property
    def quality(self) -> float:
        """Content quality, 0..1."""
        return float(self._get("quality"))

    @property
    def consistency(self) -> float:
        """Probability of posting on a given day."""
        return float(self._get("consistency"))

    @property
    def followers(self) -> dict[str, int]:
        """Simulated followers per platform key."""
        row = self._get("followers")
        return {p.key: int(row[p.index]) for p in self.model.platform_list}

    @property
    def total_followers(self) -> int:
        """Simulated followers over all platforms."""
        return int(self._get("followers").sum())

    @property
    def real_followers(self) -> float:
        """Followers in real units, by the scenario's scale mapping."""
        return float(self.model.scale.to_real(self.total_followers))

    @property
    def tier(self) -> str:
        """Tier (tail, small, mid, head) derived from real followers."""
        return TIERS[int(self.model.scale.tier_of(self.total_followers))]

    @property
    def income(self) -> float:
        """Yuan earned so far from commission and sponsorship fees."""
        return float(self._get("income"))

    @property
    def gmv(self) -> float:
        """Yuan of sales made through this creator so far."""
        return float(self._get("gmv"))

    @property
    def sponsor(self) -> int | None:
        """Index of the brand sponsoring it this period, if any."""
        b = int(self._get("sponsor"))
        return None if b < 0 else b

    @property
    def active(self) -> bool:
        """False once the creator has left."""
        return bool(self._get("active"))

    def __repr__(self) -> str:
        return f"Creator({self.index}, {self.role}, {self.tier}, followers={self.total_followers})"
