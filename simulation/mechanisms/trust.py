"""Trust in creators and brands: grows with good experiences, decays, collapses (mechanism 3).

Seed 003: fans "almost blindly" trust KOCs; trust collapses after a scandal, a fake
product or a cultural misstep, hurting both the creator and the brand involved.
"""

from __future__ import annotations

import numpy as np

from simulation.mechanisms import blocks, kernels


def grow(trust: np.ndarray, gain: float) -> np.ndarray:
    """Close a fraction ``gain`` of the gap to full trust."""
    return trust + gain * (1.0 - trust)


def decay(
    trust: np.ndarray, creator: np.ndarray, baseline: np.ndarray, *, trust_decay: float
) -> np.ndarray:
    """Daily fading of earned trust toward the relationship's baseline (in place).

    ``trust`` and ``creator`` describe follow edges; ``baseline[c]`` is the trust a fan
    has when it follows creator c (``CreatorEconomy.relationship_trust``: its role's initial
    trust, KOCs' followers starting high, seed 003). Trust a fan built up through good
    experiences fades, a share ``trust_decay`` of the excess a day, back to that baseline.
    Fading never takes trust below it, and trust already below it (after a scandal, a fake
    or a disappointment) does not heal with time alone: only a good experience rebuilds it.
    """
    baseline = np.asarray(baseline, np.float32)
    blocks.rows(kernels.fade, trust.size, trust, creator, baseline, np.float32(trust_decay))
    return trust


def still_following(
    rng: np.random.Generator,
    trust: np.ndarray,
    *,
    unfollow_trust: float,
    unfollow_rate: float,
) -> np.ndarray:
    """Which follows survive today.

    A fan unfollows a creator it no longer trusts (trust below ``unfollow_trust``, after a
    scandal, a fake or disappointments) and, whatever the trust, drops follows at a
    constant yearly hazard ``unfollow_rate`` (interests move on; the reasons are outside
    the model). The hazard is what lets follows per fan settle at a steady level.
    """
    keep = trust >= unfollow_trust
    if unfollow_rate > 0:  # each follow ends today with probability rate / 365
        n = rng.binomial(trust.size, min(unfollow_rate / 365.0, 1.0))
        keep[rng.choice(trust.size, n, replace=False)] = False
    return keep


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
