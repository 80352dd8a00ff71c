"""Trust in creators and brands: grows with good experiences, decays, collapses (mechanism 3).

Seed 003: fans "almost blindly" trust KOCs; trust collapses after a scandal, a fake
product or a cultural misstep, hurting both the creator and the brand involved.
"""

from __future__ import annotations

import numpy as np


def grow(trust: np.ndarray, gain: float) -> np.ndarray:
    """Close a fraction ``gain`` of the gap to full trust."""
    return trust + gain * (1.0 - trust)


def decay(trust: np.ndarray, *, trust_decay: float) -> np.ndarray:
    """Slow daily fading of trust that nothing renews (in place)."""
    trust *= np.float32(1.0 - trust_decay)
    return trust


def experience(
    quality: np.ndarray,
    fake: np.ndarray,
    rng: np.random.Generator,
    *,
    expectation: float,
    experience_noise: float,
) -> np.ndarray:
    """True where a purchase met the buyer's expectation; a fake product never does."""
    perceived = quality + experience_noise * rng.standard_normal(quality.size)
    return (perceived >= expectation) & ~fake


def after_purchase(
    trust: np.ndarray,
    good: np.ndarray,
    fake: np.ndarray,
    *,
    trust_gain: float,
    trust_bad_experience: float,
    collapse: float,
) -> np.ndarray:
    """Trust after a purchase: up when good, down when disappointing, collapsed when fake."""
    bad = np.where(fake, trust * collapse, trust * (1.0 - trust_bad_experience))
    return np.where(good, grow(trust, trust_gain), bad)
