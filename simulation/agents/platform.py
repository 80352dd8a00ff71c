"""Platform agent: a distribution algorithm, formats and fees (mechanisms 1 and 6)."""

from __future__ import annotations

import mesa
import numpy as np

from simulation.scenario import FORMATS, PlatformSpec


class Platform(mesa.Agent):
    """A platform such as Douyin; its spec comes from the scenario's ``[platforms.*]`` table."""

    def __init__(self, model: mesa.Model, index: int, key: str, spec: PlatformSpec) -> None:
        super().__init__(model)
        self.index = index  # column in the fans' attention and creators' follower arrays
        self.key = key  # scenario key, e.g. "douyin"
        self.spec = spec

    @property
    def name(self) -> str:
        """Display name."""
        return self.spec.label or self.key

    @property
    def algorithm_weights(self) -> np.ndarray:
        """Mix of interest, follower, social and popularity distribution, normalised."""
        w = np.asarray(self.spec.algorithm.weights())
        return w / w.sum()

    @property
    def formats(self) -> list[str]:
        """Formats carried now (platforms adopt each other's formats over time)."""
        return [f for f, on in zip(FORMATS, self.model.carries[self.index], strict=True) if on]

    @property
    def attention_share(self) -> float:
        """Share of all fans' attention this platform holds."""
        return float(self.model.fan_state.attention[:, self.index].mean())

    def __repr__(self) -> str:
        return f"Platform({self.key!r}, attention={self.attention_share:.2f})"
