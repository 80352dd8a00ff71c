"""The scale mapping between real-world counts and the simulated population (FACTS, last note).

A simulated market is far smaller than a real platform. One simulated fan stands for
``real_users / n_fans`` real users: a creator's real follower count is its simulated
count times that factor, and every threshold the seeds state in real followers
("under 300k", "thousands", "tens of millions") is divided by the same factor before it
is compared with simulated counts. Every results folder records :meth:`describe`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.scenario import TIERS, Scenario


@dataclass(frozen=True)
class ScaleMapping:
    """Population scale factors and the creator tiers they imply."""

    users_per_fan: float  # real users one simulated fan stands for
    creators_per_creator: float  # real creators one simulated creator stands for
    tier_thresholds_real: tuple[float, float, float]  # small, mid, head (real followers)
    smaller_creator_threshold_real: float  # F1/F2: "fewer than 300k followers"
    thousands_band_real: tuple[float, float]  # F4: "only thousands of fans"
    cny_per_usd: float

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> ScaleMapping:
        """Derive the factors from the scenario's ``[scale]`` and ``[population]`` sections."""
        s, pop = scenario.scale, scenario.population
        t = s.tier_thresholds
        return cls(
            users_per_fan=s.real_users / pop.n_fans,
            creators_per_creator=s.real_creators / pop.n_creators,
            tier_thresholds_real=(t["small"], t["mid"], t["head"]),
            smaller_creator_threshold_real=s.smaller_creator_threshold,
            thousands_band_real=tuple(s.thousands_band),
            cny_per_usd=s.cny_per_usd,
        )

    def to_real(self, simulated_followers: np.ndarray | float) -> np.ndarray | float:
        """Simulated follower counts in real followers."""
        return np.asarray(simulated_followers) * self.users_per_fan

    def to_sim(self, real_followers: float) -> float:
        """A real follower count in simulated followers (may be fractional)."""
        return real_followers / self.users_per_fan

    def _band(self, edges_real: tuple[float, ...], simulated_followers: np.ndarray) -> np.ndarray:
        """Index of the interval of ``edges_real`` (real followers) each count falls in."""
        real = self.to_real(simulated_followers)
        return np.searchsorted(np.asarray(edges_real), real, side="right")

    def tier_of(self, simulated_followers: np.ndarray) -> np.ndarray:
        """Tier index (0 = tail ... 3 = head, see :data:`TIERS`) of each follower count."""
        return self._band(self.tier_thresholds_real, simulated_followers)

    @property
    def size_bands_real(self) -> tuple[float, ...]:
        """Inner edges of the follower-size bands, in real followers: tiers split by decades.

        The tier thresholds and every power of ten from the smallest threshold to ten times
        the largest (baseline: 10k, 100k, 300k, 1M, 5M, 10M), so each band lies inside one
        tier and the bands show how a quantity changes within a tier as well as across.
        """
        t = self.tier_thresholds_real
        decades = range(int(np.ceil(np.log10(min(t)))), int(np.floor(np.log10(10 * max(t)))) + 1)
        return tuple(sorted({*t, *(10.0**k for k in decades)}))

    def size_band_of(self, simulated_followers: np.ndarray) -> np.ndarray:
        """Band index (0 = below the smallest edge) of each follower count."""
        return self._band(self.size_bands_real, simulated_followers)

    def describe(self) -> dict:
        """The mapping as recorded in every ``metadata.json`` and report."""
        edges = (0.0, *self.tier_thresholds_real, float("inf"))
        return {
            "method": "population scale factor",
            "real_users_per_simulated_fan": self.users_per_fan,
            "real_creators_per_simulated_creator": self.creators_per_creator,
            "tiers": {
                name: {
                    "real_followers": [lo, hi],
                    "simulated_followers": [self.to_sim(lo), self.to_sim(hi)],
                }
                for name, lo, hi in zip(TIERS, edges[:-1], edges[1:], strict=True)
            },
            "smaller_creator_threshold": {
                "real_followers": self.smaller_creator_threshold_real,
                "simulated_followers": self.to_sim(self.smaller_creator_threshold_real),
            },
            "thousands_band": {
                "real_followers": list(self.thousands_band_real),
                "simulated_followers": [self.to_sim(x) for x in self.thousands_band_real],
            },
            "size_bands_real_followers": list(self.size_bands_real),
            "cny_per_usd": self.cny_per_usd,
        }
