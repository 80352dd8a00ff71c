"""Exposure: whether a fan engages with an impression, and whether it then follows (mechanism 2)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def relevance(interest, n_topics):  # pragma: no cover
    """How well content matches the fan: its interest share in the niche x topics (mean 1)."""
    return interest * n_topics


def audience_factor(
    real_followers: np.ndarray, *, audience_reference_real: float, audience_elasticity: float
) -> np.ndarray:
    """How much of a creator's personal pull each viewer gets, given its audience (0..1].

    A creator's time and replies are shared among its followers: up to
    ``audience_reference_real`` real followers everyone can get an answer (factor 1);
    beyond, the factor falls as ``(followers / reference) ** -audience_elasticity``. It
    scales the chance to engage with the creator's content and the trust an interaction
    builds. Engagement rates that fall with follower count are a regularity of influencer
    marketing benchmarks (about 8% of followers like a post below 1k followers, under 2%
    above 1M: elasticity about 0.2); seed 001 credits the waist's "high engagement
    rates", seed 003 small followings' "almost blind" trust.
    """
    ratio = np.maximum(np.asarray(real_followers, np.float64) / audience_reference_real, 1.0)
    return (ratio**-audience_elasticity).astype(np.float32)


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
    """Chance an impression is liked, commented or shared, for arrays (:func:`engage_chance`)."""
    f32 = np.float32
    return _engage_all(
        np.asarray(quality, f32),
        np.asarray(relevance, f32),
        np.asarray(trust, f32),
        np.asarray(live, bool),
        np.asarray(aware, bool),
        np.asarray(social, bool),
        f32(engage_base),
        f32(live_engage_factor),
        f32(aware_engage_factor),
        f32(social_proof),
    )


@numba.njit(cache=True, nogil=True)
def engage_chance(
    quality, relevance, trust, live, aware, social, base, live_f, aware_f, social_f
):  # pragma: no cover
    """Chance one impression is liked, commented or shared (the exposure phase's rule).

    Relevant, high-quality content engages (seeds 000, 001: niche quality content breaks
    out); trust in a followed creator adds to it, live streams draw more interaction, and
    a fan already aware of the featured brand (SICAS Sense or later) is more receptive,
    and content a friend engaged with carries social proof (WeChat Channels, seed 001).
    ``base`` is ``engage_base``, the factors ``live_engage_factor``,
    ``aware_engage_factor`` and ``social_proof``.
    """
    p = base * quality * relevance * (1.0 + trust)
    if live:
        p *= live_f
    if aware:
        p *= aware_f
    if social:
        p *= social_f
    return min(max(p, 0.0), 1.0)


@numba.vectorize(
    [
        "float32(float32, float32, float32, boolean, boolean, boolean, "
        + ", ".join(["float32"] * 4)
        + ")"
    ],
    cache=True,
)
def _engage_all(
    quality, relevance, trust, live, aware, social, base, live_f, aware_f, social_f
):  # pragma: no cover
    return engage_chance(
        quality, relevance, trust, live, aware, social, base, live_f, aware_f, social_f
    )
