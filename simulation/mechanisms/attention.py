"""Fans move attention toward the platforms that satisfy them ("displacement", mechanism 6).

Satisfaction on a platform is a slowly updated average of what an impression there gave
the fan (an engagement, a purchase); it is unknown (NaN) until the fan has seen something
there, and an unknown platform counts as average for that fan: no evidence, no move.
Attention then follows replicator dynamics:
``a_p <- a_p * exp(mobility * (s_p - sum_q a_q s_q))``, renormalised, with a floor so a
platform a fan abandoned can win it back.
"""

from __future__ import annotations

import numpy as np


def update_satisfaction(
    satisfaction: np.ndarray,
    impressions: np.ndarray,
    rewards: np.ndarray,
    *,
    satisfaction_memory: float,
) -> np.ndarray:
    """Blend today's reward per impression into each (fan, platform) satisfaction.

    Where a fan saw nothing on a platform today, its satisfaction there is unchanged.
    """
    seen = impressions > 0
    today = np.where(seen, rewards / np.where(seen, impressions, 1.0), 0.0)
    known = np.where(np.isnan(satisfaction), today, satisfaction)
    m = satisfaction_memory
    return np.where(seen, (1 - m) * known + m * today, satisfaction).astype(satisfaction.dtype)


def shift_attention(
    attention: np.ndarray,
    satisfaction: np.ndarray,
    *,
    attention_mobility: float,
    attention_floor: float,
) -> np.ndarray:
    """Replicator step of each fan's attention shares toward better-satisfying platforms."""
    if attention_mobility == 0:
        return attention
    known = ~np.isnan(satisfaction)
    n_known = known.sum(axis=1, keepdims=True)
    fan_mean = np.where(known, satisfaction, 0.0).sum(axis=1, keepdims=True) / np.maximum(
        n_known, 1
    )
    satisfaction = np.where(known, satisfaction, fan_mean)
    mean = (attention * satisfaction).sum(axis=1, keepdims=True)
    a = attention * np.exp(attention_mobility * (satisfaction - mean))
    a = np.maximum(a / a.sum(axis=1, keepdims=True), attention_floor)
    return (a / a.sum(axis=1, keepdims=True)).astype(attention.dtype)
