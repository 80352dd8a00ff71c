"""Fan agent: a view of one row of ``model.fan_state`` and of its follow edges (mechanisms 3, 4)."""

from __future__ import annotations

import mesa
import numpy as np

from simulation.mechanisms.sicas import STAGE_NAMES


class Fan(mesa.Agent):
    """A consumer with interests, platform attention, follows, trust and a SICAS stage per brand."""

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index  # row in model.fan_state

    @property
    def interest(self) -> np.ndarray:
        """Interest vector over topics (sums to 1)."""
        return np.diff(self.model.fan_state.interest_cdf[self.index], prepend=0.0)

    @property
    def attention(self) -> dict[str, float]:
        """Share of attention on each platform."""
        row = self.model.fan_state.attention[self.index]
        return {p.key: float(row[p.index]) for p in self.model.platform_list}

    @property
    def budget(self) -> float:
        """Yuan a day set aside for shopping."""
        return float(self.model.fan_state.budget[self.index])

    @property
    def wallet(self) -> float:
        """Yuan available for the next purchase."""
        return float(self.model.fan_state.wallet[self.index])

    @property
    def follows(self) -> list[dict]:
        """Followed creators: creator index, platform key and trust in that creator."""
        f = self.model.follows
        lo, hi = f.fan_ptr[self.index], f.fan_ptr[self.index + 1]
        keys = [p.key for p in self.model.platform_list]
        return [
            {
                "creator": int(f.creator[i]),
                "platform": keys[f.platform[i]],
                "trust": float(f.trust[i]),
            }
            for i in range(lo, hi)
        ]

    @property
    def stages(self) -> dict[int, str]:
        """SICAS stage per brand index."""
        row = self.model.fan_state.unpacked_stages(slice(self.index, self.index + 1))[0]
        return {b: STAGE_NAMES[s] for b, s in enumerate(row.tolist())}

    @property
    def friends(self) -> list[int]:
        """Fan indices of its social ties."""
        return self.model.fan_state.friends.friends_of(self.index).tolist()

    def __repr__(self) -> str:
        return f"Fan({self.index}, follows={len(self.follows)}, wallet={self.wallet:.0f})"
