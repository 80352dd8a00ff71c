"""One-off events on given measured days: a named scandal, a shopping festival (F12).

Pure functions over arrays; the scenario's ``[events]`` tables say when and where.
Days count measured days: 1 is the first day after the warm-up.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def recurs_on(day: int, *, first: int, every_days: int) -> bool:
    """True on ``first`` and, if ``every_days`` > 0, every ``every_days`` days after it."""
    if day < first:
        return False
    return day == first or (every_days > 0 and (day - first) % every_days == 0)


def ranked_in_tier(
    followers: np.ndarray, tier: np.ndarray, active: np.ndarray, *, tier_index: int, rank: int
) -> int:
    """The active creator ranked ``rank`` (1 = most followers) in tier ``tier_index``; -1 if none.

    Ties go to the lower creator index, so the choice does not depend on sort stability.
    """
    members = np.flatnonzero(active & (tier == tier_index))
    if rank > members.size:
        return -1
    order = np.lexsort((members, -followers[members]))
    return int(members[order[rank - 1]])


def festival_platforms(festival, platform_keys: Sequence[str]) -> np.ndarray:
    """(platforms,) bool: the platforms a festival record (``platform``: a key or "all") is on."""
    return np.array([festival.platform in ("all", key) for key in platform_keys], dtype=bool)


def festival_demand(festivals: Sequence, day: int, platform_keys: Sequence[str]) -> np.ndarray:
    """(platforms,) multiplier of the chance to buy today: 1 except on festival platforms.

    ``festivals`` are records with ``day``, ``platform`` (a key or ``"all"``) and
    ``demand_factor``; two festivals on one day and platform multiply.
    """
    demand = np.ones(len(platform_keys))
    for f in festivals:
        if f.day == day:
            demand[festival_platforms(f, platform_keys)] *= f.demand_factor
    return demand


def festival_today(festivals: Sequence, day: int, platform_keys: Sequence[str]) -> np.ndarray:
    """(platforms,) bool: a festival is on there today (whatever its demand factor)."""
    on = np.zeros(len(platform_keys), dtype=bool)
    for f in festivals:
        if f.day == day:
            on |= festival_platforms(f, platform_keys)
    return on
