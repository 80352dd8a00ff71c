"""The SICAS consumer journey per (fan, brand) and the purchase decision (mechanisms 3, 4).

Sense -> Interest & Interaction -> Connect & Communicate -> Action (purchase) -> Share.
It is a network process, not a one-way funnel: a sharer puts friends into Sense
(seed 002), and a fan already aware of a brand engages more with content featuring it.
"""

from __future__ import annotations

import numpy as np

from simulation.mechanisms import kernels

NONE, SENSE, INTEREST, CONNECT, ACTION, SHARE = range(6)
STAGE_NAMES = ("none", "sense", "interest", "connect", "action", "share")


def advance(
    stage: np.ndarray, counts: np.ndarray, fans: np.ndarray, brands: np.ndarray, to: int
) -> None:
    """Move each (fan, brand) pair to at least stage ``to``; stages never move back here.

    ``counts`` (pairs per stage) is kept up to date, so shares need no scan of ``stage``;
    entries whose brand is -1 (no product) are skipped.
    """
    kernels.advance_stage(stage, counts, np.asarray(fans), np.asarray(brands), np.int8(to))


def purchase_probability(
    trust: np.ndarray,
    live: np.ndarray,
    brand_trust: np.ndarray,
    affordability: np.ndarray,
    *,
    purchase_base: float,
    trust_exponent: float,
    video_conversion_factor: float,
) -> np.ndarray:
    """Probability an engaged fan buys the recommended product on this exposure.

    It rises steeply with trust in the recommending creator (F8: ~90% of fans would buy
    what a trusted anchor recommends), is highest in a live stream, scales with trust in
    the brand, and with how much of the price the fan's wallet covers.
    """
    fmt = np.where(live, 1.0, video_conversion_factor)
    p = purchase_base * trust**trust_exponent * fmt * brand_trust * affordability
    return np.clip(p, 0.0, 1.0)


def first_per_fan(fans: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mask keeping one entry per fan, chosen at random: a fan buys at most once a day."""
    order = rng.permutation(fans.size)
    _, first = np.unique(fans[order], return_index=True)
    keep = np.zeros(fans.size, dtype=bool)
    keep[order[first]] = True
    return keep
