"""Trust in creators and brands: grows with good experiences, decays, collapses (mechanism 3).

Seed 003: fans "almost blindly" trust KOCs; trust collapses after a scandal, a fake
product or a cultural misstep, hurting both the creator and the brand involved.
"""

from __future__ import annotations

import numpy as np


def grow(trust: np.ndarray, gain: float) -> np.ndarray:
    """Close a fraction ``gain`` of the gap to full trust."""
    return trust + gain * (1.0 - trust)


def decay(trust: np.ndarray, rate: float) -> np.ndarray:
    """Slow daily fading of trust that nothing renews."""
    return trust * (1.0 - rate)


def experience(
    quality: np.ndarray,
    fake: np.ndarray,
    expectation: float,
    noise: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """True where a purchase met the buyer's expectation; a fake product never does."""
    perceived = quality + noise * rng.standard_normal(quality.size)
    return (perceived >= expectation) & ~fake


def after_purchase(
    trust: np.ndarray,
    good: np.ndarray,
    fake: np.ndarray,
    gain: float,
    bad_penalty: float,
    collapse: float,
) -> np.ndarray:
    """Trust after a purchase: up when good, down when disappointing, collapsed when fake."""
    bad = np.where(fake, trust * collapse, trust * (1.0 - bad_penalty))
    return np.where(good, grow(trust, gain), bad)
