"""Exposure: whether a fan engages with an impression, and whether it then follows (mechanism 2)."""

from __future__ import annotations

import numpy as np


def relevance(interest: np.ndarray, n_topics: int) -> np.ndarray:
    """How well content matches the fan: its interest share in the niche x topics (mean 1)."""
    return interest * n_topics


def engage_probability(
    quality: np.ndarray,
    relevance: np.ndarray,
    trust: np.ndarray,
    live: np.ndarray,
    aware: np.ndarray,
    social: np.ndarray,
    *,
    engage_base: float,
    live_engage_factor: float,
    aware_engage_factor: float,
    social_proof: float,
) -> np.ndarray:
    """Chance an impression is liked, commented or shared.

    Relevant, high-quality content engages (seeds 000, 001: niche quality content breaks
    out); trust in a followed creator adds to it, live streams draw more interaction, and
    a fan already aware of the featured brand (SICAS Sense or later) is more receptive,
    and content a friend engaged with carries social proof (WeChat Channels, seed 001).
    """
    p = engage_base * quality * relevance * (1.0 + trust)
    p = p * np.where(live, live_engage_factor, 1.0) * np.where(aware, aware_engage_factor, 1.0)
    p = p * np.where(social, social_proof, 1.0)
    return np.clip(p, 0.0, 1.0)
